"""Municipality names by code, so pages say "Gent" where the data says 44021.

Reads any table GDAL or pandas can read: a GeoPackage, Shapefile or GeoJSON layer (the
geometry is not used; e.g. Flanders' ``gemeenten`` layer with ``nis_code`` and ``name``)
or a CSV file with a code and a name column.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyogrio

from ..errors import ImportFailed, Problem
from .geo import _as_code, _gdal_message, _pick

__all__ = ["read_municipality_names", "MUNICIPALITY_CODE_ALIASES", "MUNICIPALITY_NAME_ALIASES"]

MUNICIPALITY_CODE_ALIASES = ("nis_code", "NISCODE", "niscode", "municipality_code", "code",
                             "CODE", "gemeentecode")
MUNICIPALITY_NAME_ALIASES = ("name", "NAME", "naam", "NAAM", "gemeente", "municipality")


def read_municipality_names(path: str | Path, *, code_field: str | None = None,
                            name_field: str | None = None,
                            layer: str | None = None) -> dict[str, str]:
    """``{code: name}`` from ``path``.

    Raises
    ------
    ImportFailed
        Listing every row without a code or name and every code given twice.
    """
    path = Path(path)
    file = str(path)
    try:
        if path.suffix.lower() == ".csv":
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, sep=None,
                                engine="python", encoding="utf-8-sig")
        else:
            frame = pyogrio.read_dataframe(path, layer=layer, read_geometry=False)
    except Exception as exc:  # GDAL's and pandas' reading errors
        raise ImportFailed([Problem(file, None, None,
                                    f"cannot be read: {_gdal_message(exc)}")]) from None
    columns = [str(c) for c in frame.columns]
    code_col = _pick(columns, code_field, MUNICIPALITY_CODE_ALIASES, "code", file,
                     required=True)
    name_col = _pick(columns, name_field, MUNICIPALITY_NAME_ALIASES, "name", file,
                     required=True)
    names: dict[str, str] = {}
    problems: list[Problem] = []
    where = "row" if path.suffix.lower() == ".csv" else "feature"
    for i, (code, name) in enumerate(zip(frame[code_col], frame[name_col]), start=1):
        at = f"{where} {i + 1 if where == 'row' else i}"
        code, name = _as_code(code), _as_code(name)
        if code is None:
            problems.append(Problem(file, at, code_col, "no municipality code"))
        elif name is None:
            problems.append(Problem(file, at, name_col, f"no name for municipality {code}"))
        elif code in names and names[code] != name:
            problems.append(Problem(file, at, code_col,
                                    f"municipality {code} is given twice ({names[code]!r} "
                                    f"and {name!r})"))
        else:
            names[code] = name
    if problems:
        raise ImportFailed(problems)
    if not names:
        raise ImportFailed([Problem(file, None, None, "contains no municipalities")])
    return names
