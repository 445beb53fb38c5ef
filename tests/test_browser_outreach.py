"""The community worker's journey in a real Chromium, in Dutch and English, on a laptop
(1366x900) and a phone (375x740): from the home page to the outreach ranking, the top
neighbourhood, its "on the map" link, which zooms to and outlines it, and the printed guide
of that neighbourhood (a PDF whose text is read back).

Screenshots of every step go to the test's folder and to /tmp/shots-outreach/."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from pypdf import PdfReader

from test_browser import _page, browser  # noqa: F401  (the fixture is used by name)
from test_browser_search import demo_server  # noqa: F401  (the fixture is used by name)

from buurtkaart.maps import TILE_URL

pytestmark = pytest.mark.browser

SIZES = {"laptop": {"width": 1366, "height": 900}, "phone": {"width": 375, "height": 740}}
LOCALES = {"nl": "nl-BE", "en": "en-GB"}
SHOTS = Path("/tmp/shots-outreach")
WORDS = {  # what the worker reads and clicks, per language
    "nl": {"nav": "Noden en bereik", "title": "Waar is de nood hoog en het bereik laag?",
           "formula": "Score = nood × gebrek aan bereik.", "on_map": "op de kaart",
           "zoomed": "Ingezoomd op", "score": "Score", "csv": "Download als CSV",
           "in_hood": "in deze wijk", "guide": "Druk een gids af voor bewoners (pdf)",
           "guide_title": "Ontmoetingsplaatsen in en rond %s"},
    "en": {"nav": "Outreach", "title": "Where is need high and access low?",
           "formula": "Score = need × lack of access.", "on_map": "on the map",
           "zoomed": "Zoomed to", "score": "Score", "csv": "Download as CSV",
           "in_hood": "in this neighbourhood", "guide": "Print a guide for residents (PDF)",
           "guide_title": "Meeting places in and around %s"},
}


def _shot(page, tmp_path: Path, name: str, full: bool = False) -> None:
    out = tmp_path / f"{name}.png"
    page.screenshot(path=str(out), full_page=full)
    SHOTS.mkdir(exist_ok=True)
    shutil.copy(out, SHOTS / out.name)


def _no_sideways_scroll(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], width


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("lang", LOCALES)
def test_worker_ranks_opens_the_top_neighbourhood_and_sees_it_on_the_map(
        browser, demo_server, tmp_path, lang, size):  # noqa: F811
    words = WORDS[lang]
    context, page, outside, errors = _page(browser, viewport=SIZES[size], locale=LOCALES[lang],
                                           is_mobile=size == "phone")
    page.goto(demo_server + "/")
    with page.expect_navigation():
        page.get_by_role("link", name=words["nav"], exact=True).click()
    page.wait_for_selector("table.outreach-table tbody tr", timeout=60000)
    body = page.locator("main").inner_text()
    assert words["title"] in body and words["formula"] in body
    assert "need_normalised" not in body and "share_within" not in body
    status = page.locator("p.busy[role=status]")
    assert status.get_attribute("aria-live") == "polite"
    frame = page.frame_locator("#map-frame")
    frame.locator("#bk-legend").wait_for(timeout=60000)
    page.wait_for_function("document.querySelector('p.busy').hidden === true", timeout=60000)
    _no_sideways_scroll(page)
    first = page.locator("table.outreach-table tbody tr").first
    top_name = first.locator("td.name a").inner_text()
    cells = first.locator("td")
    if size == "phone":  # cards: every value shows with its column's name
        for i in range(cells.count()):
            cell = cells.nth(i)
            label = cell.get_attribute("data-label")
            before = cell.evaluate("c => getComputedStyle(c, '::before').content")
            assert label and label in before, (label, before)
            assert cell.is_visible() and cell.inner_text().strip()
        assert page.locator("table.outreach-table thead").bounding_box()["x"] < 0
    else:  # a table that fits the laptop screen, all nine columns visible
        assert page.locator("table.outreach-table thead th").count() == 9
        box = page.locator("table.outreach-table").bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= SIZES[size]["width"]
        assert page.get_by_role("columnheader", name=words["score"]).is_visible()
    assert page.get_by_role("link", name=words["csv"]).last.is_visible()
    page.locator("#ranking").scroll_into_view_if_needed()
    _shot(page, tmp_path, f"1-outreach-{lang}-{size}", full=size == "laptop")

    with page.expect_navigation():
        first.locator("td.name a").click()
    assert top_name in page.locator("h1").inner_text()
    _shot(page, tmp_path, f"2-neighbourhood-{lang}-{size}")

    with page.expect_navigation():
        page.get_by_role("link", name=words["on_map"], exact=True).first.click()
    assert words["zoomed"] in page.locator("main").inner_text()
    frame = page.frame_locator("#map-frame")
    outline = frame.locator("path.bk-highlight")
    outline.wait_for(timeout=60000)
    banner = frame.locator(".bk-highlight-banner").inner_text()
    assert top_name in banner and words["in_hood"] in banner
    legend = frame.locator("#bk-legend")
    if legend.get_attribute("open") is None:  # folded on a phone: the worker opens it
        legend.locator("summary").click()
    assert top_name in legend.inner_text()
    # zoomed to it: the outline fills a good part of the map, not a speck in the city
    shape = outline.bounding_box()
    view = page.locator("#map-frame").bounding_box()
    assert shape["width"] > view["width"] * 0.2 or shape["height"] > view["height"] * 0.2
    page.locator("#map-frame").scroll_into_view_if_needed()
    _shot(page, tmp_path, f"3-map-{lang}-{size}")

    # back on the neighbourhood page, the worker prints its guide for residents
    page.go_back()
    assert top_name in page.locator("h1").inner_text()
    link = page.get_by_role("link", name=words["guide"])
    link.scroll_into_view_if_needed()
    with page.expect_response(lambda r: "/gids/" in r.url and ".pdf" in r.url) as answer:
        link.click()
    assert answer.value.status == 200
    pdf = page.context.request.get(answer.value.url)
    assert pdf.headers["content-type"] == "application/pdf"
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.body())).pages)
                    .split())
    assert text.startswith(words["guide_title"] % top_name), text[:200]
    assert not errors
    # only http(s) leaves the machine (Chromium's PDF viewer loads its own chrome:// files)
    assert all(url.startswith(TILE_URL.split("{")[0]) for url in outside
               if url.startswith(("http:", "https:"))), outside
    context.close()


def test_the_map_shows_unknown_hatched_and_no_data_grey(browser, demo_database,  # noqa: F811
                                                        tmp_path):
    """A confidential value is hatched, a neighbourhood without a value is plain light grey,
    and the legend shows both swatches."""
    import sqlite3

    from test_browser import serving

    from buurtkaart import create_app
    from buurtkaart.mapstyle import NO_DATA_COLOUR

    path = tmp_path / "unknown.db"
    shutil.copy(demo_database, path)
    with sqlite3.connect(path) as con:
        con.execute("UPDATE indicators SET value = NULL, note = 'confidential' WHERE "
                    "indicator = 'renter_share' AND neighbourhood_code = 'HEL01'")
        con.execute("DELETE FROM indicators WHERE indicator = 'renter_share' AND "
                    "neighbourhood_code = 'HEL02'")
    app = create_app({"DATABASE": str(path), "TESTING": True})
    with serving(app) as base:
        context, page, _outside, errors = _page(browser, viewport=SIZES["laptop"])
        page.goto(base + "/kaart?indicator=renter_share&neighbourhood=HEL01")
        frame = page.frame_locator("#map-frame")
        frame.locator("#bk-legend").wait_for(timeout=60000)
        polygons = frame.locator("path.bk-neighbourhood")
        polygons.first.wait_for(timeout=60000)
        fills = [polygons.nth(i).get_attribute("fill") for i in range(polygons.count())]
        assert fills.count("url(#bk-unknown-hatch)") == 1
        assert fills.count(NO_DATA_COLOUR) == 1
        assert frame.locator("pattern#bk-unknown-hatch").count() == 1
        legend = frame.locator("#bk-legend").inner_text()
        assert "unknown (not published, e.g. confidential)" in legend
        assert "no data (no residents or no figure)" in legend
        _shot(page, tmp_path, "4-unknown-hatched-en-laptop")
        assert not errors
        context.close()
