"""Ending access from the pages: admins disable and enable accounts and revoke any API token;
every user sees and revokes their own tokens (never a secret)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from .. import accounts
from ..i18n import Msg
from ..i18n import gettext as _
from .auth import login_required
from .db import get_db
from .security import rate_limit

bp = Blueprint("admin_accounts", __name__, url_prefix="/admin")


@bp.route("/users/<int:user_id>/<any(disable, enable):action>", methods=["POST"])
@login_required(role="admin")
def set_active(user_id: int, action: str):
    rate_limit("write")
    if user_id == g.user["id"] and action == "disable":
        abort(400, description=Msg("You cannot disable your own account. Ask another admin."))
    u = accounts.set_active(get_db(), user_id, action == "enable")
    if u["active"]:
        flash(_("Enabled %(email)s.", email=u["email"]))
    else:
        flash(_("Disabled %(email)s: its sessions ended and its tokens stopped working.",
                email=u["email"]))
    return redirect(url_for("admin.users"))


@bp.route("/tokens")
@login_required()
def own_tokens():
    return render_template("admin/tokens.html", owner=g.user,
                           tokens=accounts.tokens(get_db(), g.user["id"]))


@bp.route("/users/<int:user_id>/tokens")
@login_required(role="admin")
def user_tokens(user_id: int):
    db = get_db()
    return render_template("admin/tokens.html", owner=accounts.user(db, user_id),
                           tokens=accounts.tokens(db, user_id))


@bp.route("/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required()
def revoke(token_id: int):
    rate_limit("write")
    db = get_db()
    t = accounts.token_record(db, token_id)
    if t["user_id"] != g.user["id"] and g.user["role"] != "admin":
        abort(403, description=Msg("You may only revoke your own tokens."))
    accounts.revoke_token(db, token_id)
    flash(_("Revoked token %(id)s (%(name)s); it no longer works.", id=t["id"],
            name=t["name"] or _("unnamed")))
    if t["user_id"] == g.user["id"]:
        return redirect(url_for("admin_accounts.own_tokens"))
    return redirect(url_for("admin_accounts.user_tokens", user_id=t["user_id"]))
