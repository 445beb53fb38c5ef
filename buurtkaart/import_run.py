"""Running a directory import: one at a time, audited like an edit, editors' work kept.

An import of places and activities (CSV, GeoJSON, HSDS, OpenStreetMap)

1. takes the database's import lock (:func:`buurtkaart.concurrency.import_lock`):
   a second import waits a bounded time and is then refused, naming the first;
2. reads and validates the file, then *prepares* outside any write lock: it
   compares every record with the stored one, keeps the fields an editor
   changed after the last import of the same source (each such field is a
   :class:`Conflict` in the report) unless ``overwrite_edits``, and leaves
   unchanged records alone;
3. writes only the changed records in one short transaction, with one audit
   entry per changed record naming the import (table ``imports``: source,
   file, who, when), so undo brings an overwritten record back. Should anyone
   have written between preparing and writing, it prepares again.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field

import sqlite_utils

from pathlib import Path

from . import editing, store
from .i18n import gettext
from .progress import stage
from .concurrency import command_line_user, import_lock, writing
from .errors import ImportFailed, Problem
from .hours import format_sessions
from .i18n import N_, Msg
from .records import Directory
from .taxonomy import WORKING_MODELS

__all__ = ["Conflict", "ImportReport", "run_import"]

_ENTITIES = (("place", "places"), ("activity", "activities"))


@dataclass(frozen=True)
class Conflict:
    """A field an editor changed after the last import of this source, which the file
    would change again."""

    entity: str
    uid: str
    name: str
    field: str
    stored: object
    incoming: object
    kept: bool

    def message(self, *, page: bool = False) -> Msg:
        """What happened to the field; ``page``: for the import page (its check box)
        instead of the command line (``--overwrite-edits``)."""
        values = {"stored": repr(self.stored), "incoming": repr(self.incoming)}
        if not self.kept:
            what = Msg("overwrote the edited value %(stored)s with %(incoming)s", **values)
        elif page:
            what = Msg("kept the edited value %(stored)s (the file has %(incoming)s; tick "
                       "'Overwrite fields editors changed' to take the file's)", **values)
        else:
            what = Msg("kept the edited value %(stored)s (the file has %(incoming)s; use "
                       "--overwrite-edits to take the file's)", **values)
        entity = Msg(ENTITY_WORDS[self.entity]) if self.entity in ENTITY_WORDS else self.entity
        return Msg("%(entity)s %(uid)s (%(name)s): field '%(field)s' was edited after the last "
                   "import of this source; %(what)s", entity=entity, uid=self.uid,
                   name=self.name, field=self.field, what=what)

    def __str__(self) -> str:
        return str(self.message())

    def localized(self) -> str:
        """As on the import page, in the active language."""
        return self.message(page=True).translated()


#: Record kinds in words, for every language.
ENTITY_WORDS = {"place": N_("place"), "activity": N_("activity"),
                "organisation": N_("organisation")}


class ImportReport(dict):
    """``{"organisations": n, "places": n, "activities": n}`` read from the file, with
    ``changed`` and ``unchanged`` record counts, the ``conflicts`` and the ``import_id``."""

    def __init__(self, counts: dict, *, changed: int, unchanged: int,
                 conflicts: list[Conflict], import_id: int | None, source: str):
        super().__init__(counts)
        self.changed, self.unchanged = changed, unchanged
        self.conflicts, self.import_id, self.source = conflicts, import_id, source


@dataclass
class _Plan:
    #: the newest audit entry when preparing: edits after it may touch the same records
    mark: int
    #: entity -> [(clean record to store, snapshot before or None, snapshot-form after)]
    writes: dict[str, list[tuple[dict, dict | None, dict]]] = field(default_factory=dict)
    unchanged: int = 0
    conflicts: list[Conflict] = field(default_factory=list)
    #: the neighbourhood code of each place to write
    codes: list = field(default_factory=list)
    #: audit rows (action, entity, uid, before JSON, after JSON), made before the write lock
    audit: list[tuple] = field(default_factory=list)


class _Stale(Exception):
    """Someone wrote between preparing and writing."""


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def run_import(db: sqlite_utils.Database, read: Callable[[sqlite_utils.Database], Directory], *,
               source: str, file: str, account: dict | None = None,
               overwrite_edits: bool = False, wait: float = 0.0,
               after_store: Callable[[sqlite_utils.Database], object] | None = None
               ) -> ImportReport:
    """Import what ``read(db)`` returns, as described in the module docstring.

    ``after_store(db)``, when given, runs in the same write transaction after the
    records are stored (``import osm`` replaces the search addresses there), so it
    is kept or refused together with them.

    ``source`` names the kind of import (``osm``, ``csv``, ``geojson``,
    ``hsds``): an editor's change counts as newer than the import when it
    came after the last import of that source. ``wait`` is how long to wait
    for another import to finish.
    """
    who = account["email"] if account else command_line_user()
    with import_lock(db, kind=f"{source} import", file=file, user=who, wait=wait):
        with stage(gettext("reading %(file)s", file=Path(file).name), total=1, unit=" file") as bar:
            directory = read(db)
            bar.update(1)
        for _attempt in range(3):
            plan = _prepare(db, directory, source, overwrite_edits)
            try:
                with writing(db):
                    if _edited_since(db, plan.mark, directory):
                        raise _Stale
                    report = _store(db, directory, plan, source=source, file=file,
                                    account=account, overwrite_edits=overwrite_edits)
                    if after_store:
                        after_store(db)
                    return report
            except _Stale:
                continue
        with writing(db):  # busy directory: prepare while holding the write lock
            plan = _prepare(db, directory, source, overwrite_edits)
            report = _store(db, directory, plan, source=source, file=file, account=account,
                            overwrite_edits=overwrite_edits)
            if after_store:
                after_store(db)
            return report


# --------------------------------------------------------------------------- prepare
def _edited_since(db, mark: int, d: Directory) -> bool:
    """Did someone edit one of the file's records after the plan was made?

    Every other writer of places and activities either audits (edits) or
    holds the import lock (imports), so the audit log tells."""
    touched = set(db.execute("SELECT entity, entity_uid FROM audit_log WHERE id > ?", [mark]))
    return bool(touched) and any((entity, r["uid"]) in touched
                                 for entity, key in _ENTITIES for r in getattr(d, key))


def _form(entity: str, rec: dict) -> dict:
    """A validated record in :func:`editing.snapshot`'s form (what the audit log holds)."""
    fields = editing.ENTITIES[entity][1]
    out = {f: rec.get(f) for f in fields}
    if entity == "activity":
        out["sessions"] = format_sessions(sorted(rec.get("sessions") or [],
                                                 key=lambda s: (s.weekday, s.start)))
        out["models"] = sorted(rec.get("models") or [], key=list(WORKING_MODELS).index)
        out["languages"] = list(rec.get("languages") or [])
    return out


def _same(a, b) -> bool:
    if isinstance(a, list) or isinstance(b, list):
        return sorted(map(str, a or [])) == sorted(map(str, b or []))
    return (None if a == "" else a) == (None if b == "" else b)


def _edited_fields(db, entity: str, uids: list[str], source: str) -> dict[str, set[str]]:
    """Per uid: fields people changed after the last import of ``source`` touched it."""
    edited: dict[str, set[str]] = {}
    for i in range(0, len(uids), 500):
        chunk = uids[i:i + 500]
        for uid, before, after, imp_source in db.execute(
                "SELECT l.entity_uid, l.before, l.after, i.source FROM audit_log l "
                "LEFT JOIN imports i ON i.id = l.import_id WHERE l.entity = ? AND "
                f"l.entity_uid IN ({','.join('?' * len(chunk))}) ORDER BY l.id",
                [entity, *chunk]):
            if imp_source is not None and imp_source != source:
                continue  # another source's import: neither an edit nor this source's
            b, a = json.loads(before) if before else None, json.loads(after) if after else {}
            changed = {k for k in a if k != "archived_at" and not _same(a.get(k), (b or {}).get(k))}
            if imp_source is None:  # a person's change
                edited.setdefault(uid, set()).update(changed)
            elif b is None:
                edited.pop(uid, None)
            else:  # this source's import wrote these fields; the ones it kept stay edited
                edited.get(uid, set()).difference_update(changed)
    return edited


def _prepare(db, d: Directory, source: str, overwrite: bool) -> _Plan:
    began = not db.conn.in_transaction
    if began:
        db.conn.execute("BEGIN")  # one consistent snapshot of everything read
    try:
        plan = _Plan(db.execute("SELECT coalesce(max(id), 0) FROM audit_log").fetchone()[0])
        total = sum(len(getattr(d, key)) for _entity, key in _ENTITIES)
        with stage(gettext("comparing with the directory"), total=total, unit=" records") as bar:
            _compare(db, d, source, overwrite, plan, bar)
        plan.codes = store.neighbourhood_codes(
            db, [(rec["lon"], rec["lat"]) for rec, _, _ in plan.writes["place"]])
        return plan
    finally:
        if began:
            db.conn.execute("COMMIT")


def _compare(db, d: Directory, source: str, overwrite: bool, plan: _Plan, bar) -> None:
    """Fill ``plan`` with the records of ``d`` that change the directory."""
    for entity, key in _ENTITIES:
        records = getattr(d, key)
        current = editing.snapshots(db, entity, [r["uid"] for r in records])
        edited = _edited_fields(db, entity, list(current), source)
        writes = plan.writes.setdefault(entity, [])
        for rec in records:
            bar.update(1)
            before = current.get(rec["uid"])
            after = _form(entity, rec)
            if before is not None:
                rec, after = _keep_edits(entity, rec, after, before,
                                         edited.get(rec["uid"], set()), overwrite, plan)
                if all(_same(after[f], before.get(f)) for f in after):
                    plan.unchanged += 1
                    continue
                after["archived_at"] = before.get("archived_at")
            writes.append((rec, before, after))
            plan.audit.append(("update" if before else "create", entity, rec["uid"],
                               json.dumps(before, ensure_ascii=False) if before else None,
                               json.dumps(after, ensure_ascii=False)))


def _keep_edits(entity, rec, after, before, edited, overwrite, plan):
    kept = {}
    for f in sorted(edited & set(after)):
        if not _same(after[f], before.get(f)):
            plan.conflicts.append(Conflict(entity, rec["uid"], str(before.get("name")), f,
                                           before.get(f), after[f], kept=not overwrite))
            if not overwrite:
                kept[f] = before.get(f)
    if not kept:
        return rec, after
    after = {**after, **kept}
    clean, problems = editing.ENTITIES[entity][2](after)
    if problems:  # the stored value no longer validates: say so rather than guess
        raise ImportFailed([Problem(entity, rec.get("where"), f, r) for f, r in problems])
    clean["where"] = rec.get("where")
    return clean, _form(entity, clean)


# --------------------------------------------------------------------------- write
def _store(db, d: Directory, plan: _Plan, *, source, file, account, overwrite_edits):
    import_id = db.execute(
        "INSERT INTO imports (source, file, user_id, started_at, overwrite_edits) "
        "VALUES (?, ?, ?, ?, ?)",
        [source, file, account["id"] if account else None, _now(), int(overwrite_edits)],
    ).lastrowid
    places = [rec for rec, _, _ in plan.writes["place"]]
    activities = [rec for rec, _, _ in plan.writes["activity"]]
    with stage(gettext("writing"), total=len(places) + len(activities), unit=" records") as bar:
        store.save_directory(db, organisations=d.organisations, places=places,
                             activities=activities, file=file, codes=plan.codes)
        bar.update(len(places) + len(activities))
    at, user_id = _now(), account["id"] if account else None
    db.conn.executemany(
        "INSERT INTO audit_log (at, user_id, action, entity, entity_uid, before, after, "
        "import_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [(at, user_id, *row, import_id) for row in plan.audit])
    changed = len(places) + len(activities)
    db.execute("UPDATE imports SET finished_at = ?, changed = ?, unchanged = ?, conflicts = ? "
               "WHERE id = ?", [_now(), changed, plan.unchanged, len(plan.conflicts), import_id])
    counts = {"organisations": len(d.organisations), "places": len(d.places),
              "activities": len(d.activities)}
    if d.warnings:
        counts["warnings"] = list(d.warnings)
    return ImportReport(counts, changed=changed, unchanged=plan.unchanged,
                        conflicts=plan.conflicts, import_id=import_id, source=source)
