"""Log in and out (sessions), and who is asking: ``g.user`` for pages, bearer tokens for the API."""

from __future__ import annotations

import functools
from urllib.parse import urlsplit

from flask import (Blueprint, abort, flash, g, redirect, render_template, request, session,
                   url_for)

from .. import accounts
from ..errors import NotFound
from ..i18n import Msg
from ..i18n import gettext as _
from .db import get_db
from .security import rate_limit

bp = Blueprint("auth", __name__)


@bp.before_app_request
def load_user() -> None:
    """``g.user`` from the session, if the session is still valid: the account exists, is
    enabled and has not logged out, been disabled or changed its password since."""
    g.user = None
    uid = session.get("user_id")
    if uid is None:
        return
    try:
        u = accounts.user(get_db(), uid)
    except NotFound:  # the account was removed: forget the session
        session.clear()
        return
    if not accounts.session_valid(u, session.get("generation")):
        session.clear()
        return
    g.user = u


def login_required(role: str | None = None):
    """Pages for logged-in users; ``role="admin"`` for admins only."""

    def deco(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            if g.user is None:
                return redirect(url_for("auth.login", next=request.full_path))
            if role == "admin" and g.user["role"] != "admin":
                abort(403, description=Msg("Only an administrator may do this."))
            return view(*args, **kwargs)

        return wrapped

    return deco


def api_user(*, required: bool = True) -> dict | None:
    """The account behind ``Authorization: Bearer <token>``; 401 when required and absent."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        if required:
            abort(401, description="writes need an API token: 'Authorization: Bearer <token>' "
                                   "(create one with `buurtkaart users token EMAIL`)")
        return None
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        rate_limit("write")
    try:
        u = accounts.user_for_token(get_db(), token.strip())
    except accounts.TokenRefused as exc:
        if not required:
            return None
        abort(401, description=str(exc))
    if u is None and required:
        abort(401, description="the API token is unknown")
    return u


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths: never redirect to another host."""
    if not target:
        return url_for("admin.index")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("admin.index")
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    error = None
    if request.method == "POST":
        rate_limit("login")
        try:
            u = accounts.authenticate(get_db(), request.form.get("email", ""),
                                      request.form.get("password", ""))
        except accounts.AccountDisabled:
            u, error = None, _("This account is disabled; ask an admin to enable it.")
        if u is None:
            error = error or _("E-mail address or password is wrong.")
        else:
            session.clear()
            session["user_id"] = u["id"]
            session["generation"] = u["session_generation"]
            flash(_("Logged in as %(email)s.", email=u["email"]))
            return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", error=error), (401 if error else 200)


@bp.route("/logout", methods=["POST"])
def logout():
    """Log out everywhere: this cookie and every copy of it stop working."""
    if g.user is not None:
        accounts.end_sessions(get_db(), g.user["id"])
    session.clear()
    flash(_("Logged out."))
    return redirect(url_for("pages.index"))
