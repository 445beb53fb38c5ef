"""A real headless Chromium opens the pages with every non-local request blocked."""

from __future__ import annotations

import shutil
import threading
from urllib.parse import urlsplit

import pytest

from buurtkaart import create_app, store
from buurtkaart.demo import build_demo

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from werkzeug.serving import make_server

    path = tmp_path_factory.mktemp("browser") / "demo.db"
    db = store.connect(path)
    build_demo(db, progress=lambda _msg: None)
    counts = store.counts(db)
    db.conn.close()
    app = create_app({"DATABASE": str(path), "TESTING": True})
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_port}", counts
    srv.shutdown()


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
    """A page on which every request to another host is aborted and recorded."""
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
    return context, page, outside, errors


def test_map_renders_overlays_legend_and_popups_with_no_network(browser, server):
    base, counts = server
    context, page, outside, errors = _page(browser)
    page.goto(f"{base}/kaart", wait_until="networkidle")
    frame = page.frame_locator("#map-frame")
    # Leaflet came from the app itself and ran
    frame.locator(".leaflet-container").wait_for(timeout=20000)
    html_frame = next(f for f in page.frames if f.url.startswith(f"{base}/kaart/frame"))
    assert html_frame.evaluate("typeof L === 'object' && typeof L.map === 'function'")
    # choropleth: one polygon per neighbourhood, filled with a class colour
    polygons = frame.locator("path.bk-neighbourhood")
    assert polygons.count() == counts["neighbourhoods"]
    fills = {polygons.nth(i).get_attribute("fill") for i in range(polygons.count())}
    assert len(fills) > 1
    # markers: one circle per place in the "all places" layer
    circles = frame.locator("path.bk-place")
    assert circles.count() == counts["places"]
    legend = frame.locator("#bk-legend")
    assert legend.is_visible() and "population" in legend.inner_text()
    assert "Meeting places" in legend.inner_text()
    # a popup with the place's name and threshold badges opens on click
    circles.first.dispatch_event("click")
    popup = frame.locator(".leaflet-popup-content")
    popup.wait_for(timeout=5000)
    text = popup.inner_text()
    assert "walk-in:" in text and "Open:" in text
    # layer control lists one layer per working model
    assert frame.locator(".leaflet-control-layers-overlays label").count() >= 8
    # nothing but tiles tried to leave the machine, and those were blocked
    assert outside, "the basemap should have asked for tiles"
    assert all(urlsplit(u).hostname.endswith("tile.openstreetmap.org") for u in outside), outside
    assert errors == []
    context.close()


def test_place_list_fits_a_phone_screen(browser, server):
    base, _ = server
    context, page, outside, errors = _page(browser, viewport={"width": 375, "height": 740},
                                           device_scale_factor=2, is_mobile=True)
    page.goto(f"{base}/places?free=true", wait_until="networkidle")
    assert page.locator("li.place").count() >= 1
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    assert outside == [] and errors == []
    context.close()


def test_place_list_prints_addresses_without_navigation(browser, server, tmp_path):
    base, _ = server
    context, page, _outside, _errors = _page(browser)
    page.goto(f"{base}/places", wait_until="networkidle")
    page.emulate_media(media="print")
    assert not page.locator("header.site nav").is_visible()
    assert page.locator("p.address").first.is_visible()
    pdf = tmp_path / "list.pdf"
    page.pdf(path=str(pdf))
    assert pdf.stat().st_size > 1000
    context.close()
