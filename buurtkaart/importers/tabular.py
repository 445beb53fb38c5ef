"""Places and activities from CSV (or .xlsx) and GeoJSON, with the columns in
:data:`CSV_COLUMNS`.

CSV: one row per activity at a place (in any encoding and delimiter :mod:`.tables` reads,
or an Excel sheet with the same columns). A row with only place columns is a
place without activities; a row with no place (no ``place_name``, ``lon``,
``lat``) is a mobile activity, such as a buddy project. A place on several
rows is written once; its columns must agree on every row. A row whose only
place column is ``place_uid`` refers to a place described on another row or
already stored, so a place's details need to be typed once.

GeoJSON: a FeatureCollection. A Point feature is a place whose properties
use the place column names and may carry an ``activities`` list of objects
with the activity column names; a feature with ``"geometry": null`` is an
activity: held at the place its ``place_uid`` names, or mobile without one. Coordinates are WGS84 longitude, latitude (RFC 7946); a
``crs`` member naming anything else is refused.

The exporters write exactly these formats, so an export imports back to the
same records.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..errors import ImportFailed, Problem
from ..i18n import Msg, row_msg
from . import load_json
from .csvtext import restore_formula
from ..records import (Directory, validate_activity, validate_organisation,
                       validate_place)

__all__ = ["CSV_COLUMNS", "PLACE_COLUMNS", "ACTIVITY_COLUMNS", "YES_NO_COLUMNS", "read_csv",
           "read_geojson", "place_columns", "activity_columns"]

#: column -> (record field, description). Place columns first.
PLACE_COLUMNS: dict[str, tuple[str, str]] = {
    "place_uid": ("uid", "stable id of the place (any text; a UUID is made from name and "
                         "coordinates when empty)"),
    "place_name": ("name", "name of the meeting place"),
    "kind": ("kind", "drop_in_centre, community_house, local_service_centre, library or other "
                     "(Dutch or English labels also accepted)"),
    "organisation": ("organisation", "name of the organisation that runs it"),
    "organisation_uid": ("organisation_uid", "stable id of the organisation (optional)"),
    "street": ("street", "street and number"),
    "postcode": ("postcode", "postcode, as text"),
    "city": ("city", "municipality or town"),
    "lon": ("lon", "longitude, WGS84 decimal degrees"),
    "lat": ("lat", "latitude, WGS84 decimal degrees"),
    "opening_hours": ("opening_hours", "OpenStreetMap opening_hours, e.g. Mo-Fr 09:00-17:00"),
    "place_wheelchair": ("wheelchair", "yes, limited or no (OSM wheelchair=*)"),
    "place_description": ("description", "about the place"),
    "place_url": ("url", "website (http/https)"),
    "place_phone": ("phone", "phone number"),
    "place_email": ("email", "e-mail address"),
    "place_capacity": ("capacity", "how many people fit (whole number)"),
    "place_last_verified": ("last_verified", "date the place's data was checked, YYYY-MM-DD"),
    "place_source": ("source", "where the record comes from"),
    "place_sample": ("sample", "yes when generated sample data, not a real place"),
}
ACTIVITY_COLUMNS: dict[str, tuple[str, str]] = {
    "activity_uid": ("uid", "stable id of the activity"),
    "activity_name": ("name", "name of the activity"),
    "organiser": ("organiser", "organisation that runs the activity, when not the place's "
                               "(for a mobile activity, 'organisation' also works)"),
    "organiser_uid": ("organiser_uid", "stable id of that organisation (optional)"),
    "description": ("description", "what happens"),
    "models": ("models", "working models, separated by ';': competence, buddy, personal_network, "
                         "peer, context, organisation, location (or their Dutch/English labels)"),
    "sessions": ("sessions", "weekly sessions, e.g. 'Tu 18:00-20:00; Mo[1] 10:00-12:00' "
                             "([1] = first of the month, [-1] = last)"),
    "cost": ("cost_amount", "'free' (or gratis, 0) or an amount in euro such as 3.50; empty = "
                            "unknown"),
    "cost_note": ("cost_note", "about the cost (reductions, UiTPAS, ...)"),
    "walk_in": ("walk_in", "yes/no/empty: can one come without registration or referral?"),
    "childcare": ("childcare", "yes/no/empty: childcare on site?"),
    "children_welcome": ("children_welcome", "yes/no/empty: may children come along?"),
    "no_internet": ("no_internet", "yes/no/empty: can one join without internet or e-mail?"),
    "wheelchair": ("wheelchair", "yes/no/empty: wheelchair accessible activity?"),
    "languages": ("languages", "ISO 639 codes separated by ';', e.g. nl;fr;ar"),
    "target_group": ("target_group", "who it is for"),
    "capacity": ("capacity", "how many participants (whole number)"),
    "url": ("url", "website of the activity"),
    "email": ("email", "contact e-mail"),
    "phone": ("phone", "contact phone"),
    "last_verified": ("last_verified", "date the activity's data was checked, YYYY-MM-DD"),
    "source": ("source", "where the record comes from"),
    "sample": ("sample", "yes when generated sample data, not a real activity"),
}
CSV_COLUMNS = {**PLACE_COLUMNS, **ACTIVITY_COLUMNS}
_PLACE_KEYS = ("place_name", "lon", "lat")
#: columns holding yes/no (empty = unknown); the exporters write them as yes/no (CSV)
#: or true/false (GeoJSON), the importer reads either, and ja/nee, 1/0 too
YES_NO_COLUMNS = ("walk_in", "childcare", "children_welcome", "no_internet", "wheelchair",
                  "sample", "place_sample")


def place_columns(place: dict) -> dict[str, Any]:
    """A stored/validated place as CSV/GeoJSON columns (the exporters' view)."""
    out = {col: place.get(field) for col, (field, _) in PLACE_COLUMNS.items()}
    out["organisation"] = place.get("organisation_name") or place.get("organisation")
    return out


def activity_columns(activity: dict) -> dict[str, Any]:
    """A stored activity as CSV/GeoJSON columns; lists joined with ';'."""
    from ..hours import format_sessions

    out = {col: activity.get(field) for col, (field, _) in ACTIVITY_COLUMNS.items()}
    out["organiser"] = activity.get("organisation_name")
    out["organiser_uid"] = activity.get("organisation_uid")
    out["models"] = ";".join(activity.get("models") or [])
    out["languages"] = ";".join(activity.get("languages") or [])
    sessions = activity.get("sessions") or []
    out["sessions"] = sessions if isinstance(sessions, str) else format_sessions(sessions)
    return out


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


class _Reader:
    """Collects validated records and every problem, for one file."""

    def __init__(self, file: str):
        self.file = file
        self.problems: list[Problem] = []
        self.orgs: dict[str, dict] = {}
        self.places: dict[str, dict] = {}
        self.place_where: dict[str, str] = {}
        self.activities: list[dict] = []
        self.activity_where: dict[str, str] = {}

    def problem(self, where: str, field: str | None, reason: str) -> None:
        self.problems.append(Problem(self.file, where, field, reason))

    def organisation(self, name: Any, uid: Any, where: str) -> str | None:
        if _blank(name) and _blank(uid):
            return None
        if not _blank(uid) and uid in self.orgs:
            return uid
        rec, probs = validate_organisation({"name": name if not _blank(name) else uid,
                                            "uid": uid})
        for f, r in probs:
            self.problem(where, "organisation", r)
        self.orgs.setdefault(rec["uid"], rec)
        return rec["uid"]

    def place(self, cols: dict, where: str, names: dict[str, str], *,
              repeats: bool = True) -> str | None:
        """A place; ``repeats`` allows the same place on several rows (CSV: one row per
        activity), as long as the rows agree."""
        if not _blank(cols.get("place_uid")) and all(
                _blank(cols.get(c)) for c in PLACE_COLUMNS if c != "place_uid"):
            # only a reference: the place is on another row, or already stored
            # (store.save_directory reports an unknown one, naming this row)
            return str(cols["place_uid"]).strip()
        rec = {field: cols.get(col) for col, (field, _) in PLACE_COLUMNS.items()
               if field != "organisation"}
        rec["organisation_uid"] = self.organisation(cols.get("organisation"),
                                                    cols.get("organisation_uid"), where)
        clean, probs = validate_place(rec)
        for field, reason in probs:
            self.problem(where, names.get(field, field), reason)
        if probs:
            return clean.get("uid")
        clean["where"] = where
        uid = clean["uid"]
        if uid in self.places and not repeats:
            self.problem(where, names.get("uid", "uid"),
                         Msg("place %(uid)s is also %(where)s: one id, one place",
                             uid=repr(uid), where=self.place_where[uid]))
        elif uid in self.places:
            first = self.places[uid]
            for key, value in clean.items():
                if key != "where" and first.get(key) != value:
                    self.problem(where, names.get(key, key),
                                 Msg("place %(uid)s has %(value)s here but %(first)s in "
                                     "%(where)s", uid=repr(uid), value=repr(value),
                                     first=repr(first.get(key)), where=self.place_where[uid]))
        else:
            self.places[uid] = clean
            self.place_where[uid] = where
        return uid

    def activity(self, cols: dict, where: str, place_uid: str | None,
                 names: dict[str, str]) -> None:
        rec = {field: cols.get(col) for col, (field, _) in ACTIVITY_COLUMNS.items()
               if field not in ("organiser", "organiser_uid")}
        rec["place_uid"] = place_uid
        org = self.organisation(cols.get("organiser"), cols.get("organiser_uid"), where)
        if org is None and place_uid is None:
            org = self.organisation(cols.get("organisation"), cols.get("organisation_uid"), where)
        rec["organisation_uid"] = org or (self.places.get(place_uid) or {}).get("organisation_uid")
        clean, probs = validate_activity(rec)
        for field, reason in probs:
            self.problem(where, names.get(field, field), reason)
        clean["where"] = where
        uid = clean.get("uid")
        if uid in self.activity_where:
            col = names.get("uid", "uid")
            values = {"uid": repr(uid), "where": self.activity_where[uid], "column": col}
            self.problem(where, col, Msg(
                "activity %(uid)s is also in %(where)s: one id, one activity (give each its "
                "own id)", **values) if not _blank(cols.get(col)) else Msg(
                "activity %(uid)s (the id made from name, place and organiser, as there is no "
                "%(column)s) is also in %(where)s: one id, one activity (give each its own id)",
                **values))
            return
        self.activity_where[uid] = where
        self.activities.append(clean)

    def result(self) -> Directory:
        if self.problems:
            raise ImportFailed(self.problems)
        for a in self.activities:  # a place described on a later row: its organisation
            if a.get("organisation_uid") is None and a.get("place_uid") in self.places:
                a["organisation_uid"] = self.places[a["place_uid"]].get("organisation_uid")
        return Directory(list(self.orgs.values()), list(self.places.values()), self.activities)


_PLACE_NAMES = {field: col for col, (field, _) in PLACE_COLUMNS.items()}
_ACTIVITY_NAMES = {field: col for col, (field, _) in ACTIVITY_COLUMNS.items()}


def _read_text(path: Path, file: str) -> str:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ImportFailed([Problem(file, None, None, Msg("cannot be read: %(error)s",
                                                          error=str(exc)))]) from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise ImportFailed([Problem(file, row_msg(line), None, Msg(
            "is not valid UTF-8 (byte %(byte)s at offset %(offset)s); save the file as UTF-8",
            byte=f"{raw[exc.start]:#x}", offset=exc.start))]) from None


#: columns holding a website: ``www.example.be`` (as people type it) is stored as
#: ``https://www.example.be``
URL_COLUMNS = ("place_url", "url")


def _web_address(cols: dict) -> list[str]:
    """Complete ``www.`` addresses in place; the repairs, for the user."""
    done = []
    for k in URL_COLUMNS:
        v = cols.get(k)
        if isinstance(v, str) and v.strip().lower().startswith("www."):
            cols[k] = "https://" + v.strip()
            done.append(cols[k])
    return done


def read_csv(path: str | Path) -> Directory:
    """Read places and activities from a table: CSV/TXT (``,``, ``;``, ``|`` or tab; UTF-8,
    UTF-16 or Windows-1252, the encoding reported in ``warnings``), ``.xlsx`` or a ``.zip``
    around either (see :mod:`.tables`)."""
    from .tables import read_table

    table = read_table(path)
    file = table.file
    header = table.header
    if not header or not any(header):
        raise ImportFailed([Problem(file, None, None, Msg("is empty"))])
    unknown = [h for h in header if h not in CSV_COLUMNS]
    if unknown:
        raise ImportFailed([Problem(file, row_msg(1), h, Msg(
            "unknown column (known columns: %(known)s)", known=", ".join(CSV_COLUMNS)))
                            for h in unknown])
    if not ({"place_name", "activity_name"} & set(header)):
        raise ImportFailed([Problem(file, row_msg(1), None,
                                    Msg("needs a place_name or an activity_name column"))])
    out = _Reader(file)
    completed = []
    for n, cells in table.rows:
        where = row_msg(n)
        if len(cells) > len(header):
            out.problem(where, None, Msg("has %(values)s values but the header has "
                                         "%(columns)s columns", values=len(cells),
                                         columns=len(header)))
            continue
        cols = {k: (restore_formula(v) if not _blank(v) else None)
                for k, v in zip(header, cells)}
        if all(v is None for v in cols.values()):
            continue
        completed += _web_address(cols)
        has_place = any(cols.get(k) is not None for k in _PLACE_KEYS + ("place_uid",))
        has_activity = any(cols.get(k) is not None for k in ACTIVITY_COLUMNS)
        place_uid = out.place(cols, where, _PLACE_NAMES) if has_place else None
        first = out.place_where.get(place_uid)
        if has_place and not has_activity and first not in (None, where):
            out.problem(where, "place_uid", Msg(
                "place %(uid)s is also in %(where)s: a row without an activity describes a "
                "place only once", uid=repr(place_uid), where=first))
        if has_activity:
            out.activity(cols, where, place_uid, _ACTIVITY_NAMES)
    result = out.result()
    result.warnings += table.notes
    if completed:
        result.warnings.append(f"{file}: {len(completed)} web address(es) written without "
                               f"http(s):// stored as {', '.join(sorted(set(completed))[:5])}"
                               + (" ..." if len(set(completed)) > 5 else ""))
    return result


def read_geojson(path: str | Path) -> Directory:
    """Read places (Point features) and mobile activities (null geometry) from GeoJSON."""
    path = Path(path)
    file = str(path)
    data = load_json(_read_text(path, file), file)
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise ImportFailed([Problem(file, None, "type",
                                    Msg("expected a GeoJSON FeatureCollection"))])
    crs = data.get("crs")
    if crs is not None:
        name = str((crs.get("properties") or {}).get("name", "")) if isinstance(crs, dict) else ""
        if not any(t in name for t in ("CRS84", "EPSG::4326", "EPSG:4326")):
            raise ImportFailed([Problem(file, None, "crs",
                                        Msg("coordinates must be WGS84 longitude/latitude "
                                            "(RFC 7946); this file declares %(crs)s",
                                            crs=name or repr(crs)))])
    features = data.get("features")
    if not isinstance(features, list):
        raise ImportFailed([Problem(file, None, "features",
                                    Msg("must be a list of features"))])
    out = _Reader(file)
    org_where: dict[str, str] = {}
    for i, org in enumerate(data.get("organisations") or []):
        rec, probs = validate_organisation(org if isinstance(org, dict) else {})
        for f, reason in probs:
            out.problem(f"organisations[{i}]", f, reason)
        if rec.get("uid") in org_where:
            out.problem(f"organisations[{i}]", "uid", Msg(
                "organisation %(uid)s is also %(where)s: one id, one organisation",
                uid=repr(rec["uid"]), where=org_where[rec["uid"]]))
        org_where.setdefault(rec.get("uid"), f"organisations[{i}]")
        out.orgs[rec["uid"]] = rec
    place_props = set(PLACE_COLUMNS) | {"activities"}
    for i, feat in enumerate(features, start=1):
        where = Msg("feature %(num)s", num=i)
        if not isinstance(feat, dict) or feat.get("type") != "Feature":
            out.problem(where, "type", Msg("expected a Feature"))
            continue
        props = feat.get("properties") or {}
        if not isinstance(props, dict):
            out.problem(where, "properties", Msg("must be an object"))
            continue
        geom = feat.get("geometry")
        if geom is None:
            # an activity: mobile, or held at the place named by place_uid (a Point
            # feature of this file, or a place already stored)
            allowed = set(ACTIVITY_COLUMNS) | {"organisation", "organisation_uid", "place_uid"}
            for k in sorted(set(props) - allowed):
                out.problem(where, k, Msg("unknown property for an activity without geometry "
                                          "(known: %(known)s)", known=", ".join(sorted(allowed))))
            place_uid = props.get("place_uid")
            if not _blank(place_uid):
                place_uid = str(place_uid).strip()
                props = {k: v for k, v in props.items()
                         if k not in ("organisation", "organisation_uid")} | (
                    {"organiser": props.get("organisation"),
                     "organiser_uid": props.get("organisation_uid")}
                    if _blank(props.get("organiser")) and _blank(props.get("organiser_uid"))
                    else {})
            else:
                place_uid = None
            out.activity(props, where, place_uid, _ACTIVITY_NAMES)
            continue
        if not isinstance(geom, dict) or geom.get("type") != "Point":
            out.problem(where, "geometry", Msg(
                "expected a Point (or null for a mobile activity), got %(got)s",
                got=geom.get("type") if isinstance(geom, dict) else repr(geom)))
            continue
        coords = geom.get("coordinates")
        if not (isinstance(coords, list) and len(coords) >= 2):
            out.problem(where, "geometry", Msg("a Point needs [longitude, latitude]"))
            continue
        for k in sorted(set(props) - place_props):
            out.problem(where, k, Msg("unknown property (known: %(known)s)",
                                      known=", ".join(sorted(place_props))))
        cols = {**props, "lon": coords[0], "lat": coords[1]}
        place_uid = out.place(cols, where, {**_PLACE_NAMES, "lon": "geometry",
                                            "lat": "geometry"}, repeats=False)
        acts = props.get("activities") or []
        if not isinstance(acts, list):
            out.problem(where, "activities", Msg("must be a list of activity objects"))
            continue
        for j, act in enumerate(acts):
            a_where = Msg("%(where)s, activities[%(num)s]", where=where, num=j)
            if not isinstance(act, dict):
                out.problem(a_where, None, Msg("must be an object"))
                continue
            for k in sorted(set(act) - set(ACTIVITY_COLUMNS)):
                out.problem(a_where, k, Msg("unknown activity property"))
            out.activity(act, a_where, place_uid, _ACTIVITY_NAMES)
    return out.result()
