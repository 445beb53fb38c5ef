"""Write endpoints of the API: token-authenticated, validated like the importers, audited.

Records are addressed by ``uid`` (stable across exports and imports). The
body is a JSON object with the importer's field names (see docs/formats.md);
unknown fields are refused, naming them.
"""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, request, url_for

from .. import editing
from ..errors import InvalidParameter
from ..hours import format_sessions
from ..records import ACTIVITY_FIELDS, PLACE_FIELDS
from .auth import api_user
from .db import get_db
from .params import int_arg
from .public import visible_record

bp = Blueprint("api_write", __name__, url_prefix="/api")

_COLLECTIONS = {"places": "place", "activities": "activity"}
_WRITABLE = {
    "place": set(PLACE_FIELDS) - {"uid", "sample", "source"},
    "activity": set(ACTIVITY_FIELDS) - {"uid", "sample", "source"},
}


def _entity(collection: str) -> str:
    try:
        return _COLLECTIONS[collection]
    except KeyError:
        abort(404)


def _body(entity: str) -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise InvalidParameter("body", "expected a JSON object with Content-Type: "
                                       "application/json")
    unknown = sorted(set(data) - _WRITABLE[entity])
    if unknown:
        raise InvalidParameter(unknown[0], f"unknown field (writable {entity} fields: "
                                           f"{', '.join(sorted(_WRITABLE[entity]))})")
    if isinstance(data.get("sessions"), list) and all(isinstance(s, str) for s in data["sessions"]):
        data["sessions"] = "; ".join(data["sessions"])
    return data


def _out(record: dict) -> dict:
    rec = dict(record)
    if isinstance(rec.get("sessions"), list):
        rec["sessions"] = format_sessions(rec["sessions"])
    return {"ok": True, "record": rec}


def create(collection):
    entity = _entity(collection)
    user = api_user()
    rec = editing.save(get_db(), user, entity, _body(entity))
    resp = jsonify(_out(rec))
    resp.status_code = 201
    resp.headers["Location"] = url_for(f"api_write.record_{collection}", uid=rec["uid"])
    return resp


def record(collection, uid):
    """The editable form of a record (what PATCH takes); archived ones (and activities at an
    archived place) only for a token of an account that may edit them."""
    entity = _entity(collection)
    db = get_db()
    rec = editing.snapshot(db, entity, uid)
    if rec is None or not visible_record(db, entity, rec, api_user(required=False)):
        abort(404, description=f"no {entity} with uid {uid}")
    return jsonify(_out(rec))


def update(collection, uid):
    entity = _entity(collection)
    user = api_user()
    return jsonify(_out(editing.save(get_db(), user, entity, _body(entity), uid=uid)))


def act(collection, uid, action):
    entity = _entity(collection)
    fn = {"archive": editing.archive, "restore": editing.restore,
          "verify": editing.mark_verified}.get(action)
    if fn is None:
        abort(404, description=f"unknown action {action!r} (archive, restore, verify)")
    user = api_user()
    return jsonify(_out(fn(get_db(), user, entity, uid)))


for _collection in _COLLECTIONS:
    _defaults = {"collection": _collection}
    bp.add_url_rule(f"/{_collection}", f"create_{_collection}", create, methods=["POST"],
                    defaults=_defaults)
    bp.add_url_rule(f"/{_collection}/by-uid/<uid>", f"record_{_collection}", record,
                    methods=["GET"], defaults=_defaults)
    bp.add_url_rule(f"/{_collection}/by-uid/<uid>", f"update_{_collection}", update,
                    methods=["PATCH"], defaults=_defaults)
    bp.add_url_rule(f"/{_collection}/by-uid/<uid>/<any(archive, restore, verify):action>",
                    f"act_{_collection}", act, methods=["POST"], defaults=_defaults)


@bp.route("/changes", methods=["GET"])
def changes():
    """The audit log (needs a token: it names who changed what)."""
    account = api_user()
    limit = int_arg("limit", lo=1, hi=1000, default=100)
    return jsonify({"ok": True, "changes": editing.history(get_db(), limit=limit,
                                                                account=account)})


@bp.route("/changes/<int:change_id>/undo", methods=["POST"])
def undo(change_id):
    user = api_user()
    return jsonify(_out(editing.undo(get_db(), user, change_id)))
