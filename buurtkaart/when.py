"""When someone wants to go, resolved to real dates: "now", "this evening",
"this weekend", a weekday (the coming one) or a date the user picks.

A :class:`Span` is what a filter evaluates places and activities against:
stretches of wall-clock time (the same clock time at every place, each in its
own time zone) or, for "now", one instant (converted to each place's zone).
Resolution needs the current moment in the directory's time zone; callers pass
it in (``now=``), so nothing here reads the wall clock on its own and tests
can fix the date.

- ``now``: that instant.
- ``tonight`` (also ``this evening``): today 18:00-22:00 local, from now on
  when the evening has begun; after 22:00 it is tomorrow evening. With ``date``
  or ``day``: that evening.
- ``weekend`` (also ``this weekend``): the coming Saturday 00:00 to Monday
  00:00 (from now on when the weekend has begun).
- ``day`` alone: the coming date with that weekday (today if it is that day),
  open at some moment of it; with ``from``/``to`` only in that time range.
- ``date=YYYY-MM-DD``: that date, the same way.
- ``from``/``to`` alone: that time range on any of the coming seven days.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from .errors import InvalidParameter
from .hours import (DEFAULT_TIMEZONE, Session, TimeWindow, any_open, closed_for_holiday,
                    coming_date, place_timezone, state_at, window_intervals)
from .i18n import current_locale
from .i18n import gettext as _
from .taxonomy import WEEKDAY_NAMES_EN

__all__ = ["Span", "WHEN_VALUES", "EVENING", "resolve", "parse_date", "reference_now",
           "directory_timezone"]

#: Accepted ``when`` values and what they mean.
WHEN_VALUES = {"now": "now", "nu": "now",
               "tonight": "tonight", "this evening": "tonight", "this-evening": "tonight",
               "evening": "tonight", "vanavond": "tonight",
               "weekend": "weekend", "this weekend": "weekend", "this-weekend": "weekend",
               "dit weekend": "weekend"}
#: "This evening" in local time.
EVENING = (dt.time(18, 0), dt.time(22, 0))


def _day_text(d: dt.date) -> str:
    """"Tuesday 1 December" in the active language ("dinsdag 1 december")."""
    from babel.dates import format_date

    return format_date(d, "EEEE d MMMM", locale=current_locale())


def _clock(t: dt.datetime) -> str:
    return "24:00" if t.time() == dt.time() and t.second == 0 else t.strftime("%H:%M")


@dataclass(frozen=True)
class Span:
    """Real stretches of local wall-clock time ``[start, end)``, or an instant."""

    kind: str                                           # now, tonight, weekend, day, date, week
    intervals: tuple[tuple[dt.datetime, dt.datetime], ...]  # naive wall clock
    zone: str                                           # the zone the dates were resolved in
    instant: dt.datetime | None = None                  # aware; only for "now"

    # -- evaluation ----------------------------------------------------------
    def place_open(self, expression: str, lat: float | None, lon: float | None) -> bool | None:
        """Is a place with this ``opening_hours`` at ``(lat, lon)`` open in the span?"""
        coords = (lat, lon) if lat is not None and lon is not None else None
        if self.instant is not None:
            return {"open": True, "closed": False}.get(
                state_at(expression, self.instant, coords=coords))
        return any_open(expression, self.intervals, coords=coords)

    def session_held(self, sessions: Iterable[Session], lat: float | None = None,
                     lon: float | None = None, opening_hours: str | None = None) -> bool:
        """Is one of these sessions (at a place at ``lat, lon`` with these
        ``opening_hours``; mobile: the span's zone) going on at some moment of the
        span? Not on a public holiday that closes the place all day."""
        sessions = list(sessions)
        if not sessions:
            return False
        coords = (lat, lon) if lat is not None and lon is not None else None
        cancelled = (lambda day: closed_for_holiday(opening_hours, day, coords=coords)) \
            if opening_hours else None
        if self.instant is not None:
            zone = place_timezone(lat, lon) if coords else ZoneInfo(self.zone)
            local = self.instant.astimezone(zone).replace(tzinfo=None)
            return any(s.held_between(local, local, cancelled=cancelled) for s in sessions)
        return any(s.held_between(a, b, cancelled=cancelled)
                   for s in sessions for a, b in self.intervals)

    # -- telling the user ----------------------------------------------------
    def describe(self) -> str:
        """``"open now (Tuesday 1 December, 23:40)"`` and the like, in the active
        language (English when none is, as in the API)."""
        if self.instant is not None:
            local = self.instant.astimezone(ZoneInfo(self.zone))
            return _("open now (%(day)s, %(time)s)", day=_day_text(local.date()),
                     time=f"{local:%H:%M}")
        start, end = self.intervals[0][0], self.intervals[-1][1]
        if self.kind == "weekend":
            last = (end - dt.timedelta(minutes=1)).date()
            days = _day_text(start.date()) if last == start.date() else \
                f"{_day_text(start.date())} – {_day_text(last)}"
            if start.time() != dt.time():
                return _("open this weekend (%(days)s, from %(time)s)", days=days,
                         time=f"{start:%H:%M}")
            return _("open this weekend (%(days)s)", days=days)
        if self.kind == "week":
            return _("open %(start)s-%(end)s on one of the 7 days from %(day)s",
                     start=_clock(start), end=_clock(self.intervals[0][1]),
                     day=_day_text(start.date()))
        if self.kind == "tonight":
            return _("open in the evening of %(day)s (%(start)s-%(end)s)",
                     day=_day_text(start.date()), start=_clock(start), end=_clock(end))
        if start.time() == dt.time() and end - start == dt.timedelta(days=1):
            return _("open on %(day)s", day=_day_text(start.date()))
        return _("open on %(day)s, %(start)s-%(end)s", day=_day_text(start.date()),
                 start=_clock(start), end=_clock(end))

    def to_json(self) -> dict:
        """The resolved window, as the API echoes it."""
        out: dict = {"when": self.kind, "time_zone": self.zone, "description": self.describe()}
        if self.instant is not None:
            out["at"] = self.instant.astimezone(ZoneInfo(self.zone)).isoformat(
                timespec="minutes")
        else:
            out["intervals"] = [{"start": a.isoformat(timespec="minutes"),
                                 "end": b.isoformat(timespec="minutes")}
                                for a, b in self.intervals]
        return out


def parse_date(text: str) -> dt.date:
    """A ``YYYY-MM-DD`` date between 2000 and 2100; ``ValueError`` otherwise."""
    try:
        d = dt.date.fromisoformat(str(text).strip())
    except ValueError:
        msg = f"expected a date YYYY-MM-DD, got {text!r}"
        raise ValueError(msg) from None
    if not 2000 <= d.year <= 2100:
        msg = f"the date must lie between 2000 and 2100, got {text!r}"
        raise ValueError(msg)
    return d


def resolve(when: str | None, date: dt.date | None, window: TimeWindow,
            now: dt.datetime) -> Span | None:
    """The span meant by ``when``/``date``/``day``/``from``/``to`` at ``now``
    (aware, in the directory's time zone); ``None`` when no time was asked for.

    Raises :class:`InvalidParameter` naming the parameter when they contradict.
    """
    zone = getattr(now.tzinfo, "key", None) or DEFAULT_TIMEZONE
    local = now.astimezone(ZoneInfo(zone)).replace(tzinfo=None)
    today = local.date()
    times_given = window.start != "00:00" or window.end != "24:00"
    if date is not None and window.weekday is not None and date.weekday() != window.weekday:
        raise InvalidParameter("day", f"{date.isoformat()} is a {WEEKDAY_NAMES_EN[date.weekday()]}, "
                                f"not a {WEEKDAY_NAMES_EN[window.weekday]}")
    day = date if date is not None else (
        coming_date(window.weekday, today) if window.weekday is not None else None)
    if when == "now":
        if day is not None or times_given:
            raise InvalidParameter("when", "'now' cannot be combined with day, date, from or to")
        return Span("now", (), zone, instant=now.astimezone(ZoneInfo(zone)))
    if when in ("tonight", "weekend") and times_given:
        raise InvalidParameter("when", f"'{when}' has its own hours; leave out from and to")
    if when == "tonight":
        evening = day or today
        start = dt.datetime.combine(evening, EVENING[0])
        end = dt.datetime.combine(evening, EVENING[1])
        if day is None and local >= end:
            start, end = start + dt.timedelta(days=1), end + dt.timedelta(days=1)
        return Span("tonight", ((max(start, local) if day is None else start, end),), zone)
    if when == "weekend":
        if day is not None:
            raise InvalidParameter("when", "'weekend' cannot be combined with day or date")
        saturday = today - dt.timedelta(days=1) if today.weekday() == 6 else coming_date(5, today)
        start = dt.datetime.combine(saturday, dt.time())
        end = start + dt.timedelta(days=2)
        return Span("weekend", ((max(start, local), end),), zone)
    if day is not None:
        [interval] = window_intervals(TimeWindow(day.weekday(), window.start, window.end), day)
        return Span("date" if date is not None else "day", (interval,), zone)
    if times_given:
        return Span("week", tuple(window_intervals(window, today)), zone)
    return None


def directory_timezone(db) -> ZoneInfo:
    """The time zone at the middle of the stored places (the default zone when
    there are none): "today" and "this evening" are resolved there."""
    row = db.execute("SELECT AVG(lat), AVG(lon) FROM places WHERE archived_at IS NULL").fetchone()
    if not row or row[0] is None:
        return ZoneInfo(DEFAULT_TIMEZONE)
    return place_timezone(round(row[0], 2), round(row[1], 2))


def reference_now(db, fixed: dt.datetime | str | None = None) -> dt.datetime:
    """The current moment in the directory's time zone, or ``fixed`` (an aware
    datetime or ISO string with offset: the injectable clock) converted to it."""
    zone = directory_timezone(db)
    if fixed is None:
        return dt.datetime.now(zone)
    moment = dt.datetime.fromisoformat(fixed) if isinstance(fixed, str) else fixed
    if moment.tzinfo is None:
        return moment.replace(tzinfo=zone)
    return moment.astimezone(zone)
