"""Population-weighted coverage of meeting places, outreach ranking, scenarios, best locations.

Pure functions: they take a travel-time graph (CSR, seconds), the places that
count (a DataFrame with ``id``, ``node``, ``models`` (list of working-model
keys), ``capacity`` (float or NaN)) and residents as population points
(``code``, ``node``, ``population``, already snapped), and return DataFrames.
Which places count (thresholds, working models, open at the chosen time) is
decided by the caller, who passes only those places.

Times are from the resident to the place (searches from the places on the
transposed graph, see :mod:`buurtkaart.traveltime`).

Per neighbourhood (:func:`neighbourhood_coverage`):

- ``population``: residents counted;
- ``mean_minutes``: population-weighted mean travel time to the nearest
  place, over the residents who can reach one at all (``None`` if nobody can);
- ``median_minutes``: population-weighted (lower) median over all residents,
  unreachable ones counting as infinitely far; ``None`` when that median is
  unreachable (more than half cannot reach any place);
- ``unreachable_population``: residents who reach no place at all;
- ``share_within_5/10/15/20`` (the ``thresholds``) and ``share_within`` (at
  the chosen limit): share of residents (0..1) who reach a place in that
  many minutes;
- ``models_reachable``: the number of distinct working models the median
  resident reaches within the limit (population-weighted lower median, over
  the neighbourhood's points, of the number of models reachable from each
  point); ``models_reachable_mean`` is the population-weighted mean of the
  same per-point counts;
- ``share_model_<model>`` (one per working model): share of residents (0..1)
  who reach, within the limit, a place offering that working model; a model
  reached by fewer than half the residents is *missing* there
  (:func:`missing_models`);
- ``fca_ratio``: two-step floating catchment area (Luo & Wang 2003) with the
  limit as catchment: for each place with a known capacity,
  R = capacity / residents within the limit of it; for each resident point,
  the sum of R over places within its limit; population-weighted mean per
  neighbourhood (capacity units per resident). Places without a capacity
  are left out of it; ``NaN`` when no place has a capacity.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
from scipy import sparse

from .bounded import THREADS
from .catchment import catchments
from .errors import InvalidParameter
from .grouped import bit_sums, segment_stats_threaded
from .i18n import N_
from .progress import counted
from .taxonomy import WORKING_MODELS
from .traveltime import nearest_times, reverse, within_limit

__all__ = ["THRESHOLD_MINUTES", "FORMULA", "RANKING_FORMULA", "COVERAGE_COLUMNS",
           "neighbourhood_coverage", "aggregate_municipalities", "outreach_ranking",
           "missing_models", "scenario", "best_locations", "covered_by", "optimum_by_brute_force"]

THRESHOLD_MINUTES = (5, 10, 15, 20)

#: The outreach ranking formula, to show beside the ranking.
FORMULA = N_("score = need_normalised × (1 − share_within), where need_normalised = need / "
           "max(need) when no need value is negative (counts, shares), and (need − min(need)) / "
           "(max(need) − min(need)) otherwise (e.g. a z-score need index). The neighbourhood "
           "with the most need and nobody within reach scores 1; one where everyone reaches a "
           "place scores 0. residents_without_access = population × (1 − share_within).")
RANKING_FORMULA = FORMULA  # the name the web layer uses


def _label(m: float) -> str:
    return str(int(m)) if float(m).is_integer() else str(m)


def _coverage_columns(thresholds: Sequence[float]) -> list[str]:
    return (["code", "population", "mean_minutes", "median_minutes", "unreachable_population"]
            + [f"share_within_{_label(m)}" for m in thresholds]
            + ["share_within", "models_reachable", "models_reachable_mean"]
            + [f"share_model_{m}" for m in WORKING_MODELS] + ["fca_ratio"])


COVERAGE_COLUMNS = tuple(_coverage_columns(THRESHOLD_MINUTES))


# ---------------------------------------------------------------- validation
def _minutes(minutes, name: str = "minutes") -> float:
    try:
        value = float(minutes)
    except (TypeError, ValueError):
        raise InvalidParameter(name, "must be a number of minutes") from None
    if not math.isfinite(value) or value <= 0:
        raise InvalidParameter(name, "must be a positive number of minutes")
    return value


def _need_columns(df, name: str, columns: Iterable[str]) -> None:
    if not isinstance(df, pd.DataFrame):
        raise InvalidParameter(name, "expected a DataFrame")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise InvalidParameter(name, f"missing column(s): {', '.join(missing)}")


def _node_array(values, n: int, name: str) -> np.ndarray:
    arr = np.asarray(values)
    if arr.ndim == 1 and np.issubdtype(arr.dtype, np.integer):  # the common case, no copy
        if len(arr) and (arr.min() < 0 or arr.max() >= n):
            raise InvalidParameter(name, f"node must be an integer between 0 and {n - 1}")
        return arr.astype(np.int64, copy=False)
    arr = pd.to_numeric(pd.Series(values, dtype=object), errors="coerce").to_numpy(float)
    if len(arr) and (not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr))
                     or arr.min() < 0 or arr.max() >= n):
        raise InvalidParameter(name, f"node must be an integer between 0 and {n - 1}")
    return arr.astype(np.int64)


def _place_arrays(places: pd.DataFrame, n: int
                  ) -> tuple[np.ndarray, list[list[str]], np.ndarray]:
    _need_columns(places, "facilities", ["node"])
    nodes = _node_array(places["node"], n, "facilities.node")
    if "models" in places.columns:
        models = [list(m) if isinstance(m, (list, tuple, set, np.ndarray)) else []
                  for m in places["models"]]
    else:
        models = [[] for _ in range(len(places))]
    if "capacity" in places.columns:
        cap = pd.to_numeric(places["capacity"], errors="coerce").to_numpy(float)
        if np.any(cap[np.isfinite(cap)] < 0):
            raise InvalidParameter("facilities.capacity", "must be >= 0 or unknown (NaN)")
    else:
        cap = np.full(len(places), np.nan)
    return nodes, models, cap


def _resident_arrays(residents: pd.DataFrame, n: int):
    _need_columns(residents, "population", ["code", "node", "population"])
    nodes = _node_array(residents["node"], n, "population.node")
    pop = pd.to_numeric(residents["population"], errors="coerce").to_numpy(float)
    if np.any(~np.isfinite(pop)) or np.any(pop < 0):
        raise InvalidParameter("population", "population must be a finite number >= 0")
    return residents["code"].to_numpy(), nodes, pop


def _weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    """Lower weighted median: the smallest value with at least half the weight at or below it."""
    if len(values) == 0 or weights.sum() <= 0:
        return math.nan
    order = np.argsort(values, kind="stable")
    v, w = values[order], weights[order]
    cum = np.cumsum(w)
    return float(v[np.searchsorted(cum, 0.5 * cum[-1])])


# ---------------------------------------------------------------- coverage
def _csr(csr) -> sparse.csr_matrix:
    """``csr`` itself when it already is one (so that its transpose is made only once)."""
    return csr if sparse.issparse(csr) and csr.format == "csr" else sparse.csr_matrix(csr)


def neighbourhood_coverage(csr: sparse.csr_matrix, places: pd.DataFrame,
                           residents: pd.DataFrame, *, minutes: float,
                           thresholds: Sequence[float] = THRESHOLD_MINUTES) -> pd.DataFrame:
    """Coverage per neighbourhood code.

    Parameters
    ----------
    csr:
        Edge travel times in seconds (n x n).
    places:
        ``id, node, models, capacity`` of the places that count.
    residents:
        Population points ``code, node, population``.
    minutes:
        The chosen travel-time limit.
    thresholds:
        Minutes for the ``share_within_<m>`` columns.

    Returns
    -------
    DataFrame
        One row per code (in order of first appearance) with the columns
        described in the module docstring.
    """
    limit_min = _minutes(minutes)
    limit_s = limit_min * 60.0
    thresholds = [_minutes(m, "thresholds") for m in thresholds]
    csr = _csr(csr)
    n = csr.shape[0]
    nodes, models, cap = _place_arrays(places, n)
    codes, pop_nodes, pop = _resident_arrays(residents, n)
    rev = reverse(csr)
    bits = np.zeros(len(nodes), np.uint8)
    for j, m in enumerate(WORKING_MODELS):
        bits |= np.array([m in ms for ms in models], bool).astype(np.uint8) << j

    def by_neighbourhood():  # the residents' side, on this thread while the searches run
        code_idx, unique_codes = pd.factorize(codes)  # in order of first appearance
        # one stable sort by neighbourhood: each one's points are then a contiguous slice,
        # in their original order, so every sum below adds the same numbers in the same
        # order (a radix sort when the neighbourhood numbers fit in 16 bits)
        small = code_idx.astype(np.uint16) if len(unique_codes) < 2**16 else code_idx
        order = np.argsort(small, kind="stable")
        bounds = np.zeros(len(unique_codes) + 1, np.int64)
        np.cumsum(np.bincount(code_idx, minlength=len(unique_codes)), out=bounds[1:])
        return code_idx, unique_codes, order, bounds

    reached, (code_idx, unique_codes, order, bounds) = catchments(
        rev, nodes, bits, cap, pop_nodes, pop, limit_s, meanwhile=by_neighbourhood)
    t = reached.dist[pop_nodes]  # seconds
    point_bits = reached.bits[pop_nodes]
    model_count = np.zeros(len(pop_nodes), np.int32)
    for j in range(len(WORKING_MODELS)):
        model_count += (point_bits >> j) & 1
    fca = reached.fca[pop_nodes] if reached.fca is not None else None
    limits = np.array([m * 60.0 for m in thresholds] + [limit_s])
    stats = segment_stats_threaded(bounds, pop[order], t[order],
                                   model_count[order].astype(float),
                                   fca[order] if fca is not None else np.empty(0), limits,
                                   THREADS)
    totals, sums = bit_sums(code_idx, pop, point_bits, len(unique_codes), len(WORKING_MODELS))
    with np.errstate(invalid="ignore", divide="ignore"):
        model_share = {m: sums[j] / totals for j, m in enumerate(WORKING_MODELS)}
    labels = [f"share_within_{_label(m)}" for m in thresholds]
    out = []
    j = 5 + len(limits)
    for i, code in enumerate(unique_codes):
        st = stats[i].tolist()
        total = st[0]
        row = {"code": code, "population": total,
               "mean_minutes": st[2] / 60.0 if math.isfinite(st[2]) else None,
               "median_minutes": st[3] / 60.0 if math.isfinite(st[3]) else None,
               "unreachable_population": st[4]}
        for k, label in enumerate(labels):
            row[label] = st[5 + k] if total else None
        row["share_within"] = st[4 + len(limits)] if total else None
        row["models_reachable"] = int(st[j]) if total else 0
        row["models_reachable_mean"] = st[j + 1] if total else 0.0
        for m, share in model_share.items():
            row[f"share_model_{m}"] = float(share[i]) if total else None
        row["fca_ratio"] = st[j + 2] if fca is not None and total else math.nan
        out.append(row)
    return pd.DataFrame(out, columns=_coverage_columns(thresholds))


def aggregate_municipalities(coverage: pd.DataFrame,
                             municipality_of: dict | pd.Series) -> pd.DataFrame:
    """Population-weighted aggregates of neighbourhood coverage per municipality.

    ``municipality_of`` maps neighbourhood code -> municipality code (codes
    without one are grouped under ``None``). Shares, ``mean_minutes``,
    ``models_reachable_mean`` and ``fca_ratio`` are population-weighted means
    over the neighbourhoods that have a value; populations are summed.
    Medians cannot be aggregated and are left out.
    """
    _need_columns(coverage, "coverage", ["code", "population", "unreachable_population"])
    df = coverage.copy()
    df["municipality_code"] = df["code"].map(municipality_of)
    rows = []
    for muni, g in df.groupby("municipality_code", dropna=False, sort=True):
        w = pd.to_numeric(g["population"], errors="coerce").fillna(0).to_numpy(float)
        row = {"municipality_code": None if pd.isna(muni) else muni, "neighbourhoods": len(g),
               "population": float(w.sum()),
               "unreachable_population": float(g["unreachable_population"].sum())}
        cols = [c for c in g.columns if c.startswith(("share_within", "share_model_"))]
        cols += [c for c in ("mean_minutes", "models_reachable_mean", "fca_ratio")
                 if c in g.columns]
        for col in cols:
            vals = pd.to_numeric(g[col], errors="coerce").to_numpy(float)
            ok = np.isfinite(vals) & (w > 0)
            row[col] = float(np.average(vals[ok], weights=w[ok])) if ok.any() else None
        rows.append(row)
    return pd.DataFrame(rows)


def missing_models(row: dict | pd.Series, share: float = 0.5) -> list[str]:
    """The working models that fewer than ``share`` of a neighbourhood's residents reach
    within the limit (from a row of :func:`neighbourhood_coverage`), in taxonomy order;
    empty for a neighbourhood without residents."""
    out = []
    for m in WORKING_MODELS:
        v = row.get(f"share_model_{m}")
        if v is None or not math.isfinite(v):
            return []
        if v < share:
            out.append(m)
    return out


def outreach_ranking(coverage: pd.DataFrame, need: pd.Series) -> pd.DataFrame:
    """Neighbourhoods ordered by need × lack of access (:data:`FORMULA`).

    Parameters
    ----------
    coverage:
        Output of :func:`neighbourhood_coverage`.
    need:
        Need per neighbourhood code (population, a share, a need index, ...).

    Returns
    -------
    DataFrame
        ``rank, code, population, share_within, median_minutes, need,
        need_normalised, score, residents_without_access``, highest score
        first; neighbourhoods without a need value come last with score NaN.
    """
    _need_columns(coverage, "coverage", ["code", "population", "share_within"])
    cols = ["code", "population", "share_within"] + \
        (["median_minutes"] if "median_minutes" in coverage.columns else [])
    df = coverage[cols].copy()
    df["need"] = pd.to_numeric(df["code"].map(need), errors="coerce")
    vals = df["need"]
    lo, hi = vals.min(), vals.max()
    if vals.notna().sum() == 0:
        norm = vals * np.nan
    elif lo >= 0:
        norm = vals / hi if hi > 0 else vals * 0.0
    else:
        norm = (vals - lo) / (hi - lo) if hi > lo else vals * 0.0 + 1.0
    df["need_normalised"] = norm
    lack = 1.0 - pd.to_numeric(df["share_within"], errors="coerce").astype(float)
    df["score"] = norm * lack
    df["residents_without_access"] = df["population"] * lack
    df = df.sort_values(["score", "residents_without_access"], ascending=False,
                        na_position="last").reset_index(drop=True)
    df.insert(0, "rank", range(1, len(df) + 1))
    return df


# ---------------------------------------------------------------- scenarios
def _as_places(add) -> pd.DataFrame:
    """Rows to add: a DataFrame like ``places``, or ``(node, models, capacity)`` tuples /
    dicts with those keys; new ids are -1, -2, ... unless given."""
    if add is None:
        return pd.DataFrame(columns=["id", "node", "models", "capacity"])
    if isinstance(add, pd.DataFrame):
        df = add.copy()
    else:
        rows = []
        for i, a in enumerate(add):
            if isinstance(a, dict):
                rows.append({"id": a.get("id", -(i + 1)), "node": a.get("node"),
                             "models": list(a.get("models") or []),
                             "capacity": a.get("capacity", np.nan)})
            elif isinstance(a, (tuple, list)) and 1 <= len(a) <= 3:
                node, models, cap = list(a) + [None, [], np.nan][len(a):]
                rows.append({"id": -(i + 1), "node": node, "models": list(models or []),
                             "capacity": np.nan if cap is None else cap})
            else:
                raise InvalidParameter(f"add[{i}]", "expected (node, models, capacity)")
        df = pd.DataFrame(rows, columns=["id", "node", "models", "capacity"])
    if "id" not in df.columns:
        df["id"] = [-(i + 1) for i in range(len(df))]
    return df


def scenario(csr, places: pd.DataFrame, residents: pd.DataFrame, *, minutes: float,
             add=None, remove: Iterable = ()) -> pd.DataFrame:
    """Coverage before and after adding and/or removing places; nothing is rebuilt.

    Parameters
    ----------
    csr, places, residents, minutes:
        As :func:`neighbourhood_coverage`.
    add:
        New places: ``[(node, models, capacity), ...]``, dicts with those keys,
        or a DataFrame like ``places``.
    remove:
        Ids of places in ``places`` to take away.

    Returns
    -------
    DataFrame
        Per code: ``population``, and for ``share_within``, ``median_minutes``,
        ``models_reachable`` and ``unreachable_population`` the ``_before``,
        ``_after`` and ``_change`` (after − before) values, plus
        ``residents_gaining_access`` = population × change in share_within
        (negative when residents lose access), the net of ``residents_gaining`` (residents
        with no place within ``minutes`` before and one after) and ``residents_losing``
        (the other way round); ``share_model_<model>`` before, after and change.
    """
    remove = list(remove)
    _need_columns(places, "facilities", ["id", "node"])
    unknown = sorted(set(remove) - set(places["id"]), key=str)
    if unknown:
        raise InvalidParameter("remove", f"not among the places: {unknown}")
    before = neighbourhood_coverage(csr, places, residents, minutes=minutes)
    after_places = places[~places["id"].isin(remove)]
    added = _as_places(add)
    if len(added):
        after_places = pd.concat([after_places, added], ignore_index=True)
    after = neighbourhood_coverage(csr, after_places, residents, minutes=minutes)
    cols = ["share_within", "median_minutes", "models_reachable", "unreachable_population",
            *(f"share_model_{m}" for m in WORKING_MODELS)]
    df = before[["code", "population"] + cols].merge(after[["code"] + cols], on="code",
                                                     suffixes=("_before", "_after"))
    for c in cols:
        df[f"{c}_change"] = pd.to_numeric(df[f"{c}_after"], errors="coerce") - \
            pd.to_numeric(df[f"{c}_before"], errors="coerce")
    df["residents_gaining_access"] = df["population"] * df["share_within_change"]
    limit_s = _minutes(minutes) * 60.0
    was, now = (_reached(csr, p, residents, limit_s) for p in (places, after_places))
    pop, codes = residents["population"].to_numpy(float), residents["code"].to_numpy()
    for col, moved in (("residents_gaining", now & ~was), ("residents_losing", was & ~now)):
        df[col] = df["code"].map(pd.Series(pop * moved).groupby(codes).sum()).fillna(0.0)
    return df


def _reached(csr, places: pd.DataFrame, residents: pd.DataFrame, limit_s: float) -> np.ndarray:
    """Per resident point: is a place within ``limit_s`` seconds?"""
    csr = _csr(csr)
    nodes, _, _ = _place_arrays(places, csr.shape[0])
    _, pop_nodes, _ = _resident_arrays(residents, csr.shape[0])
    if not len(nodes):
        return np.zeros(len(pop_nodes), bool)
    t, _ = nearest_times(reverse(csr), nodes, limit=limit_s, reversed_graph=True)
    return t[pop_nodes] <= limit_s


# ---------------------------------------------------------------- best locations
def covered_by(csr, candidate_nodes, residents: pd.DataFrame, limit_s: float
               ) -> sparse.csr_matrix:
    """Sparse boolean matrix candidates x resident points: the point reaches the
    candidate within ``limit_s`` seconds."""
    n = sparse.csr_matrix(csr).shape[0]
    _, pop_nodes, _ = _resident_arrays(residents, n)
    return within_limit(csr, candidate_nodes, limit_s)[:, pop_nodes].tocsr()


def _uncovered_weight(csr, places, residents, limit_s):
    n = csr.shape[0]
    nodes, _, _ = _place_arrays(places, n)
    _, pop_nodes, pop = _resident_arrays(residents, n)
    t, _ = nearest_times(csr, nodes, limit=limit_s)
    uncovered = ~(t[pop_nodes] <= limit_s)
    per_node = np.bincount(pop_nodes[uncovered], weights=pop[uncovered], minlength=n)
    return per_node


def best_locations(csr, places: pd.DataFrame, residents: pd.DataFrame, *, k: int,
                   minutes: float, candidates=None, max_candidates: int = 3000
                   ) -> pd.DataFrame:
    """Greedy maximal covering: ``k`` network nodes for new places.

    Each pick is the candidate node that brings the most residents within
    ``minutes`` of a place who are not yet within ``minutes`` of one (the
    existing ``places`` or an earlier pick). Greedy is within a factor
    1 − 1/e of the optimum (Nemhauser, Wolsey & Fisher 1978); the tests
    measure the actual gap against brute force on small cases.

    Parameters
    ----------
    candidates:
        Node indices to choose from; default the nodes where uncovered
        residents live (at most ``max_candidates``, sampled with a fixed seed).

    Returns
    -------
    DataFrame
        ``rank, node, residents_newly_covered`` (that pick's own gain), at most
        ``k`` rows. ``attrs["stopped"]`` says why there are fewer: ``all_reached``
        (every resident already reaches a place), ``all_reached_now`` (the picks so far
        reach everyone who had no place), ``no_candidates``, ``no_gain`` (no remaining
        candidate brings anyone new within reach) or ``candidates_exhausted``
        (fewer candidates than ``k``); ``None`` when ``k`` were found.
        ``attrs["asked"]`` is ``k``, ``attrs["candidates"]`` the number of candidates.
    """
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise InvalidParameter("k", "must be a whole number >= 1")
    limit_s = _minutes(minutes) * 60.0
    csr = sparse.csr_matrix(csr)
    n = csr.shape[0]
    weight = _uncovered_weight(csr, places, residents, limit_s)
    if candidates is None:
        candidates = np.flatnonzero(weight > 0)
        if len(candidates) > max_candidates:
            rng = np.random.default_rng(0)
            candidates = np.sort(rng.choice(candidates, max_candidates, replace=False))
    candidates = np.unique(_node_array(candidates, n, "candidates"))
    empty = pd.DataFrame({"rank": pd.Series(dtype=int), "node": pd.Series(dtype=np.int64),
                          "residents_newly_covered": pd.Series(dtype=float)})
    chosen, gains, stopped = [], [], None
    if weight.sum() == 0:
        stopped = "all_reached"
    elif len(candidates) == 0:
        stopped = "no_candidates"
    else:
        cover = within_limit(csr, candidates, limit_s)  # candidates x nodes
        remaining = weight.copy()
        for _ in counted(range(min(int(k), len(candidates))), "choosing locations",
                         unit=" locations"):
            gain = cover @ remaining
            best = int(np.argmax(gain))
            if gain[best] <= 0:
                stopped = "no_gain" if remaining.sum() > 0 else "all_reached_now"
                break
            chosen.append(int(candidates[best]))
            gains.append(float(gain[best]))
            remaining[cover[best].indices] = 0.0
        if stopped is None and len(chosen) < k:
            stopped = "all_reached_now" if remaining.sum() == 0 else "candidates_exhausted"
    out = pd.DataFrame({"rank": range(1, len(chosen) + 1), "node": chosen,
                        "residents_newly_covered": gains}) if chosen else empty
    out.attrs.update(asked=int(k), stopped=stopped, candidates=int(len(candidates)))
    return out


def optimum_by_brute_force(csr, places, residents, *, k: int, minutes: float,
                           candidates) -> float:
    """The most residents any ``k`` of ``candidates`` newly cover (exhaustive; small cases)."""
    limit_s = _minutes(minutes) * 60.0
    csr = sparse.csr_matrix(csr)
    weight = _uncovered_weight(csr, places, residents, limit_s)
    cover = within_limit(csr, np.asarray(candidates, np.int64), limit_s).toarray()
    best = 0.0
    for combo in itertools.combinations(range(len(candidates)), min(k, len(candidates))):
        best = max(best, float(weight[cover[list(combo)].any(axis=0)].sum()))
    return best
