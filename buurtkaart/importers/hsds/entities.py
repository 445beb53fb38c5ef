"""HSDS 3.0 objects -> buurtkaart records (see docs/hsds.md for the mapping).

- organization -> organisation; physical location -> place;
- service at a location -> one activity per service_at_location (all sharing
  the service's id as ``service_uid``, so the export writes one service
  again); a service without a physical location -> a mobile activity;
- ``status`` and the cost's ``currency`` are stored as given, never changed;
- working models: attributes whose taxonomy term is in ``MODELS_TAXONOMY``
  (term code = model key); a service without any is "not yet classified"
  (or gets ``default_model``), never refused;
- thresholds: attributes in ``THRESHOLDS_TAXONOMY`` (value ``true``/``false``);
- everything else HSDS has no field for: attributes in ``FIELDS_TAXONOMY``.
"""

from __future__ import annotations

import re
from typing import Any

from ...errors import ImportFailed, Problem
from ...i18n import Msg
from ...records import Directory, validate_activity, validate_organisation, validate_place
from .schedules import ended_on, schedule_sessions, weekly_to_opening_hours
from .shapes import Feed, at
from .vocabulary import (FIELDS_TAXONOMY, MODELS_TAXONOMY, THRESHOLD_CODES,
                         THRESHOLDS_TAXONOMY, hsds_id)

__all__ = ["read_feed"]


class _Reader:
    def __init__(self, file: str, feed: Feed, default_model: str | None):
        self.file = file
        self.default_model = default_model
        self.problems: list[Problem] = []
        self.orgs: dict[str, dict] = {}
        self.places: dict[str, dict] = {}
        self.activities: list[dict] = []
        self.unclassified: list[str] = []
        self.warnings: list[tuple[str, str]] = []
        self.taxonomies = {str(t["id"]): t.get("name") for t in feed.taxonomies if t.get("id")}
        self.terms = {str(t["id"]): t for t in feed.taxonomy_terms if t.get("id")}

    def problem(self, where: str, field: str | None, reason: str) -> None:
        self.problems.append(Problem(self.file, where or None, field, reason))

    def warn(self, where: str, message: str) -> None:
        if (where, message) not in self.warnings:
            self.warnings.append((where, message))

    def term(self, attr: dict) -> tuple[str | None, str | None]:
        """(taxonomy name, term code) of an attribute."""
        term = attr.get("taxonomy_term")
        if not isinstance(term, dict):
            term = self.terms.get(str(attr.get("taxonomy_term_id")))
        if not isinstance(term, dict):
            return None, None
        taxonomy = term.get("taxonomy")
        if isinstance(term.get("taxonomy_detail"), dict):
            taxonomy = term["taxonomy_detail"].get("name") or taxonomy
        if not taxonomy and term.get("taxonomy_id"):
            taxonomy = self.taxonomies.get(str(term["taxonomy_id"]))
        return taxonomy, term.get("code")

    def fields(self, obj: dict) -> dict[str, str]:
        return {code: a.get("value") for a in _attributes(obj)
                for tax, code in [self.term(a)] if tax == FIELDS_TAXONOMY and code}


def _attributes(obj: dict | None) -> list[dict]:
    attrs = (obj or {}).get("attributes") or []
    return [a for a in attrs if isinstance(a, dict)] if isinstance(attrs, list) else []


def _first(obj: dict, key: str) -> dict:
    items = obj.get(key)
    first = items[0] if isinstance(items, list) and items else {}
    return first if isinstance(first, dict) else {}


def _place(loc: dict, where: str, r: _Reader) -> str | None:
    if str(loc.get("location_type") or "physical") != "physical":
        return None
    f = r.fields(loc)
    addr = _first(loc, "addresses")
    opening = f.get("opening_hours")
    if not opening and loc.get("schedules"):
        opening = weekly_to_opening_hours(schedule_sessions(loc.get("schedules"), where, r))
    wheelchair = f.get("wheelchair")
    if wheelchair is None:  # "wheelchair: yes" in an accessibility description
        for acc in loc.get("accessibility") or []:
            m = isinstance(acc, dict) and re.match(
                r"^\s*wheelchair\s*[:=]\s*(yes|limited|no)\b", str(acc.get("description")),
                re.IGNORECASE)
            if m:
                wheelchair = m[1].lower()
    rec = {
        "uid": f.get("uid") or loc.get("id"), "name": loc.get("name"), "kind": f.get("kind"),
        "organisation_uid": None, "street": addr.get("address_1"),
        "postcode": addr.get("postal_code"), "city": addr.get("city"),
        "lon": loc.get("longitude"), "lat": loc.get("latitude"),
        "opening_hours": opening, "wheelchair": wheelchair,
        "description": loc.get("description"), "url": loc.get("url"),
        "phone": _first(loc, "phones").get("number"),
        "email": f.get("email"), "capacity": f.get("capacity"),
        "last_verified": f.get("last_verified"), "source": f.get("source"),
        "sample": f.get("sample"),
    }
    org_id = loc.get("organization_id")
    if org_id:
        rec["organisation_uid"] = r.orgs.get(org_id, {}).get("uid", org_id)
    clean, probs = validate_place(rec)
    for field, reason in probs:
        r.problem(where, _PLACE_FIELD.get(field, field), reason)
    r.places[loc.get("id")] = {**clean, "where": where}
    return clean["uid"]


_PLACE_FIELD = {"lon": "longitude", "lat": "latitude", "name": "name", "street": "addresses",
                "kind": "attributes(kind)", "opening_hours": "attributes(opening_hours)",
                "organisation_uid": "organization_id"}
_ACTIVITY_FIELD = {"models": f"attributes({MODELS_TAXONOMY})", "last_verified": "assured_date",
                   "target_group": "eligibility_description",
                   **{k: f"attributes({k})" for k in THRESHOLD_CODES}}


def _activity(svc: dict, where: str, sal: dict | None, sal_where: str | None,
              place_uid: str | None, r: _Reader) -> None:
    f = {**r.fields(svc), **r.fields(sal)}
    models, thresholds = [], {}
    for obj, w in ((svc, where), (sal, sal_where)):
        for a in _attributes(obj):
            tax, code = r.term(a)
            if tax == MODELS_TAXONOMY and code:
                models.append(code)
            elif tax == THRESHOLDS_TAXONOMY and code:
                if code not in THRESHOLD_CODES:
                    r.problem(w, "attributes", Msg("unknown threshold %(code)s in %(taxonomy)s",
                                                   code=repr(code), taxonomy=tax))
                thresholds[code] = a.get("value")
    if not models and r.default_model:
        models = [r.default_model]
    cost, cost_at = {}, "cost_options"
    for k, option in enumerate(svc.get("cost_options") or []):
        ended = isinstance(option, dict) and ended_on(option.get("valid_to"))
        if ended:
            r.warn(at(where, f"cost_options[{k}]"), f"ended on {ended}: left out")
        elif isinstance(option, dict):
            cost, cost_at = option, f"cost_options[{k}]"
            break
    amount, note = cost.get("amount"), cost.get("option") or cost.get("amount_description")
    if amount is None and str(cost.get("option", "")).lower() in ("free", "gratis"):
        amount = 0
    # schedules of the service hold at every location, unless the location has its own
    if sal and sal.get("schedules"):
        sessions = schedule_sessions(sal["schedules"], sal_where, r)
    else:
        sessions = schedule_sessions(svc.get("schedules"), where, r)
    org = svc.get("organization_id") or (svc.get("organization") or {}).get("id")
    uid = f.get("uid") or ((sal.get("id") or f"{svc['id']}@{sal.get('location_id')}")
                           if sal else svc["id"])
    rec = {
        "uid": uid, "name": svc.get("name"), "description": svc.get("description"),
        "organisation_uid": r.orgs.get(org, {}).get("uid", org) if org else None,
        "place_uid": place_uid, "models": models, "sessions": sessions,
        "cost_amount": amount, "cost_note": note, "cost_currency": cost.get("currency"),
        "status": svc.get("status"),
        # the service id, unless it is the one buurtkaart's export derives from the uid
        "service_uid": None if svc["id"] == hsds_id(f"service:{uid}") else svc["id"],
        **{k: thresholds.get(k) for k in THRESHOLD_CODES},
        "languages": [lang.get("code") for lang in svc.get("languages") or []
                      if isinstance(lang, dict)],
        "target_group": svc.get("eligibility_description"),
        "capacity": f.get("capacity"), "url": svc.get("url"), "email": svc.get("email"),
        "phone": _first(svc, "phones").get("number"),
        "last_verified": svc.get("assured_date"), "source": f.get("source"),
        "sample": f.get("sample"),
    }
    clean, probs = validate_activity(rec, unclassified_ok=True)
    for field, reason in probs:
        r.problem(where, {**_ACTIVITY_FIELD, "cost_amount": cost_at,
                          "cost_currency": f"{cost_at}.currency"}.get(field, field), reason)
    if not clean["models"]:
        r.unclassified.append(sal_where or where or "the service")
    r.activities.append({**clean, "where": sal_where or where})


def _organisation(org: dict, where: str, r: _Reader) -> None:
    f = r.fields(org)
    rec, probs = validate_organisation({"uid": f.get("uid") or org.get("id"),
                                        "name": org.get("name"),
                                        "description": org.get("description"),
                                        "url": org.get("website"), "email": org.get("email"),
                                        "phone": _first(org, "phones").get("number")})
    for field, reason in probs:
        r.problem(where, {"url": "website"}.get(field, field), reason)
    r.orgs[org.get("id")] = rec


def _unique(pairs: list[tuple[str, Any]], kind: str, top: str,
            r: _Reader) -> list[tuple[str, Any]]:
    """Each id once: two objects with one id in the list ``top`` are refused, naming both.

    A nested copy (a compiled service repeats its organization and locations) gives way to
    the object listed in ``top``; when the copy differs, a warning says which one was used.
    """
    listed = [(w, o) for w, o in pairs if w.startswith(f"{top}[")]
    nested = [(w, o) for w, o in pairs if not w.startswith(f"{top}[")]
    first: dict[Any, tuple[str, Any]] = {}
    out = []
    for where, obj in listed + nested:
        oid = obj.get("id") if isinstance(obj, dict) else None
        if not isinstance(oid, str | int) or oid == "":
            out.append((where, obj))
            continue
        if oid in first:
            first_where, first_obj = first[oid]
            if where.startswith(f"{top}["):
                r.problem(where, "id", Msg("%(kind)s id %(id)s is also used by %(where)s: one "
                                           "id, one %(kind)s", kind=kind, id=repr(oid),
                                           where=first_where))
            elif first_obj != obj:
                r.warnings.append((where, f"differs from {kind} {first_where} with the same id "
                                          f"{oid!r}; {first_where} is used"))
            continue
        first[oid] = (where, obj)
        out.append((where, obj))
    return out


def read_feed(feed: Feed, file: str, *, default_model: str | None = None) -> Directory:
    """Records of every object in ``feed``; raises ImportFailed naming every problem."""
    r = _Reader(file, feed, default_model)
    organizations = _unique(feed.organizations, "organization", "organizations", r)
    locations = _unique(feed.locations, "location", "locations", r)
    service_at_locations = _unique(feed.service_at_locations, "service_at_location",
                                   "service_at_locations", r)
    services = _unique(feed.services, "service", "services", r)
    for where, org in organizations:
        if not isinstance(org, dict) or not org.get("id"):
            r.problem(where, "id", Msg("an organization needs an id"))
        elif org["id"] not in r.orgs:
            _organisation(org, where, r)
    loc_uid: dict[str, str | None] = {}
    for where, loc in locations:
        if not isinstance(loc, dict) or not loc.get("id"):
            r.problem(where, "id", Msg("a location needs an id"))
        elif loc["id"] not in loc_uid:
            loc_uid[loc["id"]] = _place(loc, where, r)
    sals_by_service: dict[Any, list[tuple[str, dict]]] = {}
    seen: set = set()
    for where, sal in service_at_locations:
        if not isinstance(sal, dict):
            r.problem(where, None, Msg("must be an object"))
        elif sal.get("location_id") not in loc_uid:
            r.problem(where, "location_id",
                      Msg("refers to unknown location %(id)s", id=repr(sal.get("location_id"))))
        elif sal.get("id") is None or sal["id"] not in seen:
            seen.add(sal.get("id"))
            sals_by_service.setdefault(sal.get("service_id"), []).append((where, sal))
    service_ids = set()
    for where, svc in services:
        if not isinstance(svc, dict) or not svc.get("id"):
            r.problem(where, "id", Msg("a service needs an id"))
            continue
        if svc["id"] in service_ids:
            continue  # the same service again (nested and top-level)
        service_ids.add(svc["id"])
        linked = [(w, sal) for w, sal in sals_by_service.get(svc["id"], [])
                  if loc_uid.get(sal.get("location_id"))]
        if not linked:
            _activity(svc, where, None, None, None, r)
        for sal_where, sal in linked:
            _activity(svc, where, sal, sal_where, loc_uid[sal["location_id"]], r)
    for where, sals in sals_by_service.items():
        for w, sal in sals:
            if sal.get("service_id") not in service_ids:
                r.problem(w, "service_id", Msg("refers to unknown service %(id)s",
                                               id=repr(sal.get("service_id"))))
    if r.problems:
        raise ImportFailed(list(dict.fromkeys(r.problems)))
    warnings = [f"{where}: {message}" for where, message in r.warnings]
    if r.unclassified:
        n = len(r.unclassified)
        warnings.append(f"{n} {'activity has' if n == 1 else 'activities have'} no buurtkaart "
                        "working model and stored as 'not yet classified' (first: "
                        f"{', '.join(r.unclassified[:3])}); choose one when editing, "
                        "or import with --default-model")
    return Directory(list(r.orgs.values()), list(r.places.values()), r.activities, warnings)
