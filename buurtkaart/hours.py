"""Opening hours (OpenStreetMap ``opening_hours`` syntax) and weekly sessions.

Places carry OSM ``opening_hours`` strings (validated with the
``opening-hours-py`` parser); activities carry weekly sessions: a weekday, a
start and end time, and optionally "the nth weekday of the month".

Questions like "is this open on Tuesday evening?" are answered at real dates
(the coming Tuesday), in the place's time zone, with the public holidays (``PH``)
of the country and the sun times (``sunrise``, ``sunset``, ``dawn``, ``dusk``)
of the place's coordinates: opening-hours-py 2.x infers the country and time
zone from ``coords``. Naive datetimes are wall-clock time at the place; aware
ones are converted to it. Sessions ("Mo[1] 10:00-12:00") are held on the real
dates whose weekday and place in the month match, except on a public holiday on
which the place's own opening hours (``PH off``) keep it closed all day.

Belgium: the holidays are the ten national public holidays (1 January, Easter
Monday, 1 May, Ascension, Whit Monday, 21 July, 15 August, 1 and 11 November,
25 December). 11 July (Flemish Community) is not a public holiday nationally and
is not ``PH`` for the library either: a place with ``PH off`` is open then.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import opening_hours

from .i18n import N_, Msg, Term
from .taxonomy import WEEKDAYS

__all__ = [
    "validate_opening_hours",
    "parse_time",
    "parse_weekday",
    "Session",
    "TimeWindow",
    "open_during",
    "open_between",
    "state_at",
    "place_timezone",
    "evaluator",
    "any_open",
    "closed_for_holiday",
    "coming_date",
    "window_intervals",
    "DEFAULT_TIMEZONE",
    "describe_session",
    "parse_sessions",
    "format_sessions",
]

_UTC = ZoneInfo("UTC")
#: The zone used for places without coordinates (and mobile activities).
DEFAULT_TIMEZONE = "Europe/Brussels"
_TIME_RE = re.compile(r"^([01]?\d|2[0-4]):([0-5]\d)$")
_WEEKDAY_ALIASES = {
    **{code.lower(): i for i, code in enumerate(WEEKDAYS)},
    **{n: i for i, n in enumerate(("monday", "tuesday", "wednesday", "thursday",
                                   "friday", "saturday", "sunday"))},
    **{n: i for i, n in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun"))},
    **{n: i for i, n in enumerate(("maandag", "dinsdag", "woensdag", "donderdag",
                                   "vrijdag", "zaterdag", "zondag"))},
    **{n: i for i, n in enumerate(("ma", "di", "wo", "do", "vr", "za", "zo"))},
}
NTH_VALUES = (1, 2, 3, 4, 5, -1)


def validate_opening_hours(value: str) -> str:
    """Return ``value`` stripped if it is valid OSM ``opening_hours`` syntax.

    An expression as people write it (``Mo 7-18``, ``ma-vr 9u-17u``) is refused
    with what is wrong in words and the corrected expression, unless the caller
    accepts corrections (:func:`buurtkaart.hours_fix.accepting_fixes`, the
    importers' ``--fix-hours``): then the corrected expression is returned and
    the correction recorded. Valid but untidy expressions (``9:00 - 17:00``) are
    kept as written, or tidied when corrections are accepted.

    Raises
    ------
    ValueError
        With the parser's explanation, or the proposed correction, when the
        expression is not valid.
    """
    from .hours_fix import fixes_accepted, record_fix, suggest

    text = value.strip()
    if not text:
        raise ValueError(Msg("opening hours are empty"))
    fix = suggest(text)
    try:
        opening_hours.OpeningHours(text)
    except opening_hours.ParserError as exc:
        if fix and fixes_accepted():
            record_fix(text, *fix)
            return fix[0]
        if fix:
            corrected, reasons = fix
            raise ValueError(Msg(
                "not valid OpenStreetMap opening_hours syntax: %(text)s: %(reasons)s. Did you "
                "mean %(corrected)s? (import with --fix-hours to accept the correction)",
                text=repr(text), reasons="; ".join(reasons), corrected=repr(corrected))
            ) from None
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else "syntax error"
        # the parser's own (English) detail, "a syntax error" in another language
        detail = Term(first, N_("a syntax error"))
        raise ValueError(Msg("not valid OpenStreetMap opening_hours syntax (%(error)s): "
                             "%(text)s", error=detail, text=repr(text))) from None
    if fix and fixes_accepted():
        record_fix(text, *fix)
        return fix[0]
    return text


def parse_time(value: str) -> str:
    """Parse ``H:MM`` or ``HH:MM`` (24:00 allowed) and return ``HH:MM``."""
    m = _TIME_RE.match(str(value).strip())
    if not m or (m.group(1) == "24" and m.group(2) != "00"):
        raise ValueError(Msg("not a time of day in HH:MM form: %(value)s", value=repr(value)))
    return f"{int(m.group(1)):02d}:{m.group(2)}"


def parse_weekday(value: str | int) -> int:
    """Return the ISO weekday number (Monday = 0) of a code, name or number.

    Accepts ``Mo``..``Su``, English and Dutch names and abbreviations, and the
    numbers 0..6.
    """
    if isinstance(value, int) or (str(value).strip().isascii() and str(value).strip().isdigit()):
        n = int(value)
        if 0 <= n <= 6:
            return n
    else:
        key = str(value).strip().lower()
        if key in _WEEKDAY_ALIASES:
            return _WEEKDAY_ALIASES[key]
    raise ValueError(Msg("not a weekday (use Mo, Tu, We, Th, Fr, Sa, Su or 0-6): %(value)s",
                         value=repr(value)))


def _minutes(hhmm: str) -> int:
    h, m = hhmm.split(":")
    return int(h) * 60 + int(m)


@dataclass(frozen=True)
class Session:
    """A weekly (or monthly: the nth weekday) session of an activity.

    ``nth`` is 1..5 for "the first .. fifth <weekday> of the month", -1 for
    "the last", ``None`` for every week.
    """

    weekday: int
    start: str
    end: str
    nth: int | None = None

    @classmethod
    def parse(cls, weekday, start, end, nth=None) -> "Session":
        """Validate and build a session; raises ``ValueError`` naming the problem."""
        wd = parse_weekday(weekday)
        s, e = parse_time(start), parse_time(end)
        if _minutes(e) <= _minutes(s):
            raise ValueError(Msg("session ends (%(end)s) before or when it starts (%(start)s)",
                                 end=e, start=s))
        n = None
        if nth not in (None, ""):
            try:
                n = int(nth)
            except (TypeError, ValueError):
                n = None
            if n not in NTH_VALUES:
                raise ValueError(Msg("nth must be 1-5 or -1 (last) of the month, not %(value)s",
                                     value=repr(nth)))
        return cls(wd, s, e, n)

    def occurs_on(self, day: dt.date) -> bool:
        """Is this session held on ``day`` (weekday, and nth of that real month)?"""
        if day.weekday() != self.weekday:
            return False
        if self.nth is None:
            return True
        if self.nth == -1:
            return (day + dt.timedelta(days=7)).month != day.month
        return (day.day - 1) // 7 + 1 == self.nth

    def held_between(self, start: dt.datetime, end: dt.datetime, *,
                     cancelled: Callable[[dt.date], bool] | None = None) -> bool:
        """Is the session going on at some moment of ``[start, end)`` (naive wall
        clock; ``start == end`` asks about that instant)? ``cancelled(day)`` says
        when it is not held although the calendar says so (a holiday closure)."""
        day = start.date() - dt.timedelta(days=1)
        while day <= end.date():
            if self.occurs_on(day) and not (cancelled and cancelled(day)):
                midnight = dt.datetime.combine(day, dt.time())
                s = midnight + dt.timedelta(minutes=_minutes(self.start))
                e = midnight + dt.timedelta(minutes=_minutes(self.end))
                if (s <= start < e) if end <= start else (s < end and e > start):
                    return True
            day += dt.timedelta(days=1)
        return False

    def overlaps(self, window: "TimeWindow") -> bool:
        """True when this session takes place (in some week) within the weekly
        ``window``; :meth:`held_between` answers for real dates."""
        if window.weekday is not None and window.weekday != self.weekday:
            return False
        return _minutes(self.start) < window.end_minutes and \
            _minutes(self.end) > window.start_minutes


@dataclass(frozen=True)
class TimeWindow:
    """When someone can come: a weekday (or any day) and a time range."""

    weekday: int | None = None
    start: str = "00:00"
    end: str = "24:00"

    @property
    def start_minutes(self) -> int:
        return _minutes(self.start)

    @property
    def end_minutes(self) -> int:
        return _minutes(self.end)

    def is_unbounded(self) -> bool:
        return self.weekday is None and self.start == "00:00" and self.end == "24:00"


Coords = tuple[float, float] | None  # (lat, lon)


@functools.lru_cache(maxsize=8192)
def evaluator(expression: str, coords: Coords = None) -> opening_hours.OpeningHours:
    """The parsed expression, with holidays, time zone and sun times of ``coords``
    (latitude, longitude) when given. Cached: parsing and the zone lookup cost
    about a millisecond."""
    if coords is None:
        return opening_hours.OpeningHours(expression)
    return opening_hours.OpeningHours(expression, coords=(float(coords[0]), float(coords[1])))


@functools.lru_cache(maxsize=4096)
def place_timezone(lat: float | None, lon: float | None) -> ZoneInfo:
    """The time zone at a point (the library's own lookup), or the default zone."""
    if lat is None or lon is None:
        return ZoneInfo(DEFAULT_TIMEZONE)
    probe = dt.datetime(2024, 1, 1, tzinfo=_UTC)
    start, _end, _state, _comment = next(evaluator("24/7", (lat, lon)).intervals(
        probe, probe + dt.timedelta(minutes=1)))
    zone = getattr(start.tzinfo, "key", None)
    return ZoneInfo(zone) if zone else ZoneInfo(DEFAULT_TIMEZONE)


def _aware(moment: dt.datetime) -> dt.datetime:
    """The library only takes ZoneInfo zones; convert fixed offsets through UTC."""
    if moment.tzinfo is None or isinstance(moment.tzinfo, ZoneInfo):
        return moment
    return moment.astimezone(_UTC)


def state_at(expression: str, moment: dt.datetime, *, coords: Coords = None) -> str:
    """``"open"``, ``"closed"`` or ``"unknown"`` at one moment (naive = the place's
    wall clock; aware = that instant anywhere)."""
    state, _comment = evaluator(expression, coords).state(_aware(moment))
    return {opening_hours.State.OPEN: "open",
            opening_hours.State.CLOSED: "closed"}.get(state, "unknown")


def open_between(expression: str, start: dt.datetime, end: dt.datetime, *,
                 coords: Coords = None) -> bool | None:
    """Is the place open at some moment in ``[start, end)``?

    ``start == end`` asks about that instant. Returns ``None`` when the
    expression leaves the state unknown then (and it is never open).
    """
    if end <= start:
        return {"open": True, "closed": False}.get(state_at(expression, start, coords=coords))
    unknown = False
    for _s, _e, state, _comment in evaluator(expression, coords).intervals(
            _aware(start), _aware(end)):
        if state == opening_hours.State.OPEN:
            return True
        if state == opening_hours.State.UNKNOWN:
            unknown = True
    return None if unknown else False


def closed_for_holiday(expression: str | None, day: dt.date, *, coords: Coords = None) -> bool:
    """Is ``day`` a public holiday at the place on which its ``opening_hours``
    (with a ``PH`` rule) keep it closed all day? Sessions held there are then
    not held either."""
    if not expression or "PH" not in expression:
        return False
    midnight = dt.datetime.combine(day, dt.time())
    if state_at("PH", midnight + dt.timedelta(hours=12), coords=coords) != "open":
        return False
    return open_between(expression, midnight, midnight + dt.timedelta(days=1),
                        coords=coords) is False


def coming_date(weekday: int, today: dt.date) -> dt.date:
    """The first date on or after ``today`` that falls on ``weekday`` (Monday = 0)."""
    return today + dt.timedelta(days=(weekday - today.weekday()) % 7)


def window_intervals(window: "TimeWindow", today: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
    """The real stretches of wall-clock time a weekly window means from ``today`` on:
    the coming date of its weekday, or each of the coming seven days."""
    days = ([coming_date(window.weekday, today)] if window.weekday is not None
            else [today + dt.timedelta(days=i) for i in range(7)])
    midnight = [dt.datetime.combine(d, dt.time()) for d in days]
    return [(m + dt.timedelta(minutes=window.start_minutes),
             m + dt.timedelta(minutes=window.end_minutes)) for m in midnight]


def open_during(expression: str, window: "TimeWindow", *, coords: Coords = None,
                today: dt.date | None = None) -> bool | None:
    """Is a place with this ``opening_hours`` open at some moment in ``window``?

    The window is taken at real dates from ``today`` (default: today at the
    place): the coming date of its weekday, or any of the coming seven days.
    Returns ``None`` when the expression says the state is unknown then.
    """
    if today is None:
        lat, lon = coords if coords else (None, None)
        today = dt.datetime.now(place_timezone(lat, lon)).date()
    return any_open(expression, window_intervals(window, today), coords=coords)


def any_open(expression: str, intervals: Iterable[tuple[dt.datetime, dt.datetime]], *,
             coords: Coords = None) -> bool | None:
    """:func:`open_between` over several stretches: open in one of them?"""
    unknown = False
    for start, end in intervals:
        got = open_between(expression, start, end, coords=coords)
        if got:
            return True
        unknown = unknown or got is None
    return None if unknown else False


def describe_session(session: Session, *, lang: str = "en") -> str:
    """Human text such as ``"every Tuesday 18:00-20:00"`` or ``"first Monday ..."``."""
    from .taxonomy import WEEKDAY_NAMES_EN, WEEKDAY_NAMES_NL

    names = WEEKDAY_NAMES_NL if lang == "nl" else WEEKDAY_NAMES_EN
    ordinals_en = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth", -1: "last"}
    ordinals_nl = {1: "eerste", 2: "tweede", 3: "derde", 4: "vierde", 5: "vijfde",
                   -1: "laatste"}
    day = names[session.weekday]
    if session.nth is None:
        prefix = ("elke " if lang == "nl" else "every ") + day
    else:
        ordinal = (ordinals_nl if lang == "nl" else ordinals_en)[session.nth]
        prefix = f"{ordinal} {day}" + (" van de maand" if lang == "nl" else " of the month")
    return f"{prefix} {session.start}-{session.end}"


_SESSION_RE = re.compile(
    r"^(?P<day>[A-Za-z]{2})(?:\[(?P<nth>-?\d)\])?\s+(?P<start>\d{1,2}:\d{2})\s*-\s*(?P<end>\d{1,2}:\d{2})$"
)


def parse_sessions(text: str) -> list[Session]:
    """Parse the compact session syntax used in CSV files.

    Sessions are separated by ``;``; each is ``Day[nth] HH:MM-HH:MM`` with an
    OSM-style day code and an optional nth-weekday-of-the-month, e.g.
    ``"Tu 18:00-20:00; Mo[1] 10:00-12:00; Fr[-1] 14:00-16:00"``.
    """
    out: list[Session] = []
    for part in (p.strip() for p in str(text).split(";")):
        if not part:
            continue
        m = _SESSION_RE.match(part)
        if not m:
            raise ValueError(Msg("session %(value)s is not of the form 'Tu 18:00-20:00' or "
                                 "'Mo[1] 10:00-12:00'", value=repr(part)))
        out.append(Session.parse(m["day"], m["start"], m["end"], m["nth"]))
    return out


def format_sessions(sessions: list[Session]) -> str:
    """The inverse of :func:`parse_sessions`."""
    parts = []
    for s in sessions:
        nth = f"[{s.nth}]" if s.nth is not None else ""
        parts.append(f"{WEEKDAYS[s.weekday]}{nth} {s.start}-{s.end}")
    return "; ".join(parts)
