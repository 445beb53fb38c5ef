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

from ..errors import ImportFailed, InvalidParameter, Problem
from ..i18n import Msg
from ..records import Directory

__all__ = ["read_directory", "import_directory", "detect_format", "load_json", "FORMATS"]

FORMATS = ("csv", "geojson", "hsds")


_GEOJSON_TYPES = {"FeatureCollection", "Feature", "Point", "MultiPoint", "LineString",
                  "MultiLineString", "Polygon", "MultiPolygon", "GeometryCollection"}
_HSDS_KEYS = {"services", "organizations", "locations", "service_at_locations"}


TOO_DEEP = Msg("is JSON nested too deeply (lists or objects inside each other thousands of "
               "levels deep); not a real data file")


def load_json(text: str, file: str):
    """``json.loads`` for an input file: every failure an :class:`ImportFailed` naming it.

    Nesting deeper than Python's recursion limit (``[[[[...`` thousands deep)
    is refused rather than crashing with a RecursionError.
    """
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportFailed([Problem(file, Msg("line %(num)s", num=exc.lineno), None,
                                    Msg("is not valid JSON: %(error)s", error=exc.msg))]
                           ) from None
    except RecursionError:
        raise ImportFailed([Problem(file, None, None, TOO_DEEP)]) from None


def _is_hsds(data: dict) -> bool:
    """The whole-directory document, a compiled HSDS object, a paged API response,
    tabular.json or a data package."""
    from .hsds.shapes import kind_of

    return bool(_HSDS_KEYS & set(data)) or isinstance(data.get("contents"), list) \
        or isinstance(data.get("resources"), list) or any(str(k).endswith(".csv") for k in data) \
        or ("id" in data and kind_of(data) is not None)


def _unknown(path: Path, reason: str) -> ImportFailed:
    return ImportFailed([Problem(str(path), None, None, Msg(
        "%(reason)s; expected CSV (.csv, or .xlsx), GeoJSON (.geojson) or HSDS 3.0 JSON "
        "(.json), or say which with --format", reason=reason))])


def _detect_json(path: Path) -> str:
    """``geojson`` or ``hsds`` from a JSON document's content."""
    try:
        with open(path, encoding="utf-8-sig") as fh:
            data = json.load(fh)
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        # let the GeoJSON reader name the line and the reason
        return "geojson" if path.suffix.lower() != ".json" else "hsds"
    if isinstance(data, dict) and ("features" in data or data.get("type") in _GEOJSON_TYPES):
        return "geojson"
    if isinstance(data, list) or (isinstance(data, dict) and _is_hsds(data)):
        return "hsds"
    keys = ", ".join(sorted(map(str, data))[:10]) if isinstance(data, dict) else type(data).__name__
    raise _unknown(path, Msg("is JSON but neither a GeoJSON FeatureCollection ('features') nor "
                             "HSDS ('services', 'organizations'); it has: %(keys)s", keys=keys))


def detect_format(path: str | Path) -> str:
    """The format of a places file: ``csv``, ``geojson`` or ``hsds``.

    By extension (``.csv``/``.tsv``/``.txt``/``.xlsx``/``.zip`` CSV, ``.geojson`` GeoJSON), and
    for ``.json`` or an unknown extension by content: JSON with ``features``
    is GeoJSON, JSON with ``services``/``organizations`` (or a list of
    services) is HSDS, text whose header names a place or activity column is
    CSV.

    Raises
    ------
    ImportFailed
        When the format cannot be told, naming the file.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".csv", ".tsv", ".txt", ".xlsx", ".zip"):
        return "csv"
    if suffix == ".geojson":
        return "geojson"
    if suffix == ".json":
        return _detect_json(path)
    try:
        with open(path, "rb") as fh:
            head = fh.read(4096)
    except OSError as exc:
        raise ImportFailed([Problem(str(path), None, None, Msg("cannot be read: %(error)s",
                                                               error=str(exc)))]) from None
    text = head.decode("utf-8-sig", errors="replace").lstrip()
    if text[:1] in ("{", "["):
        return _detect_json(path)
    first = text.splitlines()[0] if text else ""
    if any(col in first for col in ("place_name", "activity_name", "place_uid")):
        return "csv"
    raise _unknown(path, Msg("unknown format %(format)s", format=repr(suffix or "(no extension)")))


def read_directory(path: str | Path, *, fmt: str | None = None,
                   default_model: str | None = None) -> Directory:
    """Read places and activities from CSV, GeoJSON or HSDS 3.0 JSON (no database).

    Parameters
    ----------
    path:
        The file.
    fmt:
        ``csv``, ``geojson`` or ``hsds``; ``None`` detects it (:func:`detect_format`).
    default_model:
        HSDS only: the working model of services that name none.

    Raises
    ------
    ImportFailed
        Every problem in the file, each naming file, row or feature, field and reason.
    """
    path = Path(path)
    fmt = fmt or detect_format(path)
    if default_model is not None and fmt != "hsds":
        raise InvalidParameter("default-model", f"applies to HSDS files only, not {fmt}")
    if fmt == "csv":
        from .tabular import read_csv

        return read_csv(path)
    if fmt == "geojson":
        from .tabular import read_geojson

        return read_geojson(path)
    if fmt == "hsds":
        from .hsds import read_hsds

        return read_hsds(path, default_model=default_model)
    raise ImportFailed([Problem(str(path), None, None,
                                Msg("unknown format %(format)s (known: %(known)s)",
                                    format=repr(fmt), known=", ".join(FORMATS)))])


_ORG_DETAILS = ("description", "url", "email", "phone", "source")


def _keep_stored_organisation_details(db, d: Directory) -> None:
    """CSV (and GeoJSON without its ``organisations`` list) name an organisation
    but carry no contact details: keep the stored ones instead of blanking them."""
    for o in d.organisations:
        missing = [k for k in _ORG_DETAILS if o.get(k) is None]
        if not missing:
            continue
        row = db.execute(f"SELECT {', '.join(missing)} FROM organisations WHERE uid = ?",
                         [o["uid"]]).fetchone()
        if row:
            o.update({k: v for k, v in zip(missing, row) if v is not None})


def import_directory(db, path: str | Path, *, fmt: str | None = None,
                     account: dict | None = None, overwrite_edits: bool = False,
                     wait: float = 0.0, file: str | None = None,
                     default_model: str | None = None):
    """Read ``path`` and store it in one short transaction, audited.

    Records are inserted or updated by ``uid``; on any problem (in the file,
    or a reference to a place or organisation that is neither in the file
    nor stored) nothing is written. Fields an editor changed after the last
    import of the same format are kept unless ``overwrite_edits`` (see
    :mod:`buurtkaart.import_run`).

    Parameters
    ----------
    db:
        A database from :func:`buurtkaart.store.connect`.
    path:
        CSV, GeoJSON or HSDS 3.0 JSON file.
    fmt:
        The format, or ``None`` to detect it.
    account:
        Who imports (web); ``None`` for the command line.
    wait:
        Seconds to wait for another import to finish before refusing.
    file:
        The file name to show (default ``path``).
    default_model:
        See :func:`read_directory`.

    Returns
    -------
    ImportReport
        ``{"organisations": n, "places": n, "activities": n}`` read, with
        ``"warnings"`` (encoding used, addresses completed, ...) when there are any,
        and the attributes ``changed``, ``unchanged`` and ``conflicts``.
    """
    from ..import_run import run_import

    fmt = fmt or detect_format(path)

    def read(db):
        d = read_directory(path, fmt=fmt, default_model=default_model)
        if fmt in ("csv", "geojson"):
            _keep_stored_organisation_details(db, d)
        for a in d.activities if fmt in ("csv", "geojson") else ():
            # an activity without an organiser of its own at a place that is already
            # stored is run by that place's organisation (as for a place in the file)
            if a.get("organisation_uid") is None and a.get("place_uid"):
                row = db.execute("SELECT o.uid FROM places p JOIN organisations o "
                                 "ON o.id = p.organisation_id WHERE p.uid = ?",
                                 [a["place_uid"]]).fetchone()
                if row:
                    a["organisation_uid"] = row[0]
        return d

    return run_import(db, read, source=fmt, file=file or str(path), account=account,
                      overwrite_edits=overwrite_edits, wait=wait)
