"""Checking a backup before it replaces the live database, and restoring it.

A backup is a whole SQLite file, schema included: a trigger or view smuggled into
it would run inside the live service after a restore. So a backup is accepted
only when

- SQLite finds it intact (``PRAGMA integrity_check``);
- its applied migrations are the first ones this version knows, in order;
- its schema (every table with its columns and constraints, index, trigger and
  view) is exactly the one a fresh database gets from those migrations, built
  in memory at run time (so migrations added later are compared too);
- every reference resolves (``PRAGMA foreign_key_check``).

The file is first copied (SQLite's backup API, read-only) to a private
temporary file, the copy is checked, brought to the live database's page size
and only then copied into the live database; a refused file never touches it.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from pathlib import Path

import sqlite_utils

from .errors import BuurtkaartError

__all__ = ["check_backup", "restore_backup", "schema_differences"]

_SHOWN = 10


def _open_read_only(path: Path) -> sqlite3.Connection:
    # a URI, so the file is opened read-only; as_uri() percent-encodes '#', '?' and '%'
    conn = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
    conn.execute("PRAGMA trusted_schema = OFF")  # run no function the file's schema names
    return conn


def _objects(conn: sqlite3.Connection) -> dict[tuple[str, str], tuple[str, str]]:
    """(type, name) -> (table it belongs to, SQL with whitespace normalised)."""
    rows = conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master "
                        "WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\'").fetchall()
    return {(t, n): (tbl, " ".join((sql or "").split())) for t, n, tbl, sql in rows}


def _columns(conn: sqlite3.Connection, table: str) -> dict[str, tuple]:
    return {r[1]: tuple(r[2:]) for r in conn.execute(
        "SELECT * FROM pragma_table_xinfo(?)", [table])}


def schema_differences(conn: sqlite3.Connection, reference: sqlite3.Connection) -> list[str]:
    """What in ``conn``'s schema differs from ``reference``'s, in words."""
    got, want = _objects(conn), _objects(reference)
    out = []
    for kind, name in sorted(got.keys() - want.keys()):
        out.append(f"extra {kind} {name!r}" + (f" (on {got[kind, name][0]})"
                                                if kind in ("index", "trigger") else ""))
    for kind, name in sorted(want.keys() - got.keys()):
        out.append(f"missing {kind} {name!r}")
    for kind, name in sorted(got.keys() & want.keys()):
        if got[kind, name] == want[kind, name]:
            continue
        if kind == "table":
            have, expect = _columns(conn, name), _columns(reference, name)
            parts = [f"extra column {c!r}" for c in have.keys() - expect.keys()]
            parts += [f"missing column {c!r}" for c in expect.keys() - have.keys()]
            parts += [f"column {c!r} has another type or constraint"
                      for c in have.keys() & expect.keys() if have[c] != expect[c]]
            out.append(f"table {name!r} differs: "
                       + ("; ".join(sorted(parts)) or "other constraints or column order"))
        else:
            out.append(f"{kind} {name!r} has another definition")
    return out


def _reference(applied: list[str]) -> sqlite3.Connection:
    """A fresh in-memory database with the migrations ``applied`` (a prefix of ours)."""
    from .store.schema import migrations

    known = [m.name for m in migrations._migrations]
    conn = sqlite3.connect(":memory:", isolation_level=None)
    stop = known[len(applied)] if len(applied) < len(known) else None
    migrations.apply(sqlite_utils.Database(conn), stop_before=stop)
    return conn


def _check_connection(conn: sqlite3.Connection, shown: str) -> int:
    """Everything :func:`check_backup` promises, on an open connection; the schema version."""
    from .store.schema import migrations

    try:
        problems = [r[0] for r in conn.execute("PRAGMA integrity_check")]
        names = [r[0] for r in conn.execute(
            "SELECT name FROM _sqlite_migrations WHERE migration_set = 'buurtkaart' "
            "ORDER BY applied_at, rowid")]
    except sqlite3.DatabaseError as exc:
        raise BuurtkaartError(f"{shown} is not a buurtkaart database: {exc}") from None
    if problems != ["ok"]:
        raise BuurtkaartError(f"{shown} is damaged: {'; '.join(problems[:_SHOWN])}")
    known = [m.name for m in migrations._migrations]
    if not names or names != known[:len(names)]:
        unknown = [n for n in names if n not in known]
        raise BuurtkaartError(
            f"{shown} is not a buurtkaart database this version understands (migrations "
            f"{unknown or names or 'none'}; this version has {', '.join(known)})")
    reference = _reference(names)
    try:
        differences = schema_differences(conn, reference)
    finally:
        reference.close()
    if differences:
        more = f" and {len(differences) - _SHOWN} more" if len(differences) > _SHOWN else ""
        raise BuurtkaartError(
            f"{shown} does not have the schema buurtkaart expects at version {len(names)}; "
            f"refusing to restore it: {'; '.join(differences[:_SHOWN])}{more}")
    broken = conn.execute("PRAGMA foreign_key_check").fetchall()
    if broken:
        listed = "; ".join(f"{table} row {rowid} refers to a missing {parent} record"
                           for table, rowid, parent, _fk in broken[:_SHOWN])
        raise BuurtkaartError(f"{shown} has {len(broken)} foreign key violation(s), refusing "
                              f"to restore it: {listed}")
    return len(names)


def check_backup(path: str | os.PathLike) -> int:
    """Check that ``path`` is a buurtkaart database this version may restore; its version.

    Raises :class:`BuurtkaartError` naming the file and what is wrong.
    """
    path = Path(path)
    try:
        conn = _open_read_only(path)
    except sqlite3.DatabaseError as exc:
        raise BuurtkaartError(f"{path} is not a buurtkaart database: {exc}") from None
    try:
        return _check_connection(conn, str(path))
    finally:
        conn.close()


def restore_backup(source: str | os.PathLike, conn: sqlite3.Connection) -> None:
    """Replace the contents of the live connection ``conn`` by the checked backup ``source``."""
    source = Path(source)
    live_file = conn.execute("PRAGMA database_list").fetchone()[2]
    folder = Path(live_file).parent if live_file else None
    with tempfile.TemporaryDirectory(prefix="buurtkaart-restore-", dir=folder) as tmp:
        copy = Path(tmp) / "restore.sqlite"
        try:
            src = _open_read_only(source)
            try:
                dst = sqlite3.connect(copy, isolation_level=None)
                src.backup(dst)
            finally:
                src.close()
        except sqlite3.DatabaseError as exc:
            raise BuurtkaartError(f"{source} is not a buurtkaart database: {exc}") from None
        try:
            dst.execute("PRAGMA trusted_schema = OFF")
            _check_connection(dst, str(source))  # the copy: the file may change meanwhile
            page_size = conn.execute("PRAGMA page_size").fetchone()[0]
            if dst.execute("PRAGMA page_size").fetchone()[0] != page_size:
                # a WAL database only takes a backup with its own page size
                dst.execute("PRAGMA journal_mode = DELETE")
                dst.execute(f"PRAGMA page_size = {int(page_size)}")
                dst.execute("VACUUM")
            dst.backup(conn)
        finally:
            dst.close()
