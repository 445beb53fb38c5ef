"""Compressed responses, ETags from the data version, 304s, and cached simplified geometry."""

from __future__ import annotations

import gzip
import json

import geopandas as gpd
import pytest
import shapely

from buurtkaart import store
from tests.conftest import shared_file
from tests.test_api import build_directory


@pytest.fixture
def directory(db):
    return build_directory(db)


def _hoods(db, n=40):
    polys, codes = [], []
    for i in range(n):
        x, y = 3.7 + (i % 8) * 0.01, 51.0 + (i // 8) * 0.01
        # a wiggly square: many vertices that simplification can drop
        ring = [(x + k * 0.0005, y + (0.00002 if k % 2 else 0)) for k in range(21)]
        ring += [(x + 0.01, y + 0.01), (x, y + 0.01)]
        polys.append(shapely.Polygon(ring))
        codes.append(f"44021{i:02d}")
    store.save_neighbourhoods(db, gpd.GeoDataFrame(
        {"code": codes, "name": [f"Wijk {c}" for c in codes],
         "municipality_code": ["44021"] * n}, geometry=polys, crs=4326), source="test")
    return codes


def test_json_and_geojson_are_gzipped_when_the_client_accepts_it(client, directory, db):
    _hoods(db)
    plain = client.get("/api/neighbourhoods?limit=100")
    zipped = client.get("/api/neighbourhoods?limit=100", headers={"Accept-Encoding": "gzip"})
    assert plain.status_code == zipped.status_code == 200
    assert "Content-Encoding" not in plain.headers
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in zipped.headers["Vary"]
    assert int(zipped.headers["Content-Length"]) == len(zipped.data) < len(plain.data) / 3
    assert json.loads(gzip.decompress(zipped.data)) == plain.get_json()
    page = client.get("/", headers={"Accept-Encoding": "gzip, deflate"})
    assert page.status_code == 200 and page.headers["Content-Encoding"] == "gzip"
    assert b"<html" in gzip.decompress(page.data).lower()


def test_etag_gives_304_until_the_data_changes(client, directory, db):
    first = client.get("/api/places")
    tag = first.headers["ETag"]
    assert first.status_code == 200 and "no-cache" in first.headers["Cache-Control"]
    again = client.get("/api/places", headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.data == b""
    # another question has another tag
    other = client.get("/api/places?limit=1", headers={"If-None-Match": tag})
    assert other.status_code == 200 and other.headers["ETag"] != tag
    # any change to the data changes the tag: the client gets the new answer
    _hoods(db, n=2)
    after = client.get("/api/places", headers={"If-None-Match": tag})
    assert after.status_code == 200 and after.headers["ETag"] != tag
    # the gzipped representation has its own tag, which also revalidates
    gz = client.get("/api/places", headers={"Accept-Encoding": "gzip"})
    again = client.get("/api/places", headers={"Accept-Encoding": "gzip",
                                               "If-None-Match": gz.headers["ETag"]})
    assert gz.headers["ETag"] != after.headers["ETag"] and again.status_code == 304


def test_simplified_neighbourhoods_stay_valid_and_complete(client, directory, db):
    codes = _hoods(db)
    full = client.get("/api/neighbourhoods?limit=100").get_json()
    for _ in range(2):  # the second answer comes from the cache
        thin = client.get("/api/neighbourhoods?limit=100&simplify=20").get_json()
        assert [f["properties"]["code"] for f in thin["features"]] == \
            [f["properties"]["code"] for f in full["features"]]
        assert set(codes) <= {f["properties"]["code"] for f in thin["features"]}
        by_code = {f["properties"]["code"]: shapely.geometry.shape(f["geometry"])
                   for f in full["features"]}
        for f in thin["features"]:
            geom = shapely.geometry.shape(f["geometry"])
            assert geom.is_valid and not geom.is_empty
            orig = by_code[f["properties"]["code"]]
            if f["properties"]["code"] in codes:  # the wiggly ones lose vertices
                assert len(shapely.get_coordinates(geom)) < len(shapely.get_coordinates(orig))
            assert geom.symmetric_difference(orig).area < 0.02 * orig.area


def test_real_wijken_stay_valid_when_simplified(client, db):
    from buurtkaart.importers.geo import read_neighbourhoods

    frame, _warnings = read_neighbourhoods(shared_file("flanders_wijken_2024.gpkg"))
    frame = frame.iloc[:300]
    store.save_neighbourhoods(db, frame, source="test")
    body = client.get("/api/neighbourhoods?limit=300&simplify=50").get_json()
    assert len(body["features"]) == 300
    assert all(shapely.geometry.shape(f["geometry"]).is_valid for f in body["features"])


def test_pages_and_map_frames_revalidate_despite_a_fresh_nonce(client, directory, db):
    """Every response has its own CSP nonce, yet an unchanged page answers 304; the 304
    carries no CSP header, so the browser keeps the one stored with the page's nonce."""
    for url in ("/kaart", "/kaart/frame", "/places"):
        first = client.get(url, headers={"Accept-Encoding": "gzip"})
        second = client.get(url, headers={"Accept-Encoding": "gzip"})
        assert first.status_code == second.status_code == 200
        assert first.headers["Content-Security-Policy"] != second.headers[
            "Content-Security-Policy"]  # a fresh nonce each time
        tag = first.headers["ETag"]
        assert tag == second.headers["ETag"] and "no-cache" in first.headers["Cache-Control"]
        again = client.get(url, headers={"Accept-Encoding": "gzip", "If-None-Match": tag})
        assert again.status_code == 304 and again.data == b"", url
        assert "Content-Security-Policy" not in again.headers
        assert again.headers["ETag"] == tag
        # the plain (not gzipped) page has its own tag, and it revalidates too
        plain = client.get(url)
        assert plain.headers["ETag"] != tag
        assert client.get(url, headers={"If-None-Match": plain.headers["ETag"]}
                          ).status_code == 304
    # a JSON answer runs no script: its policy allows no inline script at all
    assert "'nonce-" not in client.get("/api/places").headers["Content-Security-Policy"]
    tag = client.get("/places").headers["ETag"]
    # another language is another page
    dutch = client.get("/places", headers={"Accept-Language": "nl", "If-None-Match": tag})
    assert dutch.status_code == 200 and dutch.headers["ETag"] != tag
    # a change to the data gives the new page, also on the map
    page_tag, frame_tag = (client.get(u).headers["ETag"] for u in ("/places", "/kaart/frame"))
    with db.conn:
        db.conn.execute("UPDATE places SET name = 'Renamed place' WHERE id = "
                        "(SELECT min(id) FROM places)")
    for url, old in (("/places", page_tag), ("/kaart/frame", frame_tag)):
        after = client.get(url, headers={"If-None-Match": old})
        assert after.status_code == 200 and b"Renamed place" in after.data, url
        assert after.headers["ETag"] != old
    # pages that must not be stored get no tag
    login = client.get("/login")
    assert "ETag" not in login.headers and "no-store" in login.headers["Cache-Control"]
