"""A server thread keeps its database connection between requests (web/db.py): what a
user sees must never be staler or more broken than with a new connection per request."""

from __future__ import annotations

import sqlite3

import pytest

from conftest import FIXED_NOW
from test_api import build_directory

from buurtkaart import create_app, store
from buurtkaart.records import validate_place
from buurtkaart.web.db import get_db


def _names(client) -> list[str]:
    return sorted(f["properties"]["name"] for f in client.get("/api/places").get_json()["features"])


def _app(path, **extra):
    app = create_app({"DATABASE": str(path), "TESTING": True, "NOW": FIXED_NOW, **extra})
    return app, app.test_client()


def _add_place(path, name: str) -> None:
    db = store.connect(path)
    place, _ = validate_place({"name": name, "kind": "library", "lon": 4.40, "lat": 51.22})
    store.save_directory(db, places=[place])
    db.conn.close()


def test_the_next_page_shows_what_another_process_just_wrote(db_path):
    db = store.connect(db_path)
    build_directory(db)
    db.conn.close()
    _app_, client = _app(db_path)
    before = _names(client)
    _add_place(db_path, "Nieuwe inloop")  # as the CLI or another worker would
    assert _names(client) == sorted([*before, "Nieuwe inloop"])


def test_a_backup_restored_while_the_server_runs_shows_on_the_next_page(tmp_path):
    live, saved = tmp_path / "live.db", tmp_path / "saved.db"
    _add_place(live, "Enige plek van toen")
    db = store.connect(live)
    store.backup(db, saved)
    build_directory(db)
    db.conn.close()
    _app_, client = _app(live)
    assert "Bibliotheek" in " ".join(_names(client))  # the page's connection is kept open
    db = store.connect(live)  # as `buurtkaart restore saved.db` does in another process
    store.restore(saved, db)
    db.conn.close()
    assert _names(client) == ["Enige plek van toen"]


def test_a_request_that_failed_inside_a_transaction_leaves_nothing_behind(db_path):
    db = store.connect(db_path)
    build_directory(db)
    db.conn.close()
    app, client = _app(db_path)

    def half_write():
        conn = get_db().conn
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("UPDATE places SET name = 'half written'")
        raise RuntimeError("the request fails half-way")

    app.add_url_rule("/half-write", "half_write", half_write)
    before = _names(client)
    with pytest.raises(RuntimeError):
        client.get("/half-write")
    other = sqlite3.connect(db_path, timeout=0.5)  # the write lock was given back at once
    other.execute("UPDATE places SET name = name")
    other.commit()
    other.close()
    assert _names(client) == before  # and the next request does not see the unfinished write


def test_without_reuse_every_request_gets_its_own_connection(db_path):
    store.connect(db_path).conn.close()
    app, _client = _app(db_path, REUSE_CONNECTIONS=False)
    seen = []
    for _ in range(2):
        with app.app_context():
            seen.append(id(get_db().conn))
            first = get_db().conn
        with pytest.raises(sqlite3.ProgrammingError):  # closed when the request ended
            first.execute("SELECT 1")
    app2, _ = _app(db_path)
    with app2.app_context():
        kept = get_db().conn
    with app2.app_context():
        assert get_db().conn is kept  # the default: the thread's connection is reused
