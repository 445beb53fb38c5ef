"""How map values look: classes, colours, "no data" and "unknown", numbers in words.

Shares (0..1) get fixed classes that mean something to a reader: under 50 %, 50–75 %,
75–90 % and 90–100 %. A class holds its lower bound and not its upper one, so 75 % falls
in "75–90 %" and 49.9 % in "under 50 %"; the legend says so. Other values are classed in
quantiles. Two states without a colour of the scale are kept apart:

- **no data**: nothing to show (no residents, no value stored): light grey;
- **unknown**: a value exists but is not published (e.g. confidential): grey hatching.

Numbers follow the page's language: the decimal sign of the language, thousands with a
narrow no-break space ("19 427 inwoners"), percentages as the catalogue writes them
("87 %" in Dutch, "87%" in English).

Public API
----------
PALETTE, NO_DATA_COLOUR, UNKNOWN_FILL, UNKNOWN_SWATCH, SHARE_BREAKS
quantile_classes(values, k=5) -> list[float]
share_class(value) -> int | None;  share_class_labels() -> list[str]
Classes.for_values(values, unit, reverse) -> Classes  (.colour(v), .legend_rows())
number_text(v, decimals=None), percent_text(share), value_text(v, unit)
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable
from dataclasses import dataclass

from babel.numbers import get_decimal_symbol

from .i18n import current_locale, ngettext
from .i18n import gettext as _

__all__ = ["PALETTE", "NO_DATA_COLOUR", "UNKNOWN_FILL", "UNKNOWN_SWATCH", "SHARE_BREAKS",
           "HATCH_SVG", "known", "quantile_classes", "share_class", "share_class_labels", "Classes",
           "number_text", "percent_text", "value_text"]

#: Sequential, colour-blind-safe (ColorBrewer YlOrRd, 5 classes): light = low, dark = high.
PALETTE = ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026")
#: Nothing to show (no residents, no value): light grey, always in the legend.
NO_DATA_COLOUR = "#e0e0e0"
#: A value exists but is not known to us (confidential): grey hatching, defined once per
#: map as an SVG pattern (:data:`HATCH_SVG`) that Leaflet's SVG paths fill with.
UNKNOWN_FILL = "url(#bk-unknown-hatch)"
#: The same hatching for the legend's swatch (CSS).
UNKNOWN_SWATCH = "repeating-linear-gradient(45deg,#555 0 2px,#fff 2px 6px)"
HATCH_SVG = ('<svg width="0" height="0" style="position:absolute" aria-hidden="true"><defs>'
             '<pattern id="bk-unknown-hatch" width="6" height="6" patternUnits="userSpaceOnUse"'
             ' patternTransform="rotate(45)"><rect width="6" height="6" fill="#fff"/>'
             '<rect width="2" height="6" fill="#555"/></pattern></defs></svg>')
#: Lower bounds of the share classes after the first: [0, .5), [.5, .75), [.75, .9), [.9, 1].
SHARE_BREAKS = (0.5, 0.75, 0.9)


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def known(v) -> bool:
    """Is ``v`` a finite number (not ``None``, NaN or infinite)?"""
    return v is not None and isinstance(v, (int, float)) and math.isfinite(v)


# --------------------------------------------------------------------------- numbers
def number_text(v: float, decimals: int | None = None) -> str:
    """``v`` in the page's language: "19 427", "3,5" (nl) / "3.5" (en).

    ``decimals`` defaults to none from 100 up and to at most two (trailing zeros dropped)
    below.
    """
    auto = decimals is None
    if auto:
        decimals = 0 if abs(v) >= 100 else 2
    text = f"{v:,.{decimals}f}"
    if auto and "." in text:
        text = text.rstrip("0").rstrip(".")
    point = get_decimal_symbol(current_locale())  # "," in Dutch
    return text.replace(",", "\u202f").replace(".", point)


def percent_text(share: float) -> str:
    """A share 0..1 as a percentage: whole numbers, with one decimal where rounding would
    put it in another class or make it read as nobody or everyone ("49,9 %", "99,6 %",
    "0,4 %")."""
    pct = share * 100
    edges = (*(b * 100 for b in SHARE_BREAKS), 100)
    crosses = any(pct < b <= round(pct) for b in edges) or 0 < pct < 0.5
    return _("%(number)s%%", number=number_text(pct, 1 if crosses else 0))


def value_text(v, unit: str | None = None) -> str:
    """A value with its unit, for popups and legends ("19 427 residents", "87 %",
    "21 345 €"); "no data" when there is none."""
    if not known(v):
        return _("no data")
    if unit == "share":
        return percent_text(v)
    if unit == "people":
        return ngettext("%(count)s resident", "%(count)s residents", round(v),
                        count=number_text(v, 0))
    if unit == "index":
        return ("+" if v > 0 else "") + number_text(v, 2)
    if unit and unit.startswith("€"):
        return _("%(amount)s €", amount=number_text(v, 0))
    return number_text(v)


# --------------------------------------------------------------------------- classes
def quantile_classes(values: Iterable[float | None], k: int = 5) -> list[float]:
    """Class breaks (inclusive upper bounds) splitting ``values`` into up to ``k``
    quantile classes; missing and non-finite values are ignored, equal breaks collapse.
    Empty when no value is known."""
    vals = sorted(float(v) for v in values if known(v))
    if not vals:
        return []
    breaks: list[float] = []
    for i in range(1, k + 1):
        b = vals[min(len(vals) - 1, math.ceil(i * len(vals) / k) - 1)]
        if not breaks or b > breaks[-1]:
            breaks.append(b)
    return breaks


def share_class(value: float | None) -> int | None:
    """The share class of ``value`` (0: under 50 %, ... 3: 90–100 %); ``None`` without a
    value. A class holds its lower bound: 0.75 is class 2 (75–90 %)."""
    if not known(value):
        return None
    return sum(value >= b for b in SHARE_BREAKS)


def share_class_labels() -> list[str]:
    """The share classes in words, lowest first."""
    pct = [percent_text(b) for b in SHARE_BREAKS]
    return [_("under %(value)s", value=pct[0]),
            *(_("%(low)s to under %(high)s", low=a, high=b) for a, b in zip(pct, pct[1:])),
            _("%(low)s to %(high)s", low=pct[-1], high=percent_text(1.0))]


def _spread(n: int, reverse: bool) -> list[str]:
    """``n`` palette colours spread over the palette; ``reverse``: darkest first."""
    colours = [PALETTE[round(i * (len(PALETTE) - 1) / max(1, n - 1))] for i in range(n)]
    return colours[::-1] if reverse else colours


@dataclass(frozen=True)
class Classes:
    """The classes of a numeric layer: fixed share classes or quantiles."""

    kind: str  # "share" or "quantile"
    breaks: tuple[float, ...]  # quantile upper bounds (inclusive); empty for shares
    unit: str | None
    reverse: bool

    @classmethod
    def for_values(cls, values: Iterable, unit: str | None, reverse: bool = False) -> Classes:
        if unit == "share":
            return cls("share", (), unit, reverse)
        return cls("quantile", tuple(quantile_classes(values)), unit, reverse)

    def colours(self) -> list[str]:
        n = len(SHARE_BREAKS) + 1 if self.kind == "share" else len(self.breaks)
        return _spread(n, self.reverse)

    def index(self, v) -> int | None:
        if not known(v):
            return None
        if self.kind == "share":
            return share_class(v)
        if not self.breaks:
            return None
        return next((i for i, b in enumerate(self.breaks) if v <= b), len(self.breaks) - 1)

    def colour(self, v) -> str:
        i = self.index(v)
        return NO_DATA_COLOUR if i is None else self.colours()[i]

    def labels(self) -> list[str]:
        if self.kind == "share":
            return share_class_labels()
        out, lo = [], None
        for b in self.breaks:
            shown = _fmt(b, self.unit)
            out.append(_("up to %(value)s", value=shown) if lo is None
                       else f"{_fmt(lo, self.unit)} – {shown}")
            lo = b
        return out

    def legend_rows(self, *, has_unknown: bool) -> list[str]:
        """The legend's lines: one per class, how the classes were made, "no data" and
        (when some value is unknown) "unknown"."""
        rows = [f'<div class="bk-class"><i style="background:{c}"></i>{_e(label)}</div>'
                for c, label in zip(self.colours(), self.labels())]
        if self.kind == "share":
            how = _("fixed classes; a class includes its lower bound (%(example)s is in "
                    "“%(label)s”)", example=percent_text(SHARE_BREAKS[1]),
                    label=share_class_labels()[2])
        else:
            how = _("classes: quantiles (about as many neighbourhoods in each)")
        if rows:
            darker = _("darker = lower values") if self.reverse else _("darker = higher values")
            rows.append(f'<p class="bk-source">{_e(how)}; {_e(darker)}</p>')
        rows.append(f'<div class="bk-class bk-nodata"><i style="background:{NO_DATA_COLOUR}">'
                    "</i>" + _e(_("no data (no residents or no figure)")) + "</div>")
        if has_unknown:
            rows.append(f'<div class="bk-class bk-unknown-class"><i style="background:'
                        f'{UNKNOWN_SWATCH}"></i>' + _e(_("unknown (not published, e.g. "
                                                          "confidential)")) + "</div>")
        return rows


def _fmt(v, unit: str | None) -> str:
    """A class bound: percentages for shares, otherwise the number."""
    if not known(v):
        return _("no data")
    return percent_text(v) if unit == "share" else number_text(v)
