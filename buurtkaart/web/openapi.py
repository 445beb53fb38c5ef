"""The OpenAPI 3.1 document of the API (``GET /api/openapi.json``) and a readable page (``/api/docs``).

The filter parameters come from :data:`buurtkaart.filters.FILTER_PARAMETERS`,
so the document cannot disagree with what the API accepts; a test checks
that every ``/api/`` route is described.
"""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template, url_for
from markupsafe import Markup, escape

from .. import __version__
from ..filters import FILTER_PARAMETERS
from ..i18n import N_

bp = Blueprint("openapi", __name__, url_prefix="/api")

_ERROR = {"$ref": "#/components/responses/Error"}
_BUSY = {"$ref": "#/components/responses/Busy"}
_GEOJSON = {"description": "A GeoJSON FeatureCollection",
            "content": {"application/geo+json": {"schema": {
                "$ref": "#/components/schemas/FeatureCollection"}}}}
_FEATURE = {"description": "A GeoJSON Feature",
            "content": {"application/geo+json": {"schema": {"$ref": "#/components/schemas/Feature"}}}}
_JSON = {"description": "JSON", "content": {"application/json": {"schema": {"type": "object"}}}}
_RECORD = {"description": "The record as stored (importer field names)",
           "content": {"application/json": {"schema": {"$ref": "#/components/schemas/RecordResult"}}}}


_TRANSIT_SCHEMAS = {
    "percentile": {"type": "number", "minimum": 1, "maximum": 99},
    "max_transfers": {"type": "integer", "minimum": 0, "maximum": 10},
    "transit_access": {"type": "string", "enum": ["walk", "slow_walk", "wheelchair"]},
    "max_fare": {"type": "number", "minimum": 0},
    "reduced_fare": {"type": "string", "enum": ["true", "false"]},
    "min_stay": {"type": "number", "minimum": 0, "maximum": 600},
}


def _q(name: str, description: str, schema: dict | None = None, *, required: bool = False) -> dict:
    return {"name": name, "in": "query", "required": required, "description": description,
            "schema": schema or {"type": "string"}}


def _path_param(name: str, schema: dict | None = None, description: str = "") -> dict:
    return {"name": name, "in": "path", "required": True, "description": description,
            "schema": schema or {"type": "string"}}


_BOOL = {"type": "string", "enum": ["true", "false"]}
_FILTER_SCHEMAS = {"free": _BOOL, "walk_in": _BOOL, "childcare": _BOOL,
                   "children_welcome": _BOOL, "no_internet": _BOOL, "wheelchair": _BOOL,
                   "when": {"type": "string", "enum": ["now", "tonight", "weekend"]},
                   "date": {"type": "string", "format": "date"}}
FILTERS = [_q(n, h, _FILTER_SCHEMAS.get(n)) for n, h in FILTER_PARAMETERS.items()]
PAGING = [_q("limit", N_("At most this many features (1-10000)."),
             {"type": "integer", "minimum": 1}),
          _q("offset", N_("Skip this many features first."), {"type": "integer", "minimum": 0})]
_AUTH = [{"bearerAuth": []}]


def _get(summary: str, params: list, ok: dict, *, tag: str) -> dict:
    return {"get": {"summary": summary, "tags": [tag], "parameters": params,
                    "responses": {"200": ok, "400": _ERROR, "404": _ERROR}}}


def _write(summary: str, *, status: str = "200", body: bool = True, params=()) -> dict:
    op = {"summary": summary, "tags": ["editing"], "security": _AUTH, "parameters": list(params),
          "responses": {status: _RECORD, "400": _ERROR, "401": _ERROR, "403": _ERROR,
                        "404": _ERROR, "429": _ERROR, "503": _BUSY}}
    if body:
        op["requestBody"] = {"required": True, "content": {"application/json": {
            "schema": {"type": "object", "additionalProperties": True,
                       "description": "Fields as in the CSV/GeoJSON importers (docs/formats.md)"}}}}
    return op


def _paths() -> dict:
    paths: dict = {
        "/api/places": _get(N_("Meeting places matching the filters, with their activities"),
                            FILTERS + PAGING, _GEOJSON, tag="directory"),
        "/api/places/{place_id}": _get(N_("One place"),
                                       [_path_param("place_id", {"type": "integer"})],
                                 _FEATURE, tag="directory"),
        "/api/activities": _get(N_("Activities matching the filters (mobile ones have no "
                                   "geometry)"),
                                FILTERS + PAGING, _GEOJSON, tag="directory"),
        "/api/activities/{activity_id}": _get(N_("One activity"), [_path_param("activity_id", {"type": "integer"})],
                                     _FEATURE, tag="directory"),
        "/api/neighbourhoods": _get(
            N_("Neighbourhood polygons, optionally with an indicator value"),
            [_q("municipality", N_("5-digit NIS municipality code")),
             _q("bbox", FILTER_PARAMETERS["bbox"]),
             _q("indicator", N_("Indicator key to add as property `value` (with `note`: why "
                             "the value is unknown, e.g. confidential in the source)")),
             _q("year", N_("Year of the indicator (default: latest)"), {"type": "integer"}),
             _q("simplify", N_("Simplify polygons to this tolerance in metres"),
                {"type": "number", "minimum": 0})] + PAGING,
            _GEOJSON, tag="neighbourhoods"),
        "/api/neighbourhoods/{code}": _get(
            N_("One neighbourhood, optionally with an indicator value"),
            [_path_param("code"), _q("indicator", N_("Indicator key to add as property `value` "
                                                  "(with `note`: why it is unknown)")),
             _q("year", N_("Year of the indicator (default: latest)"), {"type": "integer"}),
             _q("simplify", N_("Simplify the polygon to this tolerance in metres"),
                {"type": "number", "minimum": 0})], _FEATURE, tag="neighbourhoods"),
        "/api/municipalities": _get(
            N_("Municipalities: NIS code, name (after `buurtkaart import municipalities`) and "
            "number of neighbourhoods"), [], _JSON, tag="neighbourhoods"),
        "/api/indicators": _get(N_("The indicators stored, with years and sources"), [], _JSON,
                                tag="neighbourhoods"),
        "/api/neighbourhoods/{code}/indicators": _get(
            N_("Every indicator of one neighbourhood for all years loaded, with sources and a "
            "note per value that is unknown for a known reason (confidential in the source)"),
            [_path_param("code")], _JSON, tag="neighbourhoods"),
        "/api/need-index": _get(
            N_("Need index per neighbourhood with each indicator's contribution (formula, years "
            "and weights in the response)"),
            [_q("weights", N_("indicator:weight pairs, comma-separated, e.g. "
                           "median_income:2,renter_share:1 (default: the documented set)")),
             _q("directions", N_("indicator:+1 or indicator:-1 pairs, comma-separated: +1 when "
                              "a higher value means more need; needed for indicators without "
                              "a registered direction")),
             _q("method", N_("Standardisation: z (z-scores, default) or rank (rank-based "
                          "normal scores, robust to outliers)"), {"type": "string",
                                                                 "enum": ["z", "rank"]}),
             _q("year", N_("Use only this year (default: each indicator's latest comparable "
                        "year)"), {"type": "integer"}),
             _q("municipality", N_("5-digit NIS code"))], _GEOJSON, tag="neighbourhoods"),
        "/api/typology": _get(
            N_("Gentrification and displacement class per neighbourhood with the reasons"),
            [_q("base_year", N_("First year compared (default: earliest)"), {"type": "integer"}),
             _q("end_year", N_("Last year compared (default: latest)"), {"type": "integer"}),
             _q("municipality", N_("5-digit NIS code: the region to compare with"))],
            _GEOJSON, tag="neighbourhoods"),
        "/api/openapi.json": _get(N_("This document"), [], _JSON, tag="meta"),
        "/api/docs": _get(N_("This document as a readable page"),
                          [], {"description": "HTML", "content": {"text/html": {}}}, tag="meta"),
        "/api/changes": {"get": {"summary": N_("The audit log, newest first"), "tags": ["editing"],
                                 "security": _AUTH,
                                 "parameters": [_q("limit", N_("1-1000"), {"type": "integer"})],
                                 "responses": {"200": _JSON, "401": _ERROR}}},
        "/api/changes/{change_id}/undo": {"post": _write(
            N_("Undo a change: put the record back as it was before it"), body=False,
            params=[_path_param("change_id", {"type": "integer"})])},
    }
    access = [_q("mode", N_("walk, slow_walk, wheelchair or bike (speeds in docs/traveltime.md)"),
                 {"type": "string", "enum": ["walk", "slow_walk", "wheelchair", "bike"]}),
              _q("minutes", N_("Travel-time limit in minutes (1-120)"), {"type": "number"}),
              _q("population_method", N_("Spread residents over 'buildings' or network 'nodes'"),
                 {"type": "string", "enum": ["buildings", "nodes"]})]
    from ..transit.reach import PARAMETERS as transit_params

    # every access question takes public transport and a departure time (docs/transit.md)
    with_transit = [_q("mode", N_("walk, slow_walk, wheelchair, bike, or transit (public "
                                  "transport from the loaded GTFS timetables; needs depart). "
                                  "The answer says which moment was evaluated ('when')"),
                       {"type": "string", "enum": ["walk", "slow_walk", "wheelchair", "bike",
                                                   "transit"]})] + access[1:] + [
        _q(name, text, _TRANSIT_SCHEMAS.get(name, {"type": "string"}))
        for name, text in transit_params.items()]
    paths.update({
        "/api/coverage": _get(
            N_("Per neighbourhood: population-weighted mean/median minutes to the nearest matching "
            "place, shares within 5/10/15/20 min and the limit, working models reachable, 2SFCA"),
            with_transit + FILTERS + [_q("by", N_("neighbourhood (GeoJSON) or municipality (JSON)"),
                                   {"type": "string", "enum": ["neighbourhood",
                                                               "municipality"]})],
            _GEOJSON, tag="access"),
        "/api/isochrone": _get(
            N_("The area from which a place is reached within the limit. With depart (required "
               "for mode=transit): the points from which one reaches the place, and can go in "
               "while it is open for min_stay minutes, within the limit in at least percentile "
               "in 100 departures of the window (one a minute; waiting at the door counts)"),
            [_q("place", N_("Place id"), {"type": "integer"}, required=True)]
            + with_transit[:2] + with_transit[3:], _FEATURE, tag="access"),
        "/api/finder": _get(N_("Matching places ordered by travel time from a point"),
                            [_q("lon", N_("Longitude"), {"type": "number"}, required=True),
                             _q("lat", N_("Latitude"), {"type": "number"}, required=True),
                             _q("limit", N_("At most this many places"), {"type": "integer"})]
                            + with_transit[:2] + with_transit[3:] + FILTERS, _GEOJSON,
                            tag="access"),
        "/api/search": _get(
            N_("What a typed text means: typed results (address, street, postcode, neighbourhood, "
            "municipality, place, activity) with labels, best first; accents and case do not "
            "matter, a misspelled word is corrected (see 'corrected'). 'meaning' is location "
            "(a point to order places from), municipality, text, choices or none"),
            [_q("q", N_("A street (with or without number), postcode, area or place name or word"),
                {"type": "string", "minLength": 1, "maxLength": 200}, required=True),
             _q("limit", N_("At most this many results (1-50, default 10)"),
                {"type": "integer", "minimum": 1, "maximum": 50})],
            _JSON, tag="directory"),
        "/api/ranking": _get(N_("Neighbourhoods ordered by need x lack of access (formula in the "
                             "response)"),
                             with_transit + FILTERS + [
                                 _q("need", N_("An indicator (default population) or need_index")),
                                 _q("year", N_("Year of the need indicator"), {"type": "integer"})],
                             _JSON, tag="access"),
        "/api/best-locations": _get(N_("Greedy maximal covering: k network points for a new "
                                       "place that bring the most residents without access "
                                       "within reach; says how many were asked and found and "
                                       "why fewer (stopped, reason), each with its "
                                       "neighbourhood and need index"),
                                    with_transit + FILTERS + [_q("k", N_("How many (1-20)"),
                                                           {"type": "integer"})],
                                    _GEOJSON, tag="access"),
        "/api/scenario": {"post": {
            "summary": N_("Change in coverage per neighbourhood if places were added or "
                          "removed, with the residents gaining and losing a place (nothing is "
                          "stored)"),
            "tags": ["access"],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "additionalProperties": False, "properties": {
                    "mode": {"type": "string"}, "minutes": {"type": "number"},
                    "population_method": {"type": "string"},
                    **{p["name"]: {**p["schema"], "description": p["description"]}
                       for p in with_transit[3:]},
                    "filter": {"type": "object", "description": "filter parameters"},
                    "add": {"type": "array", "items": {"type": "object", "properties": {
                        "lon": {"type": "number"}, "lat": {"type": "number"},
                        "models": {"type": "array", "items": {"type": "string"}},
                        "capacity": {"type": "number"}, "name": {"type": "string"}}}},
                    "remove": {"type": "array", "items": {"type": "integer"}}}}}}},
            "responses": {"200": _JSON, "400": _ERROR}}},
    })
    paths.update(_hsds_paths())
    for coll, words in _EDITING_WORDS.items():
        create, record, change, act = words
        uid = _path_param("uid", {"type": "string", "format": "uuid"})
        paths[f"/api/{coll}"]["post"] = _write(create, status="201")
        paths[f"/api/{coll}/by-uid/{{uid}}"] = {
            "get": {"summary": record,
                    "tags": ["editing"], "parameters": [uid],
                    "security": [{}, {"bearerAuth": []}],
                    "responses": {"200": _RECORD, "404": _ERROR}},
            "patch": _write(change, params=[uid]),
        }
        paths[f"/api/{coll}/by-uid/{{uid}}/{{action}}"] = {"post": _write(
            act, body=False,
            params=[uid, _path_param("action", {"type": "string",
                                                "enum": ["archive", "restore", "verify"]})])}
    return paths


#: The editing endpoints' summaries per collection: create, record, change, act.
_EDITING_WORDS = {
    "places": (N_("Create a place"),
               N_("The editable place record; an archived one only with the token of an "
                  "account that may edit it, else 404"),
               N_("Change fields of a place"), N_("Archive, restore or mark a place verified "
                                                  "today")),
    "activities": (N_("Create an activity"),
                   N_("The editable activity record; an archived one (or an activity at an "
                      "archived place) only with the token of an account that may edit it, "
                      "else 404"),
                   N_("Change fields of an activity"),
                   N_("Archive, restore or mark an activity verified today")),
}

_HSDS_PARAMS = {
    "page": (N_("Page number from 1"), {"type": "integer", "minimum": 1}),
    "per_page": (N_("Items per page (1-500, default 50)"), {"type": "integer", "minimum": 1}),
    "format": (N_("json (pages, the default) or ndjson (every result, one a line, no paging)"),
               {"type": "string", "enum": ["json", "ndjson"]}),
    "search": (N_("Words in the name or description (services: also their locations' "
                  "names)"), None),
    "taxonomy_term_id": (N_("Only services with this term that holds (a working model, or a "
                            "threshold whose value is true: walk_in false is not walk_in)"), None),
    "taxonomy_id": (N_("Only services with a term of this taxonomy that holds"), None),
    "organization_id": (N_("Only this organization's services"), None),
    "modified_after": (N_("Only services imported or edited at or after this date-time "
                          "(ISO 8601, UTC if no offset)"),
                       {"type": "string", "format": "date-time"}),
    "minimal": (N_("true: each service as just id and modified_date"), _BOOL),
    "full": (N_("Fully nested objects (services and service_at_locations: default true; "
             "organizations: default false)"), _BOOL),
    "full_service": (N_("Organizations with their services fully nested"), _BOOL),
    "postcode": (N_("Only locations with this postcode (with proximity: around its centre, the "
                    "mean of the directory's places with that postcode)"), None),
    "proximity": (N_("Metres from the centre of postcode"), {"type": "number", "minimum": 0}),
    "service_id": (N_("Only this service"), None),
    "location_id": (N_("Only this location"), None),
    "top_only": (N_("Only top-level terms (all buurtkaart terms are)"), _BOOL),
    "parent_id": (N_("Only terms with this parent"), None),
}


#: The HSDS collections' summaries: paged list, one object.
_HSDS_WORDS = {
    "services": (N_("HSDS 3.0 services (paged)"), N_("One of the HSDS 3.0 services")),
    "service_at_locations": (
        N_("HSDS 3.0 service_at_locations with their service and location (paged)"),
        N_("One of the HSDS 3.0 service_at_locations with their service and location")),
    "organizations": (N_("HSDS 3.0 organizations (paged)"),
                      N_("One of the HSDS 3.0 organizations")),
    "taxonomies": (N_("HSDS 3.0 taxonomies (paged)"), N_("One of the HSDS 3.0 taxonomies")),
    "taxonomy_terms": (N_("HSDS 3.0 taxonomy terms (paged)"),
                       N_("One of the HSDS 3.0 taxonomy terms")),
}


def _hsds_paths() -> dict:
    """The HSDS 3.0 API (``/api/hsds``), parameters as :mod:`.hsds_api` accepts them."""
    from .hsds_api import PARAMETERS

    def params(key):
        return [_q(n, *_HSDS_PARAMS[n]) for n in PARAMETERS[key]]

    page = {"description": "An HSDS 3.0 Page", "content": {"application/json": {"schema": {
        "type": "object", "required": ["total_items", "total_pages", "page_number", "size",
                                       "first_page", "last_page", "empty", "contents"]}}}}
    one = {"description": "One HSDS 3.0 object, compiled", "content": {"application/json": {
        "schema": {"type": "object", "required": ["id"]}}}}
    out = {"/api/hsds/": _get(N_("About this HSDS 3.0 API: version, profile, openapi_url"), [],
                              _JSON, tag="hsds")}
    for key, (paged, single_summary) in _HSDS_WORDS.items():
        out[f"/api/hsds/{key}"] = _get(paged, params(key), page, tag="hsds")
        single = params("organization") if key == "organizations" else []
        out[f"/api/hsds/{key}/{{id}}"] = _get(single_summary, [_path_param("id")] + single, one,
                                              tag="hsds")
    return out


def document() -> dict:
    """The OpenAPI document as a dict."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "buurtkaart API", "version": __version__,
                 "description": N_("Meeting places and network-strengthening activities for "
                                   "people in poverty, with their thresholds, travel times and "
                                   "need per neighbourhood. Errors always have the shape "
                                   "{ok: false, error, status}.")},
        "paths": _paths(),
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer",
                                               "description": "`buurtkaart users token EMAIL "
                                                              "[--expires-days N]` (90 days by "
                                                              "default); a revoked or expired "
                                                              "token answers 401 saying so"}},
            "responses": {
                "Error": {"description": "An error", "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Error"}}}},
                "Busy": {"description": "The database stayed busy (an import writing) longer "
                                        "than the busy timeout; nothing was saved, try again "
                                        "after Retry-After seconds",
                         "headers": {"Retry-After": {"schema": {"type": "integer"}}},
                         "content": {"application/json": {
                             "schema": {"$ref": "#/components/schemas/Error"}}}}},
            "schemas": {
                "Error": {"type": "object", "required": ["ok", "error", "status"],
                          "properties": {"ok": {"const": False}, "error": {"type": "string"},
                                         "status": {"type": "integer"},
                                         "parameter": {"type": "string"},
                                         "problems": {"type": "array",
                                                      "items": {"type": "string"}}}},
                "Feature": {"type": "object", "required": ["type", "properties"],
                            "properties": {"type": {"const": "Feature"},
                                           "geometry": {"type": ["object", "null"]},
                                           "properties": {"type": "object"}}},
                "FeatureCollection": {"type": "object", "required": ["type", "features"],
                                      "properties": {"type": {"const": "FeatureCollection"},
                                                     "time": {"$ref": "#/components/schemas/TimeWindow"},
                                                     "features": {"type": "array", "items": {
                                                         "$ref": "#/components/schemas/Feature"}}}},
                "TimeWindow": {
                    "description": "The window at real dates that when/date/day/from/to meant "
                                   "(null when no time was asked for): an instant ('at') for "
                                   "'now', else local wall-clock intervals",
                    "type": ["object", "null"], "required": ["when", "time_zone", "description"],
                    "properties": {"when": {"enum": ["now", "tonight", "weekend", "day", "date",
                                                     "week"]},
                                   "time_zone": {"type": "string"},
                                   "description": {"type": "string"},
                                   "at": {"type": "string"},
                                   "intervals": {"type": "array", "items": {
                                       "type": "object", "required": ["start", "end"],
                                       "properties": {"start": {"type": "string"},
                                                      "end": {"type": "string"}}}}}},
                "RecordResult": {"type": "object", "required": ["ok", "record"],
                                 "properties": {"ok": {"const": True},
                                                "record": {"type": "object"}}},
            },
        },
    }


@bp.route("/openapi.json")
def openapi_json():
    doc = document()
    doc["servers"] = [{"url": url_for("pages.index", _external=True).rstrip("/")}]
    return jsonify(doc)


@bp.app_template_filter("code_spans")
def code_spans(text: str) -> Markup:
    """Text with `backquoted` names (parameters, JSON) set as code, the rest escaped."""
    parts = str(text).split("`")
    return Markup("").join(escape(p) if i % 2 == 0 else Markup("<code>%s</code>") % p
                           for i, p in enumerate(parts))


@bp.route("/docs")
def docs():
    doc = document()
    return render_template("api_docs.html", doc=doc)
