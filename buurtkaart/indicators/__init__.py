"""Neighbourhood indicators: registry, need index, displacement typology, sector aggregation.

The package: :mod:`.registry` (which indicators exist, their labels and formats),
:mod:`.need` (the need index), :mod:`.typology` (the displacement typology) and
:mod:`.sectors` (statistical sectors to neighbourhoods); :func:`trend` is here.

Everything here is pure: functions take pandas DataFrames (long form ``code, year,
indicator, value[, source]``) or a GeoDataFrame of neighbourhoods and return DataFrames or
plain dicts. Nothing reads the database or Flask. The rules are written out for users in
``docs/indicators.md``; a test keeps that page and this module in step.

Indicators are stored long-form, so a new indicator needs no schema change. Known ones are
declared in :data:`INDICATORS`. Any other key is accepted when its kind follows from its name
(:data:`NAMING_RULES`, applied by :func:`indicator_info`); a key that matches no rule must be
declared in :mod:`.registry` before it can be imported, because otherwise nobody can say whether sector
values of it are to be summed or averaged.
"""

from __future__ import annotations

import pandas as pd

from .need import (DEFAULT_NEED_WEIGHTS, MAX_WEIGHT, MIN_PEERS, NEED_INDEX_FORMULA,
                   need_index, parse_directions, parse_weights)
from .registry import (INDICATORS, NAMING_RULES, Indicator, format_value,
                       indicator_info, indicator_kind, indicator_label, indicator_label_both)
from .sectors import aggregate_sectors
from .typology import (MARKET_INDICATORS, TYPOLOGY_CLASSES, VULNERABILITY_CRITERIA,
                       neighbours, typology)

__all__ = [
    "Indicator", "INDICATORS", "NAMING_RULES", "indicator_info", "indicator_kind",
    "indicator_label", "indicator_label_both", "format_value",
    "DEFAULT_NEED_WEIGHTS", "NEED_INDEX_FORMULA", "MIN_PEERS", "MAX_WEIGHT", "parse_weights",
    "parse_directions", "need_index",
    "TYPOLOGY_CLASSES", "VULNERABILITY_CRITERIA", "MARKET_INDICATORS", "neighbours",
    "typology",
    "aggregate_sectors", "trend",
]


def trend(values: pd.DataFrame, code: str) -> dict[str, list[tuple[int, float]]]:
    """Indicator -> ``[(year, value), ...]`` in year order for one neighbourhood.

    Missing values (NaN) are left out, so a chart shows a gap rather than a zero.
    """
    sel = values[(values["code"].astype(str) == str(code)) & values["value"].notna()]
    out: dict[str, list[tuple[int, float]]] = {}
    for r in sel.sort_values(["indicator", "year"]).itertuples(index=False):
        out.setdefault(r.indicator, []).append((int(r.year), float(r.value)))
    return out
