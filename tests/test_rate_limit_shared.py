"""Rate limits hold across gunicorn workers and worker restarts: the counters live in the
database every worker opens, not in one process's memory."""

from __future__ import annotations

import time

from test_web_editing import API_PLACE, _auth, login, setup  # noqa: F401

from buurtkaart import create_app, store

LIMITS = {"login": (3, 60), "write": (4, 60)}


def _worker(db_path):
    """One gunicorn worker: its own app (and memory) on the shared database file."""
    app = create_app({"DATABASE": str(db_path), "TESTING": True, "RATE_LIMITS": dict(LIMITS)})
    return app.test_client()


def test_two_workers_share_the_login_limit(db_path, setup):
    one, two = _worker(db_path), _worker(db_path)
    codes = [login(c, "admin@stad.be", "wrong wrong wrong").status_code
             for c in (one, two, one, two, one)]
    assert codes == [401, 401, 401, 429, 429]
    assert login(two, "admin@stad.be").status_code == 429  # even the right password waits
    assert "too many login requests" in login(two, "x@y.be", "p").get_data(as_text=True)


def test_a_recycled_worker_remembers_the_count(db_path, setup):
    first = _worker(db_path)
    assert [login(first, "admin@stad.be", "wrong").status_code for _ in range(3)] == [401] * 3
    del first  # the worker recycles (gunicorn max_requests); a new one starts
    assert login(_worker(db_path), "admin@stad.be").status_code == 429


def test_two_workers_share_the_write_limit(db_path, setup):
    one, two = _worker(db_path), _worker(db_path)
    h = _auth(setup, "noord@buurtwerk.be")
    codes = [c.post("/api/places", headers=h, json={**API_PLACE, "name": f"Plek {i}"}).status_code
             for i, c in enumerate((one, two, one, two, one, two))]
    assert codes == [201, 201, 201, 201, 429, 429]
    assert len(one.get("/api/places").get_json()["features"]) == 4
    # reading the audit log with a token is not a write and is not limited
    assert two.get("/api/changes", headers=h).status_code == 200


def test_old_counters_are_pruned(db_path, setup):
    db = store.connect(db_path)
    old = time.time() - 2 * 3600
    db.conn.executemany("INSERT INTO rate_hits (bucket, client, at) VALUES ('login', ?, ?)",
                        [(f"10.0.{i // 250}.{i % 250}", old) for i in range(1000)])
    db.conn.close()
    login(_worker(db_path), "admin@stad.be", "wrong")
    db = store.connect(db_path)
    assert db.execute("SELECT count(*) FROM rate_hits").fetchone()[0] == 1
    db.conn.close()
