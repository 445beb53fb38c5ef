"""Importers: one module per input format, each returning validated records.

- ``geo``: neighbourhood polygons (GeoPackage, Shapefile, GeoJSON; any CRS)
- ``tabular``: places and activities from CSV and GeoJSON
- ``hsds``: Open Referral HSDS 3.0 JSON
- ``osm``: meeting places from an OpenStreetMap PBF extract
- ``indicators``: indicator tables (long or wide CSV, neighbourhoods or sectors)

Reading never touches the database; :func:`import_directory` stores what was
read in one transaction, so a bad file leaves the database unchanged.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import ImportFailed, Problem
from ..records import Directory

__all__ = ["read_directory", "import_directory", "FORMATS"]

FORMATS = ("csv", "geojson", "hsds")


def _detect(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in (".csv", ".tsv", ".txt"):
        return "csv"
    if suffix == ".geojson":
        return "geojson"
    if suffix == ".json":
        try:
            with open(path, encoding="utf-8-sig") as fh:
                data = json.load(fh)
        except (OSError, ValueError):
            return "geojson"  # the GeoJSON reader reports the precise error
        if isinstance(data, dict) and data.get("type") == "FeatureCollection":
            return "geojson"
        return "hsds"
    raise ImportFailed([Problem(str(path), None, None,
                                f"unknown format {suffix or '(no extension)'!r}: expected .csv, "
                                ".geojson or HSDS .json (or say --format)")])


def read_directory(path: str | Path, *, fmt: str | None = None) -> Directory:
    """Read places and activities from CSV, GeoJSON or HSDS 3.0 JSON (no database)."""
    path = Path(path)
    fmt = fmt or _detect(path)
    if fmt == "csv":
        from .tabular import read_csv

        return read_csv(path)
    if fmt == "geojson":
        from .tabular import read_geojson

        return read_geojson(path)
    if fmt == "hsds":
        from .hsds import read_hsds

        return read_hsds(path)
    raise ImportFailed([Problem(str(path), None, None,
                                f"unknown format {fmt!r} (known: {', '.join(FORMATS)})")])


def import_directory(db, path: str | Path, *, fmt: str | None = None) -> dict[str, int]:
    """Read ``path`` and store it in one transaction; returns the counts written."""
    from .. import store

    d = read_directory(path, fmt=fmt)
    return store.save_directory(db, organisations=d.organisations, places=d.places,
                                activities=d.activities, file=str(path))
