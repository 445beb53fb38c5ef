"""A black-and-white map of the surroundings as SVG, drawn on the server from the walking
network: no tiles, nothing fetched, the same on paper as on screen.

Streets are the walk graph's edges (named streets drawn wider than paths), with their
names where the extract gives them; the neighbourhood's outline is a thick dashed line;
the starting point is a black square; each place is a white disc with a black border
and its number, matching the numbered list. Meaning never rests on colour alone: every
mark differs in shape or line style.
"""

from __future__ import annotations

import math
from html import escape

import numpy as np

from .guide import Walks

__all__ = ["svg_map", "WIDTH", "HEIGHT"]

WIDTH, HEIGHT = 1000, 760
MARGIN = 40
MIN_SPAN_M = 600.0
MAX_LABELS = 30
LABEL_SIZE = 17
MARKER_R = 17


class _Frame:
    """WGS84 to SVG units for a box around the given points, keeping the aspect ratio."""

    def __init__(self, lon: np.ndarray, lat: np.ndarray):
        lat0 = float(np.mean(lat))
        self.k = math.cos(math.radians(lat0))
        x, y = lon * 111_320.0 * self.k, lat * 110_574.0
        cx, cy = (x.min() + x.max()) / 2, (y.min() + y.max()) / 2
        span_x = max(x.max() - x.min(), MIN_SPAN_M) * 1.12
        span_y = max(y.max() - y.min(), MIN_SPAN_M) * 1.12
        inner_w, inner_h = WIDTH - 2 * MARGIN, HEIGHT - 2 * MARGIN
        self.scale = min(inner_w / span_x, inner_h / span_y)  # SVG units per metre
        self.cx, self.cy = cx, cy

    def xy(self, lon, lat):
        x = np.asarray(lon, float) * 111_320.0 * self.k
        y = np.asarray(lat, float) * 110_574.0
        return (WIDTH / 2 + (x - self.cx) * self.scale,
                HEIGHT / 2 - (y - self.cy) * self.scale)


def _inside(x, y, pad: float = 0.0):
    return (x >= -pad) & (x <= WIDTH + pad) & (y >= -pad) & (y <= HEIGHT + pad)


def _streets(walks: Walks, frame: _Frame) -> tuple[list[str], list[tuple]]:
    """SVG paths of the edges in view, and candidate labels (name, x, y, angle, length)."""
    g = walks.graph
    x, y = frame.xy(g.lon, g.lat)
    near = _inside(x, y, pad=200)
    src = np.repeat(np.arange(g.n), np.diff(g.indptr))
    dst = np.asarray(g.indices, np.int64)
    keep = (src < dst) & (near[src] | near[dst])
    a, b = src[keep], dst[keep]
    names = walks.names.names_of(a, b) if walks.names is not None else [None] * len(a)
    named = np.array([n is not None for n in names], bool)

    def path(mask) -> str:
        return " ".join(f"M{x[i]:.1f} {y[i]:.1f}L{x[j]:.1f} {y[j]:.1f}"
                        for i, j in zip(a[mask], b[mask]))

    out = [f'<path d="{path(~named)}" stroke="#777" stroke-width="1.2" fill="none"/>',
           f'<path d="{path(named)}" stroke="#444" stroke-width="3.2" fill="none" '
           'stroke-linecap="round"/>']
    # each name once: at its longest edge inside the frame
    best: dict[str, tuple] = {}
    total: dict[str, float] = {}
    for n, i, j in zip(names, a, b):
        if n is None:
            continue
        mx, my = (x[i] + x[j]) / 2, (y[i] + y[j]) / 2
        if not (MARGIN < mx < WIDTH - MARGIN and MARGIN < my < HEIGHT - MARGIN):
            continue
        length = math.hypot(x[j] - x[i], y[j] - y[i])
        total[n] = total.get(n, 0.0) + length
        if length > best.get(n, (0, 0, 0, 0, -1))[4]:
            angle = math.degrees(math.atan2(y[j] - y[i], x[j] - x[i]))
            if angle > 90:
                angle -= 180
            elif angle < -90:
                angle += 180
            best[n] = (n, mx, my, angle, length)
    labels = sorted(best.values(), key=lambda t: -total[t[0]])
    return out, labels


def _placed(labels, taken: list[tuple]) -> list[tuple]:
    """Labels that do not overlap each other or the markers (circles ``taken``)."""
    out = []
    for name, x, y, angle, _len in labels:
        half = len(name) * LABEL_SIZE * 0.3
        dx, dy = math.cos(math.radians(angle)) * half, math.sin(math.radians(angle)) * half
        pts = [(x + dx * t, y + dy * t) for t in (-1, -0.5, 0, 0.5, 1)]
        if any(math.hypot(px - cx, py - cy) < r for px, py in pts for cx, cy, r in taken):
            continue
        out.append((name, x, y, angle))
        taken.extend((px, py, LABEL_SIZE * 0.9) for px, py in pts)
        if len(out) >= MAX_LABELS:
            break
    return out


def svg_map(walks: Walks, *, outline=None, start_label: str, title: str) -> str:
    """The map as an inline ``<svg>`` element (``outline``: a shapely polygon to draw)."""
    lon = [walks.lon] + [s.place["lon"] for s in walks.stops]
    lat = [walks.lat] + [s.place["lat"] for s in walks.stops]
    if outline is not None:
        bx = outline.bounds
        lon += [bx[0], bx[2]]
        lat += [bx[1], bx[3]]
    frame = _Frame(np.array(lon, float), np.array(lat, float))
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
             f'class="guide-map" role="img" aria-label="{escape(title)}">',
             f'<title>{escape(title)}</title>',
             f'<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="#fff" '
             'stroke="#000" stroke-width="2"/>',
             f'<clipPath id="frame"><rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}"/>'
             '</clipPath><g clip-path="url(#frame)">']
    streets, labels = _streets(walks, frame)
    parts += streets
    if outline is not None:
        for poly in getattr(outline, "geoms", [outline]):
            xs, ys = frame.xy(*np.asarray(poly.exterior.coords).T)
            d = "M" + "L".join(f"{px:.1f} {py:.1f}" for px, py in zip(xs, ys)) + "Z"
            parts.append(f'<path d="{d}" fill="none" stroke="#000" stroke-width="5" '
                         'stroke-dasharray="16 9"/>')
    sx, sy = (float(v) for v in frame.xy(walks.lon, walks.lat))
    taken = [(sx, sy, 14.0)]
    markers = []
    for s in walks.stops:
        px, py = (float(v) for v in frame.xy(s.place["lon"], s.place["lat"]))
        cx, cy = _free_spot(px, py, taken)
        taken.append((cx, cy, MARKER_R + 2))
        if (cx, cy) != (px, py):  # moved aside: a line from the place to its number
            markers.append(f'<path d="M{px:.1f} {py:.1f}L{cx:.1f} {cy:.1f}" stroke="#000" '
                           f'stroke-width="2"/><circle cx="{px:.1f}" cy="{py:.1f}" r="4" '
                           'fill="#000"/>')
        markers.append(
            f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{MARKER_R}" fill="#fff" stroke="#000" '
            f'stroke-width="3"/><text x="{cx:.1f}" y="{cy + 6:.1f}" text-anchor="middle" '
            f'font-size="18" font-weight="bold" font-family="sans-serif" '
            f'fill="#000">{s.number}</text>')
    for name, x, y, angle in _placed(labels, taken):
        attrs = (f'x="{x:.1f}" y="{y + LABEL_SIZE * 0.35:.1f}" text-anchor="middle" '
                 f'font-size="{LABEL_SIZE}" font-family="sans-serif" font-style="italic" '
                 f'transform="rotate({angle:.1f} {x:.1f} {y:.1f})"')
        parts.append(f'<text {attrs} fill="#fff" stroke="#fff" stroke-width="5">'
                     f'{escape(name)}</text><text {attrs} fill="#000">{escape(name)}</text>')
    parts += markers
    parts.append(f'<rect x="{sx - 11:.1f}" y="{sy - 11:.1f}" width="22" height="22" '
                 'fill="#000" stroke="#fff" stroke-width="2"/>')
    parts.append("</g>")
    parts.append(f'<g font-family="sans-serif" font-size="18"><rect x="12" y="{HEIGHT - 40}" '
                 f'width="{len(start_label) * 10 + 50}" height="30" fill="#fff" stroke="#000"/>'
                 f'<rect x="20" y="{HEIGHT - 33}" width="16" height="16" fill="#000"/>'
                 f'<text x="44" y="{HEIGHT - 19}" fill="#000">{escape(start_label)}</text></g>')
    # a scale bar of a round length
    metres = _round_length(200 / frame.scale)
    bar = metres * frame.scale
    parts.append(f'<g font-family="sans-serif" font-size="16"><rect x="{WIDTH - bar - 36:.1f}" '
                 f'y="{HEIGHT - 44}" width="{bar + 24:.1f}" height="34" fill="#fff"/>'
                 f'<path d="M{WIDTH - bar - 24:.1f} {HEIGHT - 16}h{bar:.1f}" stroke="#000" '
                 f'stroke-width="4"/><text x="{WIDTH - 24 - bar / 2:.1f}" y="{HEIGHT - 24}" '
                 f'text-anchor="middle" fill="#000">{metres} m</text></g>')
    parts.append("</svg>")
    return "".join(parts)


def _free_spot(x: float, y: float, taken: list[tuple]) -> tuple[float, float]:
    """Where a numbered disc for a place at (x, y) does not cover another disc or the
    starting point: the place itself, else the nearest free spot around it."""
    def free(px, py):
        return all(math.hypot(px - cx, py - cy) >= r + MARKER_R for cx, cy, r in taken)

    if free(x, y):
        return x, y
    for ring in (2.4, 3.6, 4.8, 6.0):
        for k in range(12):
            a = math.radians(k * 30 - 45)
            px, py = x + math.cos(a) * MARKER_R * ring, y + math.sin(a) * MARKER_R * ring
            if free(px, py):
                return px, py
    return x, y


def _round_length(metres: float) -> int:
    for step in (50, 100, 200, 250, 500, 1000, 2000, 5000):
        if step >= metres * 0.6:
            return step
    return 10_000
