"""Open Referral HSDS 3.0 JSON: organizations, services, locations and their links.

Accepted shapes:

- an object with top-level arrays ``organizations``, ``services``,
  ``locations``, ``service_at_locations`` (what :mod:`buurtkaart.exporters.hsds`
  writes; children such as ``schedules`` or ``attributes`` nested as the
  schema nests them);
- a list of compiled ``service`` objects (the HSDS API's ``/services/{id}``
  shape), each with a nested ``organization`` and ``service_at_locations``
  holding a nested ``location``.

Mapping (see docs/hsds.md for the full table):

- organization -> organisation; physical location -> place;
- service (+ service_at_location) -> activity at that place; a service
  without a physical location -> a mobile activity;
- schedule ``freq=WEEKLY`` with ``byday=MO,TU`` and ``opens_at``/``closes_at`` ->
  one session per day; ``freq=MONTHLY`` with ``byday=1MO`` / ``-1FR`` -> "nth
  weekday" sessions; ``freq=DAILY`` -> seven sessions; anything else (an
  ``interval`` other than 1, ``bymonthday``, ...) is refused as a problem
  rather than silently simplified;
- cost_options ``amount`` (0 = free) -> cost; languages ``code`` -> languages;
- working models: attributes whose taxonomy term is in the taxonomy
  :data:`MODELS_TAXONOMY` (term code = model key);
- thresholds: attributes in :data:`THRESHOLDS_TAXONOMY` (term code = threshold,
  value ``true``/``false``);
- everything else HSDS has no field for (place kind, OSM opening_hours,
  wheelchair, capacity, sample flag, original uid): attributes in
  :data:`FIELDS_TAXONOMY` with the field name as term code.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from ..errors import ImportFailed, Problem
from ..hours import Session
from ..records import Directory, validate_activity, validate_organisation, validate_place
from ..taxonomy import WEEKDAYS

__all__ = ["read_hsds", "MODELS_TAXONOMY", "THRESHOLDS_TAXONOMY", "FIELDS_TAXONOMY",
           "THRESHOLD_CODES", "BYDAY", "hsds_id"]

MODELS_TAXONOMY = "buurtkaart-werkmodellen"
THRESHOLDS_TAXONOMY = "buurtkaart-drempels"
FIELDS_TAXONOMY = "buurtkaart-velden"
THRESHOLD_CODES = ("walk_in", "childcare", "children_welcome", "no_internet", "wheelchair")
BYDAY = tuple(d.upper() for d in WEEKDAYS)  # MO, TU, ... as in RFC 5545
_NAMESPACE = uuid.UUID("2b0f6a3e-1f5c-4b8e-9a51-6c0c3f7d9e21")


def hsds_id(uid: str) -> str:
    """HSDS ids are UUIDs: ours when it is one, else a UUID derived from it."""
    try:
        return str(uuid.UUID(str(uid)))
    except ValueError:
        return str(uuid.uuid5(_NAMESPACE, str(uid)))


class _Reader:
    def __init__(self, file: str):
        self.file = file
        self.problems: list[Problem] = []
        self.orgs: dict[str, dict] = {}
        self.places: dict[str, dict] = {}
        self.activities: list[dict] = []

    def problem(self, where: str, field: str | None, reason: str) -> None:
        self.problems.append(Problem(self.file, where, field, reason))


def _attributes(obj: dict) -> list[dict]:
    attrs = obj.get("attributes") or []
    return attrs if isinstance(attrs, list) else []


def _term(attr: dict) -> tuple[str | None, str | None]:
    """(taxonomy name, term code) of an attribute."""
    term = attr.get("taxonomy_term") or {}
    if not isinstance(term, dict):
        return None, None
    taxonomy = term.get("taxonomy")
    if isinstance(term.get("taxonomy_detail"), dict):
        taxonomy = term["taxonomy_detail"].get("name") or taxonomy
    return taxonomy, term.get("code")


def _fields(obj: dict) -> dict[str, str]:
    return {code: a.get("value") for a in _attributes(obj)
            for tax, code in [_term(a)] if tax == FIELDS_TAXONOMY and code}


def _sessions(schedules: Any, where: str, r: _Reader) -> list[Session]:
    out: list[Session] = []
    if not schedules:
        return out
    for k, s in enumerate(schedules):
        w = f"{where}.schedules[{k}]"
        if not isinstance(s, dict):
            r.problem(w, None, "must be an object")
            continue
        freq = str(s.get("freq") or "WEEKLY").upper()
        interval = s.get("interval")
        if interval not in (None, "", 1, "1"):
            r.problem(w, "interval", f"every {interval} {freq.lower()} periods cannot be "
                                     "represented as weekly sessions")
            continue
        for unsupported in ("bymonthday", "byyearday", "byweekno"):
            if s.get(unsupported) not in (None, "", []):
                r.problem(w, unsupported, "cannot be represented as weekly sessions")
        opens, closes = s.get("opens_at"), s.get("closes_at")
        if not opens or not closes:
            r.problem(w, "opens_at" if not opens else "closes_at", "is required for a session")
            continue
        opens, closes = str(opens)[:5], str(closes)[:5]
        if freq == "DAILY":
            days = [(d, None) for d in range(7)]
        elif freq in ("WEEKLY", "MONTHLY"):
            days = []
            for token in str(s.get("byday") or "").replace(" ", "").split(","):
                if not token:
                    continue
                day, nth = token[-2:].upper(), token[:-2]
                if day not in BYDAY or (nth and nth.lstrip("+-") and not nth.lstrip("+-").isdigit()):
                    r.problem(w, "byday", f"{token!r} is not a day such as MO or 1MO")
                    continue
                n = int(nth) if nth.lstrip("+-") else None
                if freq == "WEEKLY" and n is not None:
                    r.problem(w, "byday", f"{token!r}: a numbered day needs freq MONTHLY")
                    continue
                if freq == "MONTHLY" and n is None:
                    r.problem(w, "byday", f"{token!r}: MONTHLY needs a numbered day such as 1MO")
                    continue
                days.append((BYDAY.index(day), n))
            if not days:
                r.problem(w, "byday", "names no day")
                continue
        else:
            r.problem(w, "freq", f"{freq!r} cannot be represented (WEEKLY, MONTHLY or DAILY)")
            continue
        for day, nth in days:
            try:
                out.append(Session.parse(day, opens, closes, nth))
            except ValueError as exc:
                r.problem(w, "opens_at", str(exc))
    return out


def _place(loc: dict, where: str, r: _Reader) -> str | None:
    if str(loc.get("location_type") or "physical") != "physical":
        return None
    f = _fields(loc)
    addr = (loc.get("addresses") or [{}])[0] or {}
    rec = {
        "uid": f.get("uid") or loc.get("id"), "name": loc.get("name"), "kind": f.get("kind"),
        "organisation_uid": None, "street": addr.get("address_1"),
        "postcode": addr.get("postal_code"), "city": addr.get("city"),
        "lon": loc.get("longitude"), "lat": loc.get("latitude"),
        "opening_hours": f.get("opening_hours"), "wheelchair": f.get("wheelchair"),
        "description": loc.get("description"), "url": loc.get("url"),
        "phone": ((loc.get("phones") or [{}])[0] or {}).get("number"),
        "email": f.get("email"), "capacity": f.get("capacity"),
        "last_verified": f.get("last_verified"), "source": f.get("source"),
        "sample": f.get("sample"),
    }
    org_id = loc.get("organization_id")
    if org_id:
        rec["organisation_uid"] = r.orgs.get(org_id, {}).get("uid", org_id)
    clean, probs = validate_place(rec)
    for field, reason in probs:
        r.problem(where, _HSDS_PLACE_FIELD.get(field, field), reason)
    r.places[loc.get("id")] = clean
    return clean["uid"]


_HSDS_PLACE_FIELD = {"lon": "longitude", "lat": "latitude", "name": "name", "street": "addresses",
                     "kind": "attributes(kind)", "opening_hours": "attributes(opening_hours)"}


def _activity(svc: dict, sal: dict | None, place_uid: str | None, where: str,
              r: _Reader) -> None:
    f = {**_fields(svc), **(_fields(sal) if sal else {})}
    models, thresholds = [], {}
    for obj, w in ((svc, where), (sal, f"{where}.service_at_locations")):
        if not obj:
            continue
        for a in _attributes(obj):
            tax, code = _term(a)
            if tax == MODELS_TAXONOMY and code:
                models.append(code)
            elif tax == THRESHOLDS_TAXONOMY and code:
                if code not in THRESHOLD_CODES:
                    r.problem(w, "attributes", f"unknown threshold {code!r} in {tax}")
                thresholds[code] = a.get("value")
    costs = svc.get("cost_options") or []
    cost = None
    cost_note = None
    if costs:
        first = costs[0] or {}
        cost = first.get("amount")
        cost_note = first.get("option") or first.get("amount_description")
        if cost is None and str(first.get("option", "")).lower() in ("free", "gratis"):
            cost = 0
    schedules = list(svc.get("schedules") or []) + list((sal or {}).get("schedules") or [])
    org = svc.get("organization_id") or (svc.get("organization") or {}).get("id")
    rec = {
        "uid": f.get("uid") or (sal or {}).get("id") or svc.get("id"),
        "name": svc.get("name"), "description": svc.get("description"),
        "organisation_uid": r.orgs.get(org, {}).get("uid", org) if org else None,
        "place_uid": place_uid, "models": models,
        "sessions": _sessions(schedules, where, r),
        "cost_amount": cost, "cost_note": cost_note,
        **{k: thresholds.get(k) for k in THRESHOLD_CODES},
        "languages": [lang.get("code") for lang in svc.get("languages") or []
                      if isinstance(lang, dict)],
        "target_group": svc.get("eligibility_description"),
        "capacity": f.get("capacity"), "url": svc.get("url"), "email": svc.get("email"),
        "phone": ((svc.get("phones") or [{}])[0] or {}).get("number"),
        "last_verified": svc.get("assured_date"), "source": f.get("source"),
        "sample": f.get("sample"),
    }
    clean, probs = validate_activity(rec)
    names = {"models": f"attributes({MODELS_TAXONOMY})", "cost_amount": "cost_options",
             "last_verified": "assured_date", "target_group": "eligibility_description",
             **{k: f"attributes({k})" for k in THRESHOLD_CODES}}
    for field, reason in probs:
        r.problem(where, names.get(field, field), reason)
    r.activities.append(clean)


def _organisation(org: dict, where: str, r: _Reader) -> None:
    f = _fields(org)
    rec, probs = validate_organisation({"uid": f.get("uid") or org.get("id"),
                                        "name": org.get("name"),
                                        "description": org.get("description"),
                                        "url": org.get("website"), "email": org.get("email")})
    for field, reason in probs:
        r.problem(where, {"url": "website"}.get(field, field), reason)
    r.orgs[org.get("id")] = rec


def read_hsds(path: str | Path) -> Directory:
    """Read an HSDS 3.0 JSON file; raises ImportFailed naming every problem."""
    path = Path(path)
    file = str(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ImportFailed([Problem(file, None, None, f"cannot be read: {exc}")]) from None
    except json.JSONDecodeError as exc:
        raise ImportFailed([Problem(file, f"line {exc.lineno}", None,
                                    f"is not valid JSON: {exc.msg}")]) from None
    r = _Reader(file)
    try:
        return _read(data, file, r)
    except (TypeError, AttributeError, ValueError, KeyError) as exc:
        # a value of the wrong JSON type somewhere the schema fixes one
        raise ImportFailed(r.problems + [Problem(
            file, None, None, f"does not follow the HSDS 3.0 structure ({type(exc).__name__}: "
                              f"{exc}); check that lists are lists and ids are text")]) from None


def _read(data, file: str, r: _Reader) -> Directory:
    prefix = ""
    if isinstance(data, list):  # compiled services
        orgs, locs, sals = [], [], []
        services = data
        for i, svc in enumerate(services):
            if isinstance(svc, dict) and isinstance(svc.get("organization"), dict):
                orgs.append(svc["organization"])
            for sal in (svc.get("service_at_locations") or []) if isinstance(svc, dict) else []:
                if isinstance(sal, dict):
                    sal = {**sal, "service_id": sal.get("service_id") or svc.get("id")}
                    if isinstance(sal.get("location"), dict):
                        locs.append(sal["location"])
                        sal["location_id"] = sal.get("location_id") or sal["location"].get("id")
                    sals.append(sal)
        prefix = ""
    elif isinstance(data, dict) and ("services" in data or "organizations" in data):
        for key in ("organizations", "services", "locations", "service_at_locations"):
            if not isinstance(data.get(key) or [], list):
                raise ImportFailed([Problem(file, None, key, "must be a list")])
        orgs = data.get("organizations") or []
        services = data.get("services") or []
        locs = data.get("locations") or []
        sals = list(data.get("service_at_locations") or [])
        for svc in services:  # SALs may also be nested in their service
            for sal in (svc.get("service_at_locations") or []) if isinstance(svc, dict) else []:
                if isinstance(sal, dict) and sal.get("id") not in {s.get("id") for s in sals}:
                    sals.append({**sal, "service_id": sal.get("service_id") or svc.get("id")})
        prefix = ""
    else:
        raise ImportFailed([Problem(file, None, None,
                                    "is not HSDS 3.0 JSON: expected an object with "
                                    "'services' and 'organizations', or a list of services")])
    for i, org in enumerate(orgs):
        if isinstance(org, dict) and org.get("id") not in r.orgs:
            _organisation(org, f"{prefix}organizations[{i}]", r)
    loc_uid: dict[str, str | None] = {}
    for i, loc in enumerate(locs):
        if not isinstance(loc, dict) or not loc.get("id"):
            r.problem(f"locations[{i}]", "id", "a location needs an id")
            continue
        if loc["id"] not in loc_uid:
            loc_uid[loc["id"]] = _place(loc, f"locations[{i}]", r)
    sals_by_service: dict[str, list[tuple[int, dict]]] = {}
    for j, sal in enumerate(sals):
        if not isinstance(sal, dict):
            continue
        if sal.get("location_id") not in loc_uid:
            r.problem(f"service_at_locations[{j}]", "location_id",
                      f"refers to unknown location {sal.get('location_id')!r}")
            continue
        sals_by_service.setdefault(sal.get("service_id"), []).append((j, sal))
    for i, svc in enumerate(services):
        where = f"services[{i}]"
        if not isinstance(svc, dict) or not svc.get("id"):
            r.problem(where, "id", "a service needs an id")
            continue
        linked = [(j, sal) for j, sal in sals_by_service.get(svc["id"], [])
                  if loc_uid.get(sal.get("location_id"))]
        if not linked:
            _activity(svc, None, None, where, r)
        for j, sal in linked:
            _activity(svc, sal, loc_uid[sal["location_id"]], where, r)
    if r.problems:
        raise ImportFailed(r.problems)
    return Directory(list(r.orgs.values()), list(r.places.values()), r.activities)
