"""A directory of 150,000 places on disk: pages show the right first page and the right
totals, counted in SQL, and admin lists are paged. (How fast: bench/bench_directory.py.)"""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
import shapely
from shapely import wkb

from buurtkaart import accounts, create_app, store

N_PLACES = 150_000
KINDS = ("drop_in_centre", "community_house", "local_service_centre", "library", "other")
TODAY = dt.date.today().isoformat()
PASSWORD = "correct horse battery staple"


def _archived(i: int) -> bool:
    return i % 1000 == 999


def _kind(i: int) -> str:
    return KINDS[i % 5]


def _hood(i: int) -> str:
    return "N1" if i % 2 == 0 else "N2"


def _place_stale(i: int) -> bool:
    return i % 100 == 0


def _has_activity(i: int) -> bool:
    return i % 3 == 0


def _walk_in(i: int) -> bool:
    return i % 6 == 0


def _activity_stale(i: int) -> bool:
    return i % 300 == 0


def _build(path) -> None:
    db = store.connect(path)
    conn = db.conn
    conn.execute("BEGIN")
    conn.execute("INSERT INTO organisations (id, uid, name) VALUES (1, 'org', 'Stad')")
    for code, box in (("N1", (3.0, 50.0, 3.5, 51.0)), ("N2", (3.5, 50.0, 4.0, 51.0))):
        geom = shapely.box(*box)
        conn.execute("INSERT INTO neighbourhoods (code, name, municipality_code, geometry, lon, "
                     "lat, area_m2) VALUES (?, ?, '44021', ?, ?, ?, 1e6)",
                     [code, f"Wijk {code}", wkb.dumps(geom), geom.centroid.x, geom.centroid.y])
    places, boxes, acts, models = [], [], [], []
    for i in range(N_PLACES):
        lon, lat = 3.0 + (i % 1000) / 1000, 50.0 + (i // 1000) / 200
        places.append((i + 1, f"p{i}", f"Plaats {i:06d}", _kind(i), 1, lon, lat,
                       _hood(i), None if _place_stale(i) else TODAY,
                       "2026-01-01" if _archived(i) else None))
        boxes.append((i + 1, lon, lon, lat, lat))
        if _has_activity(i):
            acts.append((len(acts) + 1, f"a{i}", f"Activiteit {i:06d}", 1, i + 1,
                         int(_walk_in(i)), None if _activity_stale(i) else TODAY))
            models.append((len(acts), "peer"))
    for j in range(7):  # mobile activities
        acts.append((len(acts) + 1, f"m{j}", f"Buddy {j}", 1, None, 1, TODAY))
        models.append((len(acts), "buddy"))
    conn.executemany("INSERT INTO places (id, uid, name, kind, organisation_id, lon, lat, "
                     "neighbourhood_code, last_verified, archived_at) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", places)
    conn.executemany("INSERT INTO places_rtree VALUES (?, ?, ?, ?, ?)", boxes)
    conn.executemany("INSERT INTO activities (id, uid, name, organisation_id, place_id, "
                     "walk_in, last_verified) VALUES (?, ?, ?, ?, ?, ?, ?)", acts)
    conn.executemany("INSERT INTO activity_models VALUES (?, ?)", models)
    conn.execute("COMMIT")
    accounts.create_user(db, "admin@stad.be", PASSWORD, role="admin")
    conn.close()


@pytest.fixture(scope="session")
def big_app(tmp_path_factory):
    path = tmp_path_factory.mktemp("big") / "big.db"
    _build(path)
    return create_app({"DATABASE": str(path), "TESTING": True})


@pytest.fixture(scope="session")
def big(big_app):
    c = big_app.test_client()
    c.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"  # the assertions read the English pages
    return c


LIVE = [i for i in range(N_PLACES) if not _archived(i)]


def test_api_places_first_page_and_total(big):
    body = big.get("/api/places?limit=10").get_json()
    assert body["numberMatched"] == len(LIVE)
    assert [f["properties"]["name"] for f in body["features"]] == [
        f"Plaats {i:06d}" for i in LIVE[:10]]
    # a later page, in SQL too
    body = big.get("/api/places?limit=3&offset=998").get_json()
    assert [f["properties"]["name"] for f in body["features"]] == [
        f"Plaats {i:06d}" for i in LIVE[998:1001]]


def test_api_places_filtered_by_kind_and_by_activity(big):
    libraries = [i for i in LIVE if _kind(i) == "library"]
    body = big.get("/api/places?limit=5&kind=library").get_json()
    assert body["numberMatched"] == len(libraries)
    assert [f["properties"]["name"] for f in body["features"]] == [
        f"Plaats {i:06d}" for i in libraries[:5]]
    walk_in = [i for i in LIVE if _has_activity(i) and _walk_in(i)]
    body = big.get("/api/places?limit=5&walk_in=true").get_json()
    assert body["numberMatched"] == len(walk_in)
    assert [f["properties"]["name"] for f in body["features"]] == [
        f"Plaats {i:06d}" for i in walk_in[:5]]


def test_api_activities_first_page_and_total(big):
    live = [i for i in LIVE if _has_activity(i)]
    body = big.get("/api/activities?limit=4").get_json()
    assert body["numberMatched"] == len(live) + 7
    assert [f["properties"]["name"] for f in body["features"]] == [
        f"Activiteit {i:06d}" for i in live[:4]]


def test_places_page_shows_the_total_and_the_first_fifty(big):
    text = big.get("/places").get_data(as_text=True)
    assert f"{len(LIVE)} places" in text
    names = re.findall(r"Plaats \d{6}", text)
    assert names[:50] == [f"Plaats {i:06d}" for i in LIVE[:50]] and len(set(names)) == 50


def test_neighbourhood_page_lists_its_places_a_page_at_a_time(big):
    here = [i for i in LIVE if _hood(i) == "N1"]
    r = big.get("/neighbourhoods/N1")
    assert r.status_code == 200
    text = r.get_data(as_text=True)
    assert f"Meeting places here ({len(here)})" in text
    assert re.findall(r"Plaats \d{6}", text) == [f"Plaats {i:06d}" for i in here[:50]]
    pages = -(-len(here) // 50)
    assert f"page 1 of {pages}" in text
    text = big.get("/neighbourhoods/N1?page=2").get_data(as_text=True)
    assert re.findall(r"Plaats \d{6}", text) == [f"Plaats {i:06d}" for i in here[50:100]]


def test_admin_review_queue_is_paged(big):
    with big.session_transaction() as s:
        s["csrf"] = "t"
    r = big.post("/login", data={"email": "admin@stad.be", "password": PASSWORD,
                                 "csrf_token": "t"})
    assert r.status_code in (302, 303), r.get_data(as_text=True)[:300]
    stale = ([f"Plaats {i:06d}" for i in LIVE if _place_stale(i)]
             + [f"Activiteit {i:06d}" for i in LIVE if _has_activity(i) and _activity_stale(i)])
    r = big.get("/admin/")
    assert r.status_code == 200
    text = html.unescape(r.get_data(as_text=True))
    assert f"To review ({len(stale)})" in text
    shown = re.findall(r"(?:Plaats|Activiteit) \d{6}", text)
    assert shown == sorted(stale, key=lambda n: n)[:100]  # never verified: by name
    pages = -(-len(stale) // 100)
    assert f"page 1 of {pages}" in text
    assert 'href="/admin/?page=2"' in text
    text = html.unescape(big.get("/admin/?page=2").get_data(as_text=True))
    assert re.findall(r"(?:Plaats|Activiteit) \d{6}", text) == sorted(stale)[100:200]
