"""Population-weighted coverage of meeting places, outreach ranking, scenarios, best locations.

Pure functions: they take a travel-time graph (CSR, seconds), the places that
count (a DataFrame with ``id``, ``node``, ``models`` (list), ``capacity``) and
residents as population points (``code``, ``node``, ``population``), and
return DataFrames. Which places count (thresholds, working models, open at the
chosen time) is decided by the caller with a :class:`buurtkaart.filters.Filter`.

Per neighbourhood (:func:`neighbourhood_coverage`):

- ``mean_minutes`` / ``median_minutes``: population-weighted mean and median
  travel time to the nearest matching place; ``None`` when the median resident
  cannot reach one at all (the mean is over residents who can);
- ``share_within_5/10/15/20`` and ``share_within`` (at the chosen limit):
  share of residents (0..1) who reach a place in that many minutes;
- ``unreachable_population``: residents who reach no matching place at all;
- ``models_reachable``: the number of distinct working models the median
  resident reaches within the limit (population-weighted median over the
  neighbourhood's points of the count of models reachable);
- ``fca_ratio``: two-step floating catchment area (Luo & Wang 2003):
  for each place with a known capacity, R = capacity / residents within the
  limit; for each resident, the sum of R over places within the limit;
  population-weighted mean per neighbourhood, in places per resident
  (``None`` when no place has a capacity).
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
from scipy import sparse

from .traveltime import nearest_times, reverse, times_to
from .taxonomy import WORKING_MODELS

__all__ = ["THRESHOLD_MINUTES", "RANKING_FORMULA", "neighbourhood_coverage",
           "aggregate_municipalities", "outreach_ranking", "scenario", "best_locations",
           "covered_by", "optimum_by_brute_force"]

THRESHOLD_MINUTES = (5, 10, 15, 20)
RANKING_FORMULA = ("score = need / max(need) × (1 − share_within): the neighbourhood with "
                   "the most need and nobody within reach scores 1; one where everyone "
                   "reaches a place scores 0. 'residents_without_access' = population × "
                   "(1 − share_within).")


def _weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    if len(values) == 0 or weights.sum() <= 0:
        return math.nan
    order = np.argsort(values, kind="stable")
    v, w = values[order], weights[order]
    cum = np.cumsum(w)
    return float(v[np.searchsorted(cum, 0.5 * cum[-1])])


def _place_arrays(places: pd.DataFrame) -> tuple[np.ndarray, list[list[str]], np.ndarray]:
    nodes = places["node"].to_numpy(np.int64) if len(places) else np.empty(0, np.int64)
    models = [list(m) for m in places["models"]] if len(places) else []
    cap = places["capacity"].to_numpy(float) if "capacity" in places and len(places) \
        else np.full(len(places), np.nan)
    return nodes, models, cap


def _fca(rev, nodes, cap, pop_nodes, pop, limit_s) -> np.ndarray | None:
    known = np.flatnonzero(np.isfinite(cap))
    if len(known) == 0:
        return None
    t = times_to(rev, nodes[known], limit=limit_s, reversed_graph=True)[:, pop_nodes]
    within = t <= limit_s
    demand = (within * pop[None, :]).sum(axis=1)
    ratio = np.divide(cap[known], demand, out=np.zeros(len(known)), where=demand > 0)
    return (within * ratio[:, None]).sum(axis=0)


def neighbourhood_coverage(csr: sparse.csr_matrix, places: pd.DataFrame,
                           residents: pd.DataFrame, *, minutes: float) -> pd.DataFrame:
    """Coverage per neighbourhood code (see the module docstring for every column)."""
    limit_s = minutes * 60.0
    nodes, models, cap = _place_arrays(places)
    pop_nodes = residents["node"].to_numpy(np.int64)
    pop = residents["population"].to_numpy(float)
    rev = reverse(csr)
    t_all, _ = nearest_times(rev, nodes, reversed_graph=True)
    t = t_all[pop_nodes] / 60.0
    model_count = np.zeros(len(pop_nodes), np.int32)
    for m in WORKING_MODELS:
        sel = [i for i, ms in enumerate(models) if m in ms]
        if sel:
            tm, _ = nearest_times(rev, nodes[sel], limit=limit_s, reversed_graph=True)
            model_count += tm[pop_nodes] <= limit_s
    fca = _fca(rev, nodes, cap, pop_nodes, pop, limit_s)
    out = []
    codes = residents["code"].to_numpy()
    for code in pd.unique(codes):
        sel = codes == code
        w, tt = pop[sel], t[sel]
        total = w.sum()
        reach = np.isfinite(tt)
        median = _weighted_median(tt, w)
        row = {
            "code": code, "population": total,
            "mean_minutes": float(np.average(tt[reach], weights=w[reach]))
            if reach.any() and w[reach].sum() > 0 else None,
            "median_minutes": None if not math.isfinite(median) else median,
            "unreachable_population": float(w[~reach].sum()),
        }
        for m in THRESHOLD_MINUTES:
            row[f"share_within_{m}"] = float(w[tt <= m].sum() / total) if total else None
        row["share_within"] = float(w[tt <= minutes].sum() / total) if total else None
        row["models_reachable"] = int(_weighted_median(model_count[sel].astype(float), w)) \
            if total else 0
        row["fca_ratio"] = float(np.average(fca[sel], weights=w)) if fca is not None and total \
            else None
        out.append(row)
    return pd.DataFrame(out)


def aggregate_municipalities(coverage: pd.DataFrame,
                             municipality_of: dict[str, str | None]) -> pd.DataFrame:
    """Population-weighted aggregates of neighbourhood coverage per municipality."""
    df = coverage.copy()
    df["municipality_code"] = df["code"].map(municipality_of)
    rows = []
    for muni, g in df.groupby("municipality_code", dropna=False):
        w = g["population"].to_numpy(float)
        row = {"municipality_code": muni, "neighbourhoods": len(g), "population": w.sum(),
               "unreachable_population": g["unreachable_population"].sum()}
        for col in [c for c in g.columns if c.startswith("share_within")] + ["mean_minutes",
                                                                             "fca_ratio"]:
            vals = pd.to_numeric(g[col], errors="coerce").to_numpy(float)
            ok = np.isfinite(vals) & (w > 0)
            row[col] = float(np.average(vals[ok], weights=w[ok])) if ok.any() else None
        rows.append(row)
    return pd.DataFrame(rows)


def outreach_ranking(coverage: pd.DataFrame, need: pd.Series) -> pd.DataFrame:
    """Neighbourhoods ordered by need × lack of access (:data:`RANKING_FORMULA`).

    ``need`` is indexed by neighbourhood code (population, a need index, ...);
    neighbourhoods without a need value are listed last with score ``None``.
    """
    df = coverage[["code", "population", "share_within", "median_minutes"]].copy()
    df["need"] = df["code"].map(need)
    top = pd.to_numeric(df["need"], errors="coerce").max()
    lack = 1.0 - df["share_within"].astype(float)
    df["score"] = (pd.to_numeric(df["need"], errors="coerce") / top * lack) if top and top > 0 \
        else np.nan
    df["residents_without_access"] = df["population"] * lack
    df = df.sort_values(["score", "residents_without_access"], ascending=False,
                        na_position="last").reset_index(drop=True)
    df.insert(0, "rank", range(1, len(df) + 1))
    return df


def scenario(csr, places: pd.DataFrame, residents: pd.DataFrame, *, minutes: float,
             add: pd.DataFrame | None = None, remove=()) -> pd.DataFrame:
    """Coverage before and after adding places (rows like ``places``) and/or
    removing places by id; one row per neighbourhood with the change."""
    before = neighbourhood_coverage(csr, places, residents, minutes=minutes)
    after_places = places[~places["id"].isin(list(remove))]
    if add is not None and len(add):
        after_places = pd.concat([after_places, add], ignore_index=True)
    after = neighbourhood_coverage(csr, after_places, residents, minutes=minutes)
    cols = ["share_within", "median_minutes", "models_reachable", "unreachable_population"]
    df = before[["code", "population"] + cols].merge(after[["code"] + cols], on="code",
                                                     suffixes=("_before", "_after"))
    for c in cols:
        df[f"{c}_change"] = pd.to_numeric(df[f"{c}_after"], errors="coerce") - \
            pd.to_numeric(df[f"{c}_before"], errors="coerce")
    df["residents_gaining_access"] = df["population"] * df["share_within_change"]
    return df


def covered_by(csr, candidate_nodes, residents: pd.DataFrame, limit_s: float) -> np.ndarray:
    """Boolean matrix candidates x resident points: reachable within the limit."""
    t = times_to(csr, np.asarray(candidate_nodes, np.int64), limit=limit_s)
    return t[:, residents["node"].to_numpy(np.int64)] <= limit_s


def best_locations(csr, places: pd.DataFrame, residents: pd.DataFrame, *, k: int,
                   minutes: float, candidates=None, max_candidates: int = 3000
                   ) -> pd.DataFrame:
    """Greedy maximal covering: ``k`` network nodes for new places that bring the
    most residents who now reach no place within the limit within reach.

    Greedy is within 1 − 1/e of the optimum (Nemhauser et al. 1978); the tests
    measure the actual gap against brute force on small cases.
    """
    limit_s = minutes * 60.0
    nodes, _, _ = _place_arrays(places)
    t, _ = nearest_times(csr, nodes, limit=limit_s)
    pop_nodes = residents["node"].to_numpy(np.int64)
    uncovered = ~(t[pop_nodes] <= limit_s)
    weight = residents["population"].to_numpy(float) * uncovered
    if candidates is None:
        candidates = np.unique(pop_nodes[uncovered])
        if len(candidates) > max_candidates:
            rng = np.random.default_rng(0)
            candidates = np.sort(rng.choice(candidates, max_candidates, replace=False))
    candidates = np.asarray(candidates, np.int64)
    if len(candidates) == 0 or weight.sum() == 0:
        return pd.DataFrame(columns=["rank", "node", "residents_newly_covered"])
    cover = covered_by(csr, candidates, residents, limit_s)
    chosen, gains = [], []
    remaining = weight.copy()
    for _ in range(min(k, len(candidates))):
        gain = cover @ remaining
        best = int(np.argmax(gain))
        if gain[best] <= 0:
            break
        chosen.append(int(candidates[best]))
        gains.append(float(gain[best]))
        remaining[cover[best]] = 0.0
    return pd.DataFrame({"rank": range(1, len(chosen) + 1), "node": chosen,
                         "residents_newly_covered": gains})


def optimum_by_brute_force(csr, places, residents, *, k: int, minutes: float,
                           candidates) -> float:
    """The best total newly covered by any ``k`` candidates (for measuring greedy)."""
    limit_s = minutes * 60.0
    nodes, _, _ = _place_arrays(places)
    t, _ = nearest_times(csr, nodes, limit=limit_s)
    pop_nodes = residents["node"].to_numpy(np.int64)
    weight = residents["population"].to_numpy(float) * ~(t[pop_nodes] <= limit_s)
    cover = covered_by(csr, candidates, residents, limit_s)
    best = 0.0
    for combo in itertools.combinations(range(len(candidates)), k):
        best = max(best, float(weight[cover[list(combo)].any(axis=0)].sum()))
    return best
