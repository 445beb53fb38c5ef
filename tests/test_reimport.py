"""A re-import keeps what editors changed since the last import of that source, and is audited.

The issue's case: an editor's description, hours and phone on an OpenStreetMap
place were set to NULL by ``buurtkaart import osm`` again, with no audit entry.
"""

from __future__ import annotations

import io

import pyrosm
from test_web_editing import _auth, _csrf, login, setup  # noqa: F401

from buurtkaart.cli import main

EDIT = {"description": "Koffie en een luisterend oor, ook zonder afspraak",
        "opening_hours": "Mo-Fr 10:00-16:00", "phone": "+358 9 123 4567"}


def _osm_place(client):
    """A place the extract gives without description, phone and hours."""
    for f in client.get("/api/places?limit=500").get_json()["features"]:
        p = f["properties"]
        if not (p.get("description") or p.get("phone") or p.get("opening_hours")):
            return p["uid"]
    raise AssertionError("every place in the extract has a description, phone or hours")


def _record(client, uid):
    return client.get(f"/api/places/by-uid/{uid}").get_json()["record"]


def test_reimporting_osm_keeps_an_editors_fields_and_lists_the_conflicts(
        client, setup, runner):
    pbf = pyrosm.get_data("helsinki_pbf")
    assert runner.invoke(main, ["import", "osm", pbf]).exit_code == 0
    uid = _osm_place(client)
    headers = _auth(setup, "admin@stad.be")
    assert client.patch(f"/api/places/by-uid/{uid}", json=EDIT, headers=headers).status_code == 200

    result = runner.invoke(main, ["import", "osm", pbf])
    assert result.exit_code == 0, result.output
    assert {k: _record(client, uid)[k] for k in EDIT} == EDIT
    conflicts = [line for line in result.output.splitlines() if line.startswith("conflict:")]
    assert len(conflicts) == 3 and all(uid in line for line in conflicts)
    assert {f for f in EDIT if any(f"'{f}'" in line for line in conflicts)} == set(EDIT)
    assert "3 edit conflicts (edits kept)" in result.output

    # the editor's changes stay newest until the next import of this source overwrites them
    result = runner.invoke(main, ["import", "osm", pbf, "--overwrite-edits"])
    assert result.exit_code == 0, result.output
    assert {k: _record(client, uid)[k] for k in EDIT} == dict.fromkeys(EDIT)
    changes = client.get("/api/changes", headers=headers).get_json()["changes"]
    entry = next(c for c in changes if c["entity_uid"] == uid and c["import_id"])  # newest
    assert entry["action"] == "update"
    assert entry["import_source"] == "osm" and entry["import_file"] == pbf
    assert {k: entry["before"][k] for k in EDIT} == EDIT
    # undo brings the edits back
    assert client.post(f"/api/changes/{entry['id']}/undo", headers=headers).status_code == 200
    assert {k: _record(client, uid)[k] for k in EDIT} == EDIT

    # the undo is an editor's change after that import: the next import keeps it again
    result = runner.invoke(main, ["import", "osm", pbf])
    assert result.exit_code == 0 and "3 edit conflicts (edits kept)" in result.output
    assert {k: _record(client, uid)[k] for k in EDIT} == EDIT


CSV = ("place_uid,place_name,kind,lon,lat,place_phone,activity_uid,activity_name,models,sessions\n"
       "kring,Buurthuis De Kring,community_house,3.725,51.054,,soep,Soep op dinsdag,peer,"
       "Tu 12:00-14:00\n")


def _upload(client, text, **extra):
    return client.post("/admin/import", data={
        "kind": "places", "csrf_token": _csrf(client), **extra,
        "file": (io.BytesIO(text.encode()), "aanbod.csv")}, content_type="multipart/form-data")


def test_the_web_import_page_keeps_edits_lists_conflicts_and_audits_changes(client, setup):
    login(client, "admin@stad.be")
    assert _upload(client, CSV).status_code == 200
    headers = _auth(setup, "admin@stad.be")
    client.patch("/api/places/by-uid/kring", json={"phone": "09 223 34 45"}, headers=headers)
    client.patch("/api/activities/by-uid/soep", json={"sessions": ["Tu 12:00-13:30"]},
                 headers=headers)
    renamed = CSV.replace("Buurthuis De Kring", "Buurthuis De Kring vzw")
    resp = _upload(client, renamed)
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "2 fields edited after the last import" in page
    assert "kring (Buurthuis De Kring): field &#39;phone&#39;" in page
    assert "soep (Soep op dinsdag): field &#39;sessions&#39;" in page
    place = _record(client, "kring")
    assert place["name"] == "Buurthuis De Kring vzw" and place["phone"] == "09 223 34 45"
    sessions = client.get("/api/activities/by-uid/soep").get_json()["record"]["sessions"]
    assert sessions == "Tu 12:00-13:30"
    changes = client.get("/api/changes", headers=headers).get_json()["changes"]
    assert [(c["entity_uid"], c["action"], c["import_source"], c["email"])
            for c in changes if c["import_id"]][:1] == [("kring", "update", "csv",
                                                         "admin@stad.be")]
    history = client.get("/admin/history").get_data(as_text=True)
    assert "by the csv import of aanbod.csv" in history

    # the kept edits stay kept at the next import too
    resp = _upload(client, renamed.replace("De Kring vzw", "De Kring (nieuw)"))
    assert resp.status_code == 200 and "2 fields edited" in resp.get_data(as_text=True)
    assert _record(client, "kring")["phone"] == "09 223 34 45"

    resp = _upload(client, renamed, overwrite_edits="1")
    assert resp.status_code == 200 and "the file&#39;s values taken" in resp.get_data(as_text=True)
    assert _record(client, "kring")["phone"] is None
