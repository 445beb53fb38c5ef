"""Tables as people download them: CSV/TXT in any common encoding, Excel, and a ZIP around
either; plus reading numbers the way the column writes them.

- **Encodings** of text files: UTF-8 (with or without BOM), UTF-16 (with BOM, as Excel's
  "Unicode text" writes it, or without, detected from the NUL bytes) and Windows-1252
  (cp1252, Excel's "CSV" on a Western Windows). Anything but UTF-8 is said in
  :attr:`Table.notes`.
- **Delimiters**: ``|`` (Statbel), ``;`` (Excel in Belgium), ``,`` or tab, taken from the
  header line.
- **Excel** ``.xlsx``: the first sheet; row numbers are Excel's. Numbers come typed, so their
  decimal mark is never in doubt.
- **ZIP**: one table inside (``.txt``, ``.csv``, ``.tsv`` or ``.xlsx``), read as above.

:func:`column_convention` decides, from all the values of a column, whether it writes
``1.234,5`` (decimal comma) or ``1,234.5`` (decimal point); :func:`parse_number` then reads
each value that one way.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ImportFailed, Problem
from ..i18n import N_, Msg, Term, row_msg
from ..limits import limit, refusal
from .csvtext import read_rows

__all__ = ["Table", "read_table", "column_convention", "parse_number", "rows_text",
           "TABLE_SUFFIXES", "DELIMITERS"]

TABLE_SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx", ".zip")
DELIMITERS = ("|", ";", ",", "\t")
_DELIMITER_NAMES = {"|": "'|'", ";": "';'", ",": "','", "\t": Term("tab", N_("tab"))}
_ENCODING_NAMES = {"utf-8": "UTF-8", "utf-16": "UTF-16", "utf-16-le": "UTF-16 (little endian)",
                   "utf-16-be": "UTF-16 (big endian)", "cp1252": "Windows-1252 (cp1252)"}


@dataclass
class Table:
    """A table read from a file.

    ``rows`` are ``(line, cells)`` with the line number a text editor or Excel shows (the
    header is line 1 when it is the first line). ``delimiter`` and ``encoding`` are
    ``None`` for Excel; ``typed`` is true when numbers came typed (Excel).
    """

    file: str
    name: str
    header: list[str]
    rows: list[tuple[int, list[str]]]
    delimiter: str | None = None
    encoding: str | None = None
    typed: bool = False
    notes: list[str] = field(default_factory=list)

    def describe(self) -> Msg:
        """How the file was read, e.g. "';'-separated text (UTF-8)" or "an Excel workbook"
        (in any language)."""
        if self.delimiter is None:
            return Msg("an Excel workbook")
        return Msg("%(delimiter)s-separated text (%(encoding)s)",
                   delimiter=_DELIMITER_NAMES[self.delimiter],
                   encoding=_ENCODING_NAMES.get(self.encoding or "", self.encoding))


def _fail(file: str, reason: Msg, where: Msg | None = None) -> ImportFailed:
    return ImportFailed([Problem(file, where, None, reason)])


def read_table(path: str | Path, *, file: str | None = None) -> Table:
    """Read a CSV/TXT, ``.xlsx`` or ``.zip`` table (see the module docstring).

    Raises
    ------
    ImportFailed
        When the file cannot be read, is empty, or a ZIP does not hold exactly one table.
    """
    path = Path(path)
    file = file or str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise _fail(file, Msg("cannot be read: %(error)s", error=str(exc.strerror or exc))
                    ) from None
    return _read_bytes(raw, path.name, file)


def _read_bytes(raw: bytes, name: str, file: str) -> Table:
    if not raw.strip():
        raise _fail(file, Msg("is empty"))
    if raw[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(io.BytesIO(raw)) as zf:
                names = zf.namelist()
                if any(n.startswith("xl/") for n in names):
                    return _read_xlsx(raw, name, file)
                tables = [n for n in names if not n.endswith("/") and "__MACOSX" not in n
                          and Path(n).suffix.lower() in (".csv", ".txt", ".tsv", ".xlsx")]
                if len(tables) != 1:
                    raise _fail(file, Msg("is a ZIP archive holding %(num)s tables (%(names)s); "
                                          "expected exactly one .txt, .csv or .xlsx file",
                                          num=len(tables), names=", ".join(tables) or "-"))
                inner = zf.read(tables[0])
        except zipfile.BadZipFile as exc:
            raise _fail(file, Msg("looks like a ZIP or Excel file but cannot be opened: "
                                  "%(error)s", error=str(exc))) from None
        return _read_bytes(inner, Path(tables[0]).name, f"{file} ({tables[0]})")
    return _read_text(raw, name, file)


def _decode(raw: bytes) -> tuple[str, str]:
    """(text, encoding name) of a text file."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", errors="strict"), "utf-8"
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16"), "utf-16"
    head = raw[:4000]
    if head.count(b"\x00") > len(head) // 4:  # UTF-16 without a BOM
        enc = "utf-16-le" if head[1:2] == b"\x00" else "utf-16-be"
        return raw.decode(enc), enc
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return raw.decode("cp1252"), "cp1252"


def _read_text(raw: bytes, name: str, file: str) -> Table:
    try:
        text, encoding = _decode(raw)
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise _fail(file, Msg("cannot be decoded as UTF-8, UTF-16 or Windows-1252 "
                              "(%(error)s); save it as UTF-8", error=exc.reason),
                    row_msg(line)) from None
    if not text.strip():
        raise _fail(file, Msg("is empty"))
    notes = []
    if encoding != "utf-8":
        notes.append(f"{file}: read as {_ENCODING_NAMES[encoding]}, not UTF-8")
    first = text.splitlines()[0]
    counts = {d: first.count(d) for d in DELIMITERS}
    delim = max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","
    _check_columns(len(read_rows(text.split("\n", 1)[0], delim, file)[0][1]), file)
    rows = read_rows(text, delim, file)  # names the row of an unclosed quote or huge field
    header = [h.strip() for h in rows[0][1]]
    rows = rows[1:]
    return Table(file, name, header, rows, delim, encoding, False, notes)


def _check_columns(n: int, file: str) -> None:
    """Refuse a table wider than the configured limit before reading its rows."""
    if n > limit("columns"):
        raise _fail(file, refusal("columns", Msg("has %(num)s columns", num=f"{n:,}")),
                    row_msg(1))


def _cell_text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if not math.isfinite(v):
            return ""
        return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)
    if isinstance(v, dt.datetime):
        return v.date().isoformat() if v.time() == dt.time() else v.isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    return str(v)


def _read_xlsx(raw: bytes, name: str, file: str) -> Table:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged workbook
        raise _fail(file, Msg("cannot be read as an Excel workbook: %(error)s", error=str(exc))
                    ) from None
    try:
        ws = wb.worksheets[0]
        rows: list[tuple[int, list[str]]] = []
        header: list[str] | None = None
        for n, values in enumerate(ws.iter_rows(values_only=True), start=1):
            cells = [_cell_text(v) for v in values]
            if header is None:
                if not any(c.strip() for c in cells):
                    continue
                while cells and not cells[-1].strip():
                    cells.pop()
                header = [c.strip() for c in cells]
                _check_columns(len(header), file)
                continue
            cells = cells[:len(header)] + [""] * (len(header) - len(cells))
            rows.append((n, cells))
    finally:
        wb.close()
    if header is None:
        raise _fail(file, Msg("is empty (its first sheet has no cells)"))
    return Table(file, name, header, rows, None, None, True, [])


def rows_text(rows) -> str:
    """"row 7" or "rows 7, 9, 12 ... (40 in all)" for messages."""
    rs = sorted(set(rows))
    return ("row " if len(rs) == 1 else "rows ") + ", ".join(map(str, rs[:8])) + (
        f" ... ({len(rs)} in all)" if len(rs) > 8 else "")


# --------------------------------------------------------------------------- numbers
#: a number written with a decimal comma ("21.500,5", "12,5") or a decimal point
_THOUSANDS_DOT = re.compile(r"^[+-]?[0-9]{1,3}(\.[0-9]{3})+(,[0-9]+)?$")
_THOUSANDS_COMMA = re.compile(r"^[+-]?[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?$")
_PLAIN = re.compile(r"^[+-]?[0-9]*([.,][0-9]+)?([eE][+-]?[0-9]+)?$")
# what float() may be given: it would also take 1_000, full-width digits, inf and nan
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def _clean(text: str) -> str:
    return text.strip().replace("\u00a0", "").replace("\u202f", "").replace(" ", "")


def _evidence(t: str) -> str | None:
    """``"comma"``, ``"point"``, ``"ambiguous"`` (``23.100``, ``23,100``) or ``None``."""
    has_dot, has_comma = "." in t, "," in t
    if has_dot and has_comma:
        return "comma" if t.rfind(",") > t.rfind(".") else "point"
    sep = "." if has_dot else "," if has_comma else None
    if sep is None:
        return None
    whole, _, frac = t.lstrip("+-").partition(sep)
    if t.count(sep) > 1:  # 1.234.567: the separator groups thousands
        return "comma" if sep == "." else "point"
    if len(frac) == 3 and whole and whole != "0" and len(whole) <= 3 and "e" not in t.lower():
        return "ambiguous"
    return "point" if sep == "." else "comma"


def column_convention(values: list[tuple[int, str]], *, fallback: str | None = None
                      ) -> tuple[str | None, str | None]:
    """Decide how one column writes its numbers, from all its ``(row, text)`` values.

    Returns ``(convention, problem)``: the convention is ``"comma"`` (``1.234,5``) or
    ``"point"`` (``1,234.5``); ``None`` when no value says (no separators at all). The
    problem is a sentence naming rows when the column is ambiguous: some values only read
    one way and others only the other, or values such as ``23.100`` (23.1 or 23100?) with
    nothing in the column to tell, and no ``fallback`` (the convention the file's other
    columns agree on).
    """
    seen: dict[str, list[int]] = {"comma": [], "point": [], "ambiguous": []}
    for row, text in values:
        ev = _evidence(_clean(text))
        if ev:
            seen[ev].append(row)

    if seen["comma"] and seen["point"]:
        return None, (f"mixes decimal commas (e.g. 1.234,5 in {rows_text(seen['comma'])}) and "
                      f"decimal points (e.g. 1,234.5 in {rows_text(seen['point'])}); write "
                      "every number of a column the same way")
    if seen["comma"]:
        return "comma", None
    if seen["point"]:
        return "point", None
    if seen["ambiguous"]:
        if fallback:
            return fallback, None
        return None, (f"values such as 23.100 in {rows_text(seen['ambiguous'])} can be read "
                      "as 23.1 or 23100 and nothing in the file tells which; write them "
                      "without thousands separators (23100) or with more or fewer decimals")
    return None, None


def parse_number(text: str, convention: str | None) -> float:
    """``text`` read with the column's convention; ValueError when it is not a number."""
    t = _clean(text)
    if convention == "comma":
        if not (_THOUSANDS_DOT.match(t) or ("." not in t and _PLAIN.match(t))):
            raise ValueError(t)
        t = t.replace(".", "").replace(",", ".")
    elif "," in t or (convention == "point" and t.count(".") > 1):
        if not _THOUSANDS_COMMA.match(t):
            raise ValueError(t)
        t = t.replace(",", "")
    elif "." in t and not _PLAIN.match(t):
        raise ValueError(t)
    if not _NUMBER.fullmatch(t):
        raise ValueError(t)
    v = float(t)
    if not math.isfinite(v):
        raise ValueError(t)
    return v
