"""The map frames as documents: a title and a language for screen readers, one heading, a
<main>, and a viewport that lets a person zoom (folium's own says ``user-scalable=no``)."""

from __future__ import annotations

import re
from html import unescape

import pytest
from test_api import build_directory


@pytest.fixture
def place_id(client, db):
    build_directory(db)
    return client.get("/api/places").get_json()["features"][0]["id"]


@pytest.mark.parametrize("lang, title", [("nl", "Kaart van ontmoetingsplekken en wijken"),
                                         ("en", "Map of meeting places and neighbourhoods")])
def test_the_map_frame_says_what_it_is_in_the_page_language(client, place_id, lang, title):
    html = client.get(f"/kaart/frame?lang={lang}").get_data(as_text=True)
    assert f'<html lang="{lang}">' in html
    assert f"<title>{title}</title>" in html
    assert re.findall(r"<h1[^>]*>([^<]*)</h1>", html) == [title]
    assert html.count("<main") == 1 and html.index("<main") < html.index('id="bk-legend"') \
        < html.index("</main>")


def test_a_place_frame_is_titled_by_the_place(client, place_id):
    name = client.get(f"/api/places/{place_id}").get_json()["properties"]["name"]
    page = client.get(f"/places/{place_id}?lang=en").get_data(as_text=True)
    frame = client.get(f"/places/{place_id}/kaart?lang=en").get_data(as_text=True)
    iframe_title = re.search(r'<iframe class="place-map[^>]*title="([^"]+)"', page).group(1)
    frame_title = re.search(r"<title>([^<]*)</title>", frame).group(1)
    assert unescape(frame_title) == unescape(iframe_title) == f"Map of {name}"



def test_no_page_forbids_zooming(client, place_id):
    for url in ("/", "/places", "/kaart", "/kaart/frame", f"/places/{place_id}",
                f"/places/{place_id}/kaart", "/activities", "/neighbourhoods"):
        html = client.get(url).get_data(as_text=True)
        viewports = re.findall(r'<meta\s+name="viewport"[^>]*>', html)
        assert len(viewports) == 1, url
        assert "user-scalable=no" not in viewports[0] and "maximum-scale" not in viewports[0]
        assert "width=device-width" in viewports[0]
