"""The Content-Security-Policy runs only the app's own scripts and inline scripts carrying this
response's nonce: an escaping bug that slips a <script> into a page would not run."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from test_api import build_directory

from buurtkaart import store


@pytest.fixture
def directory(db, client):
    build_directory(db)
    return store.places(db)


def _nonce(resp) -> str:
    csp = resp.headers["Content-Security-Policy"]
    [script_src] = [d.strip() for d in csp.split(";") if d.strip().startswith("script-src")]
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    [nonce] = re.findall(r"'nonce-([A-Za-z0-9_\-+/=]+)'", script_src)
    assert len(nonce) >= 16
    return nonce


def _inline_scripts(text: str) -> list[str]:
    """The opening tags of the scripts that have no src (inline ones)."""
    return [t for t in re.findall(r"<script\b[^>]*>", text) if "src=" not in t]


class _Handlers(HTMLParser):
    """Every inline event handler attribute (onclick=, onerror=...) of a page."""

    def __init__(self, text: str):
        super().__init__()
        self.found: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.found += [f"<{tag} {name}=...>" for name, _ in attrs if name.startswith("on")]


def test_script_src_has_a_fresh_nonce_and_no_unsafe_inline(client, directory):
    nonces = {_nonce(client.get(url)) for url in ("/", "/places", "/", "/api/docs", "/login")}
    assert len(nonces) == 5  # a new one for every response


def test_answers_that_are_no_page_allow_no_inline_script(client, directory):
    """A JSON answer runs no script: its policy allows the app's files only, no nonce (so a
    kept answer replayed to the next client carries no nonce of another response)."""
    for url in ("/api/places", "/api/places", "/api/neighbourhoods"):
        csp = client.get(url).headers["Content-Security-Policy"]
        assert [d.strip() for d in csp.split(";") if "script-src" in d] == ["script-src 'self'"]


@pytest.mark.parametrize("url", ["/kaart/frame", "/kaart/frame?indicator=population",
                                 "/places/{id}/kaart"])
def test_every_inline_script_of_a_map_carries_the_nonce(client, directory, url):
    url = url.format(id=directory[0]["id"])
    for _ in range(2):  # the second answer comes from the frame cache: a new nonce all the same
        resp = client.get(url)
        nonce = _nonce(resp)
        scripts = _inline_scripts(resp.get_data(as_text=True))
        assert len(scripts) >= 2  # folium's header script and the map itself
        assert all(f'nonce="{nonce}"' in tag for tag in scripts), scripts


@pytest.mark.parametrize("url", ["/", "/places", "/activities", "/kaart", "/neighbourhoods",
                                 "/login", "/api/docs", "/places/{id}"])
def test_pages_have_no_inline_event_handlers_and_nonced_scripts(client, directory, url):
    resp = client.get(url.format(id=directory[0]["id"]))
    text = resp.get_data(as_text=True)
    assert _Handlers(text).found == []  # inline handlers would need 'unsafe-inline'
    nonce = _nonce(resp)
    assert all(f'nonce="{nonce}"' in tag for tag in _inline_scripts(text))
