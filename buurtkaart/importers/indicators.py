"""Indicator tables: long or wide, per neighbourhood or per statistical sector, and the
Statbel files as published.

- **long**: columns ``code, year, indicator, value``; **wide**: ``code, year`` and then one
  column per indicator. A table is long when it has both an indicator and a value column.
- Column names are case-insensitive, with Dutch aliases (:data:`CODE_COLUMNS`,
  :data:`YEAR_COLUMNS`, :data:`INDICATOR_COLUMNS`, :data:`VALUE_COLUMNS`).
- **Files** (:mod:`.tables`): CSV/TXT separated by ``|``, ``;``, ``,`` or tab, in UTF-8,
  UTF-16 or Windows-1252 (the encoding is reported); ``.xlsx``; a ``.zip`` around either.
- **Known layouts** (:mod:`.statbel`) are recognised by their header and mapped to
  indicators: Statbel's ``TF_PSNL_INC_TAX_SECTOR`` (fiscal income) and
  ``OPENDATA_SECTOREN_<year>`` (population, the year from the file name). They are sector
  files: a ``--lookup`` is needed; rows of unknown sectors (``...ZZZZ``) are reported and
  skipped.
- **Numbers**: each column is read one way, decided from all its values
  (:func:`.tables.column_convention`): ``21.500,5`` and ``23.100`` in one column are both
  read with a decimal comma (21500.5 and 23100). A column mixing ``1.234,5`` and
  ``1,234.5`` is refused, naming the rows; so is one whose only separators are ambiguous
  (``23.100``) unless the file's other columns agree on a convention. In a ``,``-separated
  file the decimal mark is a point. Excel numbers are typed and never in doubt.
- Codes stay text exactly as written (trimmed): leading zeros kept, Statbel sector codes
  such as ``44021A00-`` included.
- Empty cells and ``NA``, ``n/a``, ``-``, ``.``, ``nan``, ``null`` are missing values:
  stored as missing (shown as unknown), never as zero. ``C`` is a value Statbel keeps
  **confidential**: stored as unknown with a note saying so, and a neighbourhood value that
  needs it is unknown with a note naming the sectors.
- Indicator names must be declared in :data:`buurtkaart.indicators.INDICATORS` or follow a
  naming rule of :data:`buurtkaart.indicators.NAMING_RULES`.
- Plausibility: shares (unit "share") must lie in 0..1 and counts must not be negative.

Rows are the line numbers of the file as a text editor or Excel shows them: the header is
row 1. Every problem (file, row, field, reason) is collected first; then the whole file is
refused with :class:`~buurtkaart.errors.ImportFailed`. Nothing is partly read.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..errors import ImportFailed, Problem
from ..indicators import aggregate_sectors, indicator_info
from ..i18n import N_, Msg, row_msg
from ..notes import note
from ..progress import counted
from . import statbel
from .lookups import find_column, read_lookup
from .tables import Table, column_convention, parse_number, read_table, rows_text

__all__ = ["read_indicator_table", "read_indicators", "read_lookup", "IndicatorImport",
           "LEVELS", "CODE_COLUMNS", "YEAR_COLUMNS", "INDICATOR_COLUMNS", "VALUE_COLUMNS",
           "MISSING_VALUES"]

LEVELS = ("neighbourhood", "sector")
CODE_COLUMNS = ("code", "wijk", "wijkcode", "neighbourhood", "sector", "cd_sector",
                "sectorcode", "statsec", "niscode", "nis_code")
YEAR_COLUMNS = ("year", "jaar", "jaartal")
INDICATOR_COLUMNS = ("indicator", "variabele", "variable")
VALUE_COLUMNS = ("value", "waarde")
MISSING_VALUES = frozenset({"", "na", "n/a", "-", "nan", "null", "."})
YEAR_RANGE = (1900, 2100)
_RULE_HINT = N_("use a known indicator (docs/indicators.md) or a name ending in _share, _rate, "
                 "_pct, _count, _total, _median or _mean")
_YEAR = re.compile(r"[0-9]{4}")  # int() would take 2_020 and full-width digits
FRAME_COLUMNS = ["code", "year", "indicator", "value", "source", "note"]


def _expected() -> Msg:
    """What an indicator table looks like (the end of a missing-column problem)."""
    return Msg("expected an indicator table: columns code, year and one column per indicator "
               "(wide) or code, year, indicator, value (long), separated by ',' ';' '|' or "
               "tab, or .xlsx; or a Statbel file as published: %(layouts)s",
               layouts="; ".join(f"{lay.key} ({lay.header_text()})" for lay in statbel.LAYOUTS))


@dataclass
class IndicatorImport:
    """What :func:`read_indicators` read: ``frame`` (long, per neighbourhood, with a
    ``note`` per value that is unknown for a known reason) and ``messages`` for the user
    (how the file was read, what was skipped, which values are unknown and why)."""

    frame: pd.DataFrame
    messages: list[str] = field(default_factory=list)


@functools.lru_cache(maxsize=4096)
def _info(key: str):
    return indicator_info(key)


def _plausible(key: str, v: float) -> str | None:
    info = _info(key)
    if info is None:
        return None
    if info.unit == "share" and not 0 <= v <= 1:
        return Msg("%(value)s is not a share between 0 and 1 (write 0.45 for 45%%, or name "
                   "the column *_pct)", value=f"{v:g}")
    if info.kind == "count" and v < 0:
        return Msg("%(value)s is negative, but %(indicator)s is a count", value=f"{v:g}",
                   indicator=key)
    return None




def _codes(codes) -> str:
    cs = list(dict.fromkeys(codes))
    return ", ".join(cs[:10]) + (f" ... ({len(cs)} in all)" if len(cs) > 10 else "")


def _conventions(table: Table, header, rows, value_cols: list[tuple[int, str]]
                 ) -> tuple[dict[int, str | None], list[Problem]]:
    """The number convention of each value column (see the module docstring)."""
    if table.typed or table.delimiter == ",":
        return {k: "point" for k, _ in value_cols}, []
    values = {k: [(n, row[k]) for n, row in rows if len(row) == len(header)
                  and row[k].strip().lower() not in MISSING_VALUES
                  and row[k].strip().lower() not in statbel.CONFIDENTIAL_MARKERS]
              for k, _ in value_cols}
    first = {k: column_convention(v) for k, v in values.items()}
    agreed = {c for c, _ in first.values() if c}
    fallback = agreed.pop() if len(agreed) == 1 else None
    out, problems = {}, []
    for k, h in value_cols:
        conv, problem = first[k]
        if problem and fallback:  # only ambiguous values: the file's convention decides
            conv, problem = column_convention(values[k], fallback=fallback)
        out[k] = "refused" if problem else conv
        if problem:
            problems.append(Problem(table.file, None, h, Msg("column %(column)s %(problem)s",
                                                             column=h, problem=problem)))
    return out, problems


def read_indicators(path: str | Path, *, level: str | None = None,
                    lookup_path: str | Path | None = None,
                    source: str | None = None) -> IndicatorImport:
    """Read an indicator table into long form, with notes and messages.

    Parameters
    ----------
    path:
        CSV/TXT, ``.xlsx`` or ``.zip``: long, wide or a known Statbel layout.
    level:
        ``"neighbourhood"`` or ``"sector"`` (aggregated through ``lookup_path`` with
        :func:`buurtkaart.indicators.aggregate_sectors`); ``None``: sector for a known
        Statbel layout, else neighbourhood.
    lookup_path:
        Needed at sector level: sector -> neighbourhood (:func:`read_lookup`).
    source:
        Recorded in the ``source`` column (default: the file name).

    Raises
    ------
    ImportFailed
        With every problem found (see the module docstring).
    """
    path = Path(path)
    file = str(path)
    if level is not None and level not in LEVELS:
        raise ImportFailed([Problem(file, None, None, Msg(
            # the levels are the values of --level, the same in every language
            "unknown level %(level)s (use neighbourhood or sector)", level=repr(level)))])
    table = read_table(path)
    file = table.file
    messages = list(table.notes)
    layout = statbel.recognise(table.header)
    if layout:
        year = None
        if layout.year is None:
            year = statbel.year_from_name(table.name) or statbel.year_from_name(path.name)
            if year is None:
                raise ImportFailed([Problem(file, None, None, Msg(
                    "is a %(title)s file (%(key)s): the year must be in the file name, as "
                    "published (%(key)s_2024.txt)", title=Msg(layout.title), key=layout.key))])
        header, rows, ignored = statbel.to_wide(table, layout, year)
        if level == "neighbourhood":
            raise ImportFailed([Problem(file, None, None, Msg(
                "is a %(title)s file (%(key)s): its codes are statistical sectors, not "
                "neighbourhoods (leave out --level neighbourhood)", title=Msg(layout.title),
                key=layout.key))])
        level = layout.level
        said = [", ".join(f"{c} -> {i}" for c, i in layout.columns.items() if i in header)]
        if year:
            said.append(f"year {year} from the file name")
        if ignored:
            said.append(f"not imported: {', '.join(ignored)}")
        messages.append(f"{file}: recognised {layout.title} ({layout.key}, "
                        f"{table.describe()}): " + "; ".join(said))
    else:
        header, rows = table.header, table.rows
        level = level or "neighbourhood"
    if level == "sector" and lookup_path is None:
        raise ImportFailed([Problem(file, None, None, Msg(
            "sector-level values need a lookup table: --lookup FILE (columns sector,code, or "
            "the published statsec2024,ggw72024)"))])
    long_frame, confidential, skipped = _read_values(table, header, rows, level)
    if skipped:
        messages.append(f"{file}: skipped {len(skipped)} rows of unknown sectors ('...ZZZZ': "
                        f"people Statbel cannot place in a sector), {rows_text(skipped)}")
    frame = pd.DataFrame(long_frame, columns=["code", "year", "indicator", "value", "row"])
    frame["value"] = frame["value"].astype(float)
    frame["year"] = frame["year"].astype(int)
    frame["source"] = source or path.name
    frame["confidential"] = [(c, y, i) in confidential for c, y, i in
                             zip(frame["code"].tolist(), frame["year"].tolist(),
                                 frame["indicator"].tolist())]
    if level == "sector":
        lookup = read_lookup(lookup_path)
        messages += lookup.attrs.get("messages", [])
        frame, outside = _outside_lookup(frame, lookup)
        if outside:
            messages.append(f"{file}: skipped {outside[0]} rows of {len(outside[1])} "
                            f"municipalities the lookup does not cover (e.g. Wallonia, or "
                            f"codes from before a merger): {_codes(outside[1])}")
        weights = layout.weights if layout else {}
        frame = _weights_known(frame, weights)
        out = aggregate_sectors(frame, lookup, file=file, weights=weights)
        out["source"] = source or path.name
        out["note"] = _sector_notes(frame, lookup, out)
    else:
        out = frame
        confidential = note(("confidential", {}))
        out["note"] = [confidential if c else None for c in frame["confidential"]]
    out = out[FRAME_COLUMNS].reset_index(drop=True)
    out["note"] = out["note"].astype(object).where(out["note"].notna(), None)
    messages += _unknown_summary(out, level)
    return IndicatorImport(out, messages)


def read_indicator_table(path: str | Path, *, level: str | None = None,
                         lookup_path: str | Path | None = None,
                         source: str | None = None) -> pd.DataFrame:
    """:func:`read_indicators`' frame: ``code`` (str), ``year`` (int), ``indicator``,
    ``value`` (float, NaN when missing), ``source``, ``note`` (why a value is unknown, or
    None), per neighbourhood; the messages in ``attrs["messages"]``."""
    result = read_indicators(path, level=level, lookup_path=lookup_path, source=source)
    result.frame.attrs["messages"] = result.messages
    return result.frame


def _header_problems(table: Table, header: list[str]) -> tuple[dict, list[Problem]]:
    file = table.file
    problems: list[Problem] = []
    ci, yi = find_column(header, CODE_COLUMNS), find_column(header, YEAR_COLUMNS)
    ii, vi = find_column(header, INDICATOR_COLUMNS), find_column(header, VALUE_COLUMNS)
    for idx, what, names in ((ci, "code", CODE_COLUMNS), (yi, "year", YEAR_COLUMNS)):
        if idx is None:
            problems.append(Problem(file, row_msg(1), what, Msg(
                "required column %(column)s is missing (accepted names: %(names)s); "
                "%(expected)s. This file is %(file)s with columns: %(columns)s", column=what,
                names=", ".join(names), expected=_expected(), file=table.describe(),
                columns=", ".join(header) or Msg("(none)"))))
    if (ii is None) != (vi is None):
        have, lack, names = (("indicator", "value", VALUE_COLUMNS) if vi is None
                             else ("value", "indicator", INDICATOR_COLUMNS))
        problems.append(Problem(file, row_msg(1), lack, Msg(
            "a long table has a %(have)s column but required column %(lack)s is missing "
            "(accepted names: %(names)s)", have=have, lack=lack, names=", ".join(names))))
    if problems:
        raise ImportFailed(problems)
    long = ii is not None and vi is not None
    blank = [k + 1 for k, h in enumerate(header) if not h]
    if blank:
        problems.append(Problem(file, row_msg(1), None, Msg("column %(num)s has no name",
                                                            num=blank[0])))
    low = [x.lower() for x in header]
    for h in sorted({h for h in header if h and low.count(h.lower()) > 1}):
        problems.append(Problem(file, row_msg(1), h, Msg("column name appears more than once")))
    if long:
        for k, h in enumerate(header):
            if k not in (ci, yi, ii, vi) and h:
                problems.append(Problem(file, row_msg(1), h, Msg(
                    "unexpected column in a long table (code, year, indicator, value)")))
        value_cols = [(vi, header[vi])]
    else:
        value_cols = [(k, h) for k, h in enumerate(header) if k not in (ci, yi) and h]
        if not value_cols:
            problems.append(Problem(file, row_msg(1), None, Msg(
                "no indicator columns (a wide table has code, year and one column per "
                "indicator)")))
        for _k, h in value_cols:
            if indicator_info(h) is None:
                problems.append(Problem(file, row_msg(1), h, Msg(
                    "unknown indicator %(value)s: %(hint)s", value=repr(h), hint=Msg(_RULE_HINT))))
    return {"ci": ci, "yi": yi, "ii": ii, "vi": vi, "long": long,
            "value_cols": value_cols}, problems


def _read_values(table: Table, header, rows, level):
    """(records, confidential keys, skipped unknown-sector rows)."""
    file = table.file
    cols, problems = _header_problems(table, header)
    ci, yi, ii, long = cols["ci"], cols["yi"], cols["ii"], cols["long"]
    value_cols = cols["value_cols"]
    conventions, conv_problems = _conventions(table, header, rows, value_cols)
    problems += conv_problems
    wide_cols = [] if long else [(k, h) for k, h in value_cols if indicator_info(h)]
    out: list[tuple[str, int, str, float | None, int]] = []
    confidential: set[tuple[str, int, str]] = set()
    seen: dict[tuple[str, int, str], int] = {}
    skipped: list[int] = []
    for n, row in counted(rows, "reading indicator rows", unit=" rows"):
        if not any(c.strip() for c in row):
            continue
        where = row_msg(n)
        if len(row) != len(header):
            problems.append(Problem(file, where, None, Msg(
                "has %(values)s values but the header has %(columns)s columns",
                values=len(row), columns=len(header))))
            continue
        code = row[ci].strip()
        if level == "sector" and statbel.UNKNOWN_SECTOR.match(code):
            skipped.append(n)
            continue
        if not code:
            problems.append(Problem(file, where, header[ci], Msg("code is empty")))
        raw_year = row[yi].strip()
        try:
            if not _YEAR.fullmatch(raw_year):  # int() would take 2_020 and full-width digits
                raise ValueError
            year = int(raw_year)
            if not YEAR_RANGE[0] <= year <= YEAR_RANGE[1]:
                raise ValueError
        except ValueError:
            problems.append(Problem(file, where, header[yi], Msg(
                "year must be a whole number %(first)s-%(last)s, got %(value)s",
                first=YEAR_RANGE[0], last=YEAR_RANGE[1], value=repr(raw_year))))
            year = None
        if long:
            vi = cols["vi"]
            ind = row[ii].strip()
            if not ind:
                problems.append(Problem(file, where, header[ii], Msg("indicator is empty")))
                continue
            if _info(ind) is None:
                problems.append(Problem(file, where, header[ii], Msg(
                    "unknown indicator %(value)s: %(hint)s", value=repr(ind),
                    hint=Msg(_RULE_HINT))))
                continue
            cells = [(ind, row[vi], header[vi], conventions.get(vi))]
        else:
            cells = [(h, row[k], h, conventions.get(k)) for k, h in wide_cols]
        for ind, raw, col, conv in cells:
            if conv == "refused":  # the column's problem is reported once
                continue
            text = raw.strip()
            secret = text.lower() in statbel.CONFIDENTIAL_MARKERS
            value = None
            if not secret and text.lower() not in MISSING_VALUES:
                try:
                    value = parse_number(text, conv)
                except ValueError:
                    if table.delimiter == "," and "," in text:
                        why = Msg("not a number: %(value)s (a decimal comma in a comma-separated "
                                  "file? use ; as delimiter or a decimal point)", value=repr(text))
                    elif table.typed:
                        why = Msg("not a number: %(value)s (a number stored as text in Excel? "
                                  "format the cells as numbers)", value=repr(text))
                    else:
                        why = Msg("not a number: %(value)s", value=repr(text))
                    problems.append(Problem(file, where, col, why))
                    continue
            if value is not None and (why := _plausible(ind, value)):
                problems.append(Problem(file, where, col, why))
                continue
            if not code or year is None:
                continue
            key = (code, year, ind)
            if key in seen:
                problems.append(Problem(file, where, col, Msg(
                    "duplicate: %(indicator)s for %(code)s in %(year)s was already given in row "
                    "%(row)s", indicator=ind, code=code, year=year, row=seen[key])))
                continue
            seen[key] = n
            if secret:
                confidential.add(key)
            out.append((code, year, ind, value, n))
    if problems:
        raise ImportFailed(problems)
    return out, confidential, skipped


def _outside_lookup(frame: pd.DataFrame, lookup: pd.DataFrame
                    ) -> tuple[pd.DataFrame, tuple[int, list[str]] | None]:
    """Leave out the sectors of municipalities (their first five characters) that have no
    sector in the lookup at all: a national file with a lookup for Flanders and Brussels.
    A sector missing from a municipality the lookup covers stays, and is refused."""
    covered = set(lookup["sector"].astype(str).str[:5])
    muni = frame["code"].astype(str).str[:5]
    out = ~muni.isin(covered)
    if not out.any():
        return frame, None
    rows = int(frame.loc[out, "row"].nunique())
    return frame[~out].reset_index(drop=True), (rows, sorted(set(muni[out])))


def _weights_known(frame: pd.DataFrame, weights: dict[str, str]) -> pd.DataFrame:
    """A value weighted by a confidential weight (declarations 'C') is unknown too."""
    if not weights:
        return frame
    secret_w = frame[frame["confidential"]].set_index(["code", "year", "indicator"]).index
    frame = frame.copy()
    for ind, w in weights.items():
        keys = pd.MultiIndex.from_arrays([frame["code"], frame["year"],
                                          [w] * len(frame)])
        hit = (frame["indicator"] == ind) & keys.isin(secret_w)
        frame.loc[hit, "value"] = float("nan")
        frame.loc[hit, "confidential"] = True
    return frame


def _sector_notes(sectors: pd.DataFrame, lookup: pd.DataFrame, out: pd.DataFrame) -> list:
    """Why each unknown neighbourhood value is unknown, naming the sectors."""
    lk = dict(zip(lookup["sector"].astype(str), lookup["code"].astype(str)))
    unknown = out.loc[out["value"].isna(), ["code", "year", "indicator"]]
    if unknown.empty:
        return [None] * len(out)
    s = sectors.assign(nb=sectors["code"].map(lk))
    # only the sectors of the neighbourhood-years that have an unknown value
    s = s.merge(unknown.rename(columns={"code": "nb"})[["nb", "year"]].drop_duplicates(),
                on=["nb", "year"])
    keys = ["nb", "year", "indicator"]
    secret = s[s["confidential"]].groupby(keys)["code"].agg(list).to_dict()
    empty = s[s["value"].isna() & ~s["confidential"]].groupby(keys)["code"].agg(list).to_dict()
    given = s.groupby(keys)["code"].agg(set).to_dict()
    present = s.groupby(["nb", "year"])["code"].agg(set).to_dict()
    notes: dict[int, object] = {}
    for pos, code, year, ind in zip(unknown.index, unknown["code"], unknown["year"],
                                    unknown["indicator"]):
        key = (code, year, ind)
        parts = []
        if key in secret:
            parts.append(("confidential_sectors", {"sectors": list(secret[key])}))
        if key in empty:
            parts.append(("empty_sectors", {"sectors": list(empty[key])}))
        lacking = sorted(present.get((code, year), set()) - given.get(key, set()))
        if lacking:
            parts.append(("lacking_sectors", {"sectors": lacking, "year": int(year),
                                              "indicator": str(ind)}))
        notes[pos] = note(*(parts or [("zero_weights", {})]))
    return [notes.get(pos) for pos in out.index]


def _unknown_summary(out: pd.DataFrame, level: str) -> list[str]:
    """One line per indicator and year with unknown values that have a note."""
    noted = out[out["note"].notna()]
    lines = []
    what = "neighbourhood" if level == "sector" else "code"
    for (ind, year), g in noted.groupby(["indicator", "year"], sort=True):
        secret = g["note"].str.contains("confidential")
        why = ("a statistical sector's value is confidential ('C')" if secret.all() else
               "a sector's value is confidential ('C') or missing" if secret.any() else
               "a sector's value is missing")
        lines.append(f"warning: {ind} {year} is unknown for {len(g)} {what}(s) "
                     f"({_codes(g['code'])}) because {why}; each value carries a note")
    return lines
