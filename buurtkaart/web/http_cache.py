"""HTTP caching and compression: ETag from the data version, 304s, gzip.

- Every ``GET``/``HEAD`` of the read API (``/api/...``) gets an ``ETag`` made
  from the database's ``data_version`` (any import or edit changes it), the
  full path and query, the request's ``Accept-Language`` and cookies (the
  answer can depend on who asks and in which language) and the current minute
  (answers about opening hours depend on the time). A request whose
  ``If-None-Match`` carries that tag gets ``304 Not Modified`` before anything
  is computed. ``Cache-Control: no-cache`` makes clients revalidate each time
  (cheap: a 304 is a few bytes), ``private`` when the request carries cookies.
- HTML, JSON and GeoJSON responses larger than :data:`MIN_SIZE` bytes are
  gzip-compressed when the client accepts it (``Vary: Accept-Encoding``).

HTML pages are not given ETags: their Content-Security-Policy nonce changes
with every response, and a 304 would pair an old body with a new nonce.
"""

from __future__ import annotations

import gzip
import hashlib

from flask import Flask, request

__all__ = ["init_app", "MIN_SIZE", "COMPRESSIBLE"]

MIN_SIZE = 500
COMPRESSIBLE = ("text/html", "application/json", "application/geo+json", "text/css",
                "application/javascript", "text/javascript", "text/csv")


def _etag() -> str | None:
    if request.method not in ("GET", "HEAD") or not request.path.startswith("/api/"):
        return None
    from .. import store
    from . import db

    minute = db.now().strftime("%Y-%m-%dT%H:%M")
    key = "\n".join([store.data_version(db.get_db()), request.full_path,
                     request.headers.get("Accept-Language", ""),
                     request.headers.get("Cookie", ""), minute])
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def init_app(app: Flask) -> None:
    @app.before_request
    def _not_modified():
        tag = _etag()
        if tag is None:
            return None
        request.environ["buurtkaart.etag"] = tag
        sent = [t for t in (tag, tag + "-gz") if t in request.if_none_match]
        if sent:
            resp = app.response_class(status=304)
            resp.set_etag(sent[0])
            resp.headers["Cache-Control"] = _cache_control()
            return resp
        return None

    @app.after_request
    def _cache_and_compress(resp):
        tag = request.environ.get("buurtkaart.etag")
        if tag and resp.status_code == 200:
            resp.set_etag(tag)
            resp.headers.setdefault("Cache-Control", _cache_control())
        _gzip(resp)
        return resp


def _cache_control() -> str:
    return "private, no-cache" if request.headers.get("Cookie") else "public, no-cache"


def _gzip(resp) -> None:
    if (resp.direct_passthrough or resp.is_streamed or resp.status_code < 200
            or resp.status_code in (204, 304) or "Content-Encoding" in resp.headers
            or resp.mimetype not in COMPRESSIBLE):
        return
    resp.vary.add("Accept-Encoding")
    if "gzip" not in request.accept_encodings or request.method == "HEAD":
        return
    body = resp.get_data()
    if len(body) < MIN_SIZE:
        return
    resp.set_data(gzip.compress(body, compresslevel=5, mtime=0))
    resp.headers["Content-Encoding"] = "gzip"
    if resp.get_etag()[0]:  # a different representation needs a different tag
        tag, weak = resp.get_etag()
        resp.set_etag(tag + "-gz", weak=weak)
