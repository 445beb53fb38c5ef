"""Sessions and API tokens can be ended: logout, disabled accounts, revoked and expired tokens."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from test_web_editing import API_PLACE, PASSWORD, _auth, _csrf, login, setup  # noqa: F401

from buurtkaart import store
from buurtkaart.cli import main


def _cookie(client) -> str:
    return client.get_cookie("session").value


def _browser(app):
    """Another browser, asking for the English pages these tests read."""
    c = app.test_client()
    c.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return c


def _replay(app, cookie: str):
    """A fresh browser that only has the stolen cookie."""
    other = app.test_client()
    other.set_cookie("session", cookie)
    return other.get("/admin/")


def test_cookie_replayed_after_logout_is_refused(app, client, setup):
    assert login(client, "admin@stad.be").status_code == 302
    stolen = _cookie(client)
    assert _replay(app, stolen).status_code == 200  # the cookie works while logged in
    client.post("/logout", data={"csrf_token": _csrf(client)})
    resp = _replay(app, stolen)
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_password_change_ends_earlier_sessions(app, client, setup, runner):
    login(client, "noord@buurtwerk.be")
    stolen = _cookie(client)
    result = runner.invoke(main, ["users", "password", "noord@buurtwerk.be", "--password-stdin"],
                           input="a brand new passphrase\n")
    assert result.exit_code == 0, result.output
    assert _replay(app, stolen).status_code == 302
    assert client.get("/admin/").status_code == 302
    assert login(client, "noord@buurtwerk.be", "a brand new passphrase").status_code == 302


def test_disabled_account_cannot_log_in_nor_use_a_token(app, client, setup, runner):
    login(client, "noord@buurtwerk.be")
    stolen = _cookie(client)
    result = runner.invoke(main, ["users", "disable", "noord@buurtwerk.be"])
    assert result.exit_code == 0 and "disabled noord@buurtwerk.be" in result.output
    assert _replay(app, stolen).status_code == 302
    fresh = _browser(app)
    resp = login(fresh, "noord@buurtwerk.be")
    assert resp.status_code == 401 and b"disabled" in resp.data
    resp = client.post("/api/places", json=API_PLACE, headers=_auth(setup, "noord@buurtwerk.be"))
    assert resp.status_code == 401 and "disabled" in resp.get_json()["error"]
    assert "(disabled)" in runner.invoke(main, ["users", "list"]).output

    assert runner.invoke(main, ["users", "enable", "noord@buurtwerk.be"]).exit_code == 0
    assert login(fresh, "noord@buurtwerk.be").status_code == 302
    resp = client.post("/api/places", json=API_PLACE, headers=_auth(setup, "noord@buurtwerk.be"))
    assert resp.status_code == 201


def test_unknown_account_is_named_by_disable(runner, setup):
    result = runner.invoke(main, ["users", "disable", "niemand@stad.be"])
    assert result.exit_code == 1 and "niemand@stad.be" in result.stderr


def _token_lines(runner, email) -> list[str]:
    result = runner.invoke(main, ["users", "tokens", email])
    assert result.exit_code == 0, result.output
    return result.output.strip().splitlines()


def test_tokens_are_listed_without_secret_and_revoked_by_name(client, runner, db_path, setup):
    result = runner.invoke(main, ["users", "token", "admin@stad.be", "--name", "sync script"])
    assert result.exit_code == 0
    secret = result.output.strip().splitlines()[0]
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/changes", headers=headers).status_code == 200

    lines = _token_lines(runner, "admin@stad.be")
    assert lines[0].split("\t") == ["id", "name", "created", "last used", "expires", "revoked"]
    [row] = [line.split("\t") for line in lines[1:] if "sync script" in line]
    today = dt.datetime.now(dt.timezone.utc).date()
    assert row[2].startswith(today.isoformat()) and row[3].startswith(today.isoformat())
    assert row[4].startswith((today + dt.timedelta(days=90)).isoformat())  # default expiry
    assert row[5] == "-"
    assert secret not in "\n".join(lines) and setup["tokens"]["admin@stad.be"] not in lines

    result = runner.invoke(main, ["users", "revoke", "admin@stad.be", "sync script"])
    assert result.exit_code == 0 and "revoked" in result.output
    resp = client.get("/api/changes", headers=headers)
    assert resp.status_code == 401
    body = resp.get_json()
    assert body["ok"] is False and "revoked" in body["error"]
    [row] = [line.split("\t") for line in _token_lines(runner, "admin@stad.be")[1:]
             if "sync script" in line]
    assert row[5].startswith(today.isoformat())
    # the other token of the account still works
    assert client.get("/api/changes", headers=_auth(setup, "admin@stad.be")).status_code == 200
    # revoking by id; an unknown name is named
    token_id = [line.split("\t")[0] for line in _token_lines(runner, "admin@stad.be")[1:]
                if "sync script" not in line][0]
    assert runner.invoke(main, ["users", "revoke", "admin@stad.be", token_id]).exit_code == 0
    assert client.get("/api/changes", headers=_auth(setup, "admin@stad.be")).status_code == 401
    result = runner.invoke(main, ["users", "revoke", "admin@stad.be", "no such token"])
    assert result.exit_code == 1 and "no such token" in result.stderr


def test_expired_token_answers_401_saying_so(client, runner, db_path, setup):
    result = runner.invoke(main, ["users", "token", "admin@stad.be", "--name", "kort",
                                  "--expires-days", "7"])
    assert result.exit_code == 0
    secret = result.output.strip().splitlines()[0]
    in_a_week = (dt.datetime.now(dt.timezone.utc).date() + dt.timedelta(days=7)).isoformat()
    assert in_a_week in result.output  # the expiry is told when the token is made
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/changes", headers=headers).status_code == 200
    # eight days later (the stored expiry moved into the past)
    db = store.connect(db_path)
    past = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=1)).isoformat(timespec="seconds")
    db.execute("UPDATE api_tokens SET expires_at = ? WHERE name = 'kort'", [past])
    db.conn.close()
    resp = client.post("/api/places", json=API_PLACE, headers=headers)
    assert resp.status_code == 401 and "expired" in resp.get_json()["error"]
    assert runner.invoke(main, ["users", "token", "admin@stad.be", "--expires-days",
                                "0"]).exit_code == 2


# ---------------------------------------------------------------- admin pages
def _user_id(client, email) -> str:
    page = client.get("/admin/users").get_data(as_text=True)
    m = re.search(r'action="/admin/users/(\d+)/(?:disable|enable)"[^<]*<input[^>]*>'
                  r'[^<]*<button[^>]*data-email="' + re.escape(email) + '"', page)
    assert m, page
    return m.group(1)


def test_admin_disables_and_enables_an_account_in_the_pages(app, client, setup):
    editor = _browser(app)
    login(editor, "noord@buurtwerk.be")
    login(client, "admin@stad.be")
    uid = _user_id(client, "noord@buurtwerk.be")
    resp = client.post(f"/admin/users/{uid}/disable", data={"csrf_token": _csrf(client)})
    assert resp.status_code == 302
    assert "disabled" in client.get("/admin/users").get_data(as_text=True)
    assert editor.get("/admin/").status_code == 302
    assert client.post("/api/places", json=API_PLACE,
                       headers=_auth(setup, "noord@buurtwerk.be")).status_code == 401
    client.post(f"/admin/users/{uid}/enable", data={"csrf_token": _csrf(client)})
    assert login(editor, "noord@buurtwerk.be").status_code == 302
    # an admin cannot lock themselves out
    me = _user_id(client, "admin@stad.be")
    resp = client.post(f"/admin/users/{me}/disable", data={"csrf_token": _csrf(client)})
    assert resp.status_code == 400 and b"your own account" in resp.data
    # editors may not disable anyone
    resp = editor.post(f"/admin/users/{me}/disable", data={"csrf_token": _csrf(editor)})
    assert resp.status_code == 403


def _token_ids(page: str) -> list[str]:
    return re.findall(r'action="/admin/tokens/(\d+)/revoke"', page)


def test_users_see_and_revoke_their_own_tokens_and_admins_anyones(app, client, setup):
    editor = _browser(app)
    login(editor, "noord@buurtwerk.be")
    page = editor.get("/admin/tokens").get_data(as_text=True)
    assert page.count("<tr") == 2  # heading and the editor's one token
    assert setup["tokens"]["noord@buurtwerk.be"] not in page
    [own] = _token_ids(page)
    # another account's token cannot be revoked by an editor
    login(client, "admin@stad.be")
    [admins] = _token_ids(client.get("/admin/tokens").get_data(as_text=True))
    resp = editor.post(f"/admin/tokens/{admins}/revoke", data={"csrf_token": _csrf(editor)})
    assert resp.status_code == 403
    assert client.get("/api/changes", headers=_auth(setup, "admin@stad.be")).status_code == 200
    # own token
    assert editor.post(f"/admin/tokens/{own}/revoke",
                       data={"csrf_token": _csrf(editor)}).status_code == 302
    assert client.post("/api/places", json=API_PLACE,
                       headers=_auth(setup, "noord@buurtwerk.be")).status_code == 401
    assert "revoked" in editor.get("/admin/tokens").get_data(as_text=True)
    # an admin revokes another account's token from that account's token page
    other = _user_id(client, "zuid@inloop.be")
    page = client.get(f"/admin/users/{other}/tokens").get_data(as_text=True)
    [theirs] = _token_ids(page)
    assert client.post(f"/admin/tokens/{theirs}/revoke",
                       data={"csrf_token": _csrf(client)}).status_code == 302
    assert client.get("/api/changes", headers=_auth(setup, "zuid@inloop.be")).status_code == 401
