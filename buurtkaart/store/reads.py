"""Reads: places, activities, organisations, neighbourhoods and indicators."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pandas as pd
import shapely
import sqlite_utils
from shapely import wkb

from ..errors import NotFound
from ..i18n import Msg
from ..filters import Filter
from ..hours import Session


_PLACE_SELECT = (
    "SELECT p.*, o.name AS organisation_name, o.uid AS organisation_uid, "
    "n.name AS neighbourhood_name, n.municipality_code FROM places p "
    "LEFT JOIN organisations o ON o.id = p.organisation_id "
    "LEFT JOIN neighbourhoods n ON n.code = p.neighbourhood_code"
)


def _place_row(r: dict) -> dict:
    r = dict(r)
    r["activities"] = []
    return r


def _activity_rows(db: sqlite_utils.Database, where: str = "", params: list | None = None,
                   *, limit: int | None = None, offset: int = 0) -> list[dict]:
    rows = [dict(r) for r in db.query(
        "SELECT a.*, o.name AS organisation_name, o.uid AS organisation_uid, "
        "p.uid AS place_uid, p.name AS place_name "
        "FROM activities a LEFT JOIN organisations o ON o.id = a.organisation_id "
        "LEFT JOIN places p ON p.id = a.place_id " + where + " ORDER BY a.name, a.id"
        + ("" if limit is None else " LIMIT ? OFFSET ?"),
        (params or []) + ([] if limit is None else [limit, offset]))]
    if not rows:
        return rows
    by_id = {r["id"]: r for r in rows}
    for r in rows:
        r["languages"] = json.loads(r["languages"] or "[]")
        r["models"] = []
        r["sessions"] = []
    ids = list(by_id)
    for chunk in _chunks(ids, 500):
        marks = ",".join("?" * len(chunk))
        for aid, model in db.execute(
                f"SELECT activity_id, model FROM activity_models WHERE activity_id IN ({marks}) "
                "ORDER BY model", chunk):
            by_id[aid]["models"].append(model)
        for aid, wd, start, end, nth in db.execute(
                f'SELECT activity_id, weekday, start, "end", nth FROM sessions '
                f"WHERE activity_id IN ({marks}) ORDER BY weekday, start", chunk):
            by_id[aid]["sessions"].append(Session(wd, start, end, nth))
    from ..taxonomy import WORKING_MODELS
    order = list(WORKING_MODELS)
    for r in rows:
        r["models"].sort(key=order.index)
    return rows


def _chunks(seq: list, n: int) -> Iterator[list]:
    for i in range(0, len(seq), n):
        yield seq[i:i + n]


def places(db: sqlite_utils.Database, filt: Filter | None = None, *,
           include_archived: bool = False, include_inactive: bool = False) -> list[dict]:
    """Places matching ``filt``, each with its activities (those matching, if the
    filter says anything about activities, else all of them).

    Archived places and activities are left out unless ``include_archived``;
    activities whose status is not ``active`` (inactive, defunct, temporarily
    closed) unless ``include_inactive``. The whole list: pages use
    :func:`buurtkaart.listing.place_page`.
    """
    from ..listing import iter_places

    return list(iter_places(db, filt, include_archived=include_archived,
                            include_inactive=include_inactive))


def place(db: sqlite_utils.Database, place_id: int) -> dict:
    """One place with all its activities; :class:`NotFound` if there is none."""
    r = db.execute("SELECT id FROM places WHERE id = ?", [place_id]).fetchone() \
        if _sqlite_int(place_id) else None
    if not r:
        raise NotFound(Msg("no place with id %(id)s", id=place_id))
    row = dict(next(db.query(_PLACE_SELECT + " WHERE p.id = ?", [place_id])))
    row["activities"] = _activity_rows(db, "WHERE a.place_id = ?", [place_id])
    return row


def activities(db: sqlite_utils.Database, filt: Filter | None = None, *,
               include_archived: bool = False, include_inactive: bool = False) -> list[dict]:
    """Activities matching ``filt`` (mobile ones included), each with its place; only
    active ones unless ``include_inactive`` (see :func:`places`).
    The whole list: pages use :func:`buurtkaart.listing.activity_page`."""
    from ..listing import iter_activities

    return list(iter_activities(db, filt, include_archived=include_archived,
                                include_inactive=include_inactive))


def _sqlite_int(v) -> bool:
    """Can ``v`` be an SQLite INTEGER at all (ids in URLs can be any size)?"""
    return isinstance(v, int) and -(2**63) <= v < 2**63


def activity(db: sqlite_utils.Database, activity_id: int) -> dict:
    rows = _activity_rows(db, "WHERE a.id = ?", [activity_id]) if _sqlite_int(activity_id) \
        else []
    if not rows:
        raise NotFound(Msg("no activity with id %(id)s", id=activity_id))
    a = rows[0]
    a["place"] = place(db, a["place_id"]) if a["place_id"] else None
    return a


def organisations(db: sqlite_utils.Database) -> list[dict]:
    return [dict(r) for r in db.query("SELECT * FROM organisations ORDER BY name")]


def _neighbourhood_row(r: dict) -> dict:
    r = dict(r)
    r["geometry"] = wkb.loads(r["geometry"])
    return r


def _neighbourhood_rows(found) -> list[dict]:
    """Rows with their polygons read in one vectorised call (2,730 wijken: 0.09 s one by
    one)."""
    rows = [dict(r) for r in found]
    for r, geom in zip(rows, shapely.from_wkb([r["geometry"] for r in rows])):
        r["geometry"] = geom
    return rows


#: a neighbourhood with the name of its municipality (when municipalities are imported)
_NEIGHBOURHOOD_SELECT = ("SELECT n.*, m.name AS municipality_name FROM neighbourhoods n "
                         "LEFT JOIN municipalities m ON m.code = n.municipality_code")


def neighbourhoods(
    db: sqlite_utils.Database,
    *,
    bbox: tuple[float, float, float, float] | None = None,
    municipality: str | None = None,
    simplify: float | None = None,
) -> list[dict]:
    """Neighbourhoods (with shapely geometry), optionally in a box or municipality.

    ``simplify`` is a tolerance in degrees for lighter map geometry.
    """
    out, _total = neighbourhood_page(db, bbox=bbox, municipality=municipality)
    if simplify:
        for r in out:
            r["geometry"] = r["geometry"].simplify(simplify, preserve_topology=True)
    return out


def neighbourhood_page(db: sqlite_utils.Database, *,
                       bbox: tuple[float, float, float, float] | None = None,
                       municipality: str | None = None, limit: int | None = None,
                       offset: int = 0) -> tuple[list[dict], int]:
    """``(rows, total)``: the neighbourhoods from ``offset``, at most ``limit`` (all when
    None), by code, of the ``total`` in the box or municipality. Without a box only the
    page's polygons are read (2,730 Flemish wijken: the first hundred, not all)."""
    sql, where, params = _NEIGHBOURHOOD_SELECT, [], []
    if bbox:
        minx, miny, maxx, maxy = bbox
        where.append("n.id IN (SELECT id FROM neighbourhoods_rtree WHERE min_lon <= ? AND "
                     "max_lon >= ? AND min_lat <= ? AND max_lat >= ?)")
        params += [maxx, minx, maxy, miny]
    if municipality:
        where.append("n.municipality_code = ?")
        params.append(municipality)
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY n.code"
    if bbox:  # the box's candidates, then those that really meet it
        box = shapely.box(*bbox)
        rows = [r for r in _neighbourhood_rows(db.query(sql, params))
                if r["geometry"].intersects(box)]
        end = None if limit is None else offset + limit
        return rows[offset:end], len(rows)
    if limit is None and not offset:  # all of them (a map): no count needed
        rows = _neighbourhood_rows(db.query(sql, params))
        return rows, len(rows)
    total = db.execute(f"SELECT count(*) FROM ({sql})", params).fetchone()[0]
    page = db.query(sql + " LIMIT ? OFFSET ?", [*params, -1 if limit is None else limit,
                                                 offset])
    return _neighbourhood_rows(page), total


def neighbourhood(db: sqlite_utils.Database, code: str) -> dict:
    rows = list(db.query(_NEIGHBOURHOOD_SELECT + " WHERE n.code = ?", [code]))
    if not rows:
        raise NotFound(Msg("no neighbourhood with code %(code)s", code=repr(code)))
    return _neighbourhood_row(rows[0])


def neighbourhood_at(db: sqlite_utils.Database, lon: float, lat: float) -> dict | None:
    """The neighbourhood whose polygon contains the point, or ``None``."""
    pt = shapely.Point(lon, lat)
    for r in db.query(
            "SELECT n.* FROM neighbourhoods n JOIN neighbourhoods_rtree t ON t.id = n.id "
            "WHERE t.min_lon <= ? AND t.max_lon >= ? AND t.min_lat <= ? AND t.max_lat >= ? "
            "ORDER BY n.code", [lon, lon, lat, lat]):
        row = _neighbourhood_row(r)
        if row["geometry"].covers(pt):
            return row
    return None


def indicator_frame(
    db: sqlite_utils.Database, *, indicator: str | None = None, year: int | None = None,
    code: str | None = None,
) -> pd.DataFrame:
    """Indicator values as a long DataFrame: code, year, indicator, value, source, note
    (why a value is unknown, e.g. confidential in the source; or None)."""
    sql = ("SELECT neighbourhood_code AS code, year, indicator, value, source, note "
           "FROM indicators")
    where, params = [], []
    for col, v in (("indicator", indicator), ("year", year), ("neighbourhood_code", code)):
        if v is not None:
            where.append(f"{col} = ?")
            params.append(v)
    if where:
        sql += " WHERE " + " AND ".join(where)
    rows = db.execute(sql + " ORDER BY code, indicator, year", params).fetchall()
    frame = pd.DataFrame(rows, columns=["code", "year", "indicator", "value", "source", "note"])
    frame["value"] = frame["value"].astype(float)
    frame["note"] = frame["note"].astype(object).where(frame["note"].notna(), None)
    if frame["note"].notna().any():
        from ..notes import decode

        decoded = {t: decode(t) for t in set(frame["note"].dropna())}
        frame["note"] = pd.Series([decoded.get(t) if t is not None else None
                                   for t in frame["note"]], index=frame.index, dtype=object)
    return frame


def indicator_catalogue(db: sqlite_utils.Database) -> list[dict]:
    """Each stored indicator with its years, count of neighbourhoods and sources."""
    out = []
    for ind, years, n, sources in db.execute(
            "SELECT indicator, group_concat(DISTINCT year), count(DISTINCT neighbourhood_code), "
            "group_concat(DISTINCT source) FROM indicators GROUP BY indicator ORDER BY indicator"):
        out.append({"indicator": ind,
                    "years": sorted(int(y) for y in str(years).split(",")),
                    "neighbourhoods": n,
                    "sources": sorted(set((sources or "").split(","))) if sources else []})
    return out
