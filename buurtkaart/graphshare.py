"""Travel-time graphs shared by all server processes through memory-mapped files.

Each gunicorn worker loads the graphs it needs. Read from the ``.npz`` cache
file (:meth:`buurtkaart.network.Graph.load`), every worker holds its own copy
of every array; on a Flanders-sized network that is hundreds of MB per worker.
Here the arrays are unpacked once, beside the cache file, into plain ``.npy``
files (``<cache file>.<size>-<mtime>.arrays/``) and opened with ``np.load(mmap_mode="r")``:
the pages live in the operating system's page cache, once, whatever the number
of workers; each worker's proportional share (PSS) of them shrinks as workers
are added. The edge times per speed (:meth:`SharedGraph.seconds`) are written
there too the first time a process asks for them, so they are shared as well.

The arrays are read-only. Index arrays are stored with the integer type scipy
uses for them (32 bits when they fit), so that building a CSR matrix or running
scipy's Dijkstra never copies them. Files are written atomically (a temporary
name, then a rename), so processes starting together never read half a file.
Set ``BUURTKAART_MMAP_GRAPHS=0`` to load private copies instead (for comparison).
"""

from __future__ import annotations

import math
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
from scipy import sparse

from .network import TWO_WAY, Graph

__all__ = ["load", "load_shared", "SharedGraph", "enabled"]

_ARRAYS = ("node_ids", "lon", "lat", "indptr", "indices", "length_m")


def enabled() -> bool:
    """Whether the service shares graphs (``BUURTKAART_MMAP_GRAPHS``, default on)."""
    return os.environ.get("BUURTKAART_MMAP_GRAPHS", "1").strip().lower() not in (
        "0", "no", "false", "off")


def _index_dtype(n: int):
    return np.int32 if n < 2**31 - 1 else np.int64


def _write_npy(path: Path, arr: np.ndarray) -> None:
    fd, tmp = tempfile.mkstemp(prefix=path.name, suffix=".partial", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            np.save(fh, arr, allow_pickle=False)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _unpack(npz: Path, folder: Path) -> None:
    """The arrays of ``npz`` as ``.npy`` files in ``folder`` (made whole or not at all)."""
    g = Graph.load(npz)
    tmp = Path(tempfile.mkdtemp(prefix=folder.name, suffix=".partial", dir=folder.parent))
    try:
        idx = _index_dtype(max(len(g.indices), g.n))
        arrays = {"node_ids": g.node_ids, "lon": g.lon, "lat": g.lat,
                  "indptr": np.asarray(g.indptr).astype(idx),
                  "indices": np.asarray(g.indices).astype(idx),
                  "length_m": np.asarray(g.length_m, np.float64)}
        for name, arr in arrays.items():
            np.save(tmp / f"{name}.npy", np.ascontiguousarray(arr), allow_pickle=False)
        (tmp / "meta.txt").write_text(f"{g.network}\n{g.source_sha256}\n")
        try:
            os.rename(tmp, folder)
        except OSError:  # another process unpacked it first: use theirs
            shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


class SharedGraph(Graph):
    """A :class:`~buurtkaart.network.Graph` whose arrays are memory-mapped files."""

    folder: Path | None = None

    def seconds(self, speed_kmh: float) -> sparse.csr_matrix:
        """As :meth:`Graph.seconds` (the same numbers), with the edge times kept in a shared
        file ``seconds-<speed>.npy`` beside the other arrays."""
        if not (isinstance(speed_kmh, (int, float)) and math.isfinite(speed_kmh)
                and speed_kmh > 0):
            return super().seconds(speed_kmh)  # the same error
        hit = self._seconds.get(float(speed_kmh))
        if hit is None:
            path = self.folder / f"seconds-{float(speed_kmh)!r}.npy"
            if not path.exists():
                _write_npy(path, np.asarray(self.length_m, np.float64) / (speed_kmh / 3.6))
            data = np.load(path, mmap_mode="r")
            hit = sparse.csr_matrix((data, self.indices, self.indptr), shape=(self.n, self.n))
            if self.network in TWO_WAY:
                from .traveltime import mark_symmetric

                mark_symmetric(hit)
            self._seconds[float(speed_kmh)] = hit
        return hit

    to_csr = seconds


def load_shared(npz: str | os.PathLike) -> SharedGraph:
    """The graph cached in ``npz`` with its arrays memory-mapped (unpacked on first use)."""
    npz = Path(npz)
    st = npz.stat()  # a rebuilt cache file gets its own folder
    folder = npz.with_name(f"{npz.name}.{st.st_size}-{st.st_mtime_ns}.arrays")
    if not (folder / "meta.txt").exists():
        _unpack(npz, folder)
    network, sha = (folder / "meta.txt").read_text().splitlines()[:2]
    arrays = {name: np.load(folder / f"{name}.npy", mmap_mode="r") for name in _ARRAYS}
    g = SharedGraph(network, arrays["node_ids"], arrays["lon"], arrays["lat"], arrays["indptr"],
                    arrays["indices"], arrays["length_m"], sha)
    g.folder = folder
    return g


def load(npz: str | os.PathLike) -> Graph:
    """:func:`load_shared` when sharing is :func:`enabled` and the cache directory is
    writable (the first process unpacks the arrays there); else a private copy."""
    if enabled():
        try:
            return load_shared(npz)
        except OSError:
            pass
    return Graph.load(npz)
