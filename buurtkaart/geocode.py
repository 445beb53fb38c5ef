"""Offline addresses from an OpenStreetMap extract, for the search.

Two kinds of rows go into the ``addresses`` table:

- every node, way or relation with ``addr:street`` and ``addr:housenumber``
  (plus ``addr:postcode`` and ``addr:city`` when tagged), at a point inside it;
  the same address tagged twice (a building and an entrance) is kept once;
- every named street (``highway=*`` ways with a ``name``): the ways of one name
  lying within :data:`STREET_GAP_DEGREES` of each other are one street, placed at
  the middle of its longest stretch; one name far apart (the same street name in
  two towns) gives two streets. A street's city is the commonest ``addr:city``
  of the addresses along it.

:func:`save_addresses` replaces the table in one transaction with the search
index, so a failed read leaves the previous addresses in place.
"""

from __future__ import annotations

import json
import math
import warnings
from collections import Counter
from pathlib import Path

import shapely

from . import search
from .importers.osm import SOURCE, unreadable

__all__ = ["read_addresses", "save_addresses", "STREET_GAP_DEGREES"]

#: Ways of one name closer than this (about 200 m) belong to one street.
STREET_GAP_DEGREES = 0.002
_ADDR = ("addr:street", "addr:housenumber", "addr:postcode", "addr:city")


def _text(row: dict, tags: dict, key: str) -> str | None:
    v = row.get(key)
    if v is None or (isinstance(v, float) and math.isnan(v)):
        v = tags.get(key)
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    v = str(v).strip()
    return v or None


def _tags(row: dict) -> dict:
    tags = row.get("tags")
    tags = json.loads(tags) if isinstance(tags, str) else tags
    return tags if isinstance(tags, dict) else {}


def read_addresses(path: str | Path) -> list[dict]:
    """Addresses and streets of the extract at ``path`` as rows of the ``addresses`` table."""
    file = str(path)
    try:
        import pyrosm

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            osm = pyrosm.OSM(file)
            tagged = osm.get_data_by_custom_criteria(
                custom_filter={"addr:housenumber": True}, filter_type="keep",
                keep_nodes=True, keep_ways=True, keep_relations=True,
                extra_attributes=list(_ADDR))
            ways = osm.get_data_by_custom_criteria(
                custom_filter={"highway": True}, filter_type="keep", keep_nodes=False,
                keep_ways=True, keep_relations=False, extra_attributes=["name"])
    except Exception as exc:  # pyrosm raises plain exceptions for broken files
        raise unreadable(file, exc) from None
    rows, seen = [], set()
    for row in ([] if tagged is None else tagged.to_dict("records")):
        tags = _tags(row)
        street, number, postcode, city = (_text(row, tags, k) for k in _ADDR)
        geom = row.get("geometry")
        if not street or not number or geom is None or geom.is_empty:
            continue
        key = (street.casefold(), number.casefold(), postcode, city)
        if key in seen:
            continue
        seen.add(key)
        pt = geom if geom.geom_type == "Point" else geom.representative_point()
        rows.append({"street": street, "housenumber": number, "postcode": postcode,
                     "city": city, "lon": pt.x, "lat": pt.y,
                     "source": f"{SOURCE}, {row['osm_type']}/{row['id']}"})
    rows += _streets(ways, rows)
    return rows


def _streets(ways, addresses: list[dict]) -> list[dict]:
    if ways is None or len(ways) == 0 or "name" not in ways:
        return []
    named = ways[ways["name"].notna() & ways.geometry.notna()]
    by_name: dict[str, list] = {}
    for name, geom in zip(named["name"], named.geometry):
        if geom is not None and not geom.is_empty:
            by_name.setdefault(str(name).strip(), []).append(geom)
    cities: dict[str, list[tuple[shapely.Point, str]]] = {}
    for a in addresses:
        if a["city"]:
            cities.setdefault(a["street"], []).append((shapely.Point(a["lon"], a["lat"]),
                                                       a["city"]))
    out = []
    for name, geoms in sorted(by_name.items()):
        lines = shapely.get_parts(shapely.line_merge(shapely.union_all(geoms)))
        zones = shapely.get_parts(shapely.union_all(
            shapely.buffer(lines, STREET_GAP_DEGREES / 2)))
        for zone in zones:
            inside = [ln for ln in lines if zone.contains(ln)]
            longest = max(inside or list(lines), key=lambda ln: ln.length)
            mid = longest.interpolate(0.5, normalized=True)
            near = Counter(c for pt, c in cities.get(name, []) if zone.buffer(
                STREET_GAP_DEGREES).contains(pt))
            city = sorted(near.items(), key=lambda kv: (-kv[1], kv[0]))[0][0] if near else None
            out.append({"street": name, "housenumber": None, "postcode": None, "city": city,
                        "lon": mid.x, "lat": mid.y,
                        "source": f"{SOURCE}, highway ways"})
    return out


def save_addresses(db, rows: list[dict]) -> int:
    """Replace the stored addresses by ``rows`` (and the search index with them)."""
    search.replace_addresses(db, rows)
    return len(rows)
