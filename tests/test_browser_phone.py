"""Phone first, in a real Chromium at 375x740 (and 1366x900 where the two differ): results
before the filters, which wait closed in a drawer; touch targets of at least 44x44 CSS px;
a map that is usable on a phone (legend folded, popups inside the screen, a tap opens a
marker's popup) and place pages that show their map. Screenshots go to the test's folder."""

from __future__ import annotations

import json
from contextlib import contextmanager
from urllib.request import urlopen

import pytest

from test_browser import _page, browser  # noqa: F401  (the fixture is used by name)
from test_browser_search import SIZES, _shot, demo_server  # noqa: F401

from buurtkaart.maps import TILE_URL

pytestmark = pytest.mark.browser

TILES = TILE_URL.split("{")[0]  # the basemap's server: blocked here, the one allowed host


@contextmanager
def _resident(browser, size: str, **kw):  # noqa: F811
    """A page at one of :data:`SIZES`; no script error, and no request leaves the machine
    except for basemap tiles (aborted: the map is drawn without them)."""
    context, page, outside, errors = _page(browser, viewport=SIZES[size], **kw)
    yield context, page
    assert errors == []
    assert [u for u in outside if not u.startswith(TILES)] == []
    context.close()

#: Every interactive element of the page that is smaller than 44x44 CSS px, as
#: "tag.class 'text' WxH". A checkbox or radio button is measured together with its label
#: (tapping the label ticks it). Not measured, each for a reason:
#: - a link inside a sentence (words around it in the same block): WCAG 2.5.5 exempts
#:   inline targets, whose size the line of text sets;
#: - elements that are not shown (hidden, or parked off screen like the skip links);
#: - the circle markers on a map: their size is their meaning (a position), a larger
#:   circle would hide its neighbours; a tap on them is tested below and the keyboard
#:   reaches them (test_browser_axe.py).
SMALL_TARGETS = r"""() => {
  const letters = /\p{L}/u;
  const bad = [];
  const selector = 'a[href], button, input:not([type=hidden]), select, textarea, summary, '
                 + '[tabindex]:not([tabindex="-1"])';
  for (const el of document.querySelectorAll(selector)) {
    if (el.matches('path.bk-place, path.bk-model-marker')) continue;
    let target = el;
    if (el.matches('input[type=checkbox], input[type=radio]') && el.closest('label')) {
      target = el.closest('label');
    }
    const box = target.getBoundingClientRect();
    const style = getComputedStyle(target);
    if (box.width === 0 || box.height === 0 || style.visibility === 'hidden' || box.right <= 0
        || el.closest('[hidden]')) continue;
    if (el.tagName === 'A' && style.display === 'inline') {
      let block = el.parentElement;
      while (block && getComputedStyle(block).display === 'inline') block = block.parentElement;
      const rest = block.cloneNode(true);
      rest.querySelectorAll('a, button, input, select').forEach(x => x.remove());
      if (letters.test(rest.textContent)) continue;  // a link in a sentence
    }
    if (box.width < 43.5 || box.height < 43.5) {
      const text = (el.innerText || el.value || el.getAttribute('aria-label') || el.name || '')
        .trim().slice(0, 30);
      bad.push(`${el.tagName.toLowerCase()}.${target.className} '${text}' `
               + `${Math.round(box.width)}x${Math.round(box.height)}`);
    }
  }
  return bad;
}"""


@pytest.fixture(scope="module")
def demo_ids(demo_server):  # noqa: F811
    """A place with activities, an activity at a place and a neighbourhood of the demo."""
    with urlopen(f"{demo_server}/api/places") as resp:
        places = json.load(resp)["features"]
    with urlopen(f"{demo_server}/api/activities") as resp:
        activities = json.load(resp)["features"]
    with urlopen(f"{demo_server}/api/neighbourhoods") as resp:
        hoods = json.load(resp)["features"]
    activity = next(a for a in activities if a["properties"].get("place_id"))
    return {"place": activity["properties"]["place_id"], "activity": activity["id"],
            "neighbourhood": hoods[0]["properties"]["code"], "places": len(places)}


def public_pages(ids: dict) -> dict[str, str]:
    """Every public page a resident can reach, by a short name."""
    return {
        "home": "/", "places": "/places", "search": "/places?q=Annankatu&free=true",
        "place": f"/places/{ids['place']}", "activities": "/activities",
        "activity": f"/activities/{ids['activity']}", "map": "/kaart", "map-frame": "/kaart/frame",
        "place-map-frame": f"/places/{ids['place']}/kaart",
        "neighbourhoods": "/neighbourhoods", "neighbourhood": f"/neighbourhoods/{ids['neighbourhood']}",
        "outreach": "/outreach", "scenario": "/scenario", "report": "/rapport/Helsinki",
        "api": "/api/docs", "login": "/login",
        "error": "/places/987654321", "invalid": "/places?day=xx&q=koffie",
    }


def test_touch_targets_are_44_px_on_a_phone(browser, demo_server, demo_ids, tmp_path):  # noqa: F811
    small = {}
    with _resident(browser, "phone", locale="nl-BE", is_mobile=True, has_touch=True) as (_, page):
        for name, path in public_pages(demo_ids).items():
            page.goto(demo_server + path, wait_until="networkidle")
            if name == "map":  # the frame's controls too
                page.frame_locator("#map-frame").locator(".leaflet-container").wait_for()
            for details in page.locator("details").all():  # what a drawer holds counts too
                details.evaluate("d => d.open = true")
            found = page.evaluate(SMALL_TARGETS)
            for frame in page.frames[1:]:
                found += [f"(frame) {t}" for t in frame.evaluate(SMALL_TARGETS)]
            if found:
                small[name] = found
            _shot(page, tmp_path, f"targets-{name}")
    assert small == {}


@pytest.mark.parametrize("size", SIZES)
def test_results_come_first_and_the_drawer_stays_closed(browser, demo_server, tmp_path, size):  # noqa: F811
    with _resident(browser, size, locale="nl-BE") as (_, page):
        page.goto(demo_server + "/")
        page.get_by_label("Straat, postcode, buurt of plek").fill("Annankatu")
        page.get_by_label("gratis").check()
        with page.expect_navigation():
            page.get_by_role("button", name="Zoeken").click()
        drawer = page.locator("details.drawer")
        assert drawer.locator("summary").inner_text() == "Filter (1 voorwaarde)"
        assert not drawer.evaluate("d => d.open")
        count = page.locator("#results p.count")
        assert count.inner_text().startswith("10 plekken die passen bij: gratis")
        first = page.locator("li.place").first
        _shot(page, tmp_path, f"first-screen-{size}")
        for seen in (count, first.locator("h2"), first.locator(".minutes")):
            box = seen.bounding_box()
            assert box["y"] + box["height"] <= SIZES[size]["height"], seen
        # the drawer opens on a tap and holds the conditions, still closed after the next search
        drawer.locator("summary").click()
        assert page.get_by_role("checkbox", name="gratis").last.is_checked()
        page.locator("#results").scroll_into_view_if_needed()
        page.get_by_role("link", name="Vanavond").click()
        page.wait_for_url("**when=tonight**")
        assert not page.locator("details.drawer").evaluate("d => d.open")


def _markers(frame) -> list[dict]:
    return frame.locator("path.bk-place").evaluate_all(
        "els => els.map(e => { const b = e.getBoundingClientRect();"
        " return {x: b.x + b.width / 2, y: b.y + b.height / 2}; })")


@pytest.mark.parametrize("size", SIZES)
def test_the_map_on_a_phone(browser, demo_server, demo_ids, tmp_path, size):  # noqa: F811
    phone = size == "phone"
    with _resident(browser, size, locale="nl-BE", is_mobile=phone, has_touch=True) as (_, page):
        page.goto(demo_server + "/kaart", wait_until="networkidle")
        frame_el = page.locator("#map-frame")
        assert frame_el.get_attribute("title") == "Kaart van ontmoetingsplekken en wijken"
        frame = page.frame_locator("#map-frame")
        legend = frame.locator("#bk-legend")
        legend.wait_for()
        assert frame.locator("html").get_attribute("lang") == "nl"
        # folded on a phone (a tap opens it), open on a laptop
        assert legend.evaluate("d => d.open") is not phone
        _shot(page, tmp_path, f"map-{size}")
        if phone:
            legend.locator("summary").tap()
            assert legend.evaluate("d => d.open")
            assert legend.get_by_text("Ontmoetingsplekken").is_visible()
            _shot(page, tmp_path, f"map-legend-{size}")
        # a tap on the marker furthest right, left and up opens its popup, inside the screen
        width = page.viewport_size["width"]
        points = _markers(frame)
        assert len(points) == demo_ids["places"]
        for pick in (max(points, key=lambda p: p["x"]), min(points, key=lambda p: p["x"]),
                     min(points, key=lambda p: p["y"])):
            page.goto(demo_server + "/kaart", wait_until="networkidle")
            frame.locator("path.bk-place").first.wait_for()
            now = _markers(frame)
            i = min(range(len(now)), key=lambda k: abs(now[k]["x"] - pick["x"])
                    + abs(now[k]["y"] - pick["y"]))
            marker = frame.locator("path.bk-place").nth(i)
            if phone:
                marker.tap()
            else:
                marker.click()
            popup = frame.locator(".leaflet-popup")
            popup.wait_for()
            page.wait_for_timeout(400)  # the map pans the popup into view
            outer, box = frame_el.bounding_box(), popup.bounding_box()
            assert outer["x"] <= box["x"] and box["x"] + box["width"] <= outer["x"] + outer["width"]
            assert box["x"] + box["width"] <= width and box["y"] >= outer["y"]
            assert popup.locator("h3").inner_text() == marker.get_attribute("aria-label")
            assert popup.get_by_role("link", name="Details").is_visible()
        _shot(page, tmp_path, f"map-popup-{size}")


def test_a_place_page_shows_its_map_on_a_phone(browser, demo_server, demo_ids, tmp_path):  # noqa: F811
    with _resident(browser, "phone", locale="en-GB", is_mobile=True, has_touch=True) as (_, page):
        page.goto(f"{demo_server}/places/{demo_ids['place']}", wait_until="networkidle")
        name = page.locator("main h1").inner_text().replace(" sample", "").strip()
        iframe = page.locator("iframe.place-map")
        iframe.scroll_into_view_if_needed()
        assert iframe.is_visible() and iframe.bounding_box()["height"] >= 200
        assert iframe.get_attribute("title").startswith("Map of ")
        frame = page.frame_locator("iframe.place-map")
        marker = frame.locator("path.bk-place")
        marker.wait_for()
        assert frame.locator("html").get_attribute("lang") == "en"
        assert frame.locator("title").inner_text() == iframe.get_attribute("title")
        marker.tap()
        assert frame.locator(".leaflet-popup h3").inner_text() in name
        _shot(page, tmp_path, "place-map-phone")
