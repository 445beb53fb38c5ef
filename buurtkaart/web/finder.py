"""Search for residents: ``GET /api/search`` (typed suggestions) and what the finder page
(``/places``) makes of a typed search, a chosen suggestion or the browser's position.

A typed street, address, postcode or neighbourhood (see :func:`search.resolve`)
becomes the point places are ordered from by travel time; a municipality
becomes the municipality filter; words of places and activities stay the text
filter (corrected when misspelled). A position the network cannot use (outside
the covered area) is a plain sentence on the page, never an error page.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from flask import Blueprint, jsonify, request, url_for

from .. import search
from ..errors import InvalidParameter
from ..filters import Filter
from ..i18n import N_
from .db import get_db
from .forgiving import page_args  # tracking and unknown parameters are not kept

bp = Blueprint("search", __name__)

#: Query parameters of the finder that are not filters.
FINDER_PARAMETERS = ("lon", "lat", "at")
API_LIMIT = 50

TYPE_LABELS = {"address": "address", "street": "street", "postcode": "postcode",
               "neighbourhood": "neighbourhood", "municipality": "municipality",
               "place": "place", "activity": "activity", "position": "your position"}

# shown on the page translated (``_(found.trouble)`` in templates/_search.html)
OUTSIDE = N_("Your position is outside the area buurtkaart covers, so we cannot count travel "
           "times from it. Type a street, an address or a postcode instead.")
UNREACHABLE = N_("This address lies too far from the paths and streets we know to count "
               "travel times from it. Try a nearby street or a postcode instead.")
NO_POSITION = N_("Your position could not be read. Type a street, an address or a postcode instead.")
NO_NETWORK = N_("Travel times are not available yet (an administrator has not built the street "
              "network), so the places are listed nearest first as the crow flies.")
GONE = N_("That choice is no longer available. Search again, please.")


def result_url(hit: search.Hit, keep: dict | None = None) -> str:
    """The page a search result opens."""
    keep = dict(keep or {})
    if hit.type == "place":
        return url_for("pages.place_detail", place_id=int(hit.ref))
    if hit.type == "activity":
        return url_for("pages.activity_detail", activity_id=int(hit.ref))
    if hit.type == "municipality":
        return url_for("pages.place_list", **{**keep, "municipality": hit.ref})
    return url_for("pages.place_list", **{**keep, "at": hit.key})


@dataclass
class Finder:
    """How the finder lists places for this request."""

    filt: Filter  # the conditions the list is made with
    outcome: search.Outcome | None = None
    start: search.Hit | None = None  # the point travel times are counted from
    trouble: str | None = None  # a plain sentence when a position cannot be used
    listing: bool = True  # False when the search needs a choice first or found nothing


def _position() -> tuple[float, float] | None:
    """The browser's position from the hidden ``lon``/``lat`` fields, if usable."""
    try:
        lon, lat = float(request.args["lon"]), float(request.args["lat"])
    except (KeyError, ValueError):
        return None
    if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180
            and -90 <= lat <= 90):
        return None
    return lon, lat


def finder(db, filt: Filter) -> Finder:
    """What the search, the chosen suggestion (``at``) or the position asks for."""
    args = request.args
    if args.get("lon") or args.get("lat"):
        pos = _position()
        if pos is None:
            return Finder(filt, trouble=NO_POSITION)
        return Finder(filt, start=search.Hit("position", "", "your position", None, *pos))
    if args.get("at"):
        hit = search.entry(db, args["at"])
        if hit is None or hit.type in ("place", "activity"):
            return Finder(filt, trouble=GONE, listing=False)
        if hit.type == "municipality":
            return Finder(replace(filt, municipality=hit.ref), start=None)
        return Finder(filt, start=hit)
    if not filt.q:
        return Finder(filt)
    out = search.resolve(db, filt.q)
    if out.kind == "location":
        return Finder(replace(filt, q=None), out, start=out.location)
    if out.kind == "municipality":
        return Finder(replace(filt, q=None, municipality=out.location.ref), out)
    if out.kind == "text":
        return Finder(replace(filt, q=out.searched), out)
    return Finder(filt, out, listing=False)


def as_the_crow_flies(places: list[dict], start: search.Hit) -> list[dict]:
    """``places`` nearest first in a straight line from ``start`` (no network to walk)."""
    scale = math.cos(math.radians(start.lat))

    def distance(p: dict) -> float:
        return math.hypot((p["lon"] - start.lon) * scale, p["lat"] - start.lat)

    return sorted(places, key=distance)


def outside_sentence(exc: InvalidParameter, start: search.Hit) -> str:
    """The plain sentence for a point the network cannot reach (``minutes_from`` refused)."""
    if exc.name != "lon":
        raise exc
    return OUTSIDE if start.type == "position" else UNREACHABLE


def kept_parameters() -> dict[str, list[str]]:
    """The filter parameters of this request, for forms and links that change the search."""
    drop = {"q", "page", *FINDER_PARAMETERS}
    from ..transit.reach import PARAMETERS as TRIP  # when one leaves, the ticket budget

    return {k: vs for k, vs in page_args(("mode", "minutes", *TRIP)).to_dict(flat=False).items()
            if k not in drop}


@bp.app_context_processor
def _template_helpers():
    return {"finder_url": result_url}


def _hit_json(hit: search.Hit) -> dict:
    return {"type": hit.type, "type_label": TYPE_LABELS[hit.type], "label": hit.label,
            "detail": hit.detail, "ref": hit.ref, "id": hit.key,
            "lon": hit.lon, "lat": hit.lat, "url": result_url(hit)}


@bp.route("/api/search")
def api_search():
    """Typed results for what was typed: addresses, streets, postcodes, areas, places,
    activities; a misspelled query is answered for its correction."""
    for name in request.args:
        if name not in ("q", "limit"):
            raise InvalidParameter(name, "unknown parameter (known: q, limit)")
    q = (request.args.get("q") or "").strip()
    if not q:
        raise InvalidParameter("q", "type something to search for")
    if len(q) > 200:
        raise InvalidParameter("q", "at most 200 characters")
    raw = request.args.get("limit") or "10"
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= API_LIMIT:
        raise InvalidParameter("limit", f"expected a whole number from 1 to {API_LIMIT}, "
                                        f"got {raw!r}")
    out = search.resolve(get_db(), q, limit=int(raw))
    first = [out.location] if out.location else []
    results = first + out.choices + [h for h in out.hits if h not in out.choices + first]
    return jsonify({"ok": True, "query": q, "corrected": out.corrected, "meaning": out.kind,
                    "location": _hit_json(out.location) if out.location else None,
                    "choices": [_hit_json(h) for h in out.choices],
                    "results": [_hit_json(h) for h in results[:int(raw)]],
                    "suggestions": out.suggestions})
