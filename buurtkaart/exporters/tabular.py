"""The directory as CSV: one row per activity (places without activities get one
row of their own, mobile activities have empty place columns)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from .. import store
from ..importers.tabular import CSV_COLUMNS, activity_columns, place_columns
from . import atomic_write


def _cell(v) -> str:
    if v is None:
        return ""
    return str(v)


def rows(db) -> list[dict]:
    out = []
    for p in store.places(db):
        pc = place_columns(p)
        if not p["activities"]:
            out.append(pc)
        for a in p["activities"]:
            out.append({**pc, **activity_columns(a)})
    for a in store.activities(db):
        if a["place_id"] is None:
            out.append({**activity_columns(a), "organisation": a.get("organisation_name"),
                        "organisation_uid": a.get("organisation_uid")})
    return out


def write(db, out: Path) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(CSV_COLUMNS), lineterminator="\r\n")
    w.writeheader()
    data = rows(db)
    for r in data:
        w.writerow({k: _cell(r.get(k)) for k in CSV_COLUMNS})
    atomic_write(out, buf.getvalue())
    return f"{len(data)} rows to {out}"
