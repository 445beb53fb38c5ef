"""Neighbourhood polygons from GeoPackage, Shapefile or GeoJSON, in any CRS.

A zipped shapefile (``wijken.zip`` holding ``.shp``, ``.shx``, ``.dbf`` and
``.prj``) is read as it is, without unpacking.

The file's CRS must be known: a layer without one (a Shapefile without
``.prj``) or with one pyproj cannot identify is an error, never a guess.
GeoJSON without a ``crs`` member is WGS84 by its specification (RFC 7946).
Polygons are reprojected to WGS84; invalid ones are repaired with
``shapely.make_valid`` (keeping the polygonal parts) and a warning, or
rejected when nothing polygonal is left.

Codes are kept as text. The municipality code is taken from
``--municipality-field`` when given, else derived from the code (see
:func:`municipality_from_code`): Flemish wijk codes and Statbel sector codes
start with the five-digit NIS code of their municipality.
"""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError

from ..errors import ImportFailed, Problem
from ..i18n import Msg
from ..limits import limit, refusal
from ..records import MAX_TEXT, text_problem
from . import TOO_DEEP

__all__ = ["read_neighbourhoods", "municipality_from_code", "CODE_ALIASES", "NAME_ALIASES"]

CODE_ALIASES = ("code", "CODE", "wijkcode", "WIJKCODE", "nis_code", "NISCODE", "niscode",
                "cd_sector", "CD_SECTOR")
NAME_ALIASES = ("name", "NAME", "naam", "NAAM", "wijknaam", "WIJKNAAM", "tx_sector_descr_nl")
# 5-digit NIS code, then the wijk's own part: a number 1-99 with an optional letter
# ("440211", "4402114", "1301407a"), or letters/underscore ("11002ANT01", "21001_803",
# Statbel sectors "44021A00-"); or the NIS code alone (a wijk that is a municipality).
_MUNICIPALITY_PREFIX = re.compile(r"^(\d{5})(?:\d{1,2}[A-Za-z]*|[A-Za-z_-][A-Za-z0-9_-]*)?$")


def municipality_from_code(code: str | None) -> str | None:
    """The NIS municipality code a Flemish wijk or Statbel sector code starts with.

    ``"4402114"`` (Sint-Amandsberg) and ``"440211"`` give ``"44021"`` (Gent);
    ``"11002ANT01"`` gives ``"11002"``; ``"44021A00-"`` gives ``"44021"``; a
    five-digit code is its own municipality. Anything else (purely numeric
    codes of eight or more digits, codes not starting with five digits) gives
    ``None``: no guess.

    The prefix is the NIS code from when the wijk was defined: wijken of
    municipalities merged in 2019 (Deinze, Aalter, Lievegem, Kruisem, ...)
    keep their former municipality's code. Give ``--municipality-field`` to
    use another.
    """
    if not code:
        return None
    m = _MUNICIPALITY_PREFIX.match(code)
    return m.group(1) if m else None


#: a code is part of the neighbourhood's URL (/neighbourhoods/<code>): letters of any
#: script, digits, '-', '_', '.' and spaces inside; never '/', '?', '#', '%' or '\\',
#: never a path segment such as '.' or '..'
_URL_SAFE_CODE = re.compile(r"(?!\.{1,2}$)[\w.-](?:[\w. -]{0,98}[\w.-])?")


def _shown(text: str, limit: int = 40) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "...")


MAX_NAME = 300  # as for the names of places and activities
AREA_MARGIN = 0.5  # degrees beyond a CRS's area of use still accepted (border areas)


def _check_size(path: Path, file: str) -> None:
    """Refuse a file (a zip: what it unpacks to) larger than the configured limit."""
    if not path.is_file():
        return
    size, zipped = path.stat().st_size, False
    if path.suffix.lower() == ".zip":
        try:
            with zipfile.ZipFile(path) as z:
                size, zipped = sum(i.file_size for i in z.infolist()), True
        except (zipfile.BadZipFile, OSError):
            pass  # GDAL names the problem
    if size > limit("unpacked_mb") * 2**20:
        mb = f"{size / 2**20:.1f}"
        found = (Msg("unpacks to %(size)s MB", size=mb) if zipped
                 else Msg("is %(size)s MB", size=mb))
        raise ImportFailed([Problem(file, None, None, refusal("unpacked_mb", found))])


def _check_not_degrees(frame, crs: CRS, file: str) -> None:
    """Refuse longitudes and latitudes in a file that declares a CRS in metres."""
    if not crs.is_projected or frame.geometry.is_empty.all():
        return
    minx, miny, maxx, maxy = frame.geometry.total_bounds
    if -180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90:
        raise ImportFailed([Problem(file, None, "geometry", Msg(
            "coordinates look like degrees (longitude/latitude: x %(minx)s to %(maxx)s, "
            "y %(miny)s to %(maxy)s) but the file declares %(crs)s, which is in metres; "
            "declare the CRS the coordinates are in (EPSG:4326 for degrees)",
            minx=f"{minx:g}", maxx=f"{maxx:g}", miny=f"{miny:g}", maxy=f"{maxy:g}",
            crs=crs.name))])


def _long_geojson_texts(path: Path) -> list[Problem]:
    """Properties too long for GDAL to read (it says "Too many characters in number"),
    found with Python's own JSON reader: one problem per feature and property."""
    if path.suffix.lower() not in (".geojson", ".json"):
        return []
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
        features = data["features"]
    except (OSError, ValueError, RecursionError, KeyError, TypeError):
        return []
    out = []
    for i, feat in enumerate(features if isinstance(features, list) else [], start=1):
        props = feat.get("properties") if isinstance(feat, dict) else None
        for key, value in (props.items() if isinstance(props, dict) else ()):
            if isinstance(value, str) and len(value) > MAX_TEXT:
                out.append(Problem(str(path), Msg("feature %(num)s", num=i), key,
                                   Msg("text of %(length)s characters is too long (at most "
                                       "%(max)s)", length=f"{len(value):,}",
                                       max=f"{MAX_TEXT:,}")))
    return out


#: what a column holds, as the error messages name it (the English word is also the option)
_COLUMN_WORDS = {"code": Msg("code"), "name": Msg("name"), "municipality": Msg("municipality")}


def _pick(columns, given: str | None, aliases, what: str, file: str, *, required: bool) -> str | None:
    if given:
        if given not in columns:
            raise ImportFailed([Problem(file, None, given, Msg(
                "no %(what)s column %(given)s (columns: %(columns)s)", what=_COLUMN_WORDS[what],
                given=repr(given), columns=", ".join(columns)))])
        return given
    for a in aliases:
        if a in columns:
            return a
    if required:
        raise ImportFailed([Problem(file, None, None, Msg(
            "no %(what)s column found (tried %(tried)s; columns: %(columns)s); name it with "
            "%(option)s", what=_COLUMN_WORDS[what], tried=", ".join(aliases),
            columns=", ".join(columns), option=f"--{what}-field"))])
    return None


def _as_code(value) -> str | None:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def _gdal_message(exc: Exception) -> str:
    """GDAL's reason without its advice about driver prefixes (not for end users)."""
    text = str(exc).split("; It might help")[0].strip()
    return text.rstrip(".;") or type(exc).__name__


def _no_crs_reason(path: Path) -> Msg:
    """Why a layer has no CRS, in the user's terms (a missing or unreadable ``.prj``)."""
    if path.suffix.lower() == ".shp":
        prj = next((p for p in (path.with_suffix(".prj"), path.with_suffix(".PRJ"))
                    if p.exists()), None)
        if prj is None:
            return Msg("has no coordinate reference system: %(prj)s is missing; add it (it "
                       "comes with the shapefile) rather than guess",
                       prj=path.with_suffix(".prj").name)
        return Msg("has no coordinate reference system: %(prj)s cannot be understood as a "
                   "projection (WKT); refusing to guess", prj=prj.name)
    return Msg("has no coordinate reference system; refusing to guess")


def _geojson_declared_crs(path: Path) -> tuple[bool, str | None]:
    """(does the GeoJSON have a ``crs`` member, the CRS name it gives or None)."""
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError):
        return False, None
    except RecursionError:
        raise ImportFailed([Problem(str(path), None, None, TOO_DEEP)]) from None
    if not isinstance(data, dict) or "crs" not in data:
        return False, None
    member = data["crs"]
    props = member.get("properties") if isinstance(member, dict) else None
    name = props.get("name") if isinstance(props, dict) else None
    return True, name if isinstance(name, str) else None


def read_neighbourhoods(
    path: str | Path, *, code_field: str | None = None, name_field: str | None = None,
    municipality_field: str | None = None, layer: str | None = None,
) -> tuple[gpd.GeoDataFrame, list[Msg]]:
    """Read neighbourhoods; return a WGS84 GeoDataFrame and a list of warnings (English
    text that a page shows in its language).

    Raises
    ------
    ImportFailed
        Listing every problem (file, feature number, field, reason).
    """
    path = Path(path)
    file = str(path)
    warnings: list[Msg] = []
    if path.is_file() and path.stat().st_size == 0:
        raise ImportFailed([Problem(file, None, None, Msg("is empty (0 bytes)"))])
    _check_size(path, file)
    try:
        layers = pyogrio.list_layers(path)
    except Exception as exc:  # pyogrio raises DataSourceError and friends
        raise ImportFailed(_long_geojson_texts(path) or [Problem(file, None, None, Msg(
            "cannot be read as GeoPackage, Shapefile or GeoJSON: %(error)s",
            error=_gdal_message(exc)))]) from None
    names = [str(n) for n, _ in layers]
    if layer is None and len(names) > 1:
        raise ImportFailed([Problem(file, None, None, Msg(
            "has %(num)s layers (%(layers)s); choose one with --layer", num=len(names),
            layers=", ".join(names)))])
    if layer is not None and layer not in names:
        raise ImportFailed([Problem(file, None, None, Msg(
            "has no layer %(layer)s (layers: %(layers)s)", layer=repr(layer),
            layers=", ".join(names)))])
    try:
        n_features = pyogrio.read_info(path, layer=layer).get("features", -1)
        if n_features > limit("features"):
            raise ImportFailed([Problem(file, None, None, refusal(
                "features", Msg("has %(num)s features", num=f"{n_features:,}")))])
        frame = pyogrio.read_dataframe(path, layer=layer)
    except ImportFailed:
        raise
    except Exception as exc:
        raise ImportFailed(_long_geojson_texts(path) or [Problem(
            file, None, None, Msg("cannot be read: %(error)s",
                                  error=_gdal_message(exc)))]) from None
    if not isinstance(frame, gpd.GeoDataFrame) or frame.geometry.name not in frame.columns:
        raise ImportFailed([Problem(file, None, "geometry",
                                    Msg("has no geometry: a table, not a GeoPackage, Shapefile "
                                        "or GeoJSON layer of polygons"))])
    if len(frame) == 0:
        raise ImportFailed([Problem(file, None, None, Msg("contains no features"))])

    crs = frame.crs
    is_geojson = path.suffix.lower() in (".geojson", ".json")
    declared, declared_name = _geojson_declared_crs(path) if is_geojson else (False, None)
    if declared:
        # GDAL falls back to WGS84 for a crs member it cannot read: check it ourselves
        try:
            if declared_name is None:
                raise CRSError("the crs member has no properties.name")
            CRS.from_user_input(declared_name)
        except CRSError:
            raise ImportFailed([Problem(file, None, "crs", Msg(
                "declares a coordinate reference system that cannot be identified (%(name)s); "
                "refusing to guess", name=repr(declared_name)))]) from None
    if crs is None:
        if is_geojson and not declared:
            crs = CRS.from_epsg(4326)
        else:
            raise ImportFailed([Problem(file, None, None, _no_crs_reason(path))])
    try:
        crs = CRS.from_user_input(crs)
        if crs.name.lower() in ("unknown", "undefined") or (
                not crs.is_projected and not crs.is_geographic):
            raise CRSError(crs.name)
    except CRSError as exc:
        raise ImportFailed([Problem(file, None, None, Msg(
            "has a coordinate reference system that cannot be identified (%(error)s); "
            "refusing to guess", error=str(exc)))]) from None
    frame = frame.set_crs(crs, allow_override=True)
    _check_not_degrees(frame, crs, file)

    columns = [c for c in frame.columns if c != "geometry"]
    code_col = _pick(columns, code_field, CODE_ALIASES, "code", file, required=True)
    name_col = _pick(columns, name_field, NAME_ALIASES, "name", file, required=False)
    muni_col = _pick(columns, municipality_field, (), "municipality", file, required=False)
    if frame[code_col].dtype.kind in "if":
        warnings.append(Msg("%(file)s: code column %(column)s is stored as numbers; converted "
                            "to text (check that no leading zeros were lost in the source)",
                            file=file, column=repr(code_col)))

    problems: list[Problem] = []
    seen: dict[str, int] = {}
    rows = []
    names = frame[name_col] if name_col else [None] * len(frame)
    for i, (code_raw, geom, name) in enumerate(zip(frame[code_col], frame.geometry, names),
                                               start=1):
        where = Msg("feature %(num)s", num=i)
        if isinstance(name, str) and (why := text_problem(name, MAX_NAME)):
            problems.append(Problem(file, where, name_col, why))
        code = _as_code(code_raw)
        if code is None:
            problems.append(Problem(file, where, code_col, Msg("code is empty")))
        elif not _URL_SAFE_CODE.fullmatch(code):
            problems.append(Problem(file, where, code_col,
                                    Msg("code %(code)s has characters that cannot be part of "
                                        "its web address (use letters, digits, '-', '_' and "
                                        "'.'; not '.' or '..' alone)", code=_shown(code))))
        elif code in seen:
            problems.append(Problem(file, where, code_col,
                                    Msg("code %(code)s already used by feature %(num)s",
                                        code=repr(code), num=seen[code])))
        else:
            seen[code] = i
        if geom is None or geom.is_empty:
            problems.append(Problem(file, where, "geometry", Msg("geometry is empty")))
            rows.append(None)
            continue
        if geom.geom_type not in ("Polygon", "MultiPolygon"):
            problems.append(Problem(file, where, "geometry",
                                    Msg("expected a polygon, got a %(type)s",
                                        type=geom.geom_type)))
            rows.append(None)
            continue
        if not np.isfinite(shapely.get_coordinates(geom)).all():
            problems.append(Problem(file, where, "geometry", Msg(
                "has coordinates that are not a number (NaN or infinite)")))
            rows.append(None)
            continue
        if not geom.is_valid:
            reason = shapely.is_valid_reason(geom)
            fixed = shapely.make_valid(geom)
            polys = [g for g in getattr(fixed, "geoms", [fixed])
                     if g.geom_type in ("Polygon", "MultiPolygon") and not g.is_empty]
            if not polys:
                problems.append(Problem(file, where, "geometry",
                                        Msg("invalid polygon (%(reason)s) that cannot be "
                                            "repaired", reason=reason)))
                rows.append(None)
                continue
            geom = shapely.union_all(polys)
            warnings.append(Msg("%(file)s, %(where)s (code %(code)s): invalid polygon "
                                "(%(reason)s) repaired with make_valid", file=file, where=where,
                                code=code, reason=reason))
        rows.append(geom)

    if problems:
        raise ImportFailed(problems)
    out = gpd.GeoDataFrame({
        "code": [_as_code(c) for c in frame[code_col]],
        "name": ([None if pd.isna(n) else str(n) for n in frame[name_col]] if name_col
                 else [None] * len(frame)),
    }, geometry=rows, crs=crs)
    if muni_col:
        out["municipality_code"] = [_as_code(m) for m in frame[muni_col]]
    else:
        out["municipality_code"] = [municipality_from_code(c) for c in out["code"]]
    try:
        out = out.to_crs(4326)
    except Exception as exc:
        raise ImportFailed([Problem(file, None, None, Msg(
            "cannot be reprojected to WGS84: %(error)s", error=str(exc)))]) from None
    area = crs.area_of_use
    for i, geom in enumerate(out.geometry, start=1):
        minx, miny, maxx, maxy = geom.bounds
        if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90) or not all(
                map(pd.notna, geom.bounds)):
            problems.append(Problem(file, Msg("feature %(num)s", num=i), "geometry", Msg(
                "coordinates fall outside the globe after reprojection from %(crs)s: is the "
                "declared CRS right?", crs=crs.name)))
        elif area is not None and not (
                area.west - AREA_MARGIN <= minx and maxx <= area.east + AREA_MARGIN
                and area.south - AREA_MARGIN <= miny and maxy <= area.north + AREA_MARGIN):
            problems.append(Problem(file, Msg("feature %(num)s", num=i), "geometry", Msg(
                "lies outside the area where %(crs)s is used (%(area)s: %(west)s to %(east)s E, "
                "%(south)s to %(north)s N), at %(x)s, %(y)s: the coordinates look like another "
                "CRS than the declared one", crs=crs.name, area=area.name,
                west=f"{area.west:g}", east=f"{area.east:g}", south=f"{area.south:g}",
                north=f"{area.north:g}", x=f"{minx:.4f}", y=f"{miny:.4f}")))
    if problems:
        raise ImportFailed(problems)
    return out, warnings
