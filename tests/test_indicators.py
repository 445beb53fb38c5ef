"""Need index, typology and indicator import: constructed tables with known answers,
hypothesis properties, a realistic multi-year table and one test per kind of bad input."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from buurtkaart import store
from buurtkaart.cli import main
from buurtkaart.errors import ImportFailed, InvalidParameter
from buurtkaart.indicators import aggregate_sectors, need_index, parse_weights, typology
from buurtkaart.importers.indicators import read_indicator_table


def _long(rows):
    return pd.DataFrame(rows, columns=["code", "year", "indicator", "value"])


# ---------------------------------------------------------------- need index
def test_need_index_by_hand():
    values = _long([("a", 2024, "median_income", 10), ("b", 2024, "median_income", 20),
                    ("c", 2024, "median_income", 30), ("a", 2024, "renter_share", 0.6),
                    ("b", 2024, "renter_share", 0.4), ("c", 2024, "renter_share", 0.2),
                    ("a", 2020, "renter_share", 0.1)])  # older years are not used
    idx = need_index(values, weights={"median_income": 1, "renter_share": 1}).set_index("code")
    z = 10 / math.sqrt(200 / 3)  # population standard deviation of 10, 20, 30
    assert idx["need_index"].tolist() == pytest.approx([z, 0, -z])
    assert idx["contribution_median_income"].tolist() == pytest.approx([z / 2, 0, -z / 2])
    assert idx.attrs["years"] == {"median_income": 2024, "renter_share": 2024}


def test_missing_indicator_makes_the_index_unknown_not_zero():
    values = _long([("a", 2024, "median_income", 10), ("b", 2024, "median_income", 20),
                    ("c", 2024, "median_income", 30), ("a", 2024, "renter_share", 0.5),
                    ("b", 2024, "renter_share", 0.4)])
    idx = need_index(values, weights={"median_income": 1, "renter_share": 1}).set_index("code")
    assert math.isnan(idx.loc["c", "need_index"]) and idx.loc["c", "missing"] == ["renter_share"]
    assert not math.isnan(idx.loc["a", "need_index"])
    # an indicator nobody has is left out, and said so
    idx = need_index(values, weights={"median_income": 1, "social_housing_share": 2})
    assert idx.attrs["dropped"] == ["social_housing_share"]


@pytest.mark.parametrize("text,fragment", [
    ("colour:1", "no need direction"), ("median_income:x", "not a number"),
    ("median_income:-1", "zero or positive"), ("median_income:0", "at least one"),
    (":2", "empty"), ("population:1", "no need direction"),
])
def test_bad_weights_are_refused(text, fragment):
    with pytest.raises(InvalidParameter) as exc:
        parse_weights(text)
    assert exc.value.name == "weights" and fragment in str(exc.value)


_values = st.lists(st.floats(min_value=1, max_value=1e5, allow_nan=False), min_size=3,
                   max_size=12)


def _frame(incomes, renters):
    rows = []
    for i, (inc, ren) in enumerate(zip(incomes, renters)):
        rows += [(f"n{i}", 2024, "median_income", inc), (f"n{i}", 2024, "renter_share", ren)]
    return _long(rows)


@settings(max_examples=60, deadline=None)
@given(_values, st.data())
def test_index_is_invariant_to_units(incomes, data):
    renters = data.draw(st.lists(st.floats(0, 1), min_size=len(incomes), max_size=len(incomes)))
    scale = data.draw(st.floats(0.001, 1000))
    offset = data.draw(st.floats(-1e5, 1e5))
    w = {"median_income": 2, "renter_share": 1}
    a = need_index(_frame(incomes, renters), weights=w)["need_index"].to_numpy()
    b = need_index(_frame([x * scale + offset for x in incomes], renters),
                   weights=w)["need_index"].to_numpy()
    assert np.allclose(a, b, atol=1e-6, equal_nan=True)


@settings(max_examples=60, deadline=None)
@given(_values, st.data())
def test_index_is_monotone_in_each_indicators_direction(incomes, data):
    renters = data.draw(st.lists(st.floats(0, 1), min_size=len(incomes), max_size=len(incomes)))
    i = data.draw(st.integers(0, len(incomes) - 1))
    step = data.draw(st.floats(0.001, 0.5))
    w = {"median_income": 1, "renter_share": 1}
    code = f"n{i}"

    def index_of(incs, rens):
        return need_index(_frame(incs, rens), weights=w).set_index("code").loc[code, "need_index"]

    before = index_of(incomes, renters)
    more_renters = list(renters)
    more_renters[i] += step  # renting: +1 direction, so need may not fall
    assert index_of(incomes, more_renters) >= before - 1e-9
    richer = list(incomes)
    richer[i] *= 1 + step  # income: -1 direction, so need may not rise
    assert index_of(richer, renters) <= before + 1e-9


# ---------------------------------------------------------------- typology
def _line_of_squares(codes):
    return gpd.GeoDataFrame({"code": codes},
                            geometry=[shapely.box(i, 0, i + 1, 1) for i in range(len(codes))],
                            crs=4326)


def _typology_case():
    """Nine neighbourhoods in a row, A..I, built so each class appears for a known reason."""
    vulnerable = {"A": 14000, "B": 15000, "C": 16000, "H": 17000}
    secure = {"D": 30000, "E": 31000, "F": 32000, "I": 33000}
    rent_change = {c: 0.02 for c in "ABCDEFGHI"} | {"A": 0.20, "E": 0.20}
    rows = []
    for code, income in (vulnerable | secure).items():
        v = code in vulnerable
        growth = 0.10 if code == "A" else 0.02
        edu = 0.10 if code == "A" else 0.01
        for year, k in ((2019, 0), (2023, 1)):
            rows += [(code, year, "median_income", income * (1 + growth) ** k),
                     (code, year, "renter_share", (0.70 if v else 0.30) + ord(code) / 1000),
                     (code, year, "low_education_share", (0.40 if v else 0.10) + ord(code) / 1e4),
                     (code, year, "social_assistance_share", (0.10 if v else 0.02) + ord(code) / 1e5),
                     (code, year, "high_education_share", 0.15 + edu * k + ord(code) / 1e6)]
    for code in "ABCDEFGHI":
        rows += [(code, 2019, "rent_median", 800), (code, 2023, "rent_median",
                                                    800 * (1 + rent_change[code]))]
    return _long(rows), _line_of_squares(list("ABCDEFGHI"))


def test_typology_classes_known_by_design():
    values, hoods = _typology_case()
    t = typology(values, hoods).set_index("code")
    assert t["typology"].to_dict() == {
        "A": "gentrifying",     # was vulnerable; income +10 %, education +10 points; rent +20 %
        "B": "at_risk",         # vulnerable, own market cool, but neighbour A is hot
        "C": "vulnerable",      # vulnerable, itself and neighbours cool
        "D": "not_vulnerable",  # secure; a hot neighbour does not matter
        "E": "hot_market",      # secure, rent +20 %
        "F": "not_vulnerable",
        "G": "unknown",         # only rents known: vulnerability cannot be decided
        "H": "vulnerable",
        "I": "not_vulnerable",
    }
    assert any("neighbours' mean median rent change +11.0%" in r for r in t.loc["B", "reasons"])
    assert any("no data" in r for r in t.loc["G", "reasons"])
    assert any("median taxable income 15 400 is below the regional median" in r
               for r in t.loc["A", "reasons"])


def test_typology_without_market_data_never_claims_a_class_it_cannot_know():
    values, hoods = _typology_case()
    values = values[values["indicator"] != "rent_median"]
    t = typology(values, hoods).set_index("code")
    assert set(t.loc[["A", "B", "C", "H"], "typology"]) == {"unknown"}  # vulnerable, market?
    assert t.loc["G", "typology"] == "unknown"


# ---------------------------------------------------------------- sectors
def test_sector_aggregation_weights_rates_by_population():
    values = _long([("S1", 2024, "population", 100), ("S2", 2024, "population", 300),
                    ("S1", 2024, "renter_share", 0.5), ("S2", 2024, "renter_share", 0.1),
                    ("S3", 2024, "population", 50), ("S3", 2024, "social_assistance_share", 0.2)])
    values["source"] = "test"
    lookup = pd.DataFrame({"sector": ["S1", "S2", "S3"], "code": ["W1", "W1", "W2"]})
    out = aggregate_sectors(values, lookup).set_index(["code", "indicator"])["value"]
    assert out[("W1", "population")] == 400
    assert out[("W1", "renter_share")] == pytest.approx((100 * 0.5 + 300 * 0.1) / 400)
    assert out[("W2", "social_assistance_share")] == pytest.approx(0.2)


def test_sector_aggregation_refuses_what_it_cannot_weight():
    values = _long([("S1", 2024, "renter_share", 0.5)])
    values["source"] = "t"
    with pytest.raises(ImportFailed, match="no population to weight by"):
        aggregate_sectors(values, pd.DataFrame({"sector": ["S1"], "code": ["W1"]}))
    with pytest.raises(ImportFailed, match="'S1' is not in the lookup"):
        aggregate_sectors(values, pd.DataFrame({"sector": ["S9"], "code": ["W1"]}))


# ---------------------------------------------------------------- import
GHENT = [f"44021{i:02d}" for i in range(1, 26)]
WIDE_INDICATORS = ["population", "age_0_17", "age_65_plus", "median_income",
                   "social_assistance_share", "increased_reimbursement_share", "renter_share",
                   "social_housing_share", "low_education_share", "rent_median"]


@pytest.fixture
def ghent(db):
    hoods = gpd.GeoDataFrame({"code": GHENT, "name": [f"Wijk {c}" for c in GHENT],
                              "municipality_code": "44021"},
                             geometry=[shapely.box(3.6 + i * 0.01, 51.0, 3.61 + i * 0.01, 51.01)
                                       for i in range(25)], crs=4326)
    store.save_neighbourhoods(db, hoods, source="test")
    return db


def _wide_text(rng):
    lines = ["wijk;jaar;" + ";".join(WIDE_INDICATORS)]
    expected = {}
    for code in GHENT:
        for year in range(2018, 2024):
            vals = []
            for ind in WIDE_INDICATORS:
                v = round(float(rng.uniform(0, 1)) if ind.endswith("share") else
                          float(rng.uniform(100, 30000)), 3)
                expected[(code, year, ind)] = v
                vals.append(f"{v:.3f}".replace(".", ","))
            lines.append(f"{code};{year};" + ";".join(vals))
    return "\n".join(lines) + "\n", expected


def test_realistic_multi_year_wide_table_imports(ghent, runner, tmp_path, client):
    text, expected = _wide_text(np.random.default_rng(5))
    path = tmp_path / "gent_2018_2023.csv"
    path.write_text(text, encoding="utf-8-sig")
    result = runner.invoke(main, ["import", "indicators", str(path)])
    assert result.exit_code == 0, result.output
    frame = store.indicator_frame(ghent)
    assert len(frame) == 25 * 6 * 10
    got = {(r.code, r.year, r.indicator): r.value for r in frame.itertuples()}
    assert got == pytest.approx(expected)
    series = client.get(f"/api/neighbourhoods/{GHENT[3]}/indicators").get_json()
    assert [v["year"] for v in series["indicators"]["rent_median"]["values"]] == list(
        range(2018, 2024))
    assert series["indicators"]["rent_median"]["values"][0]["source"] == "gent_2018_2023.csv"
    idx = client.get("/api/need-index?municipality=44021").get_json()
    assert len(idx["features"]) == 25
    assert all(isinstance(f["properties"]["need_index"], float) for f in idx["features"])
    page = client.get(f"/neighbourhoods/{GHENT[0]}").get_data(as_text=True)
    assert "<svg class=\"spark\"" in page and "Need index" in page


def test_long_table_and_sector_level_with_lookup(ghent, runner, tmp_path):
    path = tmp_path / "sectors.csv"
    path.write_text("code,year,indicator,value\n"
                    "44021A00-,2023,population,100\n44021A01-,2023,population,300\n"
                    "44021A00-,2023,renter_share,0.5\n44021A01-,2023,renter_share,0.1\n")
    lookup = tmp_path / "lookup.csv"
    lookup.write_text("sector,code\n44021A00-,4402101\n44021A01-,4402101\n")
    result = runner.invoke(main, ["import", "indicators", str(path), "--level", "sector",
                                  "--lookup", str(lookup)])
    assert result.exit_code == 0, result.output
    got = store.indicator_frame(ghent, code="4402101").set_index("indicator")["value"]
    assert got["population"] == 400 and got["renter_share"] == pytest.approx(0.2)


BAD_TABLES = {
    "no year column": ("code;population\n4402101;5\n", "row 1", "year"),
    "year not a number": ("code;year;population\n4402101;2O23;5\n", "row 2", "year"),
    "year out of range": ("code;year;population\n4402101;1823;5\n", "row 2", "year"),
    "value not a number": ("code;year;population\n4402101;2023;veel\n", "row 2", "population"),
    "empty code": ("code;year;population\n;2023;5\n", "row 2", "code"),
    "duplicate": ("code,year,indicator,value\n4402101,2023,population,5\n"
                  "4402101,2023,population,6\n", "row 3", "value"),
    "unknown indicator column": ("code;year;kleur\n4402101;2023;5\n", "row 1", "kleur"),
    "ragged row": ("code;year;population\n4402101;2023;5;6\n", "row 2", None),
}


@pytest.mark.parametrize("case", list(BAD_TABLES))
def test_bad_indicator_tables_name_row_and_field(ghent, runner, tmp_path, case):
    store.save_indicators(ghent, pd.DataFrame({"code": ["4402101"], "year": [2020],
                                               "indicator": ["population"], "value": [1],
                                               "source": ["seed"]}))
    text, where, field = BAD_TABLES[case]
    path = tmp_path / "cijfers.csv"
    path.write_text(text)
    result = runner.invoke(main, ["import", "indicators", str(path)])
    assert result.exit_code == 1, result.output
    assert f"cijfers.csv, {where}" in result.stderr
    if field:
        assert f"field '{field}'" in result.stderr
    assert len(store.indicator_frame(ghent)) == 1  # the seed value, nothing else


def test_codes_that_are_not_neighbourhoods_are_refused(ghent, runner, tmp_path):
    path = tmp_path / "cijfers.csv"
    path.write_text("code,year,population\n4402101,2023,5\n9999999,2023,7\n")
    result = runner.invoke(main, ["import", "indicators", str(path)])
    assert result.exit_code == 1 and "9999999" in result.stderr
    assert store.indicator_frame(ghent).empty


def test_sector_level_needs_a_lookup(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("code,year,population\n44021A00-,2023,5\n")
    with pytest.raises(ImportFailed, match="--lookup"):
        read_indicator_table(path, level="sector")


def test_typology_api_and_map_layer(db, client):
    values, hoods = _typology_case()
    hoods["name"] = hoods["code"]
    hoods["municipality_code"] = "44021"
    hoods["geometry"] = [shapely.box(3.7 + i * 0.01, 51.0, 3.71 + i * 0.01, 51.01)
                         for i in range(9)]
    store.save_neighbourhoods(db, hoods.set_crs(4326, allow_override=True), source="t")
    values["source"] = "constructed"
    store.save_indicators(db, values)
    fc = client.get("/api/typology").get_json()
    classes = {f["properties"]["code"]: f["properties"]["typology"] for f in fc["features"]}
    assert classes["A"] == "gentrifying" and classes["G"] == "unknown"
    assert fc["base_year"] == 2019 and fc["end_year"] == 2023
    assert all(f["properties"]["reasons"] for f in fc["features"])
    html = client.get("/kaart/frame?indicator=typology").get_data(as_text=True)
    assert "gentrifying" in html and "at risk" in html
    resp = client.get("/api/typology?base_year=2023&end_year=2019")
    assert resp.status_code == 400 and resp.get_json()["parameter"] == "end_year"
