"""Open Referral HSDS 3.0 read endpoints (``/api/hsds/...``), built from the same mapping as
the HSDS exporter, with the HSDS API's paging (``page``, ``per_page``) and filters."""

from __future__ import annotations

import math

from flask import Blueprint, jsonify, request

from ..errors import InvalidParameter, NotFound
from ..exporters.hsds import document
from .db import get_db
from .params import int_arg

bp = Blueprint("hsds", __name__, url_prefix="/api/hsds")

LIST_PARAMS = ("page", "per_page", "search", "taxonomy_term_id", "taxonomy_id",
               "organization_id", "minimal")



def _check(allowed) -> None:
    for name in request.args:
        if name not in allowed:
            raise InvalidParameter(name, f"unknown parameter (known: {', '.join(allowed)})")


def _compiled(doc: dict) -> list[dict]:
    orgs = {o["id"]: o for o in doc["organizations"]}
    locs = {loc["id"]: loc for loc in doc["locations"]}
    sals: dict[str, list] = {}
    for sal in doc["service_at_locations"]:
        sals.setdefault(sal["service_id"], []).append({**sal, "location": locs.get(
            sal["location_id"])})
    out = []
    for svc in doc["services"]:
        out.append({**svc, "organization": orgs.get(svc.get("organization_id")),
                    "service_at_locations": sals.get(svc["id"], [])})
    return out


def _terms(obj: dict) -> set[str]:
    ids = {a["taxonomy_term_id"] for a in obj.get("attributes") or []}
    for sal in obj.get("service_at_locations") or []:
        ids |= {a["taxonomy_term_id"] for a in sal.get("attributes") or []}
    return ids


def _taxonomies(obj: dict) -> set[str]:
    ids = {a["taxonomy_term"]["taxonomy_id"] for a in obj.get("attributes") or []}
    for sal in obj.get("service_at_locations") or []:
        ids |= {a["taxonomy_term"]["taxonomy_id"] for a in sal.get("attributes") or []}
    return ids


def _filtered(items: list[dict]) -> list[dict]:
    q = (request.args.get("search") or "").lower().split()
    term = request.args.get("taxonomy_term_id")
    tax = request.args.get("taxonomy_id")
    org = request.args.get("organization_id")
    out = []
    for it in items:
        svc = it.get("service", it)
        text = " ".join(str(x) for x in (svc.get("name"), svc.get("description"),
                                         (it.get("location") or {}).get("name")) if x).lower()
        if q and not all(w in text for w in q):
            continue
        if term and term not in _terms(it):
            continue
        if tax and tax not in _taxonomies(it):
            continue
        if org and svc.get("organization_id") != org:
            continue
        out.append(it)
    return out


def _page(items: list[dict]):
    per_page = int_arg("per_page", lo=1, hi=500, default=50)
    page = int_arg("page", lo=1, hi=10**6, default=1)
    total = len(items)
    pages = max(1, math.ceil(total / per_page))
    contents = items[(page - 1) * per_page: page * per_page]
    return jsonify({"total_items": total, "total_pages": pages, "page_number": page,
                    "size": len(contents), "first_page": page == 1, "last_page": page >= pages,
                    "empty": not contents, "contents": contents})


def _minimal(svc: dict) -> dict:
    return {k: svc.get(k) for k in ("id", "name", "description", "status", "organization_id")}


@bp.route("/services")
def services():
    _check(LIST_PARAMS)
    minimal = request.args.get("minimal", "").lower()
    if minimal not in ("", "true", "1", "false", "0"):
        raise InvalidParameter("minimal", f"expected true or false, got {minimal!r}")
    minimal = minimal in ("true", "1")
    items = _filtered(_compiled(document(get_db())))
    return _page([_minimal(s) for s in items] if minimal else items)


@bp.route("/services/<service_id>")
def service(service_id: str):
    _check(())
    for svc in _compiled(document(get_db())):
        if svc["id"] == service_id:
            return jsonify(svc)
    raise NotFound(f"no service with id {service_id!r}")


@bp.route("/service_at_locations")
def service_at_locations():
    _check(tuple(p for p in LIST_PARAMS if p != "minimal") + ("service_id", "location_id"))
    doc = document(get_db())
    services_by_id = {s["id"]: s for s in doc["services"]}
    locs = {loc["id"]: loc for loc in doc["locations"]}
    items = []
    for sal in doc["service_at_locations"]:
        if request.args.get("service_id") and sal["service_id"] != request.args["service_id"]:
            continue
        if request.args.get("location_id") and sal["location_id"] != request.args["location_id"]:
            continue
        items.append({**sal, "service": services_by_id.get(sal["service_id"]),
                      "location": locs.get(sal["location_id"])})
    return _page(_filtered(items))
