"""Editing the directory: create, update, archive and restore with an audit log and undo.

Every change goes through the same validation as the importers
(:mod:`buurtkaart.records`), checks the account's permission
(:func:`buurtkaart.accounts.can_edit`), and is written in one transaction
together with an audit entry holding the record before and after. Undo writes
the "before" snapshot back (itself audited), so nothing is ever lost:
records are archived, never deleted.

``last_verified`` older than :data:`STALE_AFTER_DAYS` (about six months)
marks a record as stale; :func:`review_queue` lists them, oldest first.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

import sqlite_utils

from . import store
from .concurrency import writing
from .accounts import PermissionDenied, can_edit
from .errors import ImportFailed, InvalidParameter, NotFound, Problem
from .hours import format_sessions
from .records import ACTIVITY_FIELDS, PLACE_FIELDS, validate_activity, validate_place

__all__ = [
    "STALE_AFTER_DAYS",
    "ENTITIES",
    "snapshot",
    "snapshots",
    "save",
    "archive",
    "restore",
    "mark_verified",
    "undo",
    "history",
    "is_stale",
    "review_queue",
    "review_count",
]

STALE_AFTER_DAYS = 183
ENTITIES = {"place": ("places", PLACE_FIELDS, validate_place),
            "activity": ("activities", ACTIVITY_FIELDS, validate_activity)}


def _entity(entity: str) -> tuple[str, tuple[str, ...], Any]:
    try:
        return ENTITIES[entity]
    except KeyError:
        raise InvalidParameter("entity", f"must be one of {', '.join(ENTITIES)}") from None


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def snapshot(db: sqlite_utils.Database, entity: str, uid: str) -> dict | None:
    """The record as an importer would take it (plus ``archived_at``), or ``None``."""
    table, fields, _ = _entity(entity)
    row = db.execute(f"SELECT id FROM {table} WHERE uid = ?", [uid]).fetchone()
    if not row:
        return None
    if entity == "place":
        rec = store.place(db, row[0])
    else:
        rec = store.activity(db, row[0])
        rec["sessions"] = format_sessions(rec["sessions"])
    out = {f: rec.get(f) for f in fields}
    out["archived_at"] = rec.get("archived_at")
    return out


def snapshots(db: sqlite_utils.Database, entity: str, uids) -> dict[str, dict]:
    """:func:`snapshot` of many records at once, by uid (those that exist)."""
    table, fields, _ = _entity(entity)
    uids = set(uids)
    if len(uids) <= 50:
        found = {uid: snapshot(db, entity, uid) for uid in uids}
        return {uid: rec for uid, rec in found.items() if rec is not None}
    if entity == "place":
        recs = store.places(db, include_archived=True)
    else:
        recs = store.activities(db, include_archived=True)
    out = {}
    for rec in recs:
        if rec["uid"] in uids:
            if entity == "activity":
                rec["sessions"] = format_sessions(rec["sessions"])
            out[rec["uid"]] = {f: rec.get(f) for f in fields} | {"archived_at": rec["archived_at"]}
    return out


def _organisation_of(db, entity: str, record: dict) -> str | None:
    if entity == "activity" and not record.get("organisation_uid") and record.get("place_uid"):
        row = db.execute("SELECT o.uid FROM places p JOIN organisations o "
                         "ON o.id = p.organisation_id WHERE p.uid = ?",
                         [record["place_uid"]]).fetchone()
        return row[0] if row else None
    return record.get("organisation_uid")


def _require(db, account, entity, record) -> None:
    if not can_edit(account, _organisation_of(db, entity, record)):
        raise PermissionDenied(
            f"{account['email'] if account else 'anonymous'} may not edit this {entity}: "
            "editors edit only their own organisation's records")


def _log(db, account, action, entity, uid, before, after, undoes=None) -> int:
    return db["audit_log"].insert({
        "at": _now(), "user_id": account["id"] if account else None, "action": action,
        "entity": entity, "entity_uid": uid,
        "before": json.dumps(before, ensure_ascii=False) if before is not None else None,
        "after": json.dumps(after, ensure_ascii=False) if after is not None else None,
        "undoes": undoes,
    }).last_pk


def _write(db, entity: str, record: dict) -> None:
    """Validate and store ``record`` (an importer-style dict); raise on problems."""
    _, _, validate = _entity(entity)
    clean, problems = validate({k: v for k, v in record.items() if k != "archived_at"})
    if problems:
        raise ImportFailed([Problem(entity, None, f, r) for f, r in problems])
    key = "places" if entity == "place" else "activities"
    store.save_directory(db, **{key: [clean]}, file=entity)
    table = _entity(entity)[0]
    db.execute(f"UPDATE {table} SET archived_at = ? WHERE uid = ?",
               [record.get("archived_at"), clean["uid"]])


def save(db: sqlite_utils.Database, account: dict, entity: str, data: dict, *,
         uid: str | None = None) -> dict:
    """Create (``uid`` None) or update a place or activity; returns the stored record.

    ``data`` holds importer-style fields; on update, fields not given keep
    their value. An editor's new records belong to their organisation.
    """
    with writing(db):  # read and write under one lock: no lost updates
        before = snapshot(db, entity, uid) if uid else None
        if uid and before is None:
            raise NotFound(f"no {entity} with uid {uid!r}")
        record = {**(before or {}), **{k: v for k, v in data.items() if k != "uid"}}
        if uid:
            record["uid"] = uid
        else:
            record["uid"] = str(uuid.uuid4())
            if account and account.get("role") == "editor":
                record["organisation_uid"] = account.get("organisation_uid")
        if before:
            _require(db, account, entity, before)
        _require(db, account, entity, record)
        _write(db, entity, record)
        after = snapshot(db, entity, record["uid"])
        _log(db, account, "update" if before else "create", entity, record["uid"], before, after)
    return after


def _set_archived(db, account, entity, uid, value: str | None, action: str) -> dict:
    with writing(db):
        before = snapshot(db, entity, uid)
        if before is None:
            raise NotFound(f"no {entity} with uid {uid!r}")
        _require(db, account, entity, before)
        table = _entity(entity)[0]
        db.execute(f"UPDATE {table} SET archived_at = ? WHERE uid = ?", [value, uid])
        after = snapshot(db, entity, uid)
        _log(db, account, action, entity, uid, before, after)
    return after


def archive(db: sqlite_utils.Database, account: dict, entity: str, uid: str) -> dict:
    """Hide a record from the public directory (it stays in the database)."""
    return _set_archived(db, account, entity, uid, _now(), "archive")


def restore(db: sqlite_utils.Database, account: dict, entity: str, uid: str) -> dict:
    return _set_archived(db, account, entity, uid, None, "restore")


def mark_verified(db: sqlite_utils.Database, account: dict, entity: str, uid: str,
                  *, on: dt.date | None = None) -> dict:
    """Record that someone checked the record is still true today."""
    return save(db, account, entity, {"last_verified": (on or dt.date.today()).isoformat()},
                uid=uid)


def undo(db: sqlite_utils.Database, account: dict, audit_id: int) -> dict | None:
    """Put back the record as it was before audit entry ``audit_id``."""
    with writing(db):
        row = db.execute("SELECT entity, entity_uid, before, after FROM audit_log WHERE id = ?",
                         [audit_id]).fetchone()
        if not row:
            raise NotFound(f"no change with id {audit_id}")
        entity, uid, before_json, _after = row
        current = snapshot(db, entity, uid)
        if current is not None:
            _require(db, account, entity, current)
        if before_json is None:  # undoing a creation: archive what was created
            table = _entity(entity)[0]
            db.execute(f"UPDATE {table} SET archived_at = ? WHERE uid = ?", [_now(), uid])
        else:
            before = json.loads(before_json)
            _require(db, account, entity, before)
            _write(db, entity, before)
        restored = snapshot(db, entity, uid)
        _log(db, account, "undo", entity, uid, current, restored, undoes=audit_id)
    return restored


def history(db: sqlite_utils.Database, *, entity: str | None = None, uid: str | None = None,
            limit: int = 100, account: dict | None = None, offset: int = 0) -> list[dict]:
    """Audit entries, newest first, with the e-mail of who made them (``limit`` of them,
    after skipping the ``offset`` newest).

    With ``account``: only the entries that account may see, i.e. for an editor the
    changes to their own organisation's records (an admin sees everything).
    """
    sql = ("SELECT l.*, u.email, i.source AS import_source, i.file AS import_file "
           "FROM audit_log l LEFT JOIN users u ON u.id = l.user_id "
           "LEFT JOIN imports i ON i.id = l.import_id")
    where, params = [], []
    if entity:
        where.append("l.entity = ?")
        params.append(entity)
    if uid:
        where.append("l.entity_uid = ?")
        params.append(uid)
    if where:
        sql += " WHERE " + " AND ".join(where)
    restricted = account is not None and account.get("role") != "admin"
    out = []
    skip = offset if restricted else 0
    for r in db.query(sql + " ORDER BY l.id DESC" + ("" if restricted else " LIMIT ? OFFSET ?"),
                      params if restricted else [*params, limit, offset]):
        r = dict(r)
        r["before"] = json.loads(r["before"]) if r["before"] else None
        r["after"] = json.loads(r["after"]) if r["after"] else None
        if restricted and not any(
                rec is not None and can_edit(account, _organisation_of(db, r["entity"], rec))
                for rec in (r["after"], r["before"])):
            continue
        if skip:
            skip -= 1
            continue
        out.append(r)
        if len(out) >= limit:
            break
    return out


def is_stale(last_verified: str | None, *, today: dt.date | None = None) -> bool:
    """True when a record was never verified or not in the last six months."""
    if not last_verified:
        return True
    today = today or dt.date.today()
    return (today - dt.date.fromisoformat(last_verified[:10])).days > STALE_AFTER_DAYS


def _review_sql(account: dict | None, today: dt.date | None) -> tuple[str, list]:
    """The stale records ``account`` may edit, as one SQL query (oldest first) and its
    parameters: a place belongs to its organisation, an activity to its own or else to
    its place's (as :func:`_organisation_of` decides)."""
    cutoff = ((today or dt.date.today()) - dt.timedelta(days=STALE_AFTER_DAYS)).isoformat()
    stale = ("{t}.archived_at IS NULL AND ({t}.last_verified IS NULL OR {t}.last_verified = '' "
             "OR substr({t}.last_verified, 1, 10) < ?)")
    org_p, org_a, params = "", "", [cutoff, cutoff]
    if account is not None and (not account.get("active") or account["role"] != "admin"):
        org = account.get("organisation_uid") if account.get("active") else None
        org_p = " AND o.uid = ?"
        org_a = " AND coalesce(o.uid, po.uid) = ?"
        params = [cutoff, org, cutoff, org]
    sql = ("SELECT 'place' AS entity, p.uid, p.name, p.last_verified FROM places p "
           "LEFT JOIN organisations o ON o.id = p.organisation_id WHERE "
           + stale.format(t="p") + org_p +
           " UNION ALL SELECT 'activity', a.uid, a.name, a.last_verified FROM activities a "
           "LEFT JOIN organisations o ON o.id = a.organisation_id "
           "LEFT JOIN places pl ON pl.id = a.place_id "
           "LEFT JOIN organisations po ON po.id = pl.organisation_id WHERE "
           + stale.format(t="a") + org_a)
    return sql, params


def review_queue(db: sqlite_utils.Database, account: dict | None = None, *,
                 today: dt.date | None = None, limit: int | None = None,
                 offset: int = 0) -> list[dict]:
    """Stale places and activities the account may edit, never-verified and oldest first
    (``limit`` of them from ``offset``; all when ``limit`` is None)."""
    sql, params = _review_sql(account, today)
    sql = ("SELECT * FROM (" + sql + ") ORDER BY coalesce(last_verified, ''), name, entity, "
           "uid" + ("" if limit is None else " LIMIT ? OFFSET ?"))
    return [dict(r) for r in db.query(sql, params + ([] if limit is None
                                                     else [limit, offset]))]


def review_count(db: sqlite_utils.Database, account: dict | None = None, *,
                 today: dt.date | None = None) -> int:
    """How many records :func:`review_queue` lists in all."""
    sql, params = _review_sql(account, today)
    return db.execute("SELECT count(*) FROM (" + sql + ")", params).fetchone()[0]
