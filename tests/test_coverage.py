"""Coverage, outreach ranking, scenarios, best locations and population spreading, on
hand-built cases whose answers are known and against independent brute force."""

from __future__ import annotations

import itertools
import math

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import sparse

from buurtkaart import coverage, population
from buurtkaart.errors import InvalidParameter
from buurtkaart.taxonomy import WORKING_MODELS


def _line(n=6, metres=60.0, directed=False) -> sparse.csr_matrix:
    """Nodes on a line; weights are read as seconds (60 per edge = one minute per edge)."""
    rows, cols = list(range(n - 1)), list(range(1, n))
    if not directed:
        rows, cols = rows + cols, cols + rows
    return sparse.csr_matrix((np.full(len(rows), metres), (rows, cols)), shape=(n, n))


def _residents(spec):
    return pd.DataFrame(spec, columns=["code", "node", "population"])


def _places(spec):
    """``(id, node, models, capacity)`` tuples."""
    return pd.DataFrame(spec, columns=["id", "node", "models", "capacity"])


# ---------------------------------------------------------------- coverage
def test_coverage_numbers_on_a_line():
    csr = _line()
    places = _places([(1, 0, ["peer", "buddy"], 10.0)])
    res = _residents([("A", 0, 100), ("A", 2, 300), ("B", 5, 50), ("B", 4, 50)])
    cov = coverage.neighbourhood_coverage(csr, places, res, minutes=3).set_index("code")
    a, b = cov.loc["A"], cov.loc["B"]
    assert a["population"] == 400 and a["median_minutes"] == 2 and a["mean_minutes"] == 1.5
    assert a["share_within"] == 1 and a["share_within_5"] == 1 and a["share_within_10"] == 1
    assert a["models_reachable"] == 2 and a["models_reachable_mean"] == 2
    assert b["share_within"] == 0 and b["share_within_5"] == 1 and b["median_minutes"] == 4
    assert b["mean_minutes"] == 4.5 and b["models_reachable"] == 0
    # 2SFCA: 10 capacity for the 400 residents within 3 minutes, none for B
    assert a["fca_ratio"] == pytest.approx(10 / 400) and b["fca_ratio"] == 0
    assert list(cov.reset_index().columns) == list(coverage.COVERAGE_COLUMNS)


def test_two_step_floating_catchment_by_hand():
    # places at 0 (capacity 30) and 4 (capacity 10); limit 2 minutes = 2 edges
    csr = _line(n=5)
    places = _places([(1, 0, ["peer"], 30.0), (2, 4, ["peer"], 10.0), (3, 2, ["peer"], np.nan)])
    res = _residents([("X", 1, 10), ("X", 2, 20), ("Y", 3, 40)])
    cov = coverage.neighbourhood_coverage(csr, places, res, minutes=2).set_index("code")
    # demand: place 0 sees nodes 1,2 -> 30 residents; place 4 sees 2,3 -> 60
    r0, r4 = 30 / 30, 10 / 60
    x = (10 * r0 + 20 * (r0 + r4)) / 30
    assert cov.loc["X", "fca_ratio"] == pytest.approx(x)
    assert cov.loc["Y", "fca_ratio"] == pytest.approx(r4)


def test_models_reachable_is_the_median_residents_count():
    csr = _line(n=7)
    places = _places([(1, 0, ["peer", "buddy", "context"], np.nan), (2, 6, ["peer"], np.nan)])
    # node 0 reaches 3 models (weight 10), node 6 reaches 1 (weight 30), node 3 none (weight 5)
    res = _residents([("Z", 0, 10), ("Z", 6, 30), ("Z", 3, 5)])
    row = coverage.neighbourhood_coverage(csr, places, res, minutes=1).iloc[0]
    assert row["models_reachable"] == 1
    assert row["models_reachable_mean"] == pytest.approx((3 * 10 + 1 * 30) / 45)
    # peer: nodes 0 and 6 (40 of 45); buddy and context: node 0 only (10 of 45)
    assert row["share_model_peer"] == pytest.approx(40 / 45)
    assert row["share_model_buddy"] == row["share_model_context"] == pytest.approx(10 / 45)
    assert row["share_model_location"] == 0
    assert coverage.missing_models(row) == [m for m in WORKING_MODELS if m != "peer"]
    assert coverage.missing_models(row, share=0.2) == [
        m for m in WORKING_MODELS if m not in ("peer", "buddy", "context")]


def test_unreachable_residents_are_counted_not_dropped():
    csr = _line(directed=True)  # only i -> i+1
    places = _places([(1, 2, ["peer"], np.nan)])
    cov = coverage.neighbourhood_coverage(csr, places, _residents([("A", 4, 10), ("A", 0, 30)]),
                                          minutes=5).iloc[0]
    assert cov["unreachable_population"] == 10 and cov["share_within"] == 0.75
    assert cov["median_minutes"] == 2 and cov["mean_minutes"] == 2
    assert math.isnan(cov["fca_ratio"])
    # more than half cannot reach any place: no median, the mean is over those who can
    cov = coverage.neighbourhood_coverage(csr, places, _residents([("A", 4, 30), ("A", 0, 10)]),
                                          minutes=5).iloc[0]
    assert cov["median_minutes"] is None and cov["mean_minutes"] == 2
    assert cov["unreachable_population"] == 30


def test_no_places_at_all_and_custom_thresholds():
    cov = coverage.neighbourhood_coverage(_line(), _places([]), _residents([("A", 1, 5)]),
                                          minutes=10, thresholds=(1, 2.5)).iloc[0]
    assert cov["share_within_1"] == 0 and cov["share_within_2.5"] == 0
    assert cov["median_minutes"] is None and cov["unreachable_population"] == 5


def test_coverage_refuses_bad_input():
    res = _residents([("A", 1, 5)])
    places = _places([(1, 0, ["peer"], np.nan)])
    with pytest.raises(InvalidParameter):
        coverage.neighbourhood_coverage(_line(), places, res, minutes=0)
    with pytest.raises(InvalidParameter):
        coverage.neighbourhood_coverage(_line(), _places([(1, 99, [], np.nan)]), res, minutes=5)
    with pytest.raises(InvalidParameter):
        coverage.neighbourhood_coverage(_line(), places, res.drop(columns="code"), minutes=5)
    with pytest.raises(InvalidParameter):
        coverage.neighbourhood_coverage(_line(), places, _residents([("A", 1, -5)]), minutes=5)


def test_aggregate_municipalities_weights_by_population():
    cov = pd.DataFrame({"code": ["a", "b", "c"], "population": [100.0, 300.0, 50.0],
                        "unreachable_population": [0.0, 30.0, 5.0],
                        "share_within": [1.0, 0.5, 0.0], "mean_minutes": [2.0, None, 8.0],
                        "fca_ratio": [np.nan] * 3})
    agg = coverage.aggregate_municipalities(cov, {"a": "11002", "b": "11002", "c": "44021"})
    agg = agg.set_index("municipality_code")
    assert agg.loc["11002", "population"] == 400 and agg.loc["11002", "neighbourhoods"] == 2
    assert agg.loc["11002", "share_within"] == pytest.approx((100 + 150) / 400)
    assert agg.loc["11002", "mean_minutes"] == 2.0  # b has no mean: left out
    assert agg.loc["11002", "unreachable_population"] == 30
    assert agg.loc["44021", "share_within"] == 0 and agg.loc["44021", "fca_ratio"] is None


# ---------------------------------------------------------------- ranking
def test_outreach_ranking_formula():
    cov = pd.DataFrame({"code": ["a", "b", "c"], "population": [1000, 500, 100],
                        "share_within": [1.0, 0.0, 0.5], "median_minutes": [3, 30, 12]})
    ranked = coverage.outreach_ranking(cov, pd.Series({"a": 1000, "b": 500, "c": 100}))
    assert ranked["code"].tolist() == ["b", "c", "a"]
    assert ranked["score"].tolist() == pytest.approx([0.5, 0.05, 0.0])
    assert ranked["residents_without_access"].tolist() == pytest.approx([500, 50, 0])
    assert ranked["rank"].tolist() == [1, 2, 3]
    assert coverage.FORMULA.startswith("score = need") and coverage.RANKING_FORMULA


def test_outreach_ranking_with_a_signed_need_index_and_missing_values():
    cov = pd.DataFrame({"code": ["a", "b", "c", "d"], "population": [10, 10, 10, 10],
                        "share_within": [0.0, 0.0, 0.5, 0.0]})
    ranked = coverage.outreach_ranking(cov, pd.Series({"a": -1.0, "b": 1.0, "c": 0.0}))
    assert ranked["code"].tolist() == ["b", "c", "a", "d"]
    assert ranked["score"].tolist()[:3] == pytest.approx([1.0, 0.25, 0.0])
    assert math.isnan(ranked["score"].iloc[3])
    assert ((ranked["score"].dropna() >= 0) & (ranked["score"].dropna() <= 1)).all()


# ---------------------------------------------------------------- scenarios
def test_scenario_adding_a_place_next_to_an_uncovered_neighbourhood():
    csr = _line(n=10)
    places = _places([(1, 0, ["peer"], np.nan)])
    res = _residents([("near", 1, 100), ("far", 9, 200), ("far", 8, 50)])
    result = coverage.scenario(csr, places, res, minutes=2,
                               add=[(9, ["location"], None)]).set_index("code")
    assert result.loc["far", "share_within_before"] == 0
    assert result.loc["far", "share_within_after"] == 1
    assert result.loc["far", "residents_gaining_access"] == 250
    assert result.loc["far", "models_reachable_change"] == 1
    assert result.loc["near", "share_within_change"] == 0
    removed = coverage.scenario(csr, places, res, minutes=2, remove=[1]).set_index("code")
    assert removed.loc["near", "share_within_after"] == 0
    assert removed.loc["near", "residents_gaining_access"] == -100
    with pytest.raises(InvalidParameter):
        coverage.scenario(csr, places, res, minutes=2, remove=[42])


def test_scenario_accepts_a_dataframe_of_new_places():
    csr = _line(n=10)
    places = _places([(1, 0, ["peer"], np.nan)])
    res = _residents([("far", 9, 200)])
    add = _places([(-1, 9, ["peer"], 5.0)])
    row = coverage.scenario(csr, places, res, minutes=1, add=add).iloc[0]
    assert row["share_within_after"] == 1 and row["median_minutes_after"] == 0


# ---------------------------------------------------------------- best locations
def _random_case(seed):
    rng = np.random.default_rng(seed)
    n = 14
    rows, cols, w = [], [], []
    for i in range(1, n):  # a random tree plus a few shortcuts, all two-way
        j = int(rng.integers(0, i))
        rows += [i, j]
        cols += [j, i]
        w += [float(rng.integers(30, 200))] * 2
    for _ in range(3):
        i, j = (int(x) for x in rng.choice(n, 2, replace=False))
        rows += [i, j]
        cols += [j, i]
        w += [float(rng.integers(30, 200))] * 2
    csr = sparse.coo_matrix((w, (rows, cols)), shape=(n, n)).tocsr()
    res = _residents([(f"h{i}", i, float(rng.integers(10, 100))) for i in range(n)])
    places = _places([(1, 0, ["peer"], np.nan)])
    return csr, places, res


def _brute_force(csr, places, res, k, limit_s):
    """Independent optimum: networkx distances, every k-subset of nodes."""
    G = nx.DiGraph()
    coo = csr.tocoo()
    G.add_nodes_from(range(csr.shape[0]))
    G.add_weighted_edges_from(zip(coo.row.tolist(), coo.col.tolist(), coo.data.tolist()))
    dist = dict(nx.all_pairs_dijkstra_path_length(G))
    pop = dict(zip(res["node"], res["population"]))
    covered = {i for i in G if any(dist[i].get(p, math.inf) <= limit_s for p in places["node"])}
    best = 0.0
    for combo in itertools.combinations(G.nodes, k):
        gained = sum(pop.get(i, 0) for i in G if i not in covered
                     and any(dist[i].get(c, math.inf) <= limit_s for c in combo))
        best = max(best, gained)
    return best


GAPS: list[float] = []


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("k", [2, 3])
def test_greedy_best_locations_stay_close_to_the_optimum(seed, k):
    csr, places, res = _random_case(seed)
    minutes = 3
    greedy = coverage.best_locations(csr, places, res, k=k, minutes=minutes,
                                     candidates=np.arange(csr.shape[0]))
    best = _brute_force(csr, places, res, k, minutes * 60)
    got = greedy["residents_newly_covered"].sum()
    assert got <= best + 1e-9
    assert got >= (1 - 1 / np.e) * best - 1e-9
    assert best == pytest.approx(coverage.optimum_by_brute_force(
        csr, places, res, k=k, minutes=minutes, candidates=np.arange(csr.shape[0])))
    GAPS.append(0.0 if best == 0 else 1 - got / best)
    print(f"seed {seed} k {k}: greedy {got:.0f}, optimum {best:.0f}, gap {GAPS[-1]:.1%}")
    # the picks really cover what they claim
    gains = greedy["residents_newly_covered"].tolist()
    assert gains == sorted(gains, reverse=True)
    if len(greedy):
        add = [(int(n), ["peer"], np.nan) for n in greedy["node"]]
        after = coverage.scenario(csr, places, res, minutes=minutes, add=add)
        assert after["residents_gaining_access"].sum() == pytest.approx(got)


def test_best_locations_when_everyone_is_covered_and_bad_k():
    csr = _line(n=3)
    places = _places([(1, 1, ["peer"], np.nan)])
    res = _residents([("a", 0, 5), ("a", 2, 5)])
    assert coverage.best_locations(csr, places, res, k=2, minutes=5).empty
    with pytest.raises(InvalidParameter):
        coverage.best_locations(csr, places, res, k=0, minutes=5)


def test_best_locations_default_candidates_pick_the_big_uncovered_cluster():
    csr = _line(n=20)
    places = _places([(1, 0, ["peer"], np.nan)])
    res = _residents([("west", 1, 10), ("east", 17, 100), ("east", 18, 100), ("east", 19, 100),
                      ("mid", 10, 20)])
    best = coverage.best_locations(csr, places, res, k=1, minutes=1)
    assert best["node"].tolist() == [18] and best["residents_newly_covered"].tolist() == [300]


# ---------------------------------------------------------------- population
def test_population_spreading_sums_exactly_and_reports_the_method():
    hoods = gpd.GeoDataFrame({"code": ["a", "b", "c", "d"],
                              "population": [1000.0, 333.0, 7.0, np.nan]},
                             geometry=[shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1),
                                       shapely.box(2, 0, 3, 1), shapely.box(3, 0, 4, 1)],
                             crs=4326)
    buildings = gpd.GeoDataFrame({"weight": [1.0, 3.0, 5.0]},
                                 geometry=gpd.points_from_xy([0.2, 0.7, 1.5], [0.5, 0.5, 0.5]),
                                 crs=4326)
    pts, used = population.population_points(hoods, buildings=buildings,
                                             node_lon=[2.5, 2.6, 2.7], node_lat=[0.5] * 3)
    sums = pts.groupby("code")["population"].sum()
    assert sums.to_dict() == {"a": 1000.0, "b": 333.0, "c": 7.0}
    assert used == {"a": "buildings", "b": "buildings", "c": "nodes"}
    assert set(pts["method"]) == {"buildings", "nodes"}
    a = pts[pts["code"] == "a"].sort_values("lon")["population"].tolist()
    assert a == [250, 750]
    assert sum(pts[pts["code"] == "c"]["population"].tolist()) == 7.0
    pts, used = population.population_points(hoods, method="nodes")
    assert used == {"a": "centre", "b": "centre", "c": "centre"}
    assert pts["population"].sum() == 1340
    assert shapely.box(0, 0, 1, 1).contains(shapely.Point(pts["lon"][0], pts["lat"][0]))
    with pytest.raises(InvalidParameter):
        population.population_points(hoods, method="guess")


@settings(max_examples=200, deadline=None)
@given(total=st.integers(0, 10_000_000),
       weights=st.lists(st.floats(0.001, 1e6), min_size=1, max_size=60))
def test_spread_sums_exactly_in_any_order(total, weights):
    parts = population.spread(total, weights)
    assert (parts >= 0).all()
    assert float(np.sum(parts)) == total
    assert math.fsum(parts) == total
    assert sum(parts.tolist()[::-1]) == total
    assert pd.Series(parts).sample(frac=1, random_state=1).sum() == total
    # every part is within 1/1024 of its exact share
    w = np.asarray(weights)
    assert np.abs(parts - total * w / w.sum()).max() <= 1 / 1024 + 1e-9 * total


def test_real_buildings_weigh_floor_area(helsinki_pbf):
    b = population.residential_buildings(helsinki_pbf)
    assert len(b) > 100 and (b["weight"] >= 0).all() and b["weight"].sum() > 0
    assert set(b["building"]) <= set(population.RESIDENTIAL)
    tall = b[b["levels"] > 3]
    assert len(tall)
    lon0, lat0, lon1, lat1 = b.total_bounds
    hood = gpd.GeoDataFrame({"code": ["centre"], "population": [12345]},
                            geometry=[shapely.box(lon0, lat0, lon1, lat1)], crs=4326)
    pts, used = population.population_points(hood, buildings=b)
    assert used == {"centre": "buildings"} and len(pts) == len(b[b["weight"] > 0])
    assert pts["population"].sum() == 12345
