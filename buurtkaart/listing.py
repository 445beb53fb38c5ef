"""Places and activities a page at a time, counted in SQL, for directories of any size.

A page never loads the whole directory:

- conditions SQL can decide exactly (archived, kind, municipality, bounding box,
  neighbourhood) are in the query; when they are all there is, the total is a
  ``count(*)`` and the page a ``LIMIT``/``OFFSET`` on the indexed ``name`` order,
  and only the page's activities are read;
- words (``q``) through the full-text index of :mod:`buurtkaart.search`;
- conditions on activities and times (``Filter.matches_place``) are
  checked in Python on chunks of :data:`CHUNK` places read in order, each with
  just its own activities, so memory stays bounded; the total is still exact.

:func:`buurtkaart.store.places` and :func:`buurtkaart.store.activities` (whole
lists, for exports and analysis) are built on the same iterators.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace

import sqlite_utils

from . import search
from .filters import Filter

__all__ = ["iter_places", "place_page", "iter_activities", "activity_page",
           "place_choices", "CHUNK"]

CHUNK = 2000


def _live(include_archived: bool, include_inactive: bool) -> list[str]:
    """SQL conditions on ``a`` for the activities the public sees: not archived, and
    active (not inactive, defunct or temporarily closed, as HSDS says)."""
    return ([] if include_archived else ["a.archived_at IS NULL"]) + (
        [] if include_inactive else ["a.status = 'active'"])


def _place_where(db, filt: Filter, include_archived: bool, neighbourhood: str | None = None,
                 include_inactive: bool = False) -> tuple[str, list]:
    where, params = ([] if include_archived else ["p.archived_at IS NULL"]), []
    if filt.q:  # words through the full-text index (accents, case, activities' words)
        where.append("p.id IN (SELECT value FROM json_each(?))")
        params.append(json.dumps(sorted(search.place_ids(db, filt.q))))
    if filt.bbox:
        minx, miny, maxx, maxy = filt.bbox
        where.append("p.id IN (SELECT id FROM places_rtree WHERE min_lon <= ? AND max_lon >= ? "
                     "AND min_lat <= ? AND max_lat >= ?)")
        params += [maxx, minx, maxy, miny]
    if filt.kinds:
        where.append(f"p.kind IN ({','.join('?' * len(filt.kinds))})")
        params += list(filt.kinds)
    if filt.municipality:
        where.append("p.neighbourhood_code IN (SELECT code FROM neighbourhoods "
                     "WHERE municipality_code = ?)")
        params.append(filt.municipality)
    if neighbourhood is not None:
        where.append("p.neighbourhood_code = ?")
        params.append(neighbourhood)
    acts, act_params = _activity_prefilter(filt, include_archived, include_inactive)
    if acts:
        # necessary, not sufficient: Filter.matches_place still decides
        where.append("p.id IN (SELECT a.place_id FROM activities a WHERE "
                     + " AND ".join(acts) + ")")
        params += act_params
    return (" WHERE " + " AND ".join(where)) if where else "", params


def _activity_prefilter(filt: Filter, include_archived: bool, include_inactive: bool = False
                        ) -> tuple[list[str], list]:
    """Conditions one activity must meet for :meth:`Filter.matches_activity` to hold, as
    far as SQL can say exactly (childcare, wheelchair and times are left to it); with
    only these, a place matches exactly when one of its activities meets them all."""
    cond, params = [], []
    for name in ("walk_in", "children_welcome", "no_internet"):
        want = getattr(filt, name)
        if want is not None:
            cond.append(f"a.{name} = ?")
            params.append(int(want))
    if filt.free is not None:
        cond.append("a.cost_amount = 0" if filt.free else "a.cost_amount > 0")
    if filt.models:
        cond.append("a.id IN (SELECT activity_id FROM activity_models WHERE model IN "
                    f"({','.join('?' * len(filt.models))}))")
        params += list(filt.models)
    if filt.language:
        cond.append("EXISTS (SELECT 1 FROM json_each(a.languages) WHERE value = ?)")
        params.append(filt.language)
    if cond:
        cond += _live(include_archived, include_inactive)
    return cond, params


#: the Filter fields SQL decides exactly (:func:`_place_where`, :func:`_activity_prefilter`)
_SQL_FIELDS = ("kinds", "bbox", "municipality", "models", "free", "walk_in",
               "children_welcome", "no_internet", "language", "q")


def _sql_decides(filt: Filter) -> bool:
    """Can SQL alone decide whether a place matches ``filt``? Only when every condition is
    one of :data:`_SQL_FIELDS` (times, childcare and wheelchair are Python's; words go
    through the search index)."""
    blank = Filter()
    return replace(filt, **{f: getattr(blank, f) for f in _SQL_FIELDS}) == blank


def _with_activities(db, rows: list[dict], include_archived: bool,
                     include_inactive: bool = False) -> list[dict]:
    from .store.reads import _activity_rows, _place_row

    places = {r["id"]: _place_row(r) for r in rows}
    if places:
        marks = ",".join("?" * len(places))
        live = _live(include_archived, include_inactive)
        for a in _activity_rows(db, f"WHERE a.place_id IN ({marks})"
                                + "".join(f" AND {c}" for c in live), list(places)):
            places[a["place_id"]]["activities"].append(a)
    return list(places.values())


def _refine(filt: Filter, places: list[dict]) -> Iterator[dict]:
    for p in places:
        if filt.matches_place(p):
            if filt.activity_conditions():
                p["activities"] = [a for a in p["activities"] if filt.matches_activity(a, p)]
            yield p


def iter_places(db: sqlite_utils.Database, filt: Filter | None = None, *,
                include_archived: bool = False, neighbourhood: str | None = None,
                include_inactive: bool = False) -> Iterator[dict]:
    """Places matching ``filt`` in name order, each with its activities (the matching
    ones when the filter is about activities), read :data:`CHUNK` at a time."""
    from .store.reads import _PLACE_SELECT

    filt = filt or Filter()
    where, params = _place_where(db, filt, include_archived, neighbourhood, include_inactive)
    last = None
    while True:
        sql, args = _PLACE_SELECT + where, list(params)
        if last is not None:
            sql += (" AND " if where else " WHERE ") + "(p.name, p.id) > (?, ?)"
            args += list(last)
        rows = [dict(r) for r in db.query(sql + " ORDER BY p.name, p.id LIMIT ?",
                                          [*args, CHUNK])]
        if not rows:
            return
        last = (rows[-1]["name"], rows[-1]["id"])
        yield from _refine(filt, _with_activities(db, rows, include_archived, include_inactive))
        if len(rows) < CHUNK:
            return


def place_page(db: sqlite_utils.Database, filt: Filter | None = None, *, limit: int,
               offset: int = 0, neighbourhood: str | None = None) -> tuple[list[dict], int]:
    """(the places ``offset .. offset + limit`` of those matching, how many match)."""
    from .store.reads import _PLACE_SELECT

    filt = filt or Filter()
    if not _sql_decides(filt):
        page, total = [], 0
        for p in iter_places(db, filt, neighbourhood=neighbourhood):
            if offset <= total < offset + limit:
                page.append(p)
            total += 1
        return page, total
    where, params = _place_where(db, filt, False, neighbourhood)
    total = db.execute("SELECT count(*) FROM places p" + where, params).fetchone()[0]
    rows = [dict(r) for r in db.query(_PLACE_SELECT + where + " ORDER BY p.name, p.id "
                                      "LIMIT ? OFFSET ?", [*params, limit, offset])]
    return list(_refine(filt, _with_activities(db, rows, False))), total


def place_choices(db: sqlite_utils.Database) -> list[dict]:
    """uid, name and city of every non-archived place (for a form's list of places),
    without their activities."""
    return [dict(r) for r in db.query("SELECT uid, name, city FROM places "
                                      "WHERE archived_at IS NULL ORDER BY name, id")]


def _place_of(db, ids: set[int], include_archived: bool) -> dict[int, dict]:
    from .store.reads import _PLACE_SELECT

    out = {}
    id_list = list(ids)
    for i in range(0, len(id_list), 500):
        chunk = id_list[i:i + 500]
        for r in db.query(_PLACE_SELECT + f" WHERE p.id IN ({','.join('?' * len(chunk))})"
                          + ("" if include_archived else " AND p.archived_at IS NULL"), chunk):
            out[r["id"]] = dict(r)
    return out


def _activity_matches(filt: Filter, a: dict, p: dict | None) -> bool:
    if a["place_id"] is not None and p is None:
        return False  # its place is archived
    if p is not None and not filt.matches_place({**p, "activities": [a]}):
        return False
    if p is None and (filt.bbox or filt.kinds or filt.municipality):
        return False  # a mobile activity is nowhere in particular
    return filt.matches_activity(a, p)


def iter_activities(db: sqlite_utils.Database, filt: Filter | None = None, *,
                    include_archived: bool = False, mobile_only: bool = False,
                    include_inactive: bool = False) -> Iterator[dict]:
    """Activities matching ``filt`` (mobile ones included) in name order, each with its
    ``place`` (or ``None``), read :data:`CHUNK` at a time."""
    from .store.reads import _activity_rows

    filt = filt or Filter()
    where = _live(include_archived, include_inactive)
    if mobile_only:
        where.append("a.place_id IS NULL")
    if filt.q:  # words through the full-text index, as for places
        where.append("a.id IN (" + ",".join(str(i) for i in sorted(search.activity_ids(
            db, filt.q))) + ")")
    last = None
    while True:
        cond, args = list(where), []
        if last is not None:
            cond.append("(a.name, a.id) > (?, ?)")
            args = list(last)
        rows = _activity_rows(db, " WHERE " + " AND ".join(cond) if cond else "", args,
                              limit=CHUNK)
        if not rows:
            return
        last = (rows[-1]["name"], rows[-1]["id"])
        places = _place_of(db, {a["place_id"] for a in rows if a["place_id"] is not None},
                           include_archived)
        for a in rows:
            p = places.get(a["place_id"])
            a["place"] = p
            if _activity_matches(filt, a, p):
                yield a
        if len(rows) < CHUNK:
            return


def activity_page(db: sqlite_utils.Database, filt: Filter | None = None, *, limit: int,
                  offset: int = 0) -> tuple[list[dict], int]:
    """(the activities ``offset .. offset + limit`` of those matching, how many match)."""
    from .store.reads import _activity_rows

    filt = filt or Filter()
    if filt.is_empty():
        live = ("WHERE a.archived_at IS NULL AND a.status = 'active' AND NOT EXISTS "
                "(SELECT 1 FROM places ap WHERE ap.id = a.place_id AND ap.archived_at IS NOT NULL)")
        total = db.execute("SELECT count(*) FROM activities a " + live).fetchone()[0]
        rows = _activity_rows(db, live, limit=limit, offset=offset)
        places = _place_of(db, {a["place_id"] for a in rows if a["place_id"] is not None},
                           False)
        for a in rows:
            a["place"] = places.get(a["place_id"])
        return rows, total
    page, total = [], 0
    for a in iter_activities(db, filt):
        if offset <= total < offset + limit:
            page.append(a)
        total += 1
    return page, total
