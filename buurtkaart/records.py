"""Validation of directory records: organisations, places, activities.

Every way data comes in (CSV, GeoJSON, HSDS, OSM, later the edit forms)
maps its own format to the plain dictionaries below and passes them through
these validators, so the same rules hold everywhere. A validator returns the
clean record and a list of ``(field, reason)`` problems; the caller adds the
file and row to turn them into :class:`buurtkaart.errors.Problem`.

Canonical record shapes (keys not listed are refused by the importers)::

    organisation: uid, name, description, url, email, phone
    place:        uid, name, kind, organisation_uid, street, postcode, city,
                  lon, lat, opening_hours, wheelchair, description, url,
                  phone, email, capacity, source, last_verified, sample
    activity:     uid, name, description, organisation_uid, place_uid
                  (None: mobile), models, sessions, cost_amount, cost_note,
                  walk_in, childcare, children_welcome, no_internet,
                  wheelchair, languages, target_group, capacity, url, email,
                  phone, last_verified, source, sample, status (active, inactive,
                  defunct, temporarily closed), cost_currency (ISO 4217, None = EUR),
                  service_uid (the HSDS service several activities belong to)
"""

from __future__ import annotations

import datetime as dt
import math
import re
import uuid
from typing import Any
from dataclasses import dataclass, field

from .i18n import Msg, message_of
from .hours import Session, format_sessions, parse_sessions, validate_opening_hours
from .hours_fix import annotate_fixes
from .taxonomy import PLACE_KINDS, WHEELCHAIR_VALUES, WORKING_MODELS

__all__ = [
    "ORGANISATION_FIELDS",
    "PLACE_FIELDS",
    "ACTIVITY_FIELDS",
    "STATUSES",
    "HSDS_ONLY_FIELDS",
    "TRISTATE_FIELDS",
    "validate_organisation",
    "validate_place",
    "validate_activity",
    "parse_tristate",
    "parse_cost",
    "parse_models",
    "parse_languages",
    "stable_uid",
    "Directory",
]

ORGANISATION_FIELDS = ("uid", "name", "description", "url", "email", "phone")
PLACE_FIELDS = (
    "uid", "name", "kind", "organisation_uid", "street", "postcode", "city", "lon", "lat",
    "opening_hours", "wheelchair", "description", "url", "phone", "email", "capacity",
    "source", "last_verified", "sample",
)
ACTIVITY_FIELDS = (
    "uid", "name", "description", "organisation_uid", "place_uid", "models", "sessions",
    "cost_amount", "cost_note", "walk_in", "childcare", "children_welcome", "no_internet",
    "wheelchair", "languages", "target_group", "capacity", "url", "email", "phone",
    "last_verified", "source", "sample", "status", "cost_currency", "service_uid",
)
#: Activity fields only HSDS carries (CSV and GeoJSON leave them as stored).
HSDS_ONLY_FIELDS = ("status", "cost_currency", "service_uid")
#: An activity's status as HSDS 3.0 names it; only ``active`` ones are listed publicly.
STATUSES = ("active", "inactive", "defunct", "temporarily closed")
TRISTATE_FIELDS = ("walk_in", "childcare", "children_welcome", "no_internet", "wheelchair")

_YES = {"1", "true", "yes", "y", "ja", "j", "oui"}
_NO = {"0", "false", "no", "n", "nee", "non"}
_FREE = {"free", "gratis", "gratuit", "0", "0.0", "0,00", "0.00", "€0", "€ 0"}
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_LANG_RE = re.compile(r"^[a-z]{2,3}$")
_MODEL_BY_LABEL = {m.label_nl.lower(): k for k, m in WORKING_MODELS.items()} | {
    m.label_en.lower(): k for k, m in WORKING_MODELS.items()
}
_KIND_BY_LABEL = {k.label_nl.lower(): key for key, k in PLACE_KINDS.items()} | {
    k.label_en.lower(): key for key, k in PLACE_KINDS.items()
}
_NAMESPACE = uuid.UUID("6f1c3c52-5b0e-4a43-9a57-6a1e7e5b7a10")

Problems = list[tuple[str | None, str]]


def stable_uid(*parts: object) -> str:
    """A UUID derived from ``parts``, so re-importing a source keeps its ids."""
    return str(uuid.uuid5(_NAMESPACE, "\x1f".join(str(p) for p in parts)))


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or (
        isinstance(v, str) and not v.strip()
    )


def parse_tristate(value: Any) -> int | None:
    """``yes``/``no``/unknown as 1/0/None; raises ``ValueError`` otherwise."""
    if _blank(value):
        return None
    if isinstance(value, bool):
        return int(value)
    v = str(value).strip().lower()
    if v in _YES:
        return 1
    if v in _NO:
        return 0
    if v in {"unknown", "onbekend", "?"}:
        return None
    msg = Msg("expected yes or no (or empty for unknown), got %(value)s", value=repr(value))
    raise ValueError(msg)


def parse_cost(value: Any) -> float | None:
    """Cost in euro: ``free``/``gratis``/0 is 0.0, ``€3,50`` is 3.5, empty is unknown."""
    if _blank(value):
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        amount = float(value)
    else:
        v = str(value).strip().lower()
        if v in _FREE:
            return 0.0
        v = v.replace("€", "").replace("eur", "").strip().replace(",", ".")
        try:
            amount = float(v)
        except ValueError:
            msg = Msg("expected 'free' or an amount in euro, got %(value)s", value=repr(value))
            raise ValueError(msg) from None
    if not math.isfinite(amount) or amount < 0:
        msg = Msg("cost must be zero or a positive amount, got %(value)s", value=repr(value))
        raise ValueError(msg)
    return round(amount, 2)


def _split_list(value: Any) -> list[str]:
    if _blank(value):
        return []
    if isinstance(value, (list, tuple)):
        items = value
    else:
        items = re.split(r"[;,|]", str(value))
    return [str(i).strip() for i in items if str(i).strip()]


def parse_models(value: Any) -> list[str]:
    """Working models from keys or Dutch/English labels; ``;`` or ``,`` separated."""
    out = []
    for item in _split_list(value):
        key = item if item in WORKING_MODELS else _MODEL_BY_LABEL.get(item.lower())
        if key is None:
            msg = Msg("unknown working model %(value)s (known: %(known)s)", value=repr(item),
                      known=", ".join(WORKING_MODELS))
            raise ValueError(msg)
        if key not in out:
            out.append(key)
    return out


def parse_languages(value: Any) -> list[str]:
    """ISO 639 language codes such as ``nl;fr;en``."""
    out = []
    for item in _split_list(value):
        code = item.lower()
        if not _LANG_RE.match(code):
            msg = Msg("language %(value)s is not an ISO 639 code like 'nl'", value=repr(item))
            raise ValueError(msg)
        if code not in out:
            out.append(code)
    return out


MAX_TEXT = 5000
# control characters (NUL and the like) have no place in text; tab and line breaks do
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def text_problem(s: str, max_len: int = MAX_TEXT) -> str | None:
    """Why ``s`` cannot be stored as text (too long, a control character), or None."""
    if len(s) > max_len:
        return Msg("is longer than %(max)s characters (%(length)s)", max=max_len,
                   length=f"{len(s):,}")
    bad = _CONTROL.search(s)
    if bad:
        return Msg("contains a control character (%(char)s) at position %(pos)s; remove it",
                   char=f"U+{ord(bad.group()):04X}", pos=bad.start() + 1)
    return None


def _text(rec: dict, key: str, problems: Problems, *, required: bool = False,
          max_len: int = MAX_TEXT) -> str | None:
    v = rec.get(key)
    if _blank(v):
        if required:
            problems.append((key, Msg("is required")))
        return None
    s = str(v).strip()
    if why := text_problem(s, max_len):
        problems.append((key, why))
    return s


def _date(rec: dict, key: str, problems: Problems) -> str | None:
    v = rec.get(key)
    if _blank(v):
        return None
    if isinstance(v, dt.datetime):
        return v.date().isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    try:
        return dt.date.fromisoformat(str(v).strip()[:10]).isoformat()
    except ValueError:
        problems.append((key, Msg("expected a date as YYYY-MM-DD, got %(value)s", value=repr(v))))
        return None


def _positive_int(rec: dict, key: str, problems: Problems) -> int | None:
    v = rec.get(key)
    if _blank(v):
        return None
    try:
        f = float(v)
        if f != int(f) or f < 0:
            raise ValueError
        return int(f)
    except (TypeError, ValueError, OverflowError):
        problems.append((key, Msg("expected a whole number of zero or more, got %(value)s",
                                  value=repr(v))))
        return None


def _common_contact(rec: dict, out: dict, problems: Problems) -> None:
    for key in ("url", "phone", "description"):
        out[key] = _text(rec, key, problems)
    out["email"] = _text(rec, "email", problems)
    if out["email"] and not _EMAIL_RE.match(out["email"]):
        problems.append(("email", Msg("not an e-mail address: %(value)s",
                                      value=repr(out["email"]))))
    if out["url"] and not re.match(r"^https?://", out["url"], re.I):
        problems.append(("url", Msg("must start with http:// or https://, got %(value)s",
                                    value=repr(out["url"]))))


def validate_organisation(rec: dict) -> tuple[dict, Problems]:
    """Validate an organisation record."""
    problems: Problems = []
    out: dict[str, Any] = {"name": _text(rec, "name", problems, required=True, max_len=300)}
    out["uid"] = _text(rec, "uid", problems) or stable_uid("organisation", out["name"])
    _common_contact(rec, out, problems)
    return out, problems


def validate_place(rec: dict) -> tuple[dict, Problems]:
    """Validate a place record; coordinates are WGS84 longitude/latitude."""
    problems: Problems = []
    out: dict[str, Any] = {"name": _text(rec, "name", problems, required=True, max_len=300)}
    kind = _text(rec, "kind", problems)
    if kind is None:
        out["kind"] = "other"
    elif kind in PLACE_KINDS:
        out["kind"] = kind
    elif kind.lower() in _KIND_BY_LABEL:
        out["kind"] = _KIND_BY_LABEL[kind.lower()]
    else:
        out["kind"] = None
        problems.append(("kind", Msg("unknown place kind %(value)s (known: %(known)s)",
                                     value=repr(kind), known=", ".join(PLACE_KINDS))))
    for key, lo, hi in (("lon", -180, 180), ("lat", -90, 90)):
        v = rec.get(key)
        if isinstance(v, str) and v.count(",") == 1 and "." not in v:
            v = v.replace(",", ".")  # a decimal comma, as Belgian spreadsheets write it
        try:
            f = float(v)  # type: ignore[arg-type]
            if not math.isfinite(f) or not lo <= f <= hi:
                raise ValueError
            out[key] = f
        except (TypeError, ValueError):
            out[key] = None
            problems.append((key, Msg("coordinate missing") if _blank(v) else Msg(
                "coordinate %(value)s is not a number in %(lo)s..%(hi)s", value=repr(v), lo=lo,
                hi=hi)))
    for key in ("organisation_uid", "street", "postcode", "city", "source"):
        out[key] = _text(rec, key, problems)
    oh = _text(rec, "opening_hours", problems)
    if oh:
        try:
            oh = validate_opening_hours(oh)
        except ValueError as exc:
            problems.append(("opening_hours", message_of(exc)))
    out["opening_hours"] = oh
    annotate_fixes(out)
    wc = _text(rec, "wheelchair", problems)
    if wc is not None:
        wc = wc.lower()
        mapped = {"ja": "yes", "nee": "no", "beperkt": "limited", "true": "yes",
                  "false": "no", "1": "yes", "0": "no"}.get(wc, wc)
        if mapped not in WHEELCHAIR_VALUES:
            problems.append(("wheelchair", Msg("expected yes, limited or no, got %(value)s",
                                               value=repr(wc))))
        wc = mapped
    out["wheelchair"] = wc
    _common_contact(rec, out, problems)
    out["capacity"] = _positive_int(rec, "capacity", problems)
    out["last_verified"] = _date(rec, "last_verified", problems)
    out["sample"] = 1 if parse_tristate_safe(rec.get("sample")) else 0
    out["uid"] = _text(rec, "uid", problems) or stable_uid(
        "place", out["name"], out.get("lon"), out.get("lat")
    )
    return out, problems


def parse_tristate_safe(value: Any) -> int | None:
    """:func:`parse_tristate` that treats anything unparseable as unknown."""
    try:
        return parse_tristate(value)
    except ValueError:
        return None


def validate_activity(rec: dict, *, unclassified_ok: bool = False) -> tuple[dict, Problems]:
    """Validate an activity record.

    ``sessions`` may be a list of :class:`Session`, a list of dicts with
    ``weekday``, ``start``, ``end`` and optional ``nth``, or the compact text
    form of :func:`buurtkaart.hours.parse_sessions`. ``unclassified_ok``
    accepts an activity without a working model ("not yet classified", as a
    feed from elsewhere arrives; an editor saving it must choose one).
    """
    problems: Problems = []
    out: dict[str, Any] = {"name": _text(rec, "name", problems, required=True, max_len=300)}
    for key in ("organisation_uid", "place_uid", "target_group", "cost_note", "source"):
        out[key] = _text(rec, key, problems)
    try:
        out["models"] = parse_models(rec.get("models"))
    except ValueError as exc:
        out["models"] = []
        problems.append(("models", message_of(exc)))
    if not out["models"] and not unclassified_ok and not any(p[0] == "models" for p in problems):
        problems.append(("models", Msg("at least one working model is required (%(known)s)",
                                       known=", ".join(WORKING_MODELS))))
    out["sessions"] = _sessions(rec.get("sessions"), problems)
    try:
        out["cost_amount"] = parse_cost(rec.get("cost_amount"))
    except ValueError as exc:
        out["cost_amount"] = None
        problems.append(("cost_amount", message_of(exc)))
    _hsds_fields(rec, out, problems)
    for key in TRISTATE_FIELDS:
        try:
            out[key] = parse_tristate(rec.get(key))
        except ValueError as exc:
            out[key] = None
            problems.append((key, message_of(exc)))
    try:
        out["languages"] = parse_languages(rec.get("languages"))
    except ValueError as exc:
        out["languages"] = []
        problems.append(("languages", message_of(exc)))
    _common_contact(rec, out, problems)
    out["capacity"] = _positive_int(rec, "capacity", problems)
    out["last_verified"] = _date(rec, "last_verified", problems)
    out["sample"] = 1 if parse_tristate_safe(rec.get("sample")) else 0
    out["uid"] = _text(rec, "uid", problems) or stable_uid(
        "activity", out["name"], out.get("place_uid"), out.get("organisation_uid")
    )
    return out, problems


def _hsds_fields(rec: dict, out: dict, problems: Problems) -> None:
    """Status, currency and HSDS service of an activity. Only what ``rec`` names is set,
    so a format that cannot say them (CSV, GeoJSON) keeps the stored values; a cost
    given without a currency is in euro (None)."""
    if "cost_currency" in rec or "cost_amount" in rec:
        currency = _text(rec, "cost_currency", problems)
        if currency is not None and not re.fullmatch(r"[A-Za-z]{3}", currency):
            problems.append(("cost_currency", Msg("expected a currency code such as EUR, got "
                                                  "%(value)s", value=repr(currency))))
            currency = None
        # None means euro, buurtkaart's own currency; any other is kept as given
        out["cost_currency"] = currency.upper() if currency and currency.upper() != "EUR" \
            else None
    if "status" in rec:
        status = (_text(rec, "status", problems) or "active").lower()
        if status not in STATUSES:
            problems.append(("status", Msg("expected one of %(known)s, got %(value)s",
                                           known=", ".join(STATUSES), value=repr(status))))
        out["status"] = status
    if "service_uid" in rec:
        out["service_uid"] = _text(rec, "service_uid", problems)


def _sessions(value: Any, problems: Problems) -> list[Session]:
    if _blank(value):
        return []
    if not isinstance(value, (str, list, tuple)):
        problems.append(("sessions", Msg("expected text such as 'Tu 18:00-20:00; Mo[1] "
                                         "10:00-12:00' or a list of sessions, got %(value)s",
                                         value=repr(value))))
        return []
    try:
        if isinstance(value, str):
            return parse_sessions(value)
        out = []
        for i, item in enumerate(value, 1):
            if isinstance(item, Session):
                out.append(item)
            elif isinstance(item, dict):
                out.append(Session.parse(item.get("weekday"), item.get("start"),
                                         item.get("end"), item.get("nth")))
            else:
                raise ValueError(Msg("session %(num)s is not an object with weekday, start "
                                     "and end: %(value)s", num=i, value=repr(item)))
        return out
    except (ValueError, TypeError, AttributeError) as exc:
        problems.append(("sessions", message_of(exc)))
        return []


def sessions_text(sessions: list[Session]) -> str:
    """Sessions in the compact CSV form (re-exported for exporters)."""
    return format_sessions(sessions)


@dataclass
class Directory:
    """Validated records read from one input, ready for :func:`store.save_directory`.

    Each record may carry ``where`` (e.g. ``"row 4"``) so that problems found
    while storing (an unknown reference) still name their place in the file.
    """

    organisations: list[dict] = field(default_factory=list)
    places: list[dict] = field(default_factory=list)
    activities: list[dict] = field(default_factory=list)
    #: Things the reader repaired or left out, for the user to know (not errors).
    warnings: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.organisations) + len(self.places) + len(self.activities)
