"""Texts made by the core (import problems, stored notes, typology reasons, busy imports,
edit conflicts, form problems) are said in the page's language; the JSON API and the
command line keep their exact English."""

from __future__ import annotations

import io
import re
from html import unescape

import pytest
from test_import_lock import first_import  # noqa: F401
from test_real_world_tables import _income_txt, _lookup_xlsx, ghent  # noqa: F401
from test_reimport import CSV as REIMPORT_CSV
from test_web_editing import PLACE_FORM, _csrf, login, setup  # noqa: F401

from buurtkaart import store
from buurtkaart.cli import main

BAD_CSV = ("place_name;lon;lat;activity_name;models;cost;email\n"
           "Buurthuis Oost;3,73;51,05;Soep;organisation;gratis;\n"
           "Kapot;abc;51,05;Koffie;organisation;gratis;nee\n")


def _text(resp) -> str:
    html = resp.get_data(as_text=True)
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def _import(client, text: str, lang: str, name="aanbod.csv", **extra):
    return client.post(f"/admin/import?lang={lang}", data={
        "kind": "places", "csrf_token": _csrf(client), **extra,
        "file": (io.BytesIO(text.encode()), name)}, content_type="multipart/form-data")


# ------------------------------------------------------------------- import problems
def test_import_problems_name_row_field_and_reason_in_the_page_language(client, setup):
    login(client, "admin@stad.be")
    nl = _import(client, BAD_CSV, "nl")
    assert nl.status_code == 400
    text = _text(nl)
    assert "Er is niets geïmporteerd" in text or "niets" in text
    assert "aanbod.csv, rij 3, veld 'lon': coördinaat 'abc' is geen getal tussen -180 en 180" \
        in text
    assert "aanbod.csv, rij 3, veld 'email': geen e-mailadres: 'nee'" in text
    assert 'lang="en"' not in nl.get_data(as_text=True).split("<form")[0].split("<main")[-1]

    en = _import(client, BAD_CSV, "en")
    text = _text(en)
    assert "aanbod.csv, row 3, field 'lon': coordinate 'abc' is not a number in -180..180" \
        in text
    assert "aanbod.csv, row 3, field 'email': not an e-mail address: 'nee'" in text


def test_the_command_line_keeps_the_english_problems(runner, tmp_path, db):
    path = tmp_path / "aanbod.csv"
    path.write_text(BAD_CSV, encoding="utf-8")
    result = runner.invoke(main, ["import", "places", str(path)])
    assert result.exit_code != 0
    assert "row 3, field 'lon': coordinate 'abc' is not a number in -180..180" in result.output
    assert "rij" not in result.output and store.counts(db)["places"] == 0


def test_a_wrong_file_type_is_refused_in_the_page_language(client, setup):
    login(client, "admin@stad.be")
    resp = _import(client, "x", "nl", name="aanbod.exe")
    assert resp.status_code == 400
    assert "aanbod.exe: een bestand met Plekken en activiteiten moet eindigen op .csv" \
        in _text(resp)


# ------------------------------------------------------------------- edit forms, flash
def test_form_problems_and_flash_messages_in_dutch(client, setup):
    login(client, "admin@stad.be")
    bad = {**PLACE_FORM, "lat": "999", "email": "nee", "csrf_token": _csrf(client)}
    resp = client.post("/admin/places/new?lang=nl", data=bad)
    assert resp.status_code == 400
    text = _text(resp)
    assert "Niet opgeslagen" in text
    assert "E-mail : geen e-mailadres: 'nee'" in text  # the field's label, not "email"
    assert "Breedtegraad (WGS84) : coördinaat '999' is geen getal tussen -90 en 90" in text
    good = {**PLACE_FORM, "csrf_token": _csrf(client)}
    resp = client.post("/admin/places/new?lang=nl", data=good, follow_redirects=True)
    assert "Opgeslagen: plek “Buurthuis De Kring”." in _text(resp)
    resp = client.post("/admin/places/new?lang=en", data=good, follow_redirects=True)
    assert "Saved place “Buurthuis De Kring”." in _text(resp)


def test_a_missing_record_and_an_expired_form_are_explained_in_dutch(client, setup):
    login(client, "admin@stad.be")
    resp = client.get("/admin/places/nergens?lang=nl")
    assert resp.status_code == 404
    assert "Er is geen plek met id nergens." in _text(resp)
    resp = client.post("/admin/places/new?lang=nl", data={**PLACE_FORM, "csrf_token": "oud"})
    assert resp.status_code == 400 and "Het formulier is verlopen" in _text(resp)
    # the API keeps English
    assert client.get("/api/places/999999").get_json()["error"] == "no place with id 999999"


# ------------------------------------------------------------------- conflicts, busy
def test_edit_conflicts_of_a_reimport_in_dutch(client, setup):
    login(client, "admin@stad.be")
    assert _import(client, REIMPORT_CSV, "nl").status_code == 200
    client.post("/admin/places/kring?lang=nl", data={
        **PLACE_FORM, "name": "Buurthuis De Kring", "lon": "3.725", "lat": "51.054",
        "phone": "09 223 34 45", "csrf_token": _csrf(client)})
    resp = _import(client, REIMPORT_CSV.replace("De Kring", "De Kring vzw"), "nl")
    text = _text(resp)
    assert resp.status_code == 200
    assert ("plek kring (Buurthuis De Kring): het veld 'phone' is aangepast na de vorige "
            "import van deze bron; de aangepaste waarde '09 223 34 45' is behouden") in text


def test_a_running_import_is_described_in_dutch(client, setup, first_import, db_path,
                                                monkeypatch):
    login(client, "admin@stad.be")
    resp = _import(client, REIMPORT_CSV, "nl")
    assert resp.status_code == 409
    text = _text(resp)
    assert "OpenStreetMap-import van belgium-latest.osm.pbf, gestart op" in text
    assert "door beheer@stad.be" in text and "osm import" not in text

    # a write that cannot wait for the running import: a 503 page in Dutch
    monkeypatch.setenv("BUURTKAART_BUSY_TIMEOUT", "0")
    other = store.connect(db_path)
    other.conn.execute("BEGIN IMMEDIATE")
    try:
        resp = client.post("/admin/places/new?lang=nl",
                           data={**PLACE_FORM, "csrf_token": _csrf(client)})
    finally:
        other.conn.execute("ROLLBACK")
    assert resp.status_code == 503
    text = _text(resp)
    assert "Even druk, probeer het opnieuw" in text and "De databank is bezig" in text


# ------------------------------------------------------------------- notes, typology
@pytest.fixture
def income(ghent, runner, tmp_path):  # noqa: F811
    path = tmp_path / "TF_PSNL_INC_TAX_SECTOR.txt"
    path.write_bytes(b"\xef\xbb\xbf" + _income_txt().encode("utf-8"))
    result = runner.invoke(main, ["import", "indicators", str(path), "--lookup",
                                  str(_lookup_xlsx(tmp_path))])
    assert result.exit_code == 0, result.output
    return ghent


ENGLISH_NOTE = ("confidential in the source for sector(s) 44021B01- (Statbel publishes 'C' "
                "where a figure would reveal too few people)")
DUTCH_NOTE = ("Onbekend: vertrouwelijk in de bron voor sector(en) 44021B01- (Statbel "
              "publiceert 'C' als een cijfer over te weinig mensen zou gaan).")


def test_stored_notes_in_the_page_language_and_english_in_the_api(client, income):
    api = client.get("/api/neighbourhoods/4402102/indicators").get_json()
    assert api["indicators"]["median_income"]["values"][0]["note"] == ENGLISH_NOTE
    assert DUTCH_NOTE in _text(client.get("/neighbourhoods/4402102?lang=nl"))
    assert "Unknown: " + ENGLISH_NOTE + "." in _text(client.get("/neighbourhoods/4402102?lang=en"))
    frame = unescape(client.get("/kaart/frame?indicator=median_income&lang=nl")
                     .get_data(as_text=True))
    assert "onbekend (vertrouwelijk in de bron voor sector(en) 44021B01-" in frame


def test_notes_stored_as_english_text_are_converted(client, income):
    db = income
    stored = db.execute("SELECT note FROM indicators WHERE note IS NOT NULL").fetchone()[0]
    assert stored.startswith("[[")  # codes with values, not English text
    db.execute("UPDATE indicators SET note = ? WHERE note IS NOT NULL", [ENGLISH_NOTE])
    db.execute("UPDATE indicators SET note = 'written by hand' WHERE neighbourhood_code = "
               "'4402101'")
    db.conn.commit()
    store.schema.m005_indicator_note_codes(db)
    db.conn.commit()
    assert db.execute("SELECT note FROM indicators WHERE neighbourhood_code = '4402102' "
                      "AND note IS NOT NULL").fetchone()[0] == stored
    assert db.execute("SELECT note FROM indicators WHERE neighbourhood_code = '4402101'"
                      ).fetchone()[0] == "written by hand"
    assert DUTCH_NOTE in _text(client.get("/neighbourhoods/4402102?lang=nl"))


def test_many_sectors_are_counted_in_the_page_language(app):
    from buurtkaart import i18n, notes

    n = notes.note(("empty_sectors", {"sectors": [f"S{i:02d}" for i in range(12)]}))
    assert str(n) == ("no value for sector(s) S00, S01, S02, S03, S04, S05, S06, S07, S08, "
                      "S09 ... (12 in all)")
    assert notes.decode(notes.encode(n)) == str(n)
    import gettext

    nl = gettext.translation("messages", i18n.TRANSLATIONS_DIR, languages=["nl"])
    i18n.activate(nl, "nl")
    try:
        assert notes.decode(notes.encode(n)).translated().endswith("S09 ... (12 in totaal)")
    finally:
        i18n.deactivate()


def test_typology_reasons_in_the_page_language(client, income):
    nl = _text(client.get("/neighbourhoods/4402101?lang=nl"))
    assert "maar één jaar (2022) beschikbaar: er is geen verandering te meten" in nl
    assert "geen gegevens over veel huurders" in nl
    en = _text(client.get("/neighbourhoods/4402101?lang=en"))
    assert "only one year (2022) available: no change can be measured" in en
    assert "no data for many renters (share of households renting or share of households " \
        "in social housing)" in en
    # the API keeps the indicators' keys
    api = client.get("/api/typology").get_json()
    reasons = [r for f in api.get("features", api.get("neighbourhoods", [])) for r in
               (f.get("properties", f).get("reasons") or [])]
    assert any("no data for many renters (renter_share or social_housing_share)" in r
               for r in reasons), api


# ------------------------------------------------------------------- API reference page
def test_the_api_reference_page_speaks_dutch_and_the_document_stays_english(client):
    from babel.messages.pofile import read_po

    from buurtkaart import i18n
    from buurtkaart.web.openapi import document

    page = client.get("/api/docs?lang=nl")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'lang="en"' not in html.split("<main")[1]
    text = _text(page)
    assert "Ontmoetingsplekken en netwerkversterkende activiteiten voor mensen in armoede" \
        in text
    assert "Eén plek" in text and "in de zoekopdracht" in text
    assert "true/false: meedoen kost niets" in text  # a filter parameter
    assert "Een activiteit maken" in text and "HSDS 3.0-services (per pagina)" in text
    # every sentence the page shows has its Dutch text (a new endpoint needs one too)
    with (i18n.TRANSLATIONS_DIR / "nl" / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalogue = read_po(fh, locale="nl")
    doc = document()
    shown = [doc["info"]["description"]] + [
        t for ops in doc["paths"].values() for op in ops.values()
        for t in [op["summary"]] + [p["description"] for p in op.get("parameters", [])]]
    missing = sorted({t for t in shown if t and not (catalogue.get(t) and catalogue.get(t).string)})
    assert missing == []
    # the machine-readable document keeps its English
    spec = client.get("/api/openapi.json", headers={"Accept-Language": "nl"}).get_json()
    assert spec["paths"]["/api/places/{place_id}"]["get"]["summary"] == "One place"


def test_indicator_and_neighbourhood_problems_in_dutch(client, setup):
    login(client, "admin@stad.be")
    resp = client.post("/admin/import?lang=nl", data={
        "kind": "indicators", "csrf_token": _csrf(client),
        "file": (io.BytesIO(b"code,year,population\n4402101,twintig,5\n4402102,2024,veel\n"),
                 "cijfers.csv")}, content_type="multipart/form-data")
    text = _text(resp)
    assert resp.status_code == 400
    assert "cijfers.csv, rij 2, veld 'year': het jaar moet een geheel getal zijn" in text
    assert "cijfers.csv, rij 3, veld 'population': geen getal: 'veel'" in text
    geojson = (b'{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": '
               b'{"code": "", "name": "Noord"}, "geometry": {"type": "Point", '
               b'"coordinates": [3.7, 51.0]}}]}')
    resp = client.post("/admin/import?lang=nl", data={
        "kind": "neighbourhoods", "csrf_token": _csrf(client),
        "file": (io.BytesIO(geojson), "wijken.geojson")}, content_type="multipart/form-data")
    text = _text(resp)
    assert resp.status_code == 400, text
    assert "object 1" in text and "verwacht een veelhoek, maar het is een Point" in text


def test_every_marked_literal_reaches_the_catalogue():
    """Babel does not see a message marked inside another marked call (``Msg("...",
    x=Msg("..."))``): such a text would stay English on every page."""
    import ast
    from pathlib import Path

    from babel.messages.pofile import read_po

    from buurtkaart import i18n

    with (i18n.TRANSLATIONS_DIR / "nl" / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalogue = read_po(fh, locale="nl")
    missing = []
    for path in Path(i18n.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                    and node.func.id in ("Msg", "N_", "_", "gettext") and node.args \
                    and isinstance(node.args[0], ast.Constant) \
                    and isinstance(node.args[0].value, str):
                entry = catalogue.get(node.args[0].value)
                if entry is None or not entry.string:
                    missing.append(f"{path.name}:{node.lineno}: {node.args[0].value[:60]}")
    assert missing == []
