"""CSV text into rows, with every way the ``csv`` module can fail turned into a problem
naming the file and the row (the line a text editor shows it starting on).

- A field longer than Python's limit (128 KiB) is refused: no real cell is that long, and
  it usually means a quote was never closed.
- A quote opened and never closed makes the rest of the file one cell; this is reported at
  the row where the quote opens, instead of as missing values further on.
"""

from __future__ import annotations

import csv
import io
import re

from ..errors import ImportFailed, Problem
from ..i18n import Msg, row_msg

__all__ = ["read_rows", "sniff_delimiter", "neutralise_formula", "restore_formula"]


def sniff_delimiter(text: str, candidates: str = ";,") -> str:
    """The candidate that occurs most often on the first line (``,`` when none does)."""
    first = text.splitlines()[0] if text else ""
    counts = {d: first.count(d) for d in candidates}
    return max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","


def read_rows(text: str, delimiter: str, file: str) -> list[tuple[int, list[str]]]:
    """(line number where the row starts, cells) for every row, the header included."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[tuple[int, list[str]]] = []
    start = 1
    try:
        for cells in reader:
            rows.append((start, cells))
            start = reader.line_num + 1
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            reason = Msg("a field is longer than %(limit)s characters (128 KiB): too long for "
                         "any column; is a quote (\") never closed?",
                         limit=f"{csv.field_size_limit():,}")
        else:
            reason = Msg("is not valid CSV: %(error)s", error=str(exc))
        raise ImportFailed([Problem(file, row_msg(start), None, reason)]) from None
    if rows and rows[-1][0] < reader.line_num and _unterminated(text, delimiter):
        raise ImportFailed([Problem(file, row_msg(rows[-1][0]), None,
                                    Msg("a quoted field opened on this row is never closed (a "
                                        "missing \"), so the rest of the file was read as one "
                                        "value; close the quote"))])
    return rows


def _unterminated(text: str, delimiter: str) -> bool:
    """Does the text end inside a quoted field?"""
    try:
        for _ in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True):
            pass
    except csv.Error as exc:
        return "unexpected end of data" in str(exc)
    return False


# A text cell a spreadsheet would run as a formula (OWASP, "CSV Injection"): it starts with
# = + - @, a tab or a carriage return, possibly after quotes this escaping added before.
_FORMULA = re.compile(r"'*[=+\-@\t\r]")


def neutralise_formula(text: str) -> str:
    """``text`` with a leading ``'`` when a spreadsheet would read it as a formula.

    Only for text cells: numbers are written as numbers (``-3.5`` stays usable).
    :func:`restore_formula` undoes it exactly, also for text that already started with
    quotes.
    """
    return "'" + text if _FORMULA.match(text) else text


def restore_formula(cell: str) -> str:
    """The text :func:`neutralise_formula` was given (a cell without its added quote)."""
    return cell[1:] if cell.startswith("'") and _FORMULA.match(cell, 1) else cell
