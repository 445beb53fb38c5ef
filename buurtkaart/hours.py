"""Opening hours (OpenStreetMap ``opening_hours`` syntax) and weekly sessions.

Places carry OSM ``opening_hours`` strings (validated with the
``opening-hours-py`` parser); activities carry weekly sessions: a weekday, a
start and end time, and optionally "the nth weekday of the month".

Questions like "is this open on Tuesday evening?" are answered for a typical
week: the ISO week of 8 January 2024, which has no public holidays in Belgium.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import opening_hours

from .taxonomy import WEEKDAYS

__all__ = [
    "validate_opening_hours",
    "parse_time",
    "parse_weekday",
    "Session",
    "TimeWindow",
    "open_during",
    "describe_session",
    "parse_sessions",
    "format_sessions",
]

_REFERENCE_MONDAY = dt.date(2024, 1, 8)
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

    Raises
    ------
    ValueError
        With the parser's explanation when the expression is not valid.
    """
    text = value.strip()
    if not text:
        msg = "opening hours are empty"
        raise ValueError(msg)
    try:
        opening_hours.OpeningHours(text)
    except opening_hours.ParserError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else "syntax error"
        msg = f"not valid OpenStreetMap opening_hours syntax ({first}): {text!r}"
        raise ValueError(msg) from None
    return text


def parse_time(value: str) -> str:
    """Parse ``H:MM`` or ``HH:MM`` (24:00 allowed) and return ``HH:MM``."""
    m = _TIME_RE.match(str(value).strip())
    if not m or (m.group(1) == "24" and m.group(2) != "00"):
        msg = f"not a time of day in HH:MM form: {value!r}"
        raise ValueError(msg)
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
    msg = f"not a weekday (use Mo, Tu, We, Th, Fr, Sa, Su or 0-6): {value!r}"
    raise ValueError(msg)


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
            msg = f"session ends ({e}) before or when it starts ({s})"
            raise ValueError(msg)
        n = None
        if nth not in (None, ""):
            try:
                n = int(nth)
            except (TypeError, ValueError):
                n = None
            if n not in NTH_VALUES:
                msg = f"nth must be 1-5 or -1 (last) of the month, not {nth!r}"
                raise ValueError(msg)
        return cls(wd, s, e, n)

    def overlaps(self, window: "TimeWindow") -> bool:
        """True when this session takes place (in some week) within ``window``."""
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


def open_during(expression: str, window: TimeWindow) -> bool | None:
    """Is a place with this ``opening_hours`` open at some moment in ``window``?

    Returns ``None`` when the expression says the state is unknown then.
    Evaluated on the reference week (see the module docstring).
    """
    oh = opening_hours.OpeningHours(expression)
    days = range(7) if window.weekday is None else (window.weekday,)
    unknown = False
    for wd in days:
        day = _REFERENCE_MONDAY + dt.timedelta(days=wd)
        start = dt.datetime.combine(day, dt.time()) + dt.timedelta(minutes=window.start_minutes)
        end = dt.datetime.combine(day, dt.time()) + dt.timedelta(minutes=window.end_minutes)
        for _s, _e, state, _comment in oh.intervals(start, end):
            if state == opening_hours.State.OPEN:
                return True
            if state == opening_hours.State.UNKNOWN:
                unknown = True
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
            msg = (f"session {part!r} is not of the form 'Tu 18:00-20:00' "
                   "or 'Mo[1] 10:00-12:00'")
            raise ValueError(msg)
        out.append(Session.parse(m["day"], m["start"], m["end"], m["nth"]))
    return out


def format_sessions(sessions: list[Session]) -> str:
    """The inverse of :func:`parse_sessions`."""
    parts = []
    for s in sessions:
        nth = f"[{s.nth}]" if s.nth is not None else ""
        parts.append(f"{WEEKDAYS[s.weekday]}{nth} {s.start}-{s.end}")
    return "; ".join(parts)
