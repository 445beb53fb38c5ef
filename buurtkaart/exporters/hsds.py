"""The directory as Open Referral HSDS 3.0 JSON (see :mod:`buurtkaart.importers.hsds`
for the mapping, and docs/hsds.md).

The document is one object with the top-level arrays ``organizations``,
``services``, ``locations``, ``service_at_locations``, ``taxonomies`` and
``taxonomy_terms``; schedules, attributes, addresses, phones, languages and
cost options are nested in their parent as the HSDS 3.0 schema nests them.
Every id is a UUID. Properties without a value are left out rather than
written as ``null`` (the schema types them as strings or numbers).
"""

from __future__ import annotations

import json
from pathlib import Path

from .. import store
from ..importers.hsds import (BYDAY, FIELDS_TAXONOMY, MODELS_TAXONOMY, THRESHOLD_CODES,
                              THRESHOLDS_TAXONOMY, hsds_id, opening_hours_to_weekly)
from ..hours import describe_session
from ..taxonomy import THRESHOLDS, WORKING_MODELS
from . import atomic_write

__all__ = ["write", "document", "taxonomy_terms"]

_TAXONOMIES = {
    MODELS_TAXONOMY: "The seven working models of network strengthening (Kenniscentrum "
                     "Gezinswetenschappen, Odisee)",
    THRESHOLDS_TAXONOMY: "Thresholds that decide whether a place is reachable for someone "
                         "(value true or false)",
    FIELDS_TAXONOMY: "buurtkaart fields HSDS has no column for (value as text)",
}
_FIELD_TERMS = {"uid": "original buurtkaart identifier", "kind": "place kind",
                "opening_hours": "OpenStreetMap opening_hours expression",
                "wheelchair": "OSM wheelchair access (yes, limited, no)",
                "email": "e-mail of the place", "capacity": "capacity in people",
                "last_verified": "date last verified", "source": "source of the record",
                "sample": "1 when generated sample data"}


def _term(taxonomy: str, code: str, name: str, description: str) -> dict:
    tid = hsds_id(f"taxonomy:{taxonomy}")
    return {"id": hsds_id(f"term:{taxonomy}:{code}"), "code": code, "name": name,
            "description": description, "taxonomy": taxonomy, "taxonomy_id": tid,
            "language": "nl"}


def taxonomy_terms() -> tuple[list[dict], dict[tuple[str, str], dict]]:
    """The three buurtkaart taxonomies and their terms keyed by (taxonomy, code)."""
    taxonomies = [{"id": hsds_id(f"taxonomy:{name}"), "name": name, "description": desc,
                   "uri": f"https://buurtkaart.example/taxonomies/{name}", "version": "1"}
                  for name, desc in _TAXONOMIES.items()]
    terms = {}
    for key, m in WORKING_MODELS.items():
        terms[(MODELS_TAXONOMY, key)] = _term(MODELS_TAXONOMY, key, m.label_nl, m.label_en)
    for key in THRESHOLD_CODES:
        t = THRESHOLDS[key]
        terms[(THRESHOLDS_TAXONOMY, key)] = _term(THRESHOLDS_TAXONOMY, key, t.label_nl, t.question)
    for key, desc in _FIELD_TERMS.items():
        terms[(FIELDS_TAXONOMY, key)] = _term(FIELDS_TAXONOMY, key, key, desc)
    return taxonomies, terms


def _attr(terms, link_id: str, entity: str, taxonomy: str, code: str, value) -> dict:
    term = terms[(taxonomy, code)]
    return {"id": hsds_id(f"attr:{link_id}:{taxonomy}:{code}"), "link_id": link_id,
            "link_type": taxonomy, "link_entity": entity, "taxonomy_term_id": term["id"],
            "taxonomy_term": term, "value": None if value is None else str(value)}


def _field_attrs(terms, link_id, entity, rec: dict, keys) -> list[dict]:
    out = []
    for key in keys:
        v = rec.get(key)
        if v not in (None, "", 0) or (key == "sample" and v):
            out.append(_attr(terms, link_id, entity, FIELDS_TAXONOMY, key, v))
    return out


_TZ_NOTE = "times are local time in Belgium (Europe/Brussels)"


def _schedules(sessions, link: dict) -> list[dict]:
    out = []
    for s in sessions:
        byday = BYDAY[s.weekday] if s.nth is None else f"{s.nth}{BYDAY[s.weekday]}"
        out.append({"id": hsds_id(f"schedule:{next(iter(link.values()))}:{byday}:{s.start}"),
                    **link, "freq": "WEEKLY" if s.nth is None else "MONTHLY", "interval": 1,
                    "byday": byday, "opens_at": s.start, "closes_at": s.end,
                    "description": describe_session(s), "notes": _TZ_NOTE})
    return out


def _location_schedules(expression: str | None, location_id: str) -> list[dict]:
    """HSDS weekly schedules for a simple OSM ``opening_hours`` (else none).

    Days with the same hours share one schedule (``byday: MO,TU,WE``). The
    exact OSM expression always travels in the location's ``opening_hours``
    attribute, so nothing is lost when it cannot be written as schedules.
    """
    weekly = opening_hours_to_weekly(expression)
    if not weekly:
        return []
    days_by_hours: dict[tuple[str, str], list[int]] = {}
    for day, opens, closes in weekly:
        days_by_hours.setdefault((opens, closes), []).append(day)
    return [{"id": hsds_id(f"schedule:{location_id}:{opens}-{closes}"),
             "location_id": location_id, "freq": "WEEKLY", "interval": 1,
             "byday": ",".join(BYDAY[d] for d in days), "opens_at": opens,
             "closes_at": closes, "notes": _TZ_NOTE,
             "description": f"from OpenStreetMap opening_hours: {expression}"}
            for (opens, closes), days in days_by_hours.items()]


def _clean(obj):
    """Drop ``None`` values (recursively): HSDS types these properties as strings."""
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items() if v is not None}
    if isinstance(obj, list):
        return [_clean(v) for v in obj]
    return obj


def _service(a: dict, sid: str) -> dict:
    """The HSDS service of activity ``a`` (its status and currency as stored)."""
    return {"id": sid, "name": a["name"], "description": a.get("description") or "",
            "status": a.get("status") or "active", "url": a.get("url"), "email": a.get("email"),
            "organization_id": hsds_id(a["organisation_uid"]) if a.get("organisation_uid")
            else None,
            "eligibility_description": a.get("target_group"),
            "assured_date": a.get("last_verified"),
            "languages": [{"id": hsds_id(f"lang:{a['uid']}:{c}"), "service_id": sid,
                           "code": c, "name": c} for c in a["languages"]],
            "cost_options": ([{"id": hsds_id(f"cost:{a['uid']}"), "service_id": sid,
                               "amount": a["cost_amount"],
                               "currency": a.get("cost_currency") or "EUR",
                               "option": a.get("cost_note")}]
                             if a.get("cost_amount") is not None else []),
            "phones": ([{"id": hsds_id(f"phone:{a['uid']}"), "service_id": sid,
                         "number": a["phone"]}] if a.get("phone") else []),
            "last_modified": a.get("modified_at"),
            "schedules": [], "attributes": []}


def document(db) -> dict:
    """The whole (non-archived) directory as one HSDS 3.0 document (a dict); every
    activity whatever its status (HSDS says it in ``status``)."""
    taxonomies, terms = taxonomy_terms()
    orgs = [{"id": hsds_id(o["uid"]), "name": o["name"], "description": o.get("description") or "",
             "website": o.get("url"), "email": o.get("email"),
             "phones": ([{"id": hsds_id(f"phone:{o['uid']}"),
                          "organization_id": hsds_id(o["uid"]), "number": o["phone"]}]
                        if o.get("phone") else []),
             "attributes": _field_attrs(terms, hsds_id(o["uid"]), "organization",
                                        {"uid": o["uid"] if hsds_id(o["uid"]) != o["uid"]
                                         else None}, ["uid"])}
            for o in store.organisations(db)]
    locations, services, sals = [], [], []
    for p in store.places(db):
        lid = hsds_id(p["uid"])
        has_address = any(p.get(k) for k in ("street", "postcode", "city"))
        loc = {"id": lid, "location_type": "physical", "name": p["name"],
               "description": p.get("description"), "url": p.get("url"),
               "organization_id": hsds_id(p["organisation_uid"]) if p.get("organisation_uid")
               else None,
               "latitude": p["lat"], "longitude": p["lon"],
               "addresses": ([{"id": hsds_id(f"address:{p['uid']}"), "location_id": lid,
                               "address_1": p.get("street") or "", "city": p.get("city") or "",
                               "postal_code": p.get("postcode") or "", "country": "BE",
                               "state_province": "", "address_type": "physical"}]
                             if has_address else []),
               "phones": ([{"id": hsds_id(f"phone:{p['uid']}"), "location_id": lid,
                            "number": p["phone"]}] if p.get("phone") else []),
               "accessibility": ([{"id": hsds_id(f"access:{p['uid']}"), "location_id": lid,
                                   "description": f"wheelchair: {p['wheelchair']}"}]
                                 if p.get("wheelchair") else []),
               "schedules": _location_schedules(p.get("opening_hours"), lid),
               "attributes": _field_attrs(
                   terms, lid, "location",
                   {**p, "uid": p["uid"] if hsds_id(p["uid"]) != p["uid"] else None},
                   ["uid", "kind", "opening_hours", "wheelchair", "email", "capacity",
                    "last_verified", "source", "sample"])}
        locations.append(loc)
    services_by_id: dict[str, dict] = {}
    for a in store.activities(db, include_inactive=True):
        # several activities of one HSDS service (one per location) are one service again
        sid = hsds_id(a["service_uid"] or f"service:{a['uid']}")
        link_id = hsds_id(a["uid"]) if a.get("place_uid") else sid
        entity = "service_at_location" if a.get("place_uid") else "service"
        attrs = [_attr(terms, link_id, entity, MODELS_TAXONOMY, m, "true") for m in a["models"]]
        attrs += [_attr(terms, link_id, entity, THRESHOLDS_TAXONOMY, k,
                        "true" if a[k] else "false") for k in THRESHOLD_CODES if a[k] is not None]
        attrs += _field_attrs(terms, link_id, entity, a, ["uid", "capacity", "source", "sample"])
        svc = services_by_id.get(sid)
        if svc is not None and (a.get("modified_at") or "") > svc.get("last_modified", ""):
            svc["last_modified"] = a["modified_at"]  # the service changed at any location
        if svc is None:
            svc = services_by_id[sid] = _service(a, sid)
            services.append(svc)
        if a.get("place_uid"):
            sals.append({"id": link_id, "service_id": sid,
                         "location_id": hsds_id(a["place_uid"]),
                         "schedules": _schedules(a["sessions"],
                                                 {"service_at_location_id": link_id}),
                         "attributes": attrs})
        else:
            svc["schedules"] = _schedules(a["sessions"], {"service_id": sid})
            svc["attributes"] = attrs
    return _clean({"organizations": orgs, "services": services, "locations": locations,
                   "service_at_locations": sals, "taxonomies": taxonomies,
                   "taxonomy_terms": list(terms.values())})


def write(db, out: Path) -> str:
    """Write the directory to ``out`` as HSDS 3.0 JSON; returns a one-line summary."""
    doc = document(db)
    atomic_write(out, json.dumps(doc, ensure_ascii=False, indent=1))
    return (f"{len(doc['services'])} services, {len(doc['locations'])} locations and "
            f"{len(doc['organizations'])} organizations to {out}")
