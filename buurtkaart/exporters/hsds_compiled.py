"""The HSDS 3.0 API's views of the export document (:func:`.hsds.document`).

The 3.0 OpenAPI document defines, per endpoint, a *compiled* object (everything
nested: a service with its organization and service_at_locations, each with its
location) and a *list* shape with only the one-to-one fields. These functions build
both from the same document the ``export hsds`` command writes, so the API and the
export cannot disagree.
"""

from __future__ import annotations

__all__ = ["Views", "holds"]

def _one_to_one(obj: dict | None) -> dict | None:
    """``obj`` with only its single-valued fields (the ``*_list`` schemas' shape)."""
    if obj is None:
        return None
    return {k: v for k, v in obj.items() if not isinstance(v, (list, dict))}


def holds(attribute: dict) -> bool:
    """Does the attribute say its term applies? ``walk_in`` with value ``false`` does not."""
    return str(attribute.get("value", "true")).strip().lower() not in ("false", "0", "no")


class Views:
    """Compiled and list views of one export document."""

    def __init__(self, doc: dict):
        self.doc = doc
        self.orgs = {o["id"]: o for o in doc["organizations"]}
        self.locations = {loc["id"]: loc for loc in doc["locations"]}
        self.services = {s["id"]: s for s in doc["services"]}
        self.taxonomies = {t["id"]: t for t in doc["taxonomies"]}
        self.terms = {t["id"]: t for t in doc["taxonomy_terms"]}
        self.sals: dict[str, list[dict]] = {}
        for sal in doc["service_at_locations"]:
            self.sals.setdefault(sal["service_id"], []).append(sal)
        self.sal_by_id = {sal["id"]: sal for sal in doc["service_at_locations"]}

    # -- services ----------------------------------------------------------
    def service(self, svc: dict) -> dict:
        """The compiled service (``/services/{id}``)."""
        out = {**svc, "service_at_locations": [
            {**sal, "location": self.locations.get(sal["location_id"])}
            for sal in self.sals.get(svc["id"], [])]}
        if svc.get("organization_id") in self.orgs:
            out["organization"] = self.orgs[svc["organization_id"]]
        return out

    def service_list_item(self, svc: dict) -> dict:
        """A service with only one-to-one fields and its organization (``/services``)."""
        out = _one_to_one(svc)
        if svc.get("organization_id") in self.orgs:
            out["organization"] = _one_to_one(self.orgs[svc["organization_id"]])
        return out

    # -- service_at_locations ----------------------------------------------
    def service_at_location(self, sal: dict) -> dict:
        """The compiled service_at_location (``/service_at_locations/{id}``)."""
        svc = self.services[sal["service_id"]]
        service = {**svc}
        if svc.get("organization_id") in self.orgs:
            service["organization"] = self.orgs[svc["organization_id"]]
        return {**sal, "location": self.locations.get(sal["location_id"]), "service": service}

    def service_at_location_list_item(self, sal: dict) -> dict:
        return {**_one_to_one(sal), "location": _one_to_one(self.locations.get(sal["location_id"])),
                "service": self.service_list_item(self.services[sal["service_id"]])}

    # -- organizations -----------------------------------------------------
    def organization(self, org: dict, *, full_service: bool) -> dict:
        """The compiled organization (``/organizations/{id}``): its services (in full with
        ``full_service``, else their one-to-one fields) and its locations."""
        services = [s for s in self.doc["services"] if s.get("organization_id") == org["id"]]
        return {**org,
                "services": [self.service(s) if full_service else self.service_list_item(s)
                             for s in services],
                "locations": [loc for loc in self.doc["locations"]
                              if loc.get("organization_id") == org["id"]]}

    # -- filters -----------------------------------------------------------
    def attributes(self, svc: dict) -> list[dict]:
        """The attributes of a service and of its service_at_locations."""
        out = list(svc.get("attributes") or [])
        for sal in self.sals.get(svc["id"], []):
            out += sal.get("attributes") or []
        return out

    def term_ids(self, attributes: list[dict]) -> set[str]:
        return {a["taxonomy_term_id"] for a in attributes if holds(a)}

    def taxonomy_ids(self, attributes: list[dict]) -> set[str]:
        return {self.terms[t]["taxonomy_id"] for t in self.term_ids(attributes)
                if t in self.terms}
