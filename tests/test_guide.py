"""The printed guide (/gids/<code>.pdf, /gids.pdf?address=): the PDF's text read back with
pypdf in Dutch and English, its walking minutes checked against networkx on the same
walking graph, drawn with every outside connection refused, and friendly pages for an
address or neighbourhood that cannot be used."""

from __future__ import annotations

import io
import logging
import math
import re
import socket
from contextlib import closing

import numpy as np
import pytest
from pypdf import PdfReader

from buurtkaart import access, create_app, store

FIXED_NOW = "2026-12-01T10:00:00+01:00"  # a Tuesday


def _client(path, lang="en"):
    c = create_app({"DATABASE": str(path), "TESTING": True, "NOW": FIXED_NOW}).test_client()
    c.environ_base["HTTP_ACCEPT_LANGUAGE"] = lang
    return c


def _raw(resp) -> str:
    """The PDF's text as pypdf reads it (A4 pages checked)."""
    assert resp.status_code == 200, resp.get_data(as_text=True)[:500]
    assert resp.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(resp.data))
    for page in reader.pages:
        assert (float(page.mediabox.width), float(page.mediabox.height)) == pytest.approx(
            (595.28, 841.89), abs=1)  # A4 in points
    return "\n".join(p.extract_text() for p in reader.pages)


def flat(raw: str) -> str:
    """White space made single (pypdf breaks lines anywhere)."""
    return " ".join(raw.split())


def _text(resp) -> str:
    return flat(_raw(resp))


def _metres(lon1, lat1, lon2, lat2):
    x = np.radians(lon2 - lon1) * np.cos(np.radians((lat1 + lat2) / 2))
    return 6371008.8 * np.hypot(x, np.radians(lat2 - lat1))


def _expected_walks(db_path, lon: float, lat: float, decimal: str) -> list[tuple]:
    """(name, whole minutes, distance as printed) of each place within 20 minutes walking
    from (lon, lat), by networkx's Dijkstra on the registered walking graph (nearest nodes
    by great-circle distance), sorted."""
    import networkx as nx
    from scipy import sparse

    with closing(store.connect(db_path).conn) as conn:
        import sqlite_utils

        db = sqlite_utils.Database(conn)
        ctx = access.context(db, "walk")
        places = store.places(db)
    g = ctx.graph
    coo = sparse.coo_matrix(g.lengths())
    G = nx.Graph()
    G.add_weighted_edges_from(zip(coo.row.tolist(), coo.col.tolist(), coo.data.tolist()))
    start = int(np.argmin(_metres(lon, lat, g.lon, g.lat)))
    lengths = nx.single_source_dijkstra_path_length(G, start)
    to_node = float(_metres(lon, lat, g.lon[start], g.lat[start]))
    speed = ctx.profile.speed_kmh / 3.6
    out = []
    for p in places:
        node = int(np.argmin(_metres(p["lon"], p["lat"], g.lon, g.lat)))
        if node in lengths:
            metres = lengths[node] + to_node
            minutes = metres / speed / 60
            if minutes <= 20:
                out.append((p["name"], max(1, math.floor(minutes + 0.5)),
                            _distance(metres, decimal)))
    return sorted(out)


def _stops(raw: str, what: str, foot: str) -> list[tuple[int, str, int, str]]:
    """(number, name, minutes, distance as printed) of each place printed, in order: a
    numbered heading line followed by its "what" line, then its "on foot" line."""
    lines = raw.split("\n")
    out = []
    for i, line in enumerate(lines[:-1]):
        m = re.fullmatch(r"(\d+) (.+)", line.strip())
        if m and lines[i + 1].startswith(what + " "):
            walk = next(x for x in lines[i + 1:] if x.startswith(foot + " "))
            w = re.match(rf"{foot} \S+ (\d+) minu\w+ \(([\d.,]+ k?m)\)", walk)
            out.append((int(m[1]), m[2], int(w[1]), w[2]))
    return out


def _distance(metres: float, decimal: str) -> str:
    if metres < 1000:
        return f"{int(round(metres / 10) * 10)} m"
    return f"{round(metres / 1000, 1)} km".replace(".", decimal)


@pytest.fixture(scope="module")
def dutch_neighbourhood(demo_database):
    return _raw(_client(demo_database, "nl").get("/gids/HEL01.pdf"))


@pytest.fixture(scope="module")
def english_address(demo_database):
    return _raw(_client(demo_database, "nl").get("/gids.pdf?address=Annankatu+14&lang=en"))


def test_the_neighbourhood_guide_in_dutch(demo_database, dutch_neighbourhood):
    text = flat(dutch_neighbourhood)
    assert "Ontmoetingsplaatsen in en rond Kaisaniemi" in text
    assert "Gemaakt op 1 december 2026." in text
    assert "We tellen de wandeltijd vanaf het midden van waar de bewoners van Kaisaniemi wonen" \
        in text
    # opening hours and sessions in Dutch sentences, dates of the coming week
    assert "ma–vr 8:00–20:00, za 11:00–17:00, zo gesloten" in text  # Helsingin yliopiston ...
    assert "elke vrijdag 17:00–19:30" in text
    assert "Komende week: vrijdag 4 december 17:00–19:30" in text
    assert "gratis" in text and "Prijs € 2,00" in text
    assert "Vrij binnenlopen ja" in text and "Kinderopvang nee" in text
    assert "Talen Nederlands, Arabisch, Frans" in text
    for english in ("Walking", "minutes", "Childcare", "free", "Coming week"):
        assert english not in text


def test_neighbourhood_walks_start_at_the_residents_centre_and_equal_networkx(
        demo_database, dutch_neighbourhood):
    with closing(store.connect(demo_database).conn) as conn:
        import sqlite_utils

        db = sqlite_utils.Database(conn)
        pts, _report = access.residents(db, access.context(db, "walk"))
    mine = pts[pts["code"] == "HEL01"]
    lon = float(np.average(mine["lon"], weights=mine["population"]))
    lat = float(np.average(mine["lat"], weights=mine["population"]))
    expected = _expected_walks(demo_database, lon, lat, ",")
    printed = _stops(dutch_neighbourhood, "Wat", "Te voet")
    assert [n for n, *_ in printed] == list(range(1, len(printed) + 1))
    # every place within 20 minutes and no other, each at the minutes and metres networkx finds
    assert sorted(p[1:] for p in printed) == expected and len(expected) >= 5
    assert [m for *_x, m, _d in printed] == sorted(m for *_x, m, _d in printed)


def test_the_address_guide_in_english(demo_database, english_address):
    text = flat(english_address)
    assert "Meeting places near Annankatu 14, Helsinki" in text
    assert "Made on December 1, 2026." in text
    assert "Walking times are counted from Annankatu 14, Helsinki" in text
    assert "Where Annankatu 14, Helsinki" in text  # the address in words
    assert "every Tuesday 10:00–12:00" in text
    assert "Coming week: Tuesday 1 December 10:00–12:00" in text
    assert "Cost free" in text and "Walk in yes" in text
    assert "Languages Dutch, English" in text
    assert "Open Mon–Fri 8:00–20:00, Sat 11:00–17:00, Sun closed" in text
    assert not re.search(r"\b(60|24)\.\d{4}", text)  # never coordinates
    lon, lat = _address_point(demo_database)
    expected = _expected_walks(demo_database, lon, lat, ".")
    printed = _stops(english_address, "What", "On foot")
    assert printed[0][1] == "Avoin olohuone"  # at the address itself
    assert sorted(p[1:] for p in printed) == expected and len(expected) >= 5


def _address_point(path):
    with closing(store.connect(path).conn) as conn:
        return conn.execute("SELECT lon, lat FROM addresses WHERE street = 'Annankatu' AND "
                            "housenumber = '14'").fetchone()


def test_routes_name_the_streets_they_follow(demo_database, english_address):
    vias = re.findall(r"\([\d.]+ k?m\), via (.+?) Open ", flat(english_address))
    assert vias, "no route names a street"
    with closing(store.connect(demo_database).conn) as conn:
        streets = {r[0] for r in conn.execute(
            "SELECT street FROM addresses WHERE housenumber IS NULL")}
    for via in vias:
        names = via.split(", ")
        assert 1 <= len(names) <= 4 and set(names) <= streets, via


def test_the_map_numbers_every_place_and_names_streets(demo_database):
    resp = _client(demo_database).get("/gids/HEL01.pdf")
    reader = PdfReader(io.BytesIO(resp.data))
    first = reader.pages[0].extract_text().split("\n")
    listed = re.findall(r"^(\d+) ", "\n".join(p.extract_text() for p in reader.pages[1:]), re.M)
    numbers = [line for line in first if line.strip().isdigit()]
    assert numbers == [str(i) for i in range(1, len(numbers) + 1)]
    assert set(listed) <= set(numbers) and numbers
    assert "Kaisaniemenkatu" in first  # a street label on the map
    assert "middle of Kaisaniemi" in first
    assert b"/Subtype /Image" not in resp.data  # drawn, not a picture of tiles


def test_the_guide_is_drawn_with_every_outside_connection_refused(demo_database, monkeypatch,
                                                                   caplog):
    asked: list = []

    def refuse(*args, **kwargs):
        asked.append(args)
        raise OSError("no internet in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    caplog.set_level(logging.WARNING, logger="weasyprint")
    text = _text(_client(demo_database).get("/gids/HEL02.pdf"))
    assert "Meeting places in and around" in text and "about" in text
    assert not asked
    assert not [r for r in caplog.records if r.name.startswith("weasyprint")]


# ------------------------------------------------------------------ friendly pages
def test_an_unknown_neighbourhood_is_a_friendly_404(demo_database):
    resp = _client(demo_database, "nl").get("/gids/HEL99.pdf")
    assert resp.status_code == 404 and resp.mimetype == "text/html"
    page = resp.get_data(as_text=True)
    assert "We kennen de wijk “HEL99” niet." in page
    assert 'name="address"' in page and 'href="/neighbourhoods"' in page


def test_an_unknown_address_keeps_what_was_typed(demo_database):
    resp = _client(demo_database).get("/gids.pdf?address=Xyzzystraat+7&utm_source=x")
    assert resp.status_code == 404 and resp.mimetype == "text/html"
    page = resp.get_data(as_text=True)
    assert "We could not find the address “Xyzzystraat 7”" in page
    assert 'value="Xyzzystraat 7"' in page


def test_an_address_found_only_in_part_offers_what_was_found(demo_database):
    client = _client(demo_database)
    resp = client.get("/gids.pdf?address=Annankatuu+99")
    assert resp.status_code == 300
    page = resp.get_data(as_text=True)
    assert "We could not find “Annankatuu 99” exactly. Is it one of these?" in page
    assert 'value="Annankatuu 99"' in page
    links = re.findall(r'<li><a href="([^"]+)">([^<]+)</a>', page)
    street = next(href for href, label in links if label == "Annankatu, Helsinki")
    text = _text(client.get(street.replace("&amp;", "&")))
    assert "Meeting places near Annankatu, Helsinki" in text


def test_an_ambiguous_address_offers_the_candidates(demo_database):
    resp = _client(demo_database, "nl").get("/gids.pdf?address=katu")
    assert resp.status_code == 300
    page = resp.get_data(as_text=True)
    assert "“katu” past bij meer dan één plek. Kies de plek die je bedoelt." in page
    assert len(re.findall(r'<li><a href="/gids\.pdf\?address=[^"]+&amp;at=street', page)) >= 2


def test_an_empty_or_overlong_address_is_explained(demo_database):
    client = _client(demo_database)
    empty = client.get("/gids.pdf?address=")
    assert empty.status_code == 400
    assert "Type an address, a street or a postcode" in empty.get_data(as_text=True)
    long = client.get("/gids.pdf?address=" + "a" * 300)
    assert long.status_code == 400
    assert "That is too long for an address" in long.get_data(as_text=True)


def test_a_neighbourhood_typed_as_address_opens_its_guide(demo_database):
    resp = _client(demo_database).get("/gids.pdf?address=Kaisaniemi&lang=en")
    assert resp.status_code == 302
    assert resp.headers["Location"].startswith("/gids/HEL01.pdf")


def test_without_a_network_the_guide_says_why(client, db):
    from test_api import build_directory

    build_directory(db)
    resp = client.get("/gids.pdf?address=Kerkstraat+3")
    assert resp.status_code == 503
    assert "has not built the street network" in resp.get_data(as_text=True)
    code = db.execute("SELECT code FROM neighbourhoods LIMIT 1").fetchone()[0]
    assert client.get(f"/gids/{code}.pdf").status_code == 503
    page = client.get(f"/neighbourhoods/{code}").get_data(as_text=True)
    assert "/gids/" not in page  # no link to a guide that cannot be made


# ------------------------------------------------------------------ links
def test_the_neighbourhood_page_and_an_address_search_link_to_the_guide(demo_database):
    client = _client(demo_database, "nl")
    page = client.get("/neighbourhoods/HEL01").get_data(as_text=True)
    assert '<a href="/gids/HEL01.pdf?lang=nl" type="application/pdf">Druk een gids af voor ' \
           'bewoners (pdf)</a>' in page
    found = client.get("/places?q=Annankatu+14").get_data(as_text=True)
    href = re.search(r'<a href="(/gids\.pdf\?[^"]+)" type="application/pdf">Druk een gids af '
                     r'voor Annankatu 14, Helsinki \(pdf\)</a>', found)
    assert href
    text = _text(client.get(href.group(1).replace("&amp;", "&")))
    assert "Ontmoetingsplaatsen in de buurt van Annankatu 14, Helsinki" in text


@pytest.mark.parametrize("extract", ["gone", "kept"])
def test_street_names_come_from_the_extract_when_their_cache_is_missing(
        demo_database, network_cache, tmp_path, extract):
    """A cache holding only the graphs (as before names were kept): the names are read from
    the extract on first use; when the extract is gone too, the guide has no "via" and no
    street labels, and the same walks."""
    import shutil

    db_path = tmp_path / "moved.db"
    shutil.copy(demo_database, db_path)
    cache = tmp_path / "cache"
    cache.mkdir()
    for graph in network_cache.glob("graph-*-walk-*.npz"):
        shutil.copy(graph, cache / graph.name)
    if extract == "gone":
        with closing(store.connect(db_path).conn) as conn:
            conn.execute("UPDATE settings SET value = '/nowhere/gone.osm.pbf' "
                         "WHERE key = 'network_pbf'")
            conn.commit()
    app = create_app({"DATABASE": str(db_path), "TESTING": True, "NOW": FIXED_NOW,
                      "CACHE_DIR": str(cache)})
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    raw = _raw(client.get("/gids.pdf?address=Annankatu+14"))
    on_map = raw.split("\n1 Avoin olohuone")[0]
    if extract == "gone":
        assert ", via " not in flat(raw) and "Kaivokatu" not in on_map
        assert not list(cache.glob("names-*"))
    else:
        assert ", via " in flat(raw) and "Kaivokatu" in on_map
        assert len(list(cache.glob("names-*"))) == 1
    lon, lat = _address_point(db_path)
    assert sorted(p[1:] for p in _stops(raw, "What", "On foot")) == _expected_walks(
        db_path, lon, lat, ".")


def test_hours_too_detailed_for_a_sentence_are_printed_day_by_day(demo_database, tmp_path):
    """Hours with a date in them cannot be one weekly sentence: the guide lists the coming
    seven days at the place instead, the closed date included."""
    import shutil

    db_path = tmp_path / "hours.db"
    shutil.copy(demo_database, db_path)
    with closing(store.connect(db_path).conn) as conn:
        conn.execute("UPDATE places SET opening_hours = 'Mo-Fr 10:00-16:00; Dec 03 off' "
                     "WHERE name = 'Avoin olohuone'")
        conn.commit()
    text = _text(_client(db_path, "nl").get("/gids.pdf?address=Annankatu+14"))
    first = text.split("1 Avoin olohuone Wat")[1].split(" Rolstoel ")[0]  # at the address
    assert ("Open dinsdag 1 december: 10:00–16:00 woensdag 2 december: 10:00–16:00 "
            "donderdag 3 december: gesloten vrijdag 4 december: 10:00–16:00 "
            "zaterdag 5 december: gesloten zondag 6 december: gesloten "
            "maandag 7 december: 10:00–16:00") in first
