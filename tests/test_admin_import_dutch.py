"""A refused neighbourhood, places or indicator file lists its problems on the admin import
page in the page's language: in Dutch every problem is Dutch (none marked ``lang="en"``),
in English it is word for word what the command line prints; the database is unchanged.
Lookup tables, municipality files and OpenStreetMap extracts are imported on the command
line only: it keeps their English, and their problems have a Dutch text too."""

from __future__ import annotations

import gettext
import io
import json
import re
from html import unescape

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely
from test_web_editing import _csrf, login, setup  # noqa: F401

from buurtkaart import i18n, store
from buurtkaart.cli import main
from buurtkaart.errors import ImportFailed

LAMBERT_SQUARE = shapely.box(104900.0, 193900.0, 105100.0, 194100.0)
GENT_SQUARE = shapely.box(3.70, 51.04, 3.71, 51.05)


def _geojson(features: list[dict], **extra) -> bytes:
    return json.dumps({"type": "FeatureCollection", **extra, "features": features}).encode()


def _feature(props: dict, geom=GENT_SQUARE) -> dict:
    return {"type": "Feature", "properties": props, "geometry": shapely.geometry.mapping(geom)}


def _gpkg(tmp_path, *layers, crs=31370) -> bytes:
    path = tmp_path / "file.gpkg"
    for name, frame in layers:
        if isinstance(frame, gpd.GeoDataFrame):
            frame.to_file(path, layer=name)
        else:
            pyogrio.write_dataframe(frame, path, layer=name)
    return path.read_bytes()


def _hoods(codes, geom=LAMBERT_SQUARE, crs=31370) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"code": codes}, geometry=[geom] * len(codes), crs=crs)


# name, kind, file name, content (from tmp_path), {environment}, Dutch text, English text
CASES = {
    "empty GeoJSON": ("neighbourhoods", "wijken.geojson", lambda t: b"", {},
                      "wijken.geojson: is leeg (0 bytes)",
                      "wijken.geojson: is empty (0 bytes)"),
    "GeoPackage without features": (
        "neighbourhoods", "wijken.gpkg",
        lambda t: _gpkg(t, ("wijken", _hoods(pd.Series([], dtype=str)))), {},
        "wijken.gpkg: bevat geen objecten",
        "wijken.gpkg: contains no features"),
    "GeoPackage with two layers": (
        "neighbourhoods", "wijken.gpkg",
        lambda t: _gpkg(t, ("noord", _hoods(["1"])), ("zuid", _hoods(["2"]))), {},
        "wijken.gpkg: heeft 2 lagen (noord, zuid); kies er een met --layer",
        "wijken.gpkg: has 2 layers (noord, zuid); choose one with --layer"),
    "GeoPackage table without geometry": (
        "neighbourhoods", "tabel.gpkg",
        lambda t: _gpkg(t, ("tabel", pd.DataFrame({"code": ["1"]}))), {},
        "tabel.gpkg, veld 'geometry': heeft geen vormen: het is een tabel",
        "tabel.gpkg, field 'geometry': has no geometry: a table, not a GeoPackage, Shapefile "
        "or GeoJSON layer of polygons"),
    "not a GeoPackage": (
        "neighbourhoods", "tekst.gpkg", lambda t: b"dit is geen geopackage", {},
        "tekst.gpkg: kan niet gelezen worden als GeoPackage, Shapefile of GeoJSON",
        "tekst.gpkg: cannot be read as GeoPackage, Shapefile or GeoJSON"),
    "unidentifiable CRS": (
        "neighbourhoods", "lokaal.gpkg",
        lambda t: _gpkg(t, ("wijken", _hoods(["1"], crs='LOCAL_CS["bouwplaats",UNIT["metre",1]]'))),
        {}, "lokaal.gpkg: heeft een coördinatenstelsel dat we niet herkennen (bouwplaats); "
            "we gokken niet",
        "lokaal.gpkg: has a coordinate reference system that cannot be identified "
        "(bouwplaats); refusing to guess"),
    "no CRS": (
        "neighbourhoods", "zonder.gpkg", lambda t: _gpkg(t, ("wijken", _hoods(["1"], crs=None))),
        {}, "zonder.gpkg: heeft geen coördinatenstelsel; we gokken niet",
        "zonder.gpkg: has no coordinate reference system; refusing to guess"),
    "unknown crs member": (
        "neighbourhoods", "wijken.geojson",
        lambda t: _geojson([_feature({"code": "1"})], crs={
            "type": "name", "properties": {"name": "mijn eigen stelsel"}}), {},
        "wijken.geojson, veld 'crs': noemt een coördinatenstelsel dat we niet herkennen "
        "('mijn eigen stelsel'); we gokken niet",
        "wijken.geojson, field 'crs': declares a coordinate reference system that cannot be "
        "identified ('mijn eigen stelsel'); refusing to guess"),
    "degrees labelled Lambert 72": (
        "neighbourhoods", "wijken.gpkg",
        lambda t: _gpkg(t, ("wijken", _hoods(["1"], geom=GENT_SQUARE))), {},
        "wijken.gpkg, veld 'geometry': de coördinaten lijken graden (lengte- en breedtegraad: "
        "x 3.7 tot 3.71, y 51.04 tot 51.05), maar het bestand noemt BD72 / Belgian Lambert 72, "
        "dat in meter is",
        "wijken.gpkg, field 'geometry': coordinates look like degrees (longitude/latitude: "
        "x 3.7 to 3.71, y 51.04 to 51.05) but the file declares BD72 / Belgian Lambert 72, "
        "which is in metres; declare the CRS the coordinates are in (EPSG:4326 for degrees)"),
    "outside the CRS's area": (
        "neighbourhoods", "wijken.gpkg",
        lambda t: _gpkg(t, ("wijken", _hoods(["A"], geom=shapely.box(700_000, 193_900,
                                                                     700_200, 194_100)))),
        {}, "wijken.gpkg, object 1, veld 'geometry': ligt buiten het gebied waar BD72 / Belgian "
            "Lambert 72 gebruikt wordt (Belgium - onshore.: 2.5 tot 6.4 O, 49.5 tot 51.51 N), "
            "op 12.1842, 50.7946",
        "wijken.gpkg, feature 1, field 'geometry': lies outside the area where BD72 / Belgian "
        "Lambert 72 is used (Belgium - onshore.: 2.5 to 6.4 E, 49.5 to 51.51 N), at 12.1842, "
        "50.7946: the coordinates look like another CRS than the declared one"),
    "no code column": (
        "neighbourhoods", "wijken.geojson", lambda t: _geojson([_feature({"wijk_id": "1"})]),
        {}, "wijken.geojson: geen kolom gevonden voor de code (geprobeerd: code, CODE",
        "wijken.geojson: no code column found (tried code, CODE, wijkcode, WIJKCODE, nis_code, "
        "NISCODE, niscode, cd_sector, CD_SECTOR; columns: wijk_id); name it with --code-field"),
    "too long a text": (
        "neighbourhoods", "wijken.geojson",
        lambda t: _geojson([_feature({"code": "1", "info": "x" * 10_000_000})]), {},
        "wijken.geojson, object 1, veld 'info': een tekst van 10,000,000 tekens is te lang "
        "(hoogstens 5,000)",
        "wijken.geojson, feature 1, field 'info': text of 10,000,000 characters is too long "
        "(at most 5,000)"),
    "too many features": (
        "neighbourhoods", "wijken.geojson",
        lambda t: _geojson([_feature({"code": "1"}), _feature({"code": "2"})]),
        {"BUURTKAART_MAX_FEATURES": "1"},
        "wijken.geojson: heeft 2 objecten; de grens is 1 objecten (het grootste aantal "
        "vormen in één wijkbestand); zet BUURTKAART_MAX_FEATURES hoger om meer toe te laten",
        "wijken.geojson: has 2 features; the limit is 1 features (most polygons in one "
        "neighbourhood file); set BUURTKAART_MAX_FEATURES to allow more"),
    "too large a file": (
        "neighbourhoods", "wijken.geojson",
        lambda t: _geojson([_feature({"code": "1", "info": "x" * 1_200_000})]),
        {"BUURTKAART_MAX_UNPACKED_MB": "1"},
        "wijken.geojson: is 1.1 MB; de grens is 1 MB (het grootste wijkbestand, in MB "
        "uitgepakt",
        "wijken.geojson: is 1.1 MB; the limit is 1 MB (largest neighbourhood file, in MB "
        "unpacked (a zipped shapefile counts what it unzips to)); set "
        "BUURTKAART_MAX_UNPACKED_MB to allow more"),
    "too many columns": (
        "indicators", "cijfers.csv", lambda t: b"code,year,population,income\n1,2024,5,6\n",
        {"BUURTKAART_MAX_COLUMNS": "3"},
        "cijfers.csv, rij 1: heeft 4 kolommen; de grens is 3 kolommen",
        "cijfers.csv, row 1: has 4 columns; the limit is 3 columns (most columns in one "
        "indicator table); set BUURTKAART_MAX_COLUMNS to allow more"),
    "JSON of an unknown format": (
        "places", "aanbod.json", lambda t: b'{"iets": 1}', {},
        "aanbod.json: is JSON, maar geen GeoJSON FeatureCollection ('features') en geen HSDS "
        "('services', 'organizations'); het bevat: iets; verwacht CSV",
        "aanbod.json: is JSON but neither a GeoJSON FeatureCollection ('features') nor HSDS "
        "('services', 'organizations'); it has: iets; expected CSV (.csv, or .xlsx), GeoJSON "
        "(.geojson) or HSDS 3.0 JSON (.json), or say which with --format"),
    "JSON nested too deeply": (
        "places", "aanbod.json", lambda t: b"[" * 100_000 + b"]" * 100_000, {},
        "aanbod.json: is JSON met te veel lagen in elkaar",
        "aanbod.json: is JSON nested too deeply (lists or objects inside each other thousands "
        "of levels deep); not a real data file"),
}


def _upload(client, kind: str, name: str, body: bytes, lang: str):
    return client.post(f"/admin/import?lang={lang}", data={
        "kind": kind, "csrf_token": _csrf(client), "file": (io.BytesIO(body), name)},
        content_type="multipart/form-data")


def _problem_list(resp) -> tuple[str, list[str]]:
    """The list of problems as HTML, and each problem as the text a reader sees."""
    html = resp.get_data(as_text=True)
    block = html.split('<div class="error" role="alert">', 1)[1].split("</div>", 1)[0]
    items = re.findall(r"<li[^>]*>(.*?)</li>", block, re.S)
    return block, [unescape(re.sub(r"\s+", " ", item)) for item in items]


def _dump(db_path) -> list[str]:
    """The whole database as SQL, but for the rate limiter's count of requests."""
    db = store.connect(db_path)
    try:
        return [line for line in db.conn.iterdump()
                if not line.startswith('INSERT INTO "rate_hits"')]
    finally:
        db.conn.close()


@pytest.mark.parametrize("case", list(CASES))
def test_a_refused_file_lists_its_problems_in_the_page_language(client, setup, db_path,
                                                                 tmp_path, monkeypatch, case):
    kind, name, make, env, dutch, english = CASES[case]
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    body = make(tmp_path)
    login(client, "admin@stad.be")
    before = _dump(db_path)

    nl = _upload(client, kind, name, body, "nl")
    assert nl.status_code == 400, nl.get_data(as_text=True)[-2000:]
    block, problems = _problem_list(nl)
    assert any(dutch in p for p in problems), problems
    assert 'lang="en"' not in block
    assert _dump(db_path) == before

    en = _upload(client, kind, name, body, "en")
    assert en.status_code == 400
    _, problems = _problem_list(en)
    assert any(english in p for p in problems), problems
    assert _dump(db_path) == before


WARNINGS = {
    "nl": ("Waarschuwingen: wijken.geojson: codekolom 'code' bevat getallen; omgezet naar tekst "
           "(kijk na of er in de bron geen nullen vooraan verloren gingen); wijken.geojson, "
           "object 1 (code 4402101): ongeldige veelhoek (Self-intersection", "hersteld met "
           "make_valid"),
    "en": ("Warnings: wijken.geojson: code column 'code' is stored as numbers; converted to text "
           "(check that no leading zeros were lost in the source); wijken.geojson, feature 1 "
           "(code 4402101): invalid polygon (Self-intersection", "repaired with make_valid"),
}


@pytest.mark.parametrize("lang", list(WARNINGS))
def test_the_warnings_of_an_accepted_neighbourhood_file_in_the_page_language(client, setup,
                                                                             lang):
    bowtie = shapely.Polygon([(3.70, 51.04), (3.71, 51.05), (3.71, 51.04), (3.70, 51.05)])
    login(client, "admin@stad.be")
    resp = _upload(client, "neighbourhoods", "wijken.geojson",
                   _geojson([_feature({"code": 4402101}, bowtie)]), lang)
    assert resp.status_code == 200
    text = unescape(resp.get_data(as_text=True))
    assert all(part in text for part in WARNINGS[lang]), text


# ------------------------------------------------------------ the command line keeps English
def test_the_command_line_prints_the_english_problems(runner, db, tmp_path):
    (tmp_path / "wijken.gpkg").write_bytes(
        _gpkg(tmp_path, ("noord", _hoods(["1"])), ("zuid", _hoods(["2"]))))
    before = list(db.conn.iterdump())
    result = runner.invoke(main, ["import", "neighbourhoods", str(tmp_path / "wijken.gpkg")])
    assert result.exit_code == 1
    assert f"{tmp_path / 'wijken.gpkg'}: has 2 layers (noord, zuid); choose one with --layer" \
        in result.stderr
    assert "lagen" not in result.stderr
    assert list(db.conn.iterdump()) == before


# ------------------------------------------- files only the command line imports, in Dutch
@pytest.fixture
def dutch():
    i18n.activate(gettext.translation("messages", i18n.TRANSLATIONS_DIR, languages=["nl"]), "nl")
    yield
    i18n.deactivate()


def _refusal(call, *args, **kwargs) -> ImportFailed:
    with pytest.raises(ImportFailed) as info:
        call(*args, **kwargs)
    return info.value


def _lookup(tmp_path, text: str):
    path = tmp_path / "lookup.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_lookup_table_problems(tmp_path, runner, db, dutch):
    from buurtkaart.importers.lookups import read_lookup, read_municipality_lookup

    missing = _refusal(read_lookup, _lookup(tmp_path, "sector,wijk_naam\n44021A001,X\n"))
    assert [p.localized() for p in missing.problems] == [
        f"{tmp_path / 'lookup.csv'}, rij 1, veld 'code': de verplichte kolom code ontbreekt "
        "(de code van de wijk; toegelaten namen: code, wijk, wijkcode, neighbourhood, ggw\\d*); "
        "dit bestand is tekst gescheiden door ',' (UTF-8) met de kolommen sector, wijk_naam"]
    twice = _refusal(read_lookup, _lookup(tmp_path, "sector,code\n44021A001,4402101\n"
                                                    "44021A001,4402102\n44021A002,\n"))
    assert [p.localized() for p in twice.problems] == [
        f"{tmp_path / 'lookup.csv'}, rij 3, veld 'sector': sector 44021A001 hoort hier bij "
        "4402102, maar in rij 2 bij 4402101",
        f"{tmp_path / 'lookup.csv'}, rij 4, veld 'code': sector en code zijn allebei verplicht"]
    short = _refusal(read_municipality_lookup, _lookup(tmp_path, "code;gemeente2024\n4402101\n"))
    assert [p.localized() for p in short.problems] == [
        f"{tmp_path / 'lookup.csv'}, rij 2: heeft te weinig waarden"]

    i18n.deactivate()  # the command line: the English text, exactly
    stats = tmp_path / "cijfers.csv"
    stats.write_text("sector,year,population\n44021A001,2024,5\n", encoding="utf-8")
    _lookup(tmp_path, "sector,code\n44021A001,4402101\n44021A001,4402102\n")
    result = runner.invoke(main, ["import", "indicators", str(stats), "--level", "sector",
                                  "--lookup", str(tmp_path / "lookup.csv")])
    assert result.exit_code == 1
    assert f"{tmp_path / 'lookup.csv'}, row 3, field 'sector': sector 44021A001 is mapped to " \
           "4402102 here and to 4402101 in row 2" in result.stderr
    assert store.counts(db)["indicators"] == 0


def test_a_municipality_file_with_a_bad_nis_code(tmp_path, runner, db, dutch):
    from buurtkaart.municipalities import assign_by_overlap, read_municipalities

    path = tmp_path / "gemeenten.geojson"
    gpd.GeoDataFrame({"nis_code": ["4402", "44021"], "name": ["x", "Gent"]},
                     geometry=[GENT_SQUARE] * 2, crs=4326).to_file(path)
    bad = _refusal(read_municipalities, path)
    assert [p.localized() for p in bad.problems] == [
        f"{path}, object 1, veld 'nis_code': '4402' is geen NIS-code van een gemeente "
        "(vijf cijfers)"]
    none = _refusal(assign_by_overlap, db)
    assert [p.localized() for p in none.problems] == [
        "municipalities: er zijn geen gemeentegrenzen opgeslagen: voer eerst "
        "`buurtkaart import municipalities FILE` uit"]

    i18n.deactivate()
    result = runner.invoke(main, ["import", "municipalities", str(path)])
    assert result.exit_code == 1
    assert f"{path}, feature 1, field 'nis_code': '4402' is not a five-digit NIS " \
           "municipality code" in result.stderr
    assert db.execute("SELECT count(*) FROM municipalities").fetchone()[0] == 0


def test_an_unreadable_openstreetmap_extract(tmp_path, runner, db, dutch):
    from buurtkaart.geocode import read_addresses
    from buurtkaart.importers.osm import read_osm

    path = tmp_path / "kapot.osm.pbf"
    path.write_bytes(b"<osm version='0.6'>not a pbf</osm>")
    for read in (read_osm, read_addresses):
        [problem] = _refusal(read, path).problems
        assert problem.localized().startswith(
            f"{path}: kan niet gelezen worden als OpenStreetMap-uittreksel (PBF): ")
        assert str(problem).startswith(
            f"{path}: cannot be read as an OpenStreetMap PBF extract: ")

    i18n.deactivate()
    result = runner.invoke(main, ["import", "osm", str(path)])
    assert result.exit_code == 1
    assert f"{path}: cannot be read as an OpenStreetMap PBF extract: " in result.stderr
    assert store.counts(db)["places"] == 0


def test_an_unknown_format_named_in_python(tmp_path, dutch):
    from buurtkaart.importers import read_directory

    path = tmp_path / "aanbod.csv"
    path.write_text("place_name,lon,lat\nA,3.7,51.0\n", encoding="utf-8")
    [problem] = _refusal(read_directory, path, fmt="xml").problems
    assert problem.localized() == (f"{path}: onbekend formaat 'xml' (we kennen: csv, geojson, "
                                   "hsds)")
    assert str(problem) == f"{path}: unknown format 'xml' (known: csv, geojson, hsds)"
