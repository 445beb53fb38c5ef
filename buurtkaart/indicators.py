"""Neighbourhood indicators: registry, need index, displacement typology, sector aggregation.

Everything here is pure: functions take pandas DataFrames (long form ``code, year,
indicator, value[, source]``) or a GeoDataFrame of neighbourhoods and return DataFrames or
plain dicts. Nothing reads the database or Flask. The rules are written out for users in
``docs/indicators.md``; a test keeps that page and this module in step.

Indicators are stored long-form, so a new indicator needs no schema change. Known ones are
declared in :data:`INDICATORS`. Any other key is accepted when its kind follows from its name
(:data:`NAMING_RULES`, applied by :func:`indicator_info`); a key that matches no rule must be
declared here before it can be imported, because otherwise nobody can say whether sector
values of it are to be summed or averaged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, Literal

import numpy as np
import pandas as pd

from .errors import ImportFailed, InvalidParameter, Problem
from .i18n import N_, Msg, MsgList, Term, gettext, row_msg

__all__ = [
    "Indicator", "INDICATORS", "NAMING_RULES", "indicator_info", "indicator_kind",
    "indicator_label", "format_value",
    "DEFAULT_NEED_WEIGHTS", "NEED_INDEX_FORMULA", "MIN_PEERS", "parse_weights",
    "parse_directions", "need_index",
    "TYPOLOGY_CLASSES", "VULNERABILITY_CRITERIA", "MARKET_INDICATORS", "neighbours",
    "typology",
    "aggregate_sectors", "trend",
]

Kind = Literal["count", "rate", "amount"]
Aggregation = Literal["sum", "mean"]


# =========================================================================== registry
@dataclass(frozen=True)
class Indicator:
    """A neighbourhood indicator.

    Parameters
    ----------
    key:
        The name stored in the ``indicator`` column.
    label_en, label_nl:
        Labels in English and Dutch.
    unit:
        Unit as shown to users (``"people"``, ``"€ per year"``, ``"share"``, ...).
    kind:
        ``count`` (people or events), ``rate`` (a share 0..1, a percentage or a rate per
        1,000 inhabitants) or ``amount`` (money).
    need_direction:
        +1 when a higher value means more need, -1 when it means less, 0 when neutral.
        Only indicators with a direction can enter the need index (unless the caller gives
        a direction explicitly).
    aggregation:
        How values of statistical sectors combine into a neighbourhood value: ``sum``
        (counts, totals) or ``mean`` (rates, medians and averages: population-weighted mean).
    """

    key: str
    label_en: str
    label_nl: str
    unit: str
    kind: Kind
    need_direction: int
    aggregation: Aggregation

    @property
    def need(self) -> int:
        """Alias of :attr:`need_direction`."""
        return self.need_direction


def _ind(key, en, nl, unit, kind, direction, aggregation=None) -> Indicator:
    agg = aggregation or ("sum" if kind == "count" else "mean")
    return Indicator(key, en, nl, unit, kind, direction, agg)


#: The indicators buurtkaart knows by name.
INDICATORS: dict[str, Indicator] = {i.key: i for i in (
    _ind("population", N_("population"), "bevolking", "people", "count", 0),
    _ind("age_0_17", N_("children (0-17)"), "kinderen (0-17)", "people", "count", 0),
    _ind("age_65_plus", N_("people aged 65+"), "65-plussers", "people", "count", 0),
    _ind("median_income", N_("median taxable income"), "mediaan belastbaar inkomen",
         "€ per declaration", "amount", -1),
    _ind("mean_income", N_("mean taxable income"), "gemiddeld belastbaar inkomen",
         "€ per inhabitant", "amount", -1),
    _ind("social_assistance_share", N_("share on social assistance (leefloon)"),
         "aandeel met leefloon", "share", "rate", +1),
    _ind("increased_reimbursement_share", N_("share with increased health-insurance "
         "reimbursement"), "aandeel met verhoogde tegemoetkoming", "share", "rate", +1),
    _ind("renter_share", N_("share of households renting"), "aandeel huurders", "share",
         "rate", +1),
    _ind("social_housing_share", N_("share of households in social housing"),
         "aandeel sociale huurwoningen", "share", "rate", +1),
    _ind("low_education_share", N_("share with at most lower secondary education"),
         "aandeel laaggeschoold", "share", "rate", +1),
    _ind("high_education_share", N_("share with higher education"), "aandeel hooggeschoold",
         "share", "rate", -1),
    _ind("house_price_median", N_("median house price"), "mediaanprijs woning", "€",
         "amount", 0),
    _ind("rent_median", N_("median rent"), "mediaanhuur", "€ per month", "amount", 0),
    _ind("moves_in", N_("people moving in"), "inwijkingen", "people per year", "count", 0),
    _ind("moves_out", N_("people moving out"), "uitwijkingen", "people per year", "count", 0),
    _ind("moves_in_rate", N_("moves in per 1,000 inhabitants"), "inwijkingen per 1.000",
         "per 1,000", "rate", 0),
    _ind("moves_out_rate", N_("moves out per 1,000 inhabitants"), "uitwijkingen per 1.000",
         "per 1,000", "rate", 0),
)}

#: How an undeclared key is classified: (test on the key, kind, aggregation, unit, text).
#: The first rule that matches wins; keys matching none must be declared in INDICATORS.
NAMING_RULES: tuple[tuple[str, str, Kind, Aggregation, str], ...] = (
    ("suffix", "_share", "rate", "mean", "share"),
    ("suffix", "_rate", "rate", "mean", "rate"),
    ("suffix", "_pct", "rate", "mean", "%"),
    ("suffix", "_count", "count", "sum", "count"),
    ("prefix", "count_", "count", "sum", "count"),
    ("prefix", "population_", "count", "sum", "people"),
    ("suffix", "_total", "amount", "sum", "total"),
    ("prefix", "total_", "amount", "sum", "total"),
    ("suffix", "_median", "amount", "mean", ""),
    ("suffix", "_mean", "amount", "mean", ""),
)


def indicator_info(key: str) -> Indicator | None:
    """The :class:`Indicator` for ``key``: declared, derived from its name, or ``None``.

    Undeclared keys are classified by the first matching rule of :data:`NAMING_RULES`
    and are neutral (need direction 0). ``None`` means the key is not usable: it is
    neither declared nor named after a rule.
    """
    if key in INDICATORS:
        return INDICATORS[key]
    for how, affix, kind, agg, unit in NAMING_RULES:
        if (key.endswith(affix) if how == "suffix" else key.startswith(affix)) \
                and len(key) > len(affix):
            label = key.replace("_", " ")
            return Indicator(key, label, label, unit, kind, 0, agg)
    return None


def indicator_kind(key: str) -> str | None:
    """``count``, ``rate`` or ``amount`` for ``key``, or ``None`` when it cannot be known."""
    info = indicator_info(key)
    return info.kind if info else None


def indicator_label(key: str) -> str:
    """A readable label in the active language (Dutch: ``label_nl``); undeclared keys with
    spaces for ``_``."""
    if key == "need_index":  # the index made of the indicators, not an indicator itself
        return gettext("need index")
    ind = INDICATORS.get(key)
    return gettext(ind.label_en) if ind else key.replace("_", " ")


def indicator_label_both(key: str) -> str:
    """``"label_en (label_nl)"`` as the API gives it (the same whatever the language)."""
    ind = INDICATORS.get(key)
    return f"{ind.label_en} ({ind.label_nl})" if ind else key.replace("_", " ")


def _short(key: str) -> str:
    ind = INDICATORS.get(key)
    return Msg(ind.label_en) if ind else key.replace("_", " ")


def _term(key: str) -> str:
    """An indicator's key, shown as its label in another language than English."""
    ind = INDICATORS.get(key)
    return Term(key, ind.label_en) if ind else key


def format_value(key: str, v: float | None) -> str:
    """A value the way a user reads it: 18,200 €, 23.4%, 12.5 per 1,000; "unknown" for
    a missing value, +0.20 for the need index."""
    if v is None or not math.isfinite(float(v)):
        return gettext("unknown")
    if key == "need_index":
        return f"{v:+.2f}"
    info = indicator_info(key)
    unit = info.unit if info else ""
    if info and info.kind == "rate":
        if unit == "share":
            return f"{v:.1%}"
        if unit == "%":
            return f"{v:.1f}%"
        return f"{v:,.1f} {unit}".strip()
    if unit.startswith("€"):
        return f"{v:,.0f} €"
    return f"{v:,.0f}" if abs(v) >= 100 else f"{v:,.2f}"


# =========================================================================== need index
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


# =========================================================================== typology
#: class -> (map colour, one-line description)
TYPOLOGY_CLASSES: dict[str, tuple[str, str]] = {
    "gentrifying": ("#7a0177", N_("was vulnerable; income and higher education rising faster "
                               "than in the region, with a hot housing market")),
    "at_risk": ("#dd3497", N_("vulnerable, with a hot housing market here or next door")),
    "vulnerable": ("#fa9fb5", N_("vulnerable, housing market here and next door not hot")),
    "hot_market": ("#fdae6b", N_("not vulnerable, housing market hotter than the region")),
    "not_vulnerable": ("#d9f0a3", N_("not vulnerable, housing market not hot")),
    "unknown": ("#bdbdbd", N_("not enough data to decide (the reasons say what is missing)")),
}

#: The four vulnerability criteria: (name, indicator, fallback, True when above the median?)
#: For the fallback the comparison is the same except high education, where *below* the
#: median counts (it is the mirror image of low education).
VULNERABILITY_CRITERIA: tuple[tuple[str, str, str, bool], ...] = (
    (N_("low income"), "median_income", "mean_income", False),
    (N_("many renters"), "renter_share", "social_housing_share", True),
    (N_("low education"), "low_education_share", "high_education_share", True),
    (N_("benefit dependency"), "social_assistance_share", "increased_reimbursement_share", True),
)

#: Indicators whose change from base to end year measures housing-market heat.
MARKET_INDICATORS: tuple[str, ...] = ("rent_median", "house_price_median")


def _and(*xs: bool | None) -> bool | None:
    """Three-valued AND: False if any is False, True if all are True, else unknown."""
    if any(x is False for x in xs):
        return False
    return True if all(x is True for x in xs) else None


def _or(*xs: bool | None) -> bool | None:
    """Three-valued OR: True if any is True, False if all are False, else unknown."""
    if any(x is True for x in xs):
        return True
    return False if all(x is False for x in xs) else None


def neighbours(neighbourhoods, *, tolerance: float = 1e-6) -> dict[str, list[str]]:
    """Code -> codes of the polygons sharing boundary with it (queen contiguity).

    Two neighbourhoods are neighbours when their polygons touch (along an edge or at a
    corner) or overlap. ``tolerance`` (in the units of the CRS; the default is about
    0.1 m in degrees) closes the slivers that digitised boundaries leave between
    polygons that are meant to touch.
    """
    gdf = neighbourhoods.reset_index(drop=True)
    import shapely

    geoms = np.asarray(gdf.geometry)
    if tolerance > 0:  # plain shapely: a tolerance in degrees is meant, no CRS warning
        geoms = shapely.buffer(geoms, tolerance)
    left, right = gdf.sindex.query(geoms, predicate="intersects")
    codes = gdf["code"].astype(str).to_numpy()
    out: dict[str, set[str]] = {c: set() for c in codes}
    for i, j in zip(left, right):
        if codes[i] != codes[j]:
            out[codes[i]].add(codes[j])
            out[codes[j]].add(codes[i])
    return {c: sorted(v) for c, v in out.items()}


def _year_table(values: pd.DataFrame, year: int) -> dict[str, tuple[dict[str, float], float]]:
    """Indicator -> ({code: value}, regional median) for one year (indicators with >= 2)."""
    sel = values[(values["year"] == year) & values["value"].notna()]
    out = {}
    for key, g in sel.groupby("indicator"):
        by_code = g.groupby("code")["value"].last()
        if len(by_code) >= 2:
            out[key] = (by_code.astype(float).to_dict(), float(by_code.median()))
    return out


def _vulnerability(table: dict[str, tuple[dict[str, float], float]], code: str, year: int
                   ) -> tuple[bool | None, int, list[str]]:
    """(vulnerable?, criteria met, reasons) in one year; at least 3 of 4 criteria.

    When data is missing, the last reason is "<year>: no data for ..." and its ``missing``
    parameter names what is missing."""
    reasons, met, known, unknown = [], 0, 0, []
    for name, key, fallback, above in VULNERABILITY_CRITERIA:
        for k in (key, fallback):
            if k not in table or code not in table[k][0]:
                continue
            v, med = table[k][0][code], table[k][1]
            want_above = above if k != "high_education_share" else False
            hit = bool(v > med) if want_above else bool(v < med)
            values = {"year": year, "indicator": _short(k), "value": format_value(k, v),
                      "median": format_value(k, med)}
            if v > med:
                reason = Msg("%(year)s: %(indicator)s %(value)s is above the regional median "
                             "%(median)s", **values)
            elif v < med:
                reason = Msg("%(year)s: %(indicator)s %(value)s is below the regional median "
                             "%(median)s", **values)
            else:
                reason = Msg("%(year)s: %(indicator)s %(value)s is equal to the regional median "
                             "%(median)s", **values)
            known += 1
            met += hit
            reasons.append(Msg("%(reason)s (%(criterion)s)", reason=reason, criterion=Msg(name))
                           if hit else reason)
            break
        else:
            unknown.append(Msg("%(criterion)s (%(key)s or %(fallback)s)", criterion=Msg(name),
                               key=_term(key), fallback=_term(fallback)))
    if unknown:
        reasons.append(Msg("%(year)s: no data for %(missing)s", year=year,
                           missing=MsgList(unknown)))
    if met >= 3:
        return True, met, reasons
    if known - met >= 2:
        return False, met, reasons
    return None, met, reasons


def _change(values: pd.DataFrame, key: str, base: int, end: int) -> pd.Series:
    """Relative change end/base − 1 per code (only codes with a positive base value)."""
    sel = values[values["indicator"] == key]
    a = sel[sel["year"] == base].groupby("code")["value"].last()
    b = sel[sel["year"] == end].groupby("code")["value"].last()
    a = a[a > 0]
    return (b / a - 1).dropna()


def _point_change(values: pd.DataFrame, key: str, base: int, end: int) -> pd.Series:
    """Absolute change end − base per code (for shares: percentage points / 100)."""
    sel = values[values["indicator"] == key]
    a = sel[sel["year"] == base].groupby("code")["value"].last()
    b = sel[sel["year"] == end].groupby("code")["value"].last()
    return (b - a).dropna()


def typology(values: pd.DataFrame, neighbourhoods, *, base_year: int | None = None,
             end_year: int | None = None) -> pd.DataFrame:
    """Gentrification and displacement class per neighbourhood, with the reasons.

    Adapted from the Urban Displacement Project typology; the rules are in
    ``docs/indicators.md`` (section "Gentrification and displacement typology").

    Parameters
    ----------
    values:
        Long DataFrame ``code, year, indicator, value``.
    neighbourhoods:
        GeoDataFrame with ``code`` and polygons. It is the region: medians are taken over
        these neighbourhoods, and neighbours (spatial lag) are found among them.
    base_year, end_year:
        The years compared (default: the earliest and the latest year in ``values`` for
        the region).

    Returns
    -------
    DataFrame
        ``code``, ``typology`` (a key of :data:`TYPOLOGY_CLASSES`), ``reasons`` (list of
        sentences with the numbers), the flags ``vulnerable`` (end year),
        ``vulnerable_base``, ``hot_market``, ``hot_neighbours``, ``gentrifying`` (each
        True, False or None = unknown) and ``criteria_met`` (vulnerability criteria met in
        the end year). ``attrs``: ``base_year``, ``end_year``, ``market`` (market
        indicators used), ``medians`` (regional median changes).

    Raises
    ------
    InvalidParameter
        When both years are given and ``base_year`` is not before ``end_year``.
    """
    if base_year is not None and end_year is not None and base_year >= end_year:
        raise InvalidParameter("end_year", f"must be later than base_year ({base_year})")
    codes = [str(c) for c in neighbourhoods["code"]]
    region = set(codes)
    values = values[values["code"].astype(str).isin(region)].copy()
    values["code"] = values["code"].astype(str)
    years = sorted({int(y) for y in values.loc[values["value"].notna(), "year"]})
    end_year = end_year if end_year is not None else (years[-1] if years else None)
    base_year = base_year if base_year is not None else (years[0] if years else None)
    flags = ("vulnerable", "vulnerable_base", "hot_market", "hot_neighbours", "gentrifying")
    if end_year is None:
        out = pd.DataFrame({"code": codes, "typology": "unknown",
                            "reasons": [[Msg("no indicator values for this region")]
                                        for _ in codes]})
        for f in flags:
            out[f] = None
        out["criteria_met"] = 0
        out.attrs.update(base_year=None, end_year=None, market=None, medians={})
        return out
    two_years = base_year is not None and base_year < end_year
    end_t = _year_table(values, end_year)
    base_t = _year_table(values, base_year) if two_years else end_t

    market: dict[str, pd.Series] = {}
    if two_years:
        for key in MARKET_INDICATORS:
            ch = _change(values, key, base_year, end_year)
            if len(ch) >= 2:
                market[key] = ch
    medians = {k: float(ch.median()) for k, ch in market.items()}
    income = _change(values, "median_income", base_year, end_year) if two_years \
        else pd.Series(dtype=float)
    edu = _point_change(values, "high_education_share", base_year, end_year) if two_years \
        else pd.Series(dtype=float)
    inc_med = float(income.median()) if len(income) >= 2 else math.nan
    edu_med = float(edu.median()) if len(edu) >= 2 else math.nan
    adjacent = neighbours(neighbourhoods)
    market = {k: ch.to_dict() for k, ch in market.items()}  # dict look-ups in the loop
    income, edu = income.to_dict(), edu.to_dict()

    rows = []
    for code in codes:
        reasons: list[str] = []
        vul_end, met, r = _vulnerability(end_t, code, end_year)
        reasons += r
        if two_years:
            vul_base, _, r = _vulnerability(base_t, code, base_year)
            if vul_base is not None:
                reasons.append(Msg("%(year)s: vulnerable in the base year", year=base_year)
                               if vul_base else
                               Msg("%(year)s: not vulnerable in the base year", year=base_year))
            else:
                # (a Msg inside another's call is not seen by Babel: made apart)
                why = MsgList([Msg("no data for %(missing)s", missing=x.params["missing"])
                               for x in r if getattr(x, "msgid", "").endswith(
                                   "no data for %(missing)s")], "; ")
                reasons.append(Msg("%(year)s: vulnerability in the base year unknown (%(why)s)",
                                   year=base_year, why=why))
        else:
            vul_base = None
            reasons.append(Msg("only one year (%(year)s) available: no change can be measured",
                               year=end_year))

        # own housing market
        own: list[bool | None] = []
        for key, ch in market.items():
            if code in ch:
                v = float(ch[code])
                own.append(bool(v > medians[key]))
                values = {"indicator": _short(key), "change": f"{v:+.1%}", "base": base_year,
                          "end": end_year, "median": f"{medians[key]:+.1%}"}
                reasons.append(Msg("%(indicator)s changed %(change)s from %(base)s to %(end)s; "
                                   "regional median change %(median)s (hot market)", **values)
                               if v > medians[key] else
                               Msg("%(indicator)s changed %(change)s from %(base)s to %(end)s; "
                                   "regional median change %(median)s", **values))
        hot = _or(*own) if own else None
        if hot is None:
            reasons.append(Msg("housing market: no %(rent)s or %(price)s for both %(base)s and "
                               "%(end)s", rent=_term(MARKET_INDICATORS[0]),
                               price=_term(MARKET_INDICATORS[1]), base=base_year, end=end_year))
        # neighbours' housing market (spatial lag)
        nb_flags: list[bool | None] = []
        nbs = adjacent.get(code, [])
        for key, ch in market.items():
            known = [float(ch[c]) for c in nbs if c in ch]
            if known:
                lag = float(np.mean(known))
                nb_flags.append(bool(lag > medians[key]))
                values = {"indicator": _short(key), "num": len(known), "change": f"{lag:+.1%}"}
                if len(known) == 1:
                    reason = Msg("mean %(indicator)s change of %(num)s neighbouring "
                                 "neighbourhood %(change)s", **values)
                else:
                    reason = Msg("mean %(indicator)s change of %(num)s neighbouring "
                                 "neighbourhoods %(change)s", **values)
                reasons.append(Msg("%(reason)s (hot neighbours)", reason=reason)
                               if lag > medians[key] else reason)
        if nb_flags:
            hot_nb = _or(*nb_flags)
        elif not nbs:
            hot_nb = False
            reasons.append(Msg("no neighbouring neighbourhood in the region"))
        else:
            hot_nb = None
            reasons.append(Msg("neighbours' housing market: no data"))

        # demographic change (gentrification)
        inc_up = edu_up = None
        if code in income and not math.isnan(inc_med):
            inc_up = bool(income[code] > inc_med)
            reasons.append(Msg("%(indicator)s changed %(change)s (regional median %(median)s)",
                               indicator=_short("median_income"),
                               change=f"{float(income[code]):+.1%}", median=f"{inc_med:+.1%}"))
        if code in edu and not math.isnan(edu_med):
            edu_up = bool(edu[code] > edu_med)
            reasons.append(Msg("%(indicator)s changed %(change)s points (regional median "
                               "%(median)s)", indicator=_short("high_education_share"),
                               change=f"{float(edu[code]) * 100:+.1f}",
                               median=f"{edu_med * 100:+.1f}"))
        gent = _and(vul_base, inc_up, edu_up, hot)

        risk = _or(hot, hot_nb)
        if gent is True:
            cls = "gentrifying"
        elif gent is None and two_years:
            cls = "unknown"
            missing = [Msg(n) for n, x in ((N_("base-year vulnerability"), vul_base),
                                           (N_("housing market change"), hot),
                                           (N_("income change"), inc_up),
                                           (N_("higher-education change"), edu_up))
                       if x is None]
            reasons.append(Msg("could be gentrifying, but unknown: %(missing)s",
                               missing=MsgList(missing)))
        elif vul_end is None:
            cls = "unknown"
            reasons.append(Msg("vulnerability in %(year)s cannot be decided (%(met)s of 4 "
                               "criteria met, too few known)", year=end_year, met=met))
        elif vul_end:
            if risk is None:
                cls = "unknown"
                reasons.append(Msg("vulnerable, but whether the housing market here or next "
                                   "door is hot is unknown"))
            else:
                cls = "at_risk" if risk else "vulnerable"
        elif hot is None:
            cls = "unknown"
            reasons.append(Msg("not vulnerable, but whether the housing market is hot is "
                               "unknown"))
        else:
            cls = "hot_market" if hot else "not_vulnerable"
        rows.append({"code": code, "typology": cls, "reasons": reasons, "vulnerable": vul_end,
                     "vulnerable_base": vul_base, "hot_market": hot, "hot_neighbours": hot_nb,
                     "gentrifying": gent, "criteria_met": met})
    out = pd.DataFrame(rows, columns=["code", "typology", "reasons", *flags, "criteria_met"])
    for f in flags:  # True, False or None (unknown) as Python objects, never numpy bools
        out[f] = pd.Series([r[f] for r in rows], index=out.index, dtype=object)
    out.attrs.update(base_year=base_year, end_year=end_year,
                     market=next(iter(market), None), markets=list(market), medians=medians)
    return out


# =========================================================================== sectors
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


# =========================================================================== trend
def trend(values: pd.DataFrame, code: str) -> dict[str, list[tuple[int, float]]]:
    """Indicator -> ``[(year, value), ...]`` in year order for one neighbourhood.

    Missing values (NaN) are left out, so a chart shows a gap rather than a zero.
    """
    sel = values[(values["code"].astype(str) == str(code)) & values["value"].notna()]
    out: dict[str, list[tuple[int, float]]] = {}
    for r in sel.sort_values(["indicator", "year"]).itertuples(index=False):
        out.setdefault(r.indicator, []).append((int(r.year), float(r.value)))
    return out
