"""The scenario pages on the demo: a proposed place and a switched-off place, the numbers a
user reads checked against networkx and the JSON API, saving (editors, CSRF), reopening,
comparing, and a directory that never changes. Suggested locations explained."""

from __future__ import annotations

import html
import re
import shutil

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from scipy import sparse

from buurtkaart import access, accounts, coverage, network, store
from buurtkaart.filters import Filter

PASSWORD = "correct horse battery"
MINUTES = 5
NEW = {"name": "Buurthuis Noord", "lon": 24.9402, "lat": 60.1745}  # north-west of the centre


@pytest.fixture
def demo_file(demo_database, tmp_path):
    """A copy of the demo database that tests may write to (saved scenarios, accounts)."""
    path = tmp_path / "demo.db"
    shutil.copy(demo_database, path)
    return path


@pytest.fixture
def web(demo_file):
    from buurtkaart import create_app

    app = create_app({"DATABASE": str(demo_file), "TESTING": True})
    db = store.connect(demo_file)
    from buurtkaart.records import validate_organisation

    org, _ = validate_organisation({"name": "Stad Planning"})
    store.save_directory(db, organisations=[org])
    accounts.create_user(db, "planner@stad.be", PASSWORD, organisation_uid=org["uid"])
    removed = db.execute("SELECT id, name FROM places WHERE name = 'Rikhardinkadun kirjasto'"
                         ).fetchone()
    db.conn.close()
    return app, app.test_client(), demo_file, {"id": removed[0], "name": removed[1]}


def _csrf(client) -> str:
    with client.session_transaction() as s:
        s.setdefault("csrf", "test-token")
        return s["csrf"]


def _login(client):
    resp = client.post("/login", data={"email": "planner@stad.be", "password": PASSWORD,
                                       "csrf_token": _csrf(client)})
    assert resp.status_code == 302


def _query(removed_id: int, **extra) -> dict:
    return {"lang": "en", "mode": "walk", "minutes": str(MINUTES), "p1_name": NEW["name"],
            "p1_lon": str(NEW["lon"]), "p1_lat": str(NEW["lat"]), "p1_model": "buddy",
            "remove": str(removed_id), **extra}


def _text(page: str) -> str:
    body = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", page, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", body)))


def _totals(page: str) -> tuple[int, int]:
    """(gaining, losing) as the page says them in words."""
    m = re.search(r"([\d,.]+) residents? gains? a matching place , ([\d,.]+) residents? "
                  r"loses? one", _text(page))
    assert m, _text(page)[:2000]
    return tuple(int(re.sub(r"\D", "", g)) for g in m.groups())


def _independent(path, removed_id: int) -> tuple[float, float, dict[str, float]]:
    """Residents gaining and losing a place within MINUTES, by networkx on the same graph,
    population points and places (the inputs, not the engine's answer)."""
    db = store.connect(path)
    ctx = access.context(db, "walk")
    places, _ = access.facilities(db, ctx, Filter())
    res, _ = access.residents(db, ctx)
    node, _, ok = network.snap(ctx.graph, NEW["lon"], NEW["lat"],
                               max_distance_m=access.SNAP_METRES)
    assert ok[0]
    coo = sparse.coo_matrix(ctx.csr)
    g = nx.DiGraph()
    g.add_nodes_from(range(coo.shape[0]))
    for u, v, w in zip(coo.row, coo.col, coo.data):
        if not g.has_edge(u, v) or g[u][v]["weight"] > w:
            g.add_edge(int(u), int(v), weight=float(w))
    rev = g.reverse(copy=True)  # from the places to the residents
    limit = MINUTES * 60

    def reached(nodes) -> set[int]:
        return set(nx.multi_source_dijkstra_path_length(rev, set(nodes), cutoff=limit))

    before = reached(places["node"])
    after = reached(list(places.loc[places["id"] != removed_id, "node"]) + [int(node[0])])
    pop, nodes = res["population"].to_numpy(float), res["node"].to_numpy()
    now = np.array([n in after for n in nodes])
    was = np.array([n in before for n in nodes])
    gained = pd.Series(pop * (now & ~was)).groupby(res["code"].to_numpy()).sum()
    db.conn.close()
    return float((pop * (now & ~was)).sum()), float((pop * (was & ~now)).sum()), \
        gained.to_dict()


def test_the_gain_a_user_reads_is_networkx_and_the_api(web):
    app, client, path, removed = web
    page = client.get("/scenario", query_string=_query(removed["id"]))
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    gaining, losing = _totals(text)
    want_gain, want_loss, by_code = _independent(path, removed["id"])
    assert (gaining, losing) == (round(want_gain), round(want_loss))
    assert gaining > 0 and losing > 0  # the case tests both directions
    api = client.post("/api/scenario", json={
        "mode": "walk", "minutes": MINUTES, "remove": [removed["id"]],
        "add": [{"lon": NEW["lon"], "lat": NEW["lat"], "models": ["buddy"],
                 "name": NEW["name"]}]}).get_json()
    assert round(api["residents_gaining"]) == gaining
    assert round(api["residents_losing"]) == losing
    assert api["residents_gaining_access"] == pytest.approx(
        api["residents_gaining"] - api["residents_losing"])
    rows = {r["code"]: r for r in api["neighbourhoods"]}
    for code, gain in by_code.items():
        assert rows[code]["residents_gaining"] == pytest.approx(gain)
    words = _text(text)
    assert f"Proposed: {NEW['name']}" in words and f"Switched off: {removed['name']}" in words
    assert "buddy" in words  # a working model that becomes reachable, in words
    assert not re.search(r"\b60\.17\d+|\b24\.9\d{3,}", words)  # no coordinates shown
    top = max(by_code, key=by_code.get)  # the neighbourhood gaining most is in the table
    assert rows[top]["name"] in words


def test_the_difference_map_marks_proposed_and_switched_off_places(web):
    app, client, path, removed = web
    resp = client.get("/scenario/frame", query_string=_query(removed["id"]))
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "bk-proposed" in body and "bk-removed" in body
    assert f"Switched off: {removed['name']}" in body and "Proposed: Buurthuis Noord" in body
    assert "more residents reach a place" in body and "fewer residents reach a place" in body
    assert "bkScenarioPick" in body  # a click on the map places a proposal


def test_a_proposal_found_by_address_and_problems_said_per_proposal(web):
    app, client, path, removed = web
    resp = client.get("/scenario", query_string={
        "lang": "en", "p1_name": "Inloop", "p1_address": "Annankatu 14", "p1_model": "peer",
        "p2_name": "Nergens", "p2_address": "Qwxzstraat 99", "p2_model": "peer",
        "p3_name": "Uren", "p3_address": "Annankatu", "p3_hours": "maandag tot 5",
        "p3_model": "peer"})
    words = _text(resp.get_data(as_text=True))
    assert resp.status_code == 200
    assert "Proposed: Inloop, Annankatu 14, Helsinki" in words
    assert "We could not find the address “Qwxzstraat 99”" in words
    assert 'value="Qwxzstraat 99"' in resp.get_data(as_text=True)  # what was typed is kept
    assert "We cannot read the opening hours “maandag tot 5”" in words


def test_a_proposal_that_does_not_meet_the_conditions_does_not_count(web):
    app, client, path, removed = web
    q = {"lang": "en", "minutes": "5", "free": "true", "p1_name": "Betalend",
         "p1_lon": str(NEW["lon"]), "p1_lat": str(NEW["lat"]), "p1_model": "peer"}
    words = _text(client.get("/scenario", query_string=q).get_data(as_text=True))
    assert "Betalend does not meet the chosen conditions" in words
    assert _totals(client.get("/scenario", query_string=q).get_data(as_text=True)) == (0, 0)
    q["p1_offers"] = "free"
    gaining, _ = _totals(client.get("/scenario", query_string=q).get_data(as_text=True))
    assert gaining > 0


def _directory(path) -> tuple:
    db = store.connect(path)
    out = tuple(db.execute(f"SELECT * FROM {t} ORDER BY id").fetchall()
                for t in ("places", "activities", "organisations")) + (store.data_version(db),)
    db.conn.close()
    return out


def test_saving_reopening_and_comparing_never_change_the_directory(web):
    app, client, path, removed = web
    before = _directory(path)
    query = _query(removed["id"])
    page = client.get("/scenario", query_string=query).get_data(as_text=True)
    gaining, losing = _totals(page)
    assert "Log in as an editor to save this scenario." in _text(page)
    saved_query = re.search(r'name="query" value="([^"]*)"', page)
    assert saved_query is None  # no save form for visitors
    # visitors cannot save or see saved scenarios
    resp = client.post("/scenario/save", data={"name": "x", "query": "",
                                               "csrf_token": _csrf(client)})
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    _login(client)
    page = client.get("/scenario", query_string=query).get_data(as_text=True)
    stored = html.unescape(re.search(r'name="query" value="([^"]*)"', page).group(1))
    assert client.post("/scenario/save", data={"name": "Noord erbij", "query": stored}
                       ).status_code == 400  # no CSRF token
    resp = client.post("/scenario/save", data={"name": "Noord erbij", "query": stored,
                                               "csrf_token": _csrf(client)})
    assert resp.status_code == 302
    first = resp.headers["Location"]
    reopened = client.get(first + "?lang=en").get_data(as_text=True)
    assert "Scenario: Noord erbij" in _text(reopened)
    assert _totals(reopened) == (gaining, losing)
    only_removed = {k: v for k, v in query.items() if not k.startswith("p1_")}
    page = client.get("/scenario", query_string=only_removed).get_data(as_text=True)
    stored = html.unescape(re.search(r'name="query" value="([^"]*)"', page).group(1))
    second = client.post("/scenario/save", data={"name": "Alleen sluiten", "query": stored,
                                                 "csrf_token": _csrf(client)}
                         ).headers["Location"]
    listing = _text(client.get("/scenarios?lang=en").get_data(as_text=True))
    assert "Noord erbij" in listing and "Alleen sluiten" in listing
    a, b = first.rsplit("/", 1)[1], second.rsplit("/", 1)[1]
    both = client.get(f"/scenario/compare?a={a}&b={b}&lang=en").get_data(as_text=True)
    words = _text(both)
    assert "A: Noord erbij" in words and "B: Alleen sluiten" in words
    assert f"{gaining:,} residents gain a matching place" in words
    assert "0 residents gain a matching place" in words  # B only switches a place off
    assert _directory(path) == before
    # a visitor who is not logged in sees no saved scenario
    client.get("/logout")
    anon = app.test_client()
    assert anon.get(first).status_code == 302 and anon.get("/scenarios").status_code == 302


@pytest.mark.parametrize("query,status,sentence", [
    ("minutes=abc", 400, "“abc” is not a number of minutes from 1 to 120."),
    ("mode=plane", 400, "We do not know the way of travelling “plane”."),
    ("suggest=99", 400, "“99” is not a number of suggested places from 1 to 10."),
    ("p1_name=Ergens&p1_lon=abc&p1_lat=1", 200, "Where? Type an address or click on the map."),
    ("utm_source=x&fbclid=y&remove=abc", 200, "What if? Test a scenario"),
])
def test_odd_input_gets_a_sentence_not_an_error(web, query, status, sentence):
    app, client, path, removed = web
    for url in ("/scenario", "/scenario/frame"):
        resp = client.get(f"{url}?lang=en&{query}")
        assert resp.status_code == status
    assert sentence in _text(client.get(f"/scenario?lang=en&{query}").get_data(as_text=True))


def test_hostile_names_are_text(web):
    app, client, path, removed = web
    q = {**_query(removed["id"]), "p1_name": '<script>alert("x")</script>'}
    for url in ("/scenario", "/scenario/frame"):
        body = client.get(url, query_string=q).get_data(as_text=True)
        assert '<script>alert("x")' not in body


def test_the_page_is_dutch_first(web):
    app, client, path, removed = web
    q = _query(removed["id"])
    q.pop("lang")
    words = _text(client.get("/scenario", query_string=q).get_data(as_text=True))
    assert "Wat als?" in words and "krijgen een passende plek" in words


# ---------------------------------------------------------------- suggested locations
def _line(n=3):
    rows, cols = list(range(n - 1)), list(range(1, n))
    return sparse.csr_matrix((np.full(2 * (n - 1), 1000.0), (rows + cols, cols + rows)),
                             shape=(n, n))


@pytest.mark.parametrize("places,residents,candidates,found,stopped", [
    ([(1, 0)], [("a", 0, 10)], None, 0, "all_reached"),
    ([], [("a", 0, 10), ("b", 2, 5)], None, 2, "all_reached_now"),
    ([], [("a", 0, 10), ("b", 2, 5)], [0], 1, "candidates_exhausted"),
    ([], [("a", 0, 10), ("b", 2, 5)], [1], 0, "no_gain"),
])
def test_best_locations_say_why_fewer_than_asked(places, residents, candidates, found, stopped):
    picks = coverage.best_locations(
        _line(), pd.DataFrame([(i, n, [], np.nan) for i, n in places],
                              columns=["id", "node", "models", "capacity"]),
        pd.DataFrame(residents, columns=["code", "node", "population"]), k=5, minutes=1,
        candidates=candidates)
    assert len(picks) == found
    assert picks.attrs == {"asked": 5, "stopped": stopped,
                           "candidates": 2 if candidates is None and not places else
                           (len(candidates) if candidates else 0)}


def test_suggestions_are_explained_in_the_api_the_legend_and_the_page(web):
    app, client, path, removed = web
    api = client.get("/api/best-locations?k=20&minutes=15").get_json()
    assert api["asked"] == 20 and api["found"] == len(api["features"]) < 20
    assert api["stopped"] in ("all_reached_now", "no_gain", "candidates_exhausted")
    assert api["reason"].startswith("Fewer than asked")
    first = api["features"][0]["properties"]
    assert first["neighbourhood_name"] and first["residents_newly_covered"] > 0
    assert first["need_index"] is not None
    frame = client.get("/kaart/frame?indicator=coverage&minutes=15&best=20&lang=en"
                       ).get_data(as_text=True)
    assert f"20 locations asked, {api['found']} found." in frame
    assert "white circle: a suggested location for a new place" in frame
    assert "bk-wrap" in frame  # the tooltip wraps inside the map instead of running off it
    page = client.get("/scenario?lang=en&minutes=15&suggest=3").get_data(as_text=True)
    words = _text(page)
    assert f"3 locations asked, {min(3, api['found'])} found." in words
    assert first["neighbourhood_name"] in words
    assert "Add as a proposed place" in words
    add = html.unescape(re.search(r'href="([^"]*)">Add as a proposed place', page).group(1))
    gaining, losing = _totals(client.get(add + "&lang=en").get_data(as_text=True))
    assert gaining == round(first["residents_newly_covered"]) and losing == 0
