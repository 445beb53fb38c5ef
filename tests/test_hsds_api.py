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
