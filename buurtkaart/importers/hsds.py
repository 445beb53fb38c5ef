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
  :data:`FIELDS_TAXONOMY` with the field name as term code;
- a location's opening hours: the exact OSM ``opening_hours`` string from
  its ``opening_hours`` attribute when present, else built from the
  location's weekly/monthly ``schedules`` (see :func:`weekly_to_opening_hours`).

Attributes may carry their term nested (``taxonomy_term``) or refer to it
by ``taxonomy_term_id`` in the document's top-level ``taxonomy_terms``; a
term names its taxonomy by name (``taxonomy``), nested ``taxonomy_detail``
or ``taxonomy_id`` in the top-level ``taxonomies``.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

from ..errors import ImportFailed, Problem
from ..hours import Session
from ..records import Directory, validate_activity, validate_organisation, validate_place
from ..taxonomy import WEEKDAYS
from . import load_json

__all__ = ["read_hsds", "MODELS_TAXONOMY", "THRESHOLDS_TAXONOMY", "FIELDS_TAXONOMY",
           "THRESHOLD_CODES", "BYDAY", "hsds_id", "opening_hours_to_weekly",
           "weekly_to_opening_hours"]

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


_DAY = r"(?:Mo|Tu|We|Th|Fr|Sa|Su)"
_DAYSEL = rf"{_DAY}(?:-{_DAY})?(?:,{_DAY}(?:-{_DAY})?)*"
_RANGE = r"\d{2}:\d{2}-\d{2}:\d{2}"
_RULE_RE = re.compile(rf"^(?:(?P<days>{_DAYSEL}|PH)\s+)?"
                      rf"(?P<times>off|closed|{_RANGE}(?:,{_RANGE})*)$")
_WEEKDAY_CODES = tuple(WEEKDAYS)  # Mo, Tu, ...


def _split_rules(expression: str) -> list[tuple[str, bool]] | None:
    """Split an OSM expression into (rule, additional) pairs, or None if not simple."""
    out: list[tuple[str, bool]] = []
    for part in expression.split(";"):
        part = part.strip()
        if not part:
            continue
        # "Mo-Fr 09:00-17:00, Sa 10:00-12:00": a comma before a day selector
        # starts an additional rule
        pieces = re.split(rf"(?<=[\dfd]),\s*(?=(?:{_DAY}|PH)(?:[-,]{_DAY})*\s)", part)
        for k, piece in enumerate(pieces):
            out.append((piece.strip(), k > 0))
    return out


def opening_hours_to_weekly(expression: str | None) -> list[tuple[int, str, str]] | None:
    """Weekly (weekday, opens, closes) windows of a simple OSM ``opening_hours``.

    Simple means: rules of weekday selectors (``Mo-Fr``, ``Sa,Su``) with time
    ranges, ``off``/``closed`` rules, ``24/7``, and public-holiday rules
    (``PH off``), which a weekly schedule cannot say and which are left out.
    Returns ``None`` for anything else (months, weeks, dates, ranges past
    midnight, comments...): that cannot be written as HSDS weekly schedules
    without losing meaning.
    """
    if not expression:
        return None
    text = expression.strip()
    if text == "24/7":
        return [(d, "00:00", "24:00") for d in range(7)]
    rules = _split_rules(text)
    if not rules:
        return None
    week: dict[int, list[tuple[str, str]]] = {d: [] for d in range(7)}
    for rule, additional in rules:
        m = _RULE_RE.match(rule)
        if not m:
            return None
        if m["days"] == "PH":
            continue
        days: list[int] = []
        if m["days"] is None:
            days = list(range(7))
        else:
            for sel in m["days"].split(","):
                a, _, b = sel.partition("-")
                i, j = _WEEKDAY_CODES.index(a), _WEEKDAY_CODES.index(b or a)
                days += [(i + k) % 7 for k in range((j - i) % 7 + 1)]
        if m["times"] in ("off", "closed"):
            ranges: list[tuple[str, str]] = []
        else:
            ranges = []
            for r in m["times"].split(","):
                start, end = r.split("-")
                try:
                    Session.parse(0, start, end)
                except ValueError:
                    return None  # past midnight or not a time
                ranges.append((start, end))
        for d in days:
            week[d] = (week[d] + ranges) if additional and ranges else list(ranges)
    return [(d, start, end) for d in range(7) for start, end in sorted(set(week[d]))]


def weekly_to_opening_hours(sessions: list[Session]) -> str | None:
    """An OSM ``opening_hours`` expression for weekly and nth-weekday sessions.

    Weekdays with the same time ranges are grouped (``Mo-Fr 09:00-17:00``);
    an nth weekday becomes ``Mo[1] 10:00-12:00``. ``None`` for no sessions.
    """
    if not sessions:
        return None
    weekly: dict[int, list[tuple[str, str]]] = {}
    monthly: list[Session] = []
    for s in sessions:
        if s.nth is None:
            weekly.setdefault(s.weekday, []).append((s.start, s.end))
        else:
            monthly.append(s)
    groups: dict[tuple, list[int]] = {}
    for day in sorted(weekly):
        groups.setdefault(tuple(sorted(set(weekly[day]))), []).append(day)
    parts = []
    for ranges, days in groups.items():
        sels, k = [], 0
        while k < len(days):
            j = k
            while j + 1 < len(days) and days[j + 1] == days[j] + 1:
                j += 1
            first, last = _WEEKDAY_CODES[days[k]], _WEEKDAY_CODES[days[j]]
            sels.append(first if j == k else (f"{first},{last}" if j == k + 1
                                               else f"{first}-{last}"))
            k = j + 1
        parts.append(f"{','.join(sels)} {','.join(f'{a}-{b}' for a, b in ranges)}")
    for s in sorted(monthly, key=lambda s: (s.weekday, s.nth, s.start)):
        parts.append(f"{_WEEKDAY_CODES[s.weekday]}[{s.nth}] {s.start}-{s.end}")
    return "; ".join(parts)


class _Reader:
    def __init__(self, file: str, data: Any = None):
        self.file = file
        self.problems: list[Problem] = []
        self.orgs: dict[str, dict] = {}
        self.places: dict[str, dict] = {}
        self.activities: list[dict] = []
        self.terms: dict[str, dict] = {}
        self.taxonomies: dict[str, str] = {}
        if isinstance(data, dict):
            for t in data.get("taxonomies") or []:
                if isinstance(t, dict) and t.get("id"):
                    self.taxonomies[str(t["id"])] = t.get("name")
            for t in data.get("taxonomy_terms") or []:
                if isinstance(t, dict) and t.get("id"):
                    self.terms[str(t["id"])] = t

    def problem(self, where: str, field: str | None, reason: str) -> None:
        self.problems.append(Problem(self.file, where, field, reason))

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


def _attributes(obj: dict) -> list[dict]:
    attrs = obj.get("attributes") or []
    return [a for a in attrs if isinstance(a, dict)] if isinstance(attrs, list) else []


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
        lost = False
        for unsupported, why in (
                ("bymonthday", "days of the month cannot be represented as weekly sessions"),
                ("byyearday", "days of the year cannot be represented as weekly sessions"),
                ("byweekno", "weeks of the year cannot be represented as weekly sessions"),
                ("until", "a schedule that ends cannot be represented (sessions are ongoing)"),
                ("count", "a limited number of occurrences cannot be represented "
                          "(sessions are ongoing)"),
                ("valid_to", "a schedule valid only until a date cannot be represented "
                             "(sessions are ongoing)")):
            if s.get(unsupported) not in (None, "", []):
                r.problem(w, unsupported, why)
                lost = True
        if lost:
            continue
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
                digits = nth.lstrip("+-")
                if day not in BYDAY or (digits and not (digits.isascii() and digits.isdigit())):
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
    f = r.fields(loc)
    addr = (loc.get("addresses") or [{}])[0] or {}
    opening = f.get("opening_hours")
    if not opening and loc.get("schedules"):
        opening = weekly_to_opening_hours(_sessions(loc.get("schedules"), where, r))
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
    f = {**r.fields(svc), **(r.fields(sal) if sal else {})}
    models, thresholds = [], {}
    for obj, w in ((svc, where), (sal, f"{where}.service_at_locations")):
        if not obj:
            continue
        for a in _attributes(obj):
            tax, code = r.term(a)
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
    f = r.fields(org)
    rec, probs = validate_organisation({"uid": f.get("uid") or org.get("id"),
                                        "name": org.get("name"),
                                        "description": org.get("description"),
                                        "url": org.get("website"), "email": org.get("email"),
                                        "phone": ((org.get("phones") or [{}])[0] or {})
                                        .get("number")})
    for field, reason in probs:
        r.problem(where, {"url": "website"}.get(field, field), reason)
    r.orgs[org.get("id")] = rec


def read_hsds(path: str | Path) -> Directory:
    """Read an HSDS 3.0 JSON file; raises ImportFailed naming every problem."""
    path = Path(path)
    file = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ImportFailed([Problem(file, None, None, f"cannot be read: {exc}")]) from None
    data = load_json(text, file)
    r = _Reader(file, data)
    try:
        return _read(data, file, r)
    except (TypeError, AttributeError, ValueError, KeyError) as exc:
        # a value of the wrong JSON type somewhere the schema fixes one
        raise ImportFailed(r.problems + [Problem(
            file, None, None, f"does not follow the HSDS 3.0 structure ({type(exc).__name__}: "
                              f"{exc}); check that lists are lists and ids are text")]) from None


def _read(data, file: str, r: _Reader) -> Directory:
    # (where, object) pairs, so that problems name the object's place in the file
    orgs: list[tuple[str, dict]] = []
    locs: list[tuple[str, dict]] = []
    sals: list[tuple[str, dict]] = []
    if isinstance(data, list):  # compiled services
        services = data
        for i, svc in enumerate(services):
            if not isinstance(svc, dict):
                continue
            if isinstance(svc.get("organization"), dict):
                orgs.append((f"services[{i}].organization", svc["organization"]))
            nested = svc.get("service_at_locations") or []
            for j, sal in enumerate(nested if isinstance(nested, list) else []):
                if not isinstance(sal, dict):
                    continue
                w = f"services[{i}].service_at_locations[{j}]"
                sal = {**sal, "service_id": sal.get("service_id") or svc.get("id")}
                if isinstance(sal.get("location"), dict):
                    locs.append((f"{w}.location", sal["location"]))
                    sal["location_id"] = sal.get("location_id") or sal["location"].get("id")
                sals.append((w, sal))
    elif isinstance(data, dict) and ("services" in data or "organizations" in data):
        for key in ("organizations", "services", "locations", "service_at_locations",
                    "taxonomies", "taxonomy_terms"):
            if data.get(key) is not None and not isinstance(data[key], list):
                raise ImportFailed([Problem(file, None, key, "must be a list")])
        orgs = [(f"organizations[{i}]", o) for i, o in enumerate(data.get("organizations") or [])]
        services = data.get("services") or []
        locs = [(f"locations[{i}]", loc) for i, loc in enumerate(data.get("locations") or [])]
        sals = [(f"service_at_locations[{j}]", sal)
                for j, sal in enumerate(data.get("service_at_locations") or [])]
        seen = {sal.get("id") for _, sal in sals if isinstance(sal, dict)}
        for i, svc in enumerate(services):  # SALs may also be nested in their service
            nested = (svc.get("service_at_locations") or []) if isinstance(svc, dict) else []
            for j, sal in enumerate(nested if isinstance(nested, list) else []):
                if isinstance(sal, dict) and sal.get("id") not in seen:
                    w = f"services[{i}].service_at_locations[{j}]"
                    sal = {**sal, "service_id": sal.get("service_id") or svc.get("id")}
                    if isinstance(sal.get("location"), dict):
                        locs.append((f"{w}.location", sal["location"]))
                        sal["location_id"] = (sal.get("location_id")
                                              or sal["location"].get("id"))
                    sals.append((w, sal))
    else:
        raise ImportFailed([Problem(file, None, None,
                                    "is not HSDS 3.0 JSON: expected an object with "
                                    "'services' and 'organizations', or a list of services")])
    for where, org in orgs:
        if not isinstance(org, dict) or not org.get("id"):
            r.problem(where, "id", "an organization needs an id")
        elif org["id"] not in r.orgs:
            _organisation(org, where, r)
    loc_uid: dict[str, str | None] = {}
    for where, loc in locs:
        if not isinstance(loc, dict) or not loc.get("id"):
            r.problem(where, "id", "a location needs an id")
            continue
        if loc["id"] not in loc_uid:
            loc_uid[loc["id"]] = _place(loc, where, r)
    sals_by_service: dict[str, list[dict]] = {}
    for where, sal in sals:
        if not isinstance(sal, dict):
            r.problem(where, None, "must be an object")
            continue
        if sal.get("location_id") not in loc_uid:
            r.problem(where, "location_id",
                      f"refers to unknown location {sal.get('location_id')!r}")
            continue
        sals_by_service.setdefault(sal.get("service_id"), []).append(sal)
    service_ids = set()
    for i, svc in enumerate(services):
        where = f"services[{i}]"
        if not isinstance(svc, dict) or not svc.get("id"):
            r.problem(where, "id", "a service needs an id")
            continue
        service_ids.add(svc["id"])
        linked = [sal for sal in sals_by_service.get(svc["id"], [])
                  if loc_uid.get(sal.get("location_id"))]
        if not linked:
            _activity(svc, None, None, where, r)
        for sal in linked:
            _activity(svc, sal, loc_uid[sal["location_id"]], where, r)
    for where, sal in sals:
        if isinstance(sal, dict) and sal.get("service_id") not in service_ids:
            r.problem(where, "service_id", f"refers to unknown service {sal.get('service_id')!r}")
    if r.problems:
        raise ImportFailed(r.problems)
    return Directory(list(r.orgs.values()), list(r.places.values()), r.activities)
