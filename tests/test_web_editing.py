"""Editing through the web: login, forms, CSRF, history and undo, roles, the write API."""

from __future__ import annotations

import re

import pytest

from buurtkaart import accounts, editing, store
from buurtkaart.records import validate_organisation

PASSWORD = "correct horse battery"
HOSTILE = '<script>alert("x")</script>&"\'><img src=x onerror=alert(1)>'


@pytest.fixture
def setup(app):
    with app.app_context():
        from buurtkaart.web.db import get_db

        db = get_db()
        north, _ = validate_organisation({"name": "Buurtwerk Noord"})
        south, _ = validate_organisation({"name": "Inloop Zuid"})
        store.save_directory(db, organisations=[north, south])
        admin = accounts.create_user(db, "admin@stad.be", PASSWORD, role="admin")
        editor = accounts.create_user(db, "noord@buurtwerk.be", PASSWORD,
                                      organisation_uid=north["uid"])
        other = accounts.create_user(db, "zuid@inloop.be", PASSWORD,
                                     organisation_uid=south["uid"])
        tokens = {u["email"]: accounts.create_token(db, u["id"]) for u in (admin, editor, other)}
    return {"north": north, "south": south, "tokens": tokens}


def _csrf(client) -> str:
    with client.session_transaction() as s:
        s.setdefault("csrf", "test-token")
        return s["csrf"]


def login(client, email, password=PASSWORD):
    return client.post("/login", data={"email": email, "password": password,
                                       "csrf_token": _csrf(client)})


PLACE_FORM = {"name": "Buurthuis De Kring", "kind": "community_house", "street": "Kerkstraat 1",
              "postcode": "9000", "city": "Gent", "lon": "3.7250", "lat": "51.0540",
              "opening_hours": "Mo-Fr 09:00-17:00", "wheelchair": "yes", "description": "",
              "url": "", "phone": "", "email": "", "capacity": "", "last_verified": ""}


def test_editing_pages_need_a_login(client, setup):
    resp = client.get("/admin/")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    assert client.get("/admin/places/new").status_code == 302


def test_wrong_password_is_refused(client, setup):
    resp = login(client, "admin@stad.be", "not the password")
    assert resp.status_code == 401
    assert b"password is wrong" in resp.data
    assert client.get("/admin/").status_code == 302


def test_forms_without_a_csrf_token_are_refused(client, setup):
    resp = client.post("/login", data={"email": "admin@stad.be", "password": PASSWORD})
    assert resp.status_code == 400 and b"CSRF" in resp.data
    login(client, "admin@stad.be")
    resp = client.post("/admin/places/new", data=PLACE_FORM)  # no token
    assert resp.status_code == 400
    assert client.get("/api/places").get_json()["features"] == []


def test_login_redirect_never_leaves_the_site(client, setup):
    resp = client.post("/login?next=//evil.example/steal",
                       data={"email": "admin@stad.be", "password": PASSWORD,
                             "csrf_token": _csrf(client)})
    assert resp.status_code == 302
    assert resp.headers["Location"] == "/admin/"


def test_editor_creates_a_place_sees_it_on_the_api_and_undoes_it(client, setup):
    login(client, "noord@buurtwerk.be")
    resp = client.post("/admin/places/new", data={**PLACE_FORM, "csrf_token": _csrf(client)})
    assert resp.status_code == 302
    [feature] = client.get("/api/places").get_json()["features"]
    assert feature["properties"]["name"] == "Buurthuis De Kring"

    edit_url = resp.headers["Location"]
    page = client.get(edit_url)
    assert page.status_code == 200 and b"History" in page.data
    change = re.search(rb"/admin/history/(\d+)/undo", page.data).group(1).decode()
    resp = client.post(f"/admin/history/{change}/undo", data={"csrf_token": _csrf(client)})
    assert resp.status_code == 302
    assert client.get("/api/places").get_json()["features"] == []


def test_invalid_form_shows_each_problem_and_saves_nothing(client, setup):
    login(client, "admin@stad.be")
    bad = {**PLACE_FORM, "opening_hours": "elke dag", "lat": "999", "email": "nee",
           "csrf_token": _csrf(client)}
    resp = client.post("/admin/places/new", data=bad)
    assert resp.status_code == 400
    text = resp.get_data(as_text=True)
    assert "Not saved" in text and "lat" in text and "opening_hours" in text and "email" in text
    assert 'value="elke dag"' in text  # what the user typed is kept
    assert client.get("/api/places").get_json()["features"] == []


def test_hostile_text_is_escaped_on_every_editing_page(client, setup, app):
    login(client, "admin@stad.be")
    resp = client.post("/admin/places/new", data={**PLACE_FORM, "name": HOSTILE,
                                                  "description": HOSTILE, "city": HOSTILE,
                                                  "csrf_token": _csrf(client)})
    assert resp.status_code == 302
    for url in (resp.headers["Location"], "/admin/", "/admin/history", "/admin/activities/new"):
        body = client.get(url).get_data(as_text=True)
        assert "<script>alert" not in body and "<img src=x" not in body, url
    assert "&lt;script&gt;" in client.get(resp.headers["Location"]).get_data(as_text=True)


def test_editor_may_not_edit_another_organisations_place(client, setup, app):
    with app.app_context():
        from buurtkaart.web.db import get_db

        admin = accounts.authenticate(get_db(), "admin@stad.be", PASSWORD)
        place = editing.save(get_db(), admin, "place",
                             {**PLACE_FORM, "organisation_uid": setup["south"]["uid"]})
    login(client, "noord@buurtwerk.be")
    assert client.get(f"/admin/places/{place['uid']}").status_code == 403
    resp = client.post(f"/admin/places/{place['uid']}/archive", data={"csrf_token": _csrf(client)})
    assert resp.status_code == 403


def test_only_admins_manage_accounts(client, setup):
    login(client, "noord@buurtwerk.be")
    assert client.get("/admin/users").status_code == 403
    client.post("/logout", data={"csrf_token": _csrf(client)})
    login(client, "admin@stad.be")
    resp = client.post("/admin/users", data={"email": "nieuw@stad.be", "password": "kort",
                                             "role": "admin", "csrf_token": _csrf(client)})
    assert resp.status_code == 400 and b"password" in resp.data
    resp = client.post("/admin/users", data={"email": "nieuw@stad.be", "password": PASSWORD,
                                             "role": "admin", "csrf_token": _csrf(client)})
    assert resp.status_code == 302
    assert b"nieuw@stad.be" in client.get("/admin/users").data


def test_logout_ends_the_session(client, setup):
    login(client, "admin@stad.be")
    assert client.get("/admin/").status_code == 200
    client.post("/logout", data={"csrf_token": _csrf(client)})
    assert client.get("/admin/").status_code == 302


def test_login_is_rate_limited(app, setup):
    app.config["RATE_LIMITS"] = {"login": (3, 60), "write": (100, 60)}
    client = app.test_client()
    codes = [login(client, "admin@stad.be", "wrong wrong wrong").status_code for _ in range(5)]
    assert codes[:3] == [401, 401, 401] and codes[3:] == [429, 429]
    assert login(client, "admin@stad.be").status_code == 429  # even the right password waits


# ---------------------------------------------------------------- write API
def _auth(setup, email):
    return {"Authorization": f"Bearer {setup['tokens'][email]}"}


API_PLACE = {"name": "Inloopcentrum 't Pleintje", "kind": "drop_in_centre", "lon": 3.71,
             "lat": 51.05, "opening_hours": "Tu,Th 13:00-17:00"}


def test_write_api_needs_a_valid_token(client, setup):
    resp = client.post("/api/places", json=API_PLACE)
    assert resp.status_code == 401
    body = resp.get_json()
    assert body["ok"] is False and body["status"] == 401 and "token" in body["error"]
    resp = client.post("/api/places", json=API_PLACE, headers={"Authorization": "Bearer nope"})
    assert resp.status_code == 401


def test_write_api_creates_updates_archives_and_undoes(client, setup):
    h = _auth(setup, "noord@buurtwerk.be")
    resp = client.post("/api/places", json=API_PLACE, headers=h)
    assert resp.status_code == 201
    uid = resp.get_json()["record"]["uid"]
    assert resp.headers["Location"].endswith(f"/api/places/by-uid/{uid}")
    resp = client.post("/api/activities", headers=h, json={
        "name": "Praatgroep", "place_uid": uid, "models": ["peer"],
        "sessions": ["Th 14:00-16:00"], "cost_amount": 0, "walk_in": True})
    assert resp.status_code == 201, resp.get_json()
    assert [f["properties"]["name"] for f in
            client.get("/api/activities?free=true").get_json()["features"]] == ["Praatgroep"]

    resp = client.patch(f"/api/places/by-uid/{uid}", json={"wheelchair": "limited"}, headers=h)
    assert resp.status_code == 200 and resp.get_json()["record"]["wheelchair"] == "limited"
    assert client.post(f"/api/places/by-uid/{uid}/archive", headers=h).status_code == 200
    assert client.get("/api/places").get_json()["features"] == []

    changes = client.get("/api/changes", headers=h).get_json()["changes"]
    assert changes[0]["action"] == "archive"
    assert client.post(f"/api/changes/{changes[0]['id']}/undo", headers=h).status_code == 200
    [feature] = client.get("/api/places").get_json()["features"]
    assert feature["properties"]["wheelchair"] == "limited"


@pytest.mark.parametrize("body,name", [
    ({**API_PLACE, "colour": "red"}, "colour"),
    ([1, 2, 3], "body"),
])
def test_write_api_refuses_unknown_fields_and_non_objects(client, setup, body, name):
    resp = client.post("/api/places", json=body, headers=_auth(setup, "admin@stad.be"))
    assert resp.status_code == 400
    assert resp.get_json()["parameter"] == name


def test_write_api_reports_every_invalid_field(client, setup):
    resp = client.post("/api/places", json={**API_PLACE, "lat": "north", "kind": "castle"},
                       headers=_auth(setup, "admin@stad.be"))
    assert resp.status_code == 400
    body = resp.get_json()
    problems = " ".join(body["problems"])
    assert "'lat'" in problems and "'kind'" in problems
    assert body["parameter"] in ("lat", "kind")  # the first field at fault


@pytest.mark.parametrize("sessions, words", [
    (123, "expected text such as 'Tu 18:00-20:00"),
    ([7], "session 1 is not an object with weekday, start and end"),
    ("Xx 10:00-11:00", "Xx")])
def test_write_api_explains_malformed_sessions(client, setup, sessions, words):
    resp = client.post("/api/activities", headers=_auth(setup, "admin@stad.be"), json={
        "name": "Praatgroep", "models": ["peer"], "sessions": sessions})
    body = resp.get_json()
    assert resp.status_code == 400 and body["parameter"] == "sessions"
    assert words in " ".join(body["problems"])
    assert "not iterable" not in body["error"]


def test_writes_are_rate_limited(app, setup):
    app.config["RATE_LIMITS"] = {"login": (100, 60), "write": (3, 60)}
    client = app.test_client()
    h = _auth(setup, "noord@buurtwerk.be")
    codes = [client.post("/api/places", headers=h, json={**API_PLACE, "name": f"Plek {i}"}
                         ).status_code for i in range(5)]
    assert codes == [201, 201, 201, 429, 429]
    body = client.post("/api/places", headers=h, json=API_PLACE).get_json()
    assert body["status"] == 429 and body["ok"] is False
    assert len(client.get("/api/places").get_json()["features"]) == 3


def test_editors_see_only_their_own_organisations_changes(client, setup):
    north_uid = client.post("/api/places", json=API_PLACE, headers=_auth(
        setup, "noord@buurtwerk.be")).get_json()["record"]["uid"]
    south_uid = client.post("/api/places", json={**API_PLACE, "name": "Zuidpunt"}, headers=_auth(
        setup, "zuid@inloop.be")).get_json()["record"]["uid"]

    def seen(email):
        changes = client.get("/api/changes", headers=_auth(setup, email)).get_json()["changes"]
        return {c["entity_uid"] for c in changes}, {c["email"] for c in changes}

    assert seen("noord@buurtwerk.be") == ({north_uid}, {"noord@buurtwerk.be"})
    assert seen("zuid@inloop.be") == ({south_uid}, {"zuid@inloop.be"})
    assert seen("admin@stad.be")[0] == {north_uid, south_uid}
    login(client, "noord@buurtwerk.be")
    for page in ("/admin/", "/admin/history"):
        html = client.get(page).get_data(as_text=True)
        assert "zuid@inloop.be" not in html and "Zuidpunt" not in html, page


def test_write_api_forbids_other_organisations_records(client, setup):
    uid = client.post("/api/places", json=API_PLACE,
                      headers=_auth(setup, "noord@buurtwerk.be")).get_json()["record"]["uid"]
    resp = client.patch(f"/api/places/by-uid/{uid}", json={"name": "Gekaapt"},
                        headers=_auth(setup, "zuid@inloop.be"))
    assert resp.status_code == 403 and resp.get_json()["ok"] is False


def test_the_cached_map_shows_an_edit_at_once(client, setup):
    login(client, "admin@stad.be")
    resp = client.post("/admin/places/new", data={**PLACE_FORM, "csrf_token": _csrf(client)})
    uid = resp.headers["Location"].rsplit("/", 1)[1]
    assert "Buurthuis De Kring" in client.get("/kaart/frame").get_data(as_text=True)
    client.post(f"/admin/places/{uid}", data={**PLACE_FORM, "name": "De Kring (nieuw adres)",
                                              "csrf_token": _csrf(client)})
    frame = client.get("/kaart/frame").get_data(as_text=True)
    assert "De Kring (nieuw adres)" in frame


def test_admin_imports_an_uploaded_file_or_nothing(client, setup, app):
    import io

    login(client, "noord@buurtwerk.be")
    assert client.get("/admin/import").status_code == 403  # editors do not import
    client.post("/logout", data={"csrf_token": _csrf(client)})
    login(client, "admin@stad.be")
    good = ("place_name;lon;lat;activity_name;models;cost\n"
            "Buurthuis Oost;3,73;51,05;Soep;organisation;gratis\n")
    bad = good + "Kapot;abc;51,05;X;peer;gratis\n"
    resp = client.post("/admin/import", data={
        "kind": "places", "csrf_token": _csrf(client),
        "file": (io.BytesIO(bad.encode()), "../../etc/aanbod.csv")},
        content_type="multipart/form-data")
    body = resp.get_data(as_text=True)
    assert resp.status_code == 400 and "Nothing was imported" in body
    assert "etc_aanbod.csv, row 3, field &#39;lon&#39;" in body  # the name, made safe
    assert client.get("/api/places").get_json()["features"] == []
    resp = client.post("/admin/import", data={
        "kind": "places", "csrf_token": _csrf(client),
        "file": (io.BytesIO(good.encode()), "aanbod.csv")}, content_type="multipart/form-data")
    assert resp.status_code == 200 and "Imported 1 places" in resp.get_data(as_text=True)
    assert [f["properties"]["name"] for f in client.get("/api/places").get_json()["features"]] \
        == ["Buurthuis Oost"]
    resp = client.post("/admin/import", data={
        "kind": "places", "csrf_token": _csrf(client),
        "file": (io.BytesIO(b"x"), "aanbod.exe")}, content_type="multipart/form-data")
    assert resp.status_code == 400 and b"must end in" in resp.data
    app.config["MAX_CONTENT_LENGTH"] = 2000
    resp = client.post("/admin/import", data={
        "kind": "places", "csrf_token": _csrf(client),
        "file": (io.BytesIO(good.encode() * 200), "groot.csv")}, content_type="multipart/form-data")
    assert resp.status_code == 413


def test_history_pages_show_every_change_once_newest_first(client, app, setup, tmp_path):
    from buurtkaart.importers import import_directory
    from buurtkaart.web.db import get_db

    rows = ["place_name,kind,lon,lat"] + [f"Plek {i:03d},library,3.7{i:03d},51.05"
                                         for i in range(230)]
    (tmp_path / "plekken.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    with app.app_context():
        db = get_db()
        admin = db.execute("SELECT * FROM users WHERE email = 'admin@stad.be'").fetchone()
        import_directory(db, tmp_path / "plekken.csv",
                         account={"id": admin[0], "email": "admin@stad.be", "role": "admin"})
    login(client, "admin@stad.be")
    seen, url, pages = [], "/admin/history", 0
    while url:
        page = client.get(url).get_data(as_text=True)
        pages += 1
        names = re.findall(r"“(Plek \d{3})”", page)
        assert len(names) == (100 if pages < 3 else 30), (url, len(names))
        seen += names
        nxt = re.search(r'href="([^"]*/admin/history\?page=\d+)">next', page)
        url = nxt.group(1).replace("&amp;", "&") if nxt else None
    assert pages == 3
    assert len(seen) == len(set(seen)) == 230  # every change once
    assert seen == sorted(seen, reverse=True)  # newest first: imported in order 000..229
