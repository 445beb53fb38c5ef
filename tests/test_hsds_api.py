"""The HSDS 3.0 read endpoints: paging, filters, single services, errors."""

from __future__ import annotations

from buurtkaart import store
from buurtkaart.records import validate_activity, validate_organisation, validate_place
from buurtkaart.taxonomy import WORKING_MODELS

TRICKY = 'Vzw "De Loods"; Gent, ça va — <b>ok</b>'


def _rich_directory():
    org, _ = validate_organisation({"name": TRICKY, "url": "https://deloods.example",
                                    "email": "info@deloods.example"})
    other, _ = validate_organisation({"uid": "org-buddy", "name": "Buddywerking"})
    places, acts = [], []
    for i, (kind, wc, oh) in enumerate([
            ("drop_in_centre", "limited", "Mo-Fr 09:00-17:00; PH off"),
            ("community_house", "yes", "Tu,Th 13:00-21:00"),
            ("library", None, None)]):
        p, probs = validate_place({
            "uid": f"place-{i}" if i else None, "name": f"{TRICKY} {i}", "kind": kind,
            "organisation_uid": org["uid"] if i < 2 else None, "street": "Kerkstraat 1",
            "postcode": "9000", "city": "Gent", "lon": 3.72 + i / 1000, "lat": 51.05,
            "opening_hours": oh, "wheelchair": wc, "description": "line one\nline two; three",
            "url": "https://example.org/x", "phone": "+32 9 123 45 67",
            "email": "plek@example.org" if i == 0 else None, "capacity": 40 if i else None,
            "last_verified": "2026-03-01", "source": "test"})
        assert not probs, probs
        places.append(p)
    models = list(WORKING_MODELS)
    for i, model in enumerate(models):
        a, probs = validate_activity({
            "name": f"Activiteit {model}", "description": f"Over {model}, met \"quotes\"",
            "models": [model, models[(i + 1) % 7]], "place_uid": places[i % 3]["uid"],
            "organisation_uid": org["uid"],
            "sessions": ["Tu 18:00-20:00", "Mo[1] 10:00-12:00; Fr[-1] 19:00-22:00", ""][i % 3],
            "cost_amount": [0, 3.5, None][i % 3], "cost_note": "UiTPAS" if i % 3 == 1 else None,
            "walk_in": [True, False, None][i % 3], "childcare": [None, True, False][i % 3],
            "children_welcome": [False, None, True][i % 3], "no_internet": True,
            "wheelchair": [None, False, True][i % 3], "languages": ["nl", "nl;fr;ar", ""][i % 3],
            "target_group": "ouders" if i % 2 else None, "capacity": 12 if i % 2 else None,
            "url": "https://example.org/a", "email": "a@example.org", "phone": "09 123",
            "last_verified": "2026-05-0" + str(1 + i % 9), "source": "test",
            "sample": i == 6})
        assert not probs, probs
        acts.append(a)
    buddy, probs = validate_activity({"name": "Buddy’s voor nieuwkomers", "models": "buddy",
                                      "organisation_uid": other["uid"], "cost_amount": "gratis",
                                      "no_internet": "ja", "languages": "nl;en"})
    assert not probs
    acts.append(buddy)
    return [org, other], places, acts



def test_hsds_api_pages_filters_and_single_services(db, client):
    orgs, places, acts = _rich_directory()
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
    assert set(minimal) == {"id", "name", "description", "status", "organization_id"}
    sals = client.get("/api/hsds/service_at_locations?search=activiteit").get_json()
    assert sals["total_items"] == 7 and all(s["location"]["latitude"] for s in sals["contents"])
    for bad, param in (("page=0", "page"), ("per_page=9999", "per_page"), ("colour=1", "colour"),
                       ("minimal=perhaps", "minimal")):
        resp = client.get(f"/api/hsds/services?{bad}")
        assert resp.status_code == 400 and resp.get_json()["parameter"] == param
    # minimal is a /services option only (as documented); elsewhere it is refused, not ignored
    resp = client.get("/api/hsds/service_at_locations?minimal=true")
    assert resp.status_code == 400 and resp.get_json()["parameter"] == "minimal"
