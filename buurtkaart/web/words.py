"""Words instead of codes on the pages: addresses, route links, sources, hours, languages.

Registered as template globals by :mod:`buurtkaart.web.pages`; every text goes through
:mod:`buurtkaart.i18n`, so it follows the page's language.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import quote

from ..hours_text import hours_text, session_text
from ..i18n import language_name
from ..maps import address
from ..taxonomy import wheelchair_text

__all__ = ["address", "route_url", "source_parts", "template_globals"]

#: OpenStreetMap's route planner, walking, to a place (the start is left to the visitor).
ROUTE_URL = "https://www.openstreetmap.org/directions?engine=fossgis_osrm_foot&route={route}"
OSM_OBJECT_URL = "https://www.openstreetmap.org/{kind}/{id}"
_OSM_ID_RE = re.compile(r"(?:,\s*)?\b(node|way|relation)/(\d+)\b")


def route_url(p: Mapping) -> str:
    """A link to OpenStreetMap's route planner ending at the place."""
    return ROUTE_URL.format(route=quote(f";{p['lat']:.5f},{p['lon']:.5f}", safe=""))


def source_parts(source: str | None) -> dict:
    """The source without an OpenStreetMap id, and a link to that object when there is one
    (``"OpenStreetMap contributors (ODbL), node/4989964863"``)."""
    text = source or ""
    m = _OSM_ID_RE.search(text)
    if not m:
        return {"text": text, "osm_url": None}
    return {"text": (text[:m.start()] + text[m.end():]).strip(" ,"),
            "osm_url": OSM_OBJECT_URL.format(kind=m[1], id=m[2])}


def template_globals() -> dict:
    return {"address": address, "route_url": route_url, "source_parts": source_parts,
            "wheelchair_text": wheelchair_text, "hours_text": hours_text,
            "describe_session": session_text, "language_name": language_name}
