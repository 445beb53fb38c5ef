"""Why an indicator value is unknown: a note stored as codes with their values, shown in
the page's language.

A note is one or more parts, each a code of :data:`NOTE_TEXTS` with its values; the
database keeps them as JSON (``[["confidential_sectors", {"sectors": ["...", ...]}]]``)
in ``indicators.note``. :func:`decode` turns that into a :class:`~buurtkaart.i18n.Msg`
whose text is the English sentence (the JSON API and the command line show exactly
that) and which a page shows in its language. Text that is not such JSON (written by
hand, or a note from an older version that :func:`from_english` could not read) is
shown as it is.
"""

from __future__ import annotations

import json
import re

from .i18n import N_, Msg, MsgList, Term

__all__ = ["NOTE_TEXTS", "note", "encode", "decode", "from_english", "sector_list"]

_STATBEL_C = "(Statbel publishes 'C' where a figure would reveal too few people)"

#: code -> English text with ``%(name)s`` values (marked for translation).
NOTE_TEXTS = {
    "confidential": N_("confidential (Statbel publishes 'C' where a figure would reveal too "
                       "few people)"),
    "confidential_sectors": N_("confidential in the source for sector(s) %(sectors)s (Statbel "
                               "publishes 'C' where a figure would reveal too few people)"),
    "empty_sectors": N_("no value for sector(s) %(sectors)s"),
    "lacking_sectors": N_("sector(s) %(sectors)s of this neighbourhood are given for %(year)s "
                          "without %(indicator)s"),
    "zero_weights": N_("the sectors' weights add up to 0"),
}

#: Codes named in a note: at most this many are listed.
SHOWN_CODES = 10


def sector_list(codes, total: int | None = None):
    """Codes as a list of at most :data:`SHOWN_CODES`, with how many there are in all."""
    cs = list(dict.fromkeys(str(c) for c in codes))
    total = max(total or 0, len(cs))
    shown = ", ".join(cs[:SHOWN_CODES])
    if total <= SHOWN_CODES:
        return shown
    return Msg("%(codes)s ... (%(num)s in all)", codes=shown, num=total)


def _part(code: str, params: dict):
    values = dict(params)
    if "sectors" in values:
        values["sectors"] = sector_list(values["sectors"], values.pop("total", None))
    else:
        values.pop("total", None)
    if "indicator" in values:
        from .indicators import INDICATORS

        ind = INDICATORS.get(values["indicator"])
        if ind:
            values["indicator"] = Term(values["indicator"], ind.label_en)
    return Msg(NOTE_TEXTS[code], **values)


class Note(MsgList):
    """A stored note: its parts (code, values), shown joined by "; "."""

    def __new__(cls, parts):
        parts = [(code, dict(params)) for code, params in parts]
        self = super().__new__(cls, [_part(code, params) for code, params in parts], "; ")
        self.parts = parts
        return self

    def __reduce__(self):
        return (Note, (self.parts,))


def note(*parts: tuple[str, dict]) -> Note:
    """A note of ``(code, values)`` parts; ``sectors`` values are lists of codes."""
    return Note(parts)


def encode(value) -> str | None:
    """What is stored for a note: JSON for a :class:`Note`, other text as it is."""
    if value is None:
        return None
    if isinstance(value, Note):
        return json.dumps([[c, p] for c, p in value.parts], ensure_ascii=False)
    return str(value)


def decode(text: str | None):
    """A stored note as a :class:`Note` (English text, shown in any language); text that
    is not a stored note comes back as it is."""
    if not text or not text.startswith("[["):
        return text
    try:
        parts = json.loads(text)
        if all(isinstance(c, str) and c in NOTE_TEXTS and isinstance(p, dict)
               for c, p in parts):
            return Note(parts)
    except (ValueError, TypeError):
        pass
    return text


_CODES = r"(.+?)(?: \.\.\. \((\d+) in all\))?"
_ENGLISH = [
    ("confidential", re.compile(re.escape(NOTE_TEXTS["confidential"]))),
    ("confidential_sectors", re.compile(r"confidential in the source for sector\(s\) " + _CODES
                                        + " " + re.escape(_STATBEL_C))),
    ("empty_sectors", re.compile(r"no value for sector\(s\) " + _CODES)),
    ("lacking_sectors", re.compile(r"sector\(s\) " + _CODES + r" of this neighbourhood are "
                                   r"given for (\d+) without (\w+)")),
    ("zero_weights", re.compile(re.escape(NOTE_TEXTS["zero_weights"]))),
]


def from_english(text: str) -> list | None:
    """The parts of a note stored as English text by an older version, or ``None`` when
    the text is not one buurtkaart wrote."""
    parts = []
    for piece in text.split("; "):
        for code, pattern in _ENGLISH:
            m = pattern.fullmatch(piece)
            if m:
                break
        else:
            return None
        params: dict = {}
        if code.endswith("_sectors"):
            params["sectors"] = m.group(1).split(", ")
            if m.group(2):
                params["total"] = int(m.group(2))
        if code == "lacking_sectors":
            params.update(year=int(m.group(3)), indicator=m.group(4))
        parts.append([code, params])
    return parts
