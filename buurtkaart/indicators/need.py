"""The need index: standardised, weighted indicators per neighbourhood."""

from __future__ import annotations

import math
from typing import Iterable, Literal

import numpy as np
import pandas as pd

from ..errors import InvalidParameter
from ..i18n import N_
from .registry import INDICATORS, indicator_info




#: Default weights: income, benefit dependency and education weigh 1; renting and social
#: housing 0.5 (they also describe the housing stock, not only need).
DEFAULT_NEED_WEIGHTS: dict[str, float] = {
    "median_income": 1.0,
    "social_assistance_share": 1.0,
    "increased_reimbursement_share": 1.0,
    "low_education_share": 1.0,
    "renter_share": 0.5,
    "social_housing_share": 0.5,
}

#: Weights are relative; a cap keeps Σ weight finite (1e308 + 1e308 overflows to inf).
MAX_WEIGHT = 1e6

#: A year of an indicator is used for comparison only when at least this many
#: neighbourhoods of the region have a value for it, and at least half of those that have
#: the indicator in any year (so one early-published neighbourhood is not compared with
#: itself).
MIN_PEERS = 2

NEED_INDEX_FORMULA = N_(
    "need index = Σ(weight × direction × z) / Σ weight, where z = (value − mean) / standard "
    "deviation of that indicator over the region's neighbourhoods in the same year, and "
    "direction = +1 when a higher value means more need, −1 when less. 0 is an average "
    "neighbourhood; +1 is one standard deviation more need than average. A neighbourhood "
    "missing any weighted indicator is unknown."
)


def _direction(key: str, directions: dict[str, int] | None) -> int:
    if directions and key in directions:
        return int(directions[key])
    info = indicator_info(key)
    return info.need_direction if info else 0


def _usable_keys() -> str:
    return ", ".join(k for k, i in INDICATORS.items() if i.need_direction)


def _check_weights(weights: dict[str, float], directions: dict[str, int] | None,
                   name: str = "weights") -> dict[str, float]:
    if directions:
        for k, d in directions.items():
            if d not in (-1, 1):
                raise InvalidParameter("directions", f"direction of {k} must be +1 or -1, "
                                                     f"got {d!r}")
    out = {}
    for key, w in weights.items():
        try:
            w = float(w)
        except (TypeError, ValueError):
            raise InvalidParameter(name, f"weight of {key} is not a number: {w!r}") from None
        if not math.isfinite(w) or not 0 <= w <= MAX_WEIGHT:
            raise InvalidParameter(name, f"weight of {key} must be between 0 and "
                                         f"{MAX_WEIGHT:g}, got {w:g}")
        if _direction(key, directions) == 0:
            why = ("is not a known indicator" if indicator_info(key) is None
                   else "has no need direction (higher is neither more nor less need)")
            raise InvalidParameter(name, f"{key!r} {why}; usable: {_usable_keys()}")
        if w > 0:
            out[key] = w
    if not out:
        raise InvalidParameter(name, "at least one weight must be positive")
    return out


def _pairs(text: str, name: str) -> list[tuple[str, str | None]]:
    """``"a:1,b"`` -> ``[("a", "1"), ("b", None)]``; empty and repeated names refused."""
    out: list[tuple[str, str | None]] = []
    for part in text.split(","):
        key, sep, raw = part.strip().partition(":")
        key = key.strip()
        if not key:
            raise InvalidParameter(name, f"empty indicator name in {text!r} "
                                         "(write indicator:value,indicator:value)")
        if key in (k for k, _ in out):
            raise InvalidParameter(name, f"{key} is given twice")
        out.append((key, raw.strip() if sep else None))
    return out


def parse_directions(text: str | None) -> dict[str, int] | None:
    """Parse ``"unemployment_rate:+1,median_income:-1"`` into ``{indicator: ±1}``.

    ``+1``: a higher value means more need; ``-1``: less. Empty or missing gives ``None``
    (the registry's directions).

    Raises
    ------
    InvalidParameter
        (``name == "directions"``) for an empty or repeated name or a direction other
        than +1 / -1.
    """
    if text is None or not text.strip():
        return None
    out = {}
    for key, raw in _pairs(text, "directions"):
        if raw not in ("+1", "1", "-1"):
            raise InvalidParameter("directions", f"direction of {key} must be +1 or -1, "
                                                 f"got {raw!r}")
        out[key] = int(raw)
    return out


def parse_weights(text: str | None, directions: dict[str, int] | None = None
                  ) -> dict[str, float]:
    """Parse ``"median_income:2,renter_share:1"`` into ``{indicator: weight}``.

    An empty or missing text gives :data:`DEFAULT_NEED_WEIGHTS`. A key without ``:weight``
    counts 1. ``directions`` (see :func:`parse_directions`) lets indicators without a
    registered need direction take part.

    Raises
    ------
    InvalidParameter
        (``name == "weights"``) for an empty or repeated name, an indicator that is
        unknown or has no need direction, a weight that is not a number, negative or
        infinite, or when no weight is positive.
    """
    if text is None or not text.strip():
        return dict(DEFAULT_NEED_WEIGHTS)
    out: dict[str, float] = {}
    for key, raw in _pairs(text, "weights"):
        try:
            out[key] = float(raw) if raw is not None else 1.0
        except ValueError:
            raise InvalidParameter("weights",
                                   f"weight of {key} is not a number: {raw!r}") from None
    return _check_weights(out, directions)


def _standardise(x: np.ndarray, method: str) -> np.ndarray:
    """Scores of ``x`` (all finite) on a common scale; 0 everywhere when all are equal."""
    if len(x) == 0:
        return x
    mean, std = float(x.mean()), float(x.std())
    # all equal (up to rounding) carries no information: every score is 0, not noise / noise
    if not std > 1e-9 * max(1.0, abs(mean)):
        return np.zeros_like(x)
    if method == "z":
        return (x - mean) / std
    from scipy.stats import norm, rankdata

    # values equal up to floating-point noise (0.1 + 0.2 vs 0.3) are ties
    u = np.round((x - x.min()) / (x.max() - x.min()), 9)
    return norm.ppf(rankdata(u) / (len(x) + 1))  # van der Waerden normal scores


def need_index(values: pd.DataFrame, *, weights: dict[str, float] | None = None,
               directions: dict[str, int] | None = None, year: int | None = None,
               codes: Iterable[str] | None = None,
               method: Literal["z", "rank"] = "z") -> pd.DataFrame:
    """The need index per neighbourhood, with each indicator's contribution.

    Parameters
    ----------
    values:
        Long DataFrame ``code, year, indicator, value`` (other columns are ignored).
    weights:
        Indicator -> weight >= 0 (default :data:`DEFAULT_NEED_WEIGHTS`). Indicators that
        no neighbourhood has are left out and named in ``attrs["dropped"]``.
    directions:
        Indicator -> +1 or -1, overriding the registry (needed for undeclared keys).
    year:
        Use only this year. ``None``: for each neighbourhood and indicator its latest
        *comparable* year, i.e. a year in which at least :data:`MIN_PEERS` neighbourhoods
        of the region, and at least half of those reporting the indicator at all, have a
        value (so one early-published neighbourhood is not compared with itself). Each
        value is standardised against the values of the same indicator and year, so an
        older value is compared with its own year's peers. An indicator with values but
        no comparable year makes every neighbourhood unknown; one that no neighbourhood
        has is left out (``attrs["dropped"]``).
    codes:
        The region: the neighbourhoods to compare and report (default: all in ``values``).
    method:
        ``"z"``: (value − mean) / standard deviation. ``"rank"``: rank-based normal scores
        (van der Waerden), robust to outliers, same scale. Both ignore units.

    Returns
    -------
    DataFrame
        ``code``, ``need_index`` (NaN = unknown), ``contribution_<indicator>`` (weight ×
        direction × score / Σ weights, so the contributions add up to the index),
        ``n_indicators`` (weighted indicators with a value), ``missing`` (list of the
        weighted indicators without one) and ``years`` (indicator -> year used).
        ``attrs``: ``years`` (latest year used per indicator), ``weights`` (used),
        ``dropped``, ``directions``, ``method``, ``formula``.

    Raises
    ------
    InvalidParameter
        For a negative or non-numeric weight, an indicator without need direction, or
        an unknown ``method``.
    """
    if method not in ("z", "rank"):
        raise InvalidParameter("method", f"must be 'z' or 'rank', got {method!r}")
    weights = _check_weights(dict(DEFAULT_NEED_WEIGHTS if weights is None else weights),
                             directions)
    all_codes = sorted({str(c) for c in (values["code"] if codes is None else codes)})
    region = set(all_codes)
    sel = values.loc[values["indicator"].isin(list(weights)) & values["value"].notna()
                     & values["code"].astype(str).isin(region),
                     ["code", "indicator", "year", "value"]].copy()
    sel["code"] = sel["code"].astype(str)
    sel["year"] = sel["year"].astype(int)
    sel["value"] = sel["value"].astype(float)
    sel = sel[np.isfinite(sel["value"])]
    if year is not None:
        sel = sel[sel["year"] == int(year)]
    sel = sel.drop_duplicates(["code", "indicator", "year"], keep="last")
    reporting = sel.groupby("indicator")["code"].transform("nunique")
    peers = sel.groupby(["indicator", "year"])["code"].transform("size")
    present = set(sel["indicator"])
    sel = sel[(peers >= MIN_PEERS) & (peers >= reporting / 2)]
    # scores within (indicator, year), over every neighbourhood with that year
    sel["score"] = np.nan
    for _, idx in sel.groupby(["indicator", "year"]).groups.items():
        sel.loc[idx, "score"] = _standardise(sel.loc[idx, "value"].to_numpy(float), method)
    latest = sel.sort_values("year").groupby(["code", "indicator"]).tail(1)

    used = {k: w for k, w in weights.items() if k in present}
    dropped = [k for k in weights if k not in used]
    total_w = sum(used.values())
    out = pd.DataFrame({"code": all_codes})
    score = latest.pivot(index="code", columns="indicator", values="score").reindex(
        index=all_codes, columns=list(used))
    when = latest.pivot(index="code", columns="indicator", values="year").reindex(
        index=all_codes, columns=list(used))
    index = np.zeros(len(all_codes))
    known = np.zeros(len(all_codes), dtype=int)
    for key, w in used.items():
        contrib = w * _direction(key, directions) * score[key].to_numpy(float) / total_w
        out[f"contribution_{key}"] = contrib
        ok = np.isfinite(contrib)
        index += np.where(ok, contrib, 0.0)
        known += ok
    out["need_index"] = np.where(known == len(used), index, np.nan) if used else np.nan
    out["n_indicators"] = known
    out["missing"] = [[k for k in used if not np.isfinite(score.at[c, k])] for c in all_codes]
    out["years"] = [{k: int(when.at[c, k]) for k in used if pd.notna(when.at[c, k])}
                    for c in all_codes]
    cols = ["code", "need_index"] + [f"contribution_{k}" for k in used] + \
        ["n_indicators", "missing", "years"]
    out = out[cols]
    out.attrs.update(
        years={k: int(when[k].max()) if when[k].notna().any() else None for k in used},
        weights=used, dropped=dropped, method=method, formula=NEED_INDEX_FORMULA,
        directions={k: _direction(k, directions) for k in used})
    return out
