"""Pages forgive what browsers and platforms add; the JSON API stays strict."""

from __future__ import annotations

import re
from html import unescape

import pytest
from test_api import build_directory

TRACKING = "fbclid=IwAR0abc&utm_source=facebook&utm_medium=social&gclid=xyz&ref=share&zz=1"


@pytest.fixture
def directory(db):
    return build_directory(db)


def _visible(resp) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", resp.get_data(as_text=True))))


def test_tracking_and_unknown_parameters_are_ignored_on_pages(client, directory):
    pid = client.get("/api/places").get_json()["features"][0]["id"]
    aid = client.get("/api/activities").get_json()["features"][0]["id"]
    for path in ("/", "/places", "/places?free=true", f"/places/{pid}", f"/places/{pid}/kaart",
                 "/activities", f"/activities/{aid}", "/kaart", "/kaart/frame",
                 "/neighbourhoods", "/neighbourhoods/4402101", "/outreach", "/login"):
        sep = "&" if "?" in path else "?"
        resp = client.get(f"{path}{sep}{TRACKING}")
        assert resp.status_code == 200, path
    # the filter still applies, the tracking does not change the result
    shared = _visible(client.get(f"/places?free=true&{TRACKING}"))
    assert "1 place that is: free" in shared and "Inloop Centrum" in shared


def test_the_map_frame_url_leaves_tracking_out(client, directory):
    body = client.get(f"/kaart?model=peer&{TRACKING}").get_data(as_text=True)
    frame = unescape(re.search(r'id="map-frame"[^>]*src="([^"]+)"', body).group(1))
    assert "model=peer" in frame and "fbclid" not in frame and "utm_" not in frame


def test_the_api_stays_strict(client, directory):
    resp = client.get("/api/places?fbclid=abc")
    assert resp.status_code == 400
    assert resp.get_json() | {"error": None} == {"ok": False, "error": None, "status": 400,
                                                  "parameter": "fbclid"}


@pytest.mark.parametrize("url, dutch, english", [
    ("/places?page=abc", "“abc” is geen paginanummer", "“abc” is not a page number"),
    ("/places?free=maybe", "“maybe” is geen keuze voor “gratis”",
     "“maybe” is not a choice for “free”"),
    ("/places?day=xx", "We kennen de dag “xx” niet", "We do not know the day “xx”"),
    ("/activities?from=late", "“late” is geen uur", "“late” is not a time"),
    ("/kaart?minutes=lots", "“lots” is geen aantal minuten", "“lots” is not a number of minutes"),
])
def test_invalid_values_give_a_friendly_page_in_the_users_language(app, directory, url, dutch,
                                                                    english):
    client = app.test_client()
    nl = client.get(url)
    assert nl.status_code == 400 and nl.mimetype == "text/html"
    text = _visible(nl)
    assert dutch in text and "Kijk je zoekopdracht even na" in text
    assert 'class="brand"' in nl.get_data(as_text=True)  # the site layout, with navigation
    en = client.get(url, headers={"Accept-Language": "en"})
    assert en.status_code == 400 and english in _visible(en)


def test_the_form_comes_back_with_what_was_typed(client, directory):
    resp = client.get("/places?q=koffie&day=xx&walk_in=true&language=fr&fbclid=1")
    body = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert re.search(r'name="q" value="koffie"', body)
    assert re.search(r'name="language" [^>]*value="fr"', body)
    assert re.search(r'name="walk_in" value="true"\s+checked', body)
    assert 'action="/places"' in body  # sends the search again to the same page
    bad = client.get("/places?language=french!")
    assert bad.status_code == 400 and 'value="french!"' in bad.get_data(as_text=True)


def test_a_neighbourhood_page_with_a_bad_value_offers_a_way_back(client, directory):
    resp = client.get("/neighbourhoods/4402101?minutes=abc")
    assert resp.status_code == 400
    assert "“abc” is not a number of minutes" in _visible(resp)
    assert 'href="/neighbourhoods/4402101"' in resp.get_data(as_text=True)


def test_the_neighbourhood_search_comes_back_too(client, directory):
    resp = client.get("/neighbourhoods?municipality=Gent&q=noord")
    body = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert "We do not know the municipality “Gent”" in _visible(resp)
    assert 'name="municipality" value="Gent"' in body and 'name="q" value="noord"' in body
