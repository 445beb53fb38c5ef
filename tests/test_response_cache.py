"""Kept answers of the read API (web/response_cache.py): a repeated anonymous question is
answered from memory, exactly as the app answered it, and never after the data, the clock,
the host or the person asking changed."""

from __future__ import annotations

import gzip
import threading
import time
import json

import pytest
from test_api import build_directory

from buurtkaart import store


@pytest.fixture
def directory(db, client):
    build_directory(db)
    return store.places(db)


def _same(a, b) -> None:
    assert (a.status_code, a.data) == (b.status_code, b.data)
    assert dict(a.headers) == dict(b.headers)


def test_a_repeated_question_gets_the_same_answer_plain_and_gzipped(client, directory):
    url = "/api/places?free=true"
    first, again = client.get(url), client.get(url)
    _same(first, again)
    assert first.headers["ETag"] and "Content-Encoding" not in again.headers
    zipped = client.get(url, headers={"Accept-Encoding": "gzip"})
    zipped_again = client.get(url, headers={"Accept-Encoding": "gzip"})
    _same(zipped, zipped_again)
    assert zipped_again.headers["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(zipped_again.data)) == again.get_json()
    # a client that takes no gzip, after one that did, still gets plain JSON
    plain = client.get(url)
    _same(plain, first)
    assert plain.get_json()["features"], "the question has answers"


def test_the_next_answer_after_an_edit_shows_the_edit(client, directory, db):
    url = "/api/places?free=true"
    before = client.get(url).get_json()
    uid = before["features"][0]["properties"]["uid"]
    client.get(url)  # now kept
    with db.conn:
        db.conn.execute("UPDATE places SET name = 'Renamed place' WHERE uid = ?", [uid])
    after = client.get(url).get_json()
    names = {f["properties"]["uid"]: f["properties"]["name"] for f in after["features"]}
    assert names[uid] == "Renamed place"


def test_the_answer_follows_the_clock(app, client, directory):
    """"Open now" is another answer a minute later: a kept answer is not replayed then."""
    url = "/api/places?when=now"
    app.config["NOW"] = "2026-12-01T10:00:00+01:00"  # Tuesday morning
    morning = {f["properties"]["uid"] for f in client.get(url).get_json()["features"]}
    client.get(url)
    app.config["NOW"] = "2026-12-01T23:30:00+01:00"  # Tuesday night
    night = {f["properties"]["uid"] for f in client.get(url).get_json()["features"]}
    assert morning and morning != night


def test_an_answer_for_one_host_is_not_replayed_for_another(client, directory):
    first = client.get("/api/hsds/", base_url="http://one.example")
    assert first.get_json()["openapi_url"].startswith("http://one.example/")
    client.get("/api/hsds/", base_url="http://one.example")
    other = client.get("/api/hsds/", base_url="http://two.example")
    assert other.get_json()["openapi_url"].startswith("http://two.example/")
    https = client.get("/api/hsds/", base_url="https://one.example")
    assert https.get_json()["openapi_url"].startswith("https://one.example/")


def test_a_repeated_question_is_not_worked_out_again(app, client, directory, monkeypatch):
    calls = []
    view = app.view_functions["api.places"]
    monkeypatch.setitem(app.view_functions, "api.places",
                        lambda *a, **k: calls.append(1) or view(*a, **k))
    url = "/api/places?walk_in=true"
    answers = [client.get(url) for _ in range(3)]
    assert len(calls) == 1 and answers[0].data == answers[2].data
    # a request that signs in (a cookie other than the language) is always worked out
    client.set_cookie("session", "x")
    client.get(url)
    assert len(calls) == 2
    client.delete_cookie("session")
    # the language choice is no sign-in: the answer for that cookie is kept too
    client.set_cookie("lang", "nl")
    client.get(url), client.get(url)
    assert len(calls) == 3
    # an error is never kept
    for _ in range(2):
        assert client.get("/api/places?free=maybe").status_code == 400
    assert len(calls) == 5
    # a question with a token goes to the app each time
    for _ in range(2):
        assert client.get(url, headers={"Authorization": "Bearer x"}).data == answers[0].data
    assert len(calls) == 7


def _at_once(app, url: str, n: int) -> list:
    """``n`` clients asking ``url`` at the same moment, each from its own thread."""
    start, answers = threading.Barrier(n), [None] * n

    def ask(i):
        c = app.test_client()
        start.wait()
        answers[i] = c.get(url)

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return answers


def _slow_counting_view(app, monkeypatch, name: str) -> list:
    calls = []
    view = app.view_functions[name]

    def slow(*a, **k):
        calls.append(1)
        time.sleep(0.3)  # long enough for every other client to ask meanwhile
        return view(*a, **k)

    monkeypatch.setitem(app.view_functions, name, slow)
    return calls


def test_many_clients_asking_a_new_question_at_once_wait_for_one_answer(app, directory,
                                                                        monkeypatch):
    calls = _slow_counting_view(app, monkeypatch, "api.places")
    answers = _at_once(app, "/api/places?kind=drop_in_centre", 8)
    assert {a.status_code for a in answers} == {200}
    assert len({a.data for a in answers}) == 1 and answers[0].get_json()["features"]
    assert len(calls) == 1


def test_clients_asking_at_once_a_question_that_is_not_kept_each_get_their_answer(
        app, directory, monkeypatch):
    calls = _slow_counting_view(app, monkeypatch, "api.places")
    answers = _at_once(app, "/api/places?free=maybe", 6)
    assert [a.status_code for a in answers] == [400] * 6
    assert all(a.get_json()["parameter"] == "free" for a in answers)
    assert len(calls) == 6


def test_kept_answers_follow_new_addresses_and_timetables(client, directory, db):
    """Tables outside the directory change the data version too (migration m007)."""
    from buurtkaart import search

    url = "/api/search?q=Zonnebloemstraat+4"
    assert client.get(url).get_json()["location"] is None
    client.get(url)
    search.replace_addresses(db, [{"street": "Zonnebloemstraat", "housenumber": "4",
                                   "postcode": "9000", "city": "Gent", "lon": 3.721,
                                   "lat": 51.031, "source": "test"}])
    assert client.get(url).get_json()["location"]["label"] == "Zonnebloemstraat 4"
    for table in ("transit_feeds",):
        before = store.data_version(db)
        columns = [c[1] for c in db.execute(f"PRAGMA table_info({table})").fetchall()
                   if c[3] and c[5] == 0]  # NOT NULL, not the key
        with db.conn:
            db.conn.execute(f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
                            f"({', '.join('?' for _ in columns)})", ["x"] * len(columns))
        assert store.data_version(db) != before, table
