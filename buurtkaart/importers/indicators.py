"""Indicator tables from CSV: long (code, year, indicator, value) or wide (one column per
indicator), per neighbourhood or per statistical sector (aggregated through a lookup table).

- Delimiter ``,`` or ``;`` is detected; in a ``;`` file decimal commas (``12,5``) are read.
- Column names are case-insensitive, with Dutch aliases: ``code``/``wijk``/``wijkcode``/
  ``sector``/``cd_sector``; ``year``/``jaar``; ``indicator``; ``value``/``waarde``.
- Codes stay text, exactly as written (leading zeros kept; Statbel sector codes such as
  ``44021A00-`` included).
- Empty values and ``NA``/``-`` are stored as missing (shown as "unknown", never zero).
- Wide tables: every other column is an indicator; unknown names must follow the naming rule of
  :func:`buurtkaart.indicators.indicator_kind` (``*_share``, ``*_rate``, ``*_pct``, ``*_count``,
  ``population*``) so that it is clear how they aggregate.

Rows are numbered as lines of the file (the header is row 1). Every problem is collected, then
the whole import is refused.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd

from ..errors import ImportFailed, Problem
from ..indicators import aggregate_sectors, indicator_kind

__all__ = ["read_indicator_table", "read_lookup"]

_CODE = ("code", "wijk", "wijkcode", "neighbourhood", "sector", "cd_sector", "sectorcode",
         "statsec", "niscode", "nis_code")
_YEAR = ("year", "jaar", "jaartal", "period")
_INDICATOR = ("indicator", "variabele", "variable")
_VALUE = ("value", "waarde")
_MISSING = {"", "na", "n/a", "-", "nan", "null", "."}


def _read(path: Path, file: str) -> tuple[list[str], list[list[str]], str]:
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8-sig")
    except OSError as exc:
        raise ImportFailed([Problem(file, None, None, f"cannot be read: {exc}")]) from None
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise ImportFailed([Problem(file, f"row {line}", None,
                                    "is not valid UTF-8; save the file as UTF-8")]) from None
    if not text.strip():
        raise ImportFailed([Problem(file, None, None, "is empty")])
    first = text.splitlines()[0]
    delim = ";" if first.count(";") > first.count(",") else ("\t" if "\t" in first else ",")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delim))
    header = [h.strip() for h in rows[0]]
    return header, rows[1:], delim


def _find(header: list[str], names) -> int | None:
    low = [h.lower() for h in header]
    for n in names:
        if n in low:
            return low.index(n)
    return None


def _number(text: str, delim: str) -> float | None:
    t = text.strip().replace("\u00a0", "").replace(" ", "")
    if t.lower() in _MISSING:
        return None
    if delim == ";" and "," in t:
        t = t.replace(".", "").replace(",", ".")
    return float(t)


def _year(text: str) -> int:
    y = int(text.strip())
    if not 1900 <= y <= 2100:
        raise ValueError
    return y


def read_indicator_table(path: str | Path, *, level: str = "neighbourhood",
                         lookup_path: str | Path | None = None,
                         source: str | None = None) -> pd.DataFrame:
    """Read ``path`` into long form ``code, year, indicator, value, source``."""
    path = Path(path)
    file = str(path)
    if level not in ("neighbourhood", "sector"):
        raise ImportFailed([Problem(file, None, None, f"unknown level {level!r} "
                                                      "(neighbourhood or sector)")])
    if level == "sector" and lookup_path is None:
        raise ImportFailed([Problem(file, None, None, "sector-level values need --lookup "
                                                      "FILE (columns sector,code)")])
    header, rows, delim = _read(path, file)
    problems: list[Problem] = []
    ci, yi = _find(header, _CODE), _find(header, _YEAR)
    ii, vi = _find(header, _INDICATOR), _find(header, _VALUE)
    for idx, what, names in ((ci, "code", _CODE), (yi, "year", _YEAR)):
        if idx is None:
            problems.append(Problem(file, "row 1", what, f"no {what} column (one of "
                                                         f"{', '.join(names)})"))
    if problems:
        raise ImportFailed(problems)
    long = ii is not None and vi is not None
    if long:
        extra = [h for k, h in enumerate(header) if k not in (ci, yi, ii, vi) and h]
        if extra:
            problems.append(Problem(file, "row 1", extra[0], "unexpected column in a long table "
                                                             "(code, year, indicator, value)"))
        value_cols = []
    else:
        value_cols = [(k, h) for k, h in enumerate(header) if k not in (ci, yi)]
        if not value_cols:
            problems.append(Problem(file, "row 1", None, "no indicator columns"))
        for _k, h in value_cols:
            if indicator_kind(h) is None:
                problems.append(Problem(file, "row 1", h,
                                        "unknown indicator: use a known name (see "
                                        "docs/indicators.md) or end it in _share, _rate, _pct "
                                        "or _count"))
    out, seen = [], {}
    for n, row in enumerate(rows, start=2):
        if not any(c.strip() for c in row):
            continue
        where = f"row {n}"
        if len(row) != len(header):
            problems.append(Problem(file, where, None, f"has {len(row)} values, the header "
                                                       f"{len(header)}"))
            continue
        code = row[ci].strip()
        if not code:
            problems.append(Problem(file, where, header[ci], "code is empty"))
            continue
        try:
            year = _year(row[yi])
        except ValueError:
            problems.append(Problem(file, where, header[yi],
                                    f"year must be a whole number 1900-2100, got {row[yi]!r}"))
            continue
        cells = [(row[ii].strip(), row[vi], header[vi])] if long else \
            [(h, row[k], h) for k, h in value_cols]
        for ind, raw, col in cells:
            if long and indicator_kind(ind) is None:
                problems.append(Problem(file, where, header[ii],
                                        f"unknown indicator {ind!r}: use a known name or end it "
                                        "in _share, _rate, _pct or _count"))
                continue
            try:
                value = _number(raw, delim)
            except ValueError:
                problems.append(Problem(file, where, col, f"not a number: {raw!r}"))
                continue
            key = (code, year, ind)
            if key in seen:
                problems.append(Problem(file, where, col, f"{ind} for {code} in {year} was "
                                                          f"already given in row {seen[key]}"))
                continue
            seen[key] = n
            out.append((code, year, ind, value))
    if problems:
        raise ImportFailed(problems)
    frame = pd.DataFrame(out, columns=["code", "year", "indicator", "value"])
    frame["source"] = source or path.name
    if level == "sector":
        frame = aggregate_sectors(frame, read_lookup(lookup_path), file=file)
    return frame


def read_lookup(path: str | Path) -> pd.DataFrame:
    """A sector -> neighbourhood table (columns ``sector`` and ``code``)."""
    path = Path(path)
    file = str(path)
    header, rows, _ = _read(path, file)
    si = _find(header, ("sector", "cd_sector", "sectorcode", "statsec"))
    ci = _find(header, ("code", "wijk", "wijkcode", "neighbourhood"))
    if si is None or ci is None:
        raise ImportFailed([Problem(file, "row 1", None, "the lookup needs columns sector and "
                                                         "code")])
    problems, pairs, seen = [], [], {}
    for n, row in enumerate(rows, start=2):
        if not any(c.strip() for c in row):
            continue
        s, c = row[si].strip(), row[ci].strip()
        if not s or not c:
            problems.append(Problem(file, f"row {n}", None, "sector and code are required"))
        elif s in seen and seen[s] != c:
            problems.append(Problem(file, f"row {n}", header[si],
                                    f"sector {s} is mapped to {seen[s]} and to {c}"))
        else:
            seen[s] = c
            pairs.append((s, c))
    if problems:
        raise ImportFailed(problems)
    return pd.DataFrame(pairs, columns=["sector", "code"])
