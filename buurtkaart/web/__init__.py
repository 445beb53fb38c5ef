"""The web layer: thin Flask adapters around the core.

``db.py`` owns the per-request database connection; ``security`` the
session secret, CSRF, headers and rate limits; ``pages`` renders HTML,
``api`` answers JSON/GeoJSON; ``auth`` logs in and out; ``admin`` edits. Every error leaves as one JSON shape
``{"ok": false, "error": ..., "status": ...}`` for API paths, or an HTML page.
"""

from __future__ import annotations

import sqlite3

from flask import Flask, jsonify, render_template, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import HTTPException

from ..accounts import PermissionDenied
from ..concurrency import DatabaseBusy, ImportRunning, is_busy_error
from ..errors import BuurtkaartError, ImportFailed, InvalidParameter, NotFound
from ..i18n import Msg, message_of, translate

__all__ = ["register"]


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def error_response(status: int, message: str | None, **extra):
    """One error shape everywhere: JSON for the API (English), an HTML page otherwise.

    A :class:`~buurtkaart.i18n.Msg` is shown on the page in the page's language; other
    text was written in English only and is shown folded away as technical details
    (on an English page it is shown as it is). ``None``: no details.
    """
    if _wants_json():
        body = {"ok": False, "error": str(message), "status": status, **extra}
        return jsonify(body), status
    from .i18n import activate_page_language

    activate_page_language()
    return render_template("error.html", status=status, message=translate(message),
                           english_only=message is not None and not isinstance(message, Msg)
                           ), status


def _retry_after(resp, status: int, seconds: int):
    from flask import make_response

    resp = make_response(resp, status)
    resp.headers["Retry-After"] = str(seconds)
    return resp


class _JSONProvider(DefaultJSONProvider):
    """Flask's JSON, except that a body nested too deeply to parse is invalid JSON
    (a 400 from ``request.get_json``) rather than a RecursionError (a 500)."""

    def loads(self, s, **kwargs):
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None


def register(app: Flask) -> None:
    from . import (admin, admin_accounts, analysis, api, api_write, auth, db, finder, guide,
                   hsds_api, http_cache, i18n, map_pages, openapi, outreach, page_cache, pages,
                   report_pages, response_cache, scenario_pages, security)

    provider = _JSONProvider(app)
    provider.sort_keys = app.json.sort_keys
    app.json = provider
    db.init_app(app)
    security.init_app(app)
    i18n.init_app(app)
    http_cache.init_app(app)
    page_cache.init_app(app)
    response_cache.init_app(app)
    for module in (pages, api, api_write, analysis, hsds_api, openapi, auth, admin,
                   admin_accounts, finder, scenario_pages, guide, report_pages):
        app.register_blueprint(module.bp)

    @app.errorhandler(InvalidParameter)
    def _invalid(exc: InvalidParameter):
        if _wants_json():
            return error_response(400, str(exc), parameter=exc.name)
        from .forgiving import invalid_page

        return invalid_page(exc, request.endpoint)

    @app.errorhandler(NotFound)
    def _not_found(exc: NotFound):
        return error_response(404, message_of(exc))

    @app.errorhandler(PermissionDenied)
    def _forbidden(exc: PermissionDenied):
        return error_response(403, message_of(exc))

    @app.errorhandler(ImportFailed)
    def _import_failed(exc: ImportFailed):
        fields = [p.field for p in exc.problems if p.field]
        extra = {"parameter": fields[0]} if fields else {}
        return error_response(400, str(exc), problems=[str(p) for p in exc.problems], **extra)

    @app.errorhandler(DatabaseBusy)
    def _busy(exc: DatabaseBusy):
        resp, status = error_response(503, message_of(exc))
        return _retry_after(resp, status, exc.retry_after)

    @app.errorhandler(ImportRunning)
    def _import_running(exc: ImportRunning):
        resp, status = error_response(503, message_of(exc))
        return _retry_after(resp, status, 30)

    @app.errorhandler(sqlite3.OperationalError)
    def _locked(exc: sqlite3.OperationalError):
        if not is_busy_error(exc):  # a real fault: the usual 500
            raise exc
        resp, status = error_response(503, Msg("The database is busy; nothing was saved. "
                                               "Please try again in 5 seconds."))
        return _retry_after(resp, status, 5)

    @app.errorhandler(BuurtkaartError)
    def _domain(exc: BuurtkaartError):
        return error_response(409, message_of(exc))

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        described = exc.description and exc.description != type(exc).description
        if described or _wants_json():
            return error_response(exc.code or 500, exc.description or exc.name)
        # werkzeug's own English sentence: the page's heading says it in the page's language
        return error_response(exc.code or 500, None)
