"""Backup with SQLite's online backup API, and a checked restore (see :mod:`buurtkaart.restoring`)."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import sqlite_utils


from .schema import migrations, schema_version


def backup(db: sqlite_utils.Database, out: str | os.PathLike) -> Path:
    """Copy the live database to ``out`` with SQLite's online backup API.

    Safe while the service runs (readers and writers are not blocked for
    long). Written to a temporary file first and renamed, so ``out`` is
    either the complete backup or absent.
    """
    from ..errors import BuurtkaartError

    out = Path(out)
    if out.exists():
        msg = f"{out} exists; choose a new file name for the backup"
        raise FileExistsError(msg)
    if not out.parent.is_dir():
        raise BuurtkaartError(f"{out}: the folder {out.parent} does not exist")
    tmp = out.with_name(out.name + ".partial")
    try:
        target = sqlite3.connect(tmp)
        try:
            db.conn.backup(target)
            target.execute("PRAGMA journal_mode=DELETE")
        finally:
            target.close()
        tmp.replace(out)
    except (sqlite3.Error, OSError) as exc:
        tmp.unlink(missing_ok=True)
        raise BuurtkaartError(f"{out}: cannot write the backup ({exc})") from None
    return out


def check_database_file(path: str | os.PathLike) -> int:
    """Check that ``path`` is a buurtkaart database this version may restore (intact, the
    exact schema of its migrations, no broken references); return its schema version.
    See :mod:`buurtkaart.restoring`."""
    from ..restoring import check_backup

    return check_backup(path)


def restore(source: str | os.PathLike, db: sqlite_utils.Database) -> int:
    """Replace the contents of ``db`` by the backup at ``source``, then migrate.

    The backup is checked first (:func:`check_database_file`); a refused file
    leaves ``db`` untouched. Returns the schema version after migrating.
    """
    from ..restoring import restore_backup

    restore_backup(source, db.conn)
    db.conn.execute("PRAGMA foreign_keys=ON")
    if migrations.pending(db):
        migrations.apply(db)
    return schema_version(db)
