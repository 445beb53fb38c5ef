"""The directory as CSV: one row per activity (places without activities get one
row of their own, mobile activities have empty place columns)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from .. import store
from ..importers.csvtext import neutralise_formula
from ..importers.tabular import CSV_COLUMNS, YES_NO_COLUMNS, activity_columns, place_columns
from . import atomic_write

__all__ = ["write", "rows"]


def _cell(column: str, v) -> str:
    """A value as the CSV importer reads it back: yes/no for thresholds, numbers as
    numbers, text with a leading ``'`` where a spreadsheet would take it for a formula."""
    if v is None:
        return ""
    if column in YES_NO_COLUMNS:
        if column in ("sample", "place_sample"):
            return "yes" if v else ""
        return "yes" if v else "no"
    if isinstance(v, (int, float)):
        return str(v)
    return neutralise_formula(str(v))


def rows(db) -> list[dict]:
    """One dict per CSV row (column name -> value): a row per activity at a place, a
    row for each place without activities, a row per mobile activity."""
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
    """Write the directory to ``out`` as CSV (UTF-8, ``,``, CRLF); returns a summary."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(CSV_COLUMNS), lineterminator="\r\n")
    w.writeheader()
    data = rows(db)
    for r in data:
        w.writerow({k: _cell(k, r.get(k)) for k in CSV_COLUMNS})
    atomic_write(out, buf.getvalue())
    return f"{len(data)} rows to {out}"
