"""Archived places and activities are gone for the public on every read path, and still
there for the editors who may restore them."""

from __future__ import annotations

import pytest
from test_web_editing import API_PLACE, _auth, login, setup  # noqa: F401

from buurtkaart.cli import main
from buurtkaart.importers.hsds import hsds_id

SECRET = "Verborgen Buurthuis"
GONE_ACTIVITY = "Gesloten Praatgroep"
MARK = "Zichtbare Naaiclub"  # stays public, so every path is shown to work at all


@pytest.fixture
def archived(client, setup):
    h = _auth(setup, "noord@buurtwerk.be")
    place = client.post("/api/places", headers=h, json={**API_PLACE, "name": SECRET}
                        ).get_json()["record"]
    live = client.post("/api/places", headers=h, json={**API_PLACE, "name": "Open Huis",
                                                        "lon": 3.72}).get_json()["record"]
    at_place = client.post("/api/activities", headers=h, json={
        "name": "Koffie in het verborgen huis", "place_uid": place["uid"], "models": ["peer"],
        "sessions": ["Th 14:00-16:00"]}).get_json()["record"]
    gone = client.post("/api/activities", headers=h, json={
        "name": GONE_ACTIVITY, "place_uid": live["uid"], "models": ["peer"],
        "sessions": ["Tu 10:00-12:00"]}).get_json()["record"]
    mark = client.post("/api/activities", headers=h, json={
        "name": MARK, "place_uid": live["uid"], "models": ["peer"],
        "sessions": ["We 10:00-12:00"]}).get_json()["record"]
    assert client.post(f"/api/places/by-uid/{place['uid']}/archive", headers=h).status_code == 200
    assert client.post(f"/api/activities/by-uid/{gone['uid']}/archive",
                       headers=h).status_code == 200
    return {"place": place, "at_place": at_place, "gone": gone, "mark": mark}


def _ids(client, archived):
    """Numeric ids of the archived records, read from the database."""
    from buurtkaart import store
    from buurtkaart.web.db import get_db

    with client.application.app_context():
        db = get_db()
        pid = db.execute("SELECT id FROM places WHERE uid = ?", [archived["place"]["uid"]]
                         ).fetchone()[0]
        aid = db.execute("SELECT id FROM activities WHERE uid = ?", [archived["gone"]["uid"]]
                         ).fetchone()[0]
        at_place = db.execute("SELECT id FROM activities WHERE uid = ?",
                              [archived["at_place"]["uid"]]).fetchone()[0]
        assert store.place(db, pid)["archived_at"]
    return pid, aid, at_place


def test_archived_records_answer_404_on_every_public_path(client, archived):
    pid, aid, at_place = _ids(client, archived)
    puid, auid = archived["place"]["uid"], archived["gone"]["uid"]
    for url in (f"/api/places/by-uid/{puid}", f"/api/activities/by-uid/{auid}",
                f"/api/activities/by-uid/{archived['at_place']['uid']}",
                f"/api/places/{pid}", f"/api/activities/{aid}", f"/api/activities/{at_place}",
                f"/places/{pid}", f"/places/{pid}/kaart", f"/activities/{aid}",
                f"/activities/{at_place}", f"/api/isochrone?place={pid}",
                f"/kaart/frame?isochrone={pid}"):
        resp = client.get(url)
        assert resp.status_code == 404, url
        text = resp.get_data(as_text=True)
        assert SECRET not in text and GONE_ACTIVITY not in text, url
    # lists, maps, the HSDS API: the live records are there, the archived ones are not
    for url in ("/api/places", "/api/activities", "/places", "/activities", "/kaart/frame",
                "/api/hsds/services", "/api/hsds/service_at_locations"):
        text = client.get(url).get_data(as_text=True)
        assert MARK in text or "Open Huis" in text, url
        assert SECRET not in text and GONE_ACTIVITY not in text, url
    services = client.get("/api/hsds/services?per_page=500").get_json()["contents"]
    for svc in services:
        assert client.get(f"/api/hsds/services/{svc['id']}").status_code == 200
    assert {s["name"] for s in services} == {MARK}
    for uid in (auid, archived["at_place"]["uid"]):
        assert client.get(f"/api/hsds/services/{hsds_id(uid)}").status_code == 404


@pytest.mark.parametrize("fmt", ["geojson", "csv", "hsds"])
def test_exports_leave_archived_records_out(runner, archived, tmp_path, fmt):
    out = tmp_path / f"export.{fmt}"
    assert runner.invoke(main, ["export", fmt, str(out)]).exit_code == 0
    text = out.read_text(encoding="utf-8")
    assert MARK in text and SECRET not in text and GONE_ACTIVITY not in text


def test_editors_still_see_archived_records_where_they_restore_them(client, setup, archived):
    puid = archived["place"]["uid"]
    mine = client.get(f"/api/places/by-uid/{puid}", headers=_auth(setup, "noord@buurtwerk.be"))
    assert mine.status_code == 200 and mine.get_json()["record"]["archived_at"]
    admin = client.get(f"/api/places/by-uid/{puid}", headers=_auth(setup, "admin@stad.be"))
    assert admin.status_code == 200
    # an editor of another organisation is the public here
    other = client.get(f"/api/places/by-uid/{puid}", headers=_auth(setup, "zuid@inloop.be"))
    assert other.status_code == 404
    bad = client.get(f"/api/places/by-uid/{puid}", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 404
    login(client, "noord@buurtwerk.be")
    page = client.get(f"/admin/places/{puid}")
    assert page.status_code == 200 and SECRET in page.get_data(as_text=True)
    # so is an activity at an archived place
    at_place = f"/api/activities/by-uid/{archived['at_place']['uid']}"
    assert client.get(at_place, headers=_auth(setup, "noord@buurtwerk.be")).status_code == 200
    assert client.get(at_place, headers=_auth(setup, "zuid@inloop.be")).status_code == 404
    # a live record stays readable for everyone
    assert client.get(f"/api/activities/by-uid/{archived['mark']['uid']}").status_code == 200
