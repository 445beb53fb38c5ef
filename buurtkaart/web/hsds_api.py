"""The Open Referral HSDS 3.0 API (``/api/hsds/...``) as the 3.0 OpenAPI document defines
it: ``/`` (about this API), ``/services``, ``/service_at_locations``, ``/organizations``,
``/taxonomies`` and ``/taxonomy_terms``, each as a page and by id, with the official
parameters. Built from the same document as ``buurtkaart export hsds``
(:mod:`buurtkaart.exporters.hsds_compiled`). Unknown parameters are refused (400)."""

from __future__ import annotations

import datetime as dt
import json
import math

from flask import Blueprint, Response, jsonify, request, url_for

from ..errors import InvalidParameter, NotFound
from ..exporters.hsds import document
from ..exporters.hsds_compiled import Views
from .db import get_db
from .params import int_arg

bp = Blueprint("hsds", __name__, url_prefix="/api/hsds")

HSDS_VERSION = "3.0"
PROFILE = "https://docs.openreferral.org/en/v3.0/"
PAGING = ("page", "per_page", "format")
SERVICE_FILTERS = ("search", "taxonomy_term_id", "taxonomy_id", "organization_id",
                   "modified_after")
PARAMETERS = {
    "services": PAGING + SERVICE_FILTERS + ("minimal", "full"),
    "service_at_locations": PAGING + SERVICE_FILTERS + ("full", "postcode", "proximity",
                                                        "service_id", "location_id"),
    "organizations": PAGING + ("search", "full", "full_service"),
    "organization": ("full_service",),
    "taxonomies": PAGING + ("search",),
    "taxonomy_terms": PAGING + ("search", "taxonomy_id", "top_only", "parent_id"),
}


def _check(allowed) -> None:
    for name in request.args:
        if name not in allowed:
            raise InvalidParameter(name, f"unknown parameter (known: {', '.join(allowed)})"
                                   if allowed else "this endpoint takes no parameters")



def _bool(name: str, default: bool) -> bool:
    raw = request.args.get(name, "").lower()
    if raw == "":
        return default
    if raw not in ("true", "1", "false", "0"):
        raise InvalidParameter(name, f"expected true or false, got {raw!r}")
    return raw in ("true", "1")


def _datetime(name: str) -> dt.datetime | None:
    raw = request.args.get(name)
    if not raw:
        return None
    try:
        when = dt.datetime.fromisoformat(raw.replace("Z", "+00:00").replace(" ", "+"))
    except ValueError:
        raise InvalidParameter(name, f"expected a date or date-time such as "
                                     f"2026-03-15T10:30:00Z, got {raw!r}") from None
    return when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)


def _views() -> Views:
    return Views(document(get_db()))


def _one(objects: dict, id: str, what: str) -> dict:  # noqa: A002
    if id not in objects:
        raise NotFound(f"no {what} with id {id!r}")
    return objects[id]


def _matches_service(v: Views, svc: dict, extra_text=()) -> bool:
    words = (request.args.get("search") or "").lower().split()
    if words:
        text = " ".join(str(x) for x in (svc.get("name"), svc.get("description"), *extra_text)
                        if x).lower()
        if not all(w in text for w in words):
            return False
    attrs = v.attributes(svc)
    if request.args.get("taxonomy_term_id") and \
            request.args["taxonomy_term_id"] not in v.term_ids(attrs):
        return False
    if request.args.get("taxonomy_id") and request.args["taxonomy_id"] not in v.taxonomy_ids(attrs):
        return False
    if request.args.get("organization_id") and \
            svc.get("organization_id") != request.args["organization_id"]:
        return False
    after = _datetime("modified_after")
    if after and not (svc.get("last_modified") and dt.datetime.fromisoformat(
            svc["last_modified"].replace("Z", "+00:00")) >= after):
        return False
    return True


def _page(items: list[dict]):
    fmt = request.args.get("format", "json")
    if fmt not in ("json", "ndjson"):
        raise InvalidParameter("format", f"expected json or ndjson, got {fmt!r}")
    per_page = int_arg("per_page", lo=1, hi=500, default=50)
    page = int_arg("page", lo=1, hi=10**6, default=1)
    if fmt == "ndjson":  # every result, one JSON object a line, no paging
        return Response("".join(json.dumps(it, ensure_ascii=False) + "\n" for it in items),
                        mimetype="application/x-ndjson")
    total = len(items)
    pages = max(1, math.ceil(total / per_page))
    contents = items[(page - 1) * per_page: page * per_page]
    return jsonify({"total_items": total, "total_pages": pages, "page_number": page,
                    "size": len(contents), "first_page": page == 1, "last_page": page >= pages,
                    "empty": not contents, "contents": contents})


@bp.route("/")
def about():
    """What this API is (the HSDS 3.0 OpenAPI document's required ``/``)."""
    _check(())
    return jsonify({"version": HSDS_VERSION, "profile": PROFILE,
                    "openapi_url": url_for("openapi.openapi_json", _external=True)})


@bp.route("/services")
def services():
    _check(PARAMETERS["services"])
    minimal, full = _bool("minimal", False), _bool("full", True)
    v = _views()
    items = [s for s in v.doc["services"] if _matches_service(v, s, [
        (v.locations.get(sal["location_id"]) or {}).get("name")
        for sal in v.sals.get(s["id"], [])])]
    if minimal:  # "just id and modified_date", as the 3.0 OpenAPI document says
        return _page([{"id": s["id"], "modified_date": s.get("last_modified")} for s in items])
    return _page([v.service(s) if full else v.service_list_item(s) for s in items])


@bp.route("/services/<id>")
def service(id: str):  # noqa: A002 (the OpenAPI document names it id)
    _check(())
    v = _views()
    return jsonify(v.service(_one(v.services, id, "service")))


def _near(v: Views, sals: list[dict]) -> list[dict]:
    """``postcode`` (and ``proximity`` metres from its centre) on service_at_locations."""
    postcode = (request.args.get("postcode") or "").strip()
    proximity = request.args.get("proximity")
    if proximity not in (None, "") and not postcode:
        raise InvalidParameter("proximity", "needs a postcode to measure from")
    if not postcode:
        return sals

    def code(sal):
        addresses = (v.locations.get(sal["location_id"]) or {}).get("addresses") or [{}]
        return str(addresses[0].get("postal_code") or "").strip()

    if proximity in (None, ""):
        return [sal for sal in sals if code(sal) == postcode]
    try:
        metres = float(proximity)
        if not math.isfinite(metres) or metres < 0:
            raise ValueError
    except ValueError:
        raise InvalidParameter("proximity", f"expected metres (a number), got {proximity!r}") \
            from None
    points = [(loc["latitude"], loc["longitude"]) for loc in v.doc["locations"]
              if ((loc.get("addresses") or [{}])[0].get("postal_code") or "").strip() == postcode]
    if not points:
        raise InvalidParameter("postcode", f"no place in the directory has postcode "
                                           f"{postcode!r}, so its centre is unknown")
    lat0 = sum(p[0] for p in points) / len(points)
    lon0 = sum(p[1] for p in points) / len(points)
    out = []
    for sal in sals:
        loc = v.locations.get(sal["location_id"]) or {}
        if _metres(lat0, lon0, loc["latitude"], loc["longitude"]) <= metres:
            out.append(sal)
    return out


def _metres(lat1, lon1, lat2, lon2) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (math.sin((p2 - p1) / 2) ** 2
         + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2)
    return 2 * 6371008.8 * math.asin(math.sqrt(a))


@bp.route("/service_at_locations")
def service_at_locations():
    _check(PARAMETERS["service_at_locations"])
    full = _bool("full", True)
    v = _views()
    sals = []
    for sal in v.doc["service_at_locations"]:
        if request.args.get("service_id") and sal["service_id"] != request.args["service_id"]:
            continue
        if request.args.get("location_id") and sal["location_id"] != request.args["location_id"]:
            continue
        svc = {**v.services[sal["service_id"]], "attributes": sal.get("attributes") or []}
        loc = v.locations.get(sal["location_id"]) or {}
        if _matches_service(v, {**svc, "id": None}, [loc.get("name")]):
            sals.append(sal)
    sals = _near(v, sals)
    return _page([v.service_at_location(s) if full else v.service_at_location_list_item(s)
                  for s in sals])


@bp.route("/service_at_locations/<id>")
def service_at_location(id: str):  # noqa: A002
    _check(())
    v = _views()
    return jsonify(v.service_at_location(_one(v.sal_by_id, id, "service_at_location")))


def _search(items: list[dict], *keys: str) -> list[dict]:
    words = (request.args.get("search") or "").lower().split()
    return [it for it in items
            if all(w in " ".join(str(it.get(k) or "") for k in keys).lower() for w in words)]


@bp.route("/organizations")
def organizations():
    _check(PARAMETERS["organizations"])
    full, full_service = _bool("full", False), _bool("full_service", False)
    v = _views()
    orgs = _search(v.doc["organizations"], "name", "description")
    return _page([v.organization(o, full_service=full_service) if full or full_service
                  else {k: val for k, val in o.items() if not isinstance(val, (list, dict))}
                  for o in orgs])


@bp.route("/organizations/<id>")
def organization(id: str):  # noqa: A002
    _check(PARAMETERS["organization"])
    full_service = _bool("full_service", False)
    v = _views()
    return jsonify(v.organization(_one(v.orgs, id, "organization"), full_service=full_service))


@bp.route("/taxonomies")
def taxonomies():
    _check(PARAMETERS["taxonomies"])
    return _page(_search(_views().doc["taxonomies"], "name", "description"))


@bp.route("/taxonomies/<id>")
def taxonomy(id: str):  # noqa: A002
    _check(())
    return jsonify(_one(_views().taxonomies, id, "taxonomy"))


@bp.route("/taxonomy_terms")
def taxonomy_terms():
    _check(PARAMETERS["taxonomy_terms"])
    _bool("top_only", False)  # every buurtkaart term is a top-level term
    terms = _search(_views().doc["taxonomy_terms"], "code", "name", "description")
    if request.args.get("taxonomy_id"):
        terms = [t for t in terms if t.get("taxonomy_id") == request.args["taxonomy_id"]]
    if request.args.get("parent_id"):
        terms = [t for t in terms if t.get("parent_id") == request.args["parent_id"]]
    return _page(terms)


@bp.route("/taxonomy_terms/<id>")
def taxonomy_term(id: str):  # noqa: A002
    _check(())
    return jsonify(_one(_views().terms, id, "taxonomy term"))
