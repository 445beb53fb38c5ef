"""The database connection of one request (``get_db()`` on ``g``)."""

from __future__ import annotations

from flask import Flask, current_app, g

from .. import store
from ..when import reference_now


def get_db():
    if "db" not in g:
        g.db = store.connect(current_app.config["DATABASE"])
    return g.db


def now():
    """The current moment in the directory's time zone. The app's ``NOW`` setting
    (an ISO datetime with offset) fixes it, so tests never depend on the wall clock."""
    return reference_now(get_db(), current_app.config.get("NOW"))


def close_db(_exc: BaseException | None = None) -> None:
    db = g.pop("db", None)
    if db is not None:
        db.conn.close()


def init_app(app: Flask) -> None:
    app.teardown_appcontext(close_db)
