"""Street names on the walking network, for routes in words and labels on printed maps.

The travel-time graphs (:mod:`buurtkaart.network`) keep only nodes and lengths. The
printed guide says which streets a walk follows ("via Annankatu, Bulevardi") and labels
the streets on its map, so the ``name`` of every walking way is kept beside the walk
graph: one entry per edge (a pair of neighbouring graph nodes, in either direction),
read from the same extract with the same pyrosm filter, and cached next to the graph as
``names-<sha>-walk-v<N>.npz``. ``buurtkaart network build`` makes it; when it is
missing (a database built before names were kept) it is made on first use, and an
extract that is no longer on disk simply gives no names.
"""

from __future__ import annotations

import json
import os
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import network

__all__ = ["EdgeNames", "load_or_build", "names_path", "FORMAT_VERSION"]

FORMAT_VERSION = 1
_LOCK = threading.Lock()
_LOADED: dict[str, "EdgeNames"] = {}


@dataclass(frozen=True)
class EdgeNames:
    """The street name of walk-graph edges: ``keys`` (``lo * n + hi`` for node indices
    ``lo < hi``, sorted) with the index of their name in ``names``."""

    n: int
    keys: np.ndarray
    name_index: np.ndarray
    names: tuple[str, ...]

    def name(self, a: int, b: int) -> str | None:
        """The name of the edge between graph nodes ``a`` and ``b``, or ``None``."""
        lo, hi = (a, b) if a < b else (b, a)
        key = lo * self.n + hi
        i = int(np.searchsorted(self.keys, key))
        if i < len(self.keys) and self.keys[i] == key:
            return self.names[int(self.name_index[i])]
        return None

    def names_of(self, a: np.ndarray, b: np.ndarray) -> list[str | None]:
        """:meth:`name` for many edges at once."""
        a, b = np.asarray(a, np.int64), np.asarray(b, np.int64)
        key = np.minimum(a, b) * self.n + np.maximum(a, b)
        i = np.clip(np.searchsorted(self.keys, key), 0, max(len(self.keys) - 1, 0))
        if not len(self.keys):
            return [None] * len(key)
        hit = self.keys[i] == key
        return [self.names[int(self.name_index[j])] if h else None for j, h in zip(i, hit)]


def names_path(cache_dir: str | os.PathLike, sha256: str) -> Path:
    return Path(cache_dir) / f"names-{sha256[:20]}-walk-v{FORMAT_VERSION}.npz"


def _build(pbf: Path, graph: network.Graph) -> EdgeNames:
    import pyrosm

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _nodes, edges = pyrosm.OSM(str(pbf)).get_network(network_type="walking", nodes=True)
    if edges is None or "name" not in edges:
        return EdgeNames(graph.n, np.zeros(0, np.int64), np.zeros(0, np.int32), ())
    named = edges[edges["name"].notna()]
    u = np.searchsorted(graph.node_ids, named["u"].to_numpy(np.int64))
    v = np.searchsorted(graph.node_ids, named["v"].to_numpy(np.int64))
    u, v = np.clip(u, 0, graph.n - 1), np.clip(v, 0, graph.n - 1)
    ok = ((graph.node_ids[u] == named["u"].to_numpy(np.int64))
          & (graph.node_ids[v] == named["v"].to_numpy(np.int64)) & (u != v))
    text = [str(x).strip() for x in named["name"].to_numpy()[ok]]
    names = tuple(sorted(set(text)))
    index = {name: i for i, name in enumerate(names)}
    keys = np.minimum(u[ok], v[ok]).astype(np.int64) * graph.n + np.maximum(u[ok], v[ok])
    codes = np.array([index[t] for t in text], np.int32)
    keys, first = np.unique(keys, return_index=True)  # parallel ways: the first name
    return EdgeNames(graph.n, keys, codes[first], names)


def load_or_build(pbf: str | os.PathLike, sha256: str, graph: network.Graph, *,
                  cache_dir: str | os.PathLike | None = None) -> EdgeNames | None:
    """The street names of the walk ``graph`` of extract ``pbf`` (with hash ``sha256``),
    from the cache or read from the extract; ``None`` when neither is possible."""
    cache_dir = Path(cache_dir) if cache_dir is not None else network.default_cache_dir()
    path = names_path(cache_dir, sha256)
    with _LOCK:
        hit = _LOADED.get(str(path))
        if hit is not None and hit.n == graph.n:
            return hit
        names = None
        if path.exists():
            try:
                with np.load(path, allow_pickle=False) as z:
                    names = EdgeNames(int(z["n"]), z["keys"], z["name_index"],
                                      tuple(json.loads(str(z["names"]))))
            except (OSError, ValueError, KeyError):  # damaged: made again below
                names = None
        if (names is None or names.n != graph.n) and Path(pbf).is_file():
            names = _build(Path(pbf), graph)
            cache_dir.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f"{path.name}.{os.getpid()}.partial.npz")
            np.savez(tmp, n=np.array(names.n), keys=names.keys, name_index=names.name_index,
                     names=np.array(json.dumps(names.names)))
            tmp.replace(path)
        if names is None or names.n != graph.n:  # no extract, or a file of another graph
            return None
        _LOADED[str(path)] = names
        return names
