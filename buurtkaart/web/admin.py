"""Editing pages (``/admin``): forms for places and activities, history with undo,
the review queue of stale records, and account management for admins.

Handlers are thin: they turn form fields into importer-style records and call
:mod:`buurtkaart.editing`, which validates, checks permissions and audits.
"""

from __future__ import annotations

from flask import (Blueprint, abort, current_app, flash, g, redirect, render_template, request,
                   url_for)

from .. import accounts, editing, geomcache, listing, store
from ..accounts import PermissionDenied
from ..concurrency import ImportRunning, describe, import_lock
from ..errors import ImportFailed, InvalidParameter
from ..i18n import N_, Msg, translate
from ..i18n import gettext as _
from ..taxonomy import PLACE_KINDS, THRESHOLDS, WHEELCHAIR_VALUES, WORKING_MODELS
from .auth import login_required
from .db import get_db
from .params import int_arg
from .security import rate_limit

bp = Blueprint("admin", __name__, url_prefix="/admin")

PLACE_FORM_FIELDS = ("name", "kind", "organisation_uid", "street", "postcode", "city", "lon",
                     "lat", "opening_hours", "wheelchair", "description", "url", "phone",
                     "email", "capacity", "last_verified")
ACTIVITY_FORM_FIELDS = ("name", "description", "organisation_uid", "place_uid", "sessions",
                        "cost_amount", "cost_note", "walk_in", "childcare", "children_welcome",
                        "no_internet", "wheelchair", "languages", "target_group", "capacity",
                        "url", "email", "phone", "last_verified")
TRISTATE_CHOICES = (("", N_("unknown")), ("1", N_("yes")), ("0", N_("no")))
#: Words for the codes stored in the audit log and on accounts (translated where shown).
ACTION_NAMES = {"create": N_("created"), "update": N_("changed"), "archive": N_("archived"),
                "restore": N_("restored"), "verify": N_("verified"), "undo": N_("undone"),
                "import": N_("imported")}
ENTITY_NAMES = {"place": N_("place"), "places": N_("place"), "activity": N_("activity"),
                "activities": N_("activity"), "organisation": N_("organisation")}
ROLE_NAMES = {"admin": N_("administrator"), "editor": N_("editor")}
#: The form's label of each field, to name a field in the list of problems.
FIELD_LABELS = {"name": N_("Name"), "kind": N_("Kind"), "organisation_uid": N_("Organisation"),
                "street": N_("Street and number"), "postcode": N_("Postcode"),
                "city": N_("City"), "lon": N_("Longitude (WGS84)"),
                "lat": N_("Latitude (WGS84)"), "opening_hours": N_("Opening hours"),
                "wheelchair": N_("Wheelchair access"), "description": N_("Description"),
                "url": N_("Website"), "phone": N_("Phone"), "email": N_("E-mail"),
                "capacity": N_("Capacity (people)"), "last_verified": N_("Last verified"),
                "place_uid": N_("Place"), "models": N_("Working models (at least one)"),
                "sessions": N_("Sessions"), "cost_amount": N_("Cost per time (€)"),
                "cost_note": N_("About the cost"), "languages": N_("Languages"),
                "target_group": N_("Target group")}


@bp.context_processor
def _words():
    def word(names):
        return lambda code: _(names[code]) if code in names else code
    return {"action_name": word(ACTION_NAMES), "entity_name": word(ENTITY_NAMES),
            "role_name": word(ROLE_NAMES), "field_label": word(_field_labels())}


def _field_labels() -> dict[str, str]:
    return {**FIELD_LABELS, **{k: t.label_en for k, t in THRESHOLDS.items()}}


def _form_record(entity: str) -> dict:
    fields = PLACE_FORM_FIELDS if entity == "place" else ACTIVITY_FORM_FIELDS
    rec = {f: request.form.get(f, "").strip() for f in fields if f in request.form}
    if entity == "activity":
        rec["models"] = request.form.getlist("models")
    if g.user["role"] != "admin":
        rec.pop("organisation_uid", None)
    return rec


def _problems(exc: ImportFailed) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for p in exc.problems:
        out.setdefault(p.field or "", []).append(translate(p.reason))
    return out


def _render_form(entity: str, record: dict, *, uid: str | None, problems=None, status=200):
    db = get_db()
    return render_template(
        f"admin/{entity}_form.html", record=record, uid=uid, problems=problems or {},
        kinds=PLACE_KINDS, models=WORKING_MODELS, thresholds=THRESHOLDS,
        wheelchair_values=WHEELCHAIR_VALUES, tristate=TRISTATE_CHOICES,
        organisations=store.organisations(db),
        places=listing.place_choices(db) if entity == "activity" else [],
        history=editing.history(db, entity=entity, uid=uid, account=g.user) if uid else [],
    ), status


def _edit(entity: str, uid: str | None):
    db = get_db()
    record = editing.snapshot(db, entity, uid) if uid else {}
    if uid and record is None:
        abort(404, description=Msg("There is no %(what)s with id %(uid)s.",
                                   what=Msg(ENTITY_NAMES[entity]), uid=uid))
    if uid and not accounts.can_edit(g.user, editing._organisation_of(db, entity, record)):
        abort(403, description=Msg("You may not edit this %(what)s.",
                                   what=Msg(ENTITY_NAMES[entity])))
    if request.method == "POST":
        rate_limit("write")
        data = _form_record(entity)
        try:
            saved = editing.save(db, g.user, entity, data, uid=uid)
        except ImportFailed as exc:
            return _render_form(entity, {**record, **data}, uid=uid, problems=_problems(exc),
                                status=400)
        except PermissionDenied as exc:
            abort(403, description=str(exc))
        flash(_("Saved %(what)s “%(name)s”.", what=_(ENTITY_NAMES[entity]), name=saved["name"]))
        return redirect(url_for(f"admin.edit_{entity}", uid=saved["uid"]))
    return _render_form(entity, record, uid=uid)


ADMIN_PAGE_SIZE = 100


def _page_args() -> dict:
    """The page asked for (``page``, from 1) with the rest of the query for page links."""
    page = int_arg("page", lo=1, hi=10**9, default=1)
    return {"page": page, "offset": (page - 1) * ADMIN_PAGE_SIZE,
            "query": {k: v for k, v in request.args.items() if k != "page"}}


@bp.route("/")
@login_required()
def index():
    db = get_db()
    paging = _page_args()
    total = editing.review_count(db, g.user)
    return render_template("admin/index.html",
                           queue=editing.review_queue(db, g.user, limit=ADMIN_PAGE_SIZE,
                                                      offset=paging["offset"]),
                           queue_total=total, page=paging["page"], query=paging["query"],
                           pages=max(1, -(-total // ADMIN_PAGE_SIZE)),
                           changes=editing.history(db, limit=30, account=g.user),
                           stale_days=editing.STALE_AFTER_DAYS)


@bp.route("/places/new", methods=["GET", "POST"])
@login_required()
def new_place():
    return _edit("place", None)


@bp.route("/places/<uid>", methods=["GET", "POST"])
@login_required()
def edit_place(uid):
    return _edit("place", uid)


@bp.route("/activities/new", methods=["GET", "POST"])
@login_required()
def new_activity():
    return _edit("activity", None)


@bp.route("/activities/<uid>", methods=["GET", "POST"])
@login_required()
def edit_activity(uid):
    return _edit("activity", uid)


@bp.route("/<entity>/<uid>/<action>", methods=["POST"])
@login_required()
def act(entity, uid, action):
    entity = {"places": "place", "activities": "activity"}.get(entity)
    fn, done = {"archive": (editing.archive, N_("Archived %(what)s “%(name)s”.")),
                "restore": (editing.restore, N_("Restored %(what)s “%(name)s”.")),
                "verify": (editing.mark_verified, N_("Marked as verified: %(what)s “%(name)s”."))
                }.get(action, (None, ""))
    if entity is None or fn is None:
        abort(404)
    rate_limit("write")
    try:
        rec = fn(get_db(), g.user, entity, uid)
    except PermissionDenied as exc:
        abort(403, description=str(exc))
    flash(_(done, what=_(ENTITY_NAMES.get(entity, entity)), name=rec["name"]))
    return redirect(request.referrer if _same_site(request.referrer)
                    else url_for(f"admin.edit_{entity}", uid=uid))


def _same_site(url: str | None) -> bool:
    return bool(url) and url.startswith(request.host_url)


@bp.route("/history")
@login_required()
def history():
    paging = _page_args()
    # one more than a page, to know whether there is a next page without counting all
    changes = editing.history(get_db(), limit=ADMIN_PAGE_SIZE + 1, offset=paging["offset"],
                              account=g.user)
    return render_template("admin/history.html", changes=changes[:ADMIN_PAGE_SIZE],
                           page=paging["page"], query=paging["query"],
                           pages=paging["page"] + (len(changes) > ADMIN_PAGE_SIZE))


@bp.route("/history/<int:change_id>/undo", methods=["POST"])
@login_required()
def undo(change_id):
    rate_limit("write")
    try:
        rec = editing.undo(get_db(), g.user, change_id)
    except PermissionDenied as exc:
        abort(403, description=str(exc))
    flash(_("Undid change %(change)s: “%(name)s” is back as it was.", change=change_id,
            name=rec["name"]))
    return redirect(url_for("admin.history"))


@bp.route("/users", methods=["GET", "POST"])
@login_required(role="admin")
def users():
    db = get_db()
    error = None
    if request.method == "POST":
        rate_limit("write")
        try:
            u = accounts.create_user(db, request.form.get("email", ""),
                                     request.form.get("password", ""),
                                     role=request.form.get("role", "editor"),
                                     organisation_uid=request.form.get("organisation_uid") or None)
            flash(_("Created %(role)s %(email)s.", role=_(ROLE_NAMES.get(u["role"], u["role"])),
                    email=u["email"]))
            return redirect(url_for("admin.users"))
        except InvalidParameter as exc:
            error = exc
    return render_template("admin/users.html", users=accounts.users(db), error=error,
                           organisations=store.organisations(db), roles=accounts.ROLES), \
        (400 if error else 200)


IMPORT_KINDS = {
    "places": (N_("Places and activities"), (".csv", ".xlsx", ".geojson", ".json")),
    "indicators": (N_("Indicator table"), (".csv", ".txt", ".xlsx")),
    "neighbourhoods": (N_("Neighbourhoods"), (".geojson", ".json", ".gpkg")),
}


@bp.route("/import", methods=["GET", "POST"])
@login_required(role="admin")
def import_file():
    """Admins upload a file; it is imported in one transaction or refused with every problem.

    The upload goes to a fresh temporary directory under a fixed name (the
    user's file name is only used for its extension and in messages), so a
    file name can never point anywhere else on the server.
    """
    import os
    import tempfile
    from pathlib import Path

    from werkzeug.utils import secure_filename

    problems, done, conflicts, busy = [], None, [], None
    if request.method == "POST":
        rate_limit("write")
        kind = request.form.get("kind", "")
        upload = request.files.get("file")
        if kind not in IMPORT_KINDS:
            abort(400, description=Msg("Choose what the file holds."))
        if upload is None or not upload.filename:
            abort(400, description=Msg("Choose a file to import."))
        shown = secure_filename(upload.filename) or "upload"
        suffix = Path(shown).suffix.lower()
        if suffix not in IMPORT_KINDS[kind][1]:
            abort(400, description=Msg("%(file)s: a file with %(what)s must end in %(ends)s.",
                                       file=shown, what=Msg(IMPORT_KINDS[kind][0]),
                                       ends=", ".join(IMPORT_KINDS[kind][1])))
        with tempfile.TemporaryDirectory(prefix="buurtkaart-upload-") as tmp:
            path = Path(tmp) / f"upload{suffix}"
            upload.save(os.fspath(path))
            db = get_db()
            try:
                done, conflicts = _run_import(db, kind, path, shown,
                                              overwrite=request.form.get("overwrite_edits") == "1")
                done = done.replace(str(path), shown)
            except ImportFailed as exc:
                problems = [{"text": p.localized().replace(str(path), shown),
                             "english": not p.translatable}
                            for p in exc.problems]
            except ImportRunning as exc:
                busy = _("another import is running: %(holder)s; nothing was imported, try "
                         "again when it has finished", holder=translate(describe(exc.holder)))
        status = 400 if problems else 409 if busy else 200
    else:
        status = 200
    return render_template("admin/import.html", kinds=IMPORT_KINDS, problems=problems,
                           done=done, conflicts=conflicts, busy=busy,
                           chosen=request.form.get("kind"),
                           overwrite=request.form.get("overwrite_edits") == "1"), status


def _run_import(db, kind: str, path, shown: str, *, overwrite: bool) -> tuple[str, list]:
    """Import under the import lock; the message to show and the edit conflicts."""
    if kind == "places":
        from ..importers import import_directory

        n = import_directory(db, path, account=g.user, overwrite_edits=overwrite, file=shown)
        kept = (_("the file's values taken") if overwrite else _("the edits kept"))
        return (_("Imported %(places)s places, %(activities)s activities and %(organisations)s "
                  "organisations from %(file)s: %(changed)s records changed, %(unchanged)s "
                  "unchanged, %(conflicts)s edit conflicts (%(kept)s).",
                  places=n["places"], activities=n["activities"],
                  organisations=n["organisations"], file=shown, changed=n.changed,
                  unchanged=n.unchanged, conflicts=len(n.conflicts), kept=kept),
                n.conflicts)
    with import_lock(db, kind=f"{kind} import", file=shown, user=g.user["email"]):
        if kind == "indicators":
            from ..importers.indicators import read_indicator_table

            frame = read_indicator_table(path, source=shown)
            n = store.save_indicators(db, frame, file=shown)
            return _("Imported %(num)s indicator values from %(file)s.", num=n, file=shown), []
        from ..importers.geo import read_neighbourhoods

        frame, warnings = read_neighbourhoods(path)
        n = store.save_neighbourhoods(db, frame, source=shown)
    geomcache.warm(db, cache_dir=current_app.config.get("CACHE_DIR"))  # the first map is fast
    return _("Imported %(num)s neighbourhoods from %(file)s.", num=n, file=shown) + (
        " " + _("Warnings: %(warnings)s", warnings="; ".join(map(translate, warnings)))
        if warnings else ""), []
