"""Indicator tables from CSV: realistic multi-year files in wide and long form, sector files
with a lookup, and one test per kind of bad input naming file, row and field."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from buurtkaart import store
from buurtkaart.cli import main
from buurtkaart.errors import ImportFailed
from buurtkaart.importers.indicators import read_indicator_table, read_lookup

GHENT = [f"44021{i:02d}" for i in range(1, 26)]
YEARS = range(2018, 2024)
WIDE_INDICATORS = ["population", "age_0_17", "age_65_plus", "median_income",
                   "social_assistance_share", "increased_reimbursement_share", "renter_share",
                   "social_housing_share", "low_education_share", "rent_median"]


def _random_table(rng):
    """(code, year, indicator) -> value with plausible magnitudes, 3 decimals."""
    out = {}
    for code in GHENT:
        for year in YEARS:
            for ind in WIDE_INDICATORS:
                if ind.endswith("share"):
                    v = rng.uniform(0, 1)
                elif ind == "median_income":
                    v = rng.uniform(15000, 40000)
                else:
                    v = rng.uniform(100, 12000)
                out[(code, year, ind)] = round(float(v), 3)
    return out


def _wide_semicolon(expected) -> str:
    lines = ["Wijk;Jaar;" + ";".join(WIDE_INDICATORS)]
    for code in GHENT:
        for year in YEARS:
            # decimal commas, and a dot for thousands as Excel writes them in Flanders
            cells = [f"{expected[(code, year, ind)]:,.3f}".replace(",", "_").replace(
                ".", ",").replace("_", ".") for ind in WIDE_INDICATORS]
            lines.append(f"{code};{year};" + ";".join(cells))
    return "\n".join(lines) + "\n"


def test_realistic_wide_semicolon_table_with_decimal_commas(tmp_path):
    expected = _random_table(np.random.default_rng(5))
    path = tmp_path / "gent_2018_2023.csv"
    path.write_text(_wide_semicolon(expected), encoding="utf-8-sig")  # Excel writes a BOM
    frame = read_indicator_table(path)
    assert list(frame.columns) == ["code", "year", "indicator", "value", "source", "note"]
    assert len(frame) == 25 * 6 * 10
    got = {(r.code, r.year, r.indicator): r.value for r in frame.itertuples()}
    assert got == pytest.approx(expected)
    assert set(frame["source"]) == {"gent_2018_2023.csv"}
    assert frame["code"].map(type).eq(str).all() and frame["year"].dtype.kind == "i"


def test_realistic_long_comma_table(tmp_path):
    expected = _random_table(np.random.default_rng(6))
    lines = ["code,jaar,indicator,waarde"] + [f"{c},{y},{i},{v}" for (c, y, i), v in
                                              expected.items()]
    path = tmp_path / "long.csv"
    path.write_text("\n".join(lines) + "\n")
    frame = read_indicator_table(path, source="Stad Gent, Gent in cijfers")
    assert len(frame) == len(expected) == 1500
    assert {(r.code, r.year, r.indicator): r.value for r in frame.itertuples()} == \
        pytest.approx(expected)
    assert set(frame["source"]) == {"Stad Gent, Gent in cijfers"}


def test_codes_stay_text_and_missing_values_stay_missing(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("code;year;population;renter_share;unemployment_rate\n"
                    "0123456;2023;1.234,0;0,5;NA\n44021A00-;2023;;-;12,5\n"
                    "4402101;2023;7;0,25;1,5\n")
    frame = read_indicator_table(path).set_index(["code", "indicator"])["value"]
    assert frame[("0123456", "population")] == 1234.0  # thousands dot in a ; file
    assert frame[("4402101", "renter_share")] == 0.25
    assert frame[("4402101", "unemployment_rate")] == 1.5
    assert frame[("0123456", "renter_share")] == 0.5
    assert frame[("44021A00-", "unemployment_rate")] == 12.5  # named after a rule: accepted
    assert math.isnan(frame[("0123456", "unemployment_rate")])
    assert math.isnan(frame[("44021A00-", "population")])
    assert math.isnan(frame[("44021A00-", "renter_share")])


def test_sector_file_with_lookup_is_aggregated(tmp_path):
    path = tmp_path / "sectors.csv"
    path.write_text("sector;jaar;population;renter_share;age_0_17;median_income\n"
                    "44021A00-;2023;100;0,5;20;20000\n"
                    "44021A01-;2023;300;0,1;70;30000\n"
                    "44021B00-;2023;50;0,2;5;25000\n")
    lookup = tmp_path / "lookup.csv"
    lookup.write_text("sector,code\n44021A00-,4402101\n44021A01-,4402101\n44021B00-,4402102\n"
                      "44021C00-,4402103\n")
    frame = read_indicator_table(path, level="sector", lookup_path=lookup)
    got = frame.set_index(["code", "indicator"])["value"]
    assert got[("4402101", "population")] == 400 and got[("4402101", "age_0_17")] == 90
    assert got[("4402101", "renter_share")] == pytest.approx((100 * 0.5 + 300 * 0.1) / 400)
    assert got[("4402101", "median_income")] == pytest.approx(27500)
    assert got[("4402102", "renter_share")] == pytest.approx(0.2)
    assert len(frame) == 8 and set(frame["source"]) == {"sectors.csv"}


def test_sector_file_problems_name_file_and_row(tmp_path):
    path = tmp_path / "sectors.csv"
    path.write_text("code,year,population,renter_share\n44021A00-,2023,,0.5\n"
                    "44021Z99-,2023,5,0.1\n")
    lookup = tmp_path / "lookup.csv"
    lookup.write_text("sector,code\n44021A00-,4402101\n")
    with pytest.raises(ImportFailed) as exc:
        read_indicator_table(path, level="sector", lookup_path=lookup)
    assert [str(p) for p in exc.value.problems] == [
        f"{path}, row 3, field 'code': sector '44021Z99-' is not in the lookup table"]
    lookup.write_text("sector,code\n44021A00-,4402101\n44021Z99-,4402101\n")
    with pytest.raises(ImportFailed) as exc:
        read_indicator_table(path, level="sector", lookup_path=lookup)
    (p,) = exc.value.problems
    assert (p.where, p.field) == ("row 2", "population") and "44021A00-" in p.reason


def test_lookup_problems(tmp_path):
    lookup = tmp_path / "lookup.csv"
    lookup.write_text("sector,code\n44021A00-,4402101\n44021A00-,4402102\n,4402103\n")
    with pytest.raises(ImportFailed) as exc:
        read_lookup(lookup)
    assert [(p.where, p.field) for p in exc.value.problems] == [("row 3", "sector"),
                                                                 ("row 4", "sector")]
    assert "mapped to 4402102 here and to 4402101 in row 2" in str(exc.value)
    lookup.write_text("sectie,wijk\nx,y\n")
    with pytest.raises(ImportFailed, match="required column sector is missing"):
        read_lookup(lookup)


def test_sector_level_needs_a_lookup_and_levels_are_checked(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("code,year,population\n44021A00-,2023,5\n")
    with pytest.raises(ImportFailed, match="--lookup"):
        read_indicator_table(path, level="sector")
    with pytest.raises(ImportFailed) as exc:
        read_indicator_table(path, level="statsec")
    assert "unknown level 'statsec'" in str(exc.value) and str(path) in str(exc.value)


# (file text, row, field, fragment of the reason)
BAD_TABLES = {
    "missing code column": ("jaar;population\n2023;5\n", "row 1", "code",
                            "required column code is missing"),
    "missing year column": ("code;population\n4402101;5\n", "row 1", "year",
                            "required column year is missing"),
    "long without value column": ("code,year,indicator\n4402101,2023,population\n", "row 1",
                                  "value", "required column value is missing"),
    "year not an integer": ("code;year;population\n4402101;2O23;5\n", "row 2", "year",
                            "whole number 1900-2100, got '2O23'"),
    "year a fraction": ("code;year;population\n4402101;2023.5;5\n", "row 2", "year",
                        "whole number"),
    "year out of range": ("code;year;population\n4402101;1823;5\n", "row 2", "year",
                          "whole number 1900-2100, got '1823'"),
    "value not a number": ("code;year;population\n4402101;2023;veel\n", "row 2", "population",
                           "not a number: 'veel'"),
    "decimal comma in a comma file": ('code,year,renter_share\n4402101,2023,"0,5"\n', "row 2",
                                      "renter_share", "decimal comma"),
    "infinite value": ("code;year;population\n4402101;2023;inf\n", "row 2", "population",
                       "not a number"),
    "share above one": ("code;year;renter_share\n4402101;2023;45\n", "row 2", "renter_share",
                        "not a share between 0 and 1"),
    "negative count": ("code;year;population\n4402101;2023;-5\n", "row 2", "population",
                       "negative"),
    "empty code": ("code;year;population\n4402101;2023;4\n;2023;5\n", "row 3", "code",
                   "code is empty"),
    "duplicate in long table": ("code,year,indicator,value\n4402101,2023,population,5\n"
                                "4402101,2023,population,6\n", "row 3", "value",
                                "already given in row 2"),
    "duplicate in wide table": ("code;year;population\n4402101;2023;5\n4402102;2023;5\n"
                                "4402101;2023;6\n", "row 4", "population",
                                "already given in row 2"),
    "unknown indicator column": ("code;year;kleur\n4402101;2023;5\n", "row 1", "kleur",
                                 "unknown indicator 'kleur'"),
    "unknown indicator in long table": ("code,year,indicator,value\n4402101,2023,kleur,5\n",
                                        "row 2", "indicator", "unknown indicator 'kleur'"),
    "unexpected column in long table": ("code,year,indicator,value,note\n"
                                        "4402101,2023,population,5,x\n", "row 1", "note",
                                        "unexpected column"),
    "ragged row": ("code;year;population\n4402101;2023;5;6\n", "row 2", None,
                   "has 4 values but the header has 3 columns"),
    "blank line then bad row": ("code;year;population\n4402101;2023;5\n\n4402102;2023;x\n",
                                "row 4", "population", "not a number"),
}


@pytest.mark.parametrize("case", list(BAD_TABLES))
def test_bad_input_names_file_row_and_field(tmp_path, case):
    text, where, field, fragment = BAD_TABLES[case]
    path = tmp_path / "cijfers.csv"
    path.write_text(text)
    with pytest.raises(ImportFailed) as exc:
        read_indicator_table(path)
    problems = exc.value.problems
    assert any(p.file == str(path) and p.where == where and p.field == field
               and fragment in p.reason for p in problems), [str(p) for p in problems]
    assert f"cijfers.csv, {where}" in str(exc.value)


def test_all_problems_are_collected_before_refusing(tmp_path):
    path = tmp_path / "cijfers.csv"
    path.write_text("code;year;population;renter_share\n"
                    "4402101;2023;5;0,3\n;2023;5;0,3\n4402103;20x3;5;0,3\n4402104;2023;5;x\n")
    with pytest.raises(ImportFailed) as exc:
        read_indicator_table(path)
    assert [(p.where, p.field) for p in exc.value.problems] == [
        ("row 3", "code"), ("row 4", "year"), ("row 5", "renter_share")]


def test_empty_and_non_utf8_files(tmp_path):
    path = tmp_path / "leeg.csv"
    path.write_text("  \n")
    with pytest.raises(ImportFailed, match="is empty"):
        read_indicator_table(path)
    # not UTF-8: read as Windows-1252 (said in the messages); the bad value is named
    path.write_bytes("code;year;population\n4402101;2023;5\n4402102;2023;\xe9\n".encode("latin-1"))
    with pytest.raises(ImportFailed) as exc:
        read_indicator_table(path)
    assert exc.value.problems[0].where == "row 3" and "not a number: 'é'" in str(exc.value)


# ---------------------------------------------------------------- wired to store, CLI, API
@pytest.fixture
def ghent(db):
    hoods = gpd.GeoDataFrame({"code": GHENT, "name": [f"Wijk {c}" for c in GHENT],
                              "municipality_code": "44021"},
                             geometry=[shapely.box(3.6 + i * 0.01, 51.0, 3.61 + i * 0.01, 51.01)
                                       for i in range(25)], crs=4326)
    store.save_neighbourhoods(db, hoods, source="test")
    return db


def test_cli_import_then_api(ghent, runner, tmp_path, client):
    expected = _random_table(np.random.default_rng(7))
    path = tmp_path / "gent_2018_2023.csv"
    path.write_text(_wide_semicolon(expected), encoding="utf-8")
    result = runner.invoke(main, ["import", "indicators", str(path)])
    assert result.exit_code == 0, result.output
    frame = store.indicator_frame(ghent)
    assert len(frame) == 1500
    assert {(r.code, r.year, r.indicator): r.value for r in frame.itertuples()} == \
        pytest.approx(expected)
    series = client.get(f"/api/neighbourhoods/{GHENT[3]}/indicators").get_json()
    assert [v["year"] for v in series["indicators"]["rent_median"]["values"]] == list(YEARS)
    idx = client.get("/api/need-index?municipality=44021").get_json()
    assert len(idx["features"]) == 25
    assert all(isinstance(f["properties"]["need_index"], float) for f in idx["features"])

    # rent has no registered need direction: the caller gives one, for one year
    url = "/api/need-index?weights=rent_median:1&directions=rent_median:-1&year=2020"
    idx = client.get(url).get_json()
    rents = np.array([expected[(c, 2020, "rent_median")] for c in GHENT])
    by_hand = dict(zip(GHENT, -(rents - rents.mean()) / rents.std()))
    got = {f["properties"]["code"]: f["properties"] for f in idx["features"]}
    assert {c: p["need_index"] for c, p in got.items()} == pytest.approx(by_hand)
    assert all(p["years"] == {"rent_median": 2020} for p in got.values())
    assert idx["directions"] == {"rent_median": -1} and idx["method"] == "z"
    ranked = client.get(url + "&method=rank").get_json()
    order = sorted(GHENT, key=by_hand.get)
    assert sorted(GHENT, key={f["properties"]["code"]: f["properties"]["need_index"]
                              for f in ranked["features"]}.get) == order
    for bad, param in [("weights=rent_median:1", "weights"),
                       ("weights=rent_median:1&directions=rent_median:2", "directions"),
                       ("method=median", "method"), ("year=last", "year")]:
        resp = client.get("/api/need-index?" + bad)
        assert resp.status_code == 400 and resp.get_json()["parameter"] == param, bad


def test_cli_bad_file_changes_nothing(ghent, runner, tmp_path):
    store.save_indicators(ghent, pd.DataFrame({"code": ["4402101"], "year": [2020],
                                               "indicator": ["population"], "value": [1],
                                               "source": ["seed"]}))
    path = tmp_path / "cijfers.csv"
    path.write_text("code;year;population\n4402101;2023;5\n4402102;2023;veel\n")
    result = runner.invoke(main, ["import", "indicators", str(path)])
    assert result.exit_code == 1
    assert "cijfers.csv, row 3, field 'population': not a number: 'veel'" in result.stderr
    assert len(store.indicator_frame(ghent)) == 1
