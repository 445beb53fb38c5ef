"""The fare budget on the pages: the finder, the map legend and the outreach page take a
ticket budget for a return trip and say, in the page's language, what it did per feed.

The demo's sample feed (every line 3.10, no reduced fare) gets a second, hand-made feed
"fares" beside it, with two lines from a starting place S: line CHEAP to a far place Q for
1.00, and line DEAR to another far place P for 5.00 (1.20 reduced). A budget of 2.50 for a
return trip leaves 1.25 one way: CHEAP fits, DEAR only with the reduced fare, and the
sample lines never. The demo city is small: S, P and Q lie more than 550 m apart, so none is
within the 5 minutes (400 m) on foot from another, and a ride (1 minute, every minute) brings
P only by DEAR and Q only by CHEAP (or the sample lines).
"""

from __future__ import annotations

import math
import re
import shutil
import zipfile
from html import unescape

import pytest

from buurtkaart import create_app, store
from buurtkaart.transit import arrival, storage

from conftest import FIXED_NOW

pytestmark = pytest.mark.slow

DEPART = "2026-12-01 12:00-12:10"  # a Tuesday, within both feeds' dates
LIMIT = 5                           # minutes
FAR_M = 550                         # more than 5 minutes on foot (400 m, straight line)


def _metres(a, b) -> float:
    dx = (a["lon"] - b["lon"]) * 111_320 * math.cos(math.radians(a["lat"]))
    dy = (a["lat"] - b["lat"]) * 110_540
    return math.hypot(dx, dy)


def _open_then(db, place) -> bool:
    """Open (or without known times) for a visit of 30 minutes arriving 12:00-12:10."""
    win = arrival.arrival_windows([store.place(db, place["id"])], 20261201, 1800)[0]
    return win is None or any(lo <= 12 * 3600 and hi >= 12 * 3600 + 600 for lo, hi in win)


def _three_far_places(db):
    """A start S and two places P and Q, open then, each far from the others on foot;
    P and Q have names no other place has (the lists are compared by name)."""
    from collections import Counter

    every = store.places(db)
    names = Counter(p["name"] for p in every)
    unique = [p for p in every if p["name"] and names[p["name"]] == 1 and _open_then(db, p)]
    for s in every:
        far = [p for p in unique if _metres(s, p) > FAR_M]
        for p in far:
            for q in far:
                if _metres(p, q) > FAR_M:
                    return s, p, q
    pytest.fail("the demo has no three open places far enough apart")


def _feed(path, s, p, q, *, with_fares=True):
    files = {
        "agency.txt": "agency_id,agency_name,agency_url,agency_timezone\n"
                      "F,Fare test (invented),https://example.org,Europe/Helsinki\n",
        "stops.txt": "stop_id,stop_name,stop_lat,stop_lon\n"
                     f"S,Start,{s['lat']},{s['lon']}\nP,Dear end,{p['lat']},{p['lon']}\n"
                     f"Q,Cheap end,{q['lat']},{q['lon']}\n",
        "routes.txt": "route_id,agency_id,route_short_name,route_long_name,route_type\n"
                      "CHEAP,F,C,Cheap line,3\nDEAR,F,D,Dear line,3\n",
        "trips.txt": "route_id,service_id,trip_id\nCHEAP,ALL,c1\nDEAR,ALL,d1\n",
        "stop_times.txt": "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n"
                          "c1,00:00:00,00:00:00,S,1\nc1,00:01:00,00:01:00,Q,2\n"
                          "d1,00:00:00,00:00:00,S,1\nd1,00:01:00,00:01:00,P,2\n",
        "frequencies.txt": "trip_id,start_time,end_time,headway_secs\n"
                           "c1,06:00:00,22:00:00,60\nd1,06:00:00,22:00:00,60\n",
        "calendar.txt": "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,"
                        "start_date,end_date\nALL,1,1,1,1,1,1,1,20260101,20271231\n",
    }
    if with_fares:
        files["fare_attributes.txt"] = ("fare_id,price,currency_type,payment_method,transfers\n"
                                        "CHEAP_FULL,1.00,EUR,0,\nDEAR_FULL,5.00,EUR,0,\n"
                                        "DEAR_REDUCED,1.20,EUR,0,\n")
        files["fare_rules.txt"] = ("fare_id,route_id\nCHEAP_FULL,CHEAP\nDEAR_FULL,DEAR\n"
                                   "DEAR_REDUCED,DEAR\n")
    with zipfile.ZipFile(path, "w") as z:
        for name, text in files.items():
            z.writestr(name, text)
    return path


def _demo_with(tmp_path_factory, demo_database, name, *, with_fares=True, drop_sample=False):
    path = tmp_path_factory.mktemp(name) / "demo.db"
    shutil.copyfile(demo_database, path)
    db = store.connect(path)
    s, p, q = _three_far_places(db)
    if drop_sample:
        storage.remove_feed(db, "sample")
    storage.import_feed(db, _feed(path.parent / "fares.zip", s, p, q, with_fares=with_fares),
                        name="fares")
    db.conn.close()
    return path, s, p, q


@pytest.fixture(scope="module")
def fare_demo(tmp_path_factory, demo_database):
    return _demo_with(tmp_path_factory, demo_database, "fare-demo")


@pytest.fixture(scope="module")
def fareless_demo(tmp_path_factory, demo_database):
    """Only a feed without fares: under a budget no public transport line can be used."""
    return _demo_with(tmp_path_factory, demo_database, "fareless-demo", with_fares=False,
                      drop_sample=True)


def _client(path, lang="en"):
    c = create_app({"DATABASE": str(path), "TESTING": True, "NOW": FIXED_NOW}).test_client()
    c.environ_base["HTTP_ACCEPT_LANGUAGE"] = lang
    return c


def _visible(resp) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", resp.get_data(as_text=True))))


def _query(s, mode="transit", **extra) -> str:
    from urllib.parse import urlencode

    return urlencode({"lon": s["lon"], "lat": s["lat"], "mode": mode, "minutes": LIMIT,
                      "depart": DEPART, **extra})


def _page_places(client, s, **extra):
    """(ids listed on the finder page, the total it states, the response)."""
    r = client.get("/places?" + _query(s, **extra))
    assert r.status_code == 200, _visible(r)[:600]
    body = r.get_data(as_text=True)
    ids = [int(i) for i in re.findall(r'<li class="place">\s*<h2><a href="/places/(\d+)"', body)]
    count = re.search(r'<p class="count">(\d+) place', body)
    return ids, int(count.group(1)) if count else 0, r


def _api_places(client, s, **extra):
    r = client.get("/api/finder?limit=200&" + _query(s, **extra))
    assert r.status_code == 200, r.get_json()
    return [(f["id"], f["properties"]["name"]) for f in r.get_json()["features"]]


def _same(client, s, **extra):
    """The finder page lists exactly what the JSON API reaches; the names, nearest first."""
    ids, total, _r = _page_places(client, s, **extra)
    api = _api_places(client, s, **extra)
    assert total == len(api)
    assert ids == [i for i, _n in api][:50]
    return [n for _i, n in api]


def test_the_finder_lists_what_the_budget_allows_like_the_api(fare_demo):
    path, s, p, q = fare_demo
    client = _client(path)
    walk = _same(client, s, mode="walk")
    free = _same(client, s)
    budget = _same(client, s, max_fare="2.50")
    reduced = _same(client, s, max_fare="2.50", reduced_fare="true")
    # the far places are not within 5 minutes on foot; by bus both are (a minute's ride)
    assert p["name"] not in walk and q["name"] not in walk
    assert p["name"] in free and q["name"] in free
    # 1.25 one way: the cheap line (1.00) fits, the dear one (5.00) does not ...
    assert q["name"] in budget and p["name"] not in budget
    assert len(budget) < len(free)
    # ... unless with the reduced fare (1.20)
    assert p["name"] in reduced and q["name"] in reduced
    assert set(walk) <= set(budget) <= set(reduced) <= set(free)
    # a budget below the cheap fare leaves walking only
    assert _same(client, s, max_fare="1.50") == walk


def test_a_decimal_comma_is_accepted_on_the_page(fare_demo):
    path, s, _p, _q = fare_demo
    client = _client(path)
    comma, _total, r = _page_places(client, s, max_fare="2,50", reduced_fare="true")
    point, _total, _r = _page_places(client, s, max_fare="2.50", reduced_fare="true")
    assert comma == point
    assert 'name="max_fare" value="2,50"' in r.get_data(as_text=True)
    assert 'name="reduced_fare" value="true" checked' in r.get_data(as_text=True)


def test_the_page_says_what_the_budget_did_per_feed(fare_demo):
    path, s, _p, _q = fare_demo
    _ids, _total, r = _page_places(_client(path), s, max_fare="2.50", reduced_fare="true")
    text = _visible(r)
    assert "reduced fares within 2.50 return" in text
    assert "Tickets on fares: fares applied; fares v1." in text
    assert "Tickets on sample: fares applied; the feed names no reduced fares: full fares " \
           "are used;" in text
    assert "no public transport line could be used" not in text
    # below the cheapest fare (1.00 one way) nothing fits: said plainly, first
    _ids, _total, r = _page_places(_client(path), s, max_fare="1.50")
    text = _visible(r)
    assert "Within this budget no public transport line could be used at this moment: only " \
           "the way without public transport counts. Tickets on fares: fares applied" in text


def test_the_dutch_page_says_it_in_dutch(fare_demo):
    path, s, _p, _q = fare_demo
    _ids, _total, r = _page_places(_client(path, "nl"), s, max_fare="2,50",
                                   reduced_fare="true")
    text = _visible(r)
    assert "verminderd tarief binnen 2,50 heen en terug" in text
    assert "Tickets bij fares: ticketprijzen toegepast; GTFS fares v1." in text
    assert "deze dienstregeling noemt geen verminderd tarief: het gewone tarief telt" in text
    assert "fares applied" not in text and "full fares are used" not in text


def test_the_api_keeps_its_english_notes(fare_demo):
    path, s, _p, _q = fare_demo
    for lang in ("en", "nl"):
        body = _client(path, lang).get(
            "/api/coverage?mode=transit&minutes=10&max_fare=2.50&reduced_fare=true&depart="
            + DEPART.replace(" ", "+")).get_json()
        feeds = body["report"]["transit"]["fare_budget"]["feeds"]
        assert feeds["fares"] == "fares applied; fares v1"
        assert feeds["sample"] == ("fares applied; the feed names no reduced fares: full fares "
                                   "are used; transfer_duration applied for journeys up to "
                                   "20 min; fares v1")
        assert body["report"]["transit"]["fares"] == {"fares": "fares in feed (fares v1)",
                                                      "sample": "fares in feed (fares v1)"}


def test_without_fares_the_page_says_no_line_could_be_used(fareless_demo):
    path, s, p, _q = fareless_demo
    client = _client(path)
    walk = _same(client, s, mode="walk")
    assert p["name"] in _same(client, s)  # without a budget the line is used
    assert _same(client, s, max_fare="20") == walk
    _ids, _total, r = _page_places(client, s, max_fare="20")
    text = _visible(r)
    assert "No public transport line could be used: no timetable has ticket prices, so what " \
           "a trip costs is unknown." in text
    assert "Tickets on fares: no fares in this feed: its lines are not used under a fare " \
           "budget." in text
    nl = _visible(_page_places(_client(path, "nl"), s, max_fare="20")[2])
    assert "Er kon geen enkele lijn van het openbaar vervoer gebruikt worden" in nl
    assert "geen ticketprijzen in deze dienstregeling" in nl


@pytest.mark.parametrize("typed", ["abc", "-3"])
def test_a_wrong_budget_gives_the_friendly_page_keeping_it(fare_demo, typed):
    path, s, _p, _q = fare_demo
    for lang, sentence in (("nl", f"We kunnen “{typed}” niet gebruiken als bedrag"),
                           ("en", f"“{typed}” is not an amount we can use")):
        r = _client(path, lang).get("/places?" + _query(s, max_fare=typed))
        assert r.status_code == 400 and r.mimetype == "text/html"
        assert sentence in _visible(r)
        body = r.get_data(as_text=True)
        assert f'name="max_fare" value="{typed}"' in body  # the travel fields come back
        assert f'name="depart" value="{DEPART}"' in body


def test_a_wrong_reduced_fare_choice_is_explained(fare_demo):
    path, s, _p, _q = fare_demo
    r = _client(path).get("/places?" + _query(s, max_fare="2", reduced_fare="maybe"))
    assert r.status_code == 400
    assert "“maybe” is not a choice for the reduced fare" in _visible(r)


def test_fare_fields_are_ignored_on_pages_when_not_by_public_transport(fare_demo):
    path, s, _p, _q = fare_demo
    client = _client(path)
    walk = _same(client, s, mode="walk")
    ids, total, _r = _page_places(client, s, mode="walk", max_fare="2,50",
                                  reduced_fare="true", max_transfers="2")
    assert total == len(walk)
    r = client.get("/api/finder?" + _query(s, mode="walk", max_fare="2.50"))
    assert r.status_code == 400 and r.get_json()["parameter"] == "max_fare"
    # the map and the outreach page forgive them too
    for page in ("/kaart/frame?indicator=coverage&", "/outreach?"):
        r = client.get(page + "mode=walk&minutes=10&max_fare=abc&reduced_fare=true")
        assert r.status_code == 200, page


def test_the_form_offers_the_budget_only_with_a_timetable(fare_demo, demo_copy, db_path):
    path, s, _p, _q = fare_demo
    body = _page_places(_client(path, "nl"), s, mode="walk")[2].get_data(as_text=True)
    assert "Hoeveel mag een ticket heen en terug kosten? (€)" in body
    assert "Met verminderd tarief (BIM/OMNIO)" in body
    assert "Alleen voor openbaar vervoer." in body
    assert 'name="max_fare"' in body and 'inputmode="decimal"' in body
    # the demo without its timetable: the travel fields without a ticket budget
    storage.remove_feed(demo_copy, "sample")
    body = _page_places(_client(db_path, "nl"), s, mode="walk")[2].get_data(as_text=True)
    assert 'name="depart"' in body and 'name="max_fare"' not in body


def test_the_map_legend_and_outreach_page_state_the_budget(fare_demo):
    path, _s, _p, _q = fare_demo
    nl = _client(path, "nl")
    q = ("mode=transit&minutes=10&max_fare=2,50&reduced_fare=true&depart="
         + DEPART.replace(" ", "+"))
    frame = unescape(nl.get(f"/kaart/frame?indicator=coverage&{q}").get_data(as_text=True))
    assert "verminderd tarief binnen 2,50 heen en terug" in frame
    assert "Tickets bij fares: ticketprijzen toegepast; GTFS fares v1." in frame
    outreach = _visible(nl.get(f"/outreach?{q}"))
    assert "verminderd tarief binnen 2,50 heen en terug" in outreach
    assert "Tickets bij sample: ticketprijzen toegepast" in outreach
    code = store.neighbourhoods(store.connect(path))[0]["code"]
    hood = _visible(nl.get(f"/neighbourhoods/{code}?{q}"))
    assert "verminderd tarief binnen 2,50 heen en terug" in hood
    assert "Tickets bij fares: ticketprijzen toegepast; GTFS fares v1." in hood
