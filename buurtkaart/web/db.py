"""The database connection of one request (``get_db()`` on ``g``).

Opening a connection costs more than most requests: SQLite parses the whole schema (the
tables, indexes and history triggers) on a connection's first statement, and
:func:`buurtkaart.store.connect` checks the migrations. So each server thread keeps its
connection between requests and hands it to the next request of that thread, unless it
was left inside a transaction (a request that failed half-way), or the app was created
with ``REUSE_CONNECTIONS = False``. A kept connection sees every write committed since:
each statement outside a transaction reads the latest committed state (WAL mode), and
``buurtkaart restore`` writes into the live file, so the next request shows the restored
data. Never move or copy another file over the database while the service runs (SQLite:
"How To Corrupt An SQLite Database File", 2.4): use ``buurtkaart restore``.
"""

from __future__ import annotations

import os
import threading

from flask import Flask, current_app, g

from .. import store
from ..when import reference_now

_held = threading.local()  # .conns: {(pid, path): db}, oldest first; never across a fork
KEPT_PER_THREAD = 4


def _kept(database, *, take: bool):
    """This thread's connection to ``database``: the kept one (handed over with ``take``),
    or a new one when there is none or it was left inside a transaction."""
    path = (os.getpid(), os.fspath(database))
    conns = _held.__dict__.setdefault("conns", {})
    db = conns.pop(path, None) if take else conns.get(path)
    if db is not None and db.conn.in_transaction:
        conns.pop(path, None)
        db.conn.close()
        db = None
    if db is None:
        db = store.connect(path[1])
        if not take:
            conns[path] = db
    return db, path


def get_db():
    if "db" not in g:
        g.db, g.db_path = _kept(current_app.config["DATABASE"], take=True)
    return g.db


def thread_data_version(database) -> str:
    """The ``data_version`` read through this thread's connection to ``database`` (opened
    and kept for the thread's next request when it has none yet): for
    :mod:`.response_cache`, which answers before a request has a connection of its own."""
    return store.data_version(_kept(database, take=False)[0])


def now():
    """The current moment in the directory's time zone. The app's ``NOW`` setting
    (an ISO datetime with offset) fixes it, so tests never depend on the wall clock."""
    return reference_now(get_db(), current_app.config.get("NOW"))


def close_db(_exc: BaseException | None = None) -> None:
    db = g.pop("db", None)
    path = g.pop("db_path", None)
    if db is None:
        return
    if (db.conn.in_transaction or not current_app.config.get("REUSE_CONNECTIONS", True)):
        db.conn.close()
        return
    conns = _held.__dict__.setdefault("conns", {})
    old = conns.pop(path, None)
    if old is not None and old is not db:
        old.conn.close()
    conns[path] = db
    while len(conns) > KEPT_PER_THREAD:  # several apps in one process (tests, tools)
        conns.pop(next(iter(conns))).conn.close()


def init_app(app: Flask) -> None:
    app.teardown_appcontext(close_db)
