"""Municipalities: outlines with NIS code and name, each neighbourhood assigned by largest
overlap (or by the published lookup), and every disagreement with the code reported.
Checked on the real wijken and gemeenten of Flanders and Brussels."""

from __future__ import annotations

import re

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from buurtkaart import store
from buurtkaart.cli import main
from conftest import shared_file

DEINZE = "44083"  # Deinze after its 2019 merger with Nevele


def _independent_overlap_assignment(wijken_path, gemeenten_path) -> dict[str, str]:
    """wijk -> NIS code of the municipality it overlaps most, by geopandas overlay in the
    files' own Lambert 72 coordinates (not the WGS84/UTM route the product takes)."""
    w = gpd.read_file(wijken_path)[["code", "geometry"]]
    g = gpd.read_file(gemeenten_path)[["nis_code", "geometry"]]
    w["geometry"], g["geometry"] = w.make_valid(), g.make_valid()
    parts = gpd.overlay(w, g, how="intersection", keep_geom_type=True)
    parts["area"] = parts.area
    best = parts.loc[parts.groupby("code")["area"].idxmax()]
    return dict(zip(best["code"], best["nis_code"]))


def _prefix(code: str) -> str:
    return re.match(r"^\d{5}", code).group(0)


@pytest.fixture
def flanders(runner, db_path):
    result = runner.invoke(main, ["import", "neighbourhoods",
                                  str(shared_file("flanders_wijken_2024.gpkg"))])
    assert result.exit_code == 0, result.output
    return store.connect(db_path)


def test_import_municipalities_assigns_merged_wijken_and_reports_them(flanders, runner,
                                                                       client):
    assert client.get(f"/api/neighbourhoods?municipality={DEINZE}").get_json()[
        "numberMatched"] == 0  # the codes of Deinze's wijken start with 44011 and 44049
    gemeenten = shared_file("flanders_gemeenten_2024.gpkg")
    result = runner.invoke(main, ["import", "municipalities", str(gemeenten)])
    assert result.exit_code == 0, result.output
    assert "imported 319 municipalities" in result.stdout
    assert flanders.execute("SELECT name FROM municipalities WHERE code = '44021'").fetchone()[
        0] == "Gent"

    expected = _independent_overlap_assignment(shared_file("flanders_wijken_2024.gpkg"),
                                               gemeenten)
    disagree = {c for c, m in expected.items() if m != _prefix(c)}
    assert len(disagree) > 50  # the 2019 mergers
    m = re.search(r"(\d+) disagree with the municipality their code starts with", result.stdout)
    assert m and int(m.group(1)) == len(disagree)
    listed = set(re.findall(r"^  (\S+) ", result.stdout, re.M))
    assert listed == disagree

    stored = dict(flanders.execute("SELECT code, municipality_code FROM neighbourhoods"))
    assert stored == expected
    deinze = client.get(f"/api/neighbourhoods?municipality={DEINZE}").get_json()
    codes = {f["properties"]["code"] for f in deinze["features"]}
    assert codes == {c for c, m in expected.items() if m == DEINZE} and len(codes) > 5
    assert {f["properties"]["municipality_name"] for f in deinze["features"]} == {"Deinze"}
    munis = {x["code"]: x for x in client.get("/api/municipalities").get_json()[
        "municipalities"]}
    assert munis[DEINZE]["name"] == "Deinze" and munis[DEINZE]["neighbourhoods"] == len(codes)
    assert "44011" not in munis  # Nevele no longer has neighbourhoods
    code = sorted(codes)[0]
    assert "Deinze (44083)</a>" in client.get(f"/neighbourhoods/{code}").get_data(
        as_text=True)
    listing = client.get(f"/neighbourhoods?municipality={DEINZE}").get_data(as_text=True)
    assert f"{len(codes)} neighbourhoods in Deinze ({DEINZE})" in listing
    assert listing.count(">Deinze</a>") == len(codes)  # the list shows names, not codes

    # neighbourhoods imported again later are assigned by the stored outlines too
    again = runner.invoke(main, ["import", "neighbourhoods",
                                 str(shared_file("flanders_wijken_2024.gpkg"))])
    assert f"{len(disagree)} disagree" in again.stdout
    assert dict(flanders.execute("SELECT code, municipality_code FROM neighbourhoods")) == \
        expected


def test_municipality_lookup_as_published(flanders, runner, client):
    path = shared_file("ggw72024_gemeente2024.xlsx")
    result = runner.invoke(main, ["import", "neighbourhoods",
                                  str(shared_file("flanders_wijken_2024.gpkg")),
                                  "--municipality-lookup", str(path)])
    assert result.exit_code == 0, result.output
    table = pd.read_excel(path, dtype=str)
    by = dict(zip(table["ggw72024"], table["gemeente2024"]))
    stored = dict(flanders.execute("SELECT code, municipality_code FROM neighbourhoods"))
    assert stored == {c: by[c] for c in stored}
    disagree = [c for c in stored if by[c] != _prefix(c)]
    m = re.search(r"(\d+) disagree", result.stdout)
    assert m and int(m.group(1)) == len(disagree) > 50
    assert client.get(f"/api/neighbourhoods?municipality={DEINZE}").get_json()[
        "numberMatched"] == sum(1 for v in stored.values() if v == DEINZE) > 5


def test_bad_municipality_file_is_refused_and_nothing_changes(runner, db_path, tmp_path):
    path = tmp_path / "gemeenten.geojson"
    gpd.GeoDataFrame({"nis_code": ["4402", "44021"], "name": ["x", "Gent"]},
                     geometry=[shapely.box(3.7, 51.0, 3.8, 51.1)] * 2, crs=4326).to_file(path)
    result = runner.invoke(main, ["import", "municipalities", str(path)])
    assert result.exit_code == 1
    assert "feature 1" in result.output and "'4402' is not a five-digit NIS" in result.output
    db = store.connect(db_path)
    assert db.execute("SELECT count(*) FROM municipalities").fetchone()[0] == 0


def test_names_come_from_the_layer_and_a_new_import_replaces_them(runner, db_path, tmp_path):
    from buurtkaart import municipalities

    path = tmp_path / "gemeenten.geojson"
    gpd.GeoDataFrame({"nis_code": ["44021", "11002"], "naam": ["Gent", "Antwerpen"]},
                     geometry=[shapely.box(3.6, 51.0, 3.8, 51.1),
                               shapely.box(4.3, 51.1, 4.5, 51.3)], crs=4326).to_file(path)
    result = runner.invoke(main, ["import", "municipalities", str(path),
                                  "--name-field", "naam"])
    assert result.exit_code == 0, result.output
    assert "imported 2 municipalities" in result.stdout
    assert municipalities.municipality_names(store.connect(db_path)) == {
        "44021": "Gent", "11002": "Antwerpen"}
    gpd.GeoDataFrame({"nis_code": ["44021"], "naam": ["Gent (stad)"]},
                     geometry=[shapely.box(3.6, 51.0, 3.8, 51.1)], crs=4326).to_file(path)
    assert runner.invoke(main, ["import", "municipalities", str(path),
                                "--name-field", "naam"]).exit_code == 0
    assert municipalities.municipality_names(store.connect(db_path)) == {
        "44021": "Gent (stad)", "11002": "Antwerpen"}
