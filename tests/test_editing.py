"""Accounts, roles, audited editing, undo and the review queue (core, without the web)."""

from __future__ import annotations

import datetime as dt

import pytest

from buurtkaart import accounts, editing, store
from buurtkaart.accounts import PermissionDenied
from buurtkaart.cli import main
from buurtkaart.errors import ImportFailed, InvalidParameter
from buurtkaart.records import validate_organisation


@pytest.fixture
def orgs(db):
    a, _ = validate_organisation({"name": "Buurtwerk Noord"})
    b, _ = validate_organisation({"name": "Inloopcentrum Zuid"})
    store.save_directory(db, organisations=[a, b])
    return a, b


@pytest.fixture
def people(db, orgs):
    admin = accounts.create_user(db, "admin@stad.be", "correct horse battery", role="admin")
    north = accounts.create_user(db, "noord@buurtwerk.be", "correct horse battery",
                                 organisation_uid=orgs[0]["uid"])
    south = accounts.create_user(db, "zuid@inloop.be", "correct horse battery",
                                 organisation_uid=orgs[1]["uid"])
    return admin, north, south


PLACE = {"name": "Buurthuis Noord", "kind": "community_house", "lon": 3.72, "lat": 51.06,
         "opening_hours": "Mo-Fr 09:00-17:00"}


def test_passwords_are_hashed_with_scrypt_and_checked(db, people):
    row = db.execute("SELECT password_hash FROM users WHERE email = 'admin@stad.be'").fetchone()
    assert row[0].startswith("scrypt:") and "correct horse" not in row[0]
    assert accounts.authenticate(db, "admin@stad.be", "correct horse battery")["role"] == "admin"
    assert accounts.authenticate(db, "admin@stad.be", "wrong password!") is None
    assert accounts.authenticate(db, "nobody@stad.be", "correct horse battery") is None


@pytest.mark.parametrize("email,password,role,org,field", [
    ("not-an-email", "long enough password", "admin", None, "email"),
    ("x@y.be", "short", "admin", None, "password"),
    ("x@y.be", "long enough password", "superuser", None, "role"),
    ("x@y.be", "long enough password", "editor", None, "organisation"),
    ("x@y.be", "long enough password", "editor", "no-such-org", "organisation"),
])
def test_bad_accounts_are_refused_naming_the_field(db, email, password, role, org, field):
    with pytest.raises(InvalidParameter) as exc:
        accounts.create_user(db, email, password, role=role, organisation_uid=org)
    assert exc.value.name == field
    assert db.execute("SELECT count(*) FROM users").fetchone()[0] == 0


def test_duplicate_email_is_refused(db, people):
    with pytest.raises(InvalidParameter, match="already exists"):
        accounts.create_user(db, "ADMIN@stad.be", "another long password", role="admin")


def test_cli_creates_the_first_admin(runner, db_path):
    result = runner.invoke(main, ["users", "create", "--admin", "eerste@stad.be"],
                           input="a very secret phrase\na very secret phrase\n")
    assert result.exit_code == 0, result.output
    db = store.connect(db_path)
    assert accounts.authenticate(db, "eerste@stad.be", "a very secret phrase")["role"] == "admin"
    result = runner.invoke(main, ["users", "create", "--admin", "tweede@stad.be",
                                  "--password-stdin"], input="kort\n")
    assert result.exit_code == 1 and "password" in result.stderr


def test_tokens_are_stored_hashed_and_resolve_to_their_user(db, people):
    admin = people[0]
    token = accounts.create_token(db, admin["id"], name="sync script")
    stored = db.execute("SELECT token_hash FROM api_tokens").fetchone()[0]
    assert token not in stored
    assert accounts.user_for_token(db, token)["email"] == "admin@stad.be"
    assert accounts.user_for_token(db, token + "x") is None


def test_editor_creates_for_own_organisation_only(db, orgs, people):
    _, north, south = people
    place = editing.save(db, north, "place", {**PLACE, "organisation_uid": orgs[1]["uid"]})
    assert place["organisation_uid"] == orgs[0]["uid"]  # forced to the editor's own
    with pytest.raises(PermissionDenied):
        editing.save(db, south, "place", {"name": "Overgenomen"}, uid=place["uid"])
    with pytest.raises(PermissionDenied):
        editing.archive(db, south, "place", place["uid"])
    assert editing.snapshot(db, "place", place["uid"])["name"] == "Buurthuis Noord"


def test_validation_is_the_importers_and_nothing_is_written_on_error(db, people):
    admin = people[0]
    with pytest.raises(ImportFailed) as exc:
        editing.save(db, admin, "place", {**PLACE, "opening_hours": "Mo-Fr 9 tot 5",
                                          "lat": 123})
    fields = {p.field for p in exc.value.problems}
    assert {"opening_hours", "lat"} <= fields
    assert store.counts(db)["places"] == 0
    assert editing.history(db) == []


def test_every_change_is_audited_and_undo_restores_the_record(db, people):
    admin, north, _ = people
    place = editing.save(db, north, "place", PLACE)
    editing.save(db, north, "place", {"name": "Buurthuis Noord (verbouwd)",
                                      "wheelchair": "yes"}, uid=place["uid"])
    log = editing.history(db, uid=place["uid"])
    assert [e["action"] for e in log] == ["update", "create"]
    assert log[0]["email"] == "noord@buurtwerk.be"
    assert log[0]["before"]["name"] == "Buurthuis Noord"
    assert log[0]["after"]["name"] == "Buurthuis Noord (verbouwd)"

    editing.undo(db, admin, log[0]["id"])
    now = editing.snapshot(db, "place", place["uid"])
    assert (now["name"], now["wheelchair"]) == ("Buurthuis Noord", None)
    assert editing.history(db, uid=place["uid"])[0]["action"] == "undo"

    # undoing the creation archives the place: hidden from the public, not deleted
    editing.undo(db, admin, log[1]["id"])
    assert store.places(db) == []
    assert editing.snapshot(db, "place", place["uid"])["archived_at"]


def test_archive_hides_places_and_their_activities_and_restore_brings_them_back(db, people):
    admin = people[0]
    place = editing.save(db, admin, "place", PLACE)
    editing.save(db, admin, "activity", {"name": "Praatcafé", "models": ["peer"],
                                         "place_uid": place["uid"], "sessions": "We 14:00-16:00"})
    assert len(store.activities(db)) == 1
    editing.archive(db, admin, "place", place["uid"])
    assert store.places(db) == [] and store.activities(db) == []
    assert len(store.places(db, include_archived=True)) == 1
    editing.restore(db, admin, "place", place["uid"])
    assert len(store.activities(db)) == 1


def test_review_queue_lists_stale_records_the_user_may_edit(db, people):
    admin, north, south = people
    today = dt.date(2026, 11, 25)
    fresh = editing.save(db, north, "place", {**PLACE, "last_verified": "2026-10-01"})
    old = editing.save(db, north, "place", {**PLACE, "name": "Oud", "lon": 3.8,
                                            "last_verified": "2026-03-01"})
    never = editing.save(db, admin, "place", {**PLACE, "name": "Nooit", "lon": 3.9})
    queue = editing.review_queue(db, north, today=today)
    assert [r["uid"] for r in queue] == [old["uid"]]
    assert {r["uid"] for r in editing.review_queue(db, admin, today=today)} == {
        old["uid"], never["uid"]}
    assert editing.review_queue(db, south, today=today) == []
    assert fresh["uid"] not in {r["uid"] for r in editing.review_queue(db, admin, today=today)}
    editing.mark_verified(db, north, "place", old["uid"], on=today)
    assert editing.review_queue(db, north, today=today) == []
