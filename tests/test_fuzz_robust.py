"""Fuzzing the robustness fixes by their outcome: any integer-parameter text gives a result
or a 400 naming the parameter (never a 500); hostile CSV files (formulas, control
characters, unclosed quotes, long fields, odd digits) are imported completely or refused
with every problem naming file and row, the database unchanged; any schema tampering makes
restore refuse, naming the object, the live database unchanged."""

from __future__ import annotations

import sqlite3
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from buurtkaart import create_app, store
from buurtkaart.errors import BuurtkaartError, ImportFailed
from buurtkaart.importers import import_directory
from buurtkaart.importers.tabular import read_csv

_TMP = Path(tempfile.mkdtemp(prefix="buurtkaart-fuzz-robust-"))
store.connect(_TMP / "app.db").conn.close()
APP = create_app({"DATABASE": str(_TMP / "app.db")})
APP.config["PROPAGATE_EXCEPTIONS"] = False
CLIENT = APP.test_client()

_INT_PARAMS = [("/places", "page", False), ("/kaart", "year", False),
               ("/api/places", "limit", True), ("/api/places", "offset", True),
               ("/api/hsds/services", "per_page", True), ("/api/isochrone", "place", True),
               ("/api/need-index", "year", True), ("/api/best-locations", "k", True)]
_numberish = st.one_of(
    st.integers(min_value=-10**30, max_value=10**30).map(str),
    st.tuples(st.sampled_from(["", "-", "+"]), st.integers(1, 9),
              st.integers(1, 6000)).map(lambda t: f"{t[0]}{t[1]}" + "7" * t[2]),
    st.text(alphabet="0123456789٠١٢３４_-+. eE", min_size=1, max_size=60),
    st.text(max_size=30))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(param=st.sampled_from(_INT_PARAMS), raw=_numberish)
def test_integer_parameters_never_fail_with_a_server_error(param, raw):
    path, name, is_json = param
    r = CLIENT.get(path, query_string={name: raw})
    assert r.status_code < 500, (path, name, raw[:50], r.status_code)
    if r.status_code == 400 and is_json:
        body = r.get_json()
        assert body["ok"] is False and body["status"] == 400 and body["parameter"]


_cell = st.one_of(
    st.sampled_from(["=SUM(1)", "'=SUM(1)", "+32 9 123", "-2+3+cmd|' /C calc'!A0", "@x",
                     "\t=1", "De\x00Loods", "\x1b[2J", '"open', "２０２０", "2_020", "",
                     "Mo-Fr 09:00-17:00", "ja", "4.4", "51.2", "-1.5", "x" * 140_000]),
    st.text(max_size=40))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(st.tuples(_cell, _cell, _cell, _cell), min_size=1, max_size=4))
def test_hostile_csv_imports_completely_or_not_at_all(rows):
    path = _TMP / "hostile.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write("place_name,lon,lat,place_description\n")
        for r in rows:
            fh.write(",".join(c.replace(",", ";") for c in r) + "\n")
    db = store.connect(_TMP / "import.db")
    try:
        before = list(db.conn.iterdump())
        try:
            import_directory(db, path)
        except ImportFailed as exc:
            assert exc.problems
            assert all(p.file == str(path) and p.where for p in exc.problems), exc.problems
            assert list(db.conn.iterdump()) == before
        else:  # what was stored is what the file says, without control characters
            for p in store.places(db):
                assert "\x00" not in p["name"] and "\x1b" not in p["name"]
    finally:
        db.conn.close()


def test_read_csv_on_a_file_of_only_quotes_names_the_row():
    path = _TMP / "quotes.csv"
    path.write_text('place_name,lon,lat\n"A,4.4,51.2\n"B,4.5,51.3\n"C,4.6,51.4\n')
    with pytest.raises(ImportFailed) as info:
        read_csv(path)
    assert all(p.where and p.where.startswith("row ") for p in info.value.problems)


_name = st.from_regex(r"[a-z][a-z0-9_]{0,12}", fullmatch=True).filter(
    lambda n: not n.startswith("sqlite"))
_tamper = st.one_of(
    _name.map(lambda n: (f"CREATE TRIGGER {n} AFTER INSERT ON places BEGIN "
                         "DELETE FROM audit_log; END", n)),
    _name.map(lambda n: (f"CREATE VIEW {n} AS SELECT 1", n)),
    _name.map(lambda n: (f"CREATE TABLE {n}_t (x)", f"{n}_t")),
    _name.map(lambda n: (f"CREATE INDEX {n}_i ON places(city)", f"{n}_i")),
    _name.map(lambda n: (f"ALTER TABLE places ADD COLUMN {n}_c TEXT", f"{n}_c")))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tamper=_tamper)
def test_any_schema_tampering_is_refused_by_restore(tamper):
    sql, named = tamper
    live = store.connect(_TMP / "live.db")
    backup = _TMP / "tampered.sqlite"
    backup.unlink(missing_ok=True)
    try:
        store.backup(live, backup)
        conn = sqlite3.connect(backup)
        try:
            conn.execute(sql)
            conn.commit()
        except sqlite3.OperationalError:  # the name exists already: nothing to check
            return
        finally:
            conn.close()
        before = list(live.conn.iterdump())
        with pytest.raises(BuurtkaartError) as info:
            store.restore(backup, live)
        assert f"'{named}'" in str(info.value)
        assert list(live.conn.iterdump()) == before
    finally:
        live.conn.close()
