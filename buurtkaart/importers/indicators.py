"""Indicator tables from CSV: long or wide, per neighbourhood or per statistical sector.

- **long**: columns ``code, year, indicator, value``; **wide**: ``code, year`` and then one
  column per indicator. A table is long when it has both an indicator and a value column.
- Column names are case-insensitive, with Dutch aliases (:data:`CODE_COLUMNS`,
  :data:`YEAR_COLUMNS`, :data:`INDICATOR_COLUMNS`, :data:`VALUE_COLUMNS`).
- The delimiter (``,``, ``;`` or tab) is detected from the header line. In a ``;`` or tab
  file numbers may use a decimal comma (``12,5``; ``21.500,5`` with a dot for thousands);
  in a ``,`` file the decimal mark is a point.
- Codes stay text exactly as written (trimmed): leading zeros kept, Statbel sector codes
  such as ``44021A00-`` included. They are never converted to numbers.
- Empty cells and ``NA``, ``n/a``, ``-``, ``.``, ``nan``, ``null`` are missing values: stored
  as missing (shown as unknown), never as zero.
- Indicator names must be declared in :data:`buurtkaart.indicators.INDICATORS` or follow a
  naming rule of :data:`buurtkaart.indicators.NAMING_RULES`; so it is always known how
  they aggregate.
- Plausibility: shares (unit "share") must lie in 0..1 and counts must not be negative.

Rows are the line numbers of the file as a text editor shows them: the header is row 1, the
first data row is row 2. Every problem (file, row, field, reason) is collected first; then
the whole file is refused with :class:`~buurtkaart.errors.ImportFailed`. Nothing is partly
read.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pandas as pd

from ..errors import ImportFailed, Problem
from ..indicators import aggregate_sectors, indicator_info
from ..limits import limit, refusal
from .csvtext import read_rows, sniff_delimiter

__all__ = ["read_indicator_table", "read_lookup", "LEVELS", "CODE_COLUMNS", "YEAR_COLUMNS",
           "INDICATOR_COLUMNS", "VALUE_COLUMNS", "MISSING_VALUES"]

LEVELS = ("neighbourhood", "sector")
CODE_COLUMNS = ("code", "wijk", "wijkcode", "neighbourhood", "sector", "cd_sector",
                "sectorcode", "statsec", "niscode", "nis_code")
YEAR_COLUMNS = ("year", "jaar", "jaartal")
INDICATOR_COLUMNS = ("indicator", "variabele", "variable")
VALUE_COLUMNS = ("value", "waarde")
MISSING_VALUES = frozenset({"", "na", "n/a", "-", "nan", "null", "."})
YEAR_RANGE = (1900, 2100)
_SECTOR_COLUMNS = ("sector", "cd_sector", "sectorcode", "statsec")
_LOOKUP_CODE_COLUMNS = ("code", "wijk", "wijkcode", "neighbourhood")
_RULE_HINT = ("use a known indicator (docs/indicators.md) or a name ending in _share, _rate, "
              "_pct, _count, _total, _median or _mean")


def _read(path: Path, file: str) -> tuple[list[str], list[tuple[int, list[str]]], str]:
    """Header, (line number, cells) per data row, and the delimiter."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ImportFailed([Problem(file, None, None, f"cannot be read: {exc.strerror or exc}")]
                           ) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise ImportFailed([Problem(file, f"row {line}", None,
                                    "is not valid UTF-8; save the file as UTF-8")]) from None
    if not text.strip():
        raise ImportFailed([Problem(file, None, None, "is empty")])
    delim = sniff_delimiter(text, ";,\t")
    n_columns = len(read_rows(text.split("\n", 1)[0], delim, file)[0][1])
    if n_columns > limit("columns"):  # before parsing the rest (or checking each name)
        raise ImportFailed([Problem(file, "row 1", None,
                                    refusal("columns", f"has {n_columns:,} columns"))])
    rows = read_rows(text, delim, file)
    return [h.strip() for h in rows[0][1]], rows[1:], delim


_YEAR = re.compile(r"[0-9]{4}")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def _find(header: list[str], names) -> int | None:
    low = [h.lower() for h in header]
    for n in names:
        if n in low:
            return low.index(n)
    return None


def _number(text: str, delim: str) -> float | None:
    """The number in ``text``; ``None`` when missing; ValueError when not a number."""
    t = text.strip().replace("\u00a0", "").replace(" ", "")
    if t.lower() in MISSING_VALUES:
        return None
    if delim != "," and "," in t:
        t = t.replace(".", "").replace(",", ".")
    if not _NUMBER.fullmatch(t):  # float() would also take 1_000 and full-width digits
        raise ValueError
    v = float(t)
    if not math.isfinite(v):
        raise ValueError
    return v


def _plausible(key: str, v: float) -> str | None:
    info = indicator_info(key)
    if info is None:
        return None
    if info.unit == "share" and not 0 <= v <= 1:
        return (f"{v:g} is not a share between 0 and 1 (write 0.45 for 45%, or name the "
                "column *_pct)")
    if info.kind == "count" and v < 0:
        return f"{v:g} is negative, but {key} is a count"
    return None


def read_indicator_table(path: str | Path, *, level: str = "neighbourhood",
                         lookup_path: str | Path | None = None,
                         source: str | None = None) -> pd.DataFrame:
    """Read an indicator table into long form.

    Parameters
    ----------
    path:
        CSV file, long or wide (see the module docstring).
    level:
        ``"neighbourhood"`` (codes are neighbourhood codes) or ``"sector"`` (codes are
        Statbel statistical sectors, aggregated with
        :func:`buurtkaart.indicators.aggregate_sectors`).
    lookup_path:
        Required with ``level="sector"``: CSV with columns ``sector`` and ``code``.
    source:
        Recorded in the ``source`` column (default: the file name).

    Returns
    -------
    DataFrame
        ``code`` (str), ``year`` (int), ``indicator`` (str), ``value`` (float, NaN when
        missing), ``source`` (str), per neighbourhood.

    Raises
    ------
    ImportFailed
        With every problem found: unknown level, missing lookup, missing required column,
        unknown indicator, ragged row, empty code, bad year, non-numeric or implausible
        value, duplicate (code, year, indicator); for sector files also the problems of the
        lookup and of the aggregation.
    """
    path = Path(path)
    file = str(path)
    if level not in LEVELS:
        raise ImportFailed([Problem(file, None, None, f"unknown level {level!r} "
                                                      f"(use {' or '.join(LEVELS)})")])
    if level == "sector" and lookup_path is None:
        raise ImportFailed([Problem(file, None, None, "sector-level values need a lookup "
                                    "table: --lookup FILE (columns sector,code)")])
    header, rows, delim = _read(path, file)
    problems: list[Problem] = []
    ci, yi = _find(header, CODE_COLUMNS), _find(header, YEAR_COLUMNS)
    ii, vi = _find(header, INDICATOR_COLUMNS), _find(header, VALUE_COLUMNS)
    for idx, what, names in ((ci, "code", CODE_COLUMNS), (yi, "year", YEAR_COLUMNS)):
        if idx is None:
            problems.append(Problem(file, "row 1", what, f"required column {what} is missing "
                                    f"(accepted names: {', '.join(names)})"))
    if (ii is None) != (vi is None):
        have, lack, names = (("indicator", "value", VALUE_COLUMNS) if vi is None
                             else ("value", "indicator", INDICATOR_COLUMNS))
        problems.append(Problem(file, "row 1", lack, f"a long table has a {have} column but "
                                f"required column {lack} is missing (accepted names: "
                                f"{', '.join(names)})"))
    if problems:
        raise ImportFailed(problems)
    long = ii is not None and vi is not None
    blank = [k + 1 for k, h in enumerate(header) if not h]
    if blank:
        problems.append(Problem(file, "row 1", None, f"column {blank[0]} has no name"))
    dupes = sorted({h for h in header if h and [x.lower() for x in header].count(h.lower()) > 1})
    for h in dupes:
        problems.append(Problem(file, "row 1", h, "column name appears more than once"))
    if long:
        for k, h in enumerate(header):
            if k not in (ci, yi, ii, vi) and h:
                problems.append(Problem(file, "row 1", h, "unexpected column in a long table "
                                                          "(code, year, indicator, value)"))
        value_cols: list[tuple[int, str]] = []
    else:
        value_cols = [(k, h) for k, h in enumerate(header) if k not in (ci, yi) and h]
        if not value_cols:
            problems.append(Problem(file, "row 1", None, "no indicator columns (a wide table "
                                    "has code, year and one column per indicator)"))
        for _k, h in value_cols:
            if indicator_info(h) is None:
                problems.append(Problem(file, "row 1", h, f"unknown indicator {h!r}: "
                                                          + _RULE_HINT))
    bad_columns = {h for _k, h in value_cols if indicator_info(h) is None}
    out: list[tuple[str, int, str, float | None, int]] = []
    seen: dict[tuple[str, int, str], int] = {}
    for n, row in rows:
        if not any(c.strip() for c in row):
            continue
        where = f"row {n}"
        if len(row) != len(header):
            problems.append(Problem(file, where, None, f"has {len(row)} values but the header "
                                                       f"has {len(header)} columns"))
            continue
        code = row[ci].strip()
        if not code:
            problems.append(Problem(file, where, header[ci], "code is empty"))
        raw_year = row[yi].strip()
        try:
            if not _YEAR.fullmatch(raw_year):  # int() would take 2_020 and full-width digits
                raise ValueError
            year = int(raw_year)
            if not YEAR_RANGE[0] <= year <= YEAR_RANGE[1]:
                raise ValueError
        except ValueError:
            problems.append(Problem(file, where, header[yi], f"year must be a whole number "
                                    f"{YEAR_RANGE[0]}-{YEAR_RANGE[1]}, got {raw_year!r}"))
            year = None
        if long:
            cells = [(row[ii].strip(), row[vi], header[vi])]
            if not cells[0][0]:
                problems.append(Problem(file, where, header[ii], "indicator is empty"))
                continue
            if indicator_info(cells[0][0]) is None:
                problems.append(Problem(file, where, header[ii],
                                        f"unknown indicator {cells[0][0]!r}: " + _RULE_HINT))
                continue
        else:
            cells = [(h, row[k], h) for k, h in value_cols if h not in bad_columns]
        for ind, raw, col in cells:
            try:
                value = _number(raw, delim)
            except ValueError:
                hint = (" (a decimal comma in a comma-separated file? use ; as delimiter or a "
                        "decimal point)" if delim == "," and "," in raw else "")
                problems.append(Problem(file, where, col, f"not a number: {raw.strip()!r}"
                                                          + hint))
                continue
            if value is not None and (why := _plausible(ind, value)):
                problems.append(Problem(file, where, col, why))
                continue
            if not code or year is None:
                continue
            key = (code, year, ind)
            if key in seen:
                problems.append(Problem(file, where, col, f"duplicate: {ind} for {code} in "
                                                          f"{year} was already given in row "
                                                          f"{seen[key]}"))
                continue
            seen[key] = n
            out.append((code, year, ind, value, n))
    if problems:
        raise ImportFailed(problems)
    frame = pd.DataFrame(out, columns=["code", "year", "indicator", "value", "row"])
    frame["value"] = frame["value"].astype(float)
    frame["year"] = frame["year"].astype(int)
    frame["source"] = source or path.name
    if level == "sector":
        frame = aggregate_sectors(frame, read_lookup(lookup_path), file=file)
        frame["source"] = source or path.name
    return frame[["code", "year", "indicator", "value", "source"]].reset_index(drop=True)


def read_lookup(path: str | Path) -> pd.DataFrame:
    """A sector -> neighbourhood table: CSV with columns ``sector`` and ``code``.

    Raises
    ------
    ImportFailed
        When a column is missing, a row lacks a sector or code, or a sector is mapped to
        two neighbourhoods.
    """
    path = Path(path)
    file = str(path)
    header, rows, _ = _read(path, file)
    si, ci = _find(header, _SECTOR_COLUMNS), _find(header, _LOOKUP_CODE_COLUMNS)
    problems = []
    if si is None:
        problems.append(Problem(file, "row 1", "sector", "required column sector is missing"))
    if ci is None:
        problems.append(Problem(file, "row 1", "code", "required column code is missing "
                                                       "(the neighbourhood code)"))
    if problems:
        raise ImportFailed(problems)
    pairs, seen = [], {}
    for n, row in rows:
        if not any(c.strip() for c in row):
            continue
        if len(row) <= max(si, ci):
            problems.append(Problem(file, f"row {n}", None, "has too few values"))
            continue
        s, c = row[si].strip(), row[ci].strip()
        if not s or not c:
            problems.append(Problem(file, f"row {n}", header[si] if not s else header[ci],
                                    "sector and code are both required"))
        elif s in seen and seen[s][0] != c:
            problems.append(Problem(file, f"row {n}", header[si],
                                    f"sector {s} is mapped to {c} here and to {seen[s][0]} in "
                                    f"row {seen[s][1]}"))
        elif s not in seen:
            seen[s] = (c, n)
            pairs.append((s, c))
    if problems:
        raise ImportFailed(problems)
    return pd.DataFrame(pairs, columns=["sector", "code"])
