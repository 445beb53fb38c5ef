"""The indicator registry: known indicators, naming rules, labels and value formats."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal


from ..i18n import N_, Msg, Term, gettext


Kind = Literal["count", "rate", "amount"]
Aggregation = Literal["sum", "mean"]


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
