"""What the public may read: archived places and activities, and activities at an archived
place, are not found on any public path (pages, API, HSDS, isochrones). Editors still reach
them through the editing pages and, with a token, the write API's record endpoints."""

from __future__ import annotations

from .. import accounts, editing, store
from ..errors import NotFound
from ..i18n import Msg

__all__ = ["live_place", "live_activity", "visible_record"]


def live_place(db, place_id: int) -> dict:
    """A place that is not archived, with its current activities; NotFound otherwise."""
    p = store.place(db, place_id)
    if p.get("archived_at"):
        raise NotFound(Msg("place %(id)s has been archived", id=place_id))
    p["activities"] = [a for a in p["activities"] if not a.get("archived_at")]
    return p


def live_activity(db, activity_id: int) -> dict:
    """An activity that is not archived and whose place (if any) is not; NotFound otherwise."""
    a = store.activity(db, activity_id)
    if a.get("archived_at"):
        raise NotFound(Msg("activity %(id)s has been archived", id=activity_id))
    if a.get("place") and a["place"].get("archived_at"):
        raise NotFound(Msg("activity %(id)s is at an archived place", id=activity_id))
    return a


def visible_record(db, entity: str, rec: dict, account: dict | None) -> bool:
    """May ``account`` (``None``: the public) read this editable record (see
    :func:`buurtkaart.editing.snapshot`)? Archived ones only for those who may edit them."""
    archived = bool(rec.get("archived_at"))
    if entity == "activity" and rec.get("place_uid") and not archived:
        row = db.execute("SELECT archived_at FROM places WHERE uid = ?",
                         [rec["place_uid"]]).fetchone()
        archived = bool(row and row[0])
    return not archived or accounts.can_edit(account, editing._organisation_of(db, entity, rec))
