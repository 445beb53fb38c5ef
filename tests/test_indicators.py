"""Indicator registry, need index, typology, sector aggregation and trends (pure functions).

Tables are constructed so the answers are known by design or computable by hand; the need
index also has hypothesis properties (units, monotonicity, missing is unknown)."""

from __future__ import annotations

import math
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from buurtkaart.errors import ImportFailed, InvalidParameter
from buurtkaart.indicators import (DEFAULT_NEED_WEIGHTS, INDICATORS, NAMING_RULES,
                                   TYPOLOGY_CLASSES, aggregate_sectors, indicator_info,
                                   indicator_kind, need_index, neighbours, parse_weights,
                                   trend, typology)

DOCS = Path(__file__).resolve().parents[1] / "docs" / "indicators.md"


def _long(rows):
    return pd.DataFrame(rows, columns=["code", "year", "indicator", "value"])


# ---------------------------------------------------------------- registry
def test_registry_has_the_indicators_the_brief_names():
    for key, kind, direction in [
            ("population", "count", 0), ("age_0_17", "count", 0), ("age_65_plus", "count", 0),
            ("median_income", "amount", -1), ("mean_income", "amount", -1),
            ("social_assistance_share", "rate", 1), ("increased_reimbursement_share", "rate", 1),
            ("renter_share", "rate", 1), ("social_housing_share", "rate", 1),
            ("low_education_share", "rate", 1), ("high_education_share", "rate", -1),
            ("house_price_median", "amount", 0), ("rent_median", "amount", 0),
            ("moves_in", "count", 0), ("moves_out", "count", 0)]:
        ind = INDICATORS[key]
        assert (ind.kind, ind.need_direction) == (kind, direction), key
        assert ind.aggregation == ("sum" if kind == "count" else "mean")
        assert ind.label_en and ind.label_nl and ind.unit


@pytest.mark.parametrize("key,kind,aggregation", [
    ("single_parent_share", "rate", "mean"), ("unemployment_rate", "rate", "mean"),
    ("vacancy_pct", "rate", "mean"), ("households_count", "count", "sum"),
    ("count_dwellings", "count", "sum"), ("population_18_64", "count", "sum"),
    ("income_total", "amount", "sum"), ("total_income", "amount", "sum"),
    ("land_price_median", "amount", "mean"), ("household_size_mean", "amount", "mean"),
])
def test_undeclared_keys_are_classified_by_their_name(key, kind, aggregation):
    info = indicator_info(key)
    assert (info.kind, info.aggregation, info.need_direction) == (kind, aggregation, 0)


@pytest.mark.parametrize("key", ["colour", "income", "share", "_share", "sharepoint"])
def test_keys_matching_no_rule_are_not_usable(key):
    assert indicator_info(key) is None and indicator_kind(key) is None


def test_docs_describe_every_indicator_rule_and_class():
    text = DOCS.read_text(encoding="utf-8")
    for key in INDICATORS:
        assert f"`{key}`" in text, key
    for _how, affix, *_ in NAMING_RULES:
        assert f"`{'*' if _how == 'suffix' else ''}{affix}{'*' if _how == 'prefix' else ''}`" \
            in text, affix
    for cls in TYPOLOGY_CLASSES:
        assert f"`{cls}`" in text, cls
    for key in DEFAULT_NEED_WEIGHTS:
        assert re.search(rf"`{key}`\s*\|\s*{DEFAULT_NEED_WEIGHTS[key]:g}\b", text), key


# ---------------------------------------------------------------- need index by hand
def test_need_index_by_hand_on_three_neighbourhoods():
    values = _long([("a", 2024, "median_income", 10), ("b", 2024, "median_income", 20),
                    ("c", 2024, "median_income", 30), ("a", 2024, "renter_share", 0.6),
                    ("b", 2024, "renter_share", 0.2), ("c", 2024, "renter_share", 0.4),
                    ("a", 2020, "renter_share", 0.1), ("b", 2020, "renter_share", 0.9),
                    ("c", 2020, "renter_share", 0.5)])  # older years are not used
    idx = need_index(values, weights={"median_income": 2, "renter_share": 1}).set_index("code")
    # population standard deviation of 10, 20, 30 is sqrt(200/3); of 0.6, 0.2, 0.4 the same / 50
    z = 10 / math.sqrt(200 / 3)
    inc = {"a": -z, "b": 0.0, "c": z}      # z-scores of income
    ren = {"a": z, "b": -z, "c": 0.0}      # z-scores of renters
    for c in "abc":
        # income has direction -1, renters +1; Σ weights = 3
        expected = (2 * -1 * inc[c] + 1 * ren[c]) / 3
        assert idx.loc[c, "need_index"] == pytest.approx(expected)
        assert idx.loc[c, "contribution_median_income"] == pytest.approx(-2 * inc[c] / 3)
        assert idx.loc[c, "contribution_renter_share"] == pytest.approx(ren[c] / 3)
        assert idx.loc[c, "n_indicators"] == 2 and idx.loc[c, "missing"] == []
    assert idx.loc["a", "need_index"] == pytest.approx(z)  # poorest and most renters
    assert idx.attrs["years"] == {"median_income": 2024, "renter_share": 2024}
    # year= picks exactly that year
    old = need_index(values, weights={"renter_share": 1}, year=2020).set_index("code")
    assert old.loc["b", "need_index"] > old.loc["c", "need_index"] > old.loc["a", "need_index"]


def test_latest_year_per_neighbourhood_is_compared_with_its_own_year():
    # c has no 2024 value: its 2023 value is standardised against 2023, not mixed into 2024
    values = _long([("a", 2023, "renter_share", 0.1), ("b", 2023, "renter_share", 0.2),
                    ("c", 2023, "renter_share", 0.9),
                    ("a", 2024, "renter_share", 0.5), ("b", 2024, "renter_share", 0.6)])
    idx = need_index(values, weights={"renter_share": 1}).set_index("code")
    assert idx.loc["c", "years"] == {"renter_share": 2023}
    assert idx.loc["a", "years"] == {"renter_share": 2024}
    z_2023 = (0.9 - 0.4) / np.std([0.1, 0.2, 0.9])
    assert idx.loc["c", "need_index"] == pytest.approx(z_2023)
    assert idx.loc["a", "need_index"] == pytest.approx(-1)
    assert idx.loc["b", "need_index"] == pytest.approx(1)


def test_a_single_early_value_is_not_compared_with_itself():
    values = _long([(c, 2023, "renter_share", v) for c, v in zip("abcd", (0.1, 0.2, 0.3, 0.4))]
                   + [("d", 2024, "renter_share", 0.99)])
    idx = need_index(values, weights={"renter_share": 1}).set_index("code")
    assert idx.loc["d", "years"] == {"renter_share": 2023}
    assert idx.loc["d", "need_index"] == pytest.approx((0.4 - 0.25) / np.std([.1, .2, .3, .4]))


def test_missing_indicator_makes_the_index_unknown_and_says_which():
    values = _long([("a", 2024, "median_income", 10), ("b", 2024, "median_income", 20),
                    ("c", 2024, "median_income", 30), ("a", 2024, "renter_share", 0.5),
                    ("b", 2024, "renter_share", 0.4), ("c", 2024, "renter_share", np.nan)])
    idx = need_index(values, weights={"median_income": 1, "renter_share": 1}).set_index("code")
    assert math.isnan(idx.loc["c", "need_index"])
    assert idx.loc["c", "missing"] == ["renter_share"] and idx.loc["c", "n_indicators"] == 1
    assert not math.isnan(idx.loc["a", "need_index"])
    # a neighbourhood of the region with no values at all is reported, unknown
    idx = need_index(values, weights={"median_income": 1}, codes=["a", "b", "c", "d"])
    assert math.isnan(idx.set_index("code").loc["d", "need_index"])
    # an indicator nobody has is left out, and said so
    idx = need_index(values, weights={"median_income": 1, "social_housing_share": 2})
    assert idx.attrs["dropped"] == ["social_housing_share"]
    assert idx.attrs["weights"] == {"median_income": 1}


def test_directions_make_undeclared_indicators_usable():
    values = _long([(c, 2024, "unemployment_rate", v) for c, v in zip("abc", (5, 10, 15))])
    with pytest.raises(InvalidParameter, match="no need direction"):
        need_index(values, weights={"unemployment_rate": 1})
    idx = need_index(values, weights={"unemployment_rate": 1},
                     directions={"unemployment_rate": 1})
    assert idx["need_index"].tolist() == pytest.approx([-math.sqrt(1.5), 0, math.sqrt(1.5)])
    with pytest.raises(InvalidParameter, match="directions"):
        need_index(values, weights={"unemployment_rate": 1}, directions={"unemployment_rate": 0})


def test_rank_method_is_robust_to_an_outlier():
    incomes = [20000, 21000, 22000, 23000, 10_000_000]
    values = _long([(f"n{i}", 2024, "median_income", v) for i, v in enumerate(incomes)])
    z = need_index(values, weights={"median_income": 1}).set_index("code")["need_index"]
    r = need_index(values, weights={"median_income": 1}, method="rank").set_index("code")[
        "need_index"]
    # with z-scores the outlier squeezes the other four together; ranks keep them apart
    assert z["n0"] - z["n3"] < 0.1 < r["n0"] - r["n3"]
    assert list(r.sort_values().index) == ["n4", "n3", "n2", "n1", "n0"]


@pytest.mark.parametrize("text,fragment", [
    ("colour:1", "not a known indicator"), ("median_income:x", "not a number"),
    ("median_income:-1", "between 0 and"), ("median_income:inf", "between 0 and"),
    ("median_income:1e308,renter_share:1e308", "between 0 and 1e+06"),
    ("median_income:0", "at least one"), (":2", "empty indicator name"),
    ("population:1", "no need direction"), ("median_income:1,median_income:2", "twice"),
])
def test_bad_weights_are_refused_with_a_clear_message(text, fragment):
    with pytest.raises(InvalidParameter) as exc:
        parse_weights(text)
    assert exc.value.name == "weights" and fragment in str(exc.value)


def test_parse_weights():
    assert parse_weights("median_income:2, renter_share:0.5,low_education_share") == {
        "median_income": 2.0, "renter_share": 0.5, "low_education_share": 1.0}
    assert parse_weights("median_income:2,renter_share:0") == {"median_income": 2.0}
    assert parse_weights(None) == DEFAULT_NEED_WEIGHTS == parse_weights("  ")
    assert parse_weights("") is not DEFAULT_NEED_WEIGHTS  # a copy, safe to change


# ---------------------------------------------------------------- need index properties
def _distinct_or_equal(xs) -> bool:
    """Values differ by more than float noise, or are equal: real data, not 1-ulp games."""
    span = max(xs) - min(xs)
    return all(a == b or abs(a - b) > 1e-6 * span for a in xs for b in xs)


_spread = st.lists(st.floats(min_value=1, max_value=1e5, allow_nan=False), min_size=3,
                   max_size=12).filter(lambda xs: np.std(xs) > 1e-3 * np.mean(xs)
                                       and _distinct_or_equal(xs))


def _frame(incomes, renters):
    rows = []
    for i, (inc, ren) in enumerate(zip(incomes, renters)):
        rows += [(f"n{i}", 2024, "median_income", inc), (f"n{i}", 2024, "renter_share", ren)]
    return _long(rows)


def _renters(data, n):
    return data.draw(st.lists(st.floats(0, 1), min_size=n, max_size=n))


@settings(max_examples=80, deadline=None)
@given(_spread, st.data(), st.sampled_from(["z", "rank"]))
def test_index_is_invariant_to_units(incomes, data, method):
    renters = _renters(data, len(incomes))
    scale = data.draw(st.floats(0.001, 1000))
    offset = data.draw(st.floats(-1e5, 1e5))
    w = {"median_income": 2, "renter_share": 1}
    a = need_index(_frame(incomes, renters), weights=w, method=method)["need_index"]
    b = need_index(_frame([x * scale + offset for x in incomes], renters), weights=w,
                   method=method)["need_index"]
    assert np.allclose(a, b, atol=1e-6, equal_nan=True)


@settings(max_examples=80, deadline=None)
@given(_spread, st.data(), st.sampled_from(["z", "rank"]))
def test_index_is_monotone_in_each_indicators_direction(incomes, data, method):
    renters = _renters(data, len(incomes))
    i = data.draw(st.integers(0, len(incomes) - 1))
    step = data.draw(st.floats(0.001, 0.5))
    w = {"median_income": 1, "renter_share": 1}
    code = f"n{i}"

    def index_of(incs, rens):
        return need_index(_frame(incs, rens), weights=w, method=method).set_index(
            "code").loc[code, "need_index"]

    before = index_of(incomes, renters)
    more_renters = list(renters)
    more_renters[i] += step  # renting: +1 direction, so need may not fall
    assert index_of(incomes, more_renters) >= before - 1e-9
    richer = list(incomes)
    richer[i] *= 1 + step  # income: -1 direction, so need may not rise
    assert index_of(richer, renters) <= before + 1e-9


@settings(max_examples=60, deadline=None)
@given(_spread, st.data())
def test_missing_value_is_unknown_never_zero(incomes, data):
    renters = _renters(data, len(incomes))
    i = data.draw(st.integers(0, len(incomes) - 1))
    frame = _frame(incomes, renters)
    drop = data.draw(st.sampled_from(["median_income", "renter_share"]))
    how = data.draw(st.sampled_from(["row", "nan"]))
    hit = (frame["code"] == f"n{i}") & (frame["indicator"] == drop)
    frame = frame[~hit] if how == "row" else frame.assign(value=frame["value"].mask(hit))
    idx = need_index(frame, weights={"median_income": 1, "renter_share": 1},
                     codes=[f"n{k}" for k in range(len(incomes))]).set_index("code")
    assert math.isnan(idx.loc[f"n{i}", "need_index"])
    assert idx.loc[f"n{i}", "missing"] == [drop]
    others = idx.drop(index=f"n{i}")
    assume(len(others) >= 2)
    assert others["need_index"].notna().all()


# ---------------------------------------------------------------- typology
GRID = {"A": (0, 1), "B": (1, 1), "C": (2, 1), "D": (3, 1),
        "E": (0, 0), "F": (1, 0), "G": (2, 0), "H": (3, 0)}
# rent change 2019 -> 2023; C has no rents at all. The regional median change is F's +3%.
RENT_CHANGE = {"A": 0.20, "B": 0.01, "D": 0.20, "E": 0.20, "F": 0.03, "G": -0.05, "H": -0.20}
INCOME_2023 = {"A": 15000, "B": 16000, "E": 17000, "G": 18000,     # the vulnerable four
               "C": 30000, "D": 31000, "F": 32000, "H": 33000}
INCOME_GROWTH = {"A": 0.10, "B": 0.01, "C": 0.02, "D": 0.03, "E": 0.00, "F": 0.015,
                 "G": 0.005, "H": 0.025}
HIGH_EDU_CHANGE = {"A": 0.10, "B": 0.010, "C": 0.012, "D": 0.008, "E": 0.005, "F": 0.011,
                   "G": 0.009, "H": 0.013}
EXPECTED = {
    "A": "gentrifying",     # vulnerable in 2019; income +10 %, higher education +10 points; hot
    "B": "at_risk",         # vulnerable, own rent +1 % (cool), neighbours A and E are hot
    "C": "unknown",         # not vulnerable, but no rents: hot market or not cannot be told
    "D": "hot_market",      # not vulnerable, rent +20 %
    "E": "at_risk",         # vulnerable, own rent +20 %; income flat, so not gentrifying
    "F": "not_vulnerable",  # not vulnerable, rent at the median; hot neighbours do not matter
    "G": "vulnerable",      # vulnerable (3 of 4: benefit share low); itself and neighbours cool
    "H": "not_vulnerable",
}


def _grid():
    return gpd.GeoDataFrame({"code": list(GRID), "name": list(GRID), "municipality_code": "1"},
                            geometry=[shapely.box(x, y, x + 1, y + 1) for x, y in GRID.values()],
                            crs=4326)


def _typology_values():
    rows = []
    for k, code in enumerate(GRID):
        vul = INCOME_2023[code] < 20000
        shares = {"renter_share": (0.70 if vul else 0.30) + k / 100,
                  "low_education_share": (0.40 if vul else 0.10) + k / 100,
                  "social_assistance_share": 0.01 if code == "G" else (
                      (0.10 if vul else 0.02) + k / 1000)}
        for year in (2019, 2023):
            end = year == 2023
            rows.append((code, year, "median_income",
                         INCOME_2023[code] / (1 if end else 1 + INCOME_GROWTH[code])))
            rows.append((code, year, "high_education_share",
                         0.15 + k / 1000 + (HIGH_EDU_CHANGE[code] if end else 0)))
            rows += [(code, year, key, v) for key, v in shares.items()]
            if code in RENT_CHANGE:
                rows.append((code, year, "rent_median",
                             800 * (1 + RENT_CHANGE[code]) if end else 800))
    return _long(rows)


def test_neighbours_share_a_boundary_or_corner():
    nb = neighbours(_grid())
    assert nb["A"] == ["B", "E", "F"]
    assert nb["G"] == ["B", "C", "D", "F", "H"]
    # a sliver gap of 1e-7 (digitising noise) still counts; a real gap does not
    apart = gpd.GeoDataFrame({"code": ["x", "y", "z"]}, geometry=[
        shapely.box(0, 0, 1, 1), shapely.box(1 + 1e-7, 0, 2, 1), shapely.box(2.5, 0, 3, 1)],
        crs=4326)
    assert neighbours(apart) == {"x": ["y"], "y": ["x"], "z": []}


def test_typology_classes_known_by_design():
    t = typology(_typology_values(), _grid()).set_index("code")
    assert t["typology"].to_dict() == EXPECTED
    assert set(EXPECTED.values()) == set(TYPOLOGY_CLASSES)  # every class appears
    assert t.attrs["base_year"] == 2019 and t.attrs["end_year"] == 2023
    reasons = t["reasons"].to_dict()
    # B: at risk only through its neighbours (A +20, E +20, F +3, G -5; C has no rents)
    assert t.loc["B", "hot_market"] is False and t.loc["B", "hot_neighbours"] is True
    assert ("mean median rent change of 4 neighbouring neighbourhoods +9.5% (hot neighbours)"
            in reasons["B"])
    assert "median rent changed +1.0% from 2019 to 2023; regional median change +3.0%" \
        in reasons["B"]
    assert "2023: median taxable income 15,000 € is below the regional median 24,000 € " \
           "(low income)" in reasons["A"]
    assert any(r.startswith("median taxable income changed +10.0%") for r in reasons["A"])
    assert any("share with higher education changed +10.0 points" in r for r in reasons["A"])
    # G is vulnerable on 3 of 4 criteria
    assert t.loc["G", "criteria_met"] == 3
    assert any(r.startswith("2023: share on social assistance (leefloon) 1.0% is below")
               for r in reasons["G"])
    # C: the missing indicator is named
    assert any("no rent_median or house_price_median" in r for r in reasons["C"])
    assert t.loc["C", "vulnerable"] is False and t.loc["C", "hot_market"] is None
    assert all(t["reasons"].map(len) > 3)


def test_typology_region_is_what_the_caller_gives():
    values = _typology_values()
    left = _grid()[_grid()["code"].isin(["A", "B", "E", "F"])]
    t = typology(values, left).set_index("code")
    assert sorted(t.index) == ["A", "B", "E", "F"]
    # medians are now over four neighbourhoods: incomes 15000, 16000, 17000, 32000
    assert any("regional median 16,500 €" in r for r in t.loc["A", "reasons"])


def test_typology_unknown_when_vulnerability_cannot_be_decided():
    values = _typology_values()
    # B keeps only income and renters (both on the vulnerable side): 2 of 4 met, 2 unknown
    gone = (values["code"] == "B") & values["indicator"].isin(
        ["low_education_share", "social_assistance_share", "high_education_share"])
    t = typology(values[~gone], _grid()).set_index("code")
    assert t.loc["B", "typology"] == "unknown" and t.loc["B", "vulnerable"] is None
    assert any("no data for low education" in r for r in t.loc["B", "reasons"])


def test_typology_gentrification_unknown_when_base_year_missing():
    values = _typology_values()
    gone = (values["code"] == "A") & (values["year"] == 2019) & (
        values["indicator"] != "rent_median") & (values["indicator"] != "median_income") & (
        values["indicator"] != "high_education_share")
    t = typology(values[~gone], _grid()).set_index("code")
    assert t.loc["A", "vulnerable_base"] is None and t.loc["A", "typology"] == "unknown"
    assert any("could be gentrifying, but unknown: base-year vulnerability" in r
               for r in t.loc["A", "reasons"])


def test_typology_without_market_data_never_claims_a_class_it_cannot_know():
    values = _typology_values()
    t = typology(values[values["indicator"] != "rent_median"], _grid())
    assert set(t["typology"]) == {"unknown"}
    # house prices serve as the market when rents are absent
    prices = _typology_values().replace({"indicator": {"rent_median": "house_price_median"}})
    t = typology(prices, _grid()).set_index("code")
    assert t["typology"].to_dict() == EXPECTED
    assert t.attrs["markets"] == ["house_price_median"]


def test_typology_hot_when_house_prices_rise_even_if_rents_do_not():
    values = _typology_values()
    prices = [("H", 2019, "house_price_median", 200000), ("H", 2023, "house_price_median",
                                                          300000)]
    prices += [(c, y, "house_price_median", 200000) for c in "ABDEFG" for y in (2019, 2023)]
    t = typology(pd.concat([values, _long(prices)]), _grid()).set_index("code")
    assert t.loc["H", "typology"] == "hot_market"
    assert any("median house price changed +50.0%" in r for r in t.loc["H", "reasons"])


def test_typology_is_invariant_to_units_of_money():
    values = _typology_values()
    money = values["indicator"].isin(["median_income", "rent_median"])
    euros_to_cents = values.assign(value=values["value"].where(~money, values["value"] * 100))
    a = typology(values, _grid())["typology"].tolist()
    assert typology(euros_to_cents, _grid())["typology"].tolist() == a


def test_typology_refuses_years_in_the_wrong_order():
    with pytest.raises(InvalidParameter) as exc:
        typology(_typology_values(), _grid(), base_year=2023, end_year=2019)
    assert exc.value.name == "end_year"


def test_typology_with_one_year_only_measures_no_change():
    values = _typology_values()
    t = typology(values[values["year"] == 2023], _grid())
    assert set(t["typology"]) == {"unknown"}
    assert all(any("only one year" in r for r in rs) for rs in t["reasons"])


# ---------------------------------------------------------------- sectors
def _sectors(rows):
    frame = _long(rows)
    frame["source"] = "test"
    return frame


LOOKUP = pd.DataFrame({"sector": ["44021A00-", "44021A01-", "44021B00-"],
                       "code": ["4402101", "4402101", "4402102"]})


def test_sector_aggregation_by_hand():
    values = _sectors([
        ("44021A00-", 2024, "population", 100), ("44021A01-", 2024, "population", 300),
        ("44021A00-", 2024, "renter_share", 0.5), ("44021A01-", 2024, "renter_share", 0.1),
        ("44021A00-", 2024, "median_income", 20000), ("44021A01-", 2024, "median_income", 30000),
        ("44021A00-", 2024, "age_0_17", 20), ("44021A01-", 2024, "age_0_17", 70),
        ("44021A00-", 2024, "income_total", 1e6), ("44021A01-", 2024, "income_total", 4e6),
        ("44021A00-", 2023, "population", 300), ("44021A01-", 2023, "population", 100),
        ("44021A00-", 2023, "renter_share", 0.5), ("44021A01-", 2023, "renter_share", 0.1),
        ("44021B00-", 2024, "population", 50), ("44021B00-", 2024, "renter_share", 0.2)])
    out = aggregate_sectors(values, LOOKUP).set_index(["code", "year", "indicator"])["value"]
    assert out[("4402101", 2024, "population")] == 400
    assert out[("4402101", 2024, "age_0_17")] == 90
    assert out[("4402101", 2024, "income_total")] == 5e6            # totals are summed
    assert out[("4402101", 2024, "renter_share")] == pytest.approx((100 * .5 + 300 * .1) / 400)
    assert out[("4402101", 2024, "median_income")] == pytest.approx(
        (100 * 20000 + 300 * 30000) / 400)
    # weights are the population of the same year
    assert out[("4402101", 2023, "renter_share")] == pytest.approx((300 * .5 + 100 * .1) / 400)
    assert out[("4402102", 2024, "renter_share")] == pytest.approx(0.2)
    assert len(out) == 9


def test_sector_aggregation_missing_value_makes_the_neighbourhood_unknown():
    values = _sectors([
        ("44021A00-", 2024, "population", 100), ("44021A01-", 2024, "population", 300),
        ("44021A00-", 2024, "age_0_17", 20), ("44021A01-", 2024, "age_0_17", np.nan),
        ("44021A00-", 2024, "renter_share", 0.5)])  # A01 has no renter share at all
    out = aggregate_sectors(values, LOOKUP).set_index(["code", "indicator"])["value"]
    assert math.isnan(out[("4402101", "age_0_17")])
    assert math.isnan(out[("4402101", "renter_share")])
    assert out[("4402101", "population")] == 400


def test_sector_aggregation_refuses_what_it_cannot_weight():
    values = _sectors([("44021A00-", 2024, "renter_share", 0.5),
                       ("44021A01-", 2024, "population", 10),
                       ("44021A01-", 2024, "renter_share", 0.5)])
    values["row"] = [2, 3, 4]
    with pytest.raises(ImportFailed) as exc:
        aggregate_sectors(values, LOOKUP, file="s.csv")
    (p,) = exc.value.problems
    assert (p.file, p.where, p.field) == ("s.csv", "row 2", "population")
    assert "44021A00-" in p.reason and "renter_share in 2024" in p.reason


def test_sectors_missing_from_the_lookup_are_named():
    values = _sectors([("44021A00-", 2024, "population", 5), ("99999Z99-", 2024,
                                                               "population", 5),
                       ("99999Z98-", 2024, "population", 5)])
    values["row"] = [2, 3, 4]
    with pytest.raises(ImportFailed) as exc:
        aggregate_sectors(values, LOOKUP, file="s.csv")
    assert [(p.where, p.field) for p in exc.value.problems] == [("row 3", "code"),
                                                                 ("row 4", "code")]
    assert "'99999Z99-' is not in the lookup" in str(exc.value)


# ---------------------------------------------------------------- trend
def test_trend_is_in_year_order_without_missing_values():
    values = _long([("a", 2021, "population", 11), ("a", 2019, "population", 9),
                    ("a", 2020, "population", np.nan), ("b", 2020, "population", 99),
                    ("a", 2020, "renter_share", 0.4)])
    assert trend(values, "a") == {"population": [(2019, 9.0), (2021, 11.0)],
                                  "renter_share": [(2020, 0.4)]}
    assert trend(values, "zz") == {}
