"""The HSDS 3.0 read endpoints: paging, filters, single services, errors."""

from __future__ import annotations

from test_hsds import _directory

from buurtkaart import store


def test_hsds_api_pages_filters_and_single_services(db, client):
    orgs, places, acts = _directory()
    store.save_directory(db, organisations=orgs, places=places, activities=acts)
    first = client.get("/api/hsds/services?per_page=3").get_json()
    assert first["total_items"] == len(acts) and first["size"] == 3 and first["first_page"]
    assert first["total_pages"] == -(-len(acts) // 3) and not first["last_page"]
    last = client.get(f"/api/hsds/services?per_page=3&page={first['total_pages']}").get_json()
    assert last["last_page"] and last["size"] == len(acts) - 3 * (first["total_pages"] - 1)
    svc = first["contents"][0]
    assert client.get(f"/api/hsds/services/{svc['id']}").get_json()["name"] == svc["name"]
    assert client.get("/api/hsds/services/unknown").status_code == 404
    # taxonomy filter: the "buddy" working model term
    from buurtkaart.exporters.hsds import taxonomy_terms

    buddy_term = taxonomy_terms()[1][("buurtkaart-werkmodellen", "buddy")]["id"]
    buddy = client.get(f"/api/hsds/services?taxonomy_term_id={buddy_term}").get_json()
    names = {s["name"] for s in buddy["contents"]}
    assert names == {a["name"] for a in acts if "buddy" in a["models"]}
    minimal = client.get("/api/hsds/services?minimal=true&per_page=1").get_json()["contents"][0]
    assert set(minimal) == {"id", "modified_date"}  # "just id and modified_date" (HSDS 3.0)
    sals = client.get("/api/hsds/service_at_locations?search=activiteit").get_json()
    assert sals["total_items"] == 7 and all(s["location"]["latitude"] for s in sals["contents"])
    for bad, param in (("page=0", "page"), ("per_page=9999", "per_page"), ("colour=1", "colour"),
                       ("minimal=perhaps", "minimal")):
        resp = client.get(f"/api/hsds/services?{bad}")
        assert resp.status_code == 400 and resp.get_json()["parameter"] == param
    # minimal is a /services option only (as documented); elsewhere it is refused, not ignored
    resp = client.get("/api/hsds/service_at_locations?minimal=true")
    assert resp.status_code == 400 and resp.get_json()["parameter"] == "minimal"


# ---------------------------------------------------------------- the official API
import json  # noqa: E402

import hsds_official  # noqa: E402
import pytest  # noqa: E402
from test_hsds_feeds import (LOC_A, ORG, SAL_2, SVC_DEFUNCT, SVC_GBP, SVC_TWO,  # noqa: E402
                             feed)

from buurtkaart.exporters.hsds import taxonomy_terms  # noqa: E402
from buurtkaart.importers import import_directory  # noqa: E402


@pytest.fixture
def served(db, client, tmp_path):
    """The invented feed and the rich test directory, both stored."""
    path = tmp_path / "feed.json"
    path.write_text(json.dumps(feed()), encoding="utf-8")
    import_directory(db, path)
    orgs, places, acts = _directory()
    store.save_directory(db, organisations=orgs, places=places, activities=acts)
    return client


def _ids(client, path):
    return [o["id"] for o in client.get(f"/api/hsds/{path}?per_page=500").get_json()["contents"]]


def test_every_endpoint_of_the_official_openapi_document_answers_in_its_schema(served):
    """Each path of the HSDS 3.0 OpenAPI document, under /api/hsds, with a real id."""
    ids = {"/services/{id}": SVC_TWO, "/service_at_locations/{id}": SAL_2,
           "/organizations/{id}": ORG, "/taxonomies/{id}": _ids(served, "taxonomies")[0],
           "/taxonomy_terms/{id}": _ids(served, "taxonomy_terms")[0]}
    official = hsds_official.openapi()
    paths = official["paths"]
    assert set(paths) == {"/", "/services", "/service_at_locations", "/organizations",
                          "/taxonomies", "/taxonomy_terms", *ids}
    for path, item in paths.items():
        url = "/api/hsds" + path.replace("{id}", ids.get(path, ""))
        names = [official["components"]["parameters"][p["$ref"].rsplit("/", 1)[1]]["name"]
                 if "$ref" in p else p["name"] for p in item["get"].get("parameters", [])]
        # each boolean shape parameter the document lists for this path, both ways
        queries = [""] + [f"?{n}={v}" for n in ("full", "full_service") if n in names
                          for v in ("true", "false")]
        for query in queries:
            resp = served.get(url + query)
            assert resp.status_code == 200, (url + query, resp.get_json())
            schema = hsds_official.response_schema(path)
            if path == "/service_at_locations/{id}":
                # the 3.0 document points this path at compiled/service.json (which
                # requires a service's name and status); a service_at_location is what
                # the path returns, so it is checked against that schema
                schema = "compiled/service_at_location.json"
            assert hsds_official.errors(resp.get_json(), schema) == [], url + query
    about = served.get("/api/hsds/").get_json()
    assert about["version"] == "3.0" and about["openapi_url"].endswith("/api/openapi.json")


def test_the_official_parameters_are_accepted(served):
    base = "/api/hsds/"
    for path, query in (
            ("services", "modified_after=2000-01-01T00:00:00Z&full=false&format=json&page=1"
                         "&per_page=10&search=soepbar&taxonomy_term_id=x&taxonomy_id=y"
                         f"&organization_id={ORG}&minimal=false"),
            ("service_at_locations", "postcode=9000&proximity=2000&modified_after=2000-01-01"
                                     "&full=true&format=json&search=x&taxonomy_id=y"),
            ("organizations", "search=buurt&full=true&full_service=false&format=json"),
            ("taxonomies", "search=werk&page=1&per_page=5&format=json"),
            ("taxonomy_terms", "taxonomy_id=x&top_only=true&parent_id=y&search=z&format=json")):
        resp = served.get(base + path + "?" + query)
        assert resp.status_code == 200, (path, resp.get_json())
    for bad, param in (("services?modified_after=gisteren", "modified_after"),
                       ("services?format=xml", "format"), ("services?full=misschien", "full"),
                       ("service_at_locations?proximity=100", "proximity"),
                       ("service_at_locations?postcode=9000&proximity=ver", "proximity"),
                       ("service_at_locations?postcode=1234&proximity=10", "postcode"),
                       ("organizations/" + ORG + "?full=true", "full")):
        resp = served.get(base + bad)
        assert resp.status_code == 400 and resp.get_json()["parameter"] == param, bad


def test_modified_after_postcode_proximity_and_ndjson_select_what_they_say(served):
    names = {s["name"] for s in served.get(
        "/api/hsds/services?modified_after=2000-01-01&per_page=500").get_json()["contents"]}
    assert {"Soepbar", "Oude praatgroep", "Counselling"} <= names
    assert served.get("/api/hsds/services?modified_after=2999-01-01").get_json()["contents"] == []
    near = served.get("/api/hsds/service_at_locations?postcode=9050").get_json()["contents"]
    assert [(s["service"]["name"], s["location"]["addresses"][0]["postal_code"])
            for s in near] == [("Soepbar", "9050")]
    # Buurthuis A (9030) and B (9050) lie 700 m apart (0.01 degree of longitude at 51.05 N)
    around = served.get("/api/hsds/service_at_locations?postcode=9030&proximity=500").get_json()
    assert {s["location_id"] for s in around["contents"]} == {LOC_A}
    wider = served.get("/api/hsds/service_at_locations?postcode=9030&proximity=800").get_json()
    assert {s["service"]["name"] for s in wider["contents"]} >= {"Soepbar", "Oude praatgroep"}
    lines = served.get("/api/hsds/services?format=ndjson&per_page=1").get_data(as_text=True)
    ids = [json.loads(line)["id"] for line in lines.splitlines()]
    assert len(ids) > 1 and {SVC_TWO, SVC_DEFUNCT, SVC_GBP} <= set(ids)


def test_minimal_is_the_official_shape(served):
    page = served.get("/api/hsds/services?minimal=true&per_page=500").get_json()
    assert all(set(s) == {"id", "modified_date"} for s in page["contents"])
    assert hsds_official.errors(page, "openapi.json#/components/schemas/Page") == []
    assert SVC_TWO in {s["id"] for s in page["contents"]}


def test_a_threshold_term_matches_only_services_where_it_holds(served):
    """walk_in false is not walk_in."""
    _, terms = taxonomy_terms()
    walk_in = terms[("buurtkaart-drempels", "walk_in")]["id"]
    _, _, acts = _directory()
    page = served.get(f"/api/hsds/services?taxonomy_term_id={walk_in}&per_page=500").get_json()
    assert {s["name"] for s in page["contents"]} == {a["name"] for a in acts if a["walk_in"] == 1}
    assert any(a["walk_in"] == 0 for a in acts)  # the filter had something to leave out
    sals = served.get(f"/api/hsds/service_at_locations?taxonomy_term_id={walk_in}"
                      "&per_page=500").get_json()
    assert {s["service"]["name"] for s in sals["contents"]} == \
        {a["name"] for a in acts if a["walk_in"] == 1 and a["place_uid"]}


def test_organizations_taxonomies_and_terms_by_id(served):
    org = served.get(f"/api/hsds/organizations/{ORG}").get_json()
    assert org["name"] == "Buurtwerk Oost"
    assert {s["id"] for s in org["services"]} == {SVC_TWO, SVC_DEFUNCT, SVC_GBP}
    assert "service_at_locations" not in org["services"][0]  # full_service=true nests them
    full = served.get(f"/api/hsds/organizations/{ORG}?full_service=true").get_json()
    assert all("service_at_locations" in s for s in full["services"])
    taxonomies = served.get("/api/hsds/taxonomies").get_json()["contents"]
    assert {t["name"] for t in taxonomies} == {"buurtkaart-werkmodellen", "buurtkaart-drempels",
                                               "buurtkaart-velden"}
    models = next(t for t in taxonomies if t["name"] == "buurtkaart-werkmodellen")
    terms = served.get(f"/api/hsds/taxonomy_terms?taxonomy_id={models['id']}").get_json()
    assert terms["total_items"] == 7
    one = served.get(f"/api/hsds/taxonomy_terms/{terms['contents'][0]['id']}").get_json()
    assert one == terms["contents"][0]
    for path in ("organizations", "taxonomies", "taxonomy_terms", "service_at_locations"):
        assert served.get(f"/api/hsds/{path}/nope").status_code == 404
