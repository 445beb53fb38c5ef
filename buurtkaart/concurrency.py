"""Writers that take turns: bounded waits for the write lock, and one import at a time.

SQLite lets one connection write at a time. Every write transaction here
starts with ``BEGIN IMMEDIATE`` (:func:`writing`), so it asks for the write
lock first and waits for it at most the busy timeout
(``$BUURTKAART_BUSY_TIMEOUT`` seconds, default 5) instead of failing half-way
when a read turns into a write. When the wait runs out it raises
:class:`DatabaseBusy`, which the web layer answers with 503 and
``Retry-After``.

Imports take an exclusive lock file next to the database
(:func:`import_lock`; ``fcntl.flock``, released by the kernel even when the
process is killed) holding who runs which import since when, so a second
import waits a bounded time and is then refused naming the first one
(:class:`ImportRunning`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import socket
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

from .errors import BuurtkaartError
from .i18n import N_, Msg

__all__ = ["DatabaseBusy", "ImportRunning", "busy_timeout", "database_path", "is_busy_error",
           "writing", "import_lock", "running_import", "DEFAULT_BUSY_TIMEOUT"]

DEFAULT_BUSY_TIMEOUT = 5.0


class DatabaseBusy(BuurtkaartError):
    """Another writer (usually an import) held the database longer than the busy timeout."""

    def __init__(self, message: str, retry_after: int):
        self.retry_after = retry_after
        super().__init__(message)


class ImportRunning(BuurtkaartError):
    """Another import holds the import lock; nothing was written."""

    def __init__(self, holder: dict | None):
        self.holder = holder or {}
        super().__init__(Msg("another import is running: %(holder)s; nothing was imported, "
                             "try again when it has finished", holder=describe(self.holder)))


def busy_timeout() -> float:
    """Seconds a write waits for the write lock (``$BUURTKAART_BUSY_TIMEOUT``, default 5)."""
    raw = os.environ.get("BUURTKAART_BUSY_TIMEOUT", "")
    try:
        value = float(raw) if raw.strip() else DEFAULT_BUSY_TIMEOUT
    except ValueError:
        value = DEFAULT_BUSY_TIMEOUT
    return max(0.0, min(value, 600.0))


def is_busy_error(exc: BaseException) -> bool:
    """True for SQLite's "database is locked" / "database is busy" errors."""
    return isinstance(exc, sqlite3.OperationalError) and (
        "locked" in str(exc) or "busy" in str(exc))


def database_path(db) -> Path | None:
    """The file behind a connection (``None`` for an in-memory database)."""
    row = db.conn.execute("PRAGMA database_list").fetchone()
    return Path(row[2]) if row and row[2] else None


def _busy(db) -> DatabaseBusy:
    holder = running_import(database_path(db))
    why = (Msg("an import is running (%(holder)s)", holder=describe(holder)) if holder
           else Msg("another change is being saved"))
    retry = 30 if holder else 5
    return DatabaseBusy(Msg("The database is busy: %(why)s. Nothing was saved; please try "
                            "again in %(seconds)s seconds.", why=why, seconds=retry), retry)


@contextlib.contextmanager
def writing(db) -> Iterator:
    """One write transaction that takes the write lock first (``BEGIN IMMEDIATE``).

    Nested inside another transaction it is a savepoint. Raises
    :class:`DatabaseBusy` when the lock is not free within the busy timeout;
    any exception rolls everything back.
    """
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    try:
        db.conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        if is_busy_error(exc):
            raise _busy(db) from None
        raise
    try:
        yield db
    except BaseException:
        if db.conn.in_transaction:
            db.conn.execute("ROLLBACK")
        raise
    try:
        db.conn.execute("COMMIT")
    except sqlite3.OperationalError as exc:
        if db.conn.in_transaction:
            db.conn.execute("ROLLBACK")
        if is_busy_error(exc):
            raise _busy(db) from None
        raise


def try_write(db, sql: str, params: list) -> bool:
    """Run one small write if the write lock is free right now; never wait, never fail.

    For bookkeeping a read may do (a token's last use): a busy database skips it.
    """
    conn = db.conn
    if conn.in_transaction:
        return False
    timeout = conn.execute("PRAGMA busy_timeout").fetchone()[0]
    conn.execute("PRAGMA busy_timeout = 0")
    try:
        conn.execute(sql, params)
        return True
    except sqlite3.OperationalError as exc:
        if is_busy_error(exc):
            return False
        raise
    finally:
        conn.execute(f"PRAGMA busy_timeout = {int(timeout)}")


# --------------------------------------------------------------------------- import lock
def _lock_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".import-lock")


def command_line_user() -> str:
    """How a lock record names someone importing from the command line."""
    import getpass

    return f"{getpass.getuser()} (command line)"


def describe(holder: dict) -> str:
    """``places from aanbod.csv, started 2026-12-01T10:00:00+00:00 by a@b.be (pid 12 on host)``."""
    if not holder:
        return Msg("an import (no details recorded)")
    kind = holder.get("kind", "import")
    who = holder.get("user") or Msg("the command line")
    return Msg("%(kind)s from %(file)s, started %(started)s by %(who)s (pid %(pid)s on "
               "%(host)s)", kind=Msg(kind) if kind in IMPORT_KIND_NAMES
               else kind, file=holder.get("file", "?"), started=holder.get("started_at", "?"),
               who=who, pid=holder.get("pid", "?"), host=holder.get("host", "?"))


#: The kinds of import the lock records (as the command line says them), marked so that
#: a page says them in its language.
IMPORT_KIND_NAMES = {N_("import"), N_("csv import"), N_("geojson import"), N_("hsds import"),
                     N_("osm import"), N_("indicators import"), N_("neighbourhoods import"),
                     N_("municipalities import"), N_("places import")}


def running_import(db_path: Path | None) -> dict | None:
    """Who holds the import lock of the database at ``db_path`` now, or ``None``.

    Reads the lock file without locking it (so asking never gets in an
    import's way); a record left by a killed process on this host is ignored.
    """
    if db_path is None:
        return None
    holder = _read_holder(_lock_path(db_path))
    if not holder:
        return None
    if holder.get("host") == socket.gethostname():
        try:
            os.kill(int(holder.get("pid", 0)), 0)
        except (ProcessLookupError, ValueError):
            return None
        except PermissionError:
            pass
    return holder


def _read_holder(path: Path) -> dict | None:
    try:
        text = path.read_text(encoding="utf-8")
        return json.loads(text) if text.strip() else None
    except (OSError, ValueError):
        return None


@contextlib.contextmanager
def import_lock(db, *, kind: str, file: str, user: str | None = None,
                wait: float = 0.0) -> Iterator[dict]:
    """Hold the database's import lock while the block runs.

    Waits up to ``wait`` seconds for another import to finish, then raises
    :class:`ImportRunning` naming it. Yields the holder record written to
    the lock file (kind, file, user, pid, host, started_at).
    """
    db_path = database_path(db)
    if db_path is None:  # an in-memory database has one connection: nothing to share
        yield {}
        return
    path = _lock_path(db_path)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + max(0.0, wait)
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise ImportRunning(_read_holder(path)) from None
                time.sleep(0.2)
        holder = {"kind": kind, "file": file, "user": user, "pid": os.getpid(),
                  "host": socket.gethostname(),
                  "started_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(holder).encode(), 0)
        try:
            yield holder
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
