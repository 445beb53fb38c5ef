"""Exporters: the stored directory written out as GeoJSON, CSV or HSDS 3.0 JSON.

Each writes the format its importer reads, so export then import gives the
same records. Files are written to a temporary name and renamed, so a
failed export never leaves half a file.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import InvalidParameter

__all__ = ["export", "FORMATS", "atomic_write"]

FORMATS = ("geojson", "csv", "hsds")


def atomic_write(out: str | os.PathLike, text: str) -> Path:
    """Write ``text`` to ``out`` via a temporary file and an atomic rename."""
    out = Path(out)
    tmp = out.with_name(f".{out.name}.partial")
    tmp.write_text(text, encoding="utf-8", newline="")
    tmp.replace(out)
    return out


def export(db, fmt: str, out: str | os.PathLike) -> str:
    """Write the whole (non-archived) directory to ``out``; returns a summary."""
    if fmt == "geojson":
        from .geojson import write
    elif fmt == "csv":
        from .tabular import write
    elif fmt == "hsds":
        from .hsds import write
    else:
        raise InvalidParameter("format", f"unknown export format {fmt!r} "
                                         f"(known: {', '.join(FORMATS)})")
    return write(db, Path(out))
