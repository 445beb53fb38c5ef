"""Indicator files as people download them: Statbel open data (pipe-separated .txt with a
BOM, a .zip around it, .xlsx), the Provincies in Cijfers lookups, CSVs saved from Excel in
cp1252 or UTF-16, and Belgian number formats. Headers, separators, encodings and quirks are
those of the published files (column lists from the Statbel downloads); values are invented.
"""

from __future__ import annotations

import csv
import io
import math
import zipfile

import geopandas as gpd
import openpyxl
import pytest
import shapely

from buurtkaart import store
from buurtkaart.cli import main
from buurtkaart.errors import ImportFailed
from buurtkaart.importers.indicators import read_indicator_table, read_indicators
from buurtkaart.importers.lookups import read_lookup, read_municipality_lookup

from conftest import shared_file

# the header of Statbel's TF_PSNL_INC_TAX_SECTOR.txt (fiscal income per statistical sector)
INCOME_HEADER = ("CD_YEAR|CD_MUNTY_REFNIS|CD_SECTOR|MS_NBR_NON_ZERO_INC|MS_TOT_NET_TAXABLE_INC|"
                 "MS_AVG_TOT_NET_TAXABLE_INC|MS_MEDIAN_NET_TAXABLE_INC|MS_INT_QUART_DIFF|"
                 "MS_INT_QUART_COEFF|MS_INT_QUART_ASSYM|TX_SECTOR_DESCR_NL|TX_SECTOR_DESCR_FR")
# (sector, declarations, total net taxable income, median); None = 'C' (confidential)
INCOME = [("44021A00-", 800, 21_600_000.0, 24_100.5),
          ("44021A01-", 200, 6_000_000.0, 27_300.0),
          ("44021B00-", 500, 12_500_000.0, 22_000.0),
          ("44021B01-", None, None, None),  # too few declarations: confidential
          ("44021C00-", 1000, 30_000_000.0, 26_000.0)]
# sector -> wijk, as the published statsec2024_ggw72024.xlsx has it (with an ONB row)
LOOKUP = [("44021A00-", "4402101"), ("44021A01-", "4402101"), ("44021B00-", "4402102"),
          ("44021B01-", "4402102"), ("44021C00-", "4402103"), ("44021ZZZZ", "44021ONB")]


def _income_txt(year=2022) -> str:
    lines = [INCOME_HEADER]
    for sector, n, total, median in INCOME:
        if n is None:
            cells = ["C"] * 7
        else:
            cells = [str(n), f"{total:.2f}", f"{total / n:.2f}", f"{median:.1f}", "12345.6",
                     "0.45", "0.12"]
        lines.append("|".join([str(year), "44021", sector, *cells, f"Wijk {sector}",
                               f"Quartier {sector}"]))
    # the part of Ghent whose sector is unknown: reported and skipped
    lines.append(f"{year}|44021|44021ZZZZ|35|700000.00|20000.00|19000.0|C|C|C|Onbekend|Inconnu")
    # the file is national; the lookup covers Flanders and Brussels (Namur is left out)
    lines.append(f"{year}|92094|92094A00-|900|19800000.00|22000.00|20500.0|11000.0|0.5|0.1|"
                 "Namen-Centrum|Namur-Centre")
    return "\r\n".join(lines) + "\r\n"


def _xlsx(path, rows):
    wb = openpyxl.Workbook()
    ws = wb.active
    for r in rows:
        ws.append(list(r))
    wb.save(path)
    return path


def _lookup_xlsx(tmp_path):
    return _xlsx(tmp_path / "statsec2024_ggw72024.xlsx",
                 [("statsec2024", "ggw72024"), *LOOKUP])


@pytest.fixture
def ghent(db):
    codes = ["4402101", "4402102", "4402103"]
    hoods = gpd.GeoDataFrame({"code": codes, "name": ["Binnenstad", "Brugse Poort", "Muide"],
                              "municipality_code": "44021"},
                             geometry=[shapely.box(3.70 + i * 0.01, 51.0, 3.71 + i * 0.01,
                                                   51.01) for i in range(3)], crs=4326)
    store.save_neighbourhoods(db, hoods, source="test")
    return db


def _expected_income():
    by_wijk: dict[str, list] = {}
    lk = dict(LOOKUP)
    for sector, n, total, median in INCOME:
        by_wijk.setdefault(lk[sector], []).append((n, total, median))
    out = {}
    for wijk, rows in by_wijk.items():
        if any(n is None for n, _, _ in rows):
            out[wijk] = None
            continue
        n = sum(r[0] for r in rows)
        total = sum(r[1] for r in rows)
        out[wijk] = {"declarations_count": n, "net_taxable_income_total": total,
                     "income_per_declaration_mean": total / n,
                     "median_income": sum(r[0] * r[2] for r in rows) / n}
    return out


def _check_income(frame):
    got = {(r.code, r.indicator): r.value for r in frame.itertuples()}
    for wijk, exp in _expected_income().items():
        if exp is None:
            for ind in ("declarations_count", "median_income"):
                assert math.isnan(got[(wijk, ind)])
            continue
        for ind, v in exp.items():
            assert got[(wijk, ind)] == pytest.approx(v), (wijk, ind)
    assert set(frame["year"]) == {2022}


def test_statbel_income_txt_with_bom_is_recognised_and_aggregated(tmp_path):
    path = tmp_path / "TF_PSNL_INC_TAX_SECTOR.txt"
    path.write_bytes(b"\xef\xbb\xbf" + _income_txt().encode("utf-8"))
    result = read_indicators(path, lookup_path=_lookup_xlsx(tmp_path))
    _check_income(result.frame)
    text = "\n".join(result.messages)
    assert "recognised Statbel fiscal income" in text and "MS_INT_QUART_DIFF" in text
    assert "skipped 1 rows of unknown sectors" in text and "row 7" in text
    assert "skipped 1 rows of pseudo-wijken" in text
    assert "skipped 1 rows of 1 municipalities the lookup does not cover" in text \
        and "92094" in text
    # the confidential sector makes Brugse Poort unknown, and the note says why
    notes = result.frame.set_index(["code", "indicator"])["note"]
    assert "confidential" in notes[("4402102", "median_income")]
    assert "44021B01-" in notes[("4402102", "median_income")]
    assert notes[("4402101", "median_income")] is None
    assert any("median_income 2022 is unknown for 1 neighbourhood(s) (4402102)" in m
               and "confidential" in m for m in result.messages)


def test_older_statbel_income_header_cd_refnis_sector(tmp_path):
    path = tmp_path / "TF_PSNL_INC_TAX_SECTOR.txt"
    text = _income_txt().replace("|CD_SECTOR|", "|CD_REFNIS_SECTOR|", 1)
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    _check_income(read_indicator_table(path, lookup_path=_lookup_xlsx(tmp_path)))


def test_statbel_income_as_zip_and_as_xlsx(tmp_path):
    lookup = _lookup_xlsx(tmp_path)
    zpath = tmp_path / "TF_PSNL_INC_TAX_SECTOR.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        zf.writestr("TF_PSNL_INC_TAX_SECTOR.txt", b"\xef\xbb\xbf" + _income_txt().encode())
    _check_income(read_indicator_table(zpath, lookup_path=lookup))
    rows = [line.split("|") for line in _income_txt().splitlines()]
    typed = [rows[0]] + [[int(r[0]), int(r[1]), r[2]] + [
        c if c == "C" else float(c) for c in r[3:10]] + r[10:] for r in rows[1:]]
    xpath = _xlsx(tmp_path / "TF_PSNL_INC_TAX_SECTOR.xlsx", typed)
    _check_income(read_indicator_table(xpath, lookup_path=lookup))


def test_statbel_population_year_from_file_name(tmp_path):
    header = ("CD_REFNIS|CD_SECTOR|TOTAL|DT_STRT_SECTOR|DT_STOP_SECTOR|OPPERVLAKKTE IN HM²|"
              "TX_DESCR_SECTOR_NL|TX_DESCR_SECTOR_FR|TX_DESCR_NL|TX_DESCR_FR")
    rows = [("44021A00-", 1523), ("44021A01-", 310), ("44021B00-", 980), ("44021B01-", 12),
            ("44021C00-", 2045), ("44021ZZZZ", 41)]
    text = "\n".join([header] + [f"44021|{s}|{n}|01/01/1977|31/12/9999|12.5|Wijk|Quartier|Gent|"
                                 "Gand" for s, n in rows]) + "\n"
    path = tmp_path / "OPENDATA_SECTOREN_2024.txt"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    frame = read_indicator_table(path, lookup_path=_lookup_xlsx(tmp_path))
    got = {(r.code, r.year): r.value for r in frame.itertuples()}
    assert got == {("4402101", 2024): 1833, ("4402102", 2024): 992, ("4402103", 2024): 2045}
    path.rename(tmp_path / "bevolking.txt")
    with pytest.raises(ImportFailed, match="year must be in the file name"):
        read_indicator_table(tmp_path / "bevolking.txt", lookup_path=_lookup_xlsx(tmp_path))


def test_unknown_layout_says_what_was_expected(tmp_path):
    path = tmp_path / "export.txt"
    path.write_text("REFNIS|SECTOR_NAME|INHABITANTS\n44021|Binnenstad|1523\n")
    with pytest.raises(ImportFailed) as exc:
        read_indicator_table(path)
    text = str(exc.value)
    assert "'|'-separated text (UTF-8)" in text and "REFNIS, SECTOR_NAME, INHABITANTS" in text
    assert "TF_PSNL_INC_TAX_SECTOR (CD_YEAR|CD_MUNTY_REFNIS|CD_SECTOR" in text
    assert "OPENDATA_SECTOREN (CD_REFNIS|CD_SECTOR|TOTAL|...)" in text
    assert "code, year, indicator, value (long)" in text


def test_cli_api_and_page_say_which_wijken_are_unknown_and_why(ghent, runner, tmp_path,
                                                                client):
    path = tmp_path / "TF_PSNL_INC_TAX_SECTOR.txt"
    path.write_bytes(b"\xef\xbb\xbf" + _income_txt().encode("utf-8"))
    result = runner.invoke(main, ["import", "indicators", str(path), "--lookup",
                                  str(_lookup_xlsx(tmp_path))])
    assert result.exit_code == 0, result.output
    assert "median_income 2022 is unknown for 1 neighbourhood(s) (4402102)" in result.output
    assert "confidential" in result.output and "skipped 1 rows of unknown sectors" \
        in result.output
    _check_income(store.indicator_frame(ghent))

    body = client.get("/api/neighbourhoods/4402102/indicators").get_json()
    (v,) = body["indicators"]["median_income"]["values"]
    assert v["value"] is None and "confidential" in v["note"] and "44021B01-" in v["note"]
    (ok,) = client.get("/api/neighbourhoods/4402101/indicators").get_json()[
        "indicators"]["median_income"]["values"]
    assert ok["note"] is None and ok["value"] == pytest.approx(
        _expected_income()["4402101"]["median_income"])
    feats = client.get("/api/neighbourhoods?indicator=median_income").get_json()["features"]
    notes = {f["properties"]["code"]: f["properties"]["note"] for f in feats}
    assert notes["4402101"] is None and "confidential" in notes["4402102"]
    one = client.get("/api/neighbourhoods/4402102?indicator=median_income").get_json()
    assert "confidential" in one["properties"]["note"]

    page = client.get("/neighbourhoods/4402102").get_data(as_text=True)
    assert "Unknown: confidential in the source for sector(s) 44021B01-" in page


# ---------------------------------------------------------------- Belgian numbers
def test_thousands_dot_and_decimal_comma_in_one_column_read_one_way(tmp_path):
    path = tmp_path / "inkomen.csv"
    path.write_text("wijk;jaar;median_income;population\n4402101;2022;23.100;1.523\n"
                    "4402102;2022;21.500,5;980\n4402103;2022;19.999;2.045\n")
    got = read_indicator_table(path).set_index(["code", "indicator"])["value"]
    assert got[("4402101", "median_income")] == 23100
    assert got[("4402102", "median_income")] == 21500.5
    assert got[("4402103", "median_income")] == 19999
    # population has only ambiguous values: the file's other column says "decimal comma"
    assert got[("4402101", "population")] == 1523 and got[("4402103", "population")] == 2045


@pytest.mark.parametrize("values, reason", [
    # 21.500,5 only reads with a decimal comma, 19,800.25 only with a decimal point
    (("21.500,5", "19,800.25", "20000"),
     ["1.234,5 in row 2", "1,234.5 in row 3", "mixes decimal commas"]),
    # nothing in the file says whether 1.523 is 1.523 or 1523
    (("1.523", "980", "2.045"), ["rows 2, 4", "23.1 or 23100"]),
])
def test_a_column_that_cannot_be_read_one_way_is_refused_naming_rows(tmp_path, values,
                                                                      reason):
    path = tmp_path / "cijfers.csv"
    path.write_text("wijk;jaar;population\n" + "".join(
        f"440210{k + 1};2022;{v}\n" for k, v in enumerate(values)))
    with pytest.raises(ImportFailed) as exc:
        read_indicator_table(path)
    (p,) = exc.value.problems
    assert p.field == "population" and all(r in p.reason for r in reason), p.reason


# ---------------------------------------------------------------- CSVs saved from Excel
@pytest.mark.parametrize("encoding, said", [("cp1252", "Windows-1252"),
                                            ("utf-16", "UTF-16")])
def test_excel_csv_in_cp1252_or_utf16_is_read_and_the_encoding_reported(tmp_path, encoding,
                                                                         said):
    text = ("Wijk;Jaar;population;median_income;financiële_steun_share\r\n"
            "4402101;2022;1.523;23.100,50;0,12\r\n4402102;2022;980;19.999,00;0,08\r\n")
    path = tmp_path / "cijfers.csv"
    path.write_bytes(text.encode(encoding))
    result = read_indicators(path)
    got = result.frame.set_index(["code", "indicator"])["value"]
    assert got[("4402101", "median_income")] == 23100.5 and got[("4402101", "population")] \
        == 1523 and got[("4402102", "financiële_steun_share")] == 0.08
    assert any(said in m for m in result.messages)


# ---------------------------------------------------------------- the published lookups
def test_published_sector_lookup_is_usable_as_is():
    path = shared_file("statsec2024_ggw72024.xlsx")
    lookup = read_lookup(path)
    wijken = set(gpd.read_file(shared_file("flanders_wijken_2024.gpkg"))["code"])
    rows = list(openpyxl.load_workbook(path, read_only=True).worksheets[0]
                .iter_rows(values_only=True))[1:]
    by = dict(zip(lookup["sector"], lookup["code"]))
    assert by["11001A00-"] == "1100104" and by["31033A011"] == "31033DONB"  # a real wijk
    # no pseudo-wijk is left: every "...ONB" code kept is a wijk with an outline
    assert {c for c in by.values() if "ONB" in c} <= wijken
    skipped = len(rows) - len(lookup)
    assert skipped > 300 and any(f"skipped {skipped} rows of pseudo-wijken" in m
                                 for m in lookup.attrs["messages"])


def test_published_municipality_lookup_is_usable_as_is():
    path = shared_file("ggw72024_gemeente2024.xlsx")
    lookup = read_municipality_lookup(path)
    wijken = set(gpd.read_file(shared_file("flanders_wijken_2024.gpkg"))["code"])
    by = dict(zip(lookup["code"], lookup["municipality_code"]))
    assert by["1100101"] == "11001" and all(len(v) == 5 for v in by.values())
    assert {c for c in by if "ONB" in c or "ZZZZ" in c} <= wijken
    assert wijken <= set(by)  # every real wijk has its municipality


# ---------------------------------------------------------------- places from Excel
PLACES_ROWS = [
    ("place_name", "kind", "street", "postcode", "city", "lon", "lat", "place_url",
     "activity_name", "models", "cost", "url"),
    ("Buurtcentrum Brugse Poort", "community_house", "Emilius Seghersplein 1", "9000", "Gent",
     "3.7065", "51.0561", "www.brugsepoort.be", "Café Combiné", "peer;location", "1.50",
     "www.gent.be/café"),
    ("Dienstencentrum Sint-Amandsberg", "local_service_centre", "Jos Vandeveldestraat 20",
     "9040", "Sint-Amandsberg", "3.7471", "51.0612", "https://www.ocmw.gent", "Taalcafé",
     "competence", "gratis", ""),
]


def _stored_places(db):
    return {r[0]: r[1:] for r in db.execute(
        "SELECT p.name, p.url, p.lon, p.lat, p.postcode, a.name, a.url, a.cost_amount "
        "FROM places p JOIN activities a ON a.place_id = p.id ORDER BY p.name")}


def _check_places(db):
    got = _stored_places(db)
    assert got["Buurtcentrum Brugse Poort"] == (
        "https://www.brugsepoort.be", 3.7065, 51.0561, "9000", "Café Combiné",
        "https://www.gent.be/café", 1.5)
    assert got["Dienstencentrum Sint-Amandsberg"] == (
        "https://www.ocmw.gent", 3.7471, 51.0612, "9040", "Taalcafé", None, 0)


@pytest.mark.parametrize("encoding, delimiter, said", [
    ("cp1252", ";", "Windows-1252"),  # Excel: "CSV (gescheiden door lijstscheidingsteken)"
    ("utf-16", "\t", "UTF-16"),  # Excel: "Unicode-tekst"
])
def test_places_csv_saved_from_excel(runner, db, tmp_path, encoding, delimiter, said):
    path = tmp_path / "aanbod.csv" if delimiter == ";" else tmp_path / "aanbod.txt"
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator="\r\n").writerows(PLACES_ROWS)
    path.write_bytes(buf.getvalue().encode(encoding))  # Excel quotes "peer;location"
    result = runner.invoke(main, ["import", "places", str(path)])
    assert result.exit_code == 0, result.output
    assert f"read as {said}" in result.output
    assert "2 web address(es) written without http(s):// stored as" in result.output
    _check_places(db)


def test_places_xlsx_with_typed_numbers(runner, db, tmp_path):
    rows = [PLACES_ROWS[0]] + [tuple(float(c) if k in (5, 6) else int(c) if k == 3 else c
                                     for k, c in enumerate(r)) for r in PLACES_ROWS[1:]]
    path = _xlsx(tmp_path / "aanbod.xlsx", rows)
    result = runner.invoke(main, ["import", "places", str(path)])
    assert result.exit_code == 0, result.output
    _check_places(db)


def test_a_damaged_xlsx_is_refused_naming_the_file(runner, db, tmp_path):
    path = tmp_path / "aanbod.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a workbook")
    result = runner.invoke(main, ["import", "places", str(path)])
    assert result.exit_code == 1 and f"{path}: " in result.output
    assert "cannot be opened" in result.output
    assert store.counts(db)["places"] == 0


def test_admin_uploads_an_excel_sheet_of_places(client, db, tmp_path):
    from buurtkaart import accounts

    accounts.create_user(db, "admin@stad.be", "een lang wachtwoord 123", role="admin")
    with client.session_transaction() as s:
        s["csrf"] = "test-token"
    client.post("/login", data={"email": "admin@stad.be", "password": "een lang wachtwoord 123",
                                "csrf_token": "test-token"})
    with client.session_transaction() as s:  # the token is renewed at login
        token = s.setdefault("csrf", "test-token")
    path = _xlsx(tmp_path / "aanbod.xlsx", PLACES_ROWS)
    resp = client.post("/admin/import", data={
        "kind": "places", "csrf_token": token,
        "file": (io.BytesIO(path.read_bytes()), "aanbod.xlsx")},
        content_type="multipart/form-data")
    assert resp.status_code == 200, resp.get_data(as_text=True)
    _check_places(db)
