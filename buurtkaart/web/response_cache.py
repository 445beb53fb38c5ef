"""Answers of the public read API kept per data version, so a repeated question is not
computed again (issue 14: a cached ``/api/coverage`` rebuilt its GeoJSON on every request).

The key is the ETag of :mod:`.http_cache`: the database's ``data_version`` (any import or
edit changes it), the full path and query, ``Accept-Language``, the cookies and the current
minute (answers about opening hours depend on the time). Only anonymous reads are kept: a
request with an ``Authorization`` header or any cookie other than the language choice is
always answered afresh, so an ended session or a revoked token is never served from here.
Only complete ``200`` answers without cookies of their own, of at most :data:`MAX_ENTRY`
bytes, are kept, the least recently used dropped beyond :data:`MAX_TOTAL` bytes per
process. ``RESPONSE_CACHE = False`` in the app's config turns it off.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from flask import current_app, request

from .i18n import LANG_COOKIE

__all__ = ["lookup", "keep", "MAX_ENTRY", "MAX_TOTAL"]

MAX_ENTRY = 4 * 2 ** 20
MAX_TOTAL = 64 * 2 ** 20
_SKIP = {"etag", "cache-control", "content-encoding", "content-length", "vary"}

_lock = threading.Lock()
_entries: OrderedDict[tuple, tuple[bytes, list[tuple[str, str]]]] = OrderedDict()
_size = 0


def _key(tag: str) -> tuple | None:
    if (request.method != "GET" or not current_app.config.get("RESPONSE_CACHE", True)
            or "Authorization" in request.headers
            or any(name != LANG_COOKIE for name in request.cookies)):
        return None
    return current_app.config["DATABASE"], tag


def lookup(tag: str):
    """The kept answer for the request whose ETag is ``tag``, as a new response; or None."""
    key = _key(tag)
    if key is None:
        return None
    with _lock:
        hit = _entries.get(key)
        if hit is not None:
            _entries.move_to_end(key)
    if hit is None:
        return None
    body, headers = hit
    return current_app.response_class(body, status=200, headers=headers)


def keep(tag: str, resp) -> None:
    """Keep ``resp`` (before compression) as the answer for ``tag`` when it may be kept."""
    global _size
    key = _key(tag)
    if (key is None or resp.status_code != 200 or resp.direct_passthrough
            or resp.is_streamed or "Set-Cookie" in resp.headers):
        return
    body = resp.get_data()
    if len(body) > MAX_ENTRY:
        return
    headers = [(k, v) for k, v in resp.headers.items() if k.lower() not in _SKIP]
    with _lock:
        if key in _entries:
            return
        _entries[key] = (body, headers)
        _size += len(body)
        while _size > MAX_TOTAL:
            _old, (old_body, _h) = _entries.popitem(last=False)
            _size -= len(old_body)
