"""Walking, wheelchair and cycling networks from an OpenStreetMap PBF, as compact arrays.

Which ways a mode may use comes from pyrosm's network filters (``walking``
and ``cycling``: they read ``highway``, ``foot``, ``bicycle``, ``access``
and drop motorways, ``access=private/no``, ``foot=no`` (walking) and
``bicycle=no`` (cycling)), refined here:

- wheelchair: the walking network without ``highway=steps`` and without ways
  tagged ``wheelchair=no`` (read from the column when pyrosm gives one, else
  from the ``tags`` JSON);
- bike: one-way streets are one-way for bikes too (``oneway=yes/true/1`` or
  ``-1``, and ``junction=roundabout`` implies ``oneway=yes``), unless
  ``oneway:bicycle=no`` or a ``cycleway[:left|:right|:both]=opposite*``
  contraflow says otherwise; ``oneway:bicycle=yes/-1`` makes a way one-way for
  bikes even when it is two-way for cars. ``oneway=reversible/alternating``
  is treated as two-way. ``bicycle=use_sidepath`` ways are kept (the side
  path runs alongside, at practically the same length);
- walk: every way is two-way.

Edge weights are lengths in metres (the geodesic lengths pyrosm computes;
parallel ways between the same two nodes keep the shortest). Only the largest
connected component is kept (strongly connected for the directed bike graph,
weakly = plainly connected for the two-way walking graphs), so every kept
node can reach every other.

A built graph is cached on disk as one ``.npz`` file keyed by the SHA-256 of
the input file, the network and :data:`FORMAT_VERSION`; loading it takes
milliseconds. The file's hash itself is memoised per (path, size, mtime) in
the cache directory, so a warm start does not re-read a large extract.
Travel *profiles* (speed per mode) are in :data:`PROFILES`.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from .errors import BuurtkaartError, InvalidParameter
from .i18n import N_

__all__ = ["Profile", "PROFILES", "NETWORKS", "Graph", "profile", "build_graph",
           "load_or_build", "cache_path", "file_sha256", "snap", "FORMAT_VERSION",
           "default_cache_dir", "DEFAULT_SNAP_METRES"]

#: Bump when the way filters or the file layout change: old cache files are then ignored.
FORMAT_VERSION = 2
NETWORKS = ("walk", "wheelchair", "bike")
#: Networks on which every edge runs both ways at the same length (symmetric matrices).
TWO_WAY = ("walk", "wheelchair")
DEFAULT_SNAP_METRES = 250.0

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Profile:
    """A way of travelling: the network it uses and its speed.

    Parameters
    ----------
    key:
        The ``mode`` value users give (``walk``, ``slow_walk``, ``wheelchair``, ``bike``).
    label:
        A short human label.
    network:
        Which graph it runs on (one of :data:`NETWORKS`).
    speed_kmh:
        Constant travel speed on every edge.
    note:
        Who this speed stands for.
    """

    key: str
    label: str
    network: str
    speed_kmh: float
    note: str

    @property
    def metres_per_second(self) -> float:
        return self.speed_kmh / 3.6


PROFILES: dict[str, Profile] = {p.key: p for p in (
    Profile("walk", N_("walking"), "walk", 4.8, "an adult's usual walking pace"),
    Profile("slow_walk", N_("walking slowly"), "walk", 3.0,
            "older people, or a parent with a pram or small children"),
    Profile("wheelchair", N_("wheelchair"), "wheelchair", 3.0,
            "no steps, no ways tagged wheelchair=no; a manual wheelchair's pace"),
    Profile("bike", N_("cycling"), "bike", 15.0, "an everyday cyclist; one-way streets respected"),
)}


def profile(key: str) -> Profile:
    """The :class:`Profile` for ``key``; raises :class:`InvalidParameter` ('mode')."""
    if not isinstance(key, str) or key not in PROFILES:
        raise InvalidParameter("mode", f"unknown travel mode {key!r} "
                                       f"(known: {', '.join(PROFILES)})")
    return PROFILES[key]


@dataclass
class Graph:
    """A directed graph as CSR arrays; node positions in WGS84.

    Attributes
    ----------
    network:
        ``walk``, ``wheelchair`` or ``bike``.
    node_ids:
        OSM node id of each node (int64); node *indices* 0..n-1 are positions here.
    lon, lat:
        Node positions (float64, WGS84).
    indptr, indices, length_m:
        CSR of edge lengths in metres: the edges leaving node ``i`` go to
        ``indices[indptr[i]:indptr[i+1]]``. Two-way streets appear twice.
    source_sha256:
        SHA-256 of the PBF it was built from.
    """

    network: str
    node_ids: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    indptr: np.ndarray
    indices: np.ndarray
    length_m: np.ndarray
    source_sha256: str = ""
    _tree: object = field(default=None, init=False, repr=False, compare=False)
    _lat0: float = field(default=0.0, init=False, repr=False, compare=False)
    _seconds: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def n(self) -> int:
        return len(self.node_ids)

    def lengths(self) -> sparse.csr_matrix:
        """Edge lengths in metres as an n x n CSR matrix."""
        return sparse.csr_matrix((np.asarray(self.length_m, np.float64), self.indices,
                                  self.indptr), shape=(self.n, self.n))

    def seconds(self, speed_kmh: float) -> sparse.csr_matrix:
        """Travel time in seconds on every edge at ``speed_kmh`` (n x n CSR).

        Made once per speed and Graph object (treat it as read-only). The two-way
        networks (walk, wheelchair) are declared symmetric, so searches towards
        places never transpose them (:func:`buurtkaart.traveltime.mark_symmetric`).
        """
        if not (isinstance(speed_kmh, (int, float)) and math.isfinite(speed_kmh)
                and speed_kmh > 0):
            raise InvalidParameter("speed_kmh", "must be a positive number")
        hit = self._seconds.get(float(speed_kmh))
        if hit is None:
            hit = sparse.csr_matrix((np.asarray(self.length_m, np.float64) / (speed_kmh / 3.6),
                                     self.indices, self.indptr), shape=(self.n, self.n))
            if self.network in TWO_WAY:
                from .traveltime import mark_symmetric

                mark_symmetric(hit)
            self._seconds[float(speed_kmh)] = hit
        return hit

    to_csr = seconds

    def save(self, path: str | os.PathLike) -> None:
        """Write the arrays to ``path`` (an ``.npz``; written atomically)."""
        path = Path(path)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.partial.npz")
        np.savez(tmp, node_ids=self.node_ids, lon=self.lon, lat=self.lat, indptr=self.indptr,
                 indices=self.indices, length_m=self.length_m,
                 meta=np.array(json.dumps({"network": self.network, "format": FORMAT_VERSION,
                                           "sha256": self.source_sha256})))
        tmp.replace(path)

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Graph":
        """Read a graph written by :meth:`save`; raises BuurtkaartError when it is
        not a valid graph file of this format version."""
        try:
            with np.load(path, allow_pickle=False) as z:
                meta = json.loads(str(z["meta"]))
                g = cls(meta["network"], z["node_ids"], z["lon"], z["lat"], z["indptr"],
                        z["indices"], z["length_m"], meta["sha256"])
        except (OSError, ValueError, KeyError) as exc:
            raise BuurtkaartError(f"{path}: not a readable graph file ({exc})") from None
        n = g.n
        if (meta.get("format") != FORMAT_VERSION or len(g.lon) != n or len(g.lat) != n
                or len(g.indptr) != n + 1 or len(g.indices) != len(g.length_m)
                or (n and g.indptr[-1] != len(g.indices))):
            raise BuurtkaartError(f"{path}: graph file of another format or damaged")
        return g

    def projected(self) -> np.ndarray:
        """Node positions in metres on a local equirectangular plane (for snapping)."""
        return _project(self.lon, self.lat, float(np.mean(self.lat)) if self.n else 0.0)

    def tree(self) -> tuple[cKDTree, float]:
        """A KD-tree of the projected nodes (built once per Graph object) and its lat0."""
        if self._tree is None:
            self._lat0 = float(np.mean(self.lat)) if self.n else 0.0
            self._tree = cKDTree(_project(self.lon, self.lat, self._lat0))
        return self._tree, self._lat0


def _project(lon, lat, lat0: float) -> np.ndarray:
    """Local equirectangular projection in metres (error < 1 % within ±50 km of lat0)."""
    k = math.cos(math.radians(lat0))
    return np.column_stack([np.asarray(lon, float) * 111_320.0 * k,
                            np.asarray(lat, float) * 110_574.0])


def default_cache_dir() -> Path:
    """``$BUURTKAART_CACHE`` or the user's cache directory (read when called, not at import)."""
    env = os.environ.get("BUURTKAART_CACHE")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir("buurtkaart"))


def file_sha256(path: str | os.PathLike) -> str:
    """SHA-256 of a file's contents (hex)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _memo_sha256(path: Path, cache_dir: Path) -> str:
    """``file_sha256`` memoised in ``cache_dir/hashes.json`` by (path, size, mtime_ns, inode)."""
    st = path.stat()
    key = str(path.resolve())
    stamp = [st.st_size, st.st_mtime_ns, st.st_ino]
    memo_file = cache_dir / "hashes.json"
    try:
        memo = json.loads(memo_file.read_text())
        if not isinstance(memo, dict):
            memo = {}
    except (OSError, ValueError):
        memo = {}
    hit = memo.get(key)
    if isinstance(hit, dict) and hit.get("stamp") == stamp and isinstance(hit.get("sha256"), str):
        return hit["sha256"]
    sha = file_sha256(path)
    memo[key] = {"stamp": stamp, "sha256": sha}
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = memo_file.with_name(f"hashes.{os.getpid()}.partial")
        tmp.write_text(json.dumps(memo))
        tmp.replace(memo_file)
    except OSError:
        pass  # a read-only cache still works, just without the memo
    return sha


def cache_path(cache_dir: str | os.PathLike, sha256: str, network: str) -> Path:
    """Where the graph of the file with ``sha256`` for ``network`` is cached."""
    return Path(cache_dir) / f"graph-{sha256[:20]}-{network}-v{FORMAT_VERSION}.npz"


def _tag_values(edges, key: str):
    """The value of OSM tag ``key`` per edge: its column if pyrosm made one, else
    from the ``tags`` JSON; lower-case strings, '' when absent."""
    import pandas as pd

    out = pd.Series("", index=edges.index, dtype=object)
    if key in edges.columns:
        col = edges[key]
        out = out.where(col.isna(), col.astype(str).str.strip().str.lower())
    if "tags" in edges.columns:
        tags = edges["tags"]
        needle = f'"{key}"'
        hit = tags.notna() & tags.astype(str).str.contains(needle, regex=False) & (out == "")
        for i in np.flatnonzero(hit.to_numpy()):
            try:
                val = json.loads(tags.iloc[i]).get(key)
            except (ValueError, AttributeError):
                continue
            if val is not None:
                out.iloc[i] = str(val).strip().lower()
    return out


def bike_directions(edges) -> tuple[np.ndarray, np.ndarray]:
    """Whether a bike may ride each way ``u -> v`` (forward) and ``v -> u`` (backward)."""
    oneway = _tag_values(edges, "oneway").to_numpy()
    ob = _tag_values(edges, "oneway:bicycle").to_numpy()
    junction = _tag_values(edges, "junction").to_numpy()
    contraflow = (ob == "no").copy()
    for key in ("cycleway", "cycleway:left", "cycleway:right", "cycleway:both"):
        contraflow |= np.char.startswith(_tag_values(edges, key).to_numpy().astype(str),
                                         "opposite")
    yes = np.isin(oneway, ["yes", "true", "1"]) | (
        np.isin(junction, ["roundabout", "circular"]) & ~np.isin(oneway, ["no", "-1"]))
    rev = oneway == "-1"
    fwd_only = (yes & ~contraflow) | np.isin(ob, ["yes", "true", "1"])
    rev_only = (rev & ~contraflow) | (ob == "-1")
    # contradictory tags (one-way both ways) leave the way two-way
    forward = ~rev_only | fwd_only
    backward = ~fwd_only | rev_only
    return forward, backward


def build_graph(pbf_path: str | os.PathLike, network: str, *,
                progress: Progress | None = None, sha256: str | None = None) -> Graph:
    """Parse ``pbf_path`` and build the ``network`` graph.

    Parameters
    ----------
    pbf_path:
        An OpenStreetMap ``.osm.pbf`` extract.
    network:
        ``walk``, ``wheelchair`` or ``bike`` (see the module docstring for the rules).
    progress:
        Called with a one-line message at each stage (for the CLI).
    sha256:
        The file's SHA-256 when the caller already has it (else it is computed).

    Returns
    -------
    Graph
        The largest connected component, lengths in metres.

    Raises
    ------
    InvalidParameter
        Unknown ``network``.
    BuurtkaartError
        The file cannot be read or holds no such network.
    """
    if network not in NETWORKS:
        raise InvalidParameter("network", f"unknown network {network!r} "
                                          f"(known: {', '.join(NETWORKS)})")
    if not Path(pbf_path).is_file():
        raise BuurtkaartError(f"{pbf_path}: no such file")
    import pyrosm

    say = progress or (lambda _m: None)
    t0 = time.perf_counter()
    say(f"{network}: reading {pbf_path}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            osm = pyrosm.OSM(str(pbf_path))
            nodes, edges = osm.get_network(
                network_type="cycling" if network == "bike" else "walking", nodes=True)
    except Exception as exc:  # pyrosm raises assorted errors for a bad file
        msg = f"{pbf_path}: cannot be read as an OpenStreetMap PBF extract: {exc}"
        raise BuurtkaartError(msg) from None
    if edges is None or len(edges) == 0:
        msg = f"{pbf_path}: no {network} network in this extract"
        raise BuurtkaartError(msg)
    say(f"{network}: {len(nodes):,} nodes, {len(edges):,} edges read "
        f"({time.perf_counter() - t0:.1f} s); building arrays")
    if network == "wheelchair":
        keep = (edges["highway"].astype(str) != "steps").to_numpy().copy()
        keep &= _tag_values(edges, "wheelchair").to_numpy() != "no"
        edges = edges[keep]
        if len(edges) == 0:
            raise BuurtkaartError(f"{pbf_path}: no wheelchair network in this extract")
    u_ids = edges["u"].to_numpy(np.int64)
    v_ids = edges["v"].to_numpy(np.int64)
    length = edges["length"].to_numpy(np.float64)
    if network == "bike":
        forward, backward = bike_directions(edges)
    else:
        forward = backward = np.ones(len(edges), bool)
    ids = np.unique(np.concatenate([u_ids, v_ids]))
    u = np.searchsorted(ids, u_ids)
    v = np.searchsorted(ids, v_ids)
    src = np.concatenate([u[forward], v[backward]])
    dst = np.concatenate([v[forward], u[backward]])
    w = np.concatenate([length[forward], length[backward]])
    w = np.maximum(w, 0.01)  # a zero weight could be read as "no edge" by csgraph
    loop = src == dst
    mat = _min_duplicates(src[~loop], dst[~loop], w[~loop], len(ids))
    directed = network == "bike"
    n_comp, labels = connected_components(mat, directed=directed,
                                          connection="strong" if directed else "weak")
    biggest = np.argmax(np.bincount(labels))
    keep_nodes = np.flatnonzero(labels == biggest)
    mat = mat[keep_nodes][:, keep_nodes].tocsr()
    mat.sort_indices()
    pos = nodes.drop_duplicates("id").set_index("id")
    node_pos = pos.loc[ids[keep_nodes], ["lon", "lat"]]
    say(f"{network}: kept the largest of {n_comp} components: {len(keep_nodes):,} nodes, "
        f"{mat.nnz:,} directed edges ({time.perf_counter() - t0:.1f} s)")
    return Graph(network, ids[keep_nodes], node_pos["lon"].to_numpy(np.float64),
                 node_pos["lat"].to_numpy(np.float64), mat.indptr.astype(np.int64),
                 mat.indices.astype(np.int32), mat.data.astype(np.float64),
                 sha256 or file_sha256(pbf_path))


def _min_duplicates(src, dst, w, n) -> sparse.csr_matrix:
    order = np.lexsort((w, dst, src))
    src, dst, w = src[order], dst[order], w[order]
    first = np.ones(len(src), bool)
    first[1:] = (src[1:] != src[:-1]) | (dst[1:] != dst[:-1])
    return sparse.csr_matrix((w[first], (src[first], dst[first])), shape=(n, n))


def load_or_build(pbf_path: str | os.PathLike, network: str, *,
                  cache_dir: str | os.PathLike | None = None,
                  progress: Progress | None = None, sha256: str | None = None
                  ) -> tuple[Graph, bool]:
    """The graph of ``pbf_path`` from the cache, or built and cached.

    Parameters
    ----------
    pbf_path, network:
        As :func:`build_graph`.
    cache_dir:
        Where graphs are cached; default :func:`default_cache_dir`
        (``$BUURTKAART_CACHE`` or the user's cache directory), read at call time.
    progress, sha256:
        As :func:`build_graph` (``sha256`` saves reading a large extract again).

    Returns
    -------
    (Graph, bool)
        The graph and whether it came from the cache. The cache key is the
        SHA-256 of the file, the network and :data:`FORMAT_VERSION`; a damaged
        or outdated cache file is rebuilt.
    """
    if network not in NETWORKS:
        raise InvalidParameter("network", f"unknown network {network!r} "
                                          f"(known: {', '.join(NETWORKS)})")
    pbf_path = Path(pbf_path)
    if not pbf_path.is_file():
        raise BuurtkaartError(f"{pbf_path}: no such file")
    cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    sha = sha256 or _memo_sha256(pbf_path, cache_dir)
    path = cache_path(cache_dir, sha, network)
    if path.exists():
        try:
            g = Graph.load(path)
            if g.network == network and g.source_sha256 == sha:
                return g, True
        except BuurtkaartError as exc:
            if progress:
                progress(f"{network}: ignoring the cache ({exc}); rebuilding")
    g = build_graph(pbf_path, network, progress=progress, sha256=sha)
    cache_dir.mkdir(parents=True, exist_ok=True)
    g.save(path)
    return g, False


def snap(graph: Graph, lon, lat, *, max_distance_m: float = DEFAULT_SNAP_METRES
         ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Nearest network node of each point.

    Parameters
    ----------
    graph:
        The network.
    lon, lat:
        Scalars or equally long sequences (WGS84).
    max_distance_m:
        Points farther than this from every node are not ``ok``.

    Returns
    -------
    (node, distance_m, ok)
        Node index per point (the nearest even when not ok, for reporting;
        -1 for a point without finite coordinates), straight-line distance in
        metres (inf for those), and the ok mask. Nothing is dropped: callers
        must list the points that are not ok.
    """
    lon = np.atleast_1d(np.asarray(lon, float))
    lat = np.atleast_1d(np.asarray(lat, float))
    if lon.shape != lat.shape or lon.ndim != 1:
        raise InvalidParameter("lon", "lon and lat must be equally long lists of numbers")
    if not (isinstance(max_distance_m, (int, float)) and max_distance_m >= 0):
        raise InvalidParameter("max_distance_m", "must be a number >= 0")
    node = np.full(len(lon), -1, np.int64)
    dist = np.full(len(lon), np.inf)
    finite = np.isfinite(lon) & np.isfinite(lat)
    if graph.n and finite.any():
        tree, lat0 = graph.tree()
        d, i = tree.query(_project(lon[finite], lat[finite], lat0))
        node[finite] = i
        dist[finite] = d
    return node, dist, dist <= max_distance_m
