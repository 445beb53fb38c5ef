"""Lookup tables: statistical sector -> neighbourhood (``--lookup``) and neighbourhood ->
municipality (``--municipality-lookup``).

Both read any table :func:`~buurtkaart.importers.tables.read_table` reads (CSV in any
common encoding, ``.xlsx``, ``.zip``), with buurtkaart's own column names or those of the
Provincies in Cijfers downloads: ``statsec2024,ggw72024`` (sector to wijk) and
``ggw72024,gemeente2024`` (wijk to the municipality of 2024). Rows of the pseudo-wijken
``...ONB`` (the sectors Statbel cannot place, ``...ZZZZ``) are skipped and reported.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from ..errors import ImportFailed, Problem
from ..i18n import Msg, row_msg
from .statbel import PSEUDO_WIJK
from .tables import read_table, rows_text

__all__ = ["read_lookup", "read_municipality_lookup", "SECTOR_COLUMNS", "LOOKUP_CODE_COLUMNS",
           "MUNICIPALITY_COLUMNS"]

SECTOR_COLUMNS = ("sector", "cd_sector", "sectorcode", "statsec", r"statsec\d{4}")
LOOKUP_CODE_COLUMNS = ("code", "wijk", "wijkcode", "neighbourhood", r"ggw\d*")
MUNICIPALITY_COLUMNS = ("municipality", "municipality_code", "gemeente", r"gemeente\d{4}",
                        "nis_code", "niscode")


def find_column(header: list[str], names) -> int | None:
    """Index of the first column named (case-insensitive, whole name) by ``names``, each a
    literal name or a regular expression."""
    low = [h.strip().lower() for h in header]
    for name in names:
        for k, h in enumerate(low):
            if h == name or re.fullmatch(name, h):
                return k
    return None


def _pairs(path: str | Path, left: tuple[str, str, tuple], right: tuple[str, str, tuple]
           ) -> tuple[pd.DataFrame, list[str]]:
    """Two columns of a lookup as a DataFrame (each left value mapped once), and messages."""
    table = read_table(path)
    file = table.file
    (lname, lwhat, lnames), (rname, rwhat, rnames) = left, right
    li, ri = find_column(table.header, lnames), find_column(table.header, rnames)
    problems = []
    for idx, name, what, names in ((li, lname, lwhat, lnames), (ri, rname, rwhat, rnames)):
        if idx is None:
            problems.append(Problem(file, row_msg(1), name, Msg(
                "required column %(name)s is missing (%(what)s; accepted names: %(names)s); "
                "this file is %(described)s with columns %(columns)s", name=name, what=what,
                names=", ".join(names), described=table.describe(),
                columns=", ".join(table.header))))
    if problems:
        raise ImportFailed(problems)
    pairs, seen, skipped = [], {}, []
    for n, row in table.rows:
        if not any(c.strip() for c in row):
            continue
        if len(row) <= max(li, ri):
            problems.append(Problem(file, row_msg(n), None, Msg("has too few values")))
            continue
        s, c = row[li].strip(), row[ri].strip()
        if not s or not c:
            problems.append(Problem(file, row_msg(n), table.header[li] if not s
                                    else table.header[ri],
                                    Msg("%(left)s and %(right)s are both required",
                                        left=lname, right=rname)))
        elif PSEUDO_WIJK.match(s) or PSEUDO_WIJK.match(c):
            skipped.append(n)
        elif s in seen and seen[s][0] != c:
            problems.append(Problem(file, row_msg(n), table.header[li],
                                    Msg("%(left)s %(value)s is mapped to %(code)s here and to "
                                        "%(other)s in row %(row)s", left=lname, value=s, code=c,
                                        other=seen[s][0], row=seen[s][1])))
        elif s not in seen:
            seen[s] = (c, n)
            pairs.append((s, c))
    if problems:
        raise ImportFailed(problems)
    messages = list(table.notes)
    if skipped:
        messages.append(f"{file}: skipped {len(skipped)} rows of pseudo-wijken '...ONB' (sectors "
                        f"Statbel cannot place, '...ZZZZ'), {rows_text(skipped)}")
    return pd.DataFrame(pairs, columns=[lname, rname]), messages




def read_lookup(path: str | Path) -> pd.DataFrame:
    """A sector -> neighbourhood table: columns ``sector`` and ``code``; messages (skipped
    pseudo-wijken, encoding) in ``attrs["messages"]``.

    Raises
    ------
    ImportFailed
        When a column is missing, a row lacks a sector or code, or a sector is mapped to
        two neighbourhoods.
    """
    frame, messages = _pairs(path, ("sector", Msg("the statistical sector"), SECTOR_COLUMNS),
                             ("code", Msg("the neighbourhood code"), LOOKUP_CODE_COLUMNS))
    frame.attrs["messages"] = messages
    return frame


def read_municipality_lookup(path: str | Path) -> pd.DataFrame:
    """A neighbourhood -> municipality table: columns ``code`` and ``municipality_code``
    (five-digit NIS codes; Excel numbers are read as text); messages in
    ``attrs["messages"]``."""
    frame, messages = _pairs(path, ("code", Msg("the neighbourhood code"), LOOKUP_CODE_COLUMNS),
                             ("municipality_code", Msg("the NIS code of the municipality"),
                              MUNICIPALITY_COLUMNS))
    frame.attrs["messages"] = messages
    return frame
