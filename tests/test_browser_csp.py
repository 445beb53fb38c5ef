"""In a real Chromium: the maps and pages work under a CSP without 'unsafe-inline', and a
script that an escaping bug let into a page does not run."""

from __future__ import annotations

import pytest
from branca.element import Element
from flask import Response
from test_browser import _page, browser, directory_app, serving  # noqa: F401

from buurtkaart import maps, store
from buurtkaart.web import csp
from buurtkaart.web.db import get_db

pytestmark = pytest.mark.browser

#: Chromium's console message when the CSP blocks something.
VIOLATION = "Content Security Policy"


def injected_page():
    """A page as an escaping bug would make it: an inline script and an inline handler that
    the app did not write, beside one the app did write (with the nonce)."""
    return Response(f"""<!doctype html><html><body><p id="out">untouched</p>
<script>document.getElementById("out").textContent = "injected"; window.injected = true;</script>
<img src="/static/no-such.png" onerror="window.handler = true">
<script nonce="{csp.nonce()}">window.nonced = true;</script></body></html>""",
                    mimetype="text/html")


def injected_map():
    """The place map with a script slipped into its legend."""
    m = maps.place_map(store.places(get_db())[0], static_url_prefix="/static")
    m.get_root().html.add_child(Element("<script>window.injected = true;</script>"))
    return Response(csp.MapDocument(m).html(csp.nonce()), mimetype="text/html")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    app, counts, _ = directory_app(tmp_path_factory.mktemp("csp") / "buurtkaart.db",
                                   **{"/test/injected": injected_page,
                                      "/test/injected-map": injected_map})
    with serving(app) as base:
        yield base, counts


def _open(browser, url: str, init_script: str | None = None):
    """A page at ``url``; also returns its console messages and page errors, as they come."""
    context, page, _outside, errors = _page(browser)
    console: list[str] = []
    page.on("console", lambda msg: console.append(msg.text))
    if init_script:
        page.add_init_script(init_script)
    page.goto(url, wait_until="networkidle")
    return context, page, console, errors


def _violations(console: list[str]) -> list[str]:
    return [m for m in console if VIOLATION in m]


def test_map_page_works_with_no_csp_violation(browser, site):
    base, counts = site
    context, page, console, errors = _open(browser, f"{base}/kaart")
    frame = page.frame_locator("#map-frame")
    frame.locator(".leaflet-container").wait_for(timeout=20000)
    assert frame.locator("path.bk-place").count() == counts["places"] == 3
    frame.locator("path.bk-place").first.dispatch_event("click")
    frame.locator(".leaflet-popup-content h3").wait_for(timeout=5000)  # the map code ran
    assert errors == []
    assert _violations(console) == []
    context.close()


def test_print_buttons_work_without_inline_handlers(browser, site):
    base, _ = site
    context, page, console, errors = _open(
        browser, f"{base}/places", "window.print = function () { window.printed = true; };")
    page.locator("button[data-print]").click()
    assert page.evaluate("window.printed === true")
    assert errors == [] and _violations(console) == []
    context.close()


def test_an_injected_inline_script_does_not_run(browser, site):
    base, _ = site
    context, page, console, errors = _open(browser, f"{base}/test/injected")
    assert page.evaluate("window.nonced === true")  # the app's own script ran
    assert page.locator("#out").inner_text() == "untouched"
    assert page.evaluate("window.injected === undefined && window.handler === undefined")
    assert len(_violations(console)) >= 2, console  # both were refused
    assert errors == []
    context.close()


def test_a_script_injected_into_a_map_does_not_run_and_the_map_still_works(browser, site):
    base, _ = site
    context, page, console, errors = _open(browser, f"{base}/test/injected-map")
    page.locator(".leaflet-container").wait_for(timeout=20000)
    assert page.locator("path.bk-place").count() == 1
    assert page.evaluate("window.injected === undefined")
    assert _violations(console), console
    assert errors == []
    context.close()


def test_a_kept_map_sent_compressed_in_parts_is_drawn_and_runs(browser, site):
    """The second visitor of a map frame gets the kept page (the app's clock is fixed, so
    the same minute), gzipped from parts compressed once with this response's nonce joined
    in: Chromium unpacks it, draws the map and runs its scripts under this response's CSP."""
    base, counts = site
    for _visitor in range(2):
        context, page, _outside, errors = _page(browser)
        console: list[str] = []
        page.on("console", lambda msg: console.append(msg.text))
        resp = page.goto(f"{base}/kaart/frame", wait_until="networkidle")
        assert resp.headers.get("content-encoding") == "gzip"
        page.locator(".leaflet-container").wait_for(timeout=20000)
        assert page.locator("path.bk-place").count() == counts["places"]
        page.locator("path.bk-place").first.dispatch_event("click")
        page.locator(".leaflet-popup-content h3").wait_for(timeout=5000)
        assert errors == [] and _violations(console) == []
        context.close()


@pytest.fixture(scope="module")
def recorded_site(tmp_path_factory):
    """The site with every answer's path and status recorded (to see the 304s)."""
    app, counts, _ = directory_app(tmp_path_factory.mktemp("revalidate") / "buurtkaart.db")
    answers: list[tuple[str, int]] = []
    inner = app.wsgi_app

    def recording(environ, start_response):
        def start(status, headers, *exc):
            answers.append((environ.get("PATH_INFO", ""), int(status.split()[0])))
            return start_response(status, headers, *exc)
        return inner(environ, start)

    app.wsgi_app = recording
    with serving(app) as base:
        yield base, counts, answers


@pytest.mark.parametrize("size", [(1366, 900), (375, 740)], ids=["laptop", "phone"])
def test_a_page_revalidated_with_304_still_runs_its_scripts(browser, recorded_site, size,
                                                            tmp_path):
    """Reloading sends If-None-Match; the unchanged page and map frame come back as 304
    (no body, no new CSP); Chromium shows its stored copies, whose nonces match the CSP
    stored with them: the map's scripts run and nothing is refused."""
    base, counts, answers = recorded_site
    # no request routing here: Playwright turns the browser's HTTP cache off when routing
    context = browser.new_context(locale="en-GB", viewport={"width": size[0], "height": size[1]})
    page = context.new_page()
    console: list[str] = []
    errors: list[str] = []
    page.on("console", lambda msg: console.append(msg.text))
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{base}/kaart", wait_until="load")
    page.frame_locator("#map-frame").locator(".leaflet-container").wait_for(timeout=20000)
    answers.clear()
    page.reload(wait_until="load")
    frame = page.frame_locator("#map-frame")
    frame.locator(".leaflet-container").wait_for(timeout=20000)
    assert frame.locator("path.bk-place").count() == counts["places"]
    frame.locator("path.bk-place").first.dispatch_event("click")
    frame.locator(".leaflet-popup-content h3").wait_for(timeout=5000)  # the map code ran
    assert ("/kaart", 304) in answers and ("/kaart/frame", 304) in answers, answers
    assert _violations(console) == [], console
    assert errors == []
    page.screenshot(path=str(tmp_path / f"revalidated-{size[0]}.png"))
    context.close()
