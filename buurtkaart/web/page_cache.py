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

import struct
import zlib

from flask import Flask, current_app, g, request, session

from .csp import nonce
from .http_cache import GZIP_LEVEL, NONCE_PLACEHOLDER, page_tag
from .i18n import chosen_language
from .response_cache import Kept, anonymous, minute
from .security import never_stored

__all__ = ["init_app", "MAX_ENTRY", "MAX_TOTAL"]

MAX_ENTRY = 4 * 2 ** 20
MAX_TOTAL = 48 * 2 ** 20
_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"  # deflate, no name, no mtime


def _deflated(data) -> bytes:
    """``data`` as raw deflate blocks that end on a byte, so that others can follow."""
    c = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush(zlib.Z_SYNC_FLUSH)


_LAST_BLOCK = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, -15).flush()  # an empty final block


class KeptPage:
    """A page with a placeholder where each response's nonce goes.

    Sent compressed, the page is compressed once in parts (the text between the nonces),
    and each response compresses only its nonce and joins the parts into one gzip member
    (RFC 1951: blocks that end on a byte boundary can be joined; RFC 1952: the CRC and
    length of the whole). A full-Flanders map frame is 2.6 MB: compressing it for each
    response took 25 ms."""

    def __init__(self, headers: list, body: bytes) -> None:
        self.headers, self.body, self.tag = headers, body, page_tag(body)
        self._parts: list[tuple[memoryview, bytes]] | None = None

    def __len__(self) -> int:
        return len(self.body)

    def html(self, page_nonce: str) -> bytes:
        return self.body.replace(NONCE_PLACEHOLDER, page_nonce.encode())

    def gzipped(self, page_nonce: str) -> bytes:
        """``gzip.compress(self.html(page_nonce))``, in other bytes but the same text."""
        if self._parts is None:
            view, parts, start = memoryview(self.body), [], 0
            while (end := self.body.find(NONCE_PLACEHOLDER, start)) >= 0:
                parts.append((view[start:end], _deflated(view[start:end])))
                start = end + len(NONCE_PLACEHOLDER)
            parts.append((view[start:], _deflated(view[start:])))
            self._parts = parts
        word = page_nonce.encode()
        word_deflated = _deflated(word)
        out, crc = [_GZIP_HEADER], 0
        for i, (raw, deflated) in enumerate(self._parts):
            if i:
                out.append(word_deflated)
                crc = zlib.crc32(word, crc)
            out.append(deflated)
            crc = zlib.crc32(raw, crc)
        size = len(self.body) + (len(self._parts) - 1) * (len(word) - len(NONCE_PLACEHOLDER))
        out += [_LAST_BLOCK, struct.pack("<II", crc, size & 0xFFFFFFFF)]
        return b"".join(out)


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
        page = g.kept_page = hit[0]  # http_cache takes its tag and compressed parts
        return app.response_class(page.html(nonce()), headers=page.headers)

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
                body = body.replace(page_nonce.encode(), NONCE_PLACEHOLDER)
            kept.put(key, (KeptPage([(k, v) for k, v in resp.headers.items()
                                     if k.lower() not in _NOT_KEPT], body),))
        return resp
