"""The directory as GeoJSON: places as Point features with nested activities,
mobile activities as features without geometry (what the GeoJSON importer reads)."""

from __future__ import annotations

import json
from pathlib import Path

from .. import store
from ..importers.tabular import YES_NO_COLUMNS, activity_columns, place_columns
from . import atomic_write


def _clean(d: dict) -> dict:
    """Leave out empty values; yes/no columns become JSON true/false."""
    out = {}
    for k, v in d.items():
        if v is None or (isinstance(v, str) and v == "") or v == []:
            continue
        if k in YES_NO_COLUMNS:
            if k in ("sample", "place_sample") and not v:
                continue
            v = bool(v)
        out[k] = v
    return out


__all__ = ["write", "feature_collection"]


def feature_collection(db) -> dict:
    """The directory as a GeoJSON FeatureCollection (a dict), as the importer reads it."""
    features = []
    for p in store.places(db):
        props = _clean(place_columns(p))
        props.pop("lon", None)
        props.pop("lat", None)
        acts = [_clean(activity_columns(a)) for a in p["activities"]]
        if acts:
            props["activities"] = acts
        features.append({"type": "Feature",
                         "geometry": {"type": "Point", "coordinates": [p["lon"], p["lat"]]},
                         "properties": props})
    for a in store.activities(db):
        if a["place_id"] is None:
            props = _clean(activity_columns(a))
            features.append({"type": "Feature", "geometry": None, "properties": props})
    orgs = [_clean({k: o.get(k) for k in ("uid", "name", "description", "url", "email",
                                          "phone")}) for o in store.organisations(db)]
    # "organisations" is a GeoJSON foreign member (RFC 7946, 6.1): contact details
    # of the organisations the features name, so an export re-imports completely.
    return {"type": "FeatureCollection", "organisations": orgs, "features": features}


def write(db, out: Path) -> str:
    """Write the directory to ``out`` as GeoJSON (UTF-8); returns a one-line summary."""
    fc = feature_collection(db)
    atomic_write(out, json.dumps(fc, ensure_ascii=False, indent=1))
    return f"{len(fc['features'])} features to {out}"
