"""Public pages kept per data version and minute, and sent again with a fresh nonce.

Rendering a page's templates takes most of its time (the place list: about 35 ms for 20
places, a hundred texts each), and residents and workers ask the same pages again and
again. An anonymous ``GET`` of a page (no cookie but the language choice, no
``Authorization``; never the admin or login pages) is kept when it is a complete ``200``
HTML page that set no cookie and touched no session (a form token or a message makes a
session, and so is never kept). The key is everything a page can depend on: the database
and its ``data_version``, the current minute ("open now", "today"), the host and scheme,
the path and query, the ``Accept-Language`` and the cookies.

Each page carries its response's Content-Security-Policy nonce in its ``<script>`` tags:
the kept page holds a placeholder there, and every response puts its own fresh nonce in,
so a kept page is byte for byte the page the app would render (``test_page_cache.py``).
Every other layer still runs for a kept page (security headers, ETag and ``304``, gzip).
``RESPONSE_CACHE = False`` in the app's config turns it off, with the API's kept answers.
"""

from __future__ import annotations

from flask import Flask, current_app, g, request, session

from .csp import nonce
from .i18n import chosen_language
from .response_cache import Kept, anonymous, minute
from .security import never_stored

__all__ = ["init_app", "MAX_ENTRY", "MAX_TOTAL"]

MAX_ENTRY = 2 * 2 ** 20
MAX_TOTAL = 32 * 2 ** 20
PLACEHOLDER = b"\0nonce\0"
#: Worked out again for each response by the layers that run after this one.
_NOT_KEPT = {"content-length", "etag", "content-security-policy", "set-cookie"}


def _key() -> tuple | None:
    config = current_app.config
    if (request.method != "GET" or request.path.startswith("/api/") or never_stored()
            or not config.get("RESPONSE_CACHE", True) or "Authorization" in request.headers
            or not anonymous(request.headers.get("Cookie", ""))):
        return None
    from .. import store
    from .db import get_db

    return (str(config["DATABASE"]), store.data_version(get_db()), minute(config),
            request.host_url, request.full_path, request.headers.get("Accept-Language", ""),
            request.headers.get("Cookie", ""))


def init_app(app: Flask) -> None:
    """Register after :mod:`.http_cache`: a kept page is taken before it is compressed."""
    kept = Kept(MAX_TOTAL)

    @app.before_request
    def _replay():
        key = _key()
        if key is None:
            return None
        hit = kept.get(key)
        if hit is None:
            g.page_key = key
            return None
        headers, body = hit
        return app.response_class(body.replace(PLACEHOLDER, nonce().encode()), headers=headers)

    @app.after_request
    def _keep(resp):
        key = g.pop("page_key", None)
        if (key is None or resp.status_code != 200 or resp.mimetype != "text/html"
                or resp.direct_passthrough or resp.is_streamed or "Set-Cookie" in resp.headers
                or "no-store" in resp.headers.get("Cache-Control", "") or session.modified
                or chosen_language()):
            return resp
        body = resp.get_data()
        if len(body) <= MAX_ENTRY:
            page_nonce = g.get("csp_nonce")
            if page_nonce:
                body = body.replace(page_nonce.encode(), PLACEHOLDER)
            kept.put(key, ([(k, v) for k, v in resp.headers.items()
                            if k.lower() not in _NOT_KEPT], body))
        return resp
