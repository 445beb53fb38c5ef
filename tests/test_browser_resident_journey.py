"""The resident's journey, walked as a new visitor would from the start page, in Dutch and in
English, on a laptop (1366x900) and a phone (375x740), in a real Chromium on the demo:
a street, a postcode, a misspelled place name, "use my location" granted and refused,
"this evening", a link shared with ``fbclid``, and the printed list. Each step asserts on
the text a person sees and leaves a screenshot in the test's folder (copied to
/tmp/shots-journey/ for review)."""

from __future__ import annotations

import re

import shutil
from pathlib import Path

import pytest

from test_browser import browser  # noqa: F401  (the fixture is used by name)
from test_browser_phone import _resident
from test_browser_search import INSIDE, SIZES, demo_server  # noqa: F401

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots-journey")
LOCALES = {"nl": "nl-BE", "en": "en-GB"}

#: What a Dutch and an English reader see at each step.
WORDS = {
    "nl": {
        "welcome": "Waar kan je andere mensen ontmoeten?",
        "box": "Straat, postcode, buurt of plek", "search": "Zoeken",
        "street": "vanaf Annankatu, Helsinki (straat)",
        "postcode": "vanaf 00100, Helsinki (postcode)",
        "typo": "Je ziet de resultaten voor “Kansalliskirjasto”",
        "minutes": "min te voet", "filter": "Filter",
        "evening": "Vanavond", "evening_count": "die passen bij: open op de avond van",
        "location": "Gebruik mijn locatie", "position": "vanaf je locatie",
        "refused": "Je hebt je locatie niet gedeeld. Typ liever een straat, een adres of een postcode.",
        "print": "Deze lijst afdrukken",
    },
    "en": {
        "welcome": "Where can you meet other people?",
        "box": "Street, postcode, neighbourhood or place", "search": "Search",
        "street": "from Annankatu, Helsinki (street)",
        "postcode": "from 00100, Helsinki (postcode)",
        "typo": "Showing results for “Kansalliskirjasto”",
        "minutes": "min walking", "filter": "Filter",
        "evening": "This evening", "evening_count": "that are: open in the evening of",
        "location": "Use my location", "position": "from your position",
        "refused": "You did not share your location. Type a street, an address or a postcode instead.",
        "print": "Print this list",
    },
}
#: English words that must not stand on a Dutch page (and the other way round).
ELSEWHERE = {"nl": ("Nearest first", "Meeting places", "walking", "Search"),
             "en": ("Dichtstbij", "Ontmoetingsplekken", "te voet", "Zoeken")}


class Journey:
    def __init__(self, page, base: str, lang: str, size: str, out: Path):
        self.page, self.base, self.lang, self.size, self.out = page, base, lang, size, out
        self.words = WORDS[lang]

    def shot(self, step: str) -> None:
        path = self.out / f"{step}-{self.lang}-{self.size}.png"
        self.page.screenshot(path=str(path))
        SHOTS.mkdir(exist_ok=True)
        shutil.copy(path, SHOTS / path.name)

    def main_text(self) -> str:
        text = self.page.locator("main").inner_text()
        for foreign in ELSEWHERE[self.lang]:
            assert foreign not in text, (foreign, self.page.url)
        return text

    def search(self, text: str) -> None:
        box = self.page.get_by_label(self.words["box"])
        box.fill(text)
        with self.page.expect_navigation():
            self.page.get_by_role("button", name=self.words["search"], exact=True).click()

    def results_first(self) -> list[str]:
        """The list's names; on a phone the count and the first place show on the first
        screen, and the filter drawer is closed."""
        assert not self.page.locator("details.drawer").evaluate("d => d.open")
        names = self.page.locator("li.place h2 a").all_inner_texts()
        assert names
        first = self.page.locator("li.place").first.locator("h2")
        box = first.bounding_box()
        assert box["y"] + box["height"] <= SIZES[self.size]["height"]
        return names


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("lang", LOCALES)
def test_a_resident_finds_a_place_tonight(browser, demo_server, tmp_path, lang, size):  # noqa: F811
    with _resident(browser, size, locale=LOCALES[lang], is_mobile=size == "phone",
                   has_touch=size == "phone", geolocation=INSIDE) as (context, page):
        j = Journey(page, demo_server, lang, size, tmp_path)
        w = j.words
        page.goto(demo_server + "/", wait_until="networkidle")
        assert page.locator("html").get_attribute("lang") == lang
        assert page.locator("main h1").inner_text() == w["welcome"]
        j.shot("1-home")

        j.search("Annankatu")  # a street of the demo
        assert w["street"] in j.main_text()
        names = j.results_first()
        assert "Avoin olohuone" in names
        minutes = [float(t.split()[0]) for t in
                   page.locator("li.place .minutes strong").all_inner_texts()]
        assert minutes == sorted(minutes)
        assert w["minutes"] in page.locator("li.place .minutes").first.inner_text()
        j.shot("2-street")

        page.get_by_role("link", name=w["evening"]).click()  # one tap: open this evening
        page.wait_for_url("**when=tonight**")
        count = page.locator("#results p.count").inner_text()
        assert w["evening_count"] in count and "18:00-22:00" in count
        assert w["street"] in j.main_text()
        j.shot("3-this-evening")

        j.search("00100")  # a postcode
        assert w["postcode"] in j.main_text()
        j.results_first()
        j.shot("4-postcode")

        j.search("Kansaliskirjasto")  # a place name, misspelled
        assert w["typo"] in j.main_text()
        assert j.results_first() == ["Kansalliskirjasto"]
        j.shot("5-typo")

        context.grant_permissions(["geolocation"])  # "use my location", allowed
        page.get_by_role("button", name=w["location"]).click()
        # the form already carries empty lon= and lat= fields: wait for a real position
        page.wait_for_url(re.compile(r"/places\?.*\blon=-?\d"))
        assert w["position"] in j.main_text()
        assert j.results_first()
        # "this evening" was chosen above and stays chosen through the searches since
        assert w["evening_count"] in page.locator("#results p.count").inner_text()
        assert page.locator('input[name="lon"]:visible').count() == 0
        j.shot("6-my-location")

        context.clear_permissions()  # and refused: a sentence, and the box to type in
        page.goto(demo_server + "/", wait_until="networkidle")
        page.get_by_role("button", name=w["location"]).click()
        status = page.locator(".location-status")
        status.wait_for(state="visible")
        assert status.inner_text() == w["refused"]
        assert page.evaluate("document.activeElement.name") == "q"
        j.shot("7-refused")

        # a link shared on social media, with the platform's tracking parameter
        shared = f"{demo_server}/places?q=Annankatu&fbclid=IwAR2xYz_shared&utm_source=facebook"
        assert page.goto(shared, wait_until="networkidle").status == 200
        assert w["street"] in j.main_text()
        assert "Avoin olohuone" in j.results_first()
        j.shot("8-shared-link")

        # the printed list: the places, without the search form, buttons and menus
        page.get_by_role("button", name=w["print"]).wait_for()
        page.emulate_media(media="print")
        assert not page.get_by_label(w["box"]).is_visible()
        assert not page.locator("header.site nav").first.is_visible()
        assert page.locator("li.place").first.is_visible()
        j.shot("9-print")
        if size == "laptop":  # the paper is the same at both sizes
            _printed_list(page, tmp_path / f"list-{lang}.pdf", names, w)
        page.emulate_media(media="screen")


def _printed_list(page, path: Path, names: list[str], w: dict) -> None:
    from pypdf import PdfReader

    page.pdf(path=str(path), format="A4")
    text = " ".join(p.extract_text() for p in PdfReader(str(path)).pages)
    assert w["street"].split(" (")[0] in text.replace("\n", " ")
    for name in names[:3]:
        assert name in text
    for hidden in (w["box"], w["print"], w["filter"]):
        assert hidden not in text
