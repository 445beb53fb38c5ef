"""GTFS feeds in the database: one row per feed in ``transit_feeds``.

A feed's validated arrays (:class:`~buurtkaart.transit.gtfs.Feed`) are kept as
one compressed ``.npz`` blob in its row, next to its name, file, SHA-256,
counts and service dates. Why a blob rather than a table per GTFS file: the
router needs the whole timetable as arrays anyway, a blob loads in
milliseconds (the national railway feed is a few MB), an import is one
``INSERT`` inside one transaction (all-or-nothing), and backups and restores
of the database carry the feeds with them.

Loaded feeds are memoised per process by SHA-256.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import threading
from pathlib import Path

import numpy as np

from ..errors import BuurtkaartError, InvalidParameter, NotFound
from .gtfs import ARRAYS, Feed, read_feed
from .gtfs_fares_v2 import ARRAYS_V2, empty_v2

__all__ = ["import_feed", "list_feeds", "remove_feed", "load_feeds"]

_LOCK = threading.Lock()
_FEEDS: dict[str, Feed] = {}


def _sha256(path: Path) -> str:
    import hashlib

    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _pack(feed: Feed) -> bytes:
    buf = io.BytesIO()
    extra = {"agencies": np.array(feed.agencies, dtype=str),
             "ignored": np.array(feed.ignored, dtype=str)}
    np.savez_compressed(buf, **{k: feed.arrays[k] for k in (*ARRAYS, *ARRAYS_V2)}, **extra)
    return buf.getvalue()


def _unpack(blob: bytes) -> Feed:
    with np.load(io.BytesIO(blob), allow_pickle=False) as z:
        arrays = {k: z[k] for k in ARRAYS}
        # feeds stored before fares v2 was read have none of its arrays
        arrays.update({k: z[k] if k in z.files else v for k, v in empty_v2().items()})
        return Feed(arrays, z["agencies"].tolist(), z["ignored"].tolist())


def import_feed(db, path: str | Path, *, name: str | None = None, progress=None) -> dict:
    """Validate the GTFS zip at ``path`` and store it as feed ``name`` (default: file stem).

    Raises :class:`~buurtkaart.errors.ImportFailed` listing every problem; the
    database is then unchanged. A feed of the same name is replaced.
    """
    path = Path(path)
    if not path.exists():
        raise BuurtkaartError(f"{path}: no such file")
    name = (name or path.stem).strip()
    if not name:
        raise InvalidParameter("name", "must not be empty")
    feed = read_feed(path, progress=progress)
    sha = _sha256(path)
    dates = feed.date_range()
    row = {"name": name, "file": path.name, "sha256": sha,
           "imported_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
           "counts": json.dumps(feed.counts()), "first_date": dates[0] if dates else None,
           "last_date": dates[1] if dates else None, "has_fares": int(feed.has_fares),
           "arrays": _pack(feed)}
    with db.atomic():
        db.execute("DELETE FROM transit_feeds WHERE name = ?", [name])
        db["transit_feeds"].insert(row)
    with _LOCK:
        _FEEDS[sha] = feed
    out = {k: v for k, v in row.items() if k != "arrays"}
    out["counts"] = feed.counts()
    out["ignored_files"] = feed.ignored
    out["fare_model"] = feed.fare_model
    return out


def list_feeds(db) -> list[dict]:
    rows = db.execute("SELECT name, file, sha256, imported_at, counts, first_date, last_date, "
                      "has_fares FROM transit_feeds ORDER BY name").fetchall()
    keys = ["name", "file", "sha256", "imported_at", "counts", "first_date", "last_date",
            "has_fares"]
    out = []
    for r in rows:
        d = dict(zip(keys, r))
        d["counts"] = json.loads(d["counts"])
        d["has_fares"] = bool(d["has_fares"])
        out.append(d)
    return out


def remove_feed(db, name: str) -> None:
    with db.atomic():
        cur = db.execute("DELETE FROM transit_feeds WHERE name = ?", [name])
    if cur.rowcount == 0:
        raise NotFound(f"no transit feed named {name!r}")


def load_feeds(db) -> list[tuple[str, Feed]]:
    """Every stored feed as ``(name, Feed)``, memoised by content."""
    out = []
    for name, sha in db.execute("SELECT name, sha256 FROM transit_feeds ORDER BY name"):
        with _LOCK:
            feed = _FEEDS.get(sha)
        if feed is None:
            blob = db.execute("SELECT arrays FROM transit_feeds WHERE name = ?",
                              [name]).fetchone()[0]
            feed = _unpack(blob)
            with _LOCK:
                _FEEDS[sha] = feed
        out.append((name, feed))
    return out
