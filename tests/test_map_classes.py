"""Maps that do not mislead: fixed share classes, "no data" apart from "unknown", numbers
with their unit in the page's language."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest
from test_api import build_directory

from buurtkaart import mapstyle, store


@pytest.fixture
def directory(db):
    build_directory(db)
    return db


def _features(html: str) -> dict[str, dict]:
    fc = json.loads(re.search(r"geo_json_\w+_add\((\{.*?\})\);", html, re.S).group(1))
    return {f["properties"]["code"]: f["properties"] for f in fc["features"]}


def _legend(html: str) -> str:
    return re.search(r'<details id="bk-legend".*?</details>', html, re.S).group(0)


@pytest.mark.parametrize("share,label", [
    (0.0, "under 50%"), (0.499, "under 50%"), (0.4999, "under 50%"),
    (0.5, "50% to under 75%"), (0.7499, "50% to under 75%"),
    (0.75, "75% to under 90%"), (0.8999, "75% to under 90%"),
    (0.9, "90% to 100%"), (0.98, "90% to 100%"), (1.0, "90% to 100%")])
def test_each_share_falls_in_the_class_holding_its_lower_bound(share, label):
    labels = ["under 50%", "50% to under 75%", "75% to under 90%", "90% to 100%"]
    assert mapstyle.share_class_labels() == labels
    assert labels[mapstyle.share_class(share)] == label


def test_a_share_without_a_value_has_no_class():
    assert mapstyle.share_class(None) is None
    assert mapstyle.share_class(float("nan")) is None


def _with_unknown(db):
    """Social assistance: 4402101 5 %, 4402102 12 %, 1100101 30 %, 1100102 confidential;
    a second layer (renters) has no value at all for 1100102."""
    store.save_indicators(db, pd.DataFrame({
        "code": ["1100102", "4402101", "4402102", "1100101"], "year": [2024] * 4,
        "indicator": ["social_assistance_share", "renter_share", "renter_share",
                      "renter_share"],
        "value": [None, 0.499, 0.75, 0.98], "source": ["Statbel"] * 4,
        "note": ["confidential", None, None, None]}))


def test_the_map_colours_shares_by_fixed_class_with_no_data_apart(client, directory):
    _with_unknown(directory)
    html = client.get("/kaart/frame?indicator=renter_share").get_data(as_text=True)
    feats = _features(html)
    colours = mapstyle.Classes.for_values([], "share").colours()
    # 49.9 % is in the first class, 75 % in the third, 98 % in the last
    assert feats["4402101"]["fill"] == colours[0]
    assert feats["4402102"]["fill"] == colours[2]
    assert feats["1100101"]["fill"] == colours[3]
    assert feats["1100102"]["fill"] == mapstyle.NO_DATA_COLOUR  # nothing stored
    assert [feats[c]["value"] for c in ("4402101", "4402102", "1100101", "1100102")] == \
        ["49.9%", "75%", "98%", "no data"]
    legend = _legend(html)
    assert "no data (no residents or no figure)" in legend
    assert "unknown (not published" not in legend  # nothing unknown on this layer


def test_unknown_values_are_hatched_apart_from_no_data(client, directory):
    _with_unknown(directory)
    html = client.get("/kaart/frame?indicator=social_assistance_share").get_data(as_text=True)
    feats = _features(html)
    assert feats["1100102"]["fill"] == mapstyle.UNKNOWN_FILL != mapstyle.NO_DATA_COLOUR
    assert feats["1100102"]["value"] == "unknown (confidential)"
    assert 'id="bk-unknown-hatch"' in html  # the pattern the hatched fill points to
    legend = _legend(html)
    swatches = dict((label, colour) for colour, label in re.findall(
        r'<i style="background:([^"]+)"></i>([^<]+)</div>', legend))
    assert swatches["no data (no residents or no figure)"] == mapstyle.NO_DATA_COLOUR
    assert swatches["unknown (not published, e.g. confidential)"] == mapstyle.UNKNOWN_SWATCH
    assert mapstyle.UNKNOWN_SWATCH != mapstyle.NO_DATA_COLOUR


def test_neighbourhood_popups_give_residents_and_shares_with_their_unit(client, directory):
    store.save_indicators(directory, pd.DataFrame({
        "code": ["4402101"], "year": [2024], "indicator": ["population"],
        "value": [19427.0], "source": ["Statbel"]}))
    en = _features(client.get("/kaart/frame?indicator=social_assistance_share&lang=en")
                   .get_data(as_text=True))
    assert en["4402101"]["residents"] == "19\u202f427 residents"
    assert en["4402102"]["residents"] == "3\u202f400 residents"
    assert en["4402102"]["value"] == "12%"
    nl = _features(client.get("/kaart/frame?indicator=social_assistance_share&lang=nl")
                   .get_data(as_text=True))
    assert nl["4402101"]["residents"] == "19\u202f427 inwoners"
    assert nl["4402102"]["value"] == "12\u00a0%"
    assert nl["1100102"]["residents"] == "inwoners: geen gegevens"


def test_percentages_do_not_round_to_all_or_nothing():
    """99.6 % is not shown as 100 % (everyone) nor 0.1 % as 0 % (nobody)."""
    assert [mapstyle.percent_text(v) for v in (0.996, 0.001, 1.0, 0.0, 0.874)] == \
        ["99.6%", "0.1%", "100%", "0%", "87%"]
    assert mapstyle.number_text(19427) == "19\u202f427" and mapstyle.number_text(3.25) == "3.25"
