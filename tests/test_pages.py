"""The HTML pages on a constructed directory: content, filters, escaping, 404s, printing."""

from __future__ import annotations

import re
from html import unescape

import pytest
from test_api import build_directory

from buurtkaart import store
from buurtkaart.taxonomy import SAMPLE_DATA_LABEL, WORKING_MODELS


@pytest.fixture
def directory(db):
    return build_directory(db)


def _ids(client):
    places = {f["properties"]["name"].split(" <")[0]: f["id"]
              for f in client.get("/api/places").get_json()["features"]}
    acts = {f["properties"]["name"]: f["id"]
            for f in client.get("/api/activities").get_json()["features"]}
    return places, acts


def _text(resp) -> str:
    assert resp.status_code == 200, resp.get_data(as_text=True)[:500]
    return resp.get_data(as_text=True)


def _visible(html: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def test_every_page_renders_and_escapes_hostile_names(client, directory):
    places, acts = _ids(client)
    pid = places["Bibliotheek"]
    for url in ("/", "/kaart", "/kaart/frame", "/kaart/frame?indicator=population",
                "/places", f"/places/{pid}", f"/places/{pid}/kaart", "/activities",
                f"/activities/{acts['Koffie']}", "/neighbourhoods", "/neighbourhoods/1100101",
                "/neighbourhoods/1100102"):
        body = _text(client.get(url))
        assert "<script>alert" not in body and "<img src=x" not in body, url
    assert "&lt;script&gt;alert" in _text(client.get(f"/places/{pid}"))
    assert "Oost &lt;script&gt;" in _text(client.get("/neighbourhoods/1100102"))
    assert "Oost &lt;script&gt;" in _text(client.get("/neighbourhoods?municipality=11001"))


def test_home_page_counts_links_and_search(client, directory):
    body = _text(client.get("/"))
    text = _visible(body)
    assert "3 meeting places" in text and "4 activities" in text
    assert "4 neighbourhoods" in text
    assert 'action="/places"' in body and 'name="q"' in body
    for wm in WORKING_MODELS.values():
        assert wm.label_en in text
    # the search form goes somewhere useful
    assert "Buurthuis Noord" in _text(client.get("/places?q=praatgroep"))


def test_map_page_has_the_filter_form_and_embeds_the_frame_with_the_same_query(client,
                                                                                 directory):
    body = _text(client.get("/kaart?model=peer&walk_in=true&indicator=population&year=2023"))
    for key in WORKING_MODELS:
        assert f'name="model" value="{key}"' in body
    assert re.search(r'name="model" value="peer"\s+checked', body)
    for name in ("free", "walk_in", "childcare", "no_internet", "wheelchair", "day", "from",
                 "to", "kind", "indicator", "year"):
        assert f'name="{name}"' in body, name
    frame = re.search(r'<iframe[^>]*id="map-frame"[^>]*src="([^"]+)"', body).group(1)
    frame = unescape(frame)
    assert frame.startswith("/kaart/frame?") and "model=peer" in frame and "year=2023" in frame
    html = _text(client.get(frame))
    assert "population (2023)" in html
    assert "Buurthuis Noord" in html and "Inloop Centrum" not in html
    assert "working model: peer network" in html  # the banner


def test_map_page_refuses_bad_parameters_as_html(client, directory):
    for url, word in (("/kaart?indicator=nonsense", "indicator"), ("/kaart?year=20x4", "year"),
                      ("/kaart?indicator=population&year=1999", "year")):
        resp = client.get(url)
        assert resp.status_code == 400, url
        assert resp.mimetype == "text/html" and word in resp.get_data(as_text=True)


def test_place_list_filters_and_shows_addresses_hours_and_thresholds(client, directory):
    text = _visible(_text(client.get("/places?free=true")))
    assert "Inloop Centrum" in text and "Buurthuis Noord" not in text
    assert "1 place that is: free" in text
    assert "Straat 1, 9000 Gent" in text
    assert "Open: Mon–Fri 9:00–17:00, Sat–Sun closed" in text
    assert "walk-in: yes" in text and "childcare on site: no" in text
    assert "every Tuesday 9:00–11:00" in text


def test_place_list_pages(client, directory, monkeypatch):
    from buurtkaart.web import pages

    monkeypatch.setattr(pages, "PAGE_SIZE", 2)
    first = _visible(_text(client.get("/places")))
    second = _visible(_text(client.get("/places?page=2")))
    assert "page 1 of 2" in first and "page 2 of 2" in second
    names = ("Bibliotheek", "Buurthuis Noord", "Inloop Centrum")
    assert [n for n in names if n in first] == ["Bibliotheek", "Buurthuis Noord"]
    assert [n for n in names if n in second] == ["Inloop Centrum"]
    for bad in ("0", "x", "-1"):
        resp = client.get(f"/places?page={bad}")
        assert resp.status_code == 400 and b"page" in resp.data


def test_place_list_prints_cleanly(client, directory):
    body = _text(client.get("/places"))
    css = _text(client.get("/static/style.css"))
    print_css = css[css.index("@media print"):]
    for hidden in ("header.site nav", ".no-print", "form", ".pager"):
        assert hidden in print_css.split("{display:none")[0], hidden
    # the filter form and the print button are marked so they disappear on paper
    assert re.search(r'<details class="drawer no-print"', body)
    assert re.search(r'<p class="no-print"><button data-print>', body)
    # every listed place carries its address and hours in the printed part
    items = re.findall(r'<li class="place">(.*?)</li>', body, re.S)
    assert len(items) == 3
    for item in items:
        assert 'class="address"' in item and "Open:" in item


def test_place_detail(client, directory):
    places, _ = _ids(client)
    body = _text(client.get(f"/places/{places['Buurthuis Noord']}"))
    text = _visible(body)
    assert "community house" in text and "run by Vzw Samen" in text
    assert "Straat 1, 9000 Gent" in text
    assert "Mon closed, Tue–Thu 13:00–22:00, Fri–Sun closed" in text
    assert "Last checked 2025-09-01" in text
    assert "Avondcursus" in text and "Praatgroep" in text
    assert "every Wednesday 19:00–21:00" in text
    assert "personal competence building" in text
    assert "childcare on site: yes" in text and "walk-in: no" in text
    assert f'src="/places/{places["Buurthuis Noord"]}/kaart"' in body
    frame = _text(client.get(f"/places/{places['Buurthuis Noord']}/kaart"))
    assert "/static/vendor/leaflet/leaflet.js" in frame and "[51.07, 3.72]" in frame


def test_activity_pages(client, directory):
    _, acts = _ids(client)
    text = _visible(_text(client.get(f"/activities/{acts['Praatgroep']}")))
    assert "first Monday of the month, 14:00–16:00" in text
    assert SAMPLE_DATA_LABEL in text
    assert "peer network" in text and "Buurthuis Noord" in text
    assert "cost unknown" in text
    buddy = _visible(_text(client.get(f"/activities/{acts['Buddy']}")))
    assert "Mobile: comes to you" in buddy and "free" in buddy
    listed = _visible(_text(client.get("/activities?model=buddy")))
    assert "1 activity that is: working model: buddy" in listed
    assert "Koffie" not in listed


def test_neighbourhood_list_filters_by_municipality_and_name(client, directory):
    text = _visible(_text(client.get("/neighbourhoods?municipality=44021")))
    assert "2 neighbourhoods in 44021" in text  # no name stored for 44021
    assert "Centrum" in text and "Noord" in text and "Antwerpen" not in text
    assert "1 200 (2024)" in text  # a narrow no-break space between the thousands
    assert "1 neighbourhood" in _visible(_text(client.get("/neighbourhoods?q=noord")))
    resp = client.get("/neighbourhoods?municipality=Gent")  # no municipality of that name
    assert resp.status_code == 400 and "We do not know the municipality “Gent”" in \
        resp.get_data(as_text=True)


def test_neighbourhood_detail_has_indicators_per_year_and_its_places(client, directory):
    body = _text(client.get("/neighbourhoods/4402101"))
    table = re.search(r'<table class="table indicators">.*?</table>', body, re.S).group(0)
    heads = re.findall(r'<th class="num">(\d{4})</th>', table)
    assert heads == ["2023", "2024"]
    row = re.search(r"population</td>.*?</tr>", table, re.S).group(0)
    assert re.findall(r'<td class="num">([^<]+)</td>', row) == ["1,100", "1,200"]
    share = re.search(r"share on social assistance.*?</tr>", table, re.S).group(0)
    assert re.findall(r'<td class="num">([^<]+)</td>', share) == ["—", "5.0%"]
    assert "Statbel" in table
    assert "Inloop Centrum" in _visible(body) and "Buurthuis Noord" not in _visible(body)


@pytest.mark.parametrize("url", ["/places/424242", "/places/424242/kaart",
                                 "/activities/424242", "/neighbourhoods/0000000",
                                 "/places/99999999999999999999999", "/nothing-here"])
def test_unknown_ids_are_html_404s(client, directory, url):
    resp = client.get(url)
    assert resp.status_code == 404 and resp.mimetype == "text/html"
    assert "Not found" in resp.get_data(as_text=True)


def test_archived_place_is_a_404_page(client, directory, db):
    places, _ = _ids(client)
    db["places"].update(places["Inloop Centrum"], {"archived_at": "2025-10-01T00:00:00"})
    resp = client.get(f"/places/{places['Inloop Centrum']}")
    assert resp.status_code == 404 and b"archived" in resp.data


def test_sample_data_is_labelled_on_every_page(client, directory):
    for url in ("/", "/places", "/kaart"):
        assert SAMPLE_DATA_LABEL in _visible(_text(client.get(url))), url


def test_without_sample_data_there_is_no_sample_banner(client, db):
    from buurtkaart.records import validate_place

    p, _ = validate_place({"name": "Echt", "kind": "library", "lon": 3.7, "lat": 51.0})
    store.save_directory(db, places=[p])
    assert SAMPLE_DATA_LABEL not in _text(client.get("/places"))
    assert "bk-sample-banner\"" not in _text(client.get("/kaart/frame"))


def test_empty_database_pages_still_work(client, db):
    for url in ("/", "/kaart", "/kaart/frame", "/places", "/activities", "/neighbourhoods"):
        _text(client.get(url))
    assert "import them with" in _text(client.get("/neighbourhoods"))
