"""Statistical sectors aggregated to neighbourhoods with a lookup table."""

from __future__ import annotations


import numpy as np
import pandas as pd

from ..errors import ImportFailed, Problem
from ..i18n import Msg, row_msg
from .registry import indicator_info




def aggregate_sectors(values: pd.DataFrame, lookup: pd.DataFrame, *,
                      file: str = "<input>", weights: dict[str, str] | None = None
                      ) -> pd.DataFrame:
    """Statistical-sector values -> neighbourhood values through ``lookup``.

    Parameters
    ----------
    values:
        Long DataFrame ``code`` (the sector), ``year``, ``indicator``, ``value`` and
        optionally ``source`` and ``row`` (the line in the file, used in problems).
    lookup:
        DataFrame ``sector, code`` (neighbourhood).
    file:
        The file name used in problems.
    weights:
        Indicator -> the indicator whose sector values weight its mean (default
        ``population``); e.g. a median income per declaration weighted by the number of
        declarations.

    Returns
    -------
    DataFrame
        Long ``code, year, indicator, value, source`` per neighbourhood (the source of
        the first sector of each group).

    Notes
    -----
    Indicators whose :attr:`Indicator.aggregation` is ``sum`` (counts, totals) are summed.
    The others (rates, medians, averages) are the population-weighted mean of the sectors,
    weighting by each sector's ``population`` in the same year, which must be in
    ``values``. A weighted mean of sector medians is an approximation of the
    neighbourhood median. When a sector of the neighbourhood that year has no value for
    the indicator (empty cell, or the sector is given that year without it), the
    neighbourhood value is NaN (unknown), never a sum over the sectors that happen to be
    there. When all weighting sectors have population 0 the value is NaN.

    Raises
    ------
    ImportFailed
        Naming every sector missing from the lookup, every undeclared indicator whose
        aggregation cannot be known, and every sector with a rate but no population for
        that year.
    """
    lk = dict(zip(lookup["sector"].astype(str), lookup["code"].astype(str)))
    df = values.copy()
    df["code"] = df["code"].astype(str)
    if "row" not in df.columns:
        df["row"] = None

    def where(rows) -> Msg | None:
        rs = sorted({int(r) for r in rows if r is not None and pd.notna(r)})
        if not rs:
            return None
        return row_msg(rs[0]) if len(rs) == 1 else Msg(
            "rows %(rows)s", rows=", ".join(map(str, rs[:5])) + (" ..." if len(rs) > 5 else ""))

    problems: list[Problem] = []
    for sector, g in df[~df["code"].isin(list(lk))].groupby("code", sort=False):
        problems.append(Problem(file, where(g["row"]), "code", Msg(
            "sector %(sector)s is not in the lookup table", sector=repr(sector))))
    for ind, g in df.groupby("indicator", sort=False):
        if indicator_info(ind) is None:
            problems.append(Problem(file, where(g["row"]), "indicator", Msg(
                "%(indicator)s: cannot tell whether to sum or average it over sectors (declare "
                "it, or name it after a rule in docs/indicators.md)", indicator=repr(ind))))
    if problems:
        raise ImportFailed(problems)

    df["neighbourhood"] = df["code"].map(lk)
    df["year"] = df["year"].astype(int)
    df["value"] = df["value"].astype(float)
    if "source" not in df.columns:
        df["source"] = None
    info = {k: indicator_info(k) for k in df["indicator"].unique()}
    df["summed"] = df["indicator"].map(lambda k: info[k].aggregation == "sum")
    weights = weights or {}
    df["weight_by"] = df["indicator"].map(lambda k: weights.get(k, "population"))
    w = (df.groupby(["code", "year", "indicator"])["value"].last().rename("weight")
         .rename_axis(["code", "year", "weight_by"]))
    df = df.join(w, on=["code", "year", "weight_by"])
    lacking = df[~df["summed"] & df["weight"].isna() & df["value"].notna()]
    for (ind, year, by), g in lacking.groupby(["indicator", "year", "weight_by"], sort=True):
        sectors = list(dict.fromkeys(g["code"]))
        problems.append(Problem(file, where(g["row"]), by, Msg(
            "%(indicator)s in %(year)s: sector(s) %(sectors)s have no %(by)s that year to "
            "weight the average by", indicator=ind, year=year,
            sectors=", ".join(sectors[:5]) + (" ..." if len(sectors) > 5 else ""), by=by)))
    if problems:
        raise ImportFailed(problems)
    # a neighbourhood-year is complete for an indicator when every sector given that year
    # has a (finite) value for it
    n_present = df.groupby(["neighbourhood", "year"])["code"].nunique().rename("n_present")
    df["wx"] = df["value"] * df["weight"]
    keys = ["neighbourhood", "year", "indicator"]
    grouped = df.groupby(keys, sort=True)
    out = grouped.agg(n=("code", "nunique"), n_finite=("value", "count"),
                      rows=("value", "size"), total=("value", "sum"), wx=("wx", "sum"),
                      w=("weight", "sum"), summed=("summed", "first"),
                      source=("source", "first")).join(n_present, on=["neighbourhood", "year"])
    complete = (out["n"] == out["n_present"]) & (out["n_finite"] == out["rows"])
    mean = out["wx"] / out["w"].where(out["w"] > 0)
    value = np.where(out["summed"], out["total"], mean)
    out["value"] = np.where(complete, value, np.nan)
    out = out.reset_index().rename(columns={"neighbourhood": "code"})
    return out[["code", "year", "indicator", "value", "source"]].reset_index(drop=True)
