"""A resident searches the demo in a real headless Chromium, on a laptop and on a phone:
a street, a postcode, a misspelled place name, suggestions by keyboard, "use my location"
granted, refused and outside the area. Screenshots go to the test's folder."""

from __future__ import annotations

import shutil
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest

from test_browser import _page, browser  # noqa: F401  (the fixture is used by name)

from buurtkaart import create_app

pytestmark = pytest.mark.browser

SIZES = {"laptop": {"width": 1366, "height": 900}, "phone": {"width": 375, "height": 740}}
SHOTS = Path("/tmp/shots-search")
INSIDE = {"latitude": 60.1690, "longitude": 24.9400}  # central Helsinki, in the extract
OUTSIDE = {"latitude": 50.8466, "longitude": 4.3528}  # Brussels


@pytest.fixture(scope="module")
def demo_server(demo_database):
    from werkzeug.serving import make_server

    app = create_app({"DATABASE": str(demo_database), "TESTING": True})
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_port}"
    srv.shutdown()
    thread.join()


@contextmanager
def _resident(browser, size: str, **kw):
    """A page at one of :data:`SIZES`; no script error and no request leaves the machine."""
    context, page, outside, errors = _page(browser, viewport=SIZES[size], **kw)
    yield context, page
    assert not errors and not outside
    context.close()


def _shot(page, tmp_path: Path, name: str, shots: Path = SHOTS) -> None:
    out = tmp_path / f"{name}.png"
    page.screenshot(path=str(out), full_page=False)
    shots.mkdir(exist_ok=True)
    shutil.copy(out, shots / out.name)


def _search(page, base: str, text: str) -> None:
    page.goto(base + "/")
    box = page.get_by_label("Street, postcode, neighbourhood or place")
    box.fill(text)
    with page.expect_navigation():
        box.press("Enter")  # no suggestion chosen: the form itself is sent


def _no_coordinate_boxes(page) -> None:
    for word in ("Longitude", "Latitude"):
        assert page.get_by_label(word).count() == 0
    assert page.locator('input[name="lon"]:visible, input[name="lat"]:visible').count() == 0


@pytest.mark.parametrize("size", SIZES)
def test_a_street_lists_places_by_walking_time(browser, demo_server, tmp_path, size):  # noqa: F811
    with _resident(browser, size) as (_, page):
        _search(page, demo_server, "Annankatu")
        note = page.locator(".search-note").first
        assert "by walking time from Annankatu, Helsinki (street)" in note.inner_text()
        assert page.locator("li.place").first.locator(".minutes").is_visible()
        minutes = [float(t.split()[0])
                   for t in page.locator("li.place .minutes strong").all_inner_texts()]
        assert minutes == sorted(minutes) and len(minutes) >= 5
        assert page.get_by_role("link", name="Avoin olohuone").count() == 1
        _no_coordinate_boxes(page)
        _shot(page, tmp_path, f"street-{size}")


@pytest.mark.parametrize("size", SIZES)
def test_a_postcode_and_a_misspelled_place(browser, demo_server, tmp_path, size):  # noqa: F811
    with _resident(browser, size) as (_, page):
        _search(page, demo_server, "00100")
        assert "from 00100, Helsinki (postcode)" in page.locator(".search-note").first.inner_text()
        _search(page, demo_server, "Kansaliskirjasto")
        assert "Showing results for “Kansalliskirjasto”" in page.locator("main").inner_text()
        names = page.locator("li.place h2 a").all_inner_texts()
        assert names and set(names) == {"Kansalliskirjasto"}
        _shot(page, tmp_path, f"typo-{size}")
        _search(page, demo_server, "qqqzzz")
        text = page.locator("main").inner_text()
        assert "Nothing was found for “qqqzzz”" in text and "try a street name" in text


@pytest.mark.parametrize("size", SIZES)
def test_suggestions_while_typing_by_keyboard(browser, demo_server, tmp_path, size):  # noqa: F811
    with _resident(browser, size) as (_, page):
        page.goto(demo_server + "/places")
        box = page.get_by_role("combobox")
        assert box.get_attribute("aria-autocomplete") == "list"
        box.press_sequentially("annankatu 1", delay=30)
        page.get_by_role("listbox").wait_for(state="visible")
        assert box.get_attribute("aria-expanded") == "true"
        options = page.get_by_role("option")
        assert "Annankatu 1" in options.first.inner_text()
        _shot(page, tmp_path, f"suggestions-{size}")
        box.press("ArrowDown")
        chosen = options.first.locator(".label").inner_text()
        assert options.first.get_attribute("aria-selected") == "true"
        assert box.get_attribute("aria-activedescendant") == options.first.get_attribute("id")
        box.press("Enter")
        page.wait_for_url("**/places?**at=address**")
        assert f"from {chosen}" in page.locator(".search-note").first.inner_text()


@pytest.mark.parametrize("size", SIZES)
def test_use_my_location_granted(browser, demo_server, tmp_path, size):  # noqa: F811
    with _resident(browser, size, geolocation=INSIDE) as (context, page):
        context.grant_permissions(["geolocation"])
        page.goto(demo_server + "/")
        button = page.get_by_role("button", name="Use my location")
        assert button.is_visible()
        assert page.get_by_text("Your location is only used for this search").is_visible()
        _shot(page, tmp_path, f"home-{size}")
        button.click()
        page.wait_for_url("**/places?**lon=**")
        note = page.locator(".search-note").first.inner_text()
        assert "by walking time from your position" in note
        assert page.locator("li.place .minutes").count() >= 5
        _no_coordinate_boxes(page)
        _shot(page, tmp_path, f"location-{size}")


@pytest.mark.parametrize("size", SIZES)
def test_use_my_location_refused(browser, demo_server, tmp_path, size):  # noqa: F811
    with _resident(browser, size, geolocation=INSIDE) as (context, page):
        context.clear_permissions()
        page.goto(demo_server + "/places")
        page.get_by_role("button", name="Use my location").click()
        status = page.locator(".location-status")
        status.wait_for(state="visible")
        assert "Type a street, an address or a postcode instead." in status.inner_text()
        assert page.evaluate("document.activeElement.name") == "q"
        assert page.url.endswith("/places")
        _no_coordinate_boxes(page)
        _shot(page, tmp_path, f"refused-{size}")


@pytest.mark.parametrize("size", SIZES)
def test_a_position_outside_the_area(browser, demo_server, tmp_path, size):  # noqa: F811
    with _resident(browser, size, geolocation=OUTSIDE) as (context, page):
        context.grant_permissions(["geolocation"])
        page.goto(demo_server + "/")
        with page.expect_response(lambda r: "/places?" in r.url) as resp:
            page.get_by_role("button", name="Use my location").click()
        assert resp.value.status == 200
        page.wait_for_load_state()
        assert "outside the area buurtkaart covers" in page.get_by_role("alert").inner_text()
        assert "metres" not in page.locator("main").inner_text()
        assert page.get_by_label("Street, postcode, neighbourhood or place").is_visible()
        _no_coordinate_boxes(page)
        _shot(page, tmp_path, f"outside-{size}")
