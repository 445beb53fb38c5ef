"""Search: what residents type (streets, numbers, postcodes, areas, names with typos) finds
the demo's real OpenStreetMap streets and places; the index follows every write."""

from __future__ import annotations

import re
from contextlib import closing

import numpy as np
import pytest
import sqlite_utils

from test_api import build_directory

from buurtkaart import search, store
from buurtkaart.errors import ImportFailed
from buurtkaart.geocode import read_addresses, save_addresses
from buurtkaart.records import validate_place


@pytest.fixture
def demo(demo_database):
    """The demo database, read only (built once per session by conftest)."""
    with closing(store.connect(demo_database).conn) as conn:
        yield sqlite_utils.Database(conn)


def test_the_sqlite_build_has_fts5_and_the_trigram_tokenizer(demo):
    options = {r[0] for r in demo.execute("PRAGMA compile_options")}
    assert "ENABLE_FTS5" in options
    sql = {r[0]: r[1] for r in demo.execute("SELECT name, sql FROM sqlite_master")}
    assert "remove_diacritics 2" in sql["search_fts"]
    assert "trigram" in sql["search_trigram"]


def test_addresses_come_from_the_extracts_addr_tags_and_named_streets(demo, helsinki_pbf):
    rows = read_addresses(helsinki_pbf)
    annankatu = [r for r in rows if r["street"] == "Annankatu"]
    numbers = {r["housenumber"] for r in annankatu}
    assert "14" in numbers and None in numbers  # an address and the street itself
    stored = demo.execute("SELECT count(*) FROM addresses").fetchone()[0]
    assert stored == len(rows)


def test_a_street_is_a_point_to_start_from(demo):
    out = search.resolve(demo, "Annankatu")
    assert out.kind == "location"
    assert (out.location.type, out.location.label, out.location.detail) == (
        "street", "Annankatu", "Helsinki")


def test_case_does_not_matter(demo):
    assert search.resolve(demo, "ANNANKATU").location == search.resolve(demo,
                                                                           "annankatu").location


def test_a_street_with_number_is_that_address(demo):
    out = search.resolve(demo, "Annankatu 14")
    assert out.kind == "location"
    assert (out.location.type, out.location.label) == ("address", "Annankatu 14")
    row = demo.execute("SELECT lon, lat FROM addresses WHERE street = 'Annankatu' AND "
                       "housenumber = '14'").fetchone()
    assert (out.location.lon, out.location.lat) == pytest.approx(row)


def test_a_postcode_is_the_middle_of_its_addresses(demo):
    out = search.resolve(demo, "00100")
    assert (out.kind, out.location.type, out.location.label) == ("location", "postcode",
                                                                  "00100")
    lon, lat = demo.execute(
        "SELECT avg(lon), avg(lat) FROM (SELECT lon, lat FROM addresses WHERE postcode = "
        "'00100' UNION ALL SELECT lon, lat FROM places WHERE postcode = '00100')").fetchone()
    assert (out.location.lon, out.location.lat) == pytest.approx((lon, lat))


def test_accents_are_optional(demo):
    cafe = search.resolve(demo, "cafe")
    assert cafe.kind == "text"
    assert {h.label for h in cafe.hits} == {"Digitaal café (sample)"}
    assert len(cafe.hits) == len(search.resolve(demo, "café").hits) == 3
    street = search.resolve(demo, "Toolonlahdenkatu 4")
    assert street.location.label == "Töölönlahdenkatu 4"


def test_a_misspelled_street_or_word_is_corrected(demo):
    out = search.resolve(demo, "Annankatuu")
    assert out.corrected == "Annankatu"
    assert (out.kind, out.location.label) == ("location", "Annankatu")
    lib = search.resolve(demo, "libary")
    assert lib.corrected == "library"
    kinds = {store.place(demo, int(h.ref))["kind"] for h in lib.hits if h.type == "place"}
    assert kinds == {"library"}
    assert len([h for h in lib.hits if h.type == "place"]) == demo.execute(
        "SELECT count(*) FROM places WHERE kind = 'library'").fetchone()[0]


def test_a_misspelled_place_name_is_found(demo):
    out = search.resolve(demo, "Kansaliskirjasto")
    assert out.corrected == "Kansalliskirjasto"
    assert {h.label for h in out.hits if h.type == "place"} == {"Kansalliskirjasto"}


def test_a_neighbourhood_name(demo):
    names = [r[0] for r in demo.execute("SELECT name FROM neighbourhoods GROUP BY name "
                                        "HAVING count(*) = 1 AND name NOT LIKE '%(%'")]
    assert names
    for name in names:
        out = search.resolve(demo, name)
        code = demo.execute("SELECT code FROM neighbourhoods WHERE name = ?", [name]).fetchone()
        assert (out.kind, out.location.type, out.location.ref) == ("location", "neighbourhood",
                                                                   code[0]), name


def test_a_name_shared_by_several_neighbourhoods_offers_them(demo):
    base = demo.execute("SELECT name FROM neighbourhoods WHERE name LIKE '% (%'").fetchone()[0]
    word = base.split(" (")[0]
    out = search.resolve(demo, word)
    expected = {r[0] for r in demo.execute("SELECT name FROM neighbourhoods WHERE name LIKE ?",
                                           [word + " (%"])}
    assert out.kind == "choices"
    assert {h.label for h in out.choices} == expected
    assert {h.detail for h in out.choices} == {"Helsinki"}  # the municipality, by name


def test_a_municipality_by_the_name_of_its_town(demo):
    out = search.resolve(demo, "helsinki")
    assert (out.kind, out.location.ref) == ("municipality", "00091")


def test_nothing_found_says_so(demo):
    out = search.resolve(demo, "qqqxyzzy")
    assert (out.kind, out.hits, out.location) == ("none", [], None)


# ------------------------------------------------------------ constructed data
@pytest.fixture
def flanders(db):
    build_directory(db)
    save_addresses(db, [
        {"street": "Kerkstraat", "housenumber": None, "postcode": None, "city": "Gent",
         "lon": 3.72, "lat": 51.03, "source": "test"},
        {"street": "Kerkstraat", "housenumber": None, "postcode": None, "city": "Antwerpen",
         "lon": 4.40, "lat": 51.20, "source": "test"},
        {"street": "Kerkstraat", "housenumber": "3", "postcode": "9000", "city": "Gent",
         "lon": 3.721, "lat": 51.031, "source": "test"},
    ])
    return db


def test_a_street_in_two_municipalities_is_a_choice(flanders):
    out = search.resolve(flanders, "kerkstraat")
    assert out.kind == "choices"
    assert sorted(h.describe() for h in out.choices) == ["Kerkstraat, Antwerpen",
                                                         "Kerkstraat, Gent"]
    one = search.resolve(flanders, "Kerkstraat Antwerpen")
    assert (one.kind, one.location.describe()) == ("location", "Kerkstraat, Antwerpen")
    assert search.entry(flanders, out.choices[0].key) == out.choices[0]


def test_a_partial_street_name_offers_the_matches(flanders):
    out = search.resolve(flanders, "kerkstr")
    assert out.kind == "choices"
    assert {h.describe() for h in out.choices} >= {"Kerkstraat, Antwerpen", "Kerkstraat, Gent"}


def _labels(db, q):
    return {h.label for h in search.find(db, q)}


def test_the_index_follows_edits_and_archiving(flanders):
    uid = flanders.execute("SELECT uid FROM places WHERE name = 'Inloop Centrum'").fetchone()[0]
    assert "Inloop Centrum" in _labels(flanders, "inloop")
    p, _ = validate_place({"uid": uid, "name": "Ontmoetingshuis De Brug", "kind": "other",
                           "lon": 3.72, "lat": 51.02})
    store.save_directory(flanders, places=[p])
    assert _labels(flanders, "inloop") == set()
    assert "Ontmoetingshuis De Brug" in _labels(flanders, "brug")
    # the activity held there now shows the new place name
    koffie = [h for h in search.find(flanders, "koffie") if h.type == "activity"]
    assert koffie[0].detail == "Ontmoetingshuis De Brug"
    flanders.execute("UPDATE places SET archived_at = '2026-01-01' WHERE uid = ?", [uid])
    assert _labels(flanders, "brug") == set()
    assert [h for h in search.find(flanders, "koffie") if h.type == "activity"] == []
    flanders.execute("UPDATE places SET archived_at = NULL WHERE uid = ?", [uid])
    assert "Ontmoetingshuis De Brug" in _labels(flanders, "brug")


def test_a_refused_import_leaves_the_index_as_it_was(flanders):
    before = flanders.execute("SELECT type, ref, label FROM search_entries ORDER BY id").fetchall()
    good, _ = validate_place({"name": "Nieuw Buurthuis", "kind": "community_house",
                              "lon": 3.72, "lat": 51.02, "postcode": "9050"})
    bad, _ = validate_place({"name": "Verwijst naar niets", "kind": "other", "lon": 3.7,
                             "lat": 51.0, "organisation_uid": "unknown-org"})
    with pytest.raises(ImportFailed):
        store.save_directory(flanders, places=[good, bad])
    after = flanders.execute("SELECT type, ref, label FROM search_entries ORDER BY id").fetchall()
    assert after == before
    assert _labels(flanders, "nieuw") == set() and _labels(flanders, "9050") == set()


def test_api_places_q_uses_the_index(demo_database, tmp_path):
    from buurtkaart import create_app

    client = create_app({"DATABASE": str(demo_database), "TESTING": True}).test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"  # the English page
    names = {f["properties"]["name"] for f in
             client.get("/api/places?q=Annankatu").get_json()["features"]}
    assert names == {"Avoin olohuone"}
    cafe = client.get("/api/places?q=CAFE").get_json()["features"]
    assert len(cafe) == 3
    acts = client.get("/api/activities?q=cafe").get_json()["features"]
    assert {f["properties"]["name"] for f in acts} == {"Digitaal café (sample)"}


# ------------------------------------------------------------ travel-time order
def test_an_address_search_orders_places_by_walking_time(demo_database):
    """The minutes on the page equal Dijkstra by networkx on the same walking graph."""
    import networkx as nx
    from scipy import sparse

    from buurtkaart import access, create_app

    client = create_app({"DATABASE": str(demo_database), "TESTING": True}).test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"  # the English page
    html = client.get("/places?q=Annankatu+14&minutes=60").get_data(as_text=True)
    assert "Annankatu 14" in html
    shown = [(int(pid), float(m)) for pid, m in re.findall(
        r'href="/places/(\d+)">.*?<p class="minutes"><strong>([\d.]+) min', html, re.S)]
    assert len(shown) >= 5
    db = store.connect(demo_database)
    ctx = access.context(db, "walk")
    lon, lat = db.execute("SELECT lon, lat FROM addresses WHERE street = 'Annankatu' AND "
                          "housenumber = '14'").fetchone()
    g = ctx.graph

    def metres(lon1, lat1, lon2, lat2):
        x = np.radians(lon2 - lon1) * np.cos(np.radians((lat1 + lat2) / 2))
        return 6371008.8 * np.hypot(x, np.radians(lat2 - lat1))

    start = int(np.argmin(metres(lon, lat, g.lon, g.lat)))
    speed = ctx.profile.speed_kmh / 3.6
    coo = sparse.coo_matrix(g.lengths())
    G = nx.DiGraph()
    G.add_weighted_edges_from(zip(coo.row.tolist(), coo.col.tolist(), (coo.data / speed).tolist()))
    seconds = nx.single_source_dijkstra_path_length(G, start)
    walk_to_node = float(metres(lon, lat, g.lon[start], g.lat[start])) / speed
    expected = {}
    for p in store.places(db):
        node = int(np.argmin(metres(p["lon"], p["lat"], g.lon, g.lat)))
        if node in seconds:
            expected[p["id"]] = round((seconds[node] + walk_to_node) / 60, 1)
    db.conn.close()
    assert [m for _, m in shown] == sorted(m for _, m in shown)
    for pid, m in shown:
        assert m == pytest.approx(expected[pid], abs=0.051)
    assert {pid for pid, _ in shown} == {pid for pid, m in expected.items() if m <= 60}


# ------------------------------------------------------------ pages without a network
def test_the_finder_without_a_network_says_why_there_are_no_minutes(client, db):
    build_directory(db)
    save_addresses(db, [{"street": "Kerkstraat", "housenumber": "3", "postcode": "9000",
                         "city": "Gent", "lon": 3.721, "lat": 51.031, "source": "test"}])
    page = client.get("/places?q=Kerkstraat+3").get_data(as_text=True)
    assert "Travel times are not available yet" in page
    assert " min</strong>" not in page
    names = re.findall(r'<h2><a href="/places/\d+">([^<]+)</a>', page)
    assert names[:2] == ["Inloop Centrum", "Buurthuis Noord"]  # nearest to 3.721, 51.031
    pos = client.get("/places?lon=3.72&lat=51.03")
    assert pos.status_code == 200 and "Travel times are not available yet" in pos.get_data(
        as_text=True)


def test_page_search_results_and_api_agree(demo_database):
    from buurtkaart import create_app

    client = create_app({"DATABASE": str(demo_database), "TESTING": True}).test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"  # the English page
    body = client.get("/api/search?q=Annankatu+14").get_json()
    assert body["meaning"] == "location"
    assert body["results"][0]["type"] == "address"
    assert body["results"][0]["label"] == "Annankatu 14"
    assert body["results"][0]["url"].startswith("/places?at=address:")
    typed = {r["type"] for r in client.get("/api/search?q=annan&limit=50").get_json()["results"]}
    assert {"street", "address", "place"} <= typed
    typo = client.get("/api/search?q=libary").get_json()
    assert typo["corrected"] == "library" and typo["results"]
    for bad, param in (("", "q"), ("q=x&limit=0", "limit"), ("q=x&lang=nl", "lang")):
        r = client.get("/api/search?" + bad)
        assert r.status_code == 400 and r.get_json()["parameter"] == param
    choice = client.get(body["results"][0]["url"]).get_data(as_text=True)
    assert "walking time from <strong>Annankatu 14, Helsinki</strong>" in choice


def test_import_osm_stores_addresses_in_the_same_transaction(runner, db_path, helsinki_pbf):
    from buurtkaart.cli import main

    result = runner.invoke(main, ["import", "osm", str(helsinki_pbf)])
    assert result.exit_code == 0, result.output
    db = store.connect(db_path)
    n = db.execute("SELECT count(*) FROM addresses").fetchone()[0]
    assert f"{n} addresses and streets" in result.output and n > 500
    assert search.resolve(db, "Annankatu 14").location.type == "address"
    db.conn.close()


def test_a_database_from_before_the_search_is_indexed_when_it_migrates(tmp_path):
    import sqlite3

    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    old = sqlite_utils.Database(conn)
    store.migrations.apply(old, stop_before="m004_search")
    old.execute("INSERT INTO places (uid, name, kind, lon, lat, street, postcode, city) VALUES "
                "('pl-1', 'Café De Loods', 'drop_in_centre', 3.72, 51.05, 'Kerkstraat 3', "
                "'9000', 'Gent')")
    conn.close()
    db = store.connect(path)
    assert {h.label for h in search.find(db, "cafe loods")} == {"Café De Loods"}
    assert search.resolve(db, "9000").location.type == "postcode"
    db.conn.close()


def test_an_unknown_house_number_falls_back_to_the_street(demo):
    assert demo.execute("SELECT count(*) FROM addresses WHERE street = 'Annankatu' AND "
                        "housenumber = '99'").fetchone()[0] == 0
    out = search.resolve(demo, "Annankatu 99")
    assert (out.kind, out.corrected, out.location.type) == ("location", "Annankatu", "street")


def test_the_neighbourhood_list_finds_names_without_accents(demo_database):
    from buurtkaart import create_app

    db = store.connect(demo_database)
    name = db.execute("SELECT name FROM neighbourhoods WHERE name GLOB '*[äöå]*' "
                      "ORDER BY code").fetchone()[0]
    expected = db.execute("SELECT count(*) FROM neighbourhoods WHERE name = ?",
                          [name]).fetchone()[0]
    db.conn.close()
    plain = search.fold(name).upper()
    client = create_app({"DATABASE": str(demo_database), "TESTING": True}).test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"  # the English page
    html = client.get("/neighbourhoods", query_string={"q": plain}).get_data(as_text=True)
    assert html.count(f">{name}<") == expected


def test_a_postcode_follows_the_places_written(flanders):
    first = search.resolve(flanders, "9000").location
    p, _ = validate_place({"name": "Buurthuis Zuid", "kind": "community_house", "lon": 3.80,
                           "lat": 51.00, "postcode": "9000", "city": "Gent"})
    store.save_directory(flanders, places=[p])
    moved = search.resolve(flanders, "9000").location
    lon, lat = flanders.execute(
        "SELECT avg(lon), avg(lat) FROM (SELECT lon, lat FROM addresses WHERE postcode = "
        "'9000' UNION ALL SELECT lon, lat FROM places WHERE postcode = '9000')").fetchone()
    assert (moved.lon, moved.lat) == pytest.approx((lon, lat)) != (first.lon, first.lat)
    p["postcode"] = "9050"
    store.save_directory(flanders, places=[p])
    assert search.resolve(flanders, "9050").location.lon == pytest.approx(3.80)
    assert search.resolve(flanders, "9000").location.lon == pytest.approx(first.lon)


def test_replacing_the_addresses_keeps_both_indexes_whole(flanders):
    """The bulk path (row triggers aside, FTS rebuilt) gives the same index as row by row."""
    rows = [{"street": f"Straat {i}", "housenumber": str(i), "postcode": "9000",
             "city": "Gent", "lon": 3.72, "lat": 51.03, "source": "test"} for i in range(1, 60)]
    save_addresses(flanders, rows)
    save_addresses(flanders, rows[:30])  # replacing: the old rows leave the index
    for fts in ("search_fts", "search_trigram"):
        flanders.execute(f"INSERT INTO {fts} ({fts}) VALUES ('integrity-check')")
    assert flanders.execute("SELECT bulk FROM search_state").fetchone()[0] == 0
    assert search.resolve(flanders, "straat 7 7").location.label == "Straat 7 7"
    assert search.find(flanders, "straat 45 45") == []
    assert "Inloop Centrum" in _labels(flanders, "inloop")  # places untouched


def test_the_finder_page_offers_the_choices_and_follows_one(client, flanders):
    html = client.get("/places?q=Kerkstraat&free=true").get_data(as_text=True)
    assert "could mean more than one thing" in html
    links = re.findall(r'<a href="(/places\?[^"]*at=street[^"]*)">(Kerkstraat, \w+)</a>', html)
    assert sorted(label for _, label in links) == ["Kerkstraat, Antwerpen", "Kerkstraat, Gent"]
    assert all("free=true" in href for href, _ in links)  # the filters stay
    assert "<ol class=\"places\">" not in html  # no list until a choice is made
    href = dict((label, h) for h, label in links)["Kerkstraat, Gent"]
    chosen = client.get(href.replace("&amp;", "&")).get_data(as_text=True)
    assert "Kerkstraat, Gent" in chosen and "<ol class=\"places\">" in chosen
    typo = client.get("/places?q=Kerkstrat+Gent").get_data(as_text=True)
    assert "Nothing was found for “Kerkstrat Gent”" in typo  # said, then corrected
    assert "Showing results for “Kerkstraat Gent”" in typo


def test_a_municipality_is_found_by_its_imported_name(flanders):
    import geopandas as gpd
    import shapely

    from buurtkaart.municipalities import save_municipalities

    assert search.resolve(flanders, "Antwerpen").kind != "municipality"
    frame = gpd.GeoDataFrame({"code": ["11001"], "name": ["Aartselaar"]},
                             geometry=[shapely.box(4.3, 51.1, 4.5, 51.3)], crs=4326)
    save_municipalities(flanders, frame, source="test")
    out = search.resolve(flanders, "aartselaar")
    assert (out.kind, out.location.ref) == ("municipality", "11001")
