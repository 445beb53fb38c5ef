"""HTTP caching and compression: ETag from the data version, 304s, gzip.

- Every ``GET``/``HEAD`` of the read API (``/api/...``) gets an ``ETag`` made
  from the database's ``data_version`` (any import or edit changes it), the
  full path and query, the request's ``Accept-Language`` and cookies (the
  answer can depend on who asks and in which language) and the current minute
  (answers about opening hours depend on the time). A request whose
  ``If-None-Match`` carries that tag gets ``304 Not Modified`` before anything
  is computed. ``Cache-Control: no-cache`` makes clients revalidate each time
  (cheap: a 304 is a few bytes), ``private`` when the request carries cookies.
  Anonymous answers are kept per data version and replayed before the app runs
  (:mod:`.response_cache`), so a repeated question is answered without computing it.
- HTML, JSON and GeoJSON responses larger than :data:`MIN_SIZE` bytes are
  gzip-compressed when the client accepts it (``Vary: Accept-Encoding``).

- HTML pages and map frames (``text/html``) get an ``ETag`` made from the page
  itself with this response's Content-Security-Policy nonce taken out, so the
  same page gets the same tag although every response has a fresh nonce. The
  page is rendered (it can depend on the session, the time, the language), and
  when the client's ``If-None-Match`` carries that tag the answer is ``304 Not
  Modified`` without a body and **without a Content-Security-Policy header**: a
  304's headers replace the stored ones (RFC 9111, 4.3.4), and the stored page
  keeps the nonce of the CSP it was first sent with, so its scripts still run.
  Not for ``no-store`` pages (admin, login).
"""

from __future__ import annotations

import gzip
import hashlib

from flask import Flask, current_app, g, request

from . import response_cache
from .security import never_stored

__all__ = ["init_app", "page_tag", "MIN_SIZE", "COMPRESSIBLE", "NONCE_PLACEHOLDER"]

MIN_SIZE = 500
GZIP_LEVEL = 5
#: What stands for a response's CSP nonce in a page's ETag (and in a kept page).
NONCE_PLACEHOLDER = b"\0nonce\0"
_VERSION = "buurtkaart.data_version"
COMPRESSIBLE = ("text/html", "application/json", "application/geo+json", "text/css",
                "application/javascript", "text/javascript", "text/csv")


def _etag() -> str | None:
    if request.method not in ("GET", "HEAD") or not request.path.startswith("/api/"):
        return None
    from .. import store
    from . import db

    version = request.environ[_VERSION] = store.data_version(db.get_db())
    key = "\n".join([version, request.full_path, request.headers.get("Accept-Language", ""),
                     request.headers.get("Cookie", ""), response_cache.minute(current_app.config)])
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
            response_cache.mark_keepable(resp, request.environ[_VERSION])
        elif _page_cacheable(resp):
            tag = _page_etag(resp)
            resp.set_etag(tag)
            resp.headers.setdefault("Cache-Control", _cache_control())
            sent = [t for t in (tag, tag + "-gz") if t in request.if_none_match]
            if sent:
                return _not_modified_page(app, resp, sent[0])
        _gzip(resp)
        return resp


def _page_cacheable(resp) -> bool:
    return (request.method in ("GET", "HEAD") and resp.status_code == 200
            and resp.mimetype == "text/html" and not resp.direct_passthrough
            and not resp.is_streamed and not never_stored()
            and "no-store" not in resp.headers.get("Cache-Control", "") and not resp.get_etag()[0])


def _page_etag(resp) -> str:
    """A tag of the page as it would be without this response's nonce."""
    kept = g.get("kept_page")  # a page sent again by page_cache: its tag is known
    if kept is not None:
        return kept.tag
    body = resp.get_data()
    nonce = g.get("csp_nonce")
    if nonce:
        body = body.replace(nonce.encode(), NONCE_PLACEHOLDER)
    return page_tag(body)


def page_tag(body_without_nonce: bytes) -> str:
    """The ETag of a page whose nonce is replaced by :data:`NONCE_PLACEHOLDER`."""
    return "p" + hashlib.sha256(body_without_nonce).hexdigest()[:32]


def _not_modified_page(app: Flask, page, tag: str):
    """304 for an unchanged page: no body, and no Content-Security-Policy (see above)."""
    resp = app.response_class(status=304)
    resp.set_etag(tag)
    for name in ("Cache-Control", "Vary", "Content-Language"):
        if name in page.headers:
            resp.headers[name] = page.headers[name]
    resp.vary.add("Accept-Encoding")
    g.not_modified_page = True  # security headers: leave the stored CSP in place
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
    kept = g.get("kept_page")  # its parts are compressed once, the nonce each time
    resp.set_data(kept.gzipped(g.csp_nonce) if kept is not None
                  else gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0))
    resp.headers["Content-Encoding"] = "gzip"
    if resp.get_etag()[0]:  # a different representation needs a different tag
        tag, weak = resp.get_etag()
        resp.set_etag(tag + "-gz", weak=weak)
