"""What a user is looking for: working models, thresholds, place, time.

One :class:`Filter` is parsed from query parameters (the API, the map page)
or command-line options, and is applied by :mod:`buurtkaart.store` (the
directory) and the analysis modules (coverage) alike, so "free, walk-in, with
childcare, open on Tuesday evening" means the same everywhere.

Semantics
---------
- ``model``: the activity has *at least one* of the given working models.
- ``free``, ``walk_in``, ``childcare``, ``children_welcome``, ``no_internet``,
  ``wheelchair``: ``true`` keeps only activities known to have it; ``false``
  keeps only activities known *not* to have it; unknown values never match.
  ``childcare=true`` also accepts "children welcome", because for a parent
  either works (use ``children_welcome`` for that alone).
- ``language``: one of the activity's languages (ISO 639-1, e.g. ``nl``).
- ``kind``: the place kind (one or more).
- ``when`` (``now``, ``tonight``/``this evening``, ``weekend``), ``date``
  (YYYY-MM-DD), ``day``, ``from``, ``to``: a window at real dates (see
  :mod:`buurtkaart.when`); only sessions (or, for activities without sessions,
  the place's opening hours) held at some moment of it count, evaluated in each
  place's time zone with its public holidays and sun times. ``day`` alone means
  "open at some time on the coming day of that weekday", not a weekly pattern.
- ``bbox``: ``min_lon,min_lat,max_lon,max_lat`` in WGS84.
- ``municipality``: 5-digit NIS code; places inside that municipality's
  neighbourhoods.
- ``q``: words of the name, address, description or activities, in any case and
  with or without accents, each word as the start of a word; applied by
  :mod:`buurtkaart.store` through the full-text index of :mod:`buurtkaart.search`,
  not by :meth:`Filter.matches_place`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace

from .errors import InvalidParameter
from .hours import TimeWindow, parse_time, parse_weekday
from .i18n import N_
from .taxonomy import PLACE_KINDS, WORKING_MODELS
from .when import WHEN_VALUES, Span, parse_date, resolve

__all__ = ["Filter", "FILTER_PARAMETERS", "parse_bool"]

_TRUE = {"1", "true", "yes", "ja", "on"}
_FALSE = {"0", "false", "no", "nee", "off"}
_LANG_RE = re.compile(r"^[a-z]{2,3}$")

#: Every query parameter a Filter understands, with a one-line help each.
FILTER_PARAMETERS: dict[str, str] = {
    "model": N_("working model key(s), comma-separated or repeated: any of them"),
    "kind": N_("place kind key(s), comma-separated or repeated"),
    "free": N_("true/false: taking part costs nothing"),
    "walk_in": N_("true/false: no registration or referral needed"),
    "childcare": N_("true/false: childcare on site or children welcome"),
    "children_welcome": N_("true/false: children may come along"),
    "no_internet": N_("true/false: can join without internet or e-mail"),
    "wheelchair": N_("true/false: wheelchair accessible"),
    "language": N_("ISO 639-1 language code spoken, e.g. nl"),
    "when": N_("now, tonight (this evening, 18:00-22:00) or weekend (the coming Saturday "
               "and Sunday)"),
    "date": N_("a date YYYY-MM-DD someone can come (with from/to: that time range)"),
    "day": N_("weekday (Mo..Su, 0-6 or a name): the coming one, open at some time that day"),
    "from": N_("earliest time HH:MM (with day or date; alone: on one of the coming 7 days)"),
    "to": N_("latest time HH:MM (with day or date)"),
    "bbox": N_("min_lon,min_lat,max_lon,max_lat (WGS84)"),
    "municipality": N_("5-digit NIS municipality code"),
    "q": N_("words of the name, address, description or activities (any case, accents "
            "optional)"),
}

_BOOL_FIELDS = ("free", "walk_in", "childcare", "children_welcome", "no_internet",
                "wheelchair")


def parse_bool(name: str, value: str) -> bool:
    """Parse a yes/no parameter; raise :class:`InvalidParameter` otherwise."""
    v = str(value).strip().lower()
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    raise InvalidParameter(name, f"expected true or false, got {value!r}")


def _split(values: Iterable[str]) -> list[str]:
    out: list[str] = []
    for v in values:
        out.extend(p.strip() for p in str(v).split(",") if p.strip())
    return out


@dataclass(frozen=True)
class Filter:
    """A combination of conditions; the empty filter matches everything."""

    models: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    free: bool | None = None
    walk_in: bool | None = None
    childcare: bool | None = None
    children_welcome: bool | None = None
    no_internet: bool | None = None
    wheelchair: bool | None = None
    language: str | None = None
    window: TimeWindow = field(default_factory=TimeWindow)
    when: str | None = None
    date: dt.date | None = None
    #: the window at real dates that ``when``/``date``/``day``/``from``/``to`` mean
    span: Span | None = None
    bbox: tuple[float, float, float, float] | None = None
    municipality: str | None = None
    q: str | None = None

    # -- parsing -----------------------------------------------------------
    @classmethod
    def from_params(
        cls, params: Mapping[str, object], *, allowed_extra: Iterable[str] = (),
        now: dt.datetime | Callable[[], dt.datetime] | None = None,
    ) -> "Filter":
        """Build a filter from query parameters.

        ``params`` maps a name to a string or a list of strings (as
        ``werkzeug.MultiDict.to_dict(flat=False)`` gives). Names outside
        :data:`FILTER_PARAMETERS` and ``allowed_extra`` are refused, so a typo
        never silently widens a result. ``now`` (aware, in the directory's time
        zone, or a function giving it, called only when a time is asked for) is
        the moment "now", "tonight" and "the coming Saturday" are resolved
        from; the default is the wall clock in Europe/Brussels.

        Raises
        ------
        InvalidParameter
            Naming the first parameter that is unknown or has a bad value.
        """
        allowed = set(FILTER_PARAMETERS) | set(allowed_extra)
        values: dict[str, list[str]] = {}
        for name, raw in params.items():
            if name not in allowed:
                known = ", ".join(sorted(allowed))
                raise InvalidParameter(name, f"unknown parameter (known: {known})")
            values[name] = [str(r) for r in (raw if isinstance(raw, (list, tuple)) else [raw])]

        def one(name: str) -> str | None:
            vs = values.get(name)
            if not vs:
                return None
            if len(vs) > 1:
                raise InvalidParameter(name, "given more than once")
            return vs[0]

        kw: dict[str, object] = {}
        models = _split(values.get("model", []))
        for m in models:
            if m not in WORKING_MODELS:
                raise InvalidParameter(
                    "model", f"unknown working model {m!r} (known: {', '.join(WORKING_MODELS)})"
                )
        kw["models"] = tuple(dict.fromkeys(models))
        kinds = _split(values.get("kind", []))
        for k in kinds:
            if k not in PLACE_KINDS:
                raise InvalidParameter(
                    "kind", f"unknown place kind {k!r} (known: {', '.join(PLACE_KINDS)})"
                )
        kw["kinds"] = tuple(dict.fromkeys(kinds))
        for name in _BOOL_FIELDS:
            v = one(name)
            if v is not None and v != "":
                kw[name] = parse_bool(name, v)
        lang = one("language")
        if lang:
            lang = lang.strip().lower()
            if not _LANG_RE.match(lang):
                raise InvalidParameter("language", f"expected an ISO 639 code like 'nl', got {lang!r}")
            kw["language"] = lang
        kw["window"] = _parse_window(one("day"), one("from"), one("to"))
        when = one("when")
        if when not in (None, ""):
            key = when.strip().lower().replace("_", " ")
            if key not in WHEN_VALUES:
                raise InvalidParameter("when", f"expected now, tonight or weekend, got {when!r}")
            kw["when"] = WHEN_VALUES[key]
        date = one("date")
        if date not in (None, ""):
            try:
                kw["date"] = parse_date(date)
            except ValueError as exc:
                raise InvalidParameter("date", str(exc)) from None
        if "when" in kw or "date" in kw or not kw["window"].is_unbounded():
            if callable(now):
                now = now()
            if now is None:
                from zoneinfo import ZoneInfo

                from .hours import DEFAULT_TIMEZONE
                now = dt.datetime.now(ZoneInfo(DEFAULT_TIMEZONE))
            kw["span"] = resolve(kw.get("when"), kw.get("date"), kw["window"], now)
        bbox = one("bbox")
        if bbox:
            kw["bbox"] = _parse_bbox(bbox)
        muni = one("municipality")
        if muni:
            if not re.fullmatch(r"\d{5}", muni.strip()):
                raise InvalidParameter("municipality", f"expected a 5-digit NIS code, got {muni!r}")
            kw["municipality"] = muni.strip()
        q = one("q")
        if q and q.strip():
            kw["q"] = q.strip()
        return cls(**kw)  # type: ignore[arg-type]

    # -- helpers -----------------------------------------------------------
    def activity_conditions(self) -> bool:
        """True when the filter says anything about activities (not only places)."""
        return bool(self.models) or any(
            getattr(self, n) is not None for n in _BOOL_FIELDS
        ) or self.language is not None

    def to_params(self) -> dict[str, str]:
        """The query parameters that reproduce this filter (for links)."""
        out: dict[str, str] = {}
        if self.models:
            out["model"] = ",".join(self.models)
        if self.kinds:
            out["kind"] = ",".join(self.kinds)
        for n in _BOOL_FIELDS:
            v = getattr(self, n)
            if v is not None:
                out[n] = "true" if v else "false"
        if self.language:
            out["language"] = self.language
        if self.when:
            out["when"] = self.when
        if self.date:
            out["date"] = self.date.isoformat()
        if self.window.weekday is not None and self.date is None:
            out["day"] = str(self.window.weekday)
        if self.window.start != "00:00":
            out["from"] = self.window.start
        if self.window.end != "24:00":
            out["to"] = self.window.end
        if self.bbox:
            out["bbox"] = ",".join(f"{v:g}" for v in self.bbox)
        if self.municipality:
            out["municipality"] = self.municipality
        if self.q:
            out["q"] = self.q
        return out

    def is_empty(self) -> bool:
        return self == Filter()

    def without_area(self) -> "Filter":
        """The same conditions anywhere: for the places residents of an area may use,
        which need not lie inside it."""
        return replace(self, municipality=None, bbox=None)

    def time_json(self) -> dict | None:
        """The resolved window at real dates, for the API to echo (``None``: no time asked)."""
        return self.span.to_json() if self.span else None

    def describe(self) -> list[str]:
        """Short human descriptions of each active condition."""
        return [f"{k}={v}" for k, v in self.to_params().items()]

    # -- matching ------------------------------------------------------------
    def matches_activity(self, a: dict, place: dict | None = None) -> bool:
        """Does activity ``a`` (held at ``place``, or mobile) meet every condition?"""
        if self.models and not set(a.get("models") or ()) & set(self.models):
            return False
        if self.free is not None:
            cost = a.get("cost_amount")
            if cost is None or (cost == 0) != self.free:
                return False
        for name in ("walk_in", "children_welcome", "no_internet"):
            want = getattr(self, name)
            if want is not None and a.get(name) != int(want):
                return False
        if self.childcare is not None:
            has = a.get("childcare") == 1 or a.get("children_welcome") == 1
            known = has or a.get("childcare") == 0
            if not known or has != self.childcare:
                return False
        if self.wheelchair is not None:
            wc = a.get("wheelchair")
            if wc is None and place is not None and place.get("wheelchair") in ("yes", "no"):
                wc = 1 if place["wheelchair"] == "yes" else 0
            if wc != int(self.wheelchair):
                return False
        if self.language and self.language not in (a.get("languages") or ()):
            return False
        if self.span is not None:
            sessions = a.get("sessions") or ()
            lat, lon = (place.get("lat"), place.get("lon")) if place else (None, None)
            if sessions:
                if not self.span.session_held(sessions, lat, lon,
                                              place.get("opening_hours") if place else None):
                    return False
            elif not (place and place.get("opening_hours")
                      and self.span.place_open(place["opening_hours"], lat, lon)):
                return False
        return True

    def matches_place(self, p: dict) -> bool:
        """Does place ``p`` (with its ``activities``) meet every condition?

        Activity conditions hold when at least one of its activities meets
        them all; a time window alone is also met by the place's opening hours.
        """
        if self.kinds and p.get("kind") not in self.kinds:
            return False
        if self.bbox:
            x0, y0, x1, y1 = self.bbox
            if not (x0 <= p["lon"] <= x1 and y0 <= p["lat"] <= y1):
                return False
        if self.municipality and p.get("municipality_code") != self.municipality:
            return False
        acts = p.get("activities") or []
        if self.activity_conditions():
            return any(self.matches_activity(a, p) for a in acts)
        if self.span is not None:
            opened = bool(p.get("opening_hours")) and self.span.place_open(
                p["opening_hours"], p.get("lat"), p.get("lon"))
            if not opened and not self.span.session_held(
                    [s for a in acts for s in a.get("sessions") or ()], p.get("lat"), p.get("lon"),
                    p.get("opening_hours")):
                return False
        return True


def _parse_window(day: str | None, start: str | None, end: str | None) -> TimeWindow:
    wd = None
    if day not in (None, ""):
        try:
            wd = parse_weekday(day)
        except ValueError as exc:
            raise InvalidParameter("day", str(exc)) from None
    try:
        s = parse_time(start) if start else "00:00"
    except ValueError as exc:
        raise InvalidParameter("from", str(exc)) from None
    try:
        e = parse_time(end) if end else "24:00"
    except ValueError as exc:
        raise InvalidParameter("to", str(exc)) from None
    if s >= e:
        raise InvalidParameter("to", f"must be later than 'from' ({s}), got {e}")
    return TimeWindow(wd, s, e)


def _parse_bbox(text: str) -> tuple[float, float, float, float]:
    parts = text.split(",")
    if len(parts) != 4:
        raise InvalidParameter("bbox", f"expected min_lon,min_lat,max_lon,max_lat, got {text!r}")
    try:
        x0, y0, x1, y1 = (float(p) for p in parts)
    except ValueError:
        raise InvalidParameter("bbox", f"expected four numbers, got {text!r}") from None
    if not all(map(_finite, (x0, y0, x1, y1))):
        raise InvalidParameter("bbox", "numbers must be finite")
    if not (-180 <= x0 <= 180 and -180 <= x1 <= 180 and -90 <= y0 <= 90 and -90 <= y1 <= 90):
        raise InvalidParameter("bbox", "longitudes must lie in -180..180 and latitudes in -90..90")
    if x0 > x1 or y0 > y1:
        raise InvalidParameter("bbox", "min must not exceed max (min_lon,min_lat,max_lon,max_lat)")
    return (x0, y0, x1, y1)


def _finite(v: float) -> bool:
    return v == v and v not in (float("inf"), float("-inf"))

