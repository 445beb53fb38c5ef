"""The mode selector (mode, departure, percentile, minimum stay) on the pages that choose a
mode, and the sentence saying which moment was evaluated, in a real Chromium on the demo."""

from __future__ import annotations

import pytest

from conftest import FIXED_NOW
from test_browser import _page, browser, serving  # noqa: F401  (fixture)

from buurtkaart import create_app, store

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def demo_server(demo_database):
    app = create_app({"DATABASE": str(demo_database), "TESTING": True, "NOW": FIXED_NOW})
    with serving(app) as base:
        yield base


PAGES = [
    ("outreach", "/outreach?mode=transit&depart=2026-12-01+08:00-09:00&minutes=15"),
    ("places", "/places?mode=bike&depart=2026-12-01+21:30&minutes=20&lon=LON&lat=LAT"),
    ("neighbourhood", "/neighbourhoods/CODE?mode=walk&depart=tu+10:00-11:00&percentile=80"),
]


@pytest.mark.parametrize("name, path", PAGES)
@pytest.mark.parametrize("width, height", [(1366, 900), (375, 740)])
def test_mode_selector_states_the_moment(browser, demo_server, demo_database, tmp_path,  # noqa: F811
                                         name, path, width, height):
    db = store.connect(demo_database)
    place = store.places(db)[0]
    code = store.neighbourhoods(db)[0]["code"]
    path = path.replace("LON", str(place["lon"])).replace("LAT", str(place["lat"]))
    path = path.replace("CODE", code)
    context, page, _outside, errors = _page(browser, viewport={"width": width,
                                                               "height": height})
    page.goto(f"{demo_server}{path}", wait_until="networkidle")
    form = page.locator("fieldset.trip")
    details = page.locator("details", has=form)
    if details.count() and details.get_attribute("open") is None:
        details.locator("summary").click()   # the places page folds its filter away
    assert form.locator("select[name=mode]").is_visible()
    assert form.locator("input[name=depart]").is_visible()
    assert form.locator("select[name=percentile]").is_visible()
    assert form.locator("input[name=min_stay]").is_visible()
    options = form.locator("select[name=mode] option").all_inner_texts()
    assert "public transport" in options
    moment = page.locator(".trip-when").inner_text()
    assert moment.startswith("Moment evaluated:")
    if name == "outreach":
        assert "public transport departing 2026-12-01 08:00-09:00" in moment
    elif name == "neighbourhood":
        # today (FIXED_NOW) is Tuesday 2026-12-01: the coming Tuesday is today
        assert "leaving tu 10:00-11:00 (on 2026-12-01)" in moment and "80th percentile" in moment
    else:
        assert "cycling" in moment.lower() and "leaving 2026-12-01 21:30" in moment
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    page.screenshot(path=str(tmp_path / f"{name}-{width}.png"), full_page=True)
    assert errors == []
    context.close()
