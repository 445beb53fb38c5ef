"""Answers of the public read API kept per data version, and replayed before Flask runs.

A repeated question (issue 14: a cached ``/api/coverage`` rebuilt its GeoJSON on every
request) is answered from memory by :class:`KeptReads`, a WSGI layer around the app: it
sends the status, headers and body exactly as the app sent them the first time, compressed
or not, without routing, sessions, hooks or templates. Measured under 50 clients that is
most of a worker's time per request (``bench/bench_requests.py``, ``bench/bench_load.py``).

The key is everything the answer can depend on: the database and its ``data_version`` (any
import or edit changes it), the current minute (answers about opening hours depend on the
time; the app's ``NOW`` setting fixes it), the path and query, the host and scheme, the
``Accept-Language``, the cookies and whether the client takes gzip. Only anonymous ``GET``
requests under ``/api/`` are kept or replayed: a request with an ``Authorization`` header or
any cookie other than the language choice is always answered afresh, so an ended session or
a revoked token is never served from here, and a request with ``If-None-Match`` goes to the
app, which answers ``304`` from the ETag. The app decides what may be kept
(:func:`mark_keepable`, from :mod:`.http_cache`): a complete ``200`` that is not HTML, sets
no cookie and is at most :data:`MAX_ENTRY` bytes. The least recently used answers are
dropped beyond :data:`MAX_TOTAL` bytes per process. ``RESPONSE_CACHE = False`` in the
app's config turns it off.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict

from flask import Flask, current_app, request

from . import db as web_db
from .i18n import LANG_COOKIE

__all__ = ["KeptReads", "Kept", "anonymous", "mark_keepable", "minute", "MAX_ENTRY", "MAX_TOTAL"]

MAX_ENTRY = 4 * 2 ** 20
MAX_TOTAL = 64 * 2 ** 20
#: At most this many seconds a request waits for another that works out the same answer.
WAIT = 30.0
_KEEP = "buurtkaart.keep"


def minute(config) -> str:
    """The current minute (UTC), or that of the app's fixed clock ``NOW``."""
    fixed = config.get("NOW")
    if fixed is None:
        moment = dt.datetime.now(dt.timezone.utc)
    else:
        moment = dt.datetime.fromisoformat(fixed) if isinstance(fixed, str) else fixed
        if moment.tzinfo is not None:
            moment = moment.astimezone(dt.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M")


def anonymous(cookie_header: str) -> bool:
    """Whether a request with this ``Cookie`` header is anonymous: no cookie but the
    language choice (no session, so no sign-in, no form token, no message to show)."""
    return all(part.partition("=")[0].strip() in ("", LANG_COOKIE)
               for part in cookie_header.split(";"))


def _anonymous_read(environ, config) -> bool:
    return (environ.get("REQUEST_METHOD") == "GET" and config.get("RESPONSE_CACHE", True)
            and environ.get("PATH_INFO", "").startswith("/api/")
            and "HTTP_AUTHORIZATION" not in environ and "HTTP_IF_NONE_MATCH" not in environ
            and anonymous(environ.get("HTTP_COOKIE", "")))


class Kept:
    """Answers by key, the least recently used dropped beyond ``max_total`` bytes of body
    (the last item of each entry)."""

    def __init__(self, max_total: int) -> None:
        self.max_total = max_total
        self.lock = threading.Lock()
        self.entries: OrderedDict[tuple, tuple] = OrderedDict()
        self.size = 0

    def get(self, key: tuple):
        with self.lock:
            return self._get(key)

    def _get(self, key: tuple):  # with the lock held
        hit = self.entries.get(key)
        if hit is not None:
            self.entries.move_to_end(key)
        return hit

    def put(self, key: tuple, entry: tuple) -> None:
        with self.lock:
            if key in self.entries:
                return
            self.entries[key] = entry
            self.size += len(entry[-1])
            while self.size > self.max_total:
                _old, old = self.entries.popitem(last=False)
                self.size -= len(old[-1])


def _question(environ, config) -> tuple:
    """What the answer depends on besides the data version, as the request came in (before
    any layer such as ProxyFix changed ``environ``)."""
    gzip = "gzip" in environ.get("HTTP_ACCEPT_ENCODING", "")
    return (str(config["DATABASE"]), minute(config), environ.get("SCRIPT_NAME", ""),
            environ.get("PATH_INFO", ""), environ.get("QUERY_STRING", ""),
            environ.get("HTTP_HOST", ""), environ.get("wsgi.url_scheme", ""),
            environ.get("HTTP_X_FORWARDED_PROTO", ""), environ.get("HTTP_X_FORWARDED_HOST", ""),
            environ.get("HTTP_ACCEPT_LANGUAGE", ""), environ.get("HTTP_COOKIE", ""), gzip)


def mark_keepable(resp, version: str) -> None:
    """Called by the app for an answer of the data at ``version``: note whether it may be
    kept (the replayed answer is the one that leaves the app, after every hook)."""
    if (resp.status_code == 200 and not resp.direct_passthrough and not resp.is_streamed
            and resp.mimetype != "text/html" and "Set-Cookie" not in resp.headers
            and _anonymous_read(request.environ, current_app.config)):
        request.environ[_KEEP] = version


class KeptReads(Kept):
    """WSGI layer: replays a kept answer, or passes the request on and keeps the answer."""

    def __init__(self, app: Flask, wsgi_app) -> None:
        super().__init__(MAX_TOTAL)
        self.app, self.wsgi_app = app, wsgi_app
        self._working: dict[tuple, threading.Event] = {}
        self._unkept: OrderedDict[tuple, bool] = OrderedDict()

    def __call__(self, environ, start_response):
        config = self.app.config
        if not _anonymous_read(environ, config):
            return self.wsgi_app(environ, start_response)
        question = _question(environ, config)
        try:
            key = (web_db.thread_data_version(config["DATABASE"]), *question)
        except Exception:  # no database, a broken one: the app answers with its error page
            return self.wsgi_app(environ, start_response)
        hit, first = self._wait_for(key)
        if hit is not None:
            status, headers, body = hit
            start_response(status, list(headers))
            return [body]
        kept = False
        try:
            result, kept = self._answer(environ, start_response, question)
            return result
        finally:
            if first is not None:
                with self.lock:
                    self._working.pop(key, None)
                    if not kept:  # nothing to wait for next time: answer each request
                        self._unkept[key] = True
                        while len(self._unkept) > 1000:
                            self._unkept.popitem(last=False)
                first.set()

    def _wait_for(self, key: tuple):
        """``(kept answer, None)``; or ``(None, event)`` when this request works the answer
        out (set ``event`` when done); or ``(None, None)`` when another request was working it
        out for too long. Many clients asking the same new question at once (a new minute, a
        new data version, a worker's first minutes) wait for one of them to answer it."""
        for _ in range(2):
            with self.lock:
                hit = self._get(key)
                if hit is not None:
                    return hit, None
                busy = self._working.get(key)
                if key in self._unkept:
                    return None, None
                if busy is None:
                    event = self._working[key] = threading.Event()
                    return None, event
            busy.wait(WAIT)
        return None, None

    def _answer(self, environ, start_response, question: tuple):
        sent: list = []

        def _start(status, headers, exc_info=None):
            sent[:] = [status, headers]
            return start_response(status, headers, exc_info)

        result = self.wsgi_app(environ, _start)
        version = environ.get(_KEEP)
        if version is None or not sent or any(k.lower() == "set-cookie" for k, _ in sent[1]):
            return result, False
        try:
            body = b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()
        if len(body) > MAX_ENTRY:
            return [body], False
        self.put((version, *question), (sent[0], list(sent[1]), body))
        return [body], True


def init_app(app: Flask) -> None:
    """Put the replay layer outermost, after every other WSGI layer (ProxyFix) is in place."""
    app.wsgi_app = KeptReads(app, app.wsgi_app)  # type: ignore[method-assign]
