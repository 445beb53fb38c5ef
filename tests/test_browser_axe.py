"""Accessible: axe-core (the copy that the pip package axe-playwright-python bundles, run in
the page, no network) finds no violation on any public page, in Dutch, on a laptop and a
phone; and the keyboard reaches the results list and the places on the map."""

from __future__ import annotations

import pytest

from test_browser import browser  # noqa: F401  (the fixture is used by name)
from test_browser_phone import _resident, demo_ids, public_pages  # noqa: F401
from test_browser_search import SIZES, _shot, demo_server  # noqa: F401

pytestmark = pytest.mark.browser

#: Nothing is excluded: every rule of axe runs on the whole page (the map frames are
#: checked as pages of their own, since axe does not enter frames it was not injected in).
AXE_OPTIONS = {"resultTypes": ["violations"]}


def _violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    found = Axe().run(page, options=AXE_OPTIONS).response["violations"]
    return [f"{v['id']} ({v['impact']}): {v['help']} at "
            + ", ".join(str(n["target"]) for n in v["nodes"][:5]) for v in found]


@pytest.mark.parametrize("size", SIZES)
def test_no_axe_violations_on_public_pages(browser, demo_server, demo_ids, tmp_path, size):  # noqa: F811
    problems = {}
    with _resident(browser, size, locale="nl-BE", is_mobile=size == "phone") as (_, page):
        for name, path in public_pages(demo_ids).items():
            page.goto(demo_server + path, wait_until="networkidle")
            if "frame" in name:
                page.locator("path.bk-place").first.wait_for()
            assert page.locator("html").get_attribute("lang") == "nl"
            found = _violations(page)
            if name == "search":  # the drawer opened: what it holds must pass too
                page.locator("details.drawer summary").click()
                found += _violations(page)
            if found:
                problems[name] = found
            _shot(page, tmp_path, f"axe-{name}-{size}")
    assert problems == {}


@pytest.mark.parametrize("size", SIZES)
def test_the_keyboard_skips_to_the_results(browser, demo_server, size):  # noqa: F811
    with _resident(browser, size, locale="en-GB") as (_, page):
        page.goto(demo_server + "/places?q=Annankatu", wait_until="networkidle")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.textContent") == "Skip to content"
        page.keyboard.press("Tab")
        skip = page.evaluate("document.activeElement.textContent")
        assert skip == "Skip to the results"
        assert page.get_by_role("link", name="Skip to the results").is_visible()  # on focus
        page.keyboard.press("Enter")
        page.keyboard.press("Tab")
        focused = page.evaluate("[document.activeElement.closest('li.place') !== null,"
                                " document.activeElement.textContent]")
        first = page.locator("li.place h2 a").first.inner_text()
        assert focused == [True, first]
        page.keyboard.press("Enter")
        page.wait_for_url("**/places/*")
        assert page.locator("main h1").inner_text().startswith(first)


@pytest.mark.parametrize("size", SIZES)
def test_the_keyboard_reaches_the_places_on_the_map(browser, demo_server, demo_ids, tmp_path,  # noqa: F811
                                                      size):
    with _resident(browser, size, locale="nl-BE") as (_, page):
        page.goto(demo_server + "/kaart", wait_until="networkidle")
        frame = page.frame_locator("#map-frame")
        frame.locator("path.bk-place").first.wait_for()
        names = frame.locator("path.bk-place").evaluate_all(
            "els => els.map(e => e.getAttribute('aria-label'))")
        assert len(names) == demo_ids["places"] and all(names)
        map_frame = next(f for f in page.frames if "/kaart/frame" in f.url)
        reached = []
        for _press in range(120):  # through the page's filters, into the map
            page.keyboard.press("Tab")
            label = map_frame.evaluate(
                "document.hasFocus() && document.activeElement.matches('path.bk-place')"
                " ? document.activeElement.getAttribute('aria-label') : null")
            if label:
                reached.append(label)
                if len(reached) == 2:
                    break
        assert len(reached) == 2 and set(reached) <= set(names)
        assert map_frame.evaluate("document.activeElement.getAttribute('role')") == "button"
        page.keyboard.press("Enter")
        popup = frame.locator(".leaflet-popup")
        popup.wait_for()
        assert popup.locator("h3").inner_text() == reached[-1]
        # focus went into the popup, to its link to the place page
        assert map_frame.evaluate("document.activeElement.textContent") == "Details"
        _shot(page, tmp_path, f"map-keyboard-{size}")
        page.keyboard.press("Escape")
        popup.wait_for(state="detached")
        assert map_frame.evaluate("document.activeElement.getAttribute('aria-label')") \
            == reached[-1]
