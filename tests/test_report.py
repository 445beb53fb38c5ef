"""The municipal coverage report: history at a date, pages, downloads and the command.

The history test builds the demo at a controlled moment (1 January 2025), keeps a copy of
that database, then archives places, changes population figures and adds a place on
1 June 2025. The report on 1 March 2025 of the changed database must equal coverage
computed the ordinary way on the copy that only ever held the earlier data.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import shutil
import sqlite3
from pathlib import Path

import pandas as pd
import pytest
import sqlite_utils

from buurtkaart import access, create_app, editing, history, store
from buurtkaart.filters import Filter
from buurtkaart.report import build_report, find_municipality

UTC = dt.timezone.utc
NOW = "2025-09-01T10:00:00+02:00"
BUILT = dt.datetime(2025, 1, 1, 9, 0, tzinfo=UTC)
CHANGED = dt.datetime(2025, 6, 1, 9, 0, tzinfo=UTC)
ADMIN = {"id": None, "role": "admin", "email": "test@example.org", "active": 1}
CODE = "00091"


@pytest.fixture(scope="module")
def dated(tmp_path_factory, network_cache):
    """(the database with its history, the copy made before the changes)."""
    from buurtkaart.demo import build_demo

    import os

    folder = tmp_path_factory.mktemp("dated")
    os.environ["BUURTKAART_SNAPSHOTS"] = str(folder / "snapshots")
    late, early = folder / "late.db", folder / "early.db"
    db = store.connect(late)
    history.set_clock(db, BUILT)
    build_demo(db, progress=lambda _m: None)
    db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copy(late, early)
    history.set_clock(db, CHANGED)
    uids = [r[0] for r in db.execute("SELECT uid FROM places ORDER BY uid")]
    for uid in uids[: len(uids) // 2]:
        editing.archive(db, ADMIN, "place", uid)
    pop = store.indicator_frame(db, indicator="population")
    latest = pop.sort_values("year").groupby("code").tail(1).head(6)
    store.save_indicators(db, pd.DataFrame({"code": latest["code"], "year": latest["year"],
                                            "indicator": "population",
                                            "value": latest["value"] * 3, "source": "test"}))
    history.set_clock(db, None)
    db.conn.close()
    yield late, early
    os.environ.pop("BUURTKAART_SNAPSHOTS", None)


def _now():
    return dt.datetime.fromisoformat(NOW)


def _coverage(path: Path, mode="walk", minutes=15, **params):
    db = store.connect(path)
    try:
        filt = Filter.from_params({"municipality": CODE, **params}, now=_now())
        cov, _ = access.run_coverage(db, filt, mode=mode, minutes=minutes)
        return cov.set_index("code")
    finally:
        db.conn.close()


def _report(path: Path, **kw):
    db = store.connect(path)
    try:
        return build_report(db, CODE, "Helsinki", now=_now(), **kw)
    finally:
        db.conn.close()


def test_the_report_on_an_earlier_date_equals_the_database_of_that_date(dated):
    late, early = dated
    past = _report(late, on=dt.date(2025, 3, 1))
    independent = _coverage(early)
    changed = _coverage(late)
    # the changes do change coverage, so the comparison below can fail
    assert not changed["share_within_15"].equals(independent["share_within_15"])
    for hood in past["neighbourhoods"]:
        row = independent.loc[hood["code"]]
        assert hood["population"] == row["population"]
        for m in (5, 10, 15, 20):
            assert hood["shares"][m] == pytest.approx(row[f"share_within_{m}"], abs=1e-12)
    for mode in ("walk", "bike", "wheelchair"):
        other = _coverage(early, mode=mode)
        pop = other["population"]
        item = next(i for i in past["modes"] if i["key"] == mode)
        for m in (5, 10, 20):
            expected = (other[f"share_within_{m}"] * pop).sum() / pop.sum()
            assert item["shares"][m] == pytest.approx(expected, abs=1e-12)
    free = _coverage(early, free="true")
    item = next(i for i in past["filters"] if i["key"] == "free")
    expected = (free["share_within_10"] * free["population"]).sum() / free["population"].sum()
    assert item["shares"][10] == pytest.approx(expected, abs=1e-12)


def test_a_comparison_shows_gains_and_losses_per_neighbourhood(dated):
    late, early = dated
    rep = _report(late, compare=dt.date(2025, 2, 1))
    before, after = _coverage(early), _coverage(late)
    rows = {r["code"]: r for r in rep["compare"]["rows"]}
    lost = 0
    for code, row in rows.items():
        assert row["share_first"] == pytest.approx(before.loc[code, "share_within_15"])
        assert row["share_second"] == pytest.approx(after.loc[code, "share_within_15"])
        reached_then = before.loc[code, "population"] * before.loc[code, "share_within_15"]
        reached_now = after.loc[code, "population"] * after.loc[code, "share_within_15"]
        assert row["gained"] == pytest.approx(reached_now - reached_then)
        lost += row["change"] < 0
    assert lost, "archiving half the places loses access somewhere"


def test_a_date_before_any_data_says_nothing_was_known(dated):
    late, _early = dated
    with pytest.raises(history.NothingKnown, match="nothing was known on 2024-12-31"):
        _report(late, compare=dt.date(2024, 12, 31))


def test_existing_databases_get_a_starting_history(tmp_path):
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    store.migrations.apply(sqlite_utils.Database(conn), stop_before="m005_history")
    conn.execute("INSERT INTO places (uid, name, kind, lon, lat) VALUES "
                 "('p1', 'Buurthuis', 'community_house', 4.4, 51.2)")
    conn.execute("INSERT INTO audit_log (at, action, entity, entity_uid, after) VALUES "
                 "('2024-05-01T10:00:00+00:00', 'create', 'place', 'p1', '{}')")
    conn.close()
    db = store.connect(path)
    with pytest.raises(history.NothingKnown, match="2024-05-01"):
        history.snapshot(db, "2024-04-30T00:00:00.000Z")
    snap = store.connect(history.snapshot(db, "2024-05-02T00:00:00.000Z"))
    assert [r[0] for r in snap.execute("SELECT name FROM places")] == ["Buurthuis"]


def test_edits_after_the_date_do_not_reach_it_and_removal_ends_a_record(db):
    history.set_clock(db, BUILT)
    db.execute("INSERT INTO places (uid, name, kind, lon, lat) VALUES "
               "('p1', 'Buurthuis', 'community_house', 4.4, 51.2)")
    history.set_clock(db, CHANGED)
    db.execute("UPDATE places SET name = 'Nieuw buurthuis' WHERE uid = 'p1'")
    history.set_clock(db, CHANGED + dt.timedelta(days=30))
    db.execute("DELETE FROM places WHERE uid = 'p1'")
    history.set_clock(db, None)

    def names(moment):
        snap = store.connect(history.snapshot(db, history.moment_text(moment)))
        try:
            return [r[0] for r in snap.execute("SELECT name FROM places")]
        finally:
            snap.conn.close()

    assert names(CHANGED - dt.timedelta(days=1)) == ["Buurthuis"]
    assert names(CHANGED + dt.timedelta(days=1)) == ["Nieuw buurthuis"]
    with pytest.raises(history.NothingKnown):  # nothing left, and nothing before
        names(BUILT - dt.timedelta(days=1))
    assert names(CHANGED + dt.timedelta(days=31)) == []


# ------------------------------------------------------------------ finding by name
def _municipality(db, code, name, hood):
    import shapely

    db.execute("INSERT INTO municipalities (code, name) VALUES (?, ?)", [code, name])
    db.execute("INSERT INTO neighbourhoods (code, name, municipality_code, geometry) "
               "VALUES (?, ?, ?, ?)", [hood, hood, code, shapely.box(0, 0, 1, 1).wkb])


@pytest.mark.parametrize("typed, code", [
    ("Sint-Niklaas", "46021"), ("sint niklaas", "46021"), ("St.-Niklaas", "46021"),
    ("ST NIKLAAS", "46021"), ("46021", "46021"), ("Ronse", "45041"), ("ronse", "45041"),
    ("Zelé", "42028"), ("zele", "42028"), ("Sint-Truiden", "71053")])
def test_a_municipality_is_found_by_its_name_written_any_way(db, typed, code):
    for c, n, h in (("46021", "Sint-Niklaas", "A"), ("71053", "Sint-Truiden", "B"),
                    ("45041", "Ronse", "C"), ("42028", "Zele", "D")):
        _municipality(db, c, n, h)
    assert find_municipality(db, typed).code == code


def test_an_ambiguous_or_unknown_name_gives_candidates(db):
    for c, n, h in (("46021", "Sint-Niklaas", "A"), ("71053", "Sint-Truiden", "B")):
        _municipality(db, c, n, h)
    found = find_municipality(db, "Sint")
    assert found.code is None
    assert [c["name"] for c in found.candidates] == ["Sint-Niklaas", "Sint-Truiden"]
    assert [c["name"] for c in find_municipality(db, "Sint-Niklas").candidates] == \
        ["Sint-Niklaas"]


# ------------------------------------------------------------------ pages and downloads
@pytest.fixture(scope="module")
def demo_client(demo_database):
    app = create_app({"DATABASE": str(demo_database), "TESTING": True, "NOW": NOW})
    return app.test_client()


def _api(client, **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    body = client.get(f"/api/coverage?by=municipality&municipality={CODE}&{query}").get_json()
    return body["municipalities"][0]


@pytest.mark.parametrize("name", ["Helsinki", "helsinki", "00091", "HELSINKI"])
def test_the_report_page_is_found_by_name_or_code(demo_client, name):
    page = demo_client.get(f"/rapport/{name}?lang=en&utm_source=x").get_data(as_text=True)
    api = _api(demo_client, minutes=15)
    assert "Coverage report: Helsinki" in page
    assert f"{round(api['share_within_15'] * 100)}%" in page
    assert f"{api['population']:,.0f} residents" in page


def test_the_dutch_page_writes_numbers_the_dutch_way(demo_client):
    page = demo_client.get("/rapport/Helsinki?lang=nl").get_data(as_text=True)
    api = _api(demo_client, minutes=15)
    people = f"{api['population']:,.0f}".replace(",", "\u00a0")
    assert f"{people} inwoners" in page
    assert f"{round(api['share_within_15'] * 100)}\u00a0%" in page


def test_an_unknown_municipality_keeps_what_was_typed(demo_client):
    resp = demo_client.get("/rapport?q=Atlantis&lang=en")
    assert resp.status_code == 404
    page = resp.get_data(as_text=True)
    assert "We found no municipality called “Atlantis”" in page
    assert demo_client.get("/rapport/Atlantis").status_code == 404
    assert 'value="Atlantis"' in page
    found = demo_client.get("/rapport?q=helsinki")
    assert found.status_code == 302 and found.headers["Location"].endswith("/rapport/Helsinki")


def test_bad_dates_on_the_page_are_explained(demo_client):
    resp = demo_client.get("/rapport/Helsinki?compare=2025-02-30&lang=en")
    assert resp.status_code == 400
    page = resp.get_data(as_text=True)
    assert "“2025-02-30” is not a date" in page and 'value="2025-02-30"' in page
    page = demo_client.get("/rapport/Helsinki?compare=2030-01-01&lang=en").get_data(as_text=True)
    assert "lies in the future" in page
    page = demo_client.get("/rapport/Helsinki?compare=2001-01-01&lang=en").get_data(as_text=True)
    assert "Nothing was known on 1 January 2001" in page


def test_csv_and_geojson_carry_the_apis_numbers(demo_client):
    api = _api(demo_client, minutes=15, mode="bike")
    resp = demo_client.get("/rapport/Helsinki/rapport.csv")
    assert resp.headers["Content-Disposition"].startswith("attachment")
    rows = list(csv.DictReader(io.StringIO(resp.get_data(as_text=True))))
    bike = next(r for r in rows if r["level"] == "municipality" and r["question"] == "mode=bike")
    assert float(bike["share_within_5"]) == pytest.approx(api["share_within_5"], abs=1e-6)
    hoods = [r for r in rows if r["level"] == "neighbourhood"]
    per_hood = demo_client.get(f"/api/coverage?municipality={CODE}&minutes=15").get_json()
    expected = {f["properties"]["code"]: f["properties"]["share_within_10"]
                for f in per_hood["features"]}
    assert {r["code"]: float(r["share_within_10"]) for r in hoods} == pytest.approx(expected,
                                                                                     abs=1e-6)
    doc = json.loads(demo_client.get("/rapport/00091/rapport.geojson").get_data(as_text=True))
    assert len(doc["features"]) == len(hoods)
    assert doc["properties"]["modes"]["bike"]["share_within_5"] == pytest.approx(
        api["share_within_5"], abs=1e-6)


def test_the_pdf_holds_the_name_the_shares_and_the_neighbourhoods(demo_client):
    import pypdf

    resp = demo_client.get("/rapport/Helsinki/rapport.pdf?lang=nl")
    assert resp.mimetype == "application/pdf"
    text = " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(resp.data)).pages)
    text = " ".join(text.split())
    api = _api(demo_client, minutes=15)
    assert "Helsinki" in text
    assert f"{round(api['share_within_15'] * 100)} %" in text
    assert "Hakaniemi" in text and "Kaisaniemi" in text


# ------------------------------------------------------------------ the command
def _cli(runner, db_path, *args):
    from buurtkaart.cli import main

    return runner.invoke(main, ["report", *args], env={"BUURTKAART_DATABASE": str(db_path)})


def test_the_command_writes_the_report_with_a_progress_bar(runner, dated, tmp_path):
    late, _early = dated
    out = tmp_path / "r.csv"
    result = _cli(runner, late, "helsinki", "--format", "csv", "--out", str(out),
                  "--compare-date", "2025-02-01")
    assert result.exit_code == 0, result.output
    assert "21/21" in result.stderr or "20/20" in result.stderr
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert rows[0]["compare_date"] == "2025-02-01"
    pdf = tmp_path / "r.pdf"
    assert _cli(runner, late, "00091", "--format", "pdf", "--out", str(pdf),
                "--lang", "en").exit_code == 0
    assert pdf.read_bytes().startswith(b"%PDF")


@pytest.mark.parametrize("args, code, message", [
    (["Atlantis", "--format", "csv", "--out", "{tmp}/r.csv"], 1, "no municipality called"),
    (["Helsinki", "--format", "csv", "--out", "{tmp}/no/such/r.csv"], 1, "does not exist"),
    (["Helsinki", "--format", "csv", "--out", "{tmp}"], 2, "is a directory"),
    (["Helsinki", "--format", "csv", "--out", "{tmp}/r.csv", "--compare-date", "1-1-2025"], 2,
     "expected a date like 2025-01-01"),
    (["Helsinki", "--format", "doc", "--out", "{tmp}/r.csv"], 2, "'doc' is not one of"),
    (["Helsinki", "--format", "csv", "--out", "{tmp}/r.csv", "--compare-date", "2024-06-01"],
     1, "nothing was known on 2024-06-01"),
])
def test_the_command_says_what_is_wrong(runner, dated, tmp_path, args, code, message):
    late, _early = dated
    result = _cli(runner, late, *[a.format(tmp=tmp_path) for a in args])
    assert result.exit_code == code
    assert message in result.output + result.stderr
    assert not (tmp_path / "r.csv").exists()


def test_an_ambiguous_name_on_the_page_lists_the_candidates(client, db):
    for c, n, h in (("46021", "Sint-Niklaas", "A"), ("71053", "Sint-Truiden", "B")):
        _municipality(db, c, n, h)
    resp = client.get("/rapport?q=sint")
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    assert "Several municipalities fit “sint”" in page and 'value="sint"' in page
    assert "/rapport/Sint-Niklaas" in page and "/rapport/Sint-Truiden" in page
    assert client.get("/rapport/sint").status_code == 200
