"""Sessions, CSRF protection, security headers and rate limits.

- The session cookie is signed with a secret from ``$BUURTKAART_SECRET_KEY``
  or, when unset, a random key generated once and kept in the database's
  ``settings`` table (so restarts and several workers share it).
- Every form POST carries a CSRF token bound to the session. API writes
  authenticate with a bearer token instead of cookies, so they need none.
- Headers: a Content-Security-Policy (see :mod:`.csp`) that allows scripts
  only from the app itself or inline with this response's nonce, styles from
  the app (plus inline), images from the OpenStreetMap tile servers;
  ``nosniff``, ``frame-ancestors 'self'``, a strict referrer policy.
- Rate limits (per client address, sliding window): logins and writes. The
  counters are rows of the ``rate_hits`` table, so every gunicorn worker sees
  the same count and a recycled worker forgets nothing; rows older than the
  window are deleted as new ones arrive. Behind a reverse proxy set
  ``BUURTKAART_TRUST_PROXY=1``.
"""

from __future__ import annotations

import hmac
import os
import secrets
import time

from flask import Flask, abort, current_app, g, request, session
from werkzeug.middleware.proxy_fix import ProxyFix

from ..i18n import Msg
from .csp import nonce, policy
from .db import get_db

__all__ = ["init_app", "csrf_token", "rate_limit", "LIMITS", "never_stored"]

#: bucket -> (requests, seconds)
LIMITS = {"login": (10, 60), "write": (120, 60)}
_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}

def _hit(db, bucket: str, client: str, limit: int, window: float) -> float | None:
    """Record a request in the shared counters; return seconds to wait if over the limit.

    One immediate transaction (a savepoint inside an open one), so two workers
    counting at once cannot both slip under the limit.
    """
    now = time.time()
    conn = db.conn
    nested = conn.in_transaction
    conn.execute("SAVEPOINT rate_hit" if nested else "BEGIN IMMEDIATE")
    try:
        conn.execute("DELETE FROM rate_hits WHERE bucket = ? AND at <= ?", [bucket, now - window])
        count, oldest = conn.execute("SELECT count(*), min(at) FROM rate_hits WHERE bucket = ? "
                                     "AND client = ?", [bucket, client]).fetchone()
        if count < limit:
            conn.execute("INSERT INTO rate_hits (bucket, client, at) VALUES (?, ?, ?)",
                         [bucket, client, now])
    except BaseException:
        conn.execute("ROLLBACK TO rate_hit" if nested else "ROLLBACK")
        raise
    conn.execute("RELEASE rate_hit" if nested else "COMMIT")
    return None if count < limit else max(0.0, oldest + window - now)


def rate_limit(bucket: str) -> None:
    """Abort with 429 when this client exceeded the bucket's limit."""
    limit, window = current_app.config["RATE_LIMITS"].get(bucket, LIMITS[bucket])
    wait = _hit(get_db(), bucket, request.remote_addr or "?", limit, window)
    if wait is not None:
        abort(429, description=f"too many {bucket} requests; try again in {int(wait) + 1} s")


def csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def _secret_key(app: Flask) -> str:
    key = os.environ.get("BUURTKAART_SECRET_KEY") or app.config.get("SECRET_KEY")
    if key:
        return key
    with app.app_context():
        db = get_db()
        row = db.execute("SELECT value FROM settings WHERE key = 'secret_key'").fetchone()
        if row:
            return row[0]
        key = secrets.token_hex(32)
        db.execute("INSERT OR IGNORE INTO settings (key, value, help) VALUES "
                   "('secret_key', ?, 'Signs session cookies; generated on first start')", [key])
        return db.execute("SELECT value FROM settings WHERE key = 'secret_key'").fetchone()[0]


def never_stored() -> bool:
    """Pages that no cache may keep (the admin pages and the login form)."""
    return request.path.startswith(("/admin", "/login"))


def init_app(app: Flask) -> None:
    app.config["SECRET_KEY"] = _secret_key(app)
    app.config.setdefault("RATE_LIMITS", dict(LIMITS))
    app.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
                      SESSION_COOKIE_SECURE=os.environ.get("BUURTKAART_SECURE_COOKIES") == "1")
    if os.environ.get("BUURTKAART_TRUST_PROXY") == "1":
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1)  # type: ignore[method-assign]
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.jinja_env.globals["csp_nonce"] = nonce

    @app.before_request
    def _check_size():
        limit = current_app.config.get("MAX_CONTENT_LENGTH")
        if limit and (request.content_length or 0) > limit:
            abort(413, description=Msg("The request is larger than %(limit)s bytes.",
                                       limit=limit))

    @app.before_request
    def _check_csrf():
        if request.method in _SAFE_METHODS or request.path.startswith("/api/"):
            return
        sent = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token") or ""
        if not sent or not hmac.compare_digest(sent.encode(), session.get("csrf", "").encode()):
            abort(400, description=Msg("The form has expired or did not come from this site "
                                       "(missing or wrong CSRF token). Reload the page and "
                                       "try again."))

    @app.after_request
    def _headers(resp):
        if not g.get("not_modified_page"):  # a 304 keeps the CSP stored with its page
            # a nonce for pages; an answer that is no page (JSON) lets no inline script run
            page = resp.mimetype == "text/html"
            resp.headers.setdefault("Content-Security-Policy", policy(nonce() if page else None))
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        resp.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        resp.headers.setdefault("Permissions-Policy", "geolocation=(self), camera=(), microphone=()")
        resp.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if never_stored():
            resp.headers["Cache-Control"] = "no-store"
        return resp
