"""Meeting places from an OpenStreetMap PBF extract (via pyrosm).

Which OSM objects become which kind of place (see :data:`KIND_RULES`):

=====================================================  ==========================
OSM tags                                               place kind
=====================================================  ==========================
``amenity=social_centre``                              drop-in centre
``amenity=social_facility`` + ``social_facility=``     drop-in centre
``outreach`` / ``soup_kitchen`` / ``food_bank``
``amenity=community_centre``                           community house
``amenity=library``                                    library
=====================================================  ==========================

Other social facilities (nursing homes, group homes, day care) are not
meeting places and are left out. Ways and relations are placed at a point
inside their outline. Name, address (``addr:*``), ``opening_hours``,
``wheelchair``, website, phone and e-mail are carried over; unnamed objects
are kept under the name of their kind ("Library (unnamed in OSM)") so that
a gap in OSM is visible rather than hidden. An ``opening_hours`` value the
parser does not understand is a warning (real data has typos): the value is
kept in the description, the place imported without hours.
"""

from __future__ import annotations

import json
import math
import warnings as _warnings
from pathlib import Path

from ..errors import ImportFailed, Problem
from ..hours import validate_opening_hours
from ..i18n import Msg
from ..records import Directory, stable_uid, validate_place
from ..taxonomy import PLACE_KINDS

__all__ = ["read_osm", "unreadable", "KIND_RULES", "SOURCE"]

SOURCE = "OpenStreetMap contributors (ODbL)"
KIND_RULES: tuple[tuple[str, str, tuple[str, ...] | None, str], ...] = (
    # (key, value, social_facility values or None, kind)
    ("amenity", "social_centre", None, "drop_in_centre"),
    ("amenity", "social_facility", ("outreach", "soup_kitchen", "food_bank"), "drop_in_centre"),
    ("amenity", "community_centre", None, "community_house"),
    ("amenity", "library", None, "library"),
)


def _value(row: dict, tags: dict, *keys: str) -> str | None:
    for k in keys:
        v = row.get(k)
        if v is None or (isinstance(v, float) and math.isnan(v)):
            v = tags.get(k)
        if v not in (None, "") and not (isinstance(v, float) and math.isnan(v)):
            return str(v).strip()
    return None


def _kind(row: dict, tags: dict) -> str | None:
    for key, value, sub, kind in KIND_RULES:
        if _value(row, tags, key) == value:
            if sub is None or _value(row, tags, "social_facility") in sub:
                return kind
    return None


def unreadable(file: str, exc: Exception) -> ImportFailed:
    """The refusal of a file pyrosm cannot read, with its reason (its own English words)."""
    return ImportFailed([Problem(file, None, None, Msg(
        "cannot be read as an OpenStreetMap PBF extract: %(error)s",
        error=str(exc) or type(exc).__name__))])


def read_osm(path: str | Path) -> Directory:
    """Read meeting places from ``path`` (an ``.osm.pbf`` file)."""
    path = Path(path)
    file = str(path)
    try:
        import pyrosm

        with _warnings.catch_warnings():
            _warnings.simplefilter("ignore")
            osm = pyrosm.OSM(str(path))
            pois = osm.get_pois(custom_filter={"amenity": [r[1] for r in KIND_RULES]})
    except Exception as exc:  # pyrosm raises plain exceptions for broken files
        raise unreadable(file, exc) from None
    out = Directory()
    if pois is None or len(pois) == 0:
        out.warnings.append(f"{file}: no meeting places (community centres, social centres, "
                            "libraries, outreach) found")
        return out
    problems: list[Problem] = []
    for row in pois.to_dict("records"):
        tags = row.get("tags")
        tags = json.loads(tags) if isinstance(tags, str) else tags
        tags = tags if isinstance(tags, dict) else {}
        kind = _kind(row, tags)
        if kind is None:
            continue
        where = f"{row['osm_type']} {row['id']}"
        geom = row["geometry"]
        pt = geom if geom.geom_type == "Point" else geom.representative_point()
        name = _value(row, tags, "name")
        street = " ".join(x for x in (_value(row, tags, "addr:street"),
                                      _value(row, tags, "addr:housenumber")) if x) or None
        description = _value(row, tags, "description")
        oh = _value(row, tags, "opening_hours")
        if oh:
            try:
                oh = validate_opening_hours(oh)
            except ValueError as exc:
                out.warnings.append(f"{file}, {where} ({name}): opening_hours {oh!r} not "
                                    f"understood ({exc}); kept in the description")
                description = "; ".join(x for x in (description,
                                                    f"opening hours in OSM: {oh}") if x)
                oh = None
        wheelchair = _value(row, tags, "wheelchair")
        if wheelchair not in (None, "yes", "limited", "no"):
            wheelchair = None
        url = _value(row, tags, "website", "contact:website", "url")
        email = _value(row, tags, "email", "contact:email")
        rec, probs = validate_place({
            "uid": stable_uid("osm", row["osm_type"], row["id"]),
            "name": name or f"{PLACE_KINDS[kind].label_en} (unnamed in OSM)",
            "kind": kind, "street": street, "postcode": _value(row, tags, "addr:postcode"),
            "city": _value(row, tags, "addr:city"), "lon": pt.x, "lat": pt.y,
            "opening_hours": oh, "wheelchair": wheelchair, "description": description,
            "url": url if url and url.startswith(("http://", "https://")) else None,
            "phone": _value(row, tags, "phone", "contact:phone"),
            "email": email if email and "@" in email and " " not in email else None,
            "source": f"{SOURCE}, {row['osm_type']}/{row['id']}",
        })
        for field, reason in probs:
            problems.append(Problem(file, where, field, reason))
        rec["where"] = where
        out.places.append(rec)
    if problems:
        raise ImportFailed(problems)
    return out
