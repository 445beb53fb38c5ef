"""The displacement typology (after the Urban Displacement Project) per neighbourhood."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..errors import InvalidParameter
from ..i18n import N_, Msg, MsgList
from .registry import _short, _term, format_value




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
