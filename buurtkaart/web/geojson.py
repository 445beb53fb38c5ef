"""Records as GeoJSON features (shared by the API and the pages' JSON links)."""

from __future__ import annotations

import shapely

from ..editing import is_stale
from ..hours import describe_session, format_sessions
from ..maps import geojson_geometry
from ..taxonomy import PLACE_KINDS, SAMPLE_DATA_LABEL, WORKING_MODELS

_THRESHOLD_KEYS = ("walk_in", "childcare", "children_welcome", "no_internet", "wheelchair")


def _tristate(v):
    return None if v is None else bool(v)


def activity_properties(a: dict) -> dict:
    cost = a.get("cost_amount")
    return {
        "id": a["id"], "uid": a["uid"], "name": a["name"], "description": a.get("description"),
        "organisation": a.get("organisation_name"),
        "place_id": a.get("place_id"), "place_name": a.get("place_name"),
        "mobile": a.get("place_id") is None,
        "models": a.get("models") or [],
        "model_labels": [WORKING_MODELS[m].label_nl for m in a.get("models") or []],
        "sessions": format_sessions(a.get("sessions") or []),
        "sessions_text": [describe_session(s) for s in a.get("sessions") or []],
        "status": a.get("status") or "active",
        "free": None if cost is None else cost == 0, "cost_amount": cost,
        "cost_currency": None if cost is None else a.get("cost_currency") or "EUR",
        "cost_note": a.get("cost_note"),
        **{k: _tristate(a.get(k)) for k in _THRESHOLD_KEYS},
        "languages": a.get("languages") or [], "target_group": a.get("target_group"),
        "capacity": a.get("capacity"), "url": a.get("url"), "email": a.get("email"),
        "phone": a.get("phone"), "last_verified": a.get("last_verified"),
        "stale": is_stale(a.get("last_verified")),
        "sample": bool(a.get("sample")),
        **({"sample_label": SAMPLE_DATA_LABEL} if a.get("sample") else {}),
    }


def place_feature(p: dict) -> dict:
    kind = PLACE_KINDS.get(p["kind"], PLACE_KINDS["other"])
    props = {
        "id": p["id"], "uid": p["uid"], "name": p["name"], "kind": p["kind"],
        "kind_label": kind.label_en, "kind_label_nl": kind.label_nl,
        "organisation": p.get("organisation_name"), "street": p.get("street"),
        "postcode": p.get("postcode"), "city": p.get("city"),
        "opening_hours": p.get("opening_hours"), "wheelchair": p.get("wheelchair"),
        "description": p.get("description"), "url": p.get("url"), "phone": p.get("phone"),
        "email": p.get("email"), "capacity": p.get("capacity"),
        "neighbourhood_code": p.get("neighbourhood_code"),
        "neighbourhood_name": p.get("neighbourhood_name"),
        "municipality_code": p.get("municipality_code"),
        "last_verified": p.get("last_verified"), "stale": is_stale(p.get("last_verified")),
        "source": p.get("source"), "sample": bool(p.get("sample")),
        "activities": [activity_properties(a) for a in p.get("activities") or []],
    }
    return {"type": "Feature", "id": p["id"],
            "geometry": {"type": "Point", "coordinates": [p["lon"], p["lat"]]},
            "properties": props}


def activity_feature(a: dict) -> dict:
    place = a.get("place")
    geom = ({"type": "Point", "coordinates": [place["lon"], place["lat"]]} if place else None)
    return {"type": "Feature", "id": a["id"], "geometry": geom,
            "properties": activity_properties(a)}


def neighbourhood_feature(n: dict, *, value=None, indicator=None, year=None) -> dict:
    props = {"code": n["code"], "name": n.get("name"),
             "municipality_code": n.get("municipality_code"),
             "municipality_name": n.get("municipality_name"),
             "area_m2": round(n["area_m2"]) if n.get("area_m2") else None}
    if indicator:
        props.update(indicator=indicator, year=year, value=value)
    return {"type": "Feature", "id": n["code"],
            "geometry": geojson_geometry(n),
            "properties": props}


def collection(features: list[dict], *, matched: int | None = None, **extra) -> dict:
    return {"type": "FeatureCollection", "numberMatched": len(features) if matched is None
            else matched, "numberReturned": len(features), **extra, "features": features}


def _clean_number(v):
    if v is None:
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return v
    return None if f != f or f in (float("inf"), float("-inf")) else f


def coverage_collection(db, cov, report: dict) -> dict:
    """Coverage rows as neighbourhood polygons with their numbers as properties."""
    from .. import store

    geoms = {n["code"]: n["geometry"] for n in store.neighbourhoods(db, simplify=0.00005)}
    feats = []
    for row in cov.to_dict("records"):
        props = {k: _clean_number(v) if k not in ("code", "name", "municipality_code") else v
                 for k, v in row.items()}
        geom = geoms.get(row["code"])
        feats.append({"type": "Feature", "id": row["code"],
                      "geometry": shapely.geometry.mapping(geom) if geom is not None else None,
                      "properties": props})
    meta = {k: v for k, v in report.items() if k not in ("method", "year")}
    meta["population_method"] = report.get("method")
    return collection(feats, report=meta)
