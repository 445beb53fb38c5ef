"""The travel-time engine, checked against networkx and against hand-built graphs whose
answers are known; and the coverage CLI and API that use it."""

from __future__ import annotations

import csv
import io
import json

import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely
from scipy import sparse

from buurtkaart import coverage, network, store, traveltime
from buurtkaart.cli import main
from buurtkaart.errors import InvalidParameter


# ---------------------------------------------------------------- real extract
@pytest.fixture(scope="module")
def walk(helsinki_pbf, tmp_path_factory):
    g, _ = network.load_or_build(helsinki_pbf, "walk",
                                 cache_dir=tmp_path_factory.mktemp("graphs"))
    return g


@pytest.fixture(scope="module")
def bike(helsinki_pbf, tmp_path_factory):
    g, _ = network.load_or_build(helsinki_pbf, "bike",
                                 cache_dir=tmp_path_factory.mktemp("graphs"))
    return g


def _nx(csr) -> nx.DiGraph:
    coo = sparse.coo_matrix(csr)
    G = nx.DiGraph()
    G.add_nodes_from(range(csr.shape[0]))
    G.add_weighted_edges_from(zip(coo.row.tolist(), coo.col.tolist(), coo.data.tolist()))
    return G


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("which", ["walk", "bike"])
def test_nearest_place_distances_equal_networkx_to_the_metre(request, which, seed):
    graph = request.getfixturevalue(which)
    rng = np.random.default_rng(seed)
    places = rng.choice(graph.n, size=int(rng.integers(1, 30)), replace=False)
    ours, which_place = traveltime.nearest_times(graph.lengths(), places)
    # networkx on the reversed graph: distance from every node *to* the nearest place
    ref = nx.multi_source_dijkstra_path_length(_nx(graph.lengths()).reverse(),
                                               set(places.tolist()))
    expected = np.array([ref.get(i, np.inf) for i in range(graph.n)])
    assert np.all(np.isfinite(ours))  # the largest component: everything reaches everything
    assert np.abs(ours - expected).max() < 0.001
    # the reported nearest place really is at that distance, for a sample of nodes
    G = _nx(graph.lengths())
    for i in rng.integers(graph.n, size=5):
        d = nx.shortest_path_length(G, int(i), int(places[which_place[i]]), weight="weight")
        assert d == pytest.approx(ours[i], abs=1e-6)


def test_limit_cuts_searches_short(walk):
    csr = walk.seconds(4.8)
    places = [0, walk.n // 3]
    full, _ = traveltime.nearest_times(csr, places)
    cut, which = traveltime.nearest_times(csr, places, limit=300)
    inside = full <= 300
    assert np.array_equal(cut[inside], full[inside])
    assert np.isinf(cut[~inside]).all() and (which[~inside] == -1).all()
    assert inside.sum() < walk.n  # the limit did cut something


def test_isochrone_contains_the_nodes_it_reaches(walk):
    csr = walk.seconds(4.8)
    place = walk.n // 2
    poly = traveltime.isochrone(walk, csr, place, 300)
    assert poly.geom_type in ("Polygon", "MultiPolygon")
    t = traveltime.reach(traveltime.reverse(csr), place, 300)
    inside = np.flatnonzero(np.isfinite(t))
    assert len(inside) > 10
    pts = shapely.points(walk.lon[inside], walk.lat[inside])
    assert shapely.contains(poly, pts).all()
    far = np.flatnonzero(~np.isfinite(traveltime.reach(traveltime.reverse(csr), place, 900)))
    assert len(far) > 0
    assert not shapely.contains(poly, shapely.points(walk.lon[far], walk.lat[far])).any()


# ---------------------------------------------------------------- hand-built graphs
def _line(n=6, metres=100.0, directed=False) -> sparse.csr_matrix:
    """Nodes 0..n-1 on a line, ``metres`` apart; directed means only i -> i+1."""
    rows, cols = list(range(n - 1)), list(range(1, n))
    if not directed:
        rows, cols = rows + cols, cols + rows
    return sparse.csr_matrix((np.full(len(rows), metres), (rows, cols)), shape=(n, n))


def _line_graph(n=6, metres=100.0) -> network.Graph:
    """A two-way line of ``n`` nodes ``metres`` apart at the equator, as a Graph."""
    mat = _line(n, metres)
    lon = np.arange(n) * metres / 111_320.0
    return network.Graph("walk", np.arange(n), lon, np.zeros(n), mat.indptr, mat.indices,
                         mat.data, "test")


def _residents(spec):
    return pd.DataFrame(spec, columns=["code", "node", "population"])


def _random_digraph(seed, n=40, m=120):
    rng = np.random.default_rng(seed)
    a = rng.integers(0, n, m)
    b = rng.integers(0, n, m)
    keep = a != b
    a, b = a[keep], b[keep]
    w = rng.integers(1, 100, len(a)).astype(float)
    mat = sparse.coo_matrix((w, (a, b)), shape=(n, n)).tocsr()  # duplicates summed: fine
    return mat


def test_times_from_follow_one_way_edges():
    csr = _line(directed=True)
    assert traveltime.times_from(csr, [0], [5])[0, 0] == pytest.approx(500)
    assert np.isinf(traveltime.times_from(csr, [5], [0])[0, 0])
    # many origins, one target: the search runs backwards from the target
    t = traveltime.times_from(csr, [0, 1, 4, 5], [3])
    assert t[:, 0].tolist()[:2] == [300, 200] and np.isinf(t[2:, 0]).all()
    t, which = traveltime.nearest_times(csr, [3])
    assert t.tolist()[:4] == [300, 200, 100, 0] and np.isinf(t[4]) and which[4] == -1


@pytest.mark.parametrize("seed", range(5))
def test_times_from_equals_networkx_in_both_search_directions(seed):
    csr = _random_digraph(seed)
    G = _nx(csr)
    rng = np.random.default_rng(seed)
    origins = rng.choice(40, 3, replace=False)
    targets = rng.choice(40, 9, replace=False)
    forward = traveltime.times_from(csr, origins, targets)  # 3 origins <= 9 targets
    backward = traveltime.times_from(csr, targets, origins)  # 9 > 3: transposed search
    for i, o in enumerate(origins):
        ref = nx.single_source_dijkstra_path_length(G, int(o))
        assert forward[i].tolist() == [ref.get(int(t), np.inf) for t in targets]
    for i, o in enumerate(targets):
        ref = nx.single_source_dijkstra_path_length(G, int(o))
        assert backward[i].tolist() == [ref.get(int(t), np.inf) for t in origins]


def test_counts_within():
    csr = _line()
    assert traveltime.counts_within(csr, [0, 5], 250).tolist() == [1, 1, 1, 1, 1, 1]
    assert traveltime.counts_within(csr, [0, 5], 300).tolist() == [1, 1, 2, 2, 1, 1]
    assert traveltime.counts_within(csr, [0, 2], 200).tolist() == [2, 2, 2, 1, 1, 0]
    assert traveltime.counts_within(csr, [2, 2], 0).tolist() == [0, 0, 2, 0, 0, 0]
    # directed: node i reaches place 3 only when i <= 3
    assert traveltime.counts_within(_line(directed=True), [3], 1000).tolist() == \
        [1, 1, 1, 1, 0, 0]


@pytest.mark.parametrize("seed", range(4))
def test_counts_within_equals_brute_force(seed, monkeypatch):
    monkeypatch.setattr(traveltime, "MAX_CELLS", 50)  # force several chunks
    csr = _random_digraph(seed)
    places = np.random.default_rng(seed).choice(40, 7, replace=True)
    dist = dict(nx.all_pairs_dijkstra_path_length(_nx(csr)))
    expected = [sum(1 for p in places if dist[i].get(int(p), np.inf) <= 120)
                for i in range(40)]
    assert traveltime.counts_within(csr, places, 120).tolist() == expected


def test_bad_node_indices_and_limits_are_refused():
    csr = _line()
    for bad in ([6], [-1], [1.5], ["a"]):
        with pytest.raises(InvalidParameter):
            traveltime.nearest_times(csr, bad)
    with pytest.raises(InvalidParameter):
        traveltime.nearest_times(csr, [1], limit=-5)
    with pytest.raises(InvalidParameter):
        traveltime.times_from(np.zeros((3, 3)), [0], [1])
    t, which = traveltime.nearest_times(csr, [])
    assert np.isinf(t).all() and (which == -1).all()
    assert traveltime.times_from(csr, [], [1]).shape == (0, 1)


# ---------------------------------------------------------------- through the CLI and API
@pytest.fixture
def demo_db(demo_copy):
    return demo_copy


def test_coverage_cli_writes_csv_and_geojson(demo_db, runner, tmp_path):
    result = runner.invoke(main, ["coverage", "--mode", "walk", "--minutes", "5"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == store.counts(demo_db)["neighbourhoods"]
    for col in ("code", "population", "share_within", "median_minutes", "models_reachable"):
        assert col in rows[0]
    assert all(0 <= float(r["share_within"]) <= 1 for r in rows)
    out = tmp_path / "cov.geojson"
    result = runner.invoke(main, ["coverage", "--mode", "bike", "--minutes", "3", "--free",
                                  "true", "--format", "geojson", "--out", str(out)])
    assert result.exit_code == 0, result.output
    fc = json.loads(out.read_text())
    assert fc["type"] == "FeatureCollection" and fc["features"][0]["geometry"]["type"]
    assert fc["report"]["filter"] == {"free": "true"}


def test_opening_time_filter_changes_who_counts(demo_db, runner):
    def shares(*args):
        result = runner.invoke(main, ["coverage", "--minutes", "5", *args])
        assert result.exit_code == 0, result.output
        return {r["code"]: float(r["share_within"])
                for r in csv.DictReader(io.StringIO(result.stdout))}

    anytime = shares()
    sunday_morning = shares("--day", "su", "--from", "07:00", "--to", "09:00")
    assert all(sunday_morning[c] <= anytime[c] for c in anytime)
    assert sum(sunday_morning.values()) < sum(anytime.values())


def test_coverage_cli_refuses_bad_filters(demo_db, runner):
    result = runner.invoke(main, ["coverage", "--day", "someday"])
    assert result.exit_code == 1 and "day" in result.stderr


def test_coverage_api_and_isochrone(demo_db, client):
    fc = client.get("/api/coverage?mode=walk&minutes=10").get_json()
    assert len(fc["features"]) == store.counts(demo_db)["neighbourhoods"]
    props = fc["features"][0]["properties"]
    assert 0 <= props["share_within"] <= 1 and "fca_ratio" in props
    pid = store.places(demo_db)[0]["id"]
    iso = client.get(f"/api/isochrone?place={pid}&mode=wheelchair&minutes=5").get_json()
    assert iso["geometry"]["type"] in ("Polygon", "MultiPolygon")
    for url, param in (("/api/coverage?mode=car", "mode"), ("/api/coverage?minutes=0", "minutes"),
                       ("/api/isochrone?place=abc", "place"),
                       ("/api/finder?lon=24.9", "lat"), ("/api/best-locations?k=99", "k"),
                       ("/api/ranking?need=happiness", "need")):
        resp = client.get(url)
        assert resp.status_code == 400 and resp.get_json()["parameter"] == param, url


def test_repeated_coverage_questions_follow_every_change_to_the_data(demo_db, client):
    """Coverage results are reused while the data is the same, never after a change."""
    def shares():
        feats = client.get("/api/coverage?minutes=5").get_json()["features"]
        return {f["properties"]["code"]: f["properties"]["share_within"] for f in feats}

    first = shares()
    assert any(v > 0 for v in first.values()) and shares() == first
    demo_db.execute("UPDATE places SET archived_at = '2026-11-25T00:00:00'")
    assert set(shares().values()) == {0.0}
    demo_db.execute("UPDATE places SET archived_at = NULL")
    assert shares() == first


def test_coverage_of_one_municipality_counts_places_across_its_border(demo_db, client):
    """Residents may use a place in the next municipality: restricting the area restricts
    the neighbourhoods reported, not the places that count."""
    codes = [r[0] for r in demo_db.execute("SELECT code FROM neighbourhoods ORDER BY code")]
    west = codes[: len(codes) // 2]
    demo_db.execute("UPDATE neighbourhoods SET municipality_code = '00092' WHERE code IN "
                    f"({','.join('?' * len(west))})", west)
    whole = client.get("/api/coverage?minutes=3").get_json()["features"]
    whole = {f["properties"]["code"]: f["properties"] for f in whole}
    part = client.get("/api/coverage?minutes=3&municipality=00092").get_json()["features"]
    assert sorted(f["properties"]["code"] for f in part) == west
    for f in part:
        for col in ("share_within", "median_minutes", "models_reachable", "share_model_peer"):
            assert f["properties"][col] == pytest.approx(whole[f["properties"]["code"]][col])
    best = client.get("/api/best-locations?k=1&minutes=3&municipality=00092").get_json()
    assert best["features"][0]["properties"]["neighbourhood"] in west


def test_neighbourhood_page_shows_its_access_and_missing_models(demo_db, client):
    import re

    from buurtkaart.taxonomy import WORKING_MODELS

    feats = client.get("/api/coverage?minutes=3&free=true").get_json()["features"]
    row = max((f["properties"] for f in feats), key=lambda p: p["population"])
    page = client.get(f"/neighbourhoods/{row['code']}?minutes=3&free=true")
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    share = re.search(r'<p class="big">(\d+)% <small>of the ([\d,]+) residents reach a '
                      r'meeting place that fits within 3 minutes walking', body)
    assert share, body
    assert int(share.group(1)) == round(row["share_within"] * 100)
    assert int(share.group(2).replace(",", "")) == round(row["population"])
    missing = [m for m in WORKING_MODELS if row[f"share_model_{m}"] < 0.5]
    listed = re.search(r'<ul class="missing-models">(.*?)</ul>', body, re.S)
    listed = listed.group(1) if listed else ""
    for m, info in WORKING_MODELS.items():
        assert (f">{info.label_en}</span>:" in listed) == (m in missing), m
    minutes = [float(x) for x in re.findall(r"<strong>([\d.]+) min</strong>", body)]
    assert minutes and minutes == sorted(minutes)
    for bad, param in (("mode=rocket", "mode"), ("minutes=0", "minutes"), ("free=perhaps", "free")):
        resp = client.get(f"/neighbourhoods/{row['code']}?{bad}")
        assert resp.status_code == 400 and param in resp.get_data(as_text=True), bad


def test_neighbourhood_page_without_a_network_says_so(db, client):
    import geopandas as gpd

    store.save_neighbourhoods(db, gpd.GeoDataFrame({
        "code": ["X1"], "name": ["Ergens"], "municipality_code": ["11002"]},
        geometry=[shapely.box(4.40, 51.20, 4.41, 51.21)], crs=4326), source="test")
    body = client.get("/neighbourhoods/X1").get_data(as_text=True)
    assert "No travel-time network yet" in body


def test_finder_orders_places_by_travel_time(demo_db, client):
    fc = client.get("/api/finder?lon=24.9384&lat=60.1699&mode=walk&minutes=30").get_json()
    minutes = [f["properties"]["minutes"] for f in fc["features"]]
    assert minutes == sorted(minutes) and len(minutes) >= 3


def test_scenario_api(demo_db, client):
    resp = client.post("/api/scenario", json={"minutes": 2, "add": [
        {"lon": 24.9509, "lat": 60.1657, "models": ["peer"], "capacity": 20}]})
    body = resp.get_json()
    assert resp.status_code == 200 and body["residents_gaining_access"] > 0
    assert all(n["share_within_change"] >= 0 for n in body["neighbourhoods"])
    resp = client.post("/api/scenario", json={"minutes": 2, "teleport": True})
    assert resp.status_code == 400 and resp.get_json()["parameter"] == "teleport"


@pytest.mark.parametrize("body, param", [
    ({"add": True}, "add"), ({"add": {"lon": 24.95}}, "add"), ({"add": [7]}, "add[0]"),
    ({"add": [{"lon": 24.95}]}, "add[0]"), ({"remove": True}, "remove"),
    ({"remove": [True]}, "remove"), ({"remove": ["3"]}, "remove"),
    ({"filter": [1]}, "filter"), ({"minutes": 0}, "minutes"), ({"mode": "rocket"}, "mode"),
    ({"add": [{"lon": "x", "lat": 60.17}]}, "add[0].lon"),
    ({"add": [{"lon": 24.95, "lat": 60.17, "capacity": -5}]}, "add[0].capacity"),
    ({"add": [{"lon": 24.95, "lat": 60.17, "modles": ["peer"]}]}, "add[0].modles"),
    ({"filter": {"model": "buddy"}, "add": [{"lon": 24.95, "lat": 60.17, "models": ["peer"]}]},
     "add[0].models")])
def test_scenario_refuses_malformed_bodies_naming_the_field(demo_db, client, body, param):
    resp = client.post("/api/scenario", json=body)
    assert resp.status_code == 400 and resp.get_json()["parameter"] == param, body


def test_best_locations_api_and_ranking(demo_db, client):
    fc = client.get("/api/best-locations?k=2&minutes=2").get_json()
    gains = [f["properties"]["residents_newly_covered"] for f in fc["features"]]
    assert gains == sorted(gains, reverse=True) and gains[0] > 0
    ranking = client.get("/api/ranking?minutes=3").get_json()
    assert "score = need" in ranking["formula"]
    scores = [r["score"] for r in ranking["ranking"]]
    assert scores == sorted(scores, reverse=True)


def test_only_places_open_in_the_time_window_count(db):
    """Two places on a line; for Tuesday evening only the evening one counts."""
    from buurtkaart import access
    from buurtkaart.filters import Filter
    from buurtkaart.records import validate_activity, validate_place

    g = _line_graph(n=10, metres=60.0)
    recs, acts = [], []
    for name, node, sessions in (("Ochtend", 0, "Tu 09:00-11:00"), ("Avond", 9, "Tu 18:00-20:00")):
        p, _ = validate_place({"name": name, "lon": float(g.lon[node]), "lat": 0.0})
        a, probs = validate_activity({"name": f"{name} koffie", "models": "peer",
                                      "place_uid": p["uid"], "sessions": sessions})
        assert not probs
        recs.append(p)
        acts.append(a)
    store.save_directory(db, places=recs, activities=acts)
    ctx = access.Context(network.PROFILES["walk"], g, g.lengths(), None, "x", None)  # 1 m/s
    residents = _residents([("west", 1, 100), ("east", 8, 100)])

    def shares(params):
        places, unsnapped = access.facilities(db, ctx, Filter.from_params(params))
        assert unsnapped == []
        cov = coverage.neighbourhood_coverage(ctx.csr, places, residents, minutes=2)
        return cov.set_index("code")["share_within"].to_dict()

    assert shares({}) == {"west": 1.0, "east": 1.0}
    assert shares({"day": "tu", "from": "17:00"}) == {"west": 0.0, "east": 1.0}
    assert shares({"day": "tu", "to": "12:00"}) == {"west": 1.0, "east": 0.0}
    assert shares({"day": "we"}) == {"west": 0.0, "east": 0.0}


def test_place_list_near_a_point_is_ordered_by_travel_time(demo_db, client):
    page = client.get("/places?lon=24.9384&lat=60.1699&mode=walk&minutes=30&free=true")
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    shown = [float(m) for m in __import__("re").findall(r"<strong>([\d.]+) min</strong>", body)]
    assert shown and shown == sorted(shown)
    api = client.get("/api/finder?lon=24.9384&lat=60.1699&mode=walk&minutes=30&free=true")
    assert [f["properties"]["minutes"] for f in api.get_json()["features"]] == shown
    # a position off the network is a plain sentence with the address box, never a 400 page
    resp = client.get("/places?lon=0&lat=0")
    assert resp.status_code == 200 and b"outside the area buurtkaart covers" in resp.data
    assert b"metres" not in resp.data and b'name="q"' in resp.data
    bad = client.get("/places?lon=abc&lat=1")
    assert bad.status_code == 200 and b"Your position could not be read" in bad.data
    assert client.get("/api/finder?lon=0&lat=0").status_code == 400  # the API stays strict


def test_coverage_and_finder_state_the_moment_in_the_places_time_zone(demo_db, client, runner):
    """The demo lies in Helsinki: "now" (the test app's clock, 10:00 in Brussels) is 11:00
    there, and the coverage and finder answers say which window they used."""
    def shares(query):
        fc = client.get(f"/api/coverage?minutes=5{query}").get_json()
        return fc, {f["properties"]["code"]: f["properties"]["share_within"]
                    for f in fc["features"]}

    now, at_now = shares("&when=now")
    assert now["time"] == {"when": "now", "time_zone": "Europe/Helsinki",
                           "description": "open now (Tuesday 1 December, 11:00)",
                           "at": "2026-12-01T11:00+02:00"}
    _, anytime = shares("")
    night, at_night = shares("&date=2026-12-06&from=03:00&to=04:00")
    assert night["time"]["intervals"] == [{"start": "2026-12-06T03:00",
                                           "end": "2026-12-06T04:00"}]
    assert all(at_night[c] <= anytime[c] and at_now[c] <= anytime[c] for c in anytime)
    assert sum(at_night.values()) < sum(anytime.values())
    munis = client.get("/api/coverage?minutes=5&when=tonight&by=municipality").get_json()
    assert munis["time"]["intervals"] == [{"start": "2026-12-01T18:00",
                                           "end": "2026-12-01T22:00"}]
    fc = client.get("/api/finder?lon=24.9384&lat=60.1699&minutes=30&when=weekend").get_json()
    assert fc["time"]["description"] == \
        "open this weekend (Saturday 5 December – Sunday 6 December)"
    result = runner.invoke(main, ["coverage", "--minutes", "5", "--day", "su"])
    assert result.exit_code == 0 and "(Europe/Helsinki)" in result.stderr
    assert "time: open on Sunday " in result.stderr
