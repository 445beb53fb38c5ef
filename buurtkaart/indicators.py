"""Neighbourhood indicators: what each one means, how it aggregates, and which way is "need".

Indicators are stored long-form (code, year, indicator, value, source), so a
new indicator needs no schema change. :data:`INDICATORS` describes the known
ones; any other key is accepted when its kind follows from its name (see
:func:`indicator_kind`): keys ending in ``_share``, ``_rate`` or ``_pct`` are
rates (aggregated population-weighted), keys starting with ``population`` or
``count_``/ending in ``_count`` are counts (summed). Anything else must be
declared here before it can be aggregated from sectors.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Indicator", "INDICATORS", "indicator_kind", "indicator_label"]


@dataclass(frozen=True)
class Indicator:
    """A neighbourhood indicator.

    ``kind``: ``count`` (people or events; sums over areas), ``rate`` (a share
    0..1 of the population; population-weighted mean over areas) or
    ``amount`` (money per person or dwelling; population-weighted mean).
    ``need``: +1 when a higher value means more need, -1 when less, 0 neutral.
    """

    key: str
    label_en: str
    label_nl: str
    unit: str
    kind: str
    need: int


INDICATORS: dict[str, Indicator] = {i.key: i for i in (
    Indicator("population", "population", "bevolking", "people", "count", 0),
    Indicator("age_0_17", "children (0-17)", "kinderen (0-17)", "people", "count", 0),
    Indicator("age_65_plus", "people aged 65+", "65-plussers", "people", "count", 0),
    Indicator("median_income", "median taxable income", "mediaan belastbaar inkomen",
              "€ per declaration", "amount", -1),
    Indicator("mean_income", "mean taxable income", "gemiddeld belastbaar inkomen",
              "€ per inhabitant", "amount", -1),
    Indicator("social_assistance_share", "share on social assistance (leefloon)",
              "aandeel met leefloon", "share", "rate", +1),
    Indicator("increased_reimbursement_share", "share with increased health-insurance "
              "reimbursement", "aandeel met verhoogde tegemoetkoming", "share", "rate", +1),
    Indicator("renter_share", "share of households renting", "aandeel huurders", "share",
              "rate", +1),
    Indicator("social_housing_share", "share in social housing", "aandeel sociale huur",
              "share", "rate", +1),
    Indicator("low_education_share", "share with at most lower secondary education",
              "aandeel laaggeschoold", "share", "rate", +1),
    Indicator("high_education_share", "share with higher education", "aandeel hooggeschoold",
              "share", "rate", -1),
    Indicator("house_price_median", "median house price", "mediaanprijs woning", "€", "amount",
              0),
    Indicator("rent_median", "median rent", "mediaanhuur", "€ per month", "amount", 0),
    Indicator("moves_in_rate", "moves in per 1,000 inhabitants", "inwijkingen per 1.000",
              "per 1,000", "rate", 0),
    Indicator("moves_out_rate", "moves out per 1,000 inhabitants", "uitwijkingen per 1.000",
              "per 1,000", "rate", 0),
)}


def indicator_kind(key: str) -> str | None:
    """``count``, ``rate`` or ``amount`` for ``key``, or ``None`` when it cannot be known."""
    if key in INDICATORS:
        return INDICATORS[key].kind
    if key.endswith(("_share", "_rate", "_pct")):
        return "rate"
    if key.startswith(("population", "count_")) or key.endswith("_count"):
        return "count"
    return None


def indicator_label(key: str) -> str:
    """A readable label; unknown keys are shown with underscores as spaces."""
    ind = INDICATORS.get(key)
    return f"{ind.label_en} ({ind.label_nl})" if ind else key.replace("_", " ")


# --------------------------------------------------------------------------- need index
#: The default composite: income and benefit dependency weigh most; renting and social
#: housing half (they also describe the housing market, not only need).
DEFAULT_NEED_WEIGHTS: dict[str, float] = {
    "median_income": 1.0,
    "social_assistance_share": 1.0,
    "increased_reimbursement_share": 1.0,
    "low_education_share": 1.0,
    "renter_share": 0.5,
    "social_housing_share": 0.5,
}

NEED_INDEX_FORMULA = (
    "need index = Σ(weight × direction × z) / Σ weight, where z = (value − mean) / standard "
    "deviation over all neighbourhoods for the indicator's latest year, direction = +1 when a "
    "higher value means more need and −1 when less. 0 is an average neighbourhood; +1 is one "
    "standard deviation more need than average."
)


def parse_weights(text: str | None) -> dict[str, float]:
    """``"median_income:2,renter_share:1"`` as a dict; raises InvalidParameter('weights')."""
    from .errors import InvalidParameter

    if not text or not text.strip():
        return dict(DEFAULT_NEED_WEIGHTS)
    out: dict[str, float] = {}
    for part in text.split(","):
        key, sep, raw = part.strip().partition(":")
        key = key.strip()
        if not key:
            raise InvalidParameter("weights", f"empty indicator name in {text!r}")
        if key not in INDICATORS or INDICATORS[key].need == 0:
            usable = ", ".join(k for k, i in INDICATORS.items() if i.need)
            raise InvalidParameter("weights", f"{key!r} has no need direction (usable: {usable})")
        try:
            w = float(raw) if sep else 1.0
        except ValueError:
            raise InvalidParameter("weights", f"weight of {key} is not a number: {raw!r}") from None
        if not (w >= 0) or w == float("inf"):
            raise InvalidParameter("weights", f"weight of {key} must be zero or positive")
        out[key] = w
    if not any(out.values()):
        raise InvalidParameter("weights", "at least one weight must be positive")
    return out


def _latest_wide(values, indicators) -> tuple[dict, "object"]:
    """Per indicator its latest year, and a code x indicator table of that year's values."""
    import pandas as pd

    years, cols = {}, {}
    for ind in indicators:
        sel = values[(values["indicator"] == ind) & values["value"].notna()]
        if sel.empty:
            continue
        y = int(sel["year"].max())
        years[ind] = y
        cols[ind] = sel[sel["year"] == y].set_index("code")["value"].astype(float)
    return years, pd.DataFrame(cols)


def need_index(values, *, weights: dict[str, float] | None = None,
               codes=None) -> "object":
    """The need index per neighbourhood with each indicator's contribution.

    Parameters
    ----------
    values:
        Long DataFrame ``code, year, indicator, value`` (as the store gives it).
    weights:
        Indicator -> weight (default :data:`DEFAULT_NEED_WEIGHTS`). Indicators
        with no values at all are left out and listed in ``frame.attrs["dropped"]``.
    codes:
        All neighbourhood codes to report (default: those in ``values``).

    Returns
    -------
    DataFrame with ``code``, ``need_index`` (NaN = unknown: some weighted
    indicator is missing), ``contribution_<indicator>``, ``missing`` (list).
    ``attrs`` hold the years used, the weights and the formula.
    """
    import numpy as np
    import pandas as pd

    weights = dict(weights or DEFAULT_NEED_WEIGHTS)
    weights = {k: w for k, w in weights.items() if w > 0}
    years, wide = _latest_wide(values, weights)
    dropped = sorted(set(weights) - set(years))
    used = {k: w for k, w in weights.items() if k in years}
    all_codes = sorted(set(codes) if codes is not None else set(values["code"]))
    wide = wide.reindex(all_codes)
    total_w = sum(used.values())
    out = pd.DataFrame({"code": all_codes})
    index = np.zeros(len(all_codes))
    missing = [[] for _ in all_codes]
    for ind, w in used.items():
        x = wide[ind].to_numpy(float)
        ok = np.isfinite(x)
        mean, std = (x[ok].mean(), x[ok].std()) if ok.any() else (np.nan, np.nan)
        # all equal (up to rounding) carries no information: every z is 0, not noise / noise
        spread = std > 1e-9 * max(1.0, abs(mean)) if ok.any() else False
        z = np.where(ok, (x - mean) / std if spread else 0.0, np.nan)
        contrib = w * INDICATORS[ind].need * z / total_w if total_w else z * np.nan
        out[f"contribution_{ind}"] = contrib
        index = index + np.where(ok, contrib, 0.0)
        for i in np.flatnonzero(~ok):
            missing[i].append(ind)
    out["need_index"] = np.where([not m for m in missing], index, np.nan) if used else np.nan
    out["missing"] = missing
    out.attrs.update(years=years, weights=used, dropped=dropped, formula=NEED_INDEX_FORMULA)
    return out


# --------------------------------------------------------------------------- typology
TYPOLOGY_CLASSES: dict[str, tuple[str, str]] = {
    "gentrifying": ("#7a0177", "was vulnerable, income and education rising faster than the "
                               "region, with a hot housing market"),
    "at_risk": ("#dd3497", "vulnerable, with a hot housing market here or next door"),
    "vulnerable": ("#fa9fb5", "vulnerable, housing market not (yet) hot"),
    "hot_market": ("#fdae6b", "not vulnerable, housing market hotter than the region"),
    "not_vulnerable": ("#d9f0a3", "not vulnerable, market not hot"),
    "unknown": ("#bdbdbd", "not enough data to decide (the reasons say what is missing)"),
}

_VULNERABILITY = (
    # (indicator, fallback, above the median means vulnerable?, text)
    ("median_income", "mean_income", False, "income"),
    ("renter_share", "social_housing_share", True, "share of renters"),
    ("low_education_share", "high_education_share", True, "low education"),
    ("social_assistance_share", "increased_reimbursement_share", True, "benefit dependency"),
)


def _fmt(key: str, v: float) -> str:
    ind = INDICATORS.get(key)
    if ind and ind.kind == "rate":
        return f"{v:.1%}" if v <= 1 else f"{v:.1f}"
    return f"{v:,.0f}".replace(",", " ")


def _wide_year(values, year: int):
    sel = values[(values["year"] == year) & values["value"].notna()]
    return sel.pivot_table(index="code", columns="indicator", values="value", aggfunc="first")


def _vulnerable(table, code) -> tuple[bool | None, list[str]]:
    """(vulnerable?, reasons) for one neighbourhood of a year's wide table."""
    import math

    reasons, true, known = [], 0, 0
    for key, fallback, above, text in _VULNERABILITY:
        for k in (key, fallback):
            if k in table.columns and table[k].notna().sum() >= 2:
                v = table[k].get(code)
                if v is None or (isinstance(v, float) and math.isnan(v)):
                    continue
                med = float(table[k].median())
                flip = (k == "high_education_share")  # high education below median = vulnerable
                hit = (v > med) if (above != flip) else (v < med)
                known += 1
                true += hit
                side = "above" if v > med else ("below" if v < med else "at")
                reasons.append(f"{label_short(k)} {_fmt(k, v)} is {side} the regional median "
                               f"{_fmt(k, med)}" + (" (counts as vulnerable)" if hit else ""))
                break
        else:
            reasons.append(f"{text}: no data")
    if true >= 3:
        return True, reasons
    if known - true >= 2:
        return False, reasons
    return None, reasons


def label_short(key: str) -> str:
    ind = INDICATORS.get(key)
    return ind.label_en if ind else key.replace("_", " ")


def _change(values, key: str, base: int, end: int):
    a = values[(values["indicator"] == key) & (values["year"] == base)].set_index("code")["value"]
    b = values[(values["indicator"] == key) & (values["year"] == end)].set_index("code")["value"]
    return (b / a - 1).dropna()


def typology(values, neighbourhoods, *, base_year: int | None = None,
             end_year: int | None = None) -> "object":
    """Gentrification and displacement class per neighbourhood (see docs/indicators.md).

    ``neighbourhoods`` is a GeoDataFrame with ``code`` and polygons (WGS84),
    used to find each neighbourhood's neighbours (shared boundary) for the
    spatial lag of market heat. The region is all neighbourhoods given.
    """
    import numpy as np
    import pandas as pd

    years = sorted(int(y) for y in values["year"].unique()) if len(values) else []
    end_year = end_year or (years[-1] if years else None)
    base_year = base_year or (years[0] if years else None)
    codes = list(neighbourhoods["code"])
    if end_year is None:
        return pd.DataFrame({"code": codes, "typology": "unknown",
                             "reasons": [["no indicator values"]] * len(codes)})
    end_t, base_t = _wide_year(values, end_year), _wide_year(values, base_year)
    market = {}
    for key in ("rent_median", "house_price_median"):
        ch = _change(values, key, base_year, end_year) if base_year != end_year else pd.Series(
            dtype=float)
        if len(ch) >= 2:
            market[key] = ch
    market_key = "rent_median" if "rent_median" in market else (
        "house_price_median" if market else None)
    mchange = market.get(market_key, pd.Series(dtype=float))
    mmed = float(mchange.median()) if len(mchange) else np.nan
    income = _change(values, "median_income", base_year, end_year) if base_year != end_year \
        else pd.Series(dtype=float)
    edu = (_wide_year(values, end_year).get("high_education_share", pd.Series(dtype=float))
           - _wide_year(values, base_year).get("high_education_share", pd.Series(dtype=float))
           ).dropna() if base_year != end_year else pd.Series(dtype=float)
    # neighbours by shared boundary
    geoms = neighbourhoods.set_index("code").geometry
    sindex = neighbourhoods.sindex
    neighbours: dict[str, list[str]] = {}
    for code, geom in geoms.items():
        cand = neighbourhoods.iloc[sindex.query(geom, predicate="intersects")]["code"]
        neighbours[code] = [c for c in cand if c != code and (
            geoms[c].touches(geom) or geoms[c].intersection(geom).length > 0)]
    rows = []
    for code in codes:
        reasons: list[str] = []
        vul_end, r_end = _vulnerable(end_t, code)
        vul_base, _r_base = _vulnerable(base_t, code) if base_year != end_year else (vul_end, [])
        reasons += [f"{end_year}: {r}" for r in r_end]
        hot = None
        if market_key and code in mchange.index:
            v = float(mchange[code])
            hot = v > mmed
            reasons.append(f"{label_short(market_key)} changed {v:+.1%} from {base_year} to "
                           f"{end_year}; regional median change {mmed:+.1%}"
                           + (" (hot market)" if hot else ""))
        else:
            reasons.append("housing market: no rent or price change data")
        nb = [float(mchange[c]) for c in neighbours.get(code, []) if c in mchange.index]
        hot_nb = None
        if nb:
            lag = float(np.mean(nb))
            hot_nb = lag > mmed
            reasons.append(f"neighbours' mean {label_short(market_key)} change {lag:+.1%}"
                           + (" (hot neighbours)" if hot_nb else ""))
        gent = None
        if vul_base and code in income.index and code in edu.index and hot:
            inc, inc_med = float(income[code]), float(income.median())
            ed, ed_med = float(edu[code]), float(edu.median())
            gent = inc > inc_med and ed > ed_med
            reasons.append(f"income changed {inc:+.1%} (region {inc_med:+.1%}); share with "
                           f"higher education changed {ed * 100:+.1f} points (region "
                           f"{ed_med * 100:+.1f})")
        if vul_end is None:
            cls = "unknown"
        elif gent:
            cls = "gentrifying"
        elif vul_end and (hot or hot_nb):
            cls = "at_risk"
        elif vul_end and (hot is None and hot_nb is None):
            cls = "unknown"
            reasons.append("vulnerable, but whether the market is hot is unknown")
        elif vul_end:
            cls = "vulnerable"
        elif hot is None:
            cls = "unknown" if market_key is None else "not_vulnerable"
        elif hot:
            cls = "hot_market"
        else:
            cls = "not_vulnerable"
        rows.append({"code": code, "typology": cls, "vulnerable": vul_end, "hot_market": hot,
                     "hot_neighbours": hot_nb, "gentrifying": gent, "reasons": reasons})
    out = pd.DataFrame(rows)
    out.attrs.update(base_year=base_year, end_year=end_year, market=market_key)
    return out


# --------------------------------------------------------------------------- sectors
def aggregate_sectors(values, lookup, *, file: str = "<input>"):
    """Statistical-sector values -> neighbourhood values through ``lookup`` (sector, code).

    Counts are summed. Rates and amounts are population-weighted means, using
    each sector's ``population`` of the same year from ``values``; a sector
    with a rate but no population is a problem (it cannot be weighted).
    Sectors missing from the lookup are an error naming them.
    """
    import pandas as pd

    from .errors import ImportFailed, Problem

    lk = dict(zip(lookup["sector"].astype(str), lookup["code"].astype(str)))
    unknown = sorted(set(values["code"]) - set(lk))
    if unknown:
        raise ImportFailed([Problem(file, None, "code", f"sector {s!r} is not in the lookup "
                                                        "table") for s in unknown[:50]])
    df = values.copy()
    df["neighbourhood"] = df["code"].map(lk)
    pop = df[df["indicator"] == "population"].set_index(["code", "year"])["value"]
    problems, rows = [], []
    for (nb, year, ind), g in df.groupby(["neighbourhood", "year", "indicator"]):
        kind = indicator_kind(ind)
        if kind is None:
            problems.append(Problem(file, None, "indicator",
                                    f"{ind!r}: cannot tell whether to sum or average it "
                                    "(name it *_share, *_rate or *_count, or use a known one)"))
            continue
        if kind == "count":
            value = float(g["value"].sum())
        else:
            w = [pop.get((s, year)) for s in g["code"]]
            if any(x is None or pd.isna(x) for x in w):
                lacking = [s for s, x in zip(g["code"], w) if x is None or pd.isna(x)]
                problems.append(Problem(file, None, "population",
                                        f"{ind} in {year}: sector(s) {', '.join(lacking[:5])} "
                                        "have no population to weight by"))
                continue
            total = sum(w)
            value = float((g["value"].to_numpy(float) * w).sum() / total) if total else None
        rows.append({"code": nb, "year": int(year), "indicator": ind, "value": value,
                     "source": g["source"].iloc[0] if "source" in g else None})
    if problems:
        unique = list(dict.fromkeys(problems))
        raise ImportFailed(unique)
    return pd.DataFrame(rows, columns=["code", "year", "indicator", "value", "source"])


def trend(values, code: str) -> dict[str, list[tuple[int, float]]]:
    """Indicator -> [(year, value), ...] for one neighbourhood, for charts."""
    sel = values[values["code"] == code].sort_values("year")
    out: dict[str, list[tuple[int, float]]] = {}
    for r in sel.itertuples(index=False):
        if r.value == r.value:
            out.setdefault(r.indicator, []).append((int(r.year), float(r.value)))
    return out
