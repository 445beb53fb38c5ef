"""An import refused on the admin page lists its problems in the page's language: indicator
tables, HSDS (JSON, tabular data packages, schedules, references) and the sector
aggregation say what is wrong in Dutch on a Dutch page and in the same English as before on
an English page, on the command line and in the API; the database is unchanged. GTFS feeds
are imported on the command line only (the page offers no GTFS kind): their problems are
English there and Dutch wherever the page language is active."""

from __future__ import annotations

import gettext
import html
import io
import json
import re
import sqlite3

import pytest
from click.testing import CliRunner

from buurtkaart import accounts, i18n
from buurtkaart.cli import main
from buurtkaart.errors import ImportFailed
from buurtkaart.transit.gtfs import read_feed
from test_transit import FEED, write_feed

PASSWORD = "correct horse battery staple"


@pytest.fixture
def admin(app, client):
    with app.app_context():
        from buurtkaart.web.db import get_db

        accounts.create_user(get_db(), "admin@stad.be", PASSWORD, role="admin")
    with client.session_transaction() as s:
        s["csrf"] = "t"
    client.post("/login", data={"email": "admin@stad.be", "password": PASSWORD,
                                "csrf_token": "t"})
    with client.session_transaction() as s:  # logging in may start a new session
        return s.setdefault("csrf", "t")


def _data(db_path) -> list[str]:
    """Everything stored, except the request counters a POST adds (rate limiting)."""
    with sqlite3.connect(db_path) as conn:
        return [line for line in conn.iterdump() if "rate_hits" not in line]


def _upload(client, token, db_path, lang, kind, name, body) -> list[tuple[bool, str]]:
    """Upload on the admin page in ``lang``; (marked English?, text) of every problem."""
    before = _data(db_path)
    r = client.post(f"/admin/import?lang={lang}",
                    data={"kind": kind, "csrf_token": token,
                          "file": (io.BytesIO(body.encode()), name)},
                    content_type="multipart/form-data")
    page = r.get_data(as_text=True)
    assert r.status_code == 400, page[:800]
    assert _data(db_path) == before  # nothing was imported
    block = re.search(r'<div class="error" role="alert">(.*?)</div>', page, re.S)[1]
    items = re.findall(r"<li( lang=\"en\")?>(.*?)</li>", block, re.S)
    assert items, block
    return [(bool(en), html.unescape(text)) for en, text in items]


def _dutch_and_english(client, token, db_path, kind, name, body):
    nl = _upload(client, token, db_path, "nl", kind, name, body)
    en = _upload(client, token, db_path, "en", kind, name, body)
    assert not any(marked for marked, _ in nl), nl  # no problem left in English
    return [t for _, t in nl], [t for _, t in en]


def _has(texts: list[str], *words: str) -> None:
    assert any(all(w in t for w in words) for t in texts), (words, texts)


# ---------------------------------------------------------------- indicator tables
def test_missing_year_column_in_dutch_and_english(client, admin, db_path):
    nl, en = _dutch_and_english(client, admin, db_path, "indicators", "wijken.csv",
                                "code,population\nA01,120\n")
    _has(nl, "wijken.csv, rij 1, veld 'year'", "de verplichte kolom year ontbreekt",
         "mogelijke namen: year, jaar, jaartal", "verwacht een tabel met indicatoren",
         "Dit bestand is")
    _has(en, "wijken.csv, row 1, field 'year': required column year is missing (accepted "
             "names: year, jaar, jaartal); expected an indicator table:", "This file is")


def test_unknown_indicator_in_a_wide_header(client, admin, db_path):
    nl, en = _dutch_and_english(client, admin, db_path, "indicators", "wijken.csv",
                                "code,year,happiness\nA01,2024,3\n")
    _has(nl, "veld 'happiness'", "onbekende indicator 'happiness'")
    _has(en, "wijken.csv, row 1, field 'happiness': unknown indicator 'happiness': use a "
             "known indicator (docs/indicators.md) or a name ending in _share")


def test_column_named_twice(client, admin, db_path):
    nl, en = _dutch_and_english(client, admin, db_path, "indicators", "wijken.csv",
                                "code,year,population,Population\nA01,2024,3,4\n")
    _has(nl, "veld 'population'", "deze kolomnaam staat er meer dan één keer")
    _has(en, "wijken.csv, row 1, field 'population': column name appears more than once")


def test_long_table_without_value_column(client, admin, db_path):
    nl, en = _dutch_and_english(client, admin, db_path, "indicators", "lang.csv",
                                "code,year,indicator\nA01,2024,population\n")
    _has(nl, "een lange tabel heeft een kolom indicator, maar de verplichte kolom value "
             "ontbreekt")
    _has(en, "lang.csv, row 1, field 'value': a long table has a indicator column but "
             "required column value is missing (accepted names: value, waarde)")


def test_statbel_population_file_without_year_in_its_name(client, admin, db_path):
    nl, en = _dutch_and_english(client, admin, db_path, "indicators", "sectoren.txt",
                                "CD_REFNIS|CD_SECTOR|TOTAL\n44021|44021A00-|1200\n")
    _has(nl, "is een bestand Statbel bevolking per statistische sector (jaar in de "
             "bestandsnaam) (OPENDATA_SECTOREN): het jaar moet in de bestandsnaam staan",
         "OPENDATA_SECTOREN_2024.txt")
    _has(en, "sectoren.txt: is a Statbel population per statistical sector (year in the file "
             "name) file (OPENDATA_SECTOREN): the year must be in the file name, as published "
             "(OPENDATA_SECTOREN_2024.txt)")


def test_statbel_income_file_needs_a_lookup(client, admin, db_path):
    nl, en = _dutch_and_english(
        client, admin, db_path, "indicators", "inkomen.txt",
        "CD_YEAR|CD_MUNTY_REFNIS|CD_SECTOR|MS_NBR_NON_ZERO_INC|MS_TOT_NET_TAXABLE_INC\n"
        "2022|44021|44021A00-|500|15000000\n")
    _has(nl, "waarden per sector hebben een koppeltabel nodig: --lookup BESTAND")
    _has(en, "inkomen.txt: sector-level values need a lookup table: --lookup FILE (columns "
             "sector,code, or the published statsec2024,ggw72024)")


# ---------------------------------------------------------------- HSDS
def _hsds_service(**extra) -> dict:
    return {"id": "svc-1", "name": "Huiswerkklas", "organization_id": "org-1", **extra}


def test_json_that_is_not_hsds(client, admin, db_path):
    # an id and an HSDS list: neither a whole directory nor one HSDS object
    body = json.dumps({"id": "x-1", "locations": []})
    nl, en = _dutch_and_english(client, admin, db_path, "places", "gids.json", body)
    _has(nl, "is geen HSDS 3.0-JSON: verwacht een object met 'services' en 'organizations'")
    _has(en, "gids.json: is not HSDS 3.0 JSON: expected an object with 'services' and "
             "'organizations', a service, organization or service_at_location object")


def test_list_of_objects_that_are_not_hsds(client, admin, db_path):
    body = json.dumps([{"id": "x-1", "title": "niets"}])
    nl, en = _dutch_and_english(client, admin, db_path, "places", "gids.json", body)
    _has(nl, "gids.json, [0]: is geen HSDS-object service, organization, location of "
             "service_at_location")
    _has(en, "gids.json, [0]: is not an HSDS service, organization, location or "
             "service_at_location")


def test_hsds_list_where_a_list_belongs(client, admin, db_path):
    body = json.dumps({"organizations": [], "services": {"id": "svc-1"}})
    nl, en = _dutch_and_english(client, admin, db_path, "places", "gids.json", body)
    _has(nl, "veld 'services'", "moet een lijst zijn")
    _has(en, "gids.json, field 'services': must be a list")


def test_data_package_naming_no_csv_file(client, admin, db_path):
    body = json.dumps({"name": "gids", "resources": [{"name": "services"}]})
    nl, en = _dutch_and_english(client, admin, db_path, "places", "datapackage.json", body)
    _has(nl, "resources[0], veld 'path'", "noemt geen CSV-bestand")
    _has(en, "datapackage.json, resources[0], field 'path': names no CSV file")


def test_data_package_naming_no_hsds_table(client, admin, db_path):
    body = json.dumps({"name": "gids", "resources": [{"name": "x", "path": "programs.csv"}]})
    nl, en = _dutch_and_english(client, admin, db_path, "places", "datapackage.json", body)
    _has(nl, "noemt geen enkele HSDS-tabel")
    _has(en, "datapackage.json, field 'resources': names none of the HSDS tables "
             "organizations, services, locations, service_at_locations")


def test_hsds_schedule_that_cannot_be_represented(client, admin, db_path):
    body = json.dumps({
        "organizations": [{"id": "org-1", "name": "Buurtwerk"}],
        "services": [_hsds_service(schedules=[
            {"freq": "YEARLY", "opens_at": "10:00", "closes_at": "12:00"},
            {"freq": "WEEKLY", "byday": "XX", "opens_at": "10:00", "closes_at": "12:00"},
            {"freq": "WEEKLY", "byday": "MO", "bymonthday": "1", "opens_at": "10:00",
             "closes_at": "12:00"}])]})
    nl, en = _dutch_and_english(client, admin, db_path, "places", "gids.json", body)
    _has(nl, "veld 'freq'", "herhaling 'YEARLY' kan niet worden overgenomen")
    _has(nl, "veld 'byday'", "'XX' is geen dag zoals MO of 1MO")
    _has(nl, "dagen van de maand kunnen niet als wekelijkse sessies worden overgenomen")
    _has(en, "field 'freq': 'YEARLY' cannot be represented (WEEKLY, MONTHLY or DAILY)")
    _has(en, "field 'byday': 'XX' is not a day such as MO or 1MO")
    _has(en, "field 'bymonthday': days of the month cannot be represented as weekly sessions")


def test_hsds_location_of_an_unknown_organisation(client, admin, db_path):
    body = json.dumps({
        "organizations": [{"id": "org-1", "name": "Buurtwerk"}],
        "locations": [{"id": "loc-1", "name": "Buurthuis", "organization_id": "org-9",
                       "latitude": 51.05, "longitude": 3.72}],
        "services": [_hsds_service(attributes=[])]})
    nl, en = _dutch_and_english(client, admin, db_path, "places", "gids.json", body)
    _has(nl, "verwijst naar een onbekende organisatie 'org-9'")
    _has(en, "refers to unknown organisation 'org-9'")


def test_hsds_id_that_is_not_text(client, admin, db_path):
    body = json.dumps({"organizations": [{"id": {"nr": 1}, "name": "Buurtwerk"}],
                       "services": []})
    nl, en = _dutch_and_english(client, admin, db_path, "places", "gids.json", body)
    _has(nl, "gids.json: volgt de structuur van HSDS 3.0 niet (TypeError: ",
         "kijk na of lijsten echt lijsten zijn en of id's tekst zijn")
    _has(en, "gids.json: does not follow the HSDS 3.0 structure (TypeError: ",
         "check that lists are lists and ids are text")


# ---------------------------------------------------------------- command line
def test_command_line_keeps_the_english_reasons(tmp_path, db_path):
    runner = CliRunner()
    table = tmp_path / "wijken.csv"
    table.write_text("code,year,population,population\nA01,2024,3,4\n")
    r = runner.invoke(main, ["import", "indicators", str(table)])
    assert r.exit_code == 1
    assert f"{table}, row 1, field 'population': column name appears more than once" in r.output
    gids = tmp_path / "gids.json"
    gids.write_text(json.dumps({"id": "x-1", "locations": []}))
    r = runner.invoke(main, ["import", "places", str(gids)])
    assert r.exit_code == 1
    assert f"{gids}: is not HSDS 3.0 JSON: expected an object with" in r.output


# ---------------------------------------------------------------- GTFS (command line)
def _dutch():
    return gettext.translation("messages", i18n.TRANSLATIONS_DIR, languages=["nl"])


@pytest.mark.parametrize("changes, english, dutch", [
    ({"stop_times.txt": FEED["stop_times.txt"].replace("t3,08:48:00", "t3,8h48")},
     "stop_times.txt, line 8, field 'arrival_time': expected a time HH:MM:SS",
     "stop_times.txt, regel 8, veld 'arrival_time': verwacht een tijd als UU:MM:SS"),
    ({"stops.txt": FEED["stops.txt"].replace("51.010", "951.010")},
     "stops.txt, line 3, field 'stop_lat': expected a number between -90 and 90",
     "stops.txt, regel 3, veld 'stop_lat': verwacht een getal tussen -90 en 90"),
    ({"trips.txt": FEED["trips.txt"] + "R1,WK,t1\n"},
     "trips.txt, line 8, field 'trip_id': duplicate trip id",
     "trips.txt, regel 8, veld 'trip_id': dit rit-id komt twee keer voor"),
    ({"routes.txt": None},
     "routes.txt: required file is missing from the feed",
     "routes.txt: dit verplichte bestand ontbreekt in de feed"),
])
def test_gtfs_problems_english_on_the_command_line_dutch_when_asked(
        tmp_path, db_path, changes, english, dutch):
    bad = write_feed(tmp_path / "bad.zip", **changes)
    r = CliRunner().invoke(main, ["transit", "import", str(bad)])
    assert r.exit_code == 1 and english in r.output
    with pytest.raises(ImportFailed) as info:
        read_feed(bad)
    i18n.activate(_dutch(), "nl")
    try:
        texts = [p.localized() for p in info.value.problems]
    finally:
        i18n.deactivate()
    assert all(p.translatable for p in info.value.problems)
    assert dutch in texts, texts


def test_gtfs_not_a_zip_and_too_many_problems(tmp_path, db_path):
    junk = tmp_path / "feed.zip"
    junk.write_text("no zip at all")
    r = CliRunner().invoke(main, ["transit", "import", str(junk)])
    assert r.exit_code == 1 and f"{junk}: not a readable zip file (" in r.output
    many = write_feed(tmp_path / "many.zip", **{
        "stops.txt": "stop_id,stop_name,stop_lat,stop_lon\n"
                     + "".join(f"S{k},x,99,3.7\n" for k in range(60))})
    problems = []
    for path in (junk, many):
        with pytest.raises(ImportFailed) as info:
            read_feed(path)
        problems += info.value.problems
    assert str(problems[-1]).endswith("... and 10 more problems")
    i18n.activate(_dutch(), "nl")
    try:
        assert "is geen leesbaar zip-bestand (" in problems[0].localized()
        assert problems[-1].localized().endswith("... en nog 10 andere problemen")
    finally:
        i18n.deactivate()
