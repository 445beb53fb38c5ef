"""Transit as a mode: coverage (CLI and API), ranking and the finder on the demo city,
whose labelled sample timetable runs along its real streets."""

from __future__ import annotations

import csv
import io

import pytest

from buurtkaart import store
from buurtkaart.cli import main
from buurtkaart.transit import storage

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from click.testing import CliRunner

    path = tmp_path_factory.mktemp("demo") / "demo.db"
    mp = pytest.MonkeyPatch()
    mp.setenv("BUURTKAART_DATABASE", str(path))
    r = CliRunner().invoke(main, ["demo"])
    assert r.exit_code == 0, r.output
    yield path
    mp.undo()


@pytest.fixture
def env(demo, monkeypatch):
    monkeypatch.setenv("BUURTKAART_DATABASE", str(demo))
    return demo


def shares(runner, *args):
    r = runner.invoke(main, ["coverage", "--minutes", "10", *args])
    assert r.exit_code == 0, r.output
    return {row["code"]: float(row["share_within"])
            for row in csv.DictReader(io.StringIO(r.stdout))}, r.stderr


def test_demo_has_a_labelled_sample_feed(env):
    feeds = storage.list_feeds(store.connect(env))
    assert [f["name"] for f in feeds] == ["sample"]
    loaded = storage.load_feeds(store.connect(env))[0][1]
    assert all("sample data" in a for a in loaded.agencies)


TUE = "2026-12-01 08:00-09:00"  # a Tuesday within the sample feed's dates


def test_transit_reaches_at_least_as_many_as_walking(env, runner):
    # both leave at the same moments, so the same places are open on arrival
    walk, err = shares(runner, "--mode", "walk", "--depart", TUE)
    assert "when: leaving 2026-12-01 08:00-09:00, one departure a minute, median travel " \
           "time, arriving while open for at least 30 min" in err
    transit, err = shares(runner, "--mode", "transit", "--depart", TUE)
    assert "public transport departing 2026-12-01 08:00-09:00" in err and "median" in err
    assert "fares of feed 'sample': fares in feed" in err
    assert all(transit[c] >= walk[c] - 1e-9 for c in walk)
    # the demo city is small: the trams bring the few places of a rarer working model within
    # 10 minutes of more residents
    walk, _ = shares(runner, "--mode", "walk", "--model", "personal_network", "--depart", TUE)
    transit, _ = shares(runner, "--mode", "transit", "--depart", TUE, "--model",
                        "personal_network")
    assert all(transit[c] >= walk[c] - 1e-9 for c in walk)
    assert sum(transit.values()) > sum(walk.values())
    # a later percentile is never better than the median
    p90, err = shares(runner, "--mode", "transit", "--depart", TUE,
                      "--percentile", "90", "--model", "personal_network")
    assert "90th percentile" in err
    assert all(p90[c] <= transit[c] + 1e-9 for c in walk)


def test_no_service_in_the_window_means_walking_only(env, runner):
    walk, _ = shares(runner, "--mode", "walk", "--depart", "2026-12-01 03:00-03:30")
    night, _ = shares(runner, "--mode", "transit", "--depart", "2026-12-01 03:00-03:30")
    assert night == pytest.approx(walk)


def test_walking_at_any_time_says_so(env, runner):
    anytime, err = shares(runner, "--mode", "walk")
    assert "when: at any time: no departure time given, so opening hours are not checked" \
        in err
    # at night most places are closed: fewer residents reach an open one
    night, _ = shares(runner, "--mode", "walk", "--depart", "2026-12-01 03:00-03:30")
    assert all(night[c] <= anytime[c] + 1e-9 for c in anytime)
    assert sum(night.values()) < sum(anytime.values())


def test_fare_budget_on_the_demo(env, runner):
    walk, _ = shares(runner, "--mode", "walk", "--model", "personal_network", "--depart",
                     TUE)
    free, _ = shares(runner, "--mode", "transit", "--depart", TUE, "--model",
                     "personal_network")
    # the sample single fare is 3.10: a 4.00 budget for a return trip does not cover it
    poor, err = shares(runner, "--mode", "transit", "--depart", TUE, "--model",
                       "personal_network", "--max-fare", "4.00")
    assert "fare budget 4.00 return (2.00 one way): at most 0 vehicle(s)" in err
    assert poor == pytest.approx(walk)
    rich, err = shares(runner, "--mode", "transit", "--depart", TUE, "--model",
                       "personal_network", "--max-fare", "7.00")
    assert "fares of feed 'sample': fares applied; transfer_duration applied for journeys up to 20 min" in err
    assert rich == pytest.approx(free)


def test_transit_options_are_checked(env, runner):
    r = runner.invoke(main, ["coverage", "--mode", "transit"])
    assert r.exit_code == 1 and "depart" in r.stderr
    r = runner.invoke(main, ["coverage", "--mode", "transit", "--depart", "xx 8:00-9:00"])
    assert r.exit_code == 1 and "unknown day" in r.stderr
    r = runner.invoke(main, ["coverage", "--mode", "walk", "--max-transfers", "2"])
    assert r.exit_code == 2 and "--mode transit" in r.output
    r = runner.invoke(main, ["coverage", "--mode", "walk", "--min-stay", "30"])
    assert r.exit_code == 1 and "depart" in r.stderr


def test_api_coverage_ranking_and_finder(env, app_for):
    client = app_for(env).test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"  # the English page
    fc = client.get("/api/coverage?mode=transit&depart=tu+08:00-09:00&minutes=10").get_json()
    assert "public transport departing tu 08:00-09:00" in fc["report"]["when"]
    fc = client.get("/api/coverage?mode=transit&depart=2026-12-01+08:00-09:00&minutes=10"
                    ).get_json()
    rep = fc["report"]
    assert rep["mode"] == "transit" and rep["transit"]["percentile"] == 50
    assert rep["transit"]["departures"] == 60 and rep["transit"]["feeds"] == ["sample"]
    walk = client.get("/api/coverage?mode=walk&depart=2026-12-01+08:00-09:00&minutes=10"
                      ).get_json()
    assert "leaving 2026-12-01 08:00-09:00" in walk["report"]["when"]
    assert walk["report"]["timing"]["min_stay"] == 30
    w = {f["id"]: f["properties"]["share_within"] for f in walk["features"]}
    assert all(f["properties"]["share_within"] >= w[f["id"]] - 1e-9 for f in fc["features"])
    r = client.get("/api/coverage?mode=transit")
    assert r.status_code == 400 and r.get_json()["parameter"] == "depart"
    r = client.get("/api/coverage?mode=walk&percentile=80")
    assert r.status_code == 400 and r.get_json()["parameter"] == "percentile"
    r = client.get("/api/coverage?mode=transit&depart=tu+08:00-09:00&max_transfers=99")
    assert r.status_code == 400 and r.get_json()["parameter"] == "max_transfers"
    rk = client.get("/api/ranking?mode=transit&depart=tu+08:00-09:00").get_json()
    assert rk["ok"] and rk["mode"] == "transit"
    place = store.places(store.connect(env))[0]
    url = f"/api/finder?lon={place['lon']}&lat={place['lat']}&minutes=30"
    by_walk = client.get(url + "&depart=2026-12-01+08:00-09:00").get_json()
    by_transit = client.get(url + "&mode=transit&depart=2026-12-01+08:00-09:00").get_json()
    assert "public transport" in by_transit["transit"]
    walk_min = {f["id"]: f["properties"]["minutes"] for f in by_walk["features"]}
    tr_min = {f["id"]: f["properties"]["minutes"] for f in by_transit["features"]}
    assert set(walk_min) <= set(tr_min)
    assert all(tr_min[i] <= walk_min[i] + 0.05 for i in walk_min)
    r = client.get(f"/api/isochrone?place={place['id']}&mode=transit")
    assert r.status_code == 400 and r.get_json()["parameter"] == "depart"


@pytest.fixture
def app_for():
    from buurtkaart import create_app

    from conftest import FIXED_NOW

    return lambda path: create_app({"DATABASE": str(path), "TESTING": True, "NOW": FIXED_NOW})


def test_map_offers_transit_and_its_legend_states_window_and_percentile(env, app_for):
    client = app_for(env).test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"  # the English page
    page = client.get("/kaart?indicator=coverage").get_data(as_text=True)
    assert '<option value="transit"' in page and 'name="depart"' in page
    frame = client.get("/kaart/frame?indicator=coverage&mode=transit&depart=tu+08:00-09:00"
                       "&percentile=80&minutes=10").get_data(as_text=True)
    assert "public transport departing tu 08:00-09:00" in frame
    assert "80th percentile" in frame
    best = client.get("/kaart/frame?indicator=coverage&mode=transit&depart=tu+08:00-09:00"
                      "&best=3").get_data(as_text=True)
    assert "Suggested locations (10 min public transport)" in best
    # the walking map still works with the (ignored) departure field of the form
    r = client.get("/kaart/frame?indicator=coverage&mode=walk&depart=tu+08:00-09:00")
    assert r.status_code == 200


def test_openapi_documents_the_transit_mode(client):
    doc = client.get("/api/openapi.json").get_json()
    for path in ("/api/coverage", "/api/ranking", "/api/finder"):
        params = {p["name"]: p for p in doc["paths"][path]["get"]["parameters"]}
        assert "transit" in params["mode"]["schema"]["enum"]
        assert {"depart", "percentile", "max_transfers", "transit_access"} <= set(params)
    iso = {p["name"]: p for p in doc["paths"]["/api/isochrone"]["get"]["parameters"]}
    assert "transit" in iso["mode"]["schema"]["enum"]
    assert {"depart", "percentile", "min_stay"} <= set(iso)
    assert "at least" in iso["percentile"]["description"]


def test_finder_with_min_stay_lists_only_places_open_on_arrival(env, app_for):
    import datetime as dt

    from buurtkaart import hours

    client = app_for(env).test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"  # the English page
    db = store.connect(env)
    records = {p["id"]: p for p in store.places(db)}
    place = next(iter(records.values()))
    base = (f"/api/finder?lon={place['lon']}&lat={place['lat']}&minutes=40&mode=transit"
            "&depart=2026-12-01+{}")
    listed = {}
    for clock in ("07:30", "10:00", "21:30"):
        all_ = client.get(base.format(clock) + "&min_stay=0").get_json()
        open_ = client.get(base.format(clock)).get_json()   # min_stay 30 by default
        assert "arriving while open for at least 30 min" in open_["transit"]
        ids = {f["id"] for f in open_["features"]}
        assert ids <= {f["id"] for f in all_["features"]}
        h, m = (int(x) for x in clock.split(":"))
        for f in open_["features"]:
            expr = records[f["id"]].get("opening_hours")
            if not expr:
                continue
            arrive = dt.datetime(2026, 12, 1, h, m) + dt.timedelta(
                minutes=f["properties"]["minutes"])
            coords = (records[f["id"]]["lat"], records[f["id"]]["lon"])
            assert hours.state_at(expr, arrive + dt.timedelta(minutes=1), coords=coords) == "open"
            assert hours.state_at(expr, arrive + dt.timedelta(minutes=29),
                                  coords=coords) == "open"
        listed[clock] = (len(ids), len(all_["features"]))
    # late in the evening places are left out because they are closed on arrival: walking
    # "at any time" (hours not checked) lists more
    anytime = client.get(f"/api/finder?lon={place['lon']}&lat={place['lat']}&minutes=40"
                         ).get_json()
    assert listed["21:30"][0] < len(anytime["features"])


def test_scenario_by_transit(env, app_for):
    client = app_for(env).test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"  # the English page
    q = {"mode": "transit", "depart": "tu 08:00-09:00", "minutes": 10,
         "filter": {"model": "personal_network"}}
    cov = client.get("/api/coverage?mode=transit&depart=tu+08:00-09:00&minutes=10"
                     "&model=personal_network").get_json()
    share = {f["id"]: f["properties"]["share_within"] for f in cov["features"]}
    place = store.places(store.connect(env))[0]
    r = client.post("/api/scenario", json={**q, "add": [{"lon": place["lon"], "lat": place["lat"],
                                                          "models": ["personal_network"]}]})
    body = r.get_json()
    assert r.status_code == 200, body
    assert body["mode"] == "transit"
    for row in body["neighbourhoods"]:
        assert row["share_within_before"] == pytest.approx(share[row["code"]])
        assert row["share_within_after"] >= row["share_within_before"] - 1e-9
    r = client.post("/api/scenario", json={**q, "max_transfers": 99})
    assert r.status_code == 400 and r.get_json()["parameter"] == "max_transfers"


def test_best_locations_by_transit_agree_with_a_scenario(env, app_for):
    client = app_for(env).test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"  # the English page
    best = client.get("/api/best-locations?mode=transit&depart=tu+08:00-09:00&minutes=5&k=2"
                      "&model=personal_network").get_json()
    assert best["mode"] == "transit" and 1 <= len(best["features"]) <= 2
    top = best["features"][0]
    gain = top["properties"]["residents_newly_covered"]
    assert gain > 0
    lon, lat = top["geometry"]["coordinates"]
    r = client.post("/api/scenario", json={
        "mode": "transit", "depart": "tu 08:00-09:00", "minutes": 5,
        "filter": {"model": "personal_network"},
        "add": [{"lon": lon, "lat": lat, "models": ["personal_network"]}]}).get_json()
    assert r["residents_gaining_access"] == pytest.approx(gain, rel=1e-6)


def test_walking_finder_with_a_departure_counts_only_places_open_on_arrival(env, app_for):
    """Checked against the opening hours directly: leaving at 21:30 on foot, a place is
    listed with its walking minutes (plus any wait at the door) only when one can go in and
    stay 30 minutes."""
    import datetime as dt

    from buurtkaart import hours

    client = app_for(env).test_client()
    records = {p["id"]: p for p in store.places(store.connect(env))}
    place = next(iter(records.values()))
    url = f"/api/finder?lon={place['lon']}&lat={place['lat']}&minutes=40&limit=200"
    anytime = client.get(url).get_json()
    assert "opening hours are not checked" in anytime["when"]
    walk = {f["id"]: f["properties"]["minutes"] for f in anytime["features"]}
    timed = client.get(url + "&depart=2026-12-01+21:30").get_json()
    assert "leaving 2026-12-01 21:30" in timed["when"] and "at least 30 min" in timed["when"]
    got = {f["id"]: f["properties"]["minutes"] for f in timed["features"]}
    start = dt.datetime(2026, 12, 1, 21, 30)
    expected = {}
    for pid, m in walk.items():
        expr = records[pid].get("opening_hours")
        coords = (records[pid]["lat"], records[pid]["lon"])
        if not expr and not any(a.get("sessions") for a in records[pid]["activities"]):
            expected[pid] = m
            continue
        if not expr:
            continue  # sessions: covered by the unit tests
        arrive = start + dt.timedelta(minutes=m)
        for wait in range(0, int(40 - m) + 1):   # the first minute one can go in and stay
            enter = arrive + dt.timedelta(minutes=wait)
            if all(hours.state_at(expr, enter + dt.timedelta(minutes=k), coords=coords)
                   == "open" for k in (0, 10, 20, 29)):
                expected[pid] = round(m + wait, 1)
                break
    sessions_only = {pid for pid in got if not records[pid].get("opening_hours")
                     and any(a.get("sessions") for a in records[pid]["activities"])}
    assert {k: v for k, v in got.items() if k not in sessions_only} == \
        pytest.approx(expected, abs=1.0)
    assert len(got) < len(walk)   # some places are closed at night


def test_isochrone_by_transit_contains_the_walking_one(env, app_for, runner, tmp_path):
    import json

    import shapely

    client = app_for(env).test_client()
    place = store.places(store.connect(env))[0]
    base = f"/api/isochrone?place={place['id']}&minutes=10"
    shape = (lambda body: shapely.geometry.shape(body["geometry"]))
    anytime = client.get(base).get_json()
    assert "opening hours are not checked" in anytime["properties"]["when"]
    window = "&depart=2026-12-01+10:00-11:00&min_stay=0"   # the place is open then
    walk = client.get(base + window).get_json()
    assert "leaving 2026-12-01 10:00-11:00" in walk["properties"]["when"]
    tr = client.get(base + "&mode=transit" + window).get_json()
    assert tr["properties"]["mode"] == "transit" and tr["properties"]["percentile"] == 50
    assert "public transport departing 2026-12-01 10:00-11:00" in tr["properties"]["when"]
    w, t, a = shape(walk), shape(tr), shape(anytime)
    assert w.area > 0
    # walking all the way is one of the ways by transit; checking the hours only removes
    assert w.difference(t).area <= 0.02 * w.area
    assert w.difference(a).area <= 0.02 * w.area
    p90 = client.get(base + "&mode=transit&percentile=90" + window).get_json()
    # a time reached in 9 of 10 departures is never better than the median one
    assert shape(p90).difference(t).area <= 0.02 * t.area
    # before the session starts nobody gets in within 10 minutes: an empty area
    early = client.get(base + "&mode=transit&depart=2026-12-01+06:00-07:00").get_json()
    assert shape(early).is_empty
    out = tmp_path / "iso.geojson"
    r = runner.invoke(main, ["isochrone", "--place", str(place["id"]), "--mode", "transit",
                             "--depart", "2026-12-01 10:00-11:00", "--min-stay", "0",
                             "--minutes", "10", "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "public transport departing" in r.stderr
    assert shapely.geometry.shape(json.loads(out.read_text())["geometry"]).equals_exact(t, 1e-9)


def test_outreach_page_by_transit_states_the_moment(env, app_for):
    client = app_for(env).test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    page = client.get("/outreach?mode=transit&depart=tu+08:00-09:00").get_data(as_text=True)
    assert "public transport departing tu 08:00-09:00" in page
    assert 'name="depart"' in page and 'name="percentile"' in page and 'name="min_stay"' in page
    assert "mode=transit" in page and "depart=tu" in page   # the map frame asks the same
    walk = client.get("/outreach?mode=walk").get_data(as_text=True)
    assert "opening hours are not checked" in walk
    nl = client.get("/outreach?mode=walk&lang=nl").get_data(as_text=True)
    assert "openingsuren" in nl
