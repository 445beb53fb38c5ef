"""Fuzzing: a bounded schemathesis run against the OpenAPI document, and hypothesis
fuzzing of every importer (arbitrary input never crashes, never half-loads)."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from buurtkaart import create_app, store
from buurtkaart.demo import build_demo
from buurtkaart.errors import ImportFailed

_TMP = Path(tempfile.mkdtemp(prefix="buurtkaart-fuzz-"))
_db = store.connect(_TMP / "fuzz.db")
build_demo(_db, progress=lambda _m: None)
_db.conn.close()
APP = create_app({"DATABASE": str(_TMP / "fuzz.db"), "TESTING": True,
                  "RATE_LIMITS": {"login": (10**6, 60), "write": (10**6, 60)}})
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", APP)


@schema.parametrize()
@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
def test_api_never_fails_with_a_server_error(case):
    """Whatever the parameters, the API answers with a result or a 4xx naming the problem."""
    response = case.call()
    assert response.status_code < 500, (case.method, case.formatted_path, case.query,
                                        response.text[:500])
    if response.status_code >= 400 and response.headers.get("Content-Type", "").startswith(
            "application/json"):
        body = response.json()
        assert body["ok"] is False and body["status"] == response.status_code and body["error"]


# ---------------------------------------------------------------- importers
def _import_must_be_clean(reader, path: Path):
    """Either records come back, or ImportFailed with located problems; nothing else."""
    try:
        reader(path)
    except ImportFailed as exc:
        assert exc.problems and all(p.file == str(path) for p in exc.problems)


_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=400)
_cells = st.lists(st.lists(st.one_of(_text.map(lambda t: t[:30]), st.floats().map(str),
                                     st.sampled_from(["", "ja", "nee", "gratis", "3,50",
                                                      "Tu 18:00-20:00", "buddy", "51.05",
                                                      "Mo-Fr 09:00-17:00", "4402101"])),
                           min_size=1, max_size=6), min_size=0, max_size=6)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(header=st.lists(st.sampled_from(["place_name", "lon", "lat", "kind", "activity_name",
                                        "models", "sessions", "cost", "walk_in", "languages",
                                        "opening_hours", "x"]), min_size=1, max_size=6,
                       unique=True),
       rows=_cells, delimiter=st.sampled_from([",", ";"]))
def test_csv_importer_fuzz(header, rows, delimiter):
    from buurtkaart.importers.tabular import read_csv

    path = _TMP / "fuzz.csv"
    lines = [delimiter.join(header)] + [delimiter.join(c.replace("\n", " ") for c in r)
                                        for r in rows]
    path.write_text("\n".join(lines), encoding="utf-8")
    _import_must_be_clean(read_csv, path)


_json = st.recursive(st.none() | st.booleans() | st.floats(allow_nan=False) | st.integers()
                     | _text.map(lambda t: t[:20]),
                     lambda children: st.lists(children, max_size=4)
                     | st.dictionaries(st.sampled_from(
                         ["type", "features", "geometry", "properties", "coordinates", "name",
                          "place_name", "activities", "services", "organizations", "locations",
                          "id", "schedules", "freq", "byday", "latitude", "longitude",
                          "service_at_locations", "attributes"]), children, max_size=5),
                     max_leaves=25)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=_json)
def test_geojson_and_hsds_importers_fuzz(doc):
    from buurtkaart.importers.hsds import read_hsds
    from buurtkaart.importers.tabular import read_geojson

    path = _TMP / "fuzz.json"
    path.write_text(json.dumps(doc))
    _import_must_be_clean(read_geojson, path)
    _import_must_be_clean(read_hsds, path)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=_cells, wide=st.booleans())
def test_indicator_importer_fuzz(rows, wide):
    from buurtkaart.importers.indicators import read_indicator_table

    header = "code;year;population;renter_share" if wide else "code;year;indicator;value"
    path = _TMP / "fuzz_ind.csv"
    path.write_text(header + "\n" + "\n".join(";".join(c.replace("\n", " ") for c in r)
                                              for r in rows), encoding="utf-8")
    _import_must_be_clean(read_indicator_table, path)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=2000))
def test_geo_and_osm_importers_fuzz(data):
    from buurtkaart.importers.geo import read_neighbourhoods
    from buurtkaart.importers.osm import read_osm

    for name, reader in (("fuzz.geojson", lambda p: read_neighbourhoods(p)),
                         ("fuzz.osm.pbf", read_osm)):
        path = _TMP / name
        path.write_bytes(data)
        _import_must_be_clean(reader, path)


def test_hostile_strings_in_every_field_stay_escaped(tmp_path):
    """Every text field of a place and an activity filled with markup, on every page."""
    from buurtkaart.importers.tabular import CSV_COLUMNS

    hostile = '"><script>alert(1)</script><img src=x onerror=alert(2)>'
    numeric = {"lon": "3.72", "lat": "51.05", "kind": "other", "models": "peer",
               "sessions": "Tu 10:00-12:00", "cost": "0", "walk_in": "yes", "childcare": "no",
               "children_welcome": "", "no_internet": "", "wheelchair": "", "languages": "nl",
               "place_wheelchair": "yes", "place_capacity": "", "capacity": "",
               "place_last_verified": "", "last_verified": "", "place_sample": "",
               "sample": "", "opening_hours": "Mo 10:00-12:00",
               # valid addresses that still carry markup
               "place_url": 'https://example.org/"><script>alert(3)</script>',
               "url": "https://example.org/?q='><img src=x onerror=alert(4)>",
               "place_email": "x@example.org", "email": "y@example.org",
               # identifiers appear in admin URLs: markup without a slash
               "place_uid": '"><img src=x onerror=alert(5)>',
               "activity_uid": "'><img src=x onerror=alert(6)>",
               "organisation_uid": '"><img src=x onerror=alert(7)>'}
    row = {c: numeric.get(c, hostile) for c in CSV_COLUMNS}
    csv_path = tmp_path / "hostile.csv"
    import csv as _csv

    with open(csv_path, "w", newline="") as fh:
        w = _csv.DictWriter(fh, fieldnames=list(CSV_COLUMNS))
        w.writeheader()
        w.writerow(row)
    db_path = tmp_path / "h.db"
    db = store.connect(db_path)
    from buurtkaart.importers import import_directory

    import_directory(db, csv_path)
    app = create_app({"DATABASE": str(db_path), "TESTING": True})
    client = app.test_client()
    pid = store.places(db)[0]["id"]
    aid = store.activities(db)[0]["id"]
    place, activity = store.places(db)[0], store.activities(db)[0]
    assert "<script>" in place["url"] and "<img" in activity["url"]  # stored as given
    from buurtkaart import accounts

    accounts.create_user(db, "admin@stad.be", "correct horse battery", role="admin")
    with client.session_transaction() as sess:
        sess["csrf"] = "t"
    assert client.post("/login", data={"email": "admin@stad.be", "csrf_token": "t",
                                       "password": "correct horse battery"}).status_code == 302
    from urllib.parse import quote

    for url in ("/", "/kaart", "/kaart/frame", "/places", f"/places/{pid}", "/activities",
                f"/activities/{aid}", "/neighbourhoods", "/admin/", "/admin/history",
                f"/admin/places/{quote(place['uid'])}",
                f"/admin/activities/{quote(activity['uid'])}", "/api/docs"):
        resp = client.get(url)
        assert resp.status_code == 200, url
        body = resp.get_data(as_text=True)
        assert "<script>alert" not in body and "<img src=x" not in body, url
