"""The ticket budget in a real Chromium, in Dutch: a resident chooses public transport, types
"2,50" as what a ticket there and back may cost, ticks the reduced fare and sees what the
budget did (the demo with the hand-made fare feed of test_fare_pages.py)."""

from __future__ import annotations

import pytest

from conftest import FIXED_NOW
from test_browser import _page, browser, serving  # noqa: F401  (fixture)
from test_fare_pages import DEPART, LIMIT, _demo_with

from buurtkaart import create_app

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def fare_server(tmp_path_factory, demo_database):
    path, s, p, q = _demo_with(tmp_path_factory, demo_database, "fare-browser")
    app = create_app({"DATABASE": str(path), "TESTING": True, "NOW": FIXED_NOW})
    with serving(app) as base:
        yield base, s, p, q


WORDS = {
    "nl-BE": {"budget": "Hoeveel mag een ticket heen en terug kosten? (€)", "typed": "2,50",
              "reduced": "Met verminderd tarief (BIM/OMNIO)", "url": "max_fare=2%2C50",
              "moment": "verminderd tarief binnen 2,50 heen en terug",
              "fares": "Tickets bij fares: ticketprijzen toegepast; GTFS fares v1.",
              "sample": "Tickets bij sample: ticketprijzen toegepast; deze dienstregeling "
                        "noemt geen verminderd tarief: het gewone tarief telt"},
    "en-GB": {"budget": "How much may a ticket there and back cost? (€)", "typed": "2.50",
              "reduced": "With reduced fare (BIM/OMNIO)", "url": "max_fare=2.50",
              "moment": "reduced fares within 2.50 return",
              "fares": "Tickets on fares: fares applied; fares v1.",
              "sample": "Tickets on sample: fares applied; the feed names no reduced fares: "
                        "full fares are used"},
}


@pytest.mark.parametrize("locale", list(WORDS))
@pytest.mark.parametrize("width, height", [(1366, 900), (375, 740)])
def test_a_resident_sets_a_ticket_budget_with_a_reduced_fare(browser, fare_server,  # noqa: F811
                                                             tmp_path, width, height, locale):
    base, s, p, q = fare_server
    words = WORDS[locale]
    context, page, outside, errors = _page(browser, viewport={"width": width, "height": height},
                                           locale=locale)
    page.goto(f"{base}/places?lon={s['lon']}&lat={s['lat']}", wait_until="networkidle")
    page.locator("details.drawer summary").click()   # the filter drawer holds the trip
    form = page.locator("form.filters", has=page.locator("fieldset.trip"))
    form.locator("select[name=mode]").select_option("transit")
    form.locator("input[name=minutes]").fill(str(LIMIT))
    form.locator("input[name=depart]").fill(DEPART)
    budget = form.get_by_label(words["budget"])
    assert budget.is_visible()
    budget.press_sequentially(words["typed"])
    form.get_by_label(words["reduced"]).check()
    form.locator("fieldset.trip").screenshot(path=str(tmp_path / f"fare-form-{locale}-{width}.png"))
    with page.expect_navigation(wait_until="networkidle"):
        form.locator("button[type=submit]").click()
    assert words["url"] in page.url and "reduced_fare=true" in page.url
    moment = page.locator(".trip-when")
    assert moment.is_visible()
    assert words["moment"] in moment.inner_text()
    fares = page.locator(".trip-fares")
    assert fares.is_visible()
    text = fares.inner_text()
    assert words["fares"] in text and words["sample"] in text
    # the dear line fits with the reduced fare: its far end is listed
    names = page.locator("li.place h2 a").all_inner_texts()
    assert p["name"] in names and q["name"] in names
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    page.locator(".trip-when").scroll_into_view_if_needed()
    page.screenshot(path=str(tmp_path / f"fare-result-{locale}-{width}.png"), full_page=True)
    assert errors == []
    context.close()


@pytest.mark.parametrize("width, height", [(1366, 900), (375, 740)])
def test_the_map_legend_states_the_budget(browser, fare_server, tmp_path,  # noqa: F811
                                          width, height):
    base, _s, _p, _q = fare_server
    context, page, _outside, errors = _page(browser, viewport={"width": width,
                                                               "height": height},
                                            locale="nl-BE")
    page.goto(f"{base}/kaart?indicator=coverage&mode=transit&minutes=10&depart="
              f"{DEPART.replace(' ', '+')}&max_fare=2,50&reduced_fare=true",
              wait_until="networkidle")
    legend = page.frame_locator("#map-frame").locator("#bk-legend")
    legend.wait_for(timeout=30000)
    if legend.get_attribute("open") is None:   # folded away on a phone
        legend.locator("summary").click()
    text = legend.inner_text()
    assert "verminderd tarief binnen 2,50 heen en terug" in text
    assert "Tickets bij fares: ticketprijzen toegepast; GTFS fares v1." in text
    page.locator("#map-frame").screenshot(path=str(tmp_path / f"fare-map-{width}.png"))
    assert errors == []
    context.close()
