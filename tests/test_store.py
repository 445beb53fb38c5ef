"""The SQLite store on a real file: schema and migrations, pragmas, spatial index, atomic
imports, upserts by uid, and the filter semantics of ``store.places``/``store.activities``."""

from __future__ import annotations

import datetime as dt
import sqlite3

import geopandas as gpd
import pytest
import shapely
import sqlite_utils
from conftest import FIXED_NOW

from buurtkaart import store
from buurtkaart.errors import ImportFailed
from buurtkaart.filters import Filter
from buurtkaart.records import validate_activity, validate_organisation, validate_place


def _valid(validator, rec):
    clean, problems = validator(rec)
    assert not problems, problems
    return clean


def _snapshot(db):
    return store.counts(db), list(db.conn.iterdump())


def _neighbourhoods(db):
    """Two Ghent wijken and one Antwerp wijk, as unit squares around real places."""
    frame = gpd.GeoDataFrame(
        {"code": ["4402101", "4402114", "11002ANT01"],
         "name": ["Binnenstad", "Sint-Amandsberg", "Amandus - Atheneum"],
         "municipality_code": ["44021", "44021", "11002"]},
        geometry=[shapely.box(3.70, 51.04, 3.73, 51.06), shapely.box(3.73, 51.05, 3.78, 51.08),
                  shapely.box(4.40, 51.21, 4.43, 51.23)], crs=4326)
    store.save_neighbourhoods(db, frame, source="test")


# ------------------------------------------------------------------ schema
def test_fresh_database_gets_every_migration_once(db_path):
    db = store.connect(db_path)
    n = len(store.migrations._migrations)
    assert store.schema_version(db) == n >= 1
    applied = [r[0] for r in db.execute(
        "SELECT name FROM _sqlite_migrations WHERE migration_set = 'buurtkaart' ORDER BY id")]
    assert applied[0] == "m001_initial" and len(applied) == n
    db.conn.close()
    again = store.connect(db_path)  # reconnecting applies nothing twice
    assert store.schema_version(again) == n
    assert again.execute("SELECT count(*) FROM _sqlite_migrations").fetchone()[0] == n
    assert set(again.table_names()) >= {"organisations", "places", "activities", "sessions",
                                        "activity_models", "neighbourhoods", "indicators",
                                        "places_rtree", "neighbourhoods_rtree"}


def test_a_version_1_database_is_migrated_on_connect_keeping_its_data(db_path):
    names = [m.name for m in store.migrations._migrations]
    if len(names) < 2:
        pytest.skip("only one migration exists")
    raw = sqlite_utils.Database(db_path)
    store.migrations.apply(raw, stop_before=names[1])  # a database of schema version 1
    assert store.schema_version(raw) == 1
    raw["organisations"].insert({"uid": "o1", "name": "Vzw van vroeger"})
    raw.conn.close()
    db = store.connect(db_path)
    assert store.schema_version(db) == len(names)
    assert [o["name"] for o in store.organisations(db)] == ["Vzw van vroeger"]


def test_wal_and_foreign_keys_are_on(db_path):
    db = store.connect(db_path)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    # and they are real: a dangling reference is refused by SQLite itself
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("INSERT INTO activity_models VALUES (999, 'peer')")


# ------------------------------------------------------------------ spatial index
def _place(uid, lon, lat, **kw):
    return _valid(validate_place, {"uid": uid, "name": kw.pop("name", uid), "lon": lon,
                                   "lat": lat, **kw})


def test_places_in_a_bbox_use_the_rtree(db):
    places = [_place("gent", 3.72, 51.05), _place("antwerpen", 4.41, 51.22),
              _place("brugge", 3.22, 51.21), _place("rand", 3.73, 51.06)]
    store.save_directory(db, places=places)
    assert db.execute("SELECT count(*) FROM places_rtree").fetchone()[0] == 4
    got = {p["uid"] for p in store.places(db, Filter(bbox=(3.70, 51.04, 3.73, 51.06)))}
    assert got == {"gent", "rand"}  # the box edge counts as inside
    assert {p["uid"] for p in store.places(db, Filter(bbox=(4.0, 51.0, 5.0, 52.0)))} == {
        "antwerpen"}
    assert store.places(db, Filter(bbox=(5.0, 50.0, 5.1, 50.1))) == []
    # the index moves with an updated place
    store.save_directory(db, places=[_place("gent", 4.42, 51.22)])
    assert {p["uid"] for p in store.places(db, Filter(bbox=(4.0, 51.0, 5.0, 52.0)))} == {
        "antwerpen", "gent"}
    assert db.execute("SELECT count(*) FROM places_rtree").fetchone()[0] == 4


def test_neighbourhood_at_and_place_assignment(db):
    _neighbourhoods(db)
    assert store.neighbourhood_at(db, 3.72, 51.05)["code"] == "4402101"
    assert store.neighbourhood_at(db, 3.75, 51.07)["code"] == "4402114"
    assert store.neighbourhood_at(db, 4.41, 51.22)["code"] == "11002ANT01"
    assert store.neighbourhood_at(db, 3.72, 51.07) is None  # inside no polygon
    # a point in the R*Tree box of a polygon but outside the polygon itself
    tri = gpd.GeoDataFrame({"code": ["T1"], "name": ["Driehoek"], "municipality_code": [None]},
                           geometry=[shapely.Polygon([(5.0, 50.0), (5.1, 50.0), (5.0, 50.1)])],
                           crs=4326)
    store.save_neighbourhoods(db, tri, source="test")
    assert store.neighbourhood_at(db, 5.01, 50.01)["code"] == "T1"
    assert store.neighbourhood_at(db, 5.09, 50.09) is None
    store.save_directory(db, places=[_place("p", 3.72, 51.05)])
    [p] = store.places(db)
    assert (p["neighbourhood_code"], p["municipality_code"]) == ("4402101", "44021")


# ------------------------------------------------------------------ writes
def test_a_failed_import_leaves_the_database_unchanged(db):
    _neighbourhoods(db)
    org = _valid(validate_organisation, {"uid": "o1", "name": "Vzw"})
    store.save_directory(db, organisations=[org], places=[_place("p1", 3.72, 51.05,
                                                                 organisation_uid="o1")])
    before = _snapshot(db)
    token = store.data_version(db)
    good = _place("p2", 3.75, 51.07)
    changed = _place("p1", 3.73, 51.055, name="Nieuwe naam")
    bad = _valid(validate_activity, {"uid": "a1", "name": "X", "models": "peer",
                                     "place_uid": "nergens"})
    bad["where"] = "row 9"
    with pytest.raises(ImportFailed) as err:
        store.save_directory(db, places=[good, changed], activities=[bad], file="aanbod.csv")
    assert str(err.value.problems[0]) == (
        "aanbod.csv, row 9, field 'place_uid': refers to unknown place 'nergens'")
    assert _snapshot(db) == before  # the two good places were rolled back too
    assert store.data_version(db) == token


def test_upsert_by_uid_updates_rather_than_duplicates(db):
    a = _valid(validate_activity, {"uid": "a1", "name": "Oud", "models": "peer;location",
                                   "sessions": "Tu 10:00-12:00; We 10:00-12:00"})
    store.save_directory(db, activities=[a])
    a2 = _valid(validate_activity, {"uid": "a1", "name": "Nieuw", "models": "buddy",
                                    "sessions": "Fr 18:00-20:00"})
    store.save_directory(db, activities=[a2])
    assert store.counts(db)["activities"] == 1
    [got] = store.activities(db)
    assert got["name"] == "Nieuw" and got["models"] == ["buddy"]
    assert [(s.weekday, s.start) for s in got["sessions"]] == [(4, "18:00")]
    # the old models and sessions are gone, not left dangling
    assert db.execute("SELECT count(*) FROM activity_models").fetchone()[0] == 1
    assert db.execute("SELECT count(*) FROM sessions").fetchone()[0] == 1


# ------------------------------------------------------------------ filter semantics
@pytest.fixture
def directory(db):
    _neighbourhoods(db)
    places = [
        _place("gent-avond", 3.72, 51.05, opening_hours="Mo-Fr 17:00-22:00"),
        _place("gent-dag", 3.75, 51.07, opening_hours="Mo-Fr 09:00-12:00"),
        _place("antwerpen", 4.41, 51.22),
    ]
    spec = {
        "gratis": dict(place_uid="gent-avond", models="peer", cost_amount="free",
                       languages="nl;fr", walk_in="yes"),
        "betalend": dict(place_uid="gent-avond", models="competence", cost_amount=5,
                         childcare="yes", languages="nl"),
        "onbekend": dict(place_uid="gent-dag", models="location", children_welcome="yes",
                         languages="ar"),
        "geen-opvang": dict(place_uid="antwerpen", models="organisation;peer", childcare="no",
                            cost_amount=0, sessions="Tu 19:00-21:00"),
        "dinsdagochtend": dict(place_uid="gent-avond", models="context",
                               sessions="Tu 09:00-11:00"),
        "buddy": dict(models="buddy", cost_amount=0, languages="nl;en"),
    }
    acts = [_valid(validate_activity, {"uid": uid, "name": uid, **kw}) for uid, kw in spec.items()]
    store.save_directory(db, places=places, activities=acts)
    return db


def _uids(db, **params):
    now = dt.datetime.fromisoformat(FIXED_NOW)
    return {a["uid"] for a in store.activities(db, Filter.from_params(params, now=now))}


def test_free_keeps_known_free_and_unknown_matches_neither(directory):
    assert _uids(directory, free="true") == {"gratis", "geen-opvang", "buddy"}
    assert _uids(directory, free="false") == {"betalend"}
    # "onbekend" and "dinsdagochtend" have no cost: in neither answer
    everything = _uids(directory)
    assert {"onbekend", "dinsdagochtend"} <= everything


def test_childcare_also_accepts_children_welcome(directory):
    assert _uids(directory, childcare="true") == {"betalend", "onbekend"}
    assert _uids(directory, childcare="false") == {"geen-opvang"}
    assert _uids(directory, children_welcome="true") == {"onbekend"}


def test_language(directory):
    assert _uids(directory, language="nl") == {"gratis", "betalend", "buddy"}
    assert _uids(directory, language="ar") == {"onbekend"}
    assert _uids(directory, language="tr") == set()


def test_models_any_of(directory):
    assert _uids(directory, model="peer") == {"gratis", "geen-opvang"}
    assert _uids(directory, model=["buddy", "competence"]) == {"buddy", "betalend"}
    assert _uids(directory, model="peer,location") == {"gratis", "geen-opvang", "onbekend"}


def test_time_window_sessions_before_opening_hours(directory):
    # Tuesday evening: sessions count where an activity has them, else the place's hours
    evening = _uids(directory, day="Tu", **{"from": "18:00", "to": "20:00"})
    assert evening == {"gratis", "betalend", "geen-opvang"}
    # "dinsdagochtend" meets on Tuesday morning although its place opens in the evening
    morning = _uids(directory, day="Tu", **{"from": "09:00", "to": "10:00"})
    assert morning == {"dinsdagochtend", "onbekend"}
    # the buddy project has neither sessions nor a place: no time can be promised
    assert "buddy" not in evening | morning
    assert _uids(directory, day="Su") == set()


def test_municipality_and_places_filter(directory):
    assert _uids(directory, municipality="11002") == {"geen-opvang"}
    assert _uids(directory, municipality="44021") == {"gratis", "betalend", "onbekend",
                                                      "dinsdagochtend"}
    places = store.places(directory, Filter.from_params({"municipality": "44021",
                                                         "free": "true"}))
    assert [(p["uid"], [a["uid"] for a in p["activities"]]) for p in places] == [
        ("gent-avond", ["gratis"])]


def test_combined_thresholds(directory):
    assert _uids(directory, free="true", walk_in="true", language="fr") == {"gratis"}
    assert _uids(directory, free="true", childcare="true") == set()


def test_every_migration_function_is_registered(db):
    """A schema change written as ``m0NN_*`` but not registered would never run (merges
    have dropped the decorator before): every one is applied to a new database, in order."""
    from buurtkaart.store import schema

    written = sorted(name for name in vars(schema) if name.startswith("m0")
                     and callable(getattr(schema, name)))
    applied = [m.name for m in store.migrations.applied(db)]
    assert sorted(applied) == written
    assert applied[:3] == ["m001_initial", "m002_accounts_and_audit", "m003_data_version"]
