"""SQLite storage through sqlite-utils: schema, migrations, queries, spatial index.

One database file holds the directory (organisations, places, activities with
their working models and sessions) and the neighbourhoods with long-form
indicator values. Every write runs in one transaction
(:func:`buurtkaart.concurrency.writing`, which waits a bounded time for the
write lock): an
import either lands completely or leaves the database as it was.

Spatial questions ("places in this box", "neighbourhood containing this
point") use SQLite's built-in R*Tree on bounding boxes, refined with shapely.
Geometry is stored as WKB in WGS84 (EPSG:4326).
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import shapely
import sqlite_utils
from shapely import wkb

from . import search
from .concurrency import busy_timeout, writing
from .errors import ImportFailed, NotFound, Problem
from .i18n import Msg
from .filters import Filter
from .hours import Session
from .taxonomy import PLACE_KINDS

__all__ = [
    "default_database_path",
    "connect",
    "schema_version",
    "migrations",
    "save_directory",
    "save_neighbourhoods",
    "save_indicators",
    "places",
    "place",
    "activities",
    "activity",
    "organisations",
    "neighbourhoods",
    "neighbourhood",
    "neighbourhood_at",
    "indicator_frame",
    "indicator_catalogue",
    "counts",
    "backup",
    "restore",
    "check_database_file",
    "data_version",
]

migrations = sqlite_utils.Migrations("buurtkaart")

_KIND_CHECK = ", ".join(f"'{k}'" for k in PLACE_KINDS)


@migrations()
def m001_initial(db: sqlite_utils.Database) -> None:
    """The first schema: directory, neighbourhoods, indicators, settings."""
    for sql in (
        """CREATE TABLE organisations (
            id INTEGER PRIMARY KEY,
            uid TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL,
            description TEXT, url TEXT, email TEXT, phone TEXT,
            source TEXT
        )""",
        f"""CREATE TABLE places (
            id INTEGER PRIMARY KEY,
            uid TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ({_KIND_CHECK})),
            organisation_id INTEGER REFERENCES organisations(id) ON DELETE SET NULL,
            street TEXT, postcode TEXT, city TEXT,
            lon REAL NOT NULL CHECK (lon BETWEEN -180 AND 180),
            lat REAL NOT NULL CHECK (lat BETWEEN -90 AND 90),
            opening_hours TEXT,
            wheelchair TEXT CHECK (wheelchair IN ('yes', 'limited', 'no')),
            description TEXT, url TEXT, phone TEXT, email TEXT,
            capacity INTEGER CHECK (capacity >= 0),
            neighbourhood_code TEXT,
            source TEXT,
            last_verified TEXT,
            sample INTEGER NOT NULL DEFAULT 0
        )""",
        "CREATE VIRTUAL TABLE places_rtree USING rtree(id, min_lon, max_lon, min_lat, max_lat)",
        """CREATE TABLE activities (
            id INTEGER PRIMARY KEY,
            uid TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL,
            description TEXT,
            organisation_id INTEGER REFERENCES organisations(id) ON DELETE SET NULL,
            place_id INTEGER REFERENCES places(id) ON DELETE CASCADE,
            cost_amount REAL CHECK (cost_amount >= 0),
            cost_note TEXT,
            walk_in INTEGER CHECK (walk_in IN (0, 1)),
            childcare INTEGER CHECK (childcare IN (0, 1)),
            children_welcome INTEGER CHECK (children_welcome IN (0, 1)),
            no_internet INTEGER CHECK (no_internet IN (0, 1)),
            wheelchair INTEGER CHECK (wheelchair IN (0, 1)),
            languages TEXT NOT NULL DEFAULT '[]',
            target_group TEXT,
            capacity INTEGER CHECK (capacity >= 0),
            url TEXT, email TEXT, phone TEXT,
            last_verified TEXT,
            source TEXT,
            sample INTEGER NOT NULL DEFAULT 0
        )""",
        "CREATE INDEX activities_place ON activities(place_id)",
        """CREATE TABLE activity_models (
            activity_id INTEGER NOT NULL REFERENCES activities(id) ON DELETE CASCADE,
            model TEXT NOT NULL,
            PRIMARY KEY (activity_id, model)
        )""",
        """CREATE TABLE sessions (
            id INTEGER PRIMARY KEY,
            activity_id INTEGER NOT NULL REFERENCES activities(id) ON DELETE CASCADE,
            weekday INTEGER NOT NULL CHECK (weekday BETWEEN 0 AND 6),
            start TEXT NOT NULL,
            "end" TEXT NOT NULL,
            nth INTEGER
        )""",
        "CREATE INDEX sessions_activity ON sessions(activity_id)",
        """CREATE TABLE neighbourhoods (
            id INTEGER PRIMARY KEY,
            code TEXT NOT NULL UNIQUE,
            name TEXT,
            municipality_code TEXT,
            geometry BLOB NOT NULL,
            lon REAL, lat REAL,
            area_m2 REAL,
            source TEXT
        )""",
        "CREATE INDEX neighbourhoods_municipality ON neighbourhoods(municipality_code)",
        "CREATE VIRTUAL TABLE neighbourhoods_rtree USING rtree(id, min_lon, max_lon, min_lat, max_lat)",
        """CREATE TABLE indicators (
            neighbourhood_code TEXT NOT NULL REFERENCES neighbourhoods(code) ON DELETE CASCADE,
            year INTEGER NOT NULL,
            indicator TEXT NOT NULL,
            value REAL,
            source TEXT,
            PRIMARY KEY (neighbourhood_code, year, indicator)
        )""",
        "CREATE INDEX indicators_indicator ON indicators(indicator, year)",
        """CREATE TABLE settings (
            key TEXT PRIMARY KEY,
            value TEXT,
            help TEXT
        )""",
    ):
        db.execute(sql)


@migrations()
def m002_accounts_and_audit(db: sqlite_utils.Database) -> None:
    """Accounts, API tokens, the audit log, and archiving instead of deleting."""
    for sql in (
        """CREATE TABLE users (
            id INTEGER PRIMARY KEY,
            email TEXT NOT NULL UNIQUE COLLATE NOCASE,
            password_hash TEXT NOT NULL,
            role TEXT NOT NULL CHECK (role IN ('editor', 'admin')),
            organisation_id INTEGER REFERENCES organisations(id) ON DELETE SET NULL,
            active INTEGER NOT NULL DEFAULT 1,
            created_at TEXT NOT NULL
        )""",
        """CREATE TABLE api_tokens (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            token_hash TEXT NOT NULL UNIQUE,
            name TEXT,
            created_at TEXT NOT NULL,
            last_used_at TEXT
        )""",
        """CREATE TABLE audit_log (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            user_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
            action TEXT NOT NULL CHECK (action IN ('create', 'update', 'archive', 'restore',
                                                   'undo')),
            entity TEXT NOT NULL CHECK (entity IN ('organisation', 'place', 'activity')),
            entity_uid TEXT NOT NULL,
            before TEXT,
            after TEXT,
            undoes INTEGER REFERENCES audit_log(id)
        )""",
        "CREATE INDEX audit_entity ON audit_log(entity, entity_uid)",
        "ALTER TABLE places ADD COLUMN archived_at TEXT",
        "ALTER TABLE activities ADD COLUMN archived_at TEXT",
    ):
        db.execute(sql)


_VERSIONED = ("organisations", "places", "activities", "activity_models", "sessions",
              "neighbourhoods", "indicators", "settings")


@migrations()
def m003_data_version(db: sqlite_utils.Database) -> None:
    """A token that changes with every change to the data (triggers), for caches."""
    db.execute("CREATE TABLE data_version (id INTEGER PRIMARY KEY CHECK (id = 1), token TEXT)")
    db.execute("INSERT INTO data_version VALUES (1, lower(hex(randomblob(8))))")
    for table in _VERSIONED:
        for event in ("INSERT", "UPDATE", "DELETE"):
            db.execute(f"CREATE TRIGGER {table}_{event.lower()}_version AFTER {event} ON "
                       f"{table} BEGIN UPDATE data_version SET token = "
                       "lower(hex(randomblob(8))) WHERE id = 1; END")


@migrations()
def m004_auth_sessions(db: sqlite_utils.Database) -> None:
    """Sessions and tokens that can be ended, and rate-limit counters all workers share.

    ``users.session_generation`` is stored in every session cookie and compared
    on each request: logout, disabling an account and a new password raise it,
    which ends every earlier cookie. Tokens get an expiry and a revocation time;
    tokens made before this migration expire 90 days after it.
    """
    for sql in (
        "ALTER TABLE users ADD COLUMN session_generation INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE api_tokens ADD COLUMN expires_at TEXT",
        "ALTER TABLE api_tokens ADD COLUMN revoked_at TEXT",
        "UPDATE api_tokens SET expires_at = strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now', "
        "'+90 days')",
        """CREATE TABLE rate_hits (
            bucket TEXT NOT NULL,
            client TEXT NOT NULL,
            at REAL NOT NULL
        )""",
        "CREATE INDEX rate_hits_client ON rate_hits(bucket, client, at)",
        "CREATE INDEX rate_hits_at ON rate_hits(bucket, at)",
    ):
        db.execute(sql)


@migrations()
def m004_indicator_notes_and_municipalities(db: sqlite_utils.Database) -> None:
    """Why an indicator value is unknown (a note per value), and municipality outlines
    with their names (neighbourhoods are assigned to them by largest overlap)."""
    db.execute("ALTER TABLE indicators ADD COLUMN note TEXT")
    db.execute("""CREATE TABLE municipalities (
        id INTEGER PRIMARY KEY,
        code TEXT NOT NULL UNIQUE,
        name TEXT,
        geometry BLOB,
        source TEXT
    )""")
    for event in ("INSERT", "UPDATE", "DELETE"):
        db.execute(f"CREATE TRIGGER municipalities_{event.lower()}_version AFTER {event} ON "
                   "municipalities BEGIN UPDATE data_version SET token = "
                   "lower(hex(randomblob(8))) WHERE id = 1; END")


@migrations()
def m004_directory_indexes(db: sqlite_utils.Database) -> None:
    """Indexes for paging large directories: lists in name order, places by neighbourhood."""
    db.execute("CREATE INDEX places_name ON places(name)")
    db.execute("CREATE INDEX activities_name ON activities(name)")
    db.execute("CREATE INDEX places_neighbourhood ON places(neighbourhood_code)")


@migrations()
def m004_import_audit(db: sqlite_utils.Database) -> None:
    """Imports are recorded (who, which file, when) and audited per changed record."""
    db.execute("""CREATE TABLE imports (
        id INTEGER PRIMARY KEY,
        source TEXT NOT NULL,
        file TEXT NOT NULL,
        user_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        overwrite_edits INTEGER NOT NULL DEFAULT 0,
        changed INTEGER, unchanged INTEGER, conflicts INTEGER
    )""")
    db.execute("ALTER TABLE audit_log ADD COLUMN import_id INTEGER REFERENCES imports(id)")


@migrations()
def m004_hsds(db: sqlite_utils.Database) -> None:
    """What HSDS 3.0 says about a service that buurtkaart used to drop or change: its
    status, the currency of its cost, the HSDS service it belongs to (one service
    held at several locations is several activities sharing ``service_uid``), and
    when it was last written (HSDS ``last_modified``, the API's ``modified_after``)."""
    statuses = "'active', 'inactive', 'defunct', 'temporarily closed'"  # records.STATUSES
    for sql in (
        "ALTER TABLE activities ADD COLUMN status TEXT NOT NULL DEFAULT 'active' "
        f"CHECK (status IN ({statuses}))",
        "ALTER TABLE activities ADD COLUMN cost_currency TEXT "
        "CHECK (cost_currency GLOB '[A-Z][A-Z][A-Z]')",
        "ALTER TABLE activities ADD COLUMN service_uid TEXT",
        "ALTER TABLE activities ADD COLUMN modified_at TEXT",  # last imported or edited, UTC
        "CREATE INDEX activities_service ON activities(service_uid)",
    ):
        db.execute(sql)


@migrations()
def m004_search(db: sqlite_utils.Database) -> None:
    """Offline addresses and the full-text search index (see :mod:`buurtkaart.search`)."""
    search.create_schema(db)


@migrations()
def m004_transit(db: sqlite_utils.Database) -> None:
    """Public transport timetables (GTFS feeds), one row per feed, its arrays as one blob."""
    db.execute("""CREATE TABLE transit_feeds (
        name TEXT PRIMARY KEY,
        file TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        imported_at TEXT NOT NULL,
        counts TEXT NOT NULL,
        first_date INTEGER,
        last_date INTEGER,
        has_fares INTEGER NOT NULL,
        arrays BLOB NOT NULL)""")


@migrations()
def m005_scenarios(db: sqlite_utils.Database) -> None:
    """Saved what-if scenarios (proposed places, places switched off) as JSON; a scenario
    never changes the directory, so nothing here refers to places."""
    db.execute("""CREATE TABLE scenarios (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        spec TEXT NOT NULL,
        created_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
        created_at TEXT NOT NULL)""")


@migrations()
def m005_indicator_note_codes(db: sqlite_utils.Database) -> None:
    """Indicator notes as codes with their values (shown in the page's language) instead
    of English text; a note this version did not write stays as it is."""
    from . import notes

    rows = db.execute("SELECT DISTINCT note FROM indicators WHERE note IS NOT NULL").fetchall()
    for (text,) in rows:
        parts = notes.from_english(text)
        if parts is not None:
            db.execute("UPDATE indicators SET note = ? WHERE note = ?",
                       [notes.encode(notes.Note(parts)), text])


@migrations()
def m005_history(db: sqlite_utils.Database) -> None:
    """Every version of the directory's and the indicators' rows with the moments it was
    true (valid_from/valid_to, written by triggers), so coverage can be asked of an
    earlier date; existing rows get a starting history (see :mod:`buurtkaart.history`)."""
    from . import history

    history.install(db)


def data_version(db: sqlite_utils.Database) -> str:
    """Changes whenever any place, activity, neighbourhood or indicator changes."""
    return db.execute("SELECT token FROM data_version WHERE id = 1").fetchone()[0]


def default_database_path() -> Path:
    """Where the database lives when ``BUURTKAART_DATABASE`` is not set."""
    import platformdirs

    return Path(platformdirs.user_data_dir("buurtkaart")) / "buurtkaart.db"


def connect(path: str | os.PathLike | None = None) -> sqlite_utils.Database:
    """Open (and create or migrate) the database at ``path``.

    ``None`` means ``$BUURTKAART_DATABASE`` or :func:`default_database_path`.
    The connection uses WAL, foreign keys and autocommit; writes group
    themselves with :func:`buurtkaart.concurrency.writing`; a write waits for
    the lock at most ``$BUURTKAART_BUSY_TIMEOUT`` seconds.
    """
    if path is None:
        path = os.environ.get("BUURTKAART_DATABASE") or default_database_path()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False,
                           timeout=busy_timeout())
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA synchronous=NORMAL")
    db = sqlite_utils.Database(conn)
    if migrations.pending(db):
        with db.atomic():
            migrations.apply(db)
    return db


def schema_version(db: sqlite_utils.Database) -> int:
    """The number of migrations applied to ``db``."""
    return len(migrations.applied(db))


# --------------------------------------------------------------------------- writes
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
    from . import notes

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


# --------------------------------------------------------------------------- reads
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
    from .taxonomy import WORKING_MODELS
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
    from .listing import iter_places

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
    from .listing import iter_activities

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
    out = [_neighbourhood_row(r) for r in db.query(sql + " ORDER BY n.code", params)]
    if bbox:
        box = shapely.box(*bbox)
        out = [r for r in out if r["geometry"].intersects(box)]
    if simplify:
        for r in out:
            r["geometry"] = r["geometry"].simplify(simplify, preserve_topology=True)
    return out


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
        from .notes import decode

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


def counts(db: sqlite_utils.Database) -> dict[str, int]:
    """How many records of each kind are stored."""
    return {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("organisations", "places", "activities", "neighbourhoods", "indicators")}


@contextmanager
def transaction(db: sqlite_utils.Database):
    """Group several writes into one all-or-nothing transaction."""
    with writing(db):
        yield db


# --------------------------------------------------------------------------- backup
def backup(db: sqlite_utils.Database, out: str | os.PathLike) -> Path:
    """Copy the live database to ``out`` with SQLite's online backup API.

    Safe while the service runs (readers and writers are not blocked for
    long). Written to a temporary file first and renamed, so ``out`` is
    either the complete backup or absent.
    """
    from .errors import BuurtkaartError

    out = Path(out)
    if out.exists():
        msg = f"{out} exists; choose a new file name for the backup"
        raise FileExistsError(msg)
    if not out.parent.is_dir():
        raise BuurtkaartError(f"{out}: the folder {out.parent} does not exist")
    tmp = out.with_name(out.name + ".partial")
    try:
        target = sqlite3.connect(tmp)
        try:
            db.conn.backup(target)
            target.execute("PRAGMA journal_mode=DELETE")
        finally:
            target.close()
        tmp.replace(out)
    except (sqlite3.Error, OSError) as exc:
        tmp.unlink(missing_ok=True)
        raise BuurtkaartError(f"{out}: cannot write the backup ({exc})") from None
    return out


def check_database_file(path: str | os.PathLike) -> int:
    """Check that ``path`` is a buurtkaart database this version may restore (intact, the
    exact schema of its migrations, no broken references); return its schema version.
    See :mod:`buurtkaart.restoring`."""
    from .restoring import check_backup

    return check_backup(path)


def restore(source: str | os.PathLike, db: sqlite_utils.Database) -> int:
    """Replace the contents of ``db`` by the backup at ``source``, then migrate.

    The backup is checked first (:func:`check_database_file`); a refused file
    leaves ``db`` untouched. Returns the schema version after migrating.
    """
    from .restoring import restore_backup

    restore_backup(source, db.conn)
    db.conn.execute("PRAGMA foreign_keys=ON")
    if migrations.pending(db):
        migrations.apply(db)
    return schema_version(db)

