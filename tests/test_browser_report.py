"""A municipal official in a real headless Chromium, on a laptop and on a phone, in Dutch
and in English: from the start page to the report of a municipality found by its name,
then a comparison with an earlier date. Every number read off the page is checked against
the JSON API: today's against this database's, the earlier date's against the API of the
copy that only ever held the earlier data. Screenshots go to the test's folder and to
/tmp/shots-report."""

from __future__ import annotations

import re
import shutil
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest
from test_browser import _page, browser  # noqa: F401  (the fixture is used by name)
from test_report import CODE, NOW, dated  # noqa: F401  (the fixture is used by name)

from buurtkaart import create_app

pytestmark = pytest.mark.browser

SIZES = {"laptop": {"width": 1366, "height": 900}, "phone": {"width": 375, "height": 740}}
SHOTS = Path("/tmp/shots-report")
WORDS = {
    "en": {"locale": "en-GB", "nav": "Report", "box": "Municipality (name or number)",
           "show": "Show the report", "compare": "Compare with"},
    "nl": {"locale": "nl-BE", "nav": "Rapport", "box": "Gemeente (naam of nummer)",
           "show": "Toon het rapport", "compare": "Vergelijken met"},
}


@contextmanager
def _serve(path):
    from werkzeug.serving import make_server

    app = create_app({"DATABASE": str(path), "TESTING": True, "NOW": NOW})
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{srv.server_port}", app.test_client()
    finally:
        srv.shutdown()
        thread.join()


@pytest.fixture(scope="module")
def servers(dated):  # noqa: F811
    late, early = dated
    with _serve(late) as now_site, _serve(early) as then_site:
        yield now_site, then_site


def _share(text: str) -> float:
    """A percentage as shown ("97 %", "99,7%") as a number of percent."""
    return float(re.sub(r"[^\d,.]", "", text).replace(",", "."))


def _api(client, **params) -> dict:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return client.get(f"/api/coverage?by=municipality&municipality={CODE}&{query}"
                      ).get_json()["municipalities"][0]


def _shot(page, tmp_path: Path, name: str, full_page: bool = True) -> None:
    out = tmp_path / f"{name}.png"
    page.screenshot(path=str(out), full_page=full_page, timeout=20000)
    SHOTS.mkdir(exist_ok=True)
    shutil.copy(out, SHOTS / out.name)


def _close(shown: str, share: float) -> None:
    digits = 1 if "," in shown or "." in shown else 0
    assert _share(shown) == pytest.approx(share * 100, abs=0.5 * 10 ** -digits), shown


@pytest.mark.parametrize("lang", WORDS)
@pytest.mark.parametrize("size", SIZES)
def test_an_official_finds_the_report_by_name_and_compares_two_dates(
        browser, servers, tmp_path, size, lang):  # noqa: F811
    (base, api_now), (_then_base, api_then) = servers
    words = WORDS[lang]
    context, page, outside, errors = _page(browser, viewport=SIZES[size],
                                           locale=words["locale"])
    page.goto(base + "/")
    page.get_by_role("navigation", name="Main" if lang == "en" else "Hoofdmenu"
                     ).get_by_role("link", name=words["nav"], exact=True).click()
    page.get_by_label(words["box"]).first.fill("helsinki")
    with page.expect_navigation():
        page.get_by_role("button", name=words["show"]).first.click()
    assert page.locator("h1").inner_text().endswith("Helsinki")
    assert re.search(r"/rapport/Helsinki$", page.url)
    _shot(page, tmp_path, f"report-{size}-{lang}")

    walk = _api(api_now, minutes=15)
    for m in (5, 10, 15, 20):
        cell = page.locator(f'#by-mode tr[data-key="walk"] td[data-minutes="{m}"]')
        _close(cell.inner_text(), walk[f"share_within_{m}"])
    bike = _api(api_now, minutes=15, mode="bike")
    _close(page.locator('#by-mode tr[data-key="bike"] td[data-minutes="5"]').inner_text(),
           bike["share_within_5"])
    free = _api(api_now, minutes=15, free="true")
    _close(page.locator('#by-threshold tr[data-key="free"] td[data-minutes="10"]').inner_text(),
           free["share_within_10"])
    people = re.sub(r"\D", "", page.locator("#summary").inner_text().split(" ")[0])
    assert int(people) == round(walk["population"])

    page.get_by_label(words["compare"]).fill("2025-02-01")
    with page.expect_navigation():
        page.get_by_role("button", name=words["show"]).first.click()
    summary = page.locator("#compare-summary")
    summary.scroll_into_view_if_needed()
    _shot(page, tmp_path, f"compare-{size}-{lang}")
    then = _api(api_then, minutes=15)
    shown = re.findall(r"\d+(?:[.,]\d)?\s?%", summary.inner_text())
    _close(shown[0], then["share_within_15"])
    _close(shown[1], walk["share_within_15"])
    hoods_then = {f["properties"]["code"]: f["properties"]["share_within_15"] for f in
                  api_then.get(f"/api/coverage?municipality={CODE}&minutes=15"
                               ).get_json()["features"]}
    rows = page.locator("#compare tbody tr")
    assert rows.count() == len(hoods_then)
    for i in range(rows.count()):
        row = rows.nth(i)
        _close(row.locator("td").nth(0).inner_text(), hoods_then[row.get_attribute("data-code")])
    assert page.locator("#compare tr.loss").count() > 0
    assert not errors and not outside
    context.close()



def test_the_report_says_it_is_being_computed_after_two_seconds(browser, servers):  # noqa: F811
    """A report that takes longer than 2 seconds gets a note saying it is being computed.
    The form's answer is held back (a listener stops the navigation after the page's own
    script has seen the submit), so the note's appearance does not race the answer."""
    (base, _api_now), _then = servers
    context, page, _outside, errors = _page(browser, viewport=SIZES["phone"], locale="nl-BE")
    page.goto(base + "/rapport/Helsinki")
    note = page.locator("#report-progress")
    assert note.is_hidden()
    page.evaluate("""() => document.querySelector("form[data-report-form]")
        .addEventListener("submit", e => e.preventDefault())""")
    page.locator("form[data-report-form] button, form[data-report-form] [type=submit]"
                 ).first.click()
    note.wait_for(state="visible", timeout=10000)
    assert note.get_attribute("role") == "status"
    assert "Het rapport wordt berekend" in note.inner_text()
    assert not errors
    context.close()
