"""Odd input never ends in a 500 or a traceback: huge integers in every integer parameter,
deeply nested JSON, CSV fields over Python's 128 KiB field limit, and neighbourhood codes
that would break their own URL. Each gets a clear 400 or import problem naming the place,
and the database is unchanged."""

from __future__ import annotations

import html
import json

import geopandas as gpd
import pytest
import shapely

from buurtkaart import store
from buurtkaart.cli import main
from buurtkaart.errors import ImportFailed
from buurtkaart.importers import import_directory
from buurtkaart.importers.geo import read_neighbourhoods
from buurtkaart.importers.hsds import read_hsds
from buurtkaart.importers.indicators import read_indicator_table
from buurtkaart.importers.tabular import read_csv, read_geojson

HUGE = "9" * 4400  # more digits than Python's int() converts (sys.get_int_max_str_digits)

#: every integer query parameter of the pages and the API: (path, parameter, is JSON)
INTEGER_PARAMETERS = [
    ("/places", "page", False),
    ("/activities", "page", False),
    ("/neighbourhoods", "page", False),
    ("/kaart", "year", False),
    ("/kaart", "isochrone", False),
    ("/kaart", "best", False),
    ("/kaart/frame", "year", False),
    ("/kaart/frame", "isochrone", False),
    ("/kaart/frame", "best", False),
    ("/outreach", "best", False),
    ("/api/isochrone", "place", True),
    ("/api/hsds/services", "per_page", True),
    ("/api/hsds/services", "page", True),
    ("/api/hsds/service_at_locations", "page", True),
    ("/api/hsds/service_at_locations", "per_page", True),
    ("/api/places", "limit", True),
    ("/api/places", "offset", True),
    ("/api/activities", "limit", True),
    ("/api/need-index", "year", True),
    ("/api/typology", "base_year", True),
    ("/api/finder", "limit", True),
    ("/api/best-locations", "k", True),
]


@pytest.fixture
def quiet_client(app):
    """A client that sees the 500 page a user would see, instead of the raised exception."""
    app.testing = False
    app.config["PROPAGATE_EXCEPTIONS"] = False
    return app.test_client()


@pytest.mark.parametrize(("path", "name", "is_json"), INTEGER_PARAMETERS)
def test_a_4400_digit_integer_is_a_400_naming_the_parameter(quiet_client, path, name, is_json):
    extra = "&lon=4.4&lat=51.2" if path == "/api/finder" else ""
    r = quiet_client.get(f"{path}?{name}={HUGE}{extra}")
    assert r.status_code == 400, (path, name, r.status_code, r.get_data(as_text=True)[:300])
    text = r.get_data(as_text=True)
    assert HUGE not in text  # the answer does not echo 4,400 digits back
    if is_json:
        body = r.get_json()
        assert body["ok"] is False and body["status"] == 400 and body["parameter"] == name
    else:  # the friendly page in the site layout, naming the parameter in its markup
        assert f'data-parameter="{name}"' in text and HUGE[:20] in html.unescape(text)


def test_changes_limit_with_4400_digits_is_a_400(quiet_client, db):
    from buurtkaart import accounts

    user = accounts.create_user(db, "admin@example.org", "correct horse battery", role="admin")
    token = accounts.create_token(db, user["id"])
    r = quiet_client.get(f"/api/changes?limit={HUGE}",
                         headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 400 and r.get_json()["parameter"] == "limit"


def test_ordinary_integers_still_work(client):
    assert client.get("/places?page=1").status_code == 200
    assert client.get("/api/places?limit=5&offset=0").status_code == 200
    r = client.get("/api/places?limit=0")
    assert r.status_code == 400 and r.get_json()["parameter"] == "limit"
    r = client.get("/api/hsds/services?per_page=-3")
    assert r.status_code == 400 and r.get_json()["parameter"] == "per_page"


# ------------------------------------------------------------------ deeply nested JSON
DEEP = "[" * 50_000 + "]" * 50_000


def _deep_feature_collection() -> str:
    return ('{"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": null, '
            '"properties": {"activity_name": "x", "description": ' + DEEP + '}}]}')


@pytest.mark.parametrize("reader,suffix,text", [
    (read_geojson, ".geojson", _deep_feature_collection()),
    (read_hsds, ".json", '{"services": ' + DEEP + "}"),
    (import_directory, ".json", '{"services": ' + DEEP + "}"),
])
def test_deeply_nested_json_is_an_import_problem(db, tmp_path, reader, suffix, text):
    path = tmp_path / f"deep{suffix}"
    path.write_text(text, encoding="utf-8")
    before = list(db.conn.iterdump())
    with pytest.raises(ImportFailed) as info:
        reader(db, path) if reader is import_directory else reader(path)
    assert info.value.problems[0].file == str(path)
    assert "nested too deeply" in str(info.value)
    assert list(db.conn.iterdump()) == before


def test_deeply_nested_json_on_the_command_line(runner, db_path, tmp_path):
    path = tmp_path / "deep.geojson"
    path.write_text(_deep_feature_collection(), encoding="utf-8")
    result = runner.invoke(main, ["import", "places", str(path)])
    assert result.exit_code == 1
    assert "nested too deeply" in result.stderr and "Traceback" not in result.stderr
    hoods = tmp_path / "deep-hoods.geojson"
    hoods.write_text('{"type": "FeatureCollection", "crs": ' + DEEP + ', "features": []}')
    result = runner.invoke(main, ["import", "neighbourhoods", str(hoods)])
    assert result.exit_code == 1, result.output
    assert str(hoods) in result.stderr and "Traceback" not in result.stderr


def test_deeply_nested_json_in_a_web_body_is_a_400(quiet_client):
    r = quiet_client.post("/api/scenario", data=DEEP, content_type="application/json")
    assert r.status_code == 400
    assert r.get_json()["ok"] is False


# ------------------------------------------------------------------ huge CSV fields
def test_a_csv_field_over_128_kib_is_a_problem_naming_the_row(db, tmp_path):
    path = tmp_path / "big.csv"
    path.write_text("place_name;lon;lat;place_description\n"
                    "A;4.4;51.2;short\n"
                    f"B;4.4;51.2;\"{'x' * 200_000}\"\n", encoding="utf-8")
    before = list(db.conn.iterdump())
    with pytest.raises(ImportFailed) as info:
        import_directory(db, path)
    problem = info.value.problems[0]
    assert problem.file == str(path) and problem.where == "row 3"
    assert "too long" in problem.reason
    assert list(db.conn.iterdump()) == before


def test_an_indicator_field_over_128_kib_is_a_problem_naming_the_row(tmp_path):
    path = tmp_path / "ind.csv"
    path.write_text(f"code,year,population\nA,2020,1\nB,2020,\"{'1' * 200_000}\"\n")
    with pytest.raises(ImportFailed) as info:
        read_indicator_table(path)
    assert info.value.problems[0].where == "row 3"
    assert "too long" in info.value.problems[0].reason


# ------------------------------------------------------------------ codes that break URLs
@pytest.mark.parametrize("code", ["44021/01", "a?b", "wijk#3", "..", "50%", "a\\b"])
def test_a_neighbourhood_code_that_breaks_its_url_is_refused(db, tmp_path, code):
    path = tmp_path / "hoods.geojson"
    gpd.GeoDataFrame({"code": ["4402101", code]},
                     geometry=[shapely.box(3.70, 51.04, 3.71, 51.05),
                               shapely.box(3.71, 51.04, 3.72, 51.05)],
                     crs=4326).to_file(path, driver="GeoJSON")
    with pytest.raises(ImportFailed) as info:
        read_neighbourhoods(path)
    problem = info.value.problems[0]
    assert problem.where == "feature 2" and problem.field == "code"
    assert repr(code) in problem.reason


def test_an_ordinary_code_still_imports_and_its_page_opens(client, db, tmp_path):
    path = tmp_path / "hoods.geojson"
    gpd.GeoDataFrame({"code": ["11002ANT01", "21001_803"]},
                     geometry=[shapely.box(3.70, 51.04, 3.71, 51.05),
                               shapely.box(3.71, 51.04, 3.72, 51.05)],
                     crs=4326).to_file(path, driver="GeoJSON")
    frame, _ = read_neighbourhoods(path)
    store.save_neighbourhoods(db, frame, source="t")
    assert client.get("/neighbourhoods/21001_803").status_code == 200
    assert json.loads(client.get("/api/neighbourhoods/11002ANT01").data)["id"] == "11002ANT01"
