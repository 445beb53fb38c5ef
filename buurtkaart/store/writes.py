"""Writes: validated records, neighbourhoods and indicators, each in one transaction."""

from __future__ import annotations

import json
from collections.abc import Iterable

import pandas as pd
import shapely
import sqlite_utils
from shapely import wkb

from .. import search
from ..concurrency import writing
from ..errors import ImportFailed, Problem
from ..i18n import Msg
from .reads import _chunks, neighbourhood_at


def save_directory(
    db: sqlite_utils.Database,
    *,
    organisations: Iterable[dict] = (),
    places: Iterable[dict] = (),
    activities: Iterable[dict] = (),
    file: str = "<input>",
    codes: list[str | None] | None = None,
) -> dict[str, int]:
    """Insert or update validated records (see :mod:`buurtkaart.records`) by ``uid``.

    Activities refer to places and organisations by ``place_uid`` and
    ``organisation_uid``; places to organisations by ``organisation_uid``.
    A reference may point to a record in the same call or already stored.
    All in one transaction: on any problem, nothing is written. The
    neighbourhood of each place is found before the write lock is taken,
    and rows are written in bulk, so the lock is held briefly.

    ``codes`` are the places' neighbourhood codes when the caller found them
    already (:func:`neighbourhood_codes`).

    Returns the number of organisations, places and activities written.
    """
    organisations, places, activities = list(organisations), list(places), list(activities)
    if codes is None:
        codes = neighbourhood_codes(db, [(p["lon"], p["lat"]) for p in places])
    problems: list[Problem] = []
    with writing(db):
        postcodes = {p.get("postcode") for p in places} | {r[0] for r in db.execute(
            "SELECT postcode FROM places WHERE uid IN (SELECT value FROM json_each(?))",
            [json.dumps([p["uid"] for p in places])])}
        org_ids = _upsert_many(db, "organisations", [
            {k: o.get(k) for k in ("uid", "name", "description", "url", "email", "phone",
                                   "source")} for o in organisations])
        rows = []
        for i, (p, code) in enumerate(zip(places, codes), start=1):
            row = {k: v for k, v in p.items() if k not in ("organisation_uid", "where")}
            row["organisation_id"] = _resolve(db, "organisations", p.get("organisation_uid"),
                                              org_ids, problems, file, p.get("where", f"place {i}"),
                                              "organisation_uid")
            row["neighbourhood_code"] = code
            rows.append(row)
        place_ids = _upsert_many(db, "places", rows)
        pids = [place_ids[p["uid"]] for p in places]
        db.conn.executemany("DELETE FROM places_rtree WHERE id = ?", [[i] for i in pids])
        db.conn.executemany("INSERT INTO places_rtree VALUES (?, ?, ?, ?, ?)",
                            [[i, p["lon"], p["lon"], p["lat"], p["lat"]]
                             for i, p in zip(pids, places)])
        rows = []
        for i, a in enumerate(activities, start=1):
            where = a.get("where", f"activity {i}")
            row = {k: v for k, v in a.items()
                   if k not in ("organisation_uid", "place_uid", "models", "sessions", "where")}
            row["languages"] = json.dumps(list(a.get("languages") or []))
            row["modified_at"] = _now_utc()
            row["organisation_id"] = _resolve(db, "organisations", a.get("organisation_uid"),
                                              org_ids, problems, file, where, "organisation_uid")
            row["place_id"] = _resolve(db, "places", a.get("place_uid"), place_ids, problems,
                                       file, where, "place_uid")
            rows.append(row)
        if problems:
            raise ImportFailed(problems)
        activity_ids = _upsert_many(db, "activities", rows)
        aids = [[activity_ids[a["uid"]]] for a in activities]
        db.conn.executemany("DELETE FROM activity_models WHERE activity_id = ?", aids)
        db.conn.executemany("DELETE FROM sessions WHERE activity_id = ?", aids)
        db.conn.executemany("INSERT OR IGNORE INTO activity_models VALUES (?, ?)",
                            [[aid, m] for (aid,), a in zip(aids, activities)
                             for m in a.get("models") or []])
        db.conn.executemany('INSERT INTO sessions (activity_id, weekday, start, "end", nth) '
                            "VALUES (?, ?, ?, ?, ?)",
                            [[aid, s.weekday, s.start, s.end, s.nth]
                             for (aid,), a in zip(aids, activities)
                             for s in a.get("sessions") or []])
        search.refresh_areas(db, postcodes)
    return {"organisations": len(organisations), "places": len(places),
            "activities": len(activities)}


def _upsert_many(db: sqlite_utils.Database, table: str, rows: list[dict]) -> dict[str, int]:
    """Insert or update ``rows`` by ``uid`` in bulk; return each uid's row id."""
    groups: dict[tuple[str, ...], list[dict]] = {}
    for row in rows:
        groups.setdefault(tuple(row), []).append(row)
    for cols, group in groups.items():
        names = ", ".join(f'"{c}"' for c in cols)
        updates = ", ".join(f'"{c}" = excluded."{c}"' for c in cols if c != "uid")
        db.conn.executemany(
            f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(cols))}) "
            f"ON CONFLICT (uid) DO " + (f"UPDATE SET {updates}" if updates else "NOTHING"),
            [[r[c] for c in cols] for r in group])
    ids: dict[str, int] = {}
    uids = list(dict.fromkeys(r["uid"] for r in rows))
    for chunk in _chunks(uids, 500):
        ids.update((uid, i) for i, uid in db.execute(
            f"SELECT id, uid FROM {table} WHERE uid IN ({','.join('?' * len(chunk))})", chunk))
    return ids
def _now_utc() -> str:
    """Now as HSDS writes times: UTC with milliseconds (``2026-03-15T10:30:45.123Z``)."""
    import datetime as dt

    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds")[:-6] + "Z"


def _resolve(db, table, uid, fresh: dict, problems, file, where, field) -> int | None:
    if not uid:
        return None
    if uid in fresh:
        return fresh[uid]
    row = db.execute(f"SELECT id FROM {table} WHERE uid = ?", [uid]).fetchone()
    if row:
        return row[0]
    # _resolve is called for these two tables only
    what = {"organisations": Msg("refers to unknown organisation %(uid)s", uid=repr(uid)),
            "places": Msg("refers to unknown place %(uid)s", uid=repr(uid))}
    problems.append(Problem(file, where, field, what[table]))
    return None


def save_neighbourhoods(db: sqlite_utils.Database, frame, *, source: str) -> int:
    """Insert or update neighbourhoods by ``code`` from a GeoDataFrame in WGS84.

    ``frame`` has columns ``code`` (text), ``name``, ``municipality_code`` and
    a polygon geometry. Places are re-assigned to the neighbourhood they lie in.
    """
    if frame.crs is None or frame.crs.to_epsg() != 4326:
        msg = "neighbourhoods must be given in WGS84 (EPSG:4326)"
        raise ValueError(msg)
    areas = frame.geometry.to_crs(frame.geometry.estimate_utm_crs()).area
    with writing(db):
        for (_, r), area in zip(frame.iterrows(), areas):
            geom = r.geometry
            pt = geom.representative_point()
            row = {"code": str(r["code"]), "name": r.get("name"),
                   "municipality_code": r.get("municipality_code"),
                   "geometry": wkb.dumps(geom), "lon": pt.x, "lat": pt.y,
                   "area_m2": float(area), "source": source}
            existing = db.execute("SELECT id FROM neighbourhoods WHERE code = ?",
                                  [row["code"]]).fetchone()
            if existing:
                nid = existing[0]
                db["neighbourhoods"].update(nid, row)
                db.execute("DELETE FROM neighbourhoods_rtree WHERE id = ?", [nid])
            else:
                nid = db["neighbourhoods"].insert(row).last_pk
            minx, miny, maxx, maxy = geom.bounds
            db.execute("INSERT INTO neighbourhoods_rtree VALUES (?, ?, ?, ?, ?)",
                       [nid, minx, maxx, miny, maxy])
        _assign_neighbourhoods(db, None)
        search.refresh_areas(db)
    return len(frame)


def save_indicators(db: sqlite_utils.Database, frame: pd.DataFrame, *, file: str = "<input>") -> int:
    """Insert or update long-form indicator values (code, year, indicator, value, source).

    Every code must be a stored neighbourhood; otherwise nothing is written
    and each unknown code is reported once.
    """
    known = {r[0] for r in db.execute("SELECT code FROM neighbourhoods")}
    unknown = sorted(set(frame["code"].astype(str)) - known)
    if unknown:
        shown = ", ".join(unknown[:20]) + (" ..." if len(unknown) > 20 else "")
        raise ImportFailed([Problem(file, None, "code", Msg(
            "%(num)s code(s) are not stored neighbourhoods (import the neighbourhoods first): "
            "%(codes)s", num=len(unknown), codes=shown))])
    from .. import notes

    def text(v):
        return None if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v)

    def text_note(v):
        return v if isinstance(v, notes.Note) else text(v)

    rows = [
        (str(r.code), int(r.year), str(r.indicator),
         None if pd.isna(r.value) else float(r.value),
         text(getattr(r, "source", None)), notes.encode(text_note(getattr(r, "note", None))))
        for r in frame.itertuples(index=False)
    ]
    with writing(db):
        db.conn.executemany(
            "INSERT INTO indicators (neighbourhood_code, year, indicator, value, source, note) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (neighbourhood_code, year, indicator) "
            "DO UPDATE SET value = excluded.value, source = excluded.source, "
            "note = excluded.note",
            rows,
        )
    return len(rows)


def _assign_neighbourhoods(db: sqlite_utils.Database, place_ids: Iterable[int] | None) -> None:
    """Store for each place the code of the neighbourhood its point lies in."""
    if place_ids is None:
        rows = db.execute("SELECT id, lon, lat FROM places").fetchall()
    else:
        ids = list(place_ids)
        rows = [db.execute("SELECT id, lon, lat FROM places WHERE id = ?", [i]).fetchone()
                for i in ids]
    codes = neighbourhood_codes(db, [(lon, lat) for _, lon, lat in rows])
    db.conn.executemany("UPDATE places SET neighbourhood_code = ? WHERE id = ?",
                        [[code, pid] for code, (pid, _, _) in zip(codes, rows)])


def neighbourhood_codes(db: sqlite_utils.Database,
                        points: list[tuple[float, float]]) -> list[str | None]:
    """The code of the neighbourhood containing each (lon, lat), or ``None``.

    Few points ask the R*Tree one by one; many load the polygons once into
    shapely's STRtree. Where polygons overlap, the lowest code wins (as
    :func:`neighbourhood_at`).
    """
    if len(points) <= 50:
        return [(neighbourhood_at(db, lon, lat) or {}).get("code") for lon, lat in points]
    hoods = db.execute("SELECT code, geometry FROM neighbourhoods ORDER BY code").fetchall()
    if not hoods:
        return [None] * len(points)
    tree = shapely.STRtree([wkb.loads(g) for _, g in hoods])
    pts = shapely.points([list(p) for p in points])
    out: list[str | None] = [None] * len(points)
    pi, hi = tree.query(pts, predicate="covered_by")
    for p, h in sorted(zip(pi.tolist(), hi.tolist()), reverse=True):
        out[p] = hoods[h][0]  # lowest code last, so it wins
    return out
