"""Simplified neighbourhood geometry, made once per data version and tolerance.

Simplifying 2,730 polygons takes most of a map render or a large
``/api/neighbourhoods`` page. The result depends only on the polygon (fixed
for a given ``data_version``) and the tolerance (the map's extent, i.e. its
zoom level, or the API's ``simplify``), so it is kept per (database file,
data_version, tolerance) and per code; any import or edit changes
data_version and so starts afresh. Coordinates are rounded to a grid of
1/20 of the tolerance (invisible at that zoom, and shorter to send); a
polygon that simplification or rounding left invalid is repaired.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import shapely

from .. import store

__all__ = ["simplified", "CACHE_SIZE"]

CACHE_SIZE = 16
_LOCK = threading.Lock()
_CACHE: OrderedDict[tuple, dict] = OrderedDict()


def _simplify(geom, tolerance: float):
    out = shapely.set_precision(geom.simplify(tolerance, preserve_topology=True),
                                tolerance / 20.0)
    if out.is_empty:  # a sliver smaller than the grid: keep it, only simplified
        out = geom.simplify(tolerance, preserve_topology=True)
    return out if out.is_valid else shapely.make_valid(out)


def simplified(db, rows: list[dict], tolerance: float | None) -> list[dict]:
    """``rows`` (from :func:`store.neighbourhoods`) with their ``geometry`` simplified by
    ``tolerance`` degrees (unchanged when it is ``None`` or 0); changes the rows in place."""
    if not tolerance:
        return rows
    key = (db.execute("PRAGMA database_list").fetchone()[2], store.data_version(db),
           float(tolerance))
    with _LOCK:
        shapes = _CACHE.get(key)
        if shapes is None:
            shapes = _CACHE[key] = {}
            while len(_CACHE) > CACHE_SIZE:
                _CACHE.popitem(last=False)
        else:
            _CACHE.move_to_end(key)
    for r in rows:
        geom = shapes.get(r["code"])
        if geom is None:
            geom = shapes[r["code"]] = _simplify(r["geometry"], float(tolerance))
        r["geometry"] = geom
    return rows
