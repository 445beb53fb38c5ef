"""Opening hours as people write them, corrected to OpenStreetMap syntax.

``Mo 7-18``, ``10.00-12.00``, ``Montags 07:00-18:00``, ``ma-vr 9u-17u`` and
``Mo-Fr 9:00 - 17:00`` are what a person means by ``Mo 07:00-18:00`` and so
on. :func:`suggest` rewrites such an expression step by step, saying in words
what each step changed; the import error quotes the words and the corrected
expression, and ``--fix-hours`` (:func:`accepting_fixes`) takes the correction
instead of refusing the record, keeping a list of what was changed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import opening_hours

__all__ = ["suggest", "accepting_fixes", "fixes_accepted", "record_fix", "annotate_fixes"]

_DAYS = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
_DAY_WORDS = {
    # Dutch
    **dict.fromkeys(("maandag", "maandagen", "ma"), "Mo"),
    **dict.fromkeys(("dinsdag", "dinsdagen", "di"), "Tu"),
    **dict.fromkeys(("woensdag", "woensdagen", "wo", "woe"), "We"),
    **dict.fromkeys(("donderdag", "donderdagen", "do", "don"), "Th"),
    **dict.fromkeys(("vrijdag", "vrijdagen", "vr", "vrij"), "Fr"),
    **dict.fromkeys(("zaterdag", "zaterdagen", "za", "zat"), "Sa"),
    **dict.fromkeys(("zondag", "zondagen", "zo", "zon"), "Su"),
    # German
    **dict.fromkeys(("montag", "montags"), "Mo"), **dict.fromkeys(("dienstag", "dienstags"), "Tu"),
    **dict.fromkeys(("mittwoch", "mittwochs"), "We"),
    **dict.fromkeys(("donnerstag", "donnerstags"), "Th"),
    **dict.fromkeys(("freitag", "freitags"), "Fr"),
    **dict.fromkeys(("samstag", "samstags", "sonnabend"), "Sa"),
    **dict.fromkeys(("sonntag", "sonntags"), "Su"),
    # French
    "lundi": "Mo", "mardi": "Tu", "mercredi": "We", "jeudi": "Th", "vendredi": "Fr",
    "samedi": "Sa", "dimanche": "Su",
    # English names and three-letter forms
    **dict.fromkeys(("monday", "mondays", "mon"), "Mo"),
    **dict.fromkeys(("tuesday", "tuesdays", "tue", "tues"), "Tu"),
    **dict.fromkeys(("wednesday", "wednesdays", "wed"), "We"),
    **dict.fromkeys(("thursday", "thursdays", "thu", "thur", "thurs"), "Th"),
    **dict.fromkeys(("friday", "fridays", "fri"), "Fr"),
    **dict.fromkeys(("saturday", "saturdays", "sat"), "Sa"),
    **dict.fromkeys(("sunday", "sundays", "sun"), "Su"),
    # the right codes in the wrong case
    **{d.lower(): d for d in _DAYS}, **{d.upper(): d for d in _DAYS},
}
_CLOSED_WORDS = ("gesloten", "geschlossen", "fermé", "ferme")
_RANGE_WORDS = ("t/m", "tot en met", "tot", "bis", "to", "till", "until", "à")
_DASHES = "–—‐‑‒−~"
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")

Step = tuple[str, str]  # (what was wrong, in words; the expression after the step)


def _valid(text: str) -> bool:
    return bool(text) and opening_hours.validate(text)


def _steps(text: str) -> Iterator[tuple[re.Pattern[str], object, str]]:
    """(pattern, replacement, explanation) in the order they are applied."""
    yield (re.compile(f"[{_DASHES}]"), "-", "ranges are written with '-' (a plain hyphen)")
    words = "|".join(sorted(map(re.escape, _RANGE_WORDS), key=len, reverse=True))
    yield (re.compile(rf"\s+(?:{words})\s+", re.IGNORECASE), "-",
           "a range is written with '-', not a word ('ma t/m vr' is 'Mo-Fr')")
    days = "|".join(sorted(map(re.escape, _DAY_WORDS), key=len, reverse=True))
    yield (re.compile(rf"(?<![A-Za-z])({days})\.?(?![A-Za-z])", re.IGNORECASE),
           lambda m: _DAY_WORDS.get(m.group(1)) or _DAY_WORDS[m.group(1).lower()],
           "days are written Mo, Tu, We, Th, Fr, Sa, Su")
    closed = "|".join(map(re.escape, _CLOSED_WORDS))
    yield (re.compile(rf"(?<![A-Za-z])({closed})(?![A-Za-z])", re.IGNORECASE), "off",
           "'closed' is written 'off'")
    yield (re.compile(r"(?<![\d:.])(\d{1,2})\s*[uhH](\d{2})?(?![A-Za-z\d])"),
           lambda m: f"{int(m.group(1)):02d}:{m.group(2) or '00'}",
           "hours are written HH:MM ('9u' or '9h30' is '09:00' or '09:30')")
    yield (re.compile(r"(?<![\d:.])(\d{1,2})\.(\d{2})(?![\d.])"),
           lambda m: f"{int(m.group(1)):02d}:{m.group(2)}",
           "hours and minutes are separated by ':' ('10.00' is '10:00')")
    yield (re.compile(r"(?<![\d:])(\d):(\d{2})"), r"0\1:\2",
           "hours have two digits ('9:00' is '09:00')")
    yield (re.compile(r"(\d{2}:\d{2})\s+-\s*(\d{2}:\d{2})|(\d{2}:\d{2})\s*-\s+(\d{2}:\d{2})"),
           lambda m: f"{m.group(1) or m.group(3)}-{m.group(2) or m.group(4)}",
           "a time range has no spaces around '-'")


_BARE_RANGE = re.compile(r"(?<![\d:./A-Za-z\[])(\d{1,2})\s*-\s*(\d{1,2})(?![\d:.\]])")


def _bare_hours(text: str) -> str:
    """``7-18`` as ``07:00-18:00``, rule by rule, leaving month days and weeks alone."""
    rules = []
    for rule in text.split(";"):
        low = rule.lower()
        if "week" in low or any(re.search(rf"\b{m}", low) for m in _MONTHS):
            rules.append(rule)
            continue
        rules.append(_BARE_RANGE.sub(lambda m: f"{int(m.group(1)):02d}:00-"
                                               f"{int(m.group(2)):02d}:00"
                                     if int(m.group(1)) <= 24 and int(m.group(2)) <= 48
                                     else m.group(0), rule))
    return ";".join(rules)


def _outside_comments(text: str, change) -> str:
    """Apply ``change`` to the text outside ``"quoted comments"`` only."""
    parts = re.split(r'("[^"]*")', text)
    return "".join(p if i % 2 else change(p) for i, p in enumerate(parts))


def suggest(text: str) -> tuple[str, list[str]] | None:
    """The corrected expression and what was wrong, in words; ``None`` when no
    correction gives a valid expression or the text is already as it should be."""
    current = " ".join(str(text).split())
    reasons: list[str] = []
    for pattern, replacement, why in _steps(current):
        after = _outside_comments(current, lambda part: pattern.sub(replacement, part))
        if after != current:
            reasons.append(why)
            current = after
    after = _outside_comments(current, _bare_hours)
    if after != current:
        reasons.append("hours need minutes ('7-18' is '07:00-18:00')")
        current = after
    if current == text.strip() or not _valid(current):
        return None
    return current, reasons


# ---------------------------------------------------------------- --fix-hours
_ACCEPTED: ContextVar[list[dict] | None] = ContextVar("buurtkaart_hour_fixes", default=None)


@contextmanager
def accepting_fixes() -> Iterator[list[dict]]:
    """Within this block opening hours that :func:`suggest` can correct are taken
    corrected instead of refused; the list yielded fills with one dict per
    correction: ``original``, ``corrected``, ``reasons`` and, once the record is
    validated, ``record`` (the place record, which carries ``uid``, ``name`` and
    the importer's ``where``)."""
    fixes: list[dict] = []
    token = _ACCEPTED.set(fixes)
    try:
        yield fixes
    finally:
        _ACCEPTED.reset(token)


def fixes_accepted() -> bool:
    return _ACCEPTED.get() is not None


def record_fix(original: str, corrected: str, reasons: list[str]) -> None:
    fixes = _ACCEPTED.get()
    if fixes is not None:
        fixes.append({"original": original, "corrected": corrected, "reasons": reasons})


def annotate_fixes(record: dict) -> None:
    """Attach ``record`` to the corrections made while it was being validated."""
    for fix in _ACCEPTED.get() or ():
        fix.setdefault("record", record)
