"""Simplified neighbourhood outlines are made once per set of polygons: kept through edits
that do not touch a polygon, shared with a new server process through a file in the cache
directory, made again when a polygon changes or the file is damaged, and prepared by every
import of neighbourhoods. What is asserted is what a user sees (the map frame's and the
API's polygons, files in the cache directory, the CLI's answer); counting the
simplifications only adds that nothing was simplified again."""

from __future__ import annotations

import io
import json
import math

import geopandas as gpd
import numpy as np
import pytest
import shapely

from buurtkaart import create_app, geomcache, store
from buurtkaart.cli import main
from buurtkaart.records import validate_place
from conftest import FIXED_NOW
from test_admin_import_dutch_b import admin  # noqa: F401 - an administrator logged in


def _wiggly(x0: float, y0: float, size: float = 0.03, n: int = 400) -> shapely.Polygon:
    """A roughly round neighbourhood with a saw-tooth edge that simplification removes."""
    cx, cy, r = x0 + size / 2, y0 + size / 2, size / 2
    pts = [(cx + (r + (0.0004 if i % 2 else 0)) * math.cos(2 * math.pi * i / n),
            cy + (r + (0.0004 if i % 2 else 0)) * math.sin(2 * math.pi * i / n))
           for i in range(n)]
    return shapely.Polygon(pts)


def _frame(shift: float = 0.0) -> gpd.GeoDataFrame:
    """Three invented wijken of Ghent; ``shift`` moves the third one east (a new polygon)."""
    return gpd.GeoDataFrame(
        {"code": ["4402101", "4402102", "4402103"], "name": ["Kern", "Noord", "Oost"],
         "municipality_code": ["44021"] * 3},
        geometry=[_wiggly(3.70, 51.04), _wiggly(3.74, 51.04), _wiggly(3.78 + shift, 51.04)],
        crs=4326)


def _write(frame, path):
    frame.to_file(path, driver="GeoJSON")
    return path


@pytest.fixture
def cache(tmp_path, monkeypatch):
    path = tmp_path / "cache"
    monkeypatch.setenv("BUURTKAART_CACHE", str(path))
    return path


@pytest.fixture
def app(db_path, cache):
    # every API answer computed (not kept whole per data version) to show its polygons
    return create_app({"DATABASE": str(db_path), "TESTING": True, "NOW": FIXED_NOW,
                       "RESPONSE_CACHE": False})


@pytest.fixture
def simplifications(monkeypatch):
    """How many polygons were simplified (in addition to what the user sees)."""
    made = []
    real = geomcache._simplify

    def counting(geoms, tolerance):
        made.append(len(geoms))
        return real(geoms, tolerance)

    monkeypatch.setattr(geomcache, "_simplify", counting)
    return made


def _new_process():
    """What a new gunicorn worker or a restarted server has: nothing in memory (no
    simplified outlines, no rendered map frames)."""
    from buurtkaart.web import map_pages

    geomcache._CACHE.clear()
    map_pages._FRAMES.clear()


def _map_polygons(client) -> dict[str, shapely.Geometry]:
    """The neighbourhood polygons the map frame draws, by code."""
    html = client.get("/kaart/frame").get_data(as_text=True)
    start = html.index('_add({"features"') + len("_add(")
    data, _end = json.JSONDecoder().raw_decode(html, start)
    return {f["properties"]["code"]: shapely.geometry.shape(f["geometry"])
            for f in data["features"] if "code" in f["properties"]}


def _api_polygons(client, simplify=20) -> dict[str, shapely.Geometry]:
    body = client.get(f"/api/neighbourhoods?limit=100&simplify={simplify}").get_json()
    return {f["properties"]["code"]: shapely.geometry.shape(f["geometry"])
            for f in body["features"]}


def _cache_files(cache):
    return sorted(p.name for p in cache.glob("simplified-*.npz")) if cache.exists() else []


def _import(runner, path):
    result = runner.invoke(main, ["import", "neighbourhoods", str(path)])
    assert result.exit_code == 0, result.output + result.stderr
    return result


def _close_to(drawn: shapely.Geometry, stored: shapely.Geometry) -> bool:
    """Drawn simplified, yet the same neighbourhood (within 2 % of its area)."""
    return drawn.symmetric_difference(stored).area < 0.02 * stored.area


# ------------------------------------------------------------------ the geometry version
def test_the_geometry_version_changes_only_with_the_polygons(db):
    store.save_neighbourhoods(db, _frame(), source="test")
    version, data = store.geometry_version(db), store.data_version(db)
    place, problems = validate_place({"name": "Buurthuis", "kind": "community_house",
                                      "lon": 3.715, "lat": 51.055})
    assert not problems
    store.save_directory(db, places=[place])
    store.save_indicators(db, _indicators(), file="wijken.csv")
    db.execute("UPDATE neighbourhoods SET name = 'Kern-Zuid' WHERE code = '4402101'")
    store.save_neighbourhoods(db, _frame(), source="again")  # the same polygons once more
    assert store.data_version(db) != data
    assert store.geometry_version(db) == version
    store.save_neighbourhoods(db, _frame(shift=0.01), source="moved")
    assert store.geometry_version(db) != version
    version = store.geometry_version(db)
    db.execute("UPDATE neighbourhoods SET code = '4402199' WHERE code = '4402103'")
    assert store.geometry_version(db) != version
    version = store.geometry_version(db)
    db.execute("DELETE FROM neighbourhoods WHERE code = '4402199'")
    assert store.geometry_version(db) != version


def _indicators():
    import pandas as pd

    return pd.DataFrame({"code": ["4402101", "4402102"], "year": [2024, 2024],
                         "indicator": ["population", "population"], "value": [1200.0, 800.0],
                         "source": ["test", "test"]})


# ------------------------------------------------------------------ edits keep the outlines
def test_a_place_edit_or_indicator_import_keeps_the_simplified_outlines(
        client, db, simplifications):
    store.save_neighbourhoods(db, _frame(), source="test")
    before = _map_polygons(client)
    assert set(before) == {"4402101", "4402102", "4402103"}
    assert simplifications == [3]
    place, _ = validate_place({"name": "Nieuw Buurthuis", "kind": "community_house",
                               "lon": 3.715, "lat": 51.055, "last_verified": "2026-11-30"})
    store.save_directory(db, places=[place])
    html = client.get("/kaart/frame").get_data(as_text=True)
    assert "Nieuw Buurthuis" in html  # a new map was made for the edit...
    assert store.save_indicators(db, _indicators()) == 2
    after = _map_polygons(client)
    assert {c: g.wkt for c, g in after.items()} == {c: g.wkt for c, g in before.items()}
    assert simplifications == [3]  # ...from the outlines made before it


# ------------------------------------------------------------------ a new polygon is drawn
def test_a_reimported_polygon_is_drawn_on_the_map_and_in_the_api(
        client, db, runner, tmp_path, cache):
    _import(runner, _write(_frame(), tmp_path / "wijken.geojson"))
    old_map, old_api = _map_polygons(client), _api_polygons(client)
    moved = _frame(shift=0.05)
    _import(runner, _write(moved, tmp_path / "wijken-2025.geojson"))
    new_map, new_api = _map_polygons(client), _api_polygons(client)
    stored = dict(zip(moved["code"], moved.geometry))
    for drawn in (new_map, new_api):
        for code, geom in drawn.items():
            assert _close_to(geom, stored[code]), code
        assert drawn["4402103"].bounds[0] > 3.82  # the moved wijk, where it now lies
    assert old_map["4402103"].bounds[2] < 3.82 and old_api["4402103"].bounds[2] < 3.82
    assert new_map["4402101"].wkt == old_map["4402101"].wkt
    # the files of the superseded polygons are gone: the map's and the API's are the new ones
    files = _cache_files(cache)
    assert len(files) == 2 and all(store.geometry_version(db) in f for f in files)


# ------------------------------------------------------------------ shared through a file
def test_a_new_process_draws_the_map_from_the_cache_file(client, db, cache, simplifications):
    store.save_neighbourhoods(db, _frame(), source="test")
    first, first_api = _map_polygons(client), _api_polygons(client)
    assert simplifications == [3, 3] and len(_cache_files(cache)) == 2
    _new_process()
    other = create_app({"DATABASE": str(db.execute("PRAGMA database_list").fetchone()[2]),
                        "TESTING": True, "NOW": FIXED_NOW,
                        "RESPONSE_CACHE": False}).test_client()
    again, again_api = _map_polygons(other), _api_polygons(other)
    assert {c: g.wkt for c, g in again.items()} == {c: g.wkt for c, g in first.items()}
    assert {c: g.wkt for c, g in again_api.items()} == {c: g.wkt for c, g in first_api.items()}
    assert simplifications == [3, 3]  # nothing simplified in the new process


@pytest.mark.parametrize("damage", ["truncated", "garbage", "empty"])
def test_a_damaged_cache_file_is_ignored_and_made_again(client, db, cache, simplifications,
                                                        damage):
    store.save_neighbourhoods(db, _frame(), source="test")
    first = _map_polygons(client)
    [name] = _cache_files(cache)
    path = cache / name
    whole = path.read_bytes()
    path.write_bytes({"truncated": whole[: len(whole) // 2], "garbage": b"\x00nonsense" * 50,
                      "empty": b""}[damage])
    _new_process()
    resp = client.get("/kaart/frame")
    assert resp.status_code == 200
    again = _map_polygons(client)
    assert {c: g.wkt for c, g in again.items()} == {c: g.wkt for c, g in first.items()}
    assert simplifications == [3, 3]  # made again...
    with np.load(path) as z:  # ...and written whole again
        assert sorted(z["codes"].tolist()) == sorted(first)
    _new_process()
    assert {c: g.wkt for c, g in _map_polygons(client).items()} == {
        c: g.wkt for c, g in first.items()}
    assert simplifications == [3, 3]


# ------------------------------------------------------------------ imports prepare the map
def test_the_cli_import_prepares_the_full_map(client, runner, tmp_path, cache, simplifications):
    _import(runner, _write(_frame(), tmp_path / "wijken.geojson"))
    assert len(_cache_files(cache)) == 1 and simplifications == [3]
    _new_process()
    drawn = _map_polygons(client)
    assert set(drawn) == {"4402101", "4402102", "4402103"}
    assert simplifications == [3]  # the first map used what the import made


def test_an_import_succeeds_when_the_cache_cannot_be_written(db, runner, tmp_path,
                                                             monkeypatch, caplog):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder should be")
    monkeypatch.setenv("BUURTKAART_CACHE", str(blocked))
    result = _import(runner, _write(_frame(), tmp_path / "wijken.geojson"))
    assert "imported 3 neighbourhoods" in result.stdout
    assert store.counts(db)["neighbourhoods"] == 3
    assert "could not write the simplified neighbourhoods" in caplog.text
    app = create_app({"DATABASE": str(tmp_path / "buurtkaart.db"), "TESTING": True})
    _new_process()
    assert set(_map_polygons(app.test_client())) == {"4402101", "4402102", "4402103"}


def test_the_admin_import_page_prepares_the_full_map(client, admin, tmp_path, cache,
                                                     simplifications):
    token = admin
    body = _write(_frame(), tmp_path / "wijken.geojson").read_bytes()
    resp = client.post("/admin/import?lang=en", data={
        "kind": "neighbourhoods", "csrf_token": token,
        "file": (io.BytesIO(body), "wijken.geojson")}, content_type="multipart/form-data")
    assert resp.status_code == 200 and "Imported 3 neighbourhoods" in resp.get_data(as_text=True)
    assert len(_cache_files(cache)) == 1 and simplifications == [3]
    _new_process()
    assert set(_map_polygons(client)) == {"4402101", "4402102", "4402103"}
    assert simplifications == [3]


def test_files_of_many_tolerances_stay_bounded(client, db, cache):
    store.save_neighbourhoods(db, _frame(), source="test")
    for metres in range(10, 10 + 2 * geomcache.FILES_PER_DATABASE):
        assert len(_api_polygons(client, simplify=metres)) == 3  # every wijk on one page
    assert len(_cache_files(cache)) == geomcache.FILES_PER_DATABASE


def test_kept_shapes_are_what_simplifying_each_polygon_gives(client, db):
    """The faster path (all polygons at once, GeoJSON kept, read back from the file) sends
    what simplifying and rounding each polygon on its own gives."""
    from buurtkaart.maps import round_coordinates
    from buurtkaart.web.api import METRES_PER_DEGREE

    frame = _frame()
    store.save_neighbourhoods(db, frame, source="test")
    tolerance = 20 / METRES_PER_DEGREE
    expected = {code: round_coordinates(shapely.set_precision(
        geom.simplify(tolerance, preserve_topology=True), tolerance / 20)).wkt
        for code, geom in zip(frame["code"], frame.geometry)}
    for _ in range(2):  # made here, then read from the file by a new process
        assert {c: g.wkt for c, g in _api_polygons(client).items()} == expected
        _new_process()
