"""Restore accepts only a backup with exactly the schema this version builds (tables, columns,
indexes, triggers, views), intact and with every reference resolved; anything else is
refused naming what differs, and the live database stays as it was. Odd file names and
other page sizes restore correctly."""

from __future__ import annotations

import re
import shutil
import sqlite3

import pytest
import sqlite_utils

from buurtkaart import accounts, editing, store
from buurtkaart.cli import main
from buurtkaart.records import validate_activity, validate_organisation, validate_place


def _fill(db) -> None:
    org, _ = validate_organisation({"uid": "caw", "name": "CAW Oost-Vlaanderen"})
    place, _ = validate_place({"uid": "loods", "name": "De Loods", "kind": "drop_in_centre",
                               "lon": 3.72, "lat": 51.05, "organisation_uid": "caw"})
    act, _ = validate_activity({"uid": "soep", "name": "Soep", "models": "organisation",
                                "place_uid": "loods", "organisation_uid": "caw"})
    store.save_directory(db, organisations=[org], places=[place], activities=[act])
    accounts.create_user(db, "editor@example.org", "a long and unusual passphrase",
                         role="editor", organisation_uid="caw")


def _dump(db) -> list[str]:
    return list(db.conn.iterdump())


@pytest.fixture
def live(db):
    _fill(db)
    return db


@pytest.fixture
def good_backup(live, tmp_path):
    return store.backup(live, tmp_path / "backup.sqlite")


def _tamper(path, *sql: str) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA foreign_keys=OFF")
    for s in sql:
        conn.execute(s)
    conn.close()


def _refused(runner, live, path, *expected: str) -> str:
    before = _dump(live)
    result = runner.invoke(main, ["restore", "--yes", str(path)])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    for text in expected:
        assert text in result.stderr, (text, result.stderr)
    assert _dump(live) == before
    # the same refusal from the library call, and still nothing changed
    with pytest.raises(Exception) as info:
        store.restore(path, live)
    assert expected[0] in str(info.value)
    assert _dump(live) == before
    return result.stderr


def test_a_backup_with_an_extra_trigger_is_refused_and_would_have_done_harm(
        runner, live, good_backup):
    _tamper(good_backup, "CREATE TRIGGER promote AFTER UPDATE ON places BEGIN "
                         "UPDATE users SET role = 'admin'; DELETE FROM audit_log; END")
    _refused(runner, live, good_backup, "trigger 'promote'", str(good_backup))
    # the live database still behaves: an edit leaves roles and the audit log alone
    admin = accounts.create_user(live, "admin@example.org", "another long passphrase",
                                 role="admin")
    editing.save(live, admin, "place", {"name": "De Loods (nieuw)"}, uid="loods")
    roles = {r[0] for r in live.execute("SELECT role FROM users")}
    assert roles == {"editor", "admin"}
    assert live.execute("SELECT count(*) FROM audit_log").fetchone()[0] == 1


def test_a_backup_with_foreign_key_violations_is_refused(runner, live, good_backup):
    _tamper(good_backup,
            "INSERT INTO activities (uid, name, place_id) VALUES ('wees', 'Wees', 999)")
    _refused(runner, live, good_backup, "foreign key", "activities")


@pytest.mark.parametrize(("sql", "named"), [
    ("CREATE TABLE notes (x)", "table 'notes'"),
    ("ALTER TABLE users ADD COLUMN is_root INTEGER", "column 'is_root'"),
    ("CREATE VIEW everyone AS SELECT * FROM users", "view 'everyone'"),
    ("CREATE INDEX places_city ON places(city)", "index 'places_city'"),
    ("DROP INDEX audit_entity", "index 'audit_entity'"),
    ("DROP TRIGGER places_update_version", "trigger 'places_update_version'"),
])
def test_any_other_schema_difference_is_refused_naming_it(runner, live, good_backup, sql,
                                                          named):
    _tamper(good_backup, sql)
    _refused(runner, live, good_backup, named)


def test_a_table_with_its_checks_removed_is_refused(runner, live, good_backup):
    """Same columns, different definition (the role CHECK is gone)."""
    conn = sqlite3.connect(good_backup)
    sql = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'users'").fetchone()[0]
    conn.close()
    unchecked = re.sub(r"CHECK \(role IN \([^)]*\)\)", "", sql)
    assert unchecked != sql
    _tamper(good_backup, unchecked.replace("CREATE TABLE users", "CREATE TABLE users_new", 1),
            "INSERT INTO users_new SELECT * FROM users", "DROP TABLE users",
            "ALTER TABLE users_new RENAME TO users")
    _refused(runner, live, good_backup, "table 'users'")


def test_a_name_with_a_hash_restores(runner, live, good_backup, tmp_path):
    before = _dump(live)
    odd = tmp_path / "good#1 ?x=y%20.sqlite"
    shutil.copy(good_backup, odd)
    live.execute("DELETE FROM activities")
    result = runner.invoke(main, ["restore", "--yes", str(odd)])
    assert result.exit_code == 0, result.output
    assert _dump(live) == before


def test_a_backup_with_another_page_size_restores(live, good_backup, tmp_path):
    before = _dump(live)
    small = tmp_path / "small-pages.sqlite"
    conn = sqlite3.connect(good_backup)
    conn.execute("PRAGMA page_size = 1024")
    conn.execute(f"VACUUM INTO '{small}'")
    conn.close()
    assert sqlite3.connect(small).execute("PRAGMA page_size").fetchone()[0] == 1024
    live.execute("DELETE FROM activities")
    store.restore(small, live)
    # VACUUM may list the schema in another order; the same statements either way
    assert sorted(_dump(live)) == sorted(before)
    assert store.counts(live)["activities"] == 1


def test_a_backup_of_an_earlier_schema_restores_and_migrates(live, tmp_path):
    old = tmp_path / "old.sqlite"
    conn = sqlite3.connect(old, isolation_level=None)
    names = [m.name for m in store.migrations._migrations]
    store.migrations.apply(sqlite_utils.Database(conn), stop_before=names[1])
    conn.execute("INSERT INTO organisations (uid, name) VALUES ('org-1', 'Vzw De Loods')")
    conn.close()
    assert store.restore(old, live) == len(names)
    assert [o["uid"] for o in store.organisations(live)] == ["org-1"]
