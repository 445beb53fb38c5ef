"""The database schema as a list of migrations, applied in order by :func:`buurtkaart.store.connect`.

A new schema change is a new function at the end, decorated with ``@migrations()``;
never edit one that has shipped (tests migrate from every earlier version).
"""

from __future__ import annotations


import sqlite_utils

from .. import search
from ..taxonomy import PLACE_KINDS

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
    from .. import notes

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
    from .. import history

    history.install(db)


@migrations()
def m006_geometry_version(db: sqlite_utils.Database) -> None:
    """A token that changes only when neighbourhood outlines change (a neighbourhood added,
    removed, or its polygon or code changed), for the simplified shapes kept on disk
    (:mod:`buurtkaart.geomcache`); verifying a place or importing indicators keeps it."""
    db.execute("CREATE TABLE geometry_version (id INTEGER PRIMARY KEY CHECK (id = 1), "
               "token TEXT NOT NULL)")
    db.execute("INSERT INTO geometry_version VALUES (1, lower(hex(randomblob(8))))")
    bump = "UPDATE geometry_version SET token = lower(hex(randomblob(8))) WHERE id = 1;"
    for event in ("INSERT", "DELETE"):
        db.execute(f"CREATE TRIGGER neighbourhoods_{event.lower()}_geometry_version AFTER "
                   f"{event} ON neighbourhoods BEGIN {bump} END")
    # a re-import writes every polygon again: only a different one counts
    db.execute("CREATE TRIGGER neighbourhoods_update_geometry_version AFTER UPDATE OF "
               "geometry, code ON neighbourhoods WHEN OLD.geometry IS NOT NEW.geometry OR "
               f"OLD.code IS NOT NEW.code BEGIN {bump} END")


@migrations()
def m007_more_data_versioned(db: sqlite_utils.Database) -> None:
    """``data_version`` also changes when a timetable is imported or removed or the
    addresses are replaced (``search_state`` changes once per replacement: no trigger on
    each of millions of address rows): answers kept per data version (the read API, public
    pages) never outlive these. (Saved scenarios are shown only to editors, whose pages
    are never kept: saving one leaves the directory's version as it is.)"""
    bump = "UPDATE data_version SET token = lower(hex(randomblob(8))) WHERE id = 1;"
    for table in ("transit_feeds", "search_state"):
        for event in ("INSERT", "UPDATE", "DELETE"):
            db.execute(f"CREATE TRIGGER {table}_{event.lower()}_version AFTER {event} ON "
                       f"{table} BEGIN {bump} END")


def schema_version(db: sqlite_utils.Database) -> int:
    """The number of migrations applied to ``db``."""
    return len(migrations.applied(db))
