"""HSDS schedules and OpenStreetMap opening hours, both ways.

- schedule ``freq=WEEKLY`` with ``byday=MO,TU`` and ``opens_at``/``closes_at`` ->
  one session per day; ``freq=MONTHLY`` with ``byday=1MO`` / ``-1FR`` -> "nth
  weekday" sessions; ``freq=DAILY`` -> seven sessions; anything else (an
  ``interval`` other than 1, ``bymonthday``, ...) is refused as a problem
  rather than silently simplified; a schedule whose ``valid_to`` or ``until``
  has passed no longer holds and is left out with a warning;
- a location's weekly schedules <-> a simple OSM ``opening_hours`` expression.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from ...hours import Session
from ...i18n import Msg, message_of
from ...taxonomy import WEEKDAYS
from .shapes import at
from .vocabulary import BYDAY

__all__ = ["opening_hours_to_weekly", "weekly_to_opening_hours", "schedule_sessions",
           "ended_on"]


def ended_on(*dates) -> str | None:
    """The first of ``dates`` (HSDS ``valid_to``, ``until``) that lies before today."""
    for value in dates:
        try:
            day = dt.date.fromisoformat(str(value)[:10])
        except ValueError:
            continue
        if day < dt.date.today():
            return day.isoformat()
    return None

_DAY = r"(?:Mo|Tu|We|Th|Fr|Sa|Su)"
_DAYSEL = rf"{_DAY}(?:-{_DAY})?(?:,{_DAY}(?:-{_DAY})?)*"
_RANGE = r"\d{2}:\d{2}-\d{2}:\d{2}"
_RULE_RE = re.compile(rf"^(?:(?P<days>{_DAYSEL}|PH)\s+)?"
                      rf"(?P<times>off|closed|{_RANGE}(?:,{_RANGE})*)$")
_WEEKDAY_CODES = tuple(WEEKDAYS)  # Mo, Tu, ...


def _split_rules(expression: str) -> list[tuple[str, bool]] | None:
    """Split an OSM expression into (rule, additional) pairs, or None if not simple."""
    out: list[tuple[str, bool]] = []
    for part in expression.split(";"):
        part = part.strip()
        if not part:
            continue
        # "Mo-Fr 09:00-17:00, Sa 10:00-12:00": a comma before a day selector
        # starts an additional rule
        pieces = re.split(rf"(?<=[\dfd]),\s*(?=(?:{_DAY}|PH)(?:[-,]{_DAY})*\s)", part)
        for k, piece in enumerate(pieces):
            out.append((piece.strip(), k > 0))
    return out


def opening_hours_to_weekly(expression: str | None) -> list[tuple[int, str, str]] | None:
    """Weekly (weekday, opens, closes) windows of a simple OSM ``opening_hours``.

    Simple means: rules of weekday selectors (``Mo-Fr``, ``Sa,Su``) with time
    ranges, ``off``/``closed`` rules, ``24/7``, and public-holiday rules
    (``PH off``), which a weekly schedule cannot say and which are left out.
    Returns ``None`` for anything else (months, weeks, dates, ranges past
    midnight, comments...): that cannot be written as HSDS weekly schedules
    without losing meaning.
    """
    if not expression:
        return None
    text = expression.strip()
    if text == "24/7":
        return [(d, "00:00", "24:00") for d in range(7)]
    rules = _split_rules(text)
    if not rules:
        return None
    week: dict[int, list[tuple[str, str]]] = {d: [] for d in range(7)}
    for rule, additional in rules:
        m = _RULE_RE.match(rule)
        if not m:
            return None
        if m["days"] == "PH":
            continue
        days: list[int] = []
        if m["days"] is None:
            days = list(range(7))
        else:
            for sel in m["days"].split(","):
                a, _, b = sel.partition("-")
                i, j = _WEEKDAY_CODES.index(a), _WEEKDAY_CODES.index(b or a)
                days += [(i + k) % 7 for k in range((j - i) % 7 + 1)]
        if m["times"] in ("off", "closed"):
            ranges: list[tuple[str, str]] = []
        else:
            ranges = []
            for r in m["times"].split(","):
                start, end = r.split("-")
                try:
                    Session.parse(0, start, end)
                except ValueError:
                    return None  # past midnight or not a time
                ranges.append((start, end))
        for d in days:
            week[d] = (week[d] + ranges) if additional and ranges else list(ranges)
    return [(d, start, end) for d in range(7) for start, end in sorted(set(week[d]))]


def weekly_to_opening_hours(sessions: list[Session]) -> str | None:
    """An OSM ``opening_hours`` expression for weekly and nth-weekday sessions.

    Weekdays with the same time ranges are grouped (``Mo-Fr 09:00-17:00``);
    an nth weekday becomes ``Mo[1] 10:00-12:00``. ``None`` for no sessions.
    """
    if not sessions:
        return None
    weekly: dict[int, list[tuple[str, str]]] = {}
    monthly: list[Session] = []
    for s in sessions:
        if s.nth is None:
            weekly.setdefault(s.weekday, []).append((s.start, s.end))
        else:
            monthly.append(s)
    groups: dict[tuple, list[int]] = {}
    for day in sorted(weekly):
        groups.setdefault(tuple(sorted(set(weekly[day]))), []).append(day)
    parts = []
    for ranges, days in groups.items():
        sels, k = [], 0
        while k < len(days):
            j = k
            while j + 1 < len(days) and days[j + 1] == days[j] + 1:
                j += 1
            first, last = _WEEKDAY_CODES[days[k]], _WEEKDAY_CODES[days[j]]
            sels.append(first if j == k else (f"{first},{last}" if j == k + 1
                                               else f"{first}-{last}"))
            k = j + 1
        parts.append(f"{','.join(sels)} {','.join(f'{a}-{b}' for a, b in ranges)}")
    for s in sorted(monthly, key=lambda s: (s.weekday, s.nth, s.start)):
        parts.append(f"{_WEEKDAY_CODES[s.weekday]}[{s.nth}] {s.start}-{s.end}")
    return "; ".join(parts)


def schedule_sessions(schedules: Any, where: str, r) -> list[Session]:
    """Sessions of HSDS ``schedules`` at ``where``; ``r.problem(where, field, reason)``
    hears of every schedule that cannot be represented."""
    out: list[Session] = []
    if not schedules:
        return out
    for k, s in enumerate(schedules):
        w = (s.get("_where") if isinstance(s, dict) else None) or at(where, f"schedules[{k}]")
        if not isinstance(s, dict):
            r.problem(w, None, Msg("must be an object"))
            continue
        ended = ended_on(s.get("valid_to"), s.get("until"))
        if ended:
            r.warn(w, f"ended on {ended}: left out")
            continue
        freq = str(s.get("freq") or "WEEKLY").upper()
        interval = s.get("interval")
        if interval not in (None, "", 1, "1"):
            r.problem(w, "interval", Msg("every %(interval)s %(freq)s periods cannot be "
                                         "represented as weekly sessions", interval=interval,
                                         freq=freq.lower()))
            continue
        lost = False
        for unsupported, why in (
                ("bymonthday", Msg("days of the month cannot be represented as weekly "
                                   "sessions")),
                ("byyearday", Msg("days of the year cannot be represented as weekly sessions")),
                ("byweekno", Msg("weeks of the year cannot be represented as weekly sessions")),
                ("until", Msg("a schedule that ends cannot be represented (sessions are "
                              "ongoing)")),
                ("count", Msg("a limited number of occurrences cannot be represented "
                              "(sessions are ongoing)")),
                ("valid_to", Msg("a schedule valid only until a date cannot be represented "
                                 "(sessions are ongoing)"))):
            if s.get(unsupported) not in (None, "", []):
                r.problem(w, unsupported, why)
                lost = True
        if lost:
            continue
        opens, closes = s.get("opens_at"), s.get("closes_at")
        if not opens or not closes:
            r.problem(w, "opens_at" if not opens else "closes_at",
                      Msg("is required for a session"))
            continue
        opens, closes = str(opens)[:5], str(closes)[:5]
        if freq == "DAILY":
            days = [(d, None) for d in range(7)]
        elif freq in ("WEEKLY", "MONTHLY"):
            days = []
            for token in str(s.get("byday") or "").replace(" ", "").split(","):
                if not token:
                    continue
                day, nth = token[-2:].upper(), token[:-2]
                digits = nth.lstrip("+-")
                if day not in BYDAY or (digits and not (digits.isascii() and digits.isdigit())):
                    r.problem(w, "byday", Msg("%(token)s is not a day such as MO or 1MO",
                                              token=repr(token)))
                    continue
                n = int(nth) if nth.lstrip("+-") else None
                if freq == "WEEKLY" and n is not None:
                    r.problem(w, "byday", Msg("%(token)s: a numbered day needs freq MONTHLY",
                                              token=repr(token)))
                    continue
                if freq == "MONTHLY" and n is None:
                    r.problem(w, "byday", Msg("%(token)s: MONTHLY needs a numbered day such "
                                              "as 1MO", token=repr(token)))
                    continue
                days.append((BYDAY.index(day), n))
            if not days:
                r.problem(w, "byday", Msg("names no day"))
                continue
        else:
            r.problem(w, "freq", Msg("%(freq)s cannot be represented (WEEKLY, MONTHLY or "
                                     "DAILY)", freq=repr(freq)))
            continue
        for day, nth in days:
            try:
                out.append(Session.parse(day, opens, closes, nth))
            except ValueError as exc:
                r.problem(w, "opens_at", message_of(exc))
    return out
