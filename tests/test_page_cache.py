"""Kept public pages (web/page_cache.py): an anonymous page asked again is the page the app
would render, with its own fresh nonce; never after the data or the clock changed, and never
for someone signed in."""

from __future__ import annotations

import gzip

import pytest
from test_api import build_directory
from test_csp import _inline_scripts, _nonce
from test_web_editing import login, setup  # noqa: F401 (fixture)

from buurtkaart import store


@pytest.fixture
def directory(db, client):
    build_directory(db)
    return store.places(db)


def _without_nonce(resp) -> bytes:
    return resp.data.replace(_nonce(resp).encode(), b"NONCE")


@pytest.mark.parametrize("url", ["/places", "/places?free=true", "/", "/kaart",
                                 "/neighbourhoods", "/activities"])
def test_a_page_asked_again_is_the_same_page_with_its_own_nonce(client, directory, url):
    first, again, third = (client.get(url) for _ in range(3))
    assert first.status_code == again.status_code == third.status_code == 200
    assert _without_nonce(first) == _without_nonce(again) == _without_nonce(third)
    assert len({_nonce(r) for r in (first, again, third)}) == 3
    for resp in (again, third):  # every inline script runs under this response's policy
        assert all(f'nonce="{_nonce(resp)}"' in tag for tag in _inline_scripts(
            resp.get_data(as_text=True)))
    assert {k: v for k, v in first.headers.items() if k != "Content-Security-Policy"} == \
        {k: v for k, v in again.headers.items() if k != "Content-Security-Policy"}


@pytest.mark.parametrize("url", ["/places", "/kaart/frame"])
def test_a_kept_page_is_compressed_and_revalidated_like_any_page(client, directory, url):
    """Sent compressed, a kept page is compressed in parts with the response's own nonce
    joined in: it unpacks (CRC and length checked) to the same page."""
    plain = client.get(url)
    zipped = [client.get(url, headers={"Accept-Encoding": "gzip"}) for _ in range(2)]
    for resp in zipped:
        assert resp.headers["Content-Encoding"] == "gzip"
        assert resp.headers["ETag"] == plain.headers["ETag"][:-1] + '-gz"'
        page = gzip.decompress(resp.data)
        assert page.count(_nonce(resp).encode()) >= 1
        assert page.replace(_nonce(resp).encode(), b"N") == \
            plain.data.replace(_nonce(plain).encode(), b"N")
    again = client.get(url, headers={"Accept-Encoding": "gzip",
                                     "If-None-Match": zipped[1].headers["ETag"]})
    assert again.status_code == 304 and again.data == b""


def test_the_next_page_after_an_edit_shows_the_edit(client, directory, db):
    assert b"Inloop Centrum" in client.get("/places").data
    client.get("/places")
    with db.conn:
        db.conn.execute("UPDATE places SET name = 'Renamed place' WHERE name = 'Inloop Centrum'")
    page = client.get("/places").data
    assert b"Renamed place" in page and b"Inloop Centrum" not in page


def test_the_page_follows_the_clock(app, client, directory):
    url = "/places?when=now"
    app.config["NOW"] = "2026-12-01T10:00:00+01:00"  # Tuesday morning
    morning = client.get(url).get_data(as_text=True)
    client.get(url)
    app.config["NOW"] = "2026-12-01T23:30:00+01:00"  # Tuesday night
    night = client.get(url).get_data(as_text=True)
    assert "Inloop Centrum" in morning and "Inloop Centrum" not in night


def test_someone_signed_in_never_gets_the_anonymous_page_nor_leaves_theirs(
        app, client, directory, setup):  # noqa: F811
    anonymous = client.get("/places")
    assert b"Log in" in anonymous.data
    client.get("/places")
    login(client, "admin@stad.be")
    signed_in = client.get("/places")
    assert b"Editing" in signed_in.data and b">Log in<" not in signed_in.data
    other = app.test_client()
    other.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    for _ in range(2):
        page = other.get("/places")
        assert b">Log in<" in page.data and b">Editing<" not in page.data


def test_a_language_chosen_in_the_address_is_remembered_by_every_visitor(app, directory):
    for _ in range(3):
        visitor = app.test_client()
        page = visitor.get("/places?lang=nl")
        assert b"<html lang=\"nl\"" in page.data
        assert "lang=nl" in page.headers.get("Set-Cookie", "")


def test_a_page_asked_again_is_not_rendered_again(app, client, directory, monkeypatch):
    calls = []
    view = app.view_functions["pages.place_list"]
    monkeypatch.setitem(app.view_functions, "pages.place_list",
                        lambda *a, **k: calls.append(1) or view(*a, **k))
    pages = [client.get("/places?walk_in=true") for _ in range(3)]
    assert len(calls) == 1 and _without_nonce(pages[0]) == _without_nonce(pages[2])
    app.config["RESPONSE_CACHE"] = False
    client.get("/places?walk_in=true")
    assert len(calls) == 2
