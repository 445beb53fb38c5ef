"""Numbers as people of the page's language write them: ``19 427 inwoners``, ``87 %``
in Dutch, ``19,427 residents``, ``87%`` in English."""

from __future__ import annotations

import math

__all__ = ["people", "percent", "points"]

NBSP = "\u00a0"


def _group(n: int, locale: str) -> str:
    text = f"{abs(n):,}".replace(",", NBSP if locale.startswith("nl") else ",")
    return ("−" if n < 0 else "") + text


def people(value: float | None, locale: str) -> str:
    """A whole number of people (rounded), grouped by thousands; ``–`` when unknown."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return _group(int(round(value)), locale)


def _decimal(value: float, digits: int, locale: str) -> str:
    text = f"{value:.{digits}f}"
    return text.replace(".", ",") if locale.startswith("nl") else text


def percent(share: float | None, locale: str) -> str:
    """A share 0..1 as a whole percentage; one decimal where rounding would say 0 or 100
    for a share that is not exactly 0 or 1 (99.7 % is not everyone)."""
    if share is None or (isinstance(share, float) and math.isnan(share)):
        return "–"
    pct = share * 100
    digits = 1 if (round(pct) in (0, 100) and 0 < share < 1) else 0
    pct = min(pct, 99.9) if share < 1 else pct  # 99.96 % is not everyone either
    text = _decimal(pct, digits, locale)
    return f"{text}{NBSP}%" if locale.startswith("nl") else f"{text}%"


def points(change: float | None, locale: str) -> str:
    """A change of a share in percentage points, with its sign (``+3,5``)."""
    if change is None or (isinstance(change, float) and math.isnan(change)):
        return "–"
    text = _decimal(abs(change) * 100, 1, locale)
    return ("+" if change > 0 else "−" if change < 0 else "±") + text
