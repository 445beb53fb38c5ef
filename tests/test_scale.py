"""The Flanders-scale engine gives exactly what the straightforward one gives.

Every faster path is checked against the plain computation: the coverage table
against the old engine (:mod:`buurtkaart.coverage_reference`) on the demo and
on a tiled copy of the real Helsinki network, the bounded searches against
networkx, the per-neighbourhood sums against numpy.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from buurtkaart import access, bounded, coverage, coverage_reference, network, tiling, traveltime
from buurtkaart.filters import Filter
from buurtkaart.grouped import np_sum
from buurtkaart.taxonomy import WORKING_MODELS


@pytest.fixture(scope="module")
def tiled(helsinki_pbf, tmp_path_factory):
    g, _ = network.load_or_build(helsinki_pbf, "walk", cache_dir=tmp_path_factory.mktemp("c"))
    return g, tiling.tile(g, 6)


def _question(g, rng, *, capacities=True, places_every=400):
    n = g.n
    k = max(4, n // places_every)
    models = [list(WORKING_MODELS)[i % 7: i % 7 + 2] for i in range(k)]
    models[0] = []
    cap = rng.integers(5, 60, k).astype(float) if capacities else np.full(k, np.nan)
    if capacities:
        cap[::3] = np.nan
    places = pd.DataFrame({"id": np.arange(k), "node": rng.choice(n, k, replace=False),
                           "models": models, "capacity": cap})
    xy = g.projected()
    cell = np.floor((xy - xy.min(axis=0)) / 350.0).astype(np.int64)
    codes = (cell[:, 0] * 1000 + cell[:, 1]).astype(str)
    pop = rng.random(n) * 9  # arbitrary floats: sums are not exact, the order must match
    pop[rng.random(n) < 0.1] = 0.0
    residents = pd.DataFrame({"code": codes, "node": np.arange(n), "population": pop})
    return places, residents


def test_tiled_network_is_one_connected_two_way_network(tiled):
    g, big = tiled
    assert big.n == 6 * g.n
    lengths = big.lengths()
    assert connected_components(lengths, directed=False)[0] == 1
    assert (lengths != lengths.T).nnz == 0
    # each copy keeps the real street lengths of the extract
    first = lengths[:g.n][:, :g.n]
    assert (first != g.lengths()).nnz == 0


@pytest.mark.parametrize("minutes,capacities", [(10, True), (4, True), (15, False)])
def test_coverage_on_a_tiled_extract_equals_the_old_engine(tiled, minutes, capacities):
    _g, big = tiled
    places, residents = _question(big, np.random.default_rng(minutes),
                                  capacities=capacities)
    residents = residents.sample(frac=1.0, random_state=1)  # neighbourhoods interleaved
    csr = big.seconds(4.8)
    new = coverage.neighbourhood_coverage(csr, places, residents, minutes=minutes)
    old = coverage_reference.neighbourhood_coverage(csr, places, residents, minutes=minutes)
    assert list(new.columns) == list(coverage.COVERAGE_COLUMNS)
    assert len(new) > 20 and new["share_within"].between(0.01, 0.99).any()
    pd.testing.assert_frame_equal(new, old, check_exact=True)


def test_coverage_with_many_residents_per_node_equals_the_old_engine(tiled):
    """Several points on one node (buildings snapped to the same street node): the 2SFCA
    sums add them in the order the old engine's sparse products do."""
    _g, big = tiled
    rng = np.random.default_rng(21)
    places, residents = _question(big, rng)
    residents = pd.concat([residents, residents.assign(node=rng.choice(big.n, len(residents)))],
                          ignore_index=True).sample(frac=1.0, random_state=3)
    csr = big.seconds(4.8)
    new = coverage.neighbourhood_coverage(csr, places, residents, minutes=8)
    old = coverage_reference.neighbourhood_coverage(csr, places, residents, minutes=8)
    assert residents["node"].duplicated().sum() > len(residents) // 3
    assert new["fca_ratio"].gt(0).any()
    pd.testing.assert_frame_equal(new, old, check_exact=True)


def test_coverage_on_a_directed_network_equals_the_old_engine(tiled):
    g, _big = tiled
    rng = np.random.default_rng(5)
    lengths = g.lengths().tocoo()
    drop = rng.random(lengths.nnz) < 0.15  # one-way streets: times to and from differ
    keep = ~drop
    csr = sparse.csr_matrix((lengths.data[keep] / 4.2, (lengths.row[keep], lengths.col[keep])),
                            shape=lengths.shape)
    places, residents = _question(g, rng, places_every=150)
    new = coverage.neighbourhood_coverage(csr, places, residents, minutes=6)
    old = coverage_reference.neighbourhood_coverage(csr, places, residents, minutes=6)
    pd.testing.assert_frame_equal(new, old, check_exact=True)


def test_coverage_of_the_demo_equals_the_old_engine(runner, db_path):
    from buurtkaart import store
    from buurtkaart.cli import main

    assert runner.invoke(main, ["demo"]).exit_code == 0
    db = store.connect(db_path)
    ctx = access.context(db, "walk")
    places, _ = access.facilities(db, ctx, Filter())
    assert len(places) > 10
    for method, minutes in (("buildings", 5), ("buildings", 10), ("nodes", 10)):
        residents, _ = access.residents(db, ctx, method=method)
        assert len(residents) > 300
        new = coverage.neighbourhood_coverage(ctx.csr, places, residents, minutes=minutes)
        old = coverage_reference.neighbourhood_coverage(ctx.csr, places, residents,
                                                        minutes=minutes)
        pd.testing.assert_frame_equal(new, old, check_exact=True)
    # asking again (residents now from the per-data-version cache) gives the same table
    again, _ = access.residents(db, ctx, method="nodes")
    pd.testing.assert_frame_equal(again, residents)


def _random_digraph(seed: int, n: int = 60) -> sparse.csr_matrix:
    """Random directed weights that have nothing to do with straight lines."""
    rng = np.random.default_rng(seed)
    m = n * 4
    a, b = rng.integers(0, n, m), rng.integers(0, n, m)
    w = rng.choice([0.5, 1.0, 3.0, 7.5, 40.0], m) * rng.random(m)
    keep = a != b
    mat = sparse.coo_matrix((w[keep] + 0.01, (a[keep], b[keep])), shape=(n, n)).tocsr()
    mat.sum_duplicates()
    return mat


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), limit=st.sampled_from([0.0, 2.0, 9.0, 30.0, np.inf]))
def test_bounded_searches_equal_networkx(seed, limit):
    csr = _random_digraph(seed)
    G = nx.DiGraph()
    G.add_nodes_from(range(csr.shape[0]))
    coo = csr.tocoo()
    G.add_weighted_edges_from(zip(coo.row.tolist(), coo.col.tolist(), coo.data.tolist()))
    sources = np.array([0, 5, 5, 17, 42])
    k, node, secs = bounded.pairs_within(csr, sources, limit)
    for i, s in enumerate(sources):
        ref = nx.single_source_dijkstra_path_length(G, int(s), cutoff=limit)
        got = dict(zip(node[k == i].tolist(), secs[k == i].tolist()))
        assert got.keys() == ref.keys()
        assert all(got[v] == pytest.approx(ref[v], rel=1e-12) for v in ref)
    cover = traveltime.within_limit(csr, sources, limit)  # places x nodes, times *to* places
    R = G.reverse()
    for i, s in enumerate(sources):
        ref = nx.single_source_dijkstra_path_length(R, int(s), cutoff=limit)
        assert set(cover[i].indices.tolist()) == set(ref)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-1e9, 1e9, allow_nan=False), max_size=700))
def test_neighbourhood_sums_add_exactly_as_numpy_does(values):
    arr = np.array(values, float)
    assert np_sum(arr) == arr.sum()
