"""Simplified neighbourhood outlines, made once per geometry version and tolerance, kept in
memory and in the cache directory so that no map waits for them twice.

Simplifying the 2,730 wijken of Flanders and turning them into GeoJSON takes about 0.9 s
of a first map render. The result depends only on the polygons and the tolerance (the
map's extent, i.e. its zoom level, or the API's ``simplify``), so it is keyed by the
database file, its :func:`~buurtkaart.store.geometry_version` (which changes only when a
neighbourhood is added, removed or gets another polygon or code: verifying a place or
importing indicators keeps it) and the tolerance.

A complete set (every stored neighbourhood, as the full map asks for) is also written to
the cache directory (``BUURTKAART_CACHE``, where the travel-time graphs live), one file
per database, geometry version and tolerance
(``simplified-<database>-<version>-<tolerance>-v2.npz``): the codes, the shapes as WKB
and their GeoJSON geometries (rounded as maps and the API send them) as the JSON text a
map page holds (:class:`KeptGeometry`: a map writes it as it is, the API reads it when
asked; parsing and writing 2.6 MB of coordinates took 0.35 s of a new worker's first map). It is written
atomically (a temporary name, then a rename) from one consistent read of the database,
so every gunicorn worker, and the server after a restart, starts from it; an unreadable
file is ignored (with a warning) and written again. Writing a file removes the files of
earlier geometry versions of the same database and keeps at most
:data:`FILES_PER_DATABASE` tolerances. An import of neighbourhoods calls :func:`warm`,
which writes the full map's file before anyone asks.

Coordinates are rounded to a grid of 1/20 of the tolerance (invisible at that zoom, and
shorter to send); a polygon that simplification or rounding left invalid is repaired.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import threading
from collections import OrderedDict
from pathlib import Path

import numpy as np
import shapely

from . import store

__all__ = ["simplified", "warm", "cache_file", "KeptGeometry", "CACHE_SIZE",
           "FILES_PER_DATABASE"]

log = logging.getLogger(__name__)

#: Sets of shapes kept in each process's memory (most recently used first out last).
CACHE_SIZE = 16
#: Files kept per database (tolerances of the current geometry version).
FILES_PER_DATABASE = 8
_FORMAT = 2
_LOCK = threading.Lock()
_BUILD_LOCK = threading.Lock()  # one complete set made at a time; the others wait for it
_CACHE: OrderedDict[tuple, dict] = OrderedDict()


class KeptGeometry:
    """A GeoJSON geometry kept as the JSON text a page holds (what jinja's ``tojson``
    writes: keys sorted, ``<>&'`` escaped); :attr:`mapping` is the geometry itself, read
    from the text when first asked for."""

    __slots__ = ("text", "_mapping")

    def __init__(self, text: str, mapping: dict | None = None) -> None:
        self.text, self._mapping = text, mapping

    @classmethod
    def of(cls, mapping: dict) -> "KeptGeometry":
        from jinja2.utils import htmlsafe_json_dumps

        return cls(str(htmlsafe_json_dumps(mapping, sort_keys=True)), mapping)

    @property
    def type(self) -> str:
        tail = self.text[-40:]  # sorted keys: '..., "type": "MultiPolygon"}' ends the text
        return tail[tail.rindex('"type": "') + 9:-2]

    @property
    def mapping(self) -> dict:
        if self._mapping is None:
            self._mapping = json.loads(self.text)
        return self._mapping


def _simplify(geoms: np.ndarray, tolerance: float) -> np.ndarray:
    simple = shapely.simplify(geoms, tolerance, preserve_topology=True)
    out = shapely.set_precision(simple, tolerance / 20.0)
    empty = shapely.is_empty(out)  # a sliver smaller than the grid: keep it, only simplified
    out[empty] = simple[empty]
    invalid = ~shapely.is_valid(out)
    out[invalid] = shapely.make_valid(out[invalid])
    return out


def _made(geoms: np.ndarray, tolerance: float) -> list[tuple]:
    """Each polygon simplified, with its GeoJSON geometry as maps and the API send it
    (:func:`buurtkaart.maps.geojson_geometry`: coordinates rounded), made once here."""
    from .maps import COORDINATE_DECIMALS

    simple = _simplify(geoms, tolerance)
    rounded = shapely.transform(simple, lambda c: np.round(c, COORDINATE_DECIMALS))
    return list(zip(simple, [KeptGeometry.of(g.__geo_interface__) for g in rounded]))


def _database_file(db) -> str:
    """The database's file ('' for a database in memory, which gets no file cache)."""
    return db.execute("PRAGMA database_list").fetchone()[2] or ""


def _prefix(database: str) -> str:
    return "simplified-" + hashlib.sha256(os.path.realpath(database).encode()).hexdigest()[:16]


def cache_file(cache_dir, database: str, version: str, tolerance: float) -> Path:
    """The file holding the shapes of ``database`` (its file name) at ``version`` and
    ``tolerance`` in ``cache_dir`` (``None``: ``$BUURTKAART_CACHE`` or the user cache)."""
    if cache_dir is None:
        from .network import default_cache_dir

        cache_dir = default_cache_dir()
    return Path(cache_dir) / f"{_prefix(database)}-{version}-{float(tolerance)!r}-v{_FORMAT}.npz"


def _write(path: Path, shapes: dict, version: str, tolerance: float) -> None:
    blobs = shapely.to_wkb(np.array([g for g, _m in shapes.values()], dtype=object))
    texts = [m.text.encode() for _g, m in shapes.values()]
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name, suffix=".partial", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, codes=np.array(list(shapes), dtype=str),
                     lengths=np.array([len(b) for b in blobs], dtype=np.int64),
                     wkb=np.frombuffer(b"".join(blobs), dtype=np.uint8),
                     geojson=np.frombuffer(b"".join(texts), dtype=np.uint8),
                     geojson_lengths=np.array([len(t) for t in texts], dtype=np.int64),
                     version=np.array(version), tolerance=np.array(tolerance))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _prune(path, version)


def _prune(path: Path, version: str) -> None:
    """Remove the files of other geometry versions of the same database, and all but the
    newest :data:`FILES_PER_DATABASE` of this one."""
    database = path.name.split("-", 2)[1]
    current = []
    for other in path.parent.glob(f"simplified-{database}-*.npz"):
        if other == path:
            continue
        if other.name.split("-", 3)[2] != version:
            other.unlink(missing_ok=True)
        else:
            current.append(other)
    current.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    for old in current[FILES_PER_DATABASE - 1:]:
        old.unlink(missing_ok=True)


def _read(path: Path, version: str, tolerance: float) -> dict | None:
    """The shapes in ``path``, or ``None`` when it is absent, unreadable or not what it
    should be (a half-written or damaged file is ignored, with a warning)."""
    try:
        with np.load(path, allow_pickle=False) as z:
            if str(z["version"]) != version or float(z["tolerance"]) != tolerance:
                raise ValueError("it holds another geometry version or tolerance")
            codes, data = z["codes"].tolist(), z["wkb"].tobytes()
            blobs = _pieces(data, z["lengths"], codes)
            texts = [t.decode("ascii") for t in _pieces(z["geojson"].tobytes(),
                                                        z["geojson_lengths"], codes)]
        geoms = shapely.from_wkb(blobs)
        if not all((t.startswith('{"coordinates": ') or t.startswith('{"geometries": '))
                   and t.endswith("}") for t in texts):
            raise ValueError("a GeoJSON geometry is damaged")
        if shapely.is_missing(geoms).any():
            raise ValueError("a shape is missing")
    except FileNotFoundError:
        return None
    except Exception as exc:  # noqa: BLE001 - any damage means: make it again
        log.warning("ignoring the unreadable cache file %s (%s); it is made again", path, exc)
        return None
    return dict(zip(codes, zip(geoms, map(KeptGeometry, texts))))


def _pieces(whole, lengths, codes: list) -> list:
    """``whole`` cut into pieces of ``lengths``, one per code (or ValueError)."""
    ends = np.cumsum(lengths).tolist()
    if len(codes) != len(ends) or (ends[-1] if ends else 0) != len(whole):
        raise ValueError("its codes and shapes disagree")
    return [whole[s:e] for s, e in zip([0, *ends[:-1]], ends)]


def _build(db, tolerance: float | None, cache_dir) -> tuple[str, float, dict]:
    """Every neighbourhood simplified, from one consistent read (geometry version and
    polygons together), written to the cache directory; ``tolerance`` ``None`` is the
    full map's. A file that cannot be written is only a warning."""
    own = not db.conn.in_transaction
    if own:
        db.conn.execute("BEGIN")
    try:
        version = store.geometry_version(db)
        rows = db.execute("SELECT code, geometry FROM neighbourhoods ORDER BY code").fetchall()
    finally:
        if own:
            db.conn.execute("COMMIT")
    geoms = shapely.from_wkb([g for _c, g in rows])
    if tolerance is None:
        from .maps import display_tolerance

        tolerance = display_tolerance(geoms)
    shapes = dict(zip([c for c, _g in rows], _made(geoms, tolerance)))
    database = _database_file(db)
    if database and shapes:
        path = cache_file(cache_dir, database, version, tolerance)
        try:
            _write(path, shapes, version, tolerance)
        except OSError as exc:
            log.warning("could not write the simplified neighbourhoods to %s: %s", path, exc)
    return version, tolerance, shapes


def _remember(key: tuple, shapes: dict) -> None:
    with _LOCK:
        _CACHE[key] = shapes
        _CACHE.move_to_end(key)
        while len(_CACHE) > CACHE_SIZE:
            _CACHE.popitem(last=False)


def _remembered(key: tuple) -> dict | None:
    with _LOCK:
        shapes = _CACHE.get(key)
        if shapes is not None:
            _CACHE.move_to_end(key)
        return shapes


def _lacks(shapes: dict | None, rows: list[dict]) -> bool:
    return shapes is None or any(r["code"] not in shapes for r in rows)


def _is_everything(db, rows: list[dict]) -> bool:
    count = db.execute("SELECT count(*) FROM neighbourhoods").fetchone()[0]
    return count > 0 and len({r["code"] for r in rows}) == count


def simplified(db, rows: list[dict], tolerance: float | None, *,
               cache_dir=None) -> list[dict]:
    """``rows`` (from :func:`store.neighbourhoods`) with their ``geometry`` simplified by
    ``tolerance`` degrees and its GeoJSON form as ``geojson`` (unchanged when it is ``None``
    or 0); changes the rows in place.

    Shapes come from this process's memory, else from the cache file, else (for a
    complete set) are made for every neighbourhood and written to the file, else (a page
    or a part of the map) are made for these rows and kept in memory only.
    """
    if not tolerance:
        return rows
    tolerance = float(tolerance)
    database = _database_file(db)
    key = (database, store.geometry_version(db), tolerance)
    shapes = _remembered(key)
    if _lacks(shapes, rows):
        with _BUILD_LOCK:  # a second request for the same set waits for the first
            shapes = _remembered(key)
            if _lacks(shapes, rows) and database:
                shapes = _read(cache_file(cache_dir, *key), key[1], tolerance) or shapes
            if _lacks(shapes, rows) and database and _is_everything(db, rows):
                version, _tol, shapes = _build(db, tolerance, cache_dir)
                key = (database, version, tolerance)
            shapes = {} if shapes is None else shapes
            _remember(key, shapes)
    missing = [r for r in rows if r["code"] not in shapes]
    if missing:
        made = _made(np.array([r["geometry"] for r in missing], dtype=object), tolerance)
        shapes.update(zip([r["code"] for r in missing], made))
    for r in rows:
        r["geometry"], r["geojson"] = shapes[r["code"]]
    return rows


def warm(db, *, cache_dir=None) -> None:
    """Make and store the full map's simplified neighbourhoods (after an import of
    neighbourhoods has committed), so that the first map after it is fast too. A failure
    is logged, never raised: the import has succeeded whatever happens here."""
    try:
        version, tolerance, shapes = _build(db, None, cache_dir)
    except Exception as exc:  # noqa: BLE001
        log.warning("could not prepare the simplified neighbourhoods: %s", exc)
        return
    if shapes:
        _remember((_database_file(db), version, tolerance), shapes)
