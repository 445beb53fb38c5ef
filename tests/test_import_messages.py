"""Messages that say what is wrong and where: NaN coordinates name their feature, an
over-long name is called too long (not "Too many characters in number"), an unclosed CSV
quote is named where it opens (not as a missing coordinate further on), and web-import
warnings show the uploaded file's name, never the server's temporary path."""

from __future__ import annotations

import io
import json

import pytest
import shapely

from buurtkaart import accounts, store
from buurtkaart.errors import ImportFailed
from buurtkaart.importers import import_directory
from buurtkaart.importers.geo import read_neighbourhoods

SQUARE = [[3.70, 51.04], [3.71, 51.04], [3.71, 51.05], [3.70, 51.05], [3.70, 51.04]]


def _hoods(path, second_props: dict, second_ring: list) -> None:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": "A"},
         "geometry": {"type": "Polygon", "coordinates": [SQUARE]}},
        {"type": "Feature", "properties": second_props,
         "geometry": {"type": "Polygon", "coordinates": [second_ring]}}]}))


def test_nan_coordinates_name_their_feature(tmp_path):
    path = tmp_path / "nan.geojson"
    ring = [[3.72, 51.04], [float("nan"), 51.04], [3.73, 51.05], [3.72, 51.04]]
    _hoods(path, {"code": "B"}, ring)
    with pytest.raises(ImportFailed) as info:
        read_neighbourhoods(path)
    [problem] = info.value.problems
    assert (problem.where, problem.field) == ("feature 2", "geometry")
    assert "not a number" in problem.reason


@pytest.mark.parametrize("length", [10_000_000, 5000])  # GDAL cannot read / reads it
def test_a_long_name_is_called_too_long_naming_the_feature(tmp_path, length):
    path = tmp_path / "long.geojson"
    _hoods(path, {"code": "B", "name": "x" * length},
           [[3.72, 51.04], [3.73, 51.04], [3.73, 51.05], [3.72, 51.04]])
    with pytest.raises(ImportFailed) as info:
        read_neighbourhoods(path)
    assert "Too many characters in number" not in str(info.value)
    [problem] = info.value.problems
    assert (problem.where, problem.field) == ("feature 2", "name")
    assert f"{length:,}" in problem.reason and "long" in problem.reason


def test_an_unclosed_quote_is_named_where_it_opens(db, tmp_path):
    path = tmp_path / "quote.csv"
    path.write_text("place_name,lon,lat,place_description\n"
                    "A,4.40,51.20,fine\n"
                    "B,4.41,51.21,\"opens here\n"
                    "C,4.42,51.22,never closed\n"
                    "D,4.43,51.23,end\n", encoding="utf-8")
    with pytest.raises(ImportFailed) as info:
        import_directory(db, path)
    [problem] = info.value.problems
    assert problem.where == "row 3"
    assert "never closed" in problem.reason and "coordinate" not in problem.reason
    assert store.counts(db)["places"] == 0


def test_web_import_warnings_show_the_uploaded_name_not_the_server_path(app, client):
    with app.app_context():
        from buurtkaart.web.db import get_db

        accounts.create_user(get_db(), "admin@stad.be", "correct horse battery staple",
                             role="admin")
    with client.session_transaction() as s:
        s["csrf"] = "t"
    client.post("/login", data={"email": "admin@stad.be",
                                "password": "correct horse battery staple", "csrf_token": "t"})
    with client.session_transaction() as s:  # logging in may start a new session
        token = s.setdefault("csrf", "t")
    # a numeric code column and a self-intersecting polygon: two warnings
    bowtie = [[3.70, 51.04], [3.71, 51.05], [3.71, 51.04], [3.70, 51.05], [3.70, 51.04]]
    body = json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": 4402101},
         "geometry": {"type": "Polygon", "coordinates": [bowtie]}}]}).encode()
    r = client.post("/admin/import", data={"kind": "neighbourhoods", "csrf_token": token,
                                           "file": (io.BytesIO(body), "wijken gent.geojson")},
                    content_type="multipart/form-data")
    text = r.get_data(as_text=True)
    assert r.status_code == 200, text[:500]
    assert "Warnings" in text and "wijken_gent.geojson" in text
    assert "buurtkaart-upload-" not in text and "upload.geojson" not in text
    assert "/tmp" not in text
    assert shapely.Point(3.701, 51.045).within(
        store.neighbourhood(store.connect(app.config["DATABASE"]), "4402101")["geometry"])
