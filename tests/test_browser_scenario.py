"""A municipality official tests a scenario in a real headless Chromium, on a laptop and on
a phone, in Dutch and in English: clicks a proposed place onto the map, switches a place
off, reads the gain and loss and checks them against POST /api/scenario, sees that the page
is working while it calculates, saves, reopens and compares two scenarios. Suggested
locations come with their explanation. Screenshots go to the test's folder."""

from __future__ import annotations

import re
import shutil
import threading
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from test_browser import _page, browser  # noqa: F401  (the fixture is used by name)
from test_browser_search import _shot as search_shot

from buurtkaart import accounts, create_app, store

pytestmark = pytest.mark.browser

SIZES = {"laptop": {"width": 1366, "height": 900}, "phone": {"width": 375, "height": 740}}
SHOTS = Path("/tmp/shots-scenario")
PASSWORD = "correct horse battery"
SWITCHED_OFF = "Rikhardinkadun kirjasto"
NEW_LAT, NEW_LON = 60.1664, 24.9353  # in Siltasaari, where many now walk more than 5 minutes
WORDS = {
    "en": {"calculate": "Calculate", "save": "Save scenario", "compare": "Compare A and B",
           "gain": r"([\d,]+) residents? gains? a matching place",
           "lose": r"([\d,]+) residents? loses? one", "working": "Calculating",
           "suggest": "Suggest 3 locations", "asked": "3 locations asked"},
    "nl": {"calculate": "Berekenen", "save": "Scenario bewaren", "compare": "A en B vergelijken",
           "gain": r"([\d.]+) inwoners? (?:krijgt|krijgen) een passende plek",
           "lose": r"([\d.]+) inwoners? (?:verliest|verliezen) er een", "working": "Bezig met rekenen",
           "suggest": "Stel 3 plekken voor", "asked": "3 plekken gevraagd"},
}


@pytest.fixture(scope="module")
def server(demo_database, tmp_path_factory):
    from werkzeug.serving import make_server

    path = tmp_path_factory.mktemp("scenario-browser") / "demo.db"
    shutil.copy(demo_database, path)
    db = store.connect(path)
    from buurtkaart.records import validate_organisation

    org, _ = validate_organisation({"name": "Stad Planning"})
    store.save_directory(db, organisations=[org])
    accounts.create_user(db, "planner@stad.be", PASSWORD, organisation_uid=org["uid"])
    removed = db.execute("SELECT id FROM places WHERE name = ?", [SWITCHED_OFF]).fetchone()[0]
    db.conn.close()
    app = create_app({"DATABASE": str(path), "TESTING": True})
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_port}", removed
    srv.shutdown()
    thread.join()


@contextmanager
def _official(browser, size: str, lang: str):  # noqa: F811
    context, page, outside, errors = _page(browser, viewport=SIZES[size],
                                           locale="nl-BE" if lang == "nl" else "en-GB")
    yield context, page
    # no script error; nothing but basemap tiles tried to leave the machine (blocked)
    assert not errors
    assert all(urlsplit(u).hostname == "tile.openstreetmap.org" for u in outside), outside
    context.close()


def _shot(page, tmp_path: Path, name: str) -> None:
    search_shot(page, tmp_path, name, SHOTS)


def _number(text: str) -> int:
    return int(re.sub(r"\D", "", text))


def _read_totals(page, lang: str) -> tuple[int, int]:
    total = page.locator("#scenario-total")
    total.scroll_into_view_if_needed()
    assert total.is_visible()
    text = total.inner_text()
    return (_number(re.search(WORDS[lang]["gain"], text).group(1)),
            _number(re.search(WORDS[lang]["lose"], text).group(1)))


def _calculate(page, lang: str) -> None:
    """Press Calculate: the page says at once that it is working (shown first with the
    answer held back, by a listener that stops this one sending, so nothing navigates)."""
    page.evaluate("""() => { window.bkHold = e => e.preventDefault();
        document.querySelector("form.scenario-form").addEventListener("submit", window.bkHold); }""")
    button = page.get_by_role("button", name=WORDS[lang]["calculate"])
    button.click()
    working = page.locator("p.working")
    assert working.is_visible() and WORDS[lang]["working"] in working.inner_text()
    page.evaluate("""() => document.querySelector("form.scenario-form")
        .removeEventListener("submit", window.bkHold)""")
    with page.expect_navigation(timeout=60000):
        button.click()


#: The menu's link to the scenario page.
NAV = {"nl": "Scenario’s", "en": "Scenarios"}


@pytest.mark.parametrize("lang", ["nl", "en"])
@pytest.mark.parametrize("size", SIZES)
def test_an_official_runs_saves_reopens_and_compares_a_scenario(browser, server, tmp_path,  # noqa: F811
                                                                 size, lang):
    base, removed_id = server
    tag = f"{size}-{lang}"
    with _official(browser, size, lang) as (context, page):
        # from the home page, as a new user would: the "Scenarios" link of the menu
        page.goto(f"{base}/")
        with page.expect_navigation():
            page.locator("header.site nav").get_by_role(
                "link", name=NAV[lang], exact=True).click()
        assert page.locator("html").get_attribute("lang") == lang
        page.locator('input[name="minutes"]').first.fill("5")
        frame = page.frame_locator("#scenario-frame")
        box = frame.locator(".leaflet-container")
        box.wait_for()
        frame.locator(".bk-neighbourhood").first.wait_for()
        # click where a new place reaches people who now walk far (found with the map's
        # own projection, so the same spot at every screen size)
        inner = next(f for f in page.frames if "/scenario/frame" in f.url)
        spot = inner.evaluate("""([lat, lon]) => {
            const name = Object.keys(window).find(k => /^map_[0-9a-f]+$/.test(k));
            return window[name].latLngToContainerPoint([lat, lon]); }""", [NEW_LAT, NEW_LON])
        legend = frame.locator("#bk-legend")
        if legend.get_attribute("open") is not None:  # fold the legend away to click there
            legend.locator("summary").click()
        box.click(position={"x": spot["x"], "y": spot["y"]})
        slot = page.locator("fieldset.proposal").first
        assert slot.locator(".picked").inner_text()  # "point chosen on the map"
        slot.locator('input[name="p1_name"]').fill("Buurthuis Noord")
        slot.locator('input[name="p1_model"][value="buddy"]').check()
        page.get_by_label(re.compile(SWITCHED_OFF)).first.check()
        _calculate(page, lang)
        gaining, losing = _read_totals(page, lang)
        lon = float(page.locator('input[name="p1_lon"]').input_value())
        lat = float(page.locator('input[name="p1_lat"]').input_value())
        api = page.request.post(f"{base}/api/scenario", data={
            "mode": "walk", "minutes": 5, "remove": [removed_id],
            "add": [{"lon": lon, "lat": lat, "models": ["buddy"]}]}).json()
        assert (gaining, losing) == (round(api["residents_gaining"]),
                                     round(api["residents_losing"]))
        assert gaining > 0 and losing > 0
        page.locator("#scenario-total").scroll_into_view_if_needed()
        _shot(page, tmp_path, f"result-{tag}")
        page.locator("#scenario-frame").scroll_into_view_if_needed()
        page.frame_locator("#scenario-frame").locator(".leaflet-marker-icon .bk-removed").first.wait_for()
        assert page.frame_locator("#scenario-frame").locator(".leaflet-marker-icon .bk-proposed").count() == 1
        _shot(page, tmp_path, f"map-{tag}")

        # log in, come back to the same scenario and save it
        scenario_url = page.url
        page.goto(f"{base}/login")
        page.locator('input[name="email"]').fill("planner@stad.be")
        page.locator('input[name="password"]').fill(PASSWORD)
        with page.expect_navigation():
            page.locator('input[name="password"]').press("Enter")
        page.goto(scenario_url)
        page.locator('input[name="name"]').fill(f"Noord erbij {tag}")
        with page.expect_navigation():
            page.get_by_role("button", name=WORDS[lang]["save"]).click()
        assert re.search(r"/scenario/\d+$", page.url)
        assert _read_totals(page, lang) == (gaining, losing)  # reopened, same numbers
        first = page.url

        # a second scenario: the place switched off only
        page.goto(f"{base}/scenario?minutes=5")
        page.get_by_label(re.compile(SWITCHED_OFF)).first.check()
        _calculate(page, lang)
        only_gain, only_loss = _read_totals(page, lang)
        assert only_gain == 0 and only_loss >= losing
        page.locator('input[name="name"]').fill(f"Alleen sluiten {tag}")
        with page.expect_navigation():
            page.get_by_role("button", name=WORDS[lang]["save"]).click()
        second = page.url

        page.goto(f"{base}/scenarios")
        page.locator(f'input[name="a"][value="{first.rsplit("/", 1)[1]}"]').check()
        page.locator(f'input[name="b"][value="{second.rsplit("/", 1)[1]}"]').check()
        with page.expect_navigation(timeout=60000):
            page.get_by_role("button", name=WORDS[lang]["compare"]).click()
        sides = page.locator("section.side")
        assert f"Noord erbij {tag}" in sides.nth(0).inner_text()
        assert f"Alleen sluiten {tag}" in sides.nth(1).inner_text()
        a_text, b_text = sides.nth(0).inner_text(), sides.nth(1).inner_text()
        assert _number(re.search(WORDS[lang]["gain"], a_text).group(1)) == gaining
        assert _number(re.search(WORDS[lang]["lose"], b_text).group(1)) == only_loss
        page.frame_locator(".compare-frame").first.locator(".leaflet-marker-icon .bk-removed").first.wait_for()
        _shot(page, tmp_path, f"compare-{tag}")


@pytest.mark.parametrize("size", SIZES)
def test_suggested_locations_are_explained(browser, server, tmp_path, size):  # noqa: F811
    base, _ = server
    with _official(browser, size, "en") as (context, page):
        page.goto(f"{base}/scenario?minutes=5")
        with page.expect_navigation(timeout=60000):
            page.get_by_role("button", name=WORDS["en"]["suggest"]).click()
        section = page.locator("#suggested")
        assert WORDS["en"]["asked"] in section.inner_text()
        rows = section.locator("tbody tr")
        assert rows.count() >= 1
        assert re.search(r"\d", rows.first.locator("td.num").first.inner_text())
        section.scroll_into_view_if_needed()
        _shot(page, tmp_path, f"suggested-{size}")
        page.goto(f"{base}/kaart?indicator=coverage&minutes=5&best=3")
        frame = page.frame_locator("#map-frame")
        legend = frame.locator("#bk-legend")
        legend.wait_for()
        if legend.get_attribute("open") is None:  # folded on a phone: the official opens it
            legend.locator("summary").click()
        assert "3 locations asked" in legend.inner_text()
        legend.locator("summary").click()  # and folds it again to look at the map
        circle = frame.locator("path.bk-suggestion").first
        circle.hover()
        tip = frame.locator(".leaflet-tooltip.bk-wrap")
        tip.wait_for()
        # the tooltip lies inside the map, not cut off at its edge
        t, m = tip.bounding_box(), frame.locator(".leaflet-container").bounding_box()
        assert t["x"] >= m["x"] - 1 and t["x"] + t["width"] <= m["x"] + m["width"] + 1
        _shot(page, tmp_path, f"map-suggested-{size}")
