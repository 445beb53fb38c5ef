"""Data integrity: migrations from every earlier schema, backup and restore, crash safety."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import textwrap

import pytest

from buurtkaart import store
from buurtkaart.cli import main
from buurtkaart.records import validate_activity, validate_organisation, validate_place


def _directory(n_places: int = 3):
    org, _ = validate_organisation({"name": "CAW Oost-Vlaanderen"})
    places, acts = [], []
    for i in range(n_places):
        p, probs = validate_place({"name": f"Buurthuis {i}", "kind": "community_house",
                                   "lon": 3.70 + i * 0.001, "lat": 51.05,
                                   "organisation_uid": org["uid"],
                                   "opening_hours": "Mo-Fr 09:00-17:00"})
        assert not probs
        a, probs = validate_activity({"name": f"Soep op dinsdag {i}", "models": "organisation",
                                      "place_uid": p["uid"], "sessions": "Tu 12:00-14:00",
                                      "cost_amount": "gratis", "walk_in": "ja"})
        assert not probs
        places.append(p)
        acts.append(a)
    return [org], places, acts


def _dump(db) -> list[str]:
    return [line for line in db.conn.iterdump() if "_sqlite_migrations" not in line]


@pytest.mark.parametrize("stop_before", [m.name for m in store.migrations._migrations][1:])
def test_migrates_from_every_earlier_schema(tmp_path, stop_before):
    """A database left at an earlier schema version opens and migrates, keeping its data."""
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    import sqlite_utils

    old = sqlite_utils.Database(conn)
    store.migrations.apply(old, stop_before=stop_before)
    version_before = store.schema_version(old)
    assert version_before < len(store.migrations._migrations)
    old.execute("INSERT INTO organisations (uid, name) VALUES ('org-1', 'Vzw De Loods')")
    old.execute("INSERT INTO places (uid, name, kind, organisation_id, lon, lat) "
                "VALUES ('pl-1', 'De Loods', 'drop_in_centre', 1, 3.72, 51.05)")
    conn.close()

    db = store.connect(path)
    assert store.schema_version(db) == len(store.migrations._migrations)
    [p] = store.places(db)
    assert (p["uid"], p["name"], p["organisation_name"]) == ("pl-1", "De Loods", "Vzw De Loods")
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []


def test_backup_and_restore_through_the_cli(db, db_path, tmp_path, runner):
    orgs, places, acts = _directory()
    store.save_directory(db, organisations=orgs, places=places, activities=acts)
    before = _dump(db)
    out = tmp_path / "backup.db"
    result = runner.invoke(main, ["backup", str(out)])
    assert result.exit_code == 0, result.output
    assert store.check_database_file(out) == store.schema_version(db)

    # a second backup never overwrites the first
    result = runner.invoke(main, ["backup", str(out)])
    assert result.exit_code != 0 and "exists" in result.output
    # a folder that does not exist is named, with no traceback and no partial file
    result = runner.invoke(main, ["backup", str(tmp_path / "nergens" / "b.db")])
    assert result.exit_code == 1 and "nergens does not exist" in result.stderr
    assert "Traceback" not in result.output and result.exception.__class__ is SystemExit

    db.execute("DELETE FROM activities")
    assert store.counts(db)["activities"] == 0
    result = runner.invoke(main, ["restore", "--yes", str(out)])
    assert result.exit_code == 0, result.output
    fresh = store.connect(db_path)
    assert _dump(fresh) == before


def test_restore_refuses_a_file_that_is_not_a_buurtkaart_database(db, tmp_path, runner):
    orgs, places, acts = _directory()
    store.save_directory(db, organisations=orgs, places=places, activities=acts)
    before = _dump(db)
    bogus = tmp_path / "notes.db"
    bogus.write_text("these are not the droids")
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)")
    for bad in (bogus, other):
        result = runner.invoke(main, ["restore", "--yes", str(bad)])
        assert result.exit_code == 1
        assert str(bad) in result.stderr and "not a buurtkaart database" in result.stderr
    assert _dump(db) == before


_CRASHING_IMPORT = textwrap.dedent("""
    import sys
    import time
    from buurtkaart import store
    from buurtkaart.store import writes
    from buurtkaart.records import validate_place

    db = store.connect(sys.argv[1])
    real_upsert = writes._upsert_many

    def upsert(db, table, rows):
        # write half the places, then stop inside the transaction to be killed
        real_upsert(db, table, rows[:len(rows) // 2])
        print("halfway", flush=True)
        time.sleep(120)
        return real_upsert(db, table, rows)

    writes._upsert_many = upsert
    places = []
    for i in range(200_000):
        p, _ = validate_place({"name": f"Plek {i}", "kind": "other",
                               "lon": 3 + i * 1e-6, "lat": 51.0})
        places.append(p)
    print("validated", flush=True)
    store.save_directory(db, places=places)
    print("finished", flush=True)
""")


def test_killing_a_large_import_midway_leaves_the_database_intact(db, db_path):
    """SIGKILL in the middle of one import: afterwards the database is consistent
    and holds exactly what it held before (the import is one transaction)."""
    orgs, places, acts = _directory()
    store.save_directory(db, organisations=orgs, places=places, activities=acts)
    before = _dump(db)
    db.conn.close()

    proc = subprocess.Popen([sys.executable, "-c", _CRASHING_IMPORT, str(db_path)],
                            stdout=subprocess.PIPE, text=True)
    lines = []
    for line in proc.stdout:
        lines.append(line.strip())
        if line.strip() == "halfway":
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait(timeout=120)
    assert lines[-1] == "halfway" and proc.returncode == -signal.SIGKILL

    after = store.connect(db_path)
    assert after.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert after.execute("PRAGMA foreign_key_check").fetchall() == []
    assert _dump(after) == before
    assert after.execute("SELECT count(*) FROM places_rtree").fetchone()[0] == len(places)
