"""Writes while another writer holds the database: a bounded wait, then 503 with Retry-After.

Another connection to the same on-disk database takes the write lock (as a
long import does); every web write then answers 503 with ``Retry-After`` and
a readable message, a read with a token still answers 200, and once the lock
is free the same writes are applied.
"""

from __future__ import annotations

import sqlite3

import pytest
from test_web_editing import PLACE_FORM, _auth, _csrf, login, setup  # noqa: F401


@pytest.fixture
def short_wait(monkeypatch):
    monkeypatch.setenv("BUURTKAART_BUSY_TIMEOUT", "0.2")


@pytest.fixture
def place_uid(client, setup):
    resp = client.post("/api/places", json={"name": "Buurthuis De Kring", "kind": "community_house",
                                            "lon": 3.725, "lat": 51.054},
                       headers=_auth(setup, "admin@stad.be"))
    assert resp.status_code == 201
    return resp.get_json()["record"]["uid"]


@pytest.fixture
def hold(db_path, db):
    """Take the write lock from another connection (as a long import does), on demand."""
    other = sqlite3.connect(db_path, isolation_level=None)

    def take():
        other.execute("BEGIN IMMEDIATE")
        other.execute("UPDATE settings SET value = value")  # a real write in progress
        return other

    yield take
    if other.in_transaction:
        other.execute("ROLLBACK")
    other.close()


@pytest.fixture
def held_lock(hold):
    return hold()


def _release(lock):
    lock.execute("ROLLBACK")


def test_api_writes_answer_503_with_retry_after_while_the_database_is_held(
        client, setup, place_uid, short_wait, held_lock):
    headers = _auth(setup, "admin@stad.be")
    resp = client.patch(f"/api/places/by-uid/{place_uid}", json={"phone": "09 123 45 67"},
                        headers=headers)
    assert resp.status_code == 503
    assert int(resp.headers["Retry-After"]) > 0
    body = resp.get_json()
    assert body["ok"] is False and body["status"] == 503
    assert "busy" in body["error"] and "try again" in body["error"]
    assert client.post(f"/api/places/by-uid/{place_uid}/verify",
                       headers=headers).status_code == 503
    # a read with a token is still answered (its last-use stamp is bookkeeping only)
    changes = client.get("/api/changes", headers=headers)
    assert changes.status_code == 200 and changes.get_json()["ok"] is True
    _release(held_lock)
    resp = client.patch(f"/api/places/by-uid/{place_uid}", json={"phone": "09 123 45 67"},
                        headers=headers)
    assert resp.status_code == 200
    assert client.get(f"/api/places/by-uid/{place_uid}").get_json()["record"]["phone"] \
        == "09 123 45 67"


def test_page_writes_answer_a_readable_503_page_while_the_database_is_held(
        client, setup, place_uid, short_wait, hold):
    login(client, "admin@stad.be")  # before: a login counts itself in the database
    token = _csrf(client)
    held_lock = hold()
    resp = client.post(f"/admin/places/{place_uid}/verify", data={"csrf_token": token})
    assert resp.status_code == 503 and resp.headers["Retry-After"]
    assert b"busy" in resp.data and b"<html" in resp.data.lower()
    resp = client.post(f"/admin/places/{place_uid}",
                       data={**PLACE_FORM, "phone": "09 765 43 21", "csrf_token": token})
    assert resp.status_code == 503 and resp.headers["Retry-After"]
    change = client.get("/api/changes", headers=_auth(setup, "admin@stad.be")).get_json()
    resp = client.post(f"/admin/history/{change['changes'][0]['id']}/undo",
                       data={"csrf_token": token})
    assert resp.status_code == 503 and resp.headers["Retry-After"]
    _release(held_lock)
    resp = client.post(f"/admin/places/{place_uid}",
                       data={**PLACE_FORM, "phone": "09 765 43 21", "csrf_token": token})
    assert resp.status_code == 302
    assert client.get(f"/api/places/by-uid/{place_uid}").get_json()["record"]["phone"] \
        == "09 765 43 21"


def test_a_token_read_never_writes_when_the_database_is_busy(
        app, client, setup, short_wait, held_lock, db_path):
    resp = client.get("/api/changes", headers=_auth(setup, "noord@buurtwerk.be"))
    assert resp.status_code == 200
    _release(held_lock)
    # with the database free, the read notes the token's last use
    resp = client.get("/api/changes", headers=_auth(setup, "noord@buurtwerk.be"))
    assert resp.status_code == 200
    conn = sqlite3.connect(db_path)
    used = conn.execute("SELECT count(*) FROM api_tokens WHERE last_used_at IS NOT NULL")
    assert used.fetchone()[0] >= 1
    conn.close()


def test_a_cli_import_waits_the_busy_timeout_then_says_the_database_is_busy(
        runner, db, tmp_path, short_wait, held_lock):
    from buurtkaart.cli import main

    f = tmp_path / "aanbod.csv"
    f.write_text("place_uid,place_name,kind,lon,lat\np1,De Kring,community_house,3.72,51.05\n",
                 encoding="utf-8")
    result = runner.invoke(main, ["import", "places", str(f)])
    assert result.exit_code == 1
    assert "busy" in result.output and "Traceback" not in result.output
    _release(held_lock)
    result = runner.invoke(main, ["import", "places", str(f)])
    assert result.exit_code == 0, result.output
