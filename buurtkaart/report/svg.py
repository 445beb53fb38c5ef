"""The report's charts and map as SVG drawn by the server: no script, no CDN, the same
picture on the page, in print and in the PDF.

- :func:`share_bars`: one bar per row (mode, working model, threshold), the share of
  residents within 5, 10, 15 and 20 minutes as nested segments, darkest nearest;
- :func:`access_map`: the neighbourhoods coloured by the share within the chosen
  minutes in fixed classes (<50, 50-75, 75-90, 90-100 %), hatched where unknown.

Texts arrive translated and numbers formatted; this module only draws.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from html import escape

__all__ = ["ACCESS_CLASSES", "NO_DATA", "access_class", "share_bars", "access_map"]

#: (lower bound, upper bound, colour): darkest where access is lowest.
ACCESS_CLASSES = ((0.0, 0.5, "#b2182b"), (0.5, 0.75, "#ef8a62"), (0.75, 0.9, "#fddbc7"),
                  (0.9, 1.0000001, "#d1e5f0"))
NO_DATA = "url(#nodata)"
#: Segment colours for 5, 10, 15 and 20 minutes (dark to light: nearer is darker).
MINUTE_COLOURS = ("#08519c", "#3182bd", "#6baed6", "#bdd7e7")


def access_class(share: float | None) -> int | None:
    """Index into :data:`ACCESS_CLASSES`, or None when unknown."""
    if share is None or (isinstance(share, float) and math.isnan(share)):
        return None
    for i, (lo, hi, _colour) in enumerate(ACCESS_CLASSES):
        if lo <= share < hi:
            return i
    return len(ACCESS_CLASSES) - 1


def share_bars(rows: Sequence[tuple[str, dict]], minutes: Sequence[int],
               fmt: Callable[[float | None], str], title: str,
               legend: Callable[[int], str]) -> str:
    """Horizontal bars, each under its label (readable on a phone too): ``rows`` are
    (label, {minutes: share}); ``fmt`` formats a share, ``legend(m)`` says "within m
    minutes"."""
    bar_w, bar_h, row_h, top, font = 400, 16, 42, 48, 14
    width = bar_w + 80
    height = top + row_h * len(rows) + 6
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
           f'viewBox="0 0 {width} {height}" width="100%" aria-label="{escape(title)}">',
           f"<title>{escape(title)}</title>"]
    for k, (m, colour) in enumerate(zip(minutes, MINUTE_COLOURS)):
        x, y = (k % 2) * 200, 4 + (k // 2) * 20
        out.append(f'<rect x="{x}" y="{y}" width="14" height="14" fill="{colour}" '
                   f'stroke="#333" stroke-width="0.5"/><text x="{x + 20}" y="{y + 12}" '
                   f'font-size="{font - 1}">{escape(legend(m))}</text>')
    for i, (label, shares) in enumerate(rows):
        y = top + i * row_h
        out.append(f'<text x="0" y="{y + 12}" font-size="{font}">{escape(label)}</text>')
        out.append(f'<rect x="0" y="{y + 17}" width="{bar_w}" height="{bar_h}" fill="#fff" '
                   'stroke="#999" stroke-width="0.5"/>')
        for m, colour in reversed(list(zip(minutes, MINUTE_COLOURS))):
            share = shares.get(m)
            if share is None or (isinstance(share, float) and math.isnan(share)):
                continue
            out.append(f'<rect x="0" y="{y + 17}" width="{bar_w * share:.1f}" '
                       f'height="{bar_h}" fill="{colour}"><title>{escape(label)}: '
                       f'{escape(legend(m))} {escape(fmt(share))}</title></rect>')
        last = shares.get(minutes[-1]) if minutes else None
        out.append(f'<text x="{bar_w + 6}" y="{y + 30}" font-size="{font}">'
                   f'{escape(fmt(last))}</text>')
    out.append("</svg>")
    return "".join(out)


def _rings(geom):
    polys = getattr(geom, "geoms", [geom])
    for p in polys:
        if p.is_empty or not hasattr(p, "exterior"):
            continue
        yield p.exterior.coords
        for hole in p.interiors:
            yield hole.coords


def access_map(hoods: Sequence[dict], title: str, describe: Callable[[dict], str],
               legend: Sequence[str], no_data: str, width: int = 640) -> str:
    """The neighbourhoods (``geometry`` in WGS84 and ``share``) as an SVG map with its
    legend; ``describe(hood)`` is each neighbourhood's tooltip; ``legend`` names the
    classes of :data:`ACCESS_CLASSES`."""
    import shapely

    geoms = [h["geometry"] for h in hoods if h.get("geometry") is not None]
    if not geoms:
        return ""
    minx, miny, maxx, maxy = shapely.GeometryCollection(geoms).bounds
    kx = math.cos(math.radians((miny + maxy) / 2))  # metres per degree east vs north
    w = max((maxx - minx) * kx, 1e-9)
    h = max(maxy - miny, 1e-9)
    scale = width / w
    height = int(h * scale) + 1
    legend_h = 30 * (len(legend) + 1) + 14

    def path(geom) -> str:
        parts = []
        for ring in _rings(geom):
            pts = " L".join(f"{(x - minx) * kx * scale:.1f},{(maxy - y) * scale:.1f}"
                            for x, y, *_ in ring)
            parts.append(f"M{pts} Z")
        return " ".join(parts)

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="map" role="img" '
           f'viewBox="0 0 {width} {height + legend_h}" width="100%" '
           f'aria-label="{escape(title)}"><title>{escape(title)}</title>',
           '<defs><pattern id="nodata" width="6" height="6" patternUnits="userSpaceOnUse" '
           'patternTransform="rotate(45)"><rect width="6" height="6" fill="#fff"/>'
           '<line x1="0" y1="0" x2="0" y2="6" stroke="#777" stroke-width="2"/></pattern></defs>']
    for hood in hoods:
        if hood.get("geometry") is None:
            continue
        cls = access_class(hood.get("share"))
        fill = NO_DATA if cls is None else ACCESS_CLASSES[cls][2]
        out.append(f'<path d="{path(hood["geometry"])}" fill="{fill}" fill-rule="evenodd" '
                   f'stroke="#333" stroke-width="0.7"><title>{escape(describe(hood))}'
                   "</title></path>")
    y = height + 14

    def key(fill: str, text: str, y: int) -> str:
        return (f'<rect x="4" y="{y}" width="26" height="20" fill="{fill}" stroke="#333" '
                f'stroke-width="0.5"/><text x="38" y="{y + 16}" font-size="18">'
                f"{escape(text)}</text>")

    for (_lo, _hi, colour), text in zip(ACCESS_CLASSES, legend):
        out.append(key(colour, text, y))
        y += 30
    out.append(key(NO_DATA, no_data, y) + "</svg>")
    return "".join(out)
