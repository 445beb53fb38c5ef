"""Opening hours and sessions in words: "ma–vr 8:00–20:00, za 11:00–17:00, zo gesloten".

:func:`hours_text` puts the common weekly forms of an OpenStreetMap ``opening_hours``
expression into a sentence in the active language (:mod:`buurtkaart.i18n`): rules
``<days> <times>`` or ``<days> off`` separated by ``;`` (later rules replace earlier ones
for their days, as in OSM), day lists and ranges (``Mo-Fr``, ``Mo,We``, ``Fr-Mo``), several
times a day, times past midnight, ``24/7`` and ``PH off``. Anything else (months, weeks,
dates, sunrise, comments, ``PH`` with hours, ``||``, ``+``) gives ``None``: the page then
shows the expression itself. The sentence is never wrong: before it is returned, the parse
is checked against the ``opening-hours`` evaluator for a whole week, and ``None`` is
returned when they disagree.

:func:`session_text` describes an activity's weekly or monthly session the same way.
Day names come from Babel's locale data, so a new language needs only its catalogue.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache

from .hours import Session
from .i18n import current_locale, gettext as _

__all__ = ["parse_weekly", "hours_text", "session_text", "day_name"]

_DAYS = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
_DAY_RE = r"(?:Mo|Tu|We|Th|Fr|Sa|Su)"
_DAYSEL_RE = re.compile(rf"^{_DAY_RE}(?:-{_DAY_RE})?(?:,{_DAY_RE}(?:-{_DAY_RE})?)*$")
_SPAN_RE = re.compile(r"^([01]?\d|2[0-4]):([0-5]\d)-([01]?\d|2[0-4]):([0-5]\d)$")
#: A Monday of a week with no public holiday (as :mod:`buurtkaart.hours` uses).
_MONDAY = dt.datetime(2024, 1, 8)
_WEEK = 7 * 1440

Spans = tuple[tuple[int, int], ...]  # minutes after midnight; end may pass 1440


def _days(selector: str) -> list[int]:
    out: list[int] = []
    for part in selector.split(","):
        a, _sep, b = part.partition("-")
        i, j = _DAYS.index(a), _DAYS.index(b or a)
        out.extend((i + k) % 7 for k in range((j - i) % 7 + 1))
    return out


def _spans(text: str) -> Spans | None:
    out = []
    for part in text.split(","):
        m = _SPAN_RE.match(part.strip())
        if not m:
            return None
        start, end = int(m[1]) * 60 + int(m[2]), int(m[3]) * 60 + int(m[4])
        if start >= 1440 or end > 1440 or start == end:
            return None
        out.append((start, end if end > start else end + 1440))
    return tuple(sorted(out))


def parse_weekly(expression: str) -> tuple[list[Spans], bool] | None:
    """``(spans per weekday Monday first, closed on public holidays)`` for the common
    weekly forms, or ``None`` when the expression says more than that."""
    text = (expression or "").strip()
    if text == "24/7":
        return [((0, 1440),)] * 7, False
    week: list[Spans] = [()] * 7
    holidays_off = False
    rules = [r.strip() for r in re.split(rf";|,\s+(?=(?:{_DAY_RE}|PH)\b)", text)]
    if not rules or not all(rules):
        return None
    for rule in rules:
        words = rule.split()
        if words[0] == "PH":
            if words[1:] in (["off"], ["closed"]):
                holidays_off = True
                continue
            return None
        if _DAYSEL_RE.match(words[0]):
            days, rest = _days(words[0]), words[1:]
        else:
            days, rest = list(range(7)), words
        if rest in (["off"], ["closed"]):
            for d in days:
                week[d] = ()
            continue
        if len(rest) != 1 or (spans := _spans(rest[0])) is None:
            return None
        for d in days:
            week[d] = spans
    return week, holidays_off


def _minutes(week: list[Spans]) -> list[tuple[int, int]]:
    """The open minutes of the reference week (a day's late hours spill into the next)."""
    pieces = []
    for offset in range(-1, 8):
        for start, end in week[offset % 7]:
            lo, hi = max(0, offset * 1440 + start), min(_WEEK, offset * 1440 + end)
            if lo < hi:
                pieces.append((lo, hi))
    return _merge(pieces)


def _merge(pieces) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for lo, hi in sorted(pieces):
        if out and lo <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


def _evaluated(expression: str) -> list[tuple[int, int]]:
    import opening_hours

    oh = opening_hours.OpeningHours(expression)
    pieces = []
    for start, end, state, _comment in oh.intervals(_MONDAY, _MONDAY + dt.timedelta(days=7)):
        if state == opening_hours.State.OPEN:
            pieces.append((int((start - _MONDAY).total_seconds() // 60),
                           int((end - _MONDAY).total_seconds() // 60)))
    return _merge(pieces)


@lru_cache(maxsize=2048)
def _checked(expression: str):
    parsed = parse_weekly(expression)
    if parsed is None:
        return None
    try:
        if _minutes(parsed[0]) != _evaluated(expression):
            return None
    except Exception:  # noqa: BLE001 - an expression the evaluator refuses is not put in words
        return None
    return parsed


def day_name(weekday: int, width: str = "abbreviated", locale: str | None = None) -> str:
    """The name of weekday ``weekday`` (Monday = 0) in the active language."""
    from babel import Locale

    return Locale.parse(locale or current_locale()).days["format"][width][weekday]


def _clock(minutes: int) -> str:
    minutes %= 1440
    return f"{minutes // 60}:{minutes % 60:02d}"


def _hhmm(text: str) -> str:
    """"09:00" as people write it: "9:00"."""
    hours, _sep, minutes = text.partition(":")
    return f"{int(hours)}:{minutes}"


def _times(spans: Spans) -> str:
    if spans == ((0, 1440),):
        return _("open all day")
    parts = [f"{_clock(a)}–{_clock(b) if b != 1440 else '24:00'}" for a, b in spans]
    return _(" and ").join(parts) if len(parts) > 1 else parts[0]


def hours_text(expression: str | None) -> str | None:
    """The opening hours as a sentence in the active language, or ``None`` when the
    expression is empty or too complex to put into words without risk of being wrong."""
    if not expression:
        return None
    parsed = _checked(expression.strip())
    if parsed is None:
        return None
    week, holidays_off = parsed
    if all(spans == ((0, 1440),) for spans in week):
        text = _("open day and night, every day")
    elif all(spans == week[0] for spans in week):
        text = _("every day %(times)s", times=_times(week[0]))
    else:
        groups: list[list[int]] = []
        for d in range(7):
            if groups and week[groups[-1][-1]] == week[d]:
                groups[-1].append(d)
            else:
                groups.append([d])
        parts = []
        closed = _("closed")
        for g in groups:
            days = day_name(g[0]) if len(g) == 1 else f"{day_name(g[0])}–{day_name(g[-1])}"
            parts.append(f"{days} {_times(week[g[0]]) if week[g[0]] else closed}")
        text = ", ".join(parts)
    if holidays_off:
        text += "; " + _("closed on public holidays")
    return text


def session_text(session: Session) -> str:
    """An activity's session in words: "every Tuesday 18:00–20:00", "first Monday of the
    month, 10:00–12:00"."""
    day = day_name(session.weekday, "wide")
    times = f"{_hhmm(session.start)}–{_hhmm(session.end)}"
    if session.nth is None:
        return _("every %(day)s %(times)s", day=day, times=times)
    templates = {1: _("first %(day)s of the month, %(times)s"),
                 2: _("second %(day)s of the month, %(times)s"),
                 3: _("third %(day)s of the month, %(times)s"),
                 4: _("fourth %(day)s of the month, %(times)s"),
                 5: _("fifth %(day)s of the month, %(times)s"),
                 -1: _("last %(day)s of the month, %(times)s")}
    return templates[session.nth] % {"day": day, "times": times}
