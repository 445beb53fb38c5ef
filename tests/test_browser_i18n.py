"""Dutch and English in a real Chromium, on a laptop and a phone screen.

Each page is opened as a new visitor whose browser asks for Dutch or English; the test
asserts on the text a person sees and saves a screenshot under the test's tmp output
(a few are also copied to /tmp/shots-i18n/ for review).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from test_browser import _page, browser, server  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser

SIZES = {"laptop": {"width": 1366, "height": 900}, "phone": {"width": 375, "height": 740}}
SHOTS = Path("/tmp/shots-i18n")

# path -> (what a Dutch reader sees, what an English reader sees)
PAGES = {
    "home": ("/", ("Waar kan je andere mensen ontmoeten?", "ontmoetingsplekken"),
             ("Where can you meet other people?", "meeting places")),
    "places": ("/places", ("Ontmoetingsplekken", "3 plekken", "Open:"),
               ("Meeting places", "3 places", "Open:")),
    "place": ("/places/{pid}", ("Hoe kom je er?", "Plan je route", "di–do 13:00–22:00",
                                "elke woensdag 19:00–21:00"),
              ("How to get there", "Plan a route", "Tue–Thu 13:00–22:00",
               "every Wednesday 19:00–21:00")),
    "map": ("/kaart", ("Kaart van ontmoetingsplekken", "Wat past bij jou"),
            ("Map of meeting places", "What fits you")),
    "neighbourhoods": ("/neighbourhoods", ("Wijken", "Gemeente", "4 wijken"),
                       ("Neighbourhoods", "Municipality", "4 neighbourhoods")),
    "shared-link": ("/places?free=true&fbclid=IwAR2xYz&utm_source=facebook",
                    ("1 plek die past bij: gratis", "Inloop Centrum"),
                    ("1 place that is: free", "Inloop Centrum")),
}
LOCALES = {"nl": "nl-BE", "en": "en-GB"}


@pytest.fixture(scope="module")
def place_id(server):  # noqa: F811
    import json
    from urllib.request import urlopen

    base, _, _ = server
    with urlopen(f"{base}/api/places") as resp:
        features = json.load(resp)["features"]
    return next(f["id"] for f in features if f["properties"]["name"] == "Buurthuis Noord")


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("lang", LOCALES)
@pytest.mark.parametrize("name", PAGES)
def test_pages_speak_the_visitors_language(browser, server, place_id, tmp_path, name, lang,  # noqa: F811
                                           size):
    base, _, _ = server
    path, dutch, english = PAGES[name]
    context, page, outside, errors = _page(browser, viewport=SIZES[size],
                                           locale=LOCALES[lang], is_mobile=size == "phone")
    page.goto(base + path.format(pid=place_id), wait_until="networkidle")
    assert page.locator("html").get_attribute("lang") == lang
    text = page.locator("body").inner_text()
    for words in (dutch if lang == "nl" else english):
        assert words in text, (name, lang, words)
    if name in ("home", "places"):  # no travel network here: nothing asks for a position
        assert not page.locator(".privacy").is_visible()
    # the switch offers the other language for this same page
    other = "en" if lang == "nl" else "nl"
    switch = page.locator(f'nav.languages a[lang="{other}"]')
    assert switch.is_visible()
    if name == "map":
        frame = page.frame_locator("#map-frame")
        legend = frame.locator("#bk-legend")
        legend.wait_for(timeout=20000)
        assert ("Legende" if lang == "nl" else "Legend") in legend.inner_text()
    shot = tmp_path / f"{name}-{lang}-{size}.png"
    page.screenshot(path=str(shot), full_page=size == "laptop")
    SHOTS.mkdir(exist_ok=True)
    shutil.copy(shot, SHOTS / shot.name)
    assert errors == []
    context.close()


def test_switching_language_keeps_the_page_and_sticks(browser, server, tmp_path):  # noqa: F811
    base, _, _ = server
    context, page, _outside, errors = _page(browser, locale="nl-BE",
                                            viewport=SIZES["phone"], is_mobile=True)
    page.goto(f"{base}/places?free=true&fbclid=abc", wait_until="networkidle")
    assert "1 plek die past bij: gratis" in page.locator("body").inner_text()
    page.locator('nav.languages a[lang="en"]').click()
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("/places?free=true&fbclid=abc&lang=en")
    assert "1 place that is: free" in page.locator("body").inner_text()
    page.goto(f"{base}/activities", wait_until="networkidle")  # the cookie remembers
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("main h1").inner_text() == "Activities"
    assert errors == []
    context.close()


def test_a_bad_value_gives_the_form_back_in_dutch(browser, server, tmp_path):  # noqa: F811
    base, _, _ = server
    context, page, _outside, errors = _page(browser, locale="nl-BE")
    resp = page.goto(f"{base}/places?day=xx&q=koffie", wait_until="networkidle")
    assert resp.status == 400
    assert "We kennen de dag “xx” niet" in page.locator("main").inner_text()
    assert page.locator('input[name="q"]').input_value() == "koffie"
    page.screenshot(path=str(tmp_path / "invalid-nl.png"))
    shutil.copy(tmp_path / "invalid-nl.png", SHOTS / "invalid-nl-laptop.png")
    assert errors == []
    context.close()
