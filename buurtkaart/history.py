"""What the directory and the indicators looked like on an earlier date.

Design (migration ``m005_history``): one table ``history`` keeps every version of
every row of the versioned tables (organisations, places, activities,
activity_models, sessions, indicators) with the moment it became true
(``valid_from``) and the moment it stopped being true (``valid_to``, empty while
it is still true). Triggers on those tables write it, so every write path
(imports, edits, undo, the write API, a restored backup's later edits, even a
hand-made SQL update) is recorded without the code having to remember it:

- ``INSERT``: a new version, valid from now;
- ``UPDATE`` that changes something: the open version is closed now and a new
  one opened;
- ``DELETE``: the open version is closed now.

Archiving a place is an update (``archived_at`` set), so the archived version is
recorded like any other and the public reading rules apply to it at every date.

"Now" for the triggers is the UTC wall clock, unless ``history_clock`` holds a
moment (:func:`set_clock`): tests use it to write at controlled times, and an
administrator could use it to back-date a late import. Moments are stored as
``YYYY-MM-DDTHH:MM:SS.sssZ`` (UTC) so that text order is time order. REAL
columns are kept with 17 significant digits, so a coordinate comes back to
the last bit.

The state at a moment is every version with ``valid_from <= moment <
valid_to``. :func:`snapshot` writes that state into a separate database file
(same schema, the current neighbourhoods, municipalities, settings and
timetables beside it), on which the ordinary coverage code runs unchanged.
Neighbourhood outlines and timetables are not versioned.

Databases made before this migration get a starting history: each record is
valid from the first audit entry that mentions it, or else (activities) its
``modified_at``, or else the first recorded import, or else the migration's own
moment. Indicators carried no time at all: they are taken as valid from the
earliest of those moments, so a report at an early date still has residents.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import sqlite3
import tempfile
import threading
from collections import OrderedDict
from pathlib import Path

from .errors import BuurtkaartError

__all__ = ["VERSIONED", "install", "set_clock", "moment_text", "end_of_day", "first_moment",
           "NothingKnown", "check_known", "snapshot"]

#: Versioned table -> the SQL expression (over ``{r}``, the row: NEW or OLD) naming a row.
VERSIONED: dict[str, str] = {
    "organisations": "CAST({r}.id AS TEXT)",
    "places": "CAST({r}.id AS TEXT)",
    "activities": "CAST({r}.id AS TEXT)",
    "activity_models": "{r}.activity_id || '|' || {r}.model",
    "sessions": "CAST({r}.id AS TEXT)",
    "indicators": "{r}.neighbourhood_code || '|' || {r}.year || '|' || {r}.indicator",
}
_FORMAT = "%Y-%m-%dT%H:%M:%fZ"
NOW_SQL = (f"COALESCE((SELECT at FROM history_clock WHERE id = 1), strftime('{_FORMAT}', "
           "'now'))")
#: Tables copied as they are into a snapshot (not versioned).
_COPIED = ("neighbourhoods", "neighbourhoods_rtree", "municipalities", "settings",
           "transit_feeds")


class NothingKnown(BuurtkaartError):
    """The date lies before anything was recorded."""

    def __init__(self, moment: str, first: str | None, day: dt.date | None = None):
        self.moment, self.first = moment, first
        self.day = day or dt.date.fromisoformat(moment[:10])
        super().__init__(f"nothing was known on {self.day.isoformat()}: " + (
            f"the first data was recorded on {first[:10]}" if first else "no data yet"))


def _columns(db, table: str) -> list[tuple[str, str]]:
    return [(r[1], (r[2] or "").upper()) for r in db.execute(f"PRAGMA table_info({table})")]


def _json_row(db, table: str, r: str) -> str:
    parts = []
    for name, kind in _columns(db, table):
        value = f'{r}."{name}"'
        if kind == "REAL":  # 17 digits: the value comes back to the last bit
            value = f"CASE WHEN {value} IS NULL THEN NULL ELSE printf('%.17g', {value}) END"
        parts.append(f"'{name}', {value}")
    return f"json_object({', '.join(parts)})"


def install(db) -> None:
    """Create the history table, its clock and the triggers, and give every existing
    row its starting version (see the module docstring). Later migrations that add a
    column to a versioned table call this again to widen the triggers."""
    db.execute("""CREATE TABLE IF NOT EXISTS history (
        id INTEGER PRIMARY KEY,
        tbl TEXT NOT NULL,
        key TEXT NOT NULL,
        row TEXT NOT NULL,
        valid_from TEXT NOT NULL,
        valid_to TEXT)""")
    db.execute("CREATE INDEX IF NOT EXISTS history_open ON history(tbl, key) "
               "WHERE valid_to IS NULL")
    db.execute("CREATE INDEX IF NOT EXISTS history_from ON history(tbl, valid_from)")
    db.execute("CREATE TABLE IF NOT EXISTS history_clock (id INTEGER PRIMARY KEY "
               "CHECK (id = 1), at TEXT)")
    for table, key in VERSIONED.items():
        for event in ("insert", "update", "delete"):
            db.execute(f"DROP TRIGGER IF EXISTS {table}_{event}_history")
        new_key, old_key = key.format(r="NEW"), key.format(r="OLD")
        new_row, old_row = _json_row(db, table, "NEW"), _json_row(db, table, "OLD")
        opened = (f"INSERT INTO history (tbl, key, row, valid_from) VALUES ('{table}', "
                  f"{new_key}, {new_row}, {NOW_SQL});")
        closed = (f"UPDATE history SET valid_to = {NOW_SQL} WHERE tbl = '{table}' AND "
                  f"key = {old_key} AND valid_to IS NULL;")
        db.execute(f"CREATE TRIGGER {table}_insert_history AFTER INSERT ON {table} "
                   f"BEGIN {opened} END")
        db.execute(f"CREATE TRIGGER {table}_update_history AFTER UPDATE ON {table} "
                   f"WHEN {old_row} IS NOT {new_row} BEGIN {closed} {opened} END")
        db.execute(f"CREATE TRIGGER {table}_delete_history AFTER DELETE ON {table} "
                   f"BEGIN {closed} END")
    if db.execute("SELECT count(*) FROM history").fetchone()[0] == 0:
        _starting_history(db)


def _starting_history(db) -> None:
    now = db.execute(f"SELECT strftime('{_FORMAT}', 'now')").fetchone()[0]
    first_import = f"(SELECT strftime('{_FORMAT}', min(started_at)) FROM imports)"

    def audited(entity: str, alias: str) -> str:
        return (f"(SELECT strftime('{_FORMAT}', min(at)) FROM audit_log WHERE entity = "
                f"'{entity}' AND entity_uid = {alias}.uid)")

    since = {
        "organisations": f"COALESCE({audited('organisation', 'r')}, {first_import}, '{now}')",
        "places": f"COALESCE({audited('place', 'r')}, {first_import}, '{now}')",
        "activities": f"COALESCE({audited('activity', 'r')}, strftime('{_FORMAT}', "
                      f"r.modified_at), {first_import}, '{now}')",
    }
    for table in ("organisations", "places", "activities"):
        db.execute(f"INSERT INTO history (tbl, key, row, valid_from) SELECT '{table}', "
                   f"{VERSIONED[table].format(r='r')}, {_json_row(db, table, 'r')}, "
                   f"{since[table]} FROM {table} r")
    for table in ("activity_models", "sessions"):  # since their activity
        db.execute(f"INSERT INTO history (tbl, key, row, valid_from) SELECT '{table}', "
                   f"{VERSIONED[table].format(r='r')}, {_json_row(db, table, 'r')}, "
                   f"COALESCE((SELECT valid_from FROM history h WHERE h.tbl = 'activities' "
                   f"AND h.key = CAST(r.activity_id AS TEXT)), '{now}') FROM {table} r")
    earliest = db.execute("SELECT min(valid_from) FROM history").fetchone()[0] or now
    db.execute(f"INSERT INTO history (tbl, key, row, valid_from) SELECT 'indicators', "
               f"{VERSIONED['indicators'].format(r='r')}, {_json_row(db, 'indicators', 'r')}, "
               f"? FROM indicators r", [earliest])


# ---------------------------------------------------------------------------- moments
def moment_text(moment: dt.datetime) -> str:
    """``moment`` (aware) as stored: UTC, milliseconds, ``Z``."""
    if moment.tzinfo is None:
        raise ValueError("a moment needs its time zone")
    utc = moment.astimezone(dt.timezone.utc)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def end_of_day(day: dt.date, zone) -> str:
    """The moment a day ends in ``zone`` ("on 1 January" = as it stood at the end of it)."""
    return moment_text(dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), zone))


def set_clock(db, moment: dt.datetime | None) -> None:
    """Record later writes as made at ``moment`` (None: the wall clock again)."""
    db.execute("INSERT INTO history_clock (id, at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE "
               "SET at = excluded.at", [moment_text(moment) if moment else None])


def first_moment(db) -> str | None:
    """When the first record was written (None: nothing yet)."""
    return db.execute("SELECT min(valid_from) FROM history").fetchone()[0]


# ---------------------------------------------------------------------------- snapshots
_SNAPSHOTS: OrderedDict[tuple, Path] = OrderedDict()
_LOCK = threading.Lock()
SNAPSHOTS_KEPT = 6


def _live(table: str) -> str:
    return f"tbl = '{table}' AND valid_from < :m AND (valid_to IS NULL OR valid_to >= :m)"


def check_known(db, moment: str, day: dt.date | None = None) -> None:
    """Raise :class:`NothingKnown` when no place, activity or indicator was known just
    before ``moment``."""
    known = db.execute("SELECT 1 FROM history WHERE tbl IN ('places', 'activities', "
                       "'indicators') AND valid_from < ? LIMIT 1", [moment]).fetchone()
    if not known:
        raise NothingKnown(moment, first_moment(db), day)


def snapshot(db, moment: str, *, folder: Path | None = None,
             day: dt.date | None = None) -> Path:
    """A database file holding the directory and indicators as they stood just before
    ``moment`` (a :func:`moment_text`; ``day``: the date it ends, for messages), beside
    the current neighbourhoods and network.

    Raises :class:`NothingKnown` when no place, activity or indicator was known then.
    Files are reused while the history has not changed and the last few are kept.
    """
    check_known(db, moment, day)
    src = Path(db.execute("PRAGMA database_list").fetchone()[2])
    last = db.execute("SELECT max(id), max(valid_to) FROM history").fetchone()
    key = (str(src.resolve()), moment, tuple(last))
    with _LOCK:
        path = _SNAPSHOTS.get(key)
        if path is not None and path.exists():
            _SNAPSHOTS.move_to_end(key)
            return path
    folder = Path(folder or os.environ.get("BUURTKAART_SNAPSHOTS")
                  or Path(tempfile.gettempdir()) / "buurtkaart-snapshots")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (hashlib.sha256(repr(key).encode()).hexdigest()[:24] + ".db")
    if not path.exists():
        _write_snapshot(src, moment, path)
        _forget_old(folder)
    with _LOCK:
        _SNAPSHOTS[key] = path
        while len(_SNAPSHOTS) > SNAPSHOTS_KEPT:
            _old, old_path = _SNAPSHOTS.popitem(last=False)
            for p in (old_path, Path(f"{old_path}-wal"), Path(f"{old_path}-shm")):
                p.unlink(missing_ok=True)
    return path


def _forget_old(folder: Path, days: float = 1.0) -> None:
    """Remove snapshot files nobody used for ``days`` (other processes' leftovers)."""
    import time

    cutoff = time.time() - days * 86400
    for old in folder.glob("*.db"):
        try:
            if old.stat().st_atime < cutoff and old.stat().st_mtime < cutoff:
                old.unlink()
        except OSError:
            pass


def _write_snapshot(src: Path, moment: str, path: Path) -> None:
    from . import store

    tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
    snap = store.connect(tmp)
    try:
        conn = snap.conn
        conn.execute("ATTACH DATABASE ? AS src", [str(src)])
        conn.execute("BEGIN")
        for table in VERSIONED:  # no history of the snapshot itself
            for event in ("insert", "update", "delete"):
                conn.execute(f"DROP TRIGGER {table}_{event}_history")
        for table in _COPIED:
            conn.execute(f"INSERT INTO main.{table} SELECT * FROM src.{table}")
        for table in VERSIONED:
            names = [c for c, _kind in _columns(snap, table)]
            stored = {r[0] for r in conn.execute(
                f"SELECT DISTINCT j.key FROM src.history, json_each(row) j WHERE {_live(table)}",
                {"m": moment})}
            cols = [c for c in names if c in stored]
            if not cols:
                continue
            extract = ", ".join(f"json_extract(row, '$.\"{c}\"')" for c in cols)
            quoted = ", ".join(f'"{c}"' for c in cols)
            conn.execute(f"INSERT INTO main.{table} ({quoted}) SELECT {extract} FROM "
                         f"src.history WHERE {_live(table)} ORDER BY id", {"m": moment})
        conn.execute("INSERT INTO places_rtree SELECT id, lon, lon, lat, lat FROM places")
        conn.execute("COMMIT")
        conn.execute("DETACH DATABASE src")
    except sqlite3.Error:
        snap.conn.close()
        tmp.unlink(missing_ok=True)
        raise
    snap.conn.execute("PRAGMA journal_mode=DELETE")
    snap.conn.close()
    for suffix in ("-wal", "-shm"):
        Path(f"{tmp}{suffix}").unlink(missing_ok=True)
    os.replace(tmp, path)
