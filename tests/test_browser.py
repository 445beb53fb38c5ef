"""A real headless Chromium opens the pages with every non-local request blocked."""

from __future__ import annotations

import shutil
import threading
from contextlib import contextmanager
from urllib.parse import urlsplit

import pytest

from conftest import FIXED_NOW
from test_api import HOSTILE, build_directory

from buurtkaart import create_app, store

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


@contextmanager
def serving(app):
    """``app`` served on a free local port in a thread; yields its base URL."""
    from werkzeug.serving import make_server

    srv = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{srv.server_port}"
    finally:
        srv.shutdown()
        thread.join()


def directory_app(path, **routes):
    """The app on a new database at ``path`` holding the constructed directory of test_api,
    with extra test-only ``routes`` (rule -> view); returns the app, counts and place names."""
    db = store.connect(path)
    build_directory(db)
    names = sorted(p["name"] for p in store.places(db))
    counts = store.counts(db)
    db.conn.close()
    app = create_app({"DATABASE": str(path), "TESTING": True, "NOW": FIXED_NOW})
    for rule, view in routes.items():
        app.add_url_rule(rule, view.__name__, view)
    return app, counts, names


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The app on a temporary database holding the constructed directory of test_api."""
    app, counts, names = directory_app(tmp_path_factory.mktemp("browser") / "buurtkaart.db")
    with serving(app) as base:
        yield base, counts, names


@pytest.fixture(scope="module")
def browser():
    if not shutil.which("chromium") and not __import__("os").path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is not installed (`make test` installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def _page(browser, **kw):
    """A page on which every request to another host is aborted and recorded; the
    browser asks for English unless ``locale`` says otherwise (the site defaults to Dutch)."""
    kw.setdefault("locale", "en-GB")
    context = browser.new_context(**kw)
    outside: list[str] = []

    def route(r):
        host = urlsplit(r.request.url).hostname
        if host in ("127.0.0.1", "localhost") or r.request.url.startswith(("data:", "about:")):
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    def dialog(d):  # an alert() would mean a hostile name ran as code
        errors.append(f"dialog: {d.message}")
        d.dismiss()

    page.on("dialog", dialog)
    return context, page, outside, errors


def test_map_renders_overlays_legend_and_popups_with_no_network(browser, server):
    base, counts, names = server
    context, page, outside, errors = _page(browser)
    page.goto(f"{base}/kaart?indicator=population", wait_until="networkidle")
    frame = page.frame_locator("#map-frame")
    # Leaflet came from the app itself and ran
    frame.locator(".leaflet-container").wait_for(timeout=20000)
    html_frame = next(f for f in page.frames if f.url.startswith(f"{base}/kaart/frame"))
    assert html_frame.evaluate("typeof L === 'object' && typeof L.map === 'function'")
    # choropleth: one polygon per neighbourhood, filled with class colours and "no data"
    polygons = frame.locator("path.bk-neighbourhood")
    assert polygons.count() == counts["neighbourhoods"] == 4
    fills = {polygons.nth(i).get_attribute("fill") for i in range(polygons.count())}
    from buurtkaart.mapstyle import NO_DATA_COLOUR

    assert len(fills) == 4 and NO_DATA_COLOUR in fills
    # markers: one circle per place in the "all places" layer; model layers start hidden
    circles = frame.locator("path.bk-place")
    assert circles.count() == counts["places"] == 3
    assert frame.locator("path.bk-model-marker").count() == 0
    # the overlays are really drawn although no tile could load
    box = polygons.first.bounding_box()
    assert box and box["width"] > 10 and box["height"] > 10
    assert frame.locator("img.leaflet-tile-loaded").count() == 0
    legend = frame.locator("#bk-legend")
    assert legend.is_visible()
    legend_text = legend.inner_text()
    assert "population (2024)" in legend_text and "no data" in legend_text
    assert "Meeting places" in legend_text and "peer network" in legend_text
    # clicking each marker opens a popup with that place's name (shown as text, even the
    # hostile one) and its threshold badges
    seen = []
    for i in range(circles.count()):
        circles.nth(i).dispatch_event("click")
        popup = frame.locator(".leaflet-popup-content")
        popup.wait_for(timeout=5000)
        seen.append(popup.locator("h3").inner_text())
        text = popup.inner_text()
        assert "Open:" in text and "Wheelchair access:" in text
        if seen[-1] == "Buurthuis Noord":
            assert "walk-in: no" in text and "childcare on site: yes" in text
            assert "free: unknown" in text and "every Wednesday 19:00–21:00" in text
            assert popup.locator("a", has_text="Details").get_attribute("href").startswith(
                "/places/")
        frame.locator(".leaflet-popup-close-button").click()  # a real click: not covered
        frame.locator(".leaflet-popup").wait_for(state="detached")
    assert sorted(seen) == names and f"Bibliotheek {HOSTILE}" in seen
    # the layer control holds one layer per working model; switching one on rings its places
    frame.locator(".leaflet-control-layers").hover()
    overlays = frame.locator(".leaflet-control-layers-overlays label")
    assert overlays.count() == 1 + 1 + 7  # neighbourhoods, all places, seven models
    overlays.filter(has_text="peer network").locator("input").check()
    assert frame.locator("path.bk-model-peer").count() == 1
    # nothing but tiles tried to leave the machine, and those were blocked
    assert outside, "the basemap should have asked for tiles"
    assert all(urlsplit(u).hostname == "tile.openstreetmap.org" for u in outside), outside
    assert errors == []
    context.close()


@pytest.mark.parametrize("path", ["/places", "/places?free=true", "/kaart", "/activities",
                                  "/neighbourhoods", "/"])
def test_pages_fit_a_phone_screen(browser, server, path):
    base, _, _ = server
    context, page, outside, errors = _page(browser, viewport={"width": 375, "height": 740},
                                           device_scale_factor=2, is_mobile=True)
    page.goto(f"{base}{path}", wait_until="networkidle")
    assert page.locator("main h1").is_visible()
    if path.startswith("/places"):
        assert page.locator("li.place").count() >= 1
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    assert all(urlsplit(u).hostname == "tile.openstreetmap.org" for u in outside), outside
    assert errors == []
    context.close()


def test_place_list_prints_addresses_without_navigation(browser, server, tmp_path):
    base, _, _ = server
    context, page, _outside, _errors = _page(browser)
    page.goto(f"{base}/places", wait_until="networkidle")
    page.emulate_media(media="print")
    assert not page.locator("header.site nav").first.is_visible()
    assert not page.locator("header.site nav.languages").is_visible()
    assert page.locator("p.address").count() == 3
    assert all(page.locator("p.address").nth(i).is_visible() for i in range(3))
    assert not page.locator("details.no-print").is_visible()
    pdf = tmp_path / "list.pdf"
    page.pdf(path=str(pdf))
    assert pdf.stat().st_size > 1000
    context.close()


def test_open_tonight_is_one_tap_on_a_phone(browser, server, tmp_path):
    """At the server's fixed "now" (Tuesday 1 December 2026, 10:00 in Gent) only the
    community house that opens until 22:00 on Tuesdays is open this evening."""
    base, _, _ = server
    context, page, _outside, errors = _page(browser, viewport={"width": 375, "height": 740},
                                            is_mobile=True)
    page.goto(f"{base}/places", wait_until="networkidle")
    tap = page.get_by_role("link", name="This evening")
    box = tap.bounding_box()
    assert box and box["y"] < 740  # on the first screen, without opening the filters
    tap.click()
    page.wait_for_load_state("networkidle")
    assert "when=tonight" in page.url
    text = page.locator("main").inner_text()
    assert "open in the evening of Tuesday 1 December (18:00-22:00)" in text
    assert [n.split(" <")[0] for n in page.locator("li.place h2 a").all_inner_texts()] == [
        "Buurthuis Noord"]
    page.screenshot(path=str(tmp_path / "tonight-375.png"), full_page=True)
    assert errors == []
    context.close()
