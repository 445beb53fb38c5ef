"""Walking, wheelchair and cycling networks from an OpenStreetMap PBF, as compact arrays.

Which ways a mode may use comes from pyrosm's network filters (``walking``
and ``cycling``: they read ``highway``, ``foot``, ``bicycle``, ``access``
and drop motorways, private and forbidden ways), refined here:

- wheelchair: the walking network without ``highway=steps`` and without ways
  tagged ``wheelchair=no``;
- bike: one-way streets are one-way for bikes too (``oneway=yes``/``-1``),
  unless ``oneway:bicycle=no`` or a ``cycleway=opposite*`` contraflow says
  otherwise; walking graphs are two-way.

Edge weights are lengths in metres (the geodesic lengths pyrosm computes).
Only the largest connected component is kept (strongly connected for the
directed bike graph), so every kept node can reach every other.

A built graph is cached on disk as one ``.npz`` file keyed by the SHA-256 of
the input file, the network and :data:`FORMAT_VERSION`; loading it takes
milliseconds. Travel *profiles* (speed per mode) are in :data:`PROFILES`.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from .errors import BuurtkaartError, InvalidParameter

__all__ = ["Profile", "PROFILES", "NETWORKS", "Graph", "build_graph", "load_or_build",
           "cache_path", "file_sha256", "snap", "FORMAT_VERSION", "default_cache_dir"]

FORMAT_VERSION = 1
NETWORKS = ("walk", "wheelchair", "bike")


@dataclass(frozen=True)
class Profile:
    """A way of travelling: the network it uses and its speed."""

    key: str
    label: str
    network: str
    speed_kmh: float
    note: str

    @property
    def metres_per_second(self) -> float:
        return self.speed_kmh / 3.6


PROFILES: dict[str, Profile] = {p.key: p for p in (
    Profile("walk", "walking", "walk", 4.8, "an adult's usual walking pace"),
    Profile("slow_walk", "walking slowly", "walk", 3.0,
            "older people, or a parent with a pram or small children"),
    Profile("wheelchair", "wheelchair", "wheelchair", 3.0,
            "no steps, no ways tagged wheelchair=no; a manual wheelchair's pace"),
    Profile("bike", "cycling", "bike", 15.0, "an everyday cyclist; one-way streets respected"),
)}


def profile(key: str) -> Profile:
    try:
        if not isinstance(key, str):
            raise KeyError(key)
        return PROFILES[key]
    except KeyError:
        raise InvalidParameter("mode", f"unknown travel mode {key!r} "
                                       f"(known: {', '.join(PROFILES)})") from None


@dataclass
class Graph:
    """A directed graph as CSR arrays; node positions in WGS84."""

    network: str
    node_ids: np.ndarray      # OSM node ids, int64
    lon: np.ndarray           # float64
    lat: np.ndarray
    indptr: np.ndarray        # CSR of edge lengths in metres
    indices: np.ndarray
    length_m: np.ndarray
    source_sha256: str = ""

    @property
    def n(self) -> int:
        return len(self.node_ids)

    def lengths(self) -> sparse.csr_matrix:
        return sparse.csr_matrix((self.length_m, self.indices, self.indptr), shape=(self.n, self.n))

    def seconds(self, speed_kmh: float) -> sparse.csr_matrix:
        """Travel time in seconds on every edge at ``speed_kmh``."""
        return sparse.csr_matrix((self.length_m / (speed_kmh / 3.6), self.indices, self.indptr),
                                 shape=(self.n, self.n))

    def save(self, path: Path) -> None:
        tmp = path.with_name(path.name + ".partial.npz")
        np.savez(tmp, node_ids=self.node_ids, lon=self.lon, lat=self.lat, indptr=self.indptr,
                 indices=self.indices, length_m=self.length_m,
                 meta=np.array(json.dumps({"network": self.network, "format": FORMAT_VERSION,
                                           "sha256": self.source_sha256})))
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> "Graph":
        with np.load(path) as z:
            meta = json.loads(str(z["meta"]))
            return cls(meta["network"], z["node_ids"], z["lon"], z["lat"], z["indptr"],
                       z["indices"], z["length_m"], meta["sha256"])

    def projected(self) -> np.ndarray:
        """Node positions in metres on a local equirectangular plane (for snapping)."""
        return _project(self.lon, self.lat, float(np.mean(self.lat)) if self.n else 0.0)


def _project(lon, lat, lat0: float) -> np.ndarray:
    k = math.cos(math.radians(lat0))
    return np.column_stack([np.asarray(lon) * 111_320.0 * k, np.asarray(lat) * 110_574.0])


def default_cache_dir() -> Path:
    env = os.environ.get("BUURTKAART_CACHE")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir("buurtkaart"))


def file_sha256(path: str | os.PathLike) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def cache_path(cache_dir: Path, sha256: str, network: str) -> Path:
    return Path(cache_dir) / f"graph-{sha256[:20]}-{network}-v{FORMAT_VERSION}.npz"


def _is_true(v) -> bool:
    return str(v).strip().lower() in ("yes", "true", "1")


def build_graph(pbf_path: str | os.PathLike, network: str, *,
                progress: Callable[[str], None] | None = None) -> Graph:
    """Parse ``pbf_path`` and build the ``network`` (walk, wheelchair or bike) graph."""
    import pyrosm

    if network not in NETWORKS:
        raise InvalidParameter("network", f"unknown network {network!r} (known: {NETWORKS})")
    say = progress or (lambda _m: None)
    t0 = time.perf_counter()
    say(f"{network}: reading {pbf_path}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            osm = pyrosm.OSM(str(pbf_path))
            nodes, edges = osm.get_network(
                network_type="cycling" if network == "bike" else "walking", nodes=True)
    except Exception as exc:
        msg = f"{pbf_path}: cannot be read as an OpenStreetMap PBF extract: {exc}"
        raise BuurtkaartError(msg) from None
    if edges is None or len(edges) == 0:
        msg = f"{pbf_path}: no {network} network in this extract"
        raise BuurtkaartError(msg)
    say(f"{network}: {len(nodes):,} nodes, {len(edges):,} edges read "
        f"({time.perf_counter() - t0:.1f} s); building arrays")
    cols = edges.columns
    if network == "wheelchair":
        tags = edges["tags"].fillna("{}") if "tags" in cols else None
        keep = edges["highway"] != "steps"
        if tags is not None:
            keep &= ~tags.str.contains('"wheelchair":"no"', regex=False)
        if "wheelchair" in cols:
            keep &= edges["wheelchair"] != "no"
        edges = edges[keep]
    u_ids = edges["u"].to_numpy(np.int64)
    v_ids = edges["v"].to_numpy(np.int64)
    length = edges["length"].to_numpy(np.float64)
    forward = np.ones(len(edges), bool)
    backward = np.ones(len(edges), bool)
    if network == "bike":
        oneway = edges["oneway"].astype(str).str.lower() if "oneway" in cols else None
        if oneway is not None:
            ob = edges["oneway:bicycle"].astype(str).str.lower() if "oneway:bicycle" in cols \
                else None
            cw = edges["cycleway"].astype(str).str.lower() if "cycleway" in cols else None
            contraflow = np.zeros(len(edges), bool)
            if ob is not None:
                contraflow |= (ob == "no").to_numpy()
            if cw is not None:
                contraflow |= cw.str.startswith("opposite").to_numpy()
            is_fwd = oneway.isin(["yes", "true", "1"]).to_numpy() & ~contraflow
            is_rev = (oneway == "-1").to_numpy() & ~contraflow
            backward &= ~is_fwd
            forward &= ~is_rev
    ids = np.unique(np.concatenate([u_ids, v_ids]))
    u = np.searchsorted(ids, u_ids)
    v = np.searchsorted(ids, v_ids)
    src = np.concatenate([u[forward], v[backward]])
    dst = np.concatenate([v[forward], u[backward]])
    w = np.concatenate([length[forward], length[backward]])
    w = np.maximum(w, 0.01)  # a zero weight would be read as "no edge" by csgraph
    mat = _min_duplicates(src, dst, w, len(ids))  # parallel edges: keep the shortest
    directed = network == "bike"
    n_comp, labels = connected_components(mat, directed=directed,
                                          connection="strong" if directed else "weak")
    biggest = np.argmax(np.bincount(labels))
    keep_nodes = np.flatnonzero(labels == biggest)
    mat = mat[keep_nodes][:, keep_nodes].tocsr()
    node_pos = nodes.set_index("id").loc[ids[keep_nodes], ["lon", "lat"]]
    say(f"{network}: kept the largest of {n_comp} components: {len(keep_nodes):,} nodes, "
        f"{mat.nnz:,} directed edges ({time.perf_counter() - t0:.1f} s)")
    return Graph(network, ids[keep_nodes], node_pos["lon"].to_numpy(np.float64),
                 node_pos["lat"].to_numpy(np.float64), mat.indptr.astype(np.int64),
                 mat.indices.astype(np.int32), mat.data.astype(np.float64),
                 file_sha256(pbf_path))


def _min_duplicates(src, dst, w, n) -> sparse.csr_matrix:
    order = np.lexsort((w, dst, src))
    src, dst, w = src[order], dst[order], w[order]
    first = np.ones(len(src), bool)
    first[1:] = (src[1:] != src[:-1]) | (dst[1:] != dst[:-1])
    return sparse.csr_matrix((w[first], (src[first], dst[first])), shape=(n, n))


def load_or_build(pbf_path: str | os.PathLike, network: str, *, cache_dir: Path | None = None,
                  progress: Callable[[str], None] | None = None) -> tuple[Graph, bool]:
    """The graph of ``pbf_path`` from the cache, or built and cached; ``(graph, from_cache)``."""
    cache_dir = Path(cache_dir or default_cache_dir())
    sha = file_sha256(pbf_path)
    path = cache_path(cache_dir, sha, network)
    if path.exists():
        return Graph.load(path), True
    g = build_graph(pbf_path, network, progress=progress)
    cache_dir.mkdir(parents=True, exist_ok=True)
    g.save(path)
    return g, False


def snap(graph: Graph, lon, lat, *, max_distance_m: float = 250.0
         ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Nearest network node of each point: ``(node index, distance in m, ok)``.

    Points farther than ``max_distance_m`` from any node have ``ok == False``
    (their node index is still the nearest, for reporting); callers must
    report them, never drop them silently.
    """
    lon = np.atleast_1d(np.asarray(lon, float))
    lat = np.atleast_1d(np.asarray(lat, float))
    lat0 = float(np.mean(graph.lat)) if graph.n else 0.0
    tree = cKDTree(_project(graph.lon, graph.lat, lat0))
    dist, idx = tree.query(_project(lon, lat, lat0))
    return idx.astype(np.int64), dist, dist <= max_distance_m
