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
