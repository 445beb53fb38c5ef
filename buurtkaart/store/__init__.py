"""SQLite storage through sqlite-utils: schema, migrations, queries, spatial index.

The package: :mod:`.schema` (the migrations), :mod:`.writes`, :mod:`.reads` and
:mod:`.backup`; this module opens the database and names what the rest of the code uses.

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

import os
import sqlite3
from contextlib import contextmanager
from pathlib import Path

import sqlite_utils

from ..concurrency import busy_timeout, writing
from .backup import backup, check_database_file, restore
from .reads import (activities, activity, indicator_catalogue, indicator_frame,
                    neighbourhood, neighbourhood_at, neighbourhood_page, neighbourhoods,
                    organisations, place, places)
from .schema import migrations, schema_version
from .writes import neighbourhood_codes, save_directory, save_indicators, save_neighbourhoods

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
    "neighbourhood_page",
    "neighbourhood",
    "neighbourhood_at",
    "neighbourhood_codes",
    "transaction",
    "indicator_frame",
    "indicator_catalogue",
    "counts",
    "backup",
    "restore",
    "check_database_file",
    "data_version",
    "geometry_version",
]


def data_version(db: sqlite_utils.Database) -> str:
    """Changes whenever any place, activity, neighbourhood or indicator changes."""
    return db.execute("SELECT token FROM data_version WHERE id = 1").fetchone()[0]


def geometry_version(db: sqlite_utils.Database) -> str:
    """Changes only when a neighbourhood is added or removed or its polygon or code changes."""
    return db.execute("SELECT token FROM geometry_version WHERE id = 1").fetchone()[0]


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


def counts(db: sqlite_utils.Database) -> dict[str, int]:
    """How many records of each kind are stored."""
    return {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("organisations", "places", "activities", "neighbourhoods", "indicators")}


@contextmanager
def transaction(db: sqlite_utils.Database):
    """Group several writes into one all-or-nothing transaction."""
    with writing(db):
        yield db
