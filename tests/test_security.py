"""Security headers, traversal, size limits, injection, and the OpenAPI document's completeness."""

from __future__ import annotations

import html

import pytest

from buurtkaart.web.openapi import document


def test_security_headers_on_pages_and_api(client):
    for url in ("/", "/api/places", "/login"):
        resp = client.get(url)
        csp = resp.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'self'" in csp
        assert "object-src 'none'" in csp
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        assert resp.headers["Referrer-Policy"]
    assert client.get("/login").headers["Cache-Control"] == "no-store"


def test_session_cookie_is_httponly_and_samesite(client):
    resp = client.get("/login")  # the login form puts a CSRF token in a new session
    cookie = resp.headers.get("Set-Cookie", "")
    assert cookie.startswith("session=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


@pytest.mark.parametrize("url", [
    "/static/../../../../etc/passwd",
    "/static/%2e%2e/%2e%2e/etc/passwd",
    "/static/..%2f..%2fpyproject.toml",
    "/api/neighbourhoods/..%2F..%2Fetc%2Fpasswd",
])
def test_no_path_traversal(client, url):
    resp = client.get(url)
    assert resp.status_code in (400, 404)
    assert b"root:" not in resp.data and b"[project]" not in resp.data


def test_request_bodies_are_size_limited(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    resp = client.post("/api/places", data=b"x" * 4096, content_type="application/json",
                       headers={"Authorization": "Bearer whatever"})
    assert resp.status_code == 413
    assert resp.get_json()["status"] == 413


@pytest.mark.parametrize("q", ["' OR 1=1 --", "\"; DROP TABLE places; --", "%' UNION SELECT *"])
def test_search_text_cannot_inject_sql(client, db, q):
    resp = client.get("/api/places", query_string={"q": q})
    assert resp.status_code == 200 and resp.get_json()["features"] == []
    assert db.execute("SELECT count(*) FROM sqlite_master WHERE name = 'places'").fetchone()[0] == 1


def _openapi_path(rule: str) -> str:
    import re

    return re.sub(r"<(?:[a-z]+(?:\([^)]*\))?:)?([a-z_]+)>", r"{\1}", rule)


def test_every_api_route_is_in_the_openapi_document(app, client):
    served = client.get("/api/openapi.json").get_json()
    assert served["openapi"].startswith("3.") and served["paths"] == document()["paths"]
    documented = {(path, m.upper()) for path, ops in served["paths"].items() for m in ops}
    missing = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            if (_openapi_path(rule.rule), method) not in documented:
                missing.append(f"{method} {rule.rule}")
    assert missing == [], "routes missing from the OpenAPI document"
    stale = [f"{m} {p}" for p, m in documented
             if not any(_openapi_path(r.rule) == p and m in r.methods
                        for r in app.url_map.iter_rules())]
    assert stale == [], "documented routes that do not exist"


def test_api_docs_page_lists_every_endpoint(client):
    body = client.get("/api/docs").get_data(as_text=True)
    for path in document()["paths"]:
        assert path in body


def test_documented_query_parameters_are_accepted_and_others_refused(client):
    """The document and the code agree on parameters: a documented one is never called
    unknown, and an undocumented one is refused, on every GET endpoint without path ids."""
    doc = document()
    for path, ops in doc["paths"].items():
        op = ops.get("get")
        if not op or op.get("security") or "{" in path or path in ("/api/openapi.json",
                                                                   "/api/docs"):
            continue
        resp = client.get(path, query_string={"zz_not_a_parameter": "1"})
        assert resp.status_code == 400, path
        assert resp.get_json()["parameter"] == "zz_not_a_parameter", path
        for p in op["parameters"]:
            if p["in"] != "query":
                continue
            resp = client.get(path, query_string={p["name"]: "1"})
            body = resp.get_json(silent=True) or {}
            assert "unknown parameter" not in body.get("error", ""), (path, p["name"], body)


@pytest.mark.parametrize("url, param", [
    ("/api/hsds/services?page=\u00b2", "page"), ("/api/hsds/service_at_locations?per_page=\u00b9",
                                                 "per_page"),
    ("/api/isochrone?place=\u00b2", "place"), ("/places?page=\u00b2", "page"),
    ("/neighbourhoods?page=\u0663", "page"), ("/kaart?year=\u00b2", "year"),
    ("/kaart/frame?year=\u00b2", "year"), ("/kaart?best=\u00b2", "best")])
def test_unicode_digits_are_refused_not_a_server_error(client, url, param):
    """'²'.isdigit() is True but int('²') fails: such input must give 400, not 500."""
    resp = client.get(url)
    assert resp.status_code == 400, url
    text = html.unescape(resp.get_data(as_text=True))
    if url.startswith("/api/"):
        assert f"'{param}'" in text, url
    else:  # pages answer in words, quoting what was typed
        typed = url.split("=", 1)[1]
        assert f"\u201c{typed}\u201d" in text and 'class="error"' in text, url


def test_non_ascii_csrf_token_is_refused_cleanly(client):
    for data, headers in (({"csrf_token": "\u00e9"}, {}), ({}, {"X-CSRF-Token": "\u00e9"})):
        resp = client.post("/logout", data=data, headers=headers)
        assert resp.status_code == 400 and b"CSRF" in resp.data
