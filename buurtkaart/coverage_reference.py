"""The coverage engine as it was before the Flanders-scale rewrite, kept as the reference.

Tests and ``bench/bench_scale.py`` compare :func:`buurtkaart.coverage.neighbourhood_coverage`
against :func:`neighbourhood_coverage` here: every output column must be identical.
Straightforward and slow on large networks: dense ``places x nodes`` matrices for
2SFCA (:func:`within_limit_dense`, scipy's Dijkstra with a limit) and a full-length
mask per neighbourhood. Not used by the service.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse.csgraph import dijkstra

from .coverage import (THRESHOLD_MINUTES, _coverage_columns, _label, _minutes, _place_arrays,
                       _resident_arrays, _weighted_median)
from .taxonomy import WORKING_MODELS
from .traveltime import _chunks, _graph, _limit, _nodes, nearest_times

__all__ = ["neighbourhood_coverage", "within_limit_dense"]


def reverse(csr: sparse.csr_matrix) -> sparse.csr_matrix:
    return sparse.csr_matrix(csr).T.tocsr()


def within_limit_dense(csr: sparse.csr_matrix, place_nodes, limit_seconds: float, *,
                       reversed_graph: bool = False) -> sparse.csr_matrix:
    """The old ``traveltime.within_limit``: dense chunks of scipy Dijkstra rows."""
    csr = _graph(csr)
    n = csr.shape[0]
    lim = _limit(limit_seconds)
    place_nodes = _nodes(place_nodes, n, "place_nodes")
    rev = csr if reversed_graph else reverse(csr)
    rows, cols = [], []
    for part in _chunks(len(place_nodes), n):
        d = np.atleast_2d(dijkstra(rev, directed=True, indices=place_nodes[part], limit=lim))
        r, c = np.nonzero(d <= lim)
        rows.append(r + part.start)
        cols.append(c)
    r = np.concatenate(rows) if rows else np.empty(0, np.int64)
    c = np.concatenate(cols) if cols else np.empty(0, np.int64)
    return sparse.csr_matrix((np.ones(len(r), bool), (r, c)), shape=(len(place_nodes), n))


def _fca(rev, nodes, cap, pop_nodes, pop, limit_s) -> np.ndarray | None:
    known = np.flatnonzero(np.isfinite(cap))
    if len(known) == 0:
        return None
    cover = within_limit_dense(rev, nodes[known], limit_s, reversed_graph=True)[:, pop_nodes]
    demand = cover @ pop  # residents within reach of each place
    ratio = np.divide(cap[known], demand, out=np.zeros(len(known)), where=demand > 0)
    return np.asarray(cover.T @ ratio).ravel()


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
    csr = sparse.csr_matrix(csr)
    n = csr.shape[0]
    nodes, models, cap = _place_arrays(places, n)
    codes, pop_nodes, pop = _resident_arrays(residents, n)
    rev = reverse(csr)
    t_all, _ = nearest_times(rev, nodes, reversed_graph=True)
    t = t_all[pop_nodes]  # seconds
    model_reach = {m: np.zeros(len(pop_nodes), bool) for m in WORKING_MODELS}
    for m in WORKING_MODELS:
        sel = [i for i, ms in enumerate(models) if m in ms]
        if sel:
            tm, _ = nearest_times(rev, nodes[sel], limit=limit_s, reversed_graph=True)
            model_reach[m] = tm[pop_nodes] <= limit_s
    model_count = np.sum(list(model_reach.values()), axis=0, dtype=np.int32)
    fca = _fca(rev, nodes, cap, pop_nodes, pop, limit_s)
    code_idx, unique_codes = pd.factorize(codes)  # in order of first appearance
    totals = np.bincount(code_idx, weights=pop, minlength=len(unique_codes))
    with np.errstate(invalid="ignore", divide="ignore"):
        model_share = {m: np.bincount(code_idx, weights=pop * reached,
                                      minlength=len(unique_codes)) / totals
                       for m, reached in model_reach.items()}
    out = []
    for i, code in enumerate(unique_codes):
        sel = code_idx == i
        w, tt = pop[sel], t[sel]
        total = float(w.sum())
        reach = np.isfinite(tt)
        median = _weighted_median(tt, w)
        row = {
            "code": code, "population": total,
            "mean_minutes": float(np.average(tt[reach], weights=w[reach])) / 60.0
            if reach.any() and w[reach].sum() > 0 else None,
            "median_minutes": median / 60.0 if math.isfinite(median) else None,
            "unreachable_population": float(w[~reach].sum()),
        }
        for m in thresholds:
            row[f"share_within_{_label(m)}"] = float(w[tt <= m * 60.0].sum() / total) \
                if total else None
        row["share_within"] = float(w[tt <= limit_s].sum() / total) if total else None
        mc = model_count[sel].astype(float)
        row["models_reachable"] = int(_weighted_median(mc, w)) if total else 0
        row["models_reachable_mean"] = float(np.average(mc, weights=w)) if total else 0.0
        for m, share in model_share.items():
            row[f"share_model_{m}"] = float(share[i]) if total else None
        row["fca_ratio"] = float(np.average(fca[sel], weights=w)) \
            if fca is not None and total else math.nan
        out.append(row)
    return pd.DataFrame(out, columns=_coverage_columns(thresholds))
