"""Assembling accessibility questions from the store: which network, which places, which residents.

This is the one place that connects the database to the pure analysis
modules (:mod:`network`, :mod:`traveltime`, :mod:`population`,
:mod:`coverage`):

- the network of the OSM extract registered with ``buurtkaart network build``
  (its path and hash are kept in the ``settings`` table; graphs and building
  weights live in the cache directory and are loaded once per process);
- the places matching a :class:`Filter` (thresholds, working models, open in
  the chosen time window), snapped to the network; the filter's area
  (municipality, bounding box) selects the residents, never the places: people
  use a place across the border of their municipality;
- residents: each neighbourhood's population (indicator ``population``, or
  another count, latest year by default) spread by :mod:`population`.

Places or population points that cannot be snapped are returned in the
report, never dropped silently.
"""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from . import coverage, graphshare, network, population, store
from .errors import BuurtkaartError, InvalidParameter
from .filters import Filter
from .i18n import gettext as _
from .timing import ANY_TIME
from .progress import stage

__all__ = ["build_networks", "registered_network", "Context", "context", "facilities",
           "residents", "run_coverage", "run_scenario", "suggest_locations", "minutes_from", "SNAP_METRES"]

SNAP_METRES = 300.0
_LOCK = threading.Lock()
_GRAPHS: dict[tuple, network.Graph] = {}
_BUILDINGS: dict[str, gpd.GeoDataFrame] = {}


def _set(db, key: str, value: str, help_text: str) -> None:
    db.execute("INSERT INTO settings (key, value, help) VALUES (?, ?, ?) ON CONFLICT (key) "
               "DO UPDATE SET value = excluded.value, help = excluded.help",
               [key, value, help_text])


def _get(db, key: str) -> str | None:
    row = db.execute("SELECT value FROM settings WHERE key = ?", [key]).fetchone()
    return row[0] if row else None


def build_networks(db, pbf: str | Path, *, cache_dir: Path | None = None,
                   progress: Callable[[str], None] | None = None) -> dict[str, int]:
    """Build (or load from cache) every network of ``pbf`` and register it for the service,
    with the extract's addresses and streets for the search (:mod:`geocode`)."""
    pbf = Path(pbf).resolve()
    if not pbf.exists():
        raise BuurtkaartError(f"{pbf}: no such file")
    out = {}
    # read the extract at most once for all networks (not at all when its hash is memoised)
    sha = network._memo_sha256(pbf, Path(cache_dir or network.default_cache_dir()))
    with stage("network build", total=len(network.NETWORKS) + 2, unit=" steps") as bar:
        for net in network.NETWORKS:
            g, cached = network.load_or_build(pbf, net, cache_dir=cache_dir,
                                              progress=progress, sha256=sha)
            if progress and cached:
                progress(f"{net}: {g.n:,} nodes (from the cache)")
            out[net] = g.n
            if net == "walk":  # street names for routes in words and printed maps
                from .streetnames import load_or_build as street_names

                street_names(pbf, sha, g, cache_dir=cache_dir)
            bar.update(1)
        _buildings_weights(pbf, sha, cache_dir, progress)
        bar.update(1)
        from .geocode import read_addresses, save_addresses

        addresses = read_addresses(pbf)
        bar.update(1)
    if progress:
        progress(f"addresses: {len(addresses):,} addresses and streets for the search")
    with db.atomic():
        save_addresses(db, addresses)
        _set(db, "network_pbf", str(pbf), "OpenStreetMap extract the travel-time networks "
                                          "come from (buurtkaart network build)")
        _set(db, "network_sha256", sha, "SHA-256 of that extract")
    return out


def registered_network(db) -> tuple[Path, str] | None:
    pbf, sha = _get(db, "network_pbf"), _get(db, "network_sha256")
    return (Path(pbf), sha) if pbf and sha else None


def _buildings_weights(pbf: Path, sha: str, cache_dir: Path | None,
                       progress=None) -> gpd.GeoDataFrame:
    cache = Path(cache_dir or network.default_cache_dir()) / f"buildings-{sha[:20]}.npz"
    if sha in _BUILDINGS:
        return _BUILDINGS[sha]
    if cache.exists():
        with np.load(cache) as z:
            b = gpd.GeoDataFrame({"weight": z["weight"]},
                                 geometry=gpd.points_from_xy(z["lon"], z["lat"]), crs=4326)
    else:
        if progress:
            progress("buildings: weighting residential floor area")
        b = population.residential_buildings(pbf)
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_name(cache.name + ".partial.npz")
        np.savez(tmp, weight=b["weight"].to_numpy(float), lon=b.geometry.x.to_numpy(),
                 lat=b.geometry.y.to_numpy())
        tmp.replace(cache)
    _BUILDINGS[sha] = b
    return b


@dataclass
class Context:
    """Everything a coverage question needs, for one travel mode."""

    profile: network.Profile
    graph: network.Graph
    csr: object
    pbf: Path
    sha: str
    cache_dir: Path | None
    notes: list[str] = field(default_factory=list)


def context(db, mode: str, *, cache_dir: Path | None = None) -> Context:
    """The graph for ``mode`` (walk, slow_walk, wheelchair, bike), loaded once per process."""
    prof = network.profile(mode)
    reg = registered_network(db)
    if reg is None:
        raise BuurtkaartError("no travel-time network yet: run `buurtkaart network build "
                              "--pbf FILE.osm.pbf` first")
    pbf, sha = reg
    key = (sha, prof.network, str(cache_dir))
    with _LOCK:
        g = _GRAPHS.get(key)
        if g is None:
            path = network.cache_path(Path(cache_dir or network.default_cache_dir()), sha,
                                      prof.network)
            if not path.exists() and pbf.exists():
                g, _ = network.load_or_build(pbf, prof.network, cache_dir=cache_dir)
            if path.exists():  # memory-mapped: one copy for all the server's processes
                g = graphshare.load(path)
            elif g is None:
                raise BuurtkaartError(f"the network cache is missing and {pbf} is gone: "
                                      "run `buurtkaart network build` again")
            _GRAPHS[key] = g
    return Context(prof, g, g.seconds(prof.speed_kmh), pbf, sha, cache_dir)


def facilities(db, ctx: Context, filt: Filter) -> tuple[pd.DataFrame, list[dict]]:
    """Places matching ``filt`` as ``id, node, models, capacity, name``, and those
    that could not be snapped to the network."""
    rows, unsnapped = [], []
    places = store.places(db, filt)
    if places:
        node, dist, ok = network.snap(ctx.graph, [p["lon"] for p in places],
                                      [p["lat"] for p in places], max_distance_m=SNAP_METRES)
        for p, nd, d, good in zip(places, node, dist, ok):
            if not good:
                unsnapped.append({"id": p["id"], "name": p["name"], "distance_m": round(float(d))})
                continue
            models = sorted({m for a in p["activities"] for m in a["models"]})
            caps = [a["capacity"] for a in p["activities"] if a.get("capacity")]
            cap = p.get("capacity") or (sum(caps) if caps else None)
            rows.append({"id": p["id"], "name": p["name"], "node": int(nd), "models": models,
                         "capacity": float(cap) if cap else np.nan, "lon": p["lon"],
                         "lat": p["lat"]})
    cols = ["id", "name", "node", "models", "capacity", "lon", "lat"]
    return pd.DataFrame(rows, columns=cols), unsnapped


#: Population points per (database file, data_version, network, method, indicator, year,
#: municipality): spreading and snapping them is the slowest part of a first question on a
#: large network, and any import or edit changes data_version.
_RESIDENTS: OrderedDict[tuple, tuple[pd.DataFrame, dict]] = OrderedDict()
RESIDENTS_CACHE_SIZE = 8


def residents(db, ctx: Context, *, method: str = "buildings", indicator: str = "population",
              year: int | None = None, municipality: str | None = None
              ) -> tuple[pd.DataFrame, dict]:
    """Population points snapped to the graph, and a report of how they were made
    (copies of a cached result when the data and the network have not changed)."""
    key = (db.execute("PRAGMA database_list").fetchone()[2], store.data_version(db), ctx.sha,
           ctx.graph.network, str(ctx.cache_dir), method, indicator, year, municipality)
    return _cached(_RESIDENTS, RESIDENTS_CACHE_SIZE, key,
                   lambda: _residents(db, ctx, method=method, indicator=indicator, year=year,
                                      municipality=municipality))


def _cached(cache: OrderedDict, size: int, key: tuple, compute):
    """Copies of ``cache[key]`` (a (DataFrame, report) pair), computed when missing; the
    least recently used entries beyond ``size`` are dropped."""
    with _LOCK:
        hit = cache.get(key)
        if hit is not None:
            cache.move_to_end(key)
    if hit is None:
        hit = compute()
        with _LOCK:
            cache[key] = hit
            while len(cache) > size:
                cache.popitem(last=False)
    return hit[0].copy(), copy.deepcopy(hit[1])


def _residents(db, ctx: Context, *, method: str, indicator: str, year: int | None,
               municipality: str | None) -> tuple[pd.DataFrame, dict]:
    hoods = store.neighbourhoods(db, municipality=municipality)
    frame = store.indicator_frame(db, indicator=indicator)
    if frame.empty:
        raise InvalidParameter("population", f"no {indicator!r} values stored: import them "
                                             "with `buurtkaart import indicators`")
    if year is not None:
        frame = frame[frame["year"] == year]
        if frame.empty:
            raise InvalidParameter("year", f"no {indicator} values for {year}")
    latest = frame.sort_values("year").groupby("code").tail(1)
    pop = dict(zip(latest["code"], latest["value"]))
    years = dict(zip(latest["code"], latest["year"]))
    gdf = gpd.GeoDataFrame({"code": [n["code"] for n in hoods],
                            "population": [pop.get(n["code"]) for n in hoods]},
                           geometry=[n["geometry"] for n in hoods], crs=4326)
    bounds = (ctx.graph.lon.min(), ctx.graph.lat.min(), ctx.graph.lon.max(), ctx.graph.lat.max())
    gdf = gdf.cx[bounds[0]:bounds[2], bounds[1]:bounds[3]]
    buildings = _buildings_weights(ctx.pbf, ctx.sha, ctx.cache_dir) if method == "buildings" \
        else None
    pts, used = population.population_points(gdf, buildings=buildings, node_lon=ctx.graph.lon,
                                             node_lat=ctx.graph.lat, method=method)
    node, dist, ok = network.snap(ctx.graph, pts["lon"], pts["lat"],
                                  max_distance_m=SNAP_METRES)
    pts["node"] = node
    unsnapped = pts[~ok]
    report = {
        "method": used, "year": {c: int(y) for c, y in years.items()},
        "without_population": sorted(set(n["code"] for n in hoods) - set(pop)),
        "unsnapped_population": float(unsnapped["population"].sum()),
        "unsnapped_by_code": unsnapped.groupby("code")["population"].sum().round(1).to_dict(),
    }
    return pts[ok].reset_index(drop=True), report


#: Recent coverage results, keyed by the database file, its data_version, the registered
#: network and the question; pages, their map frames and the API ask the same question
#: often, and any edit or import changes data_version, so a result is never stale.
_COVERAGE: OrderedDict[tuple, tuple[pd.DataFrame, dict]] = OrderedDict()
COVERAGE_CACHE_SIZE = 32


def run_coverage(db, filt: Filter, *, mode: str, minutes: float, method: str = "buildings",
                 cache_dir: Path | None = None, transit=None) -> tuple[pd.DataFrame, dict]:
    """Coverage per neighbourhood for the places matching ``filt``, with its report
    (copies of a cached result when the same question was asked of the same data).

    ``transit`` says when one leaves: for ``mode="transit"`` (required) a
    :class:`~buurtkaart.transit.reach.TransitOptions`; for the other modes a
    :class:`~buurtkaart.timing.Timing` (arrival while open) or None (any time).
    """
    if not 1 <= minutes <= 120:
        raise InvalidParameter("minutes", "must be between 1 and 120")
    _check_transit(mode, transit)
    key = (db.execute("PRAGMA database_list").fetchone()[2], store.data_version(db),
           registered_network(db), str(cache_dir), filt, mode, float(minutes), method,
           transit, feeds_version(db) if mode == "transit" else None)
    return _cached(_COVERAGE, COVERAGE_CACHE_SIZE, key,
                   lambda: _run_coverage(db, filt, mode=mode, minutes=minutes, method=method,
                                         cache_dir=cache_dir, transit=transit))


def _check_transit(mode: str, transit) -> None:
    from .timing import Timing
    from .transit.reach import TransitOptions

    if mode == "transit" and not isinstance(transit, TransitOptions):
        raise InvalidParameter("depart", "is required with mode=transit, e.g. 'tu 18:00-19:00'")
    if mode != "transit" and not (transit is None or isinstance(transit, Timing)):
        raise InvalidParameter("mode", "public transport options need mode=transit")


def when_described(mode: str, transit) -> str:
    """Which moment was evaluated, in the active language."""
    if transit is None:
        return _(ANY_TIME)
    return transit.describe(None) if mode != "transit" else transit.describe()


def trip_inputs(db, ctx, places, res, mode: str, transit, limit_s: float):
    """``(graph, places, residents, report)`` for coverage when the departure time matters
    (public transport, or another mode with a departure window); the graph is bipartite."""
    if mode == "transit":
        from .transit.reach import coverage_inputs

        return coverage_inputs(db, ctx.graph, ctx.csr, places, res, transit, limit_s)
    from .timing import coverage_inputs

    return coverage_inputs(db, ctx.csr, places, res, transit, limit_s)


def feeds_version(db) -> tuple:
    """Changes whenever a public transport feed is imported or removed."""
    return tuple(db.execute("SELECT name, sha256 FROM transit_feeds ORDER BY name").fetchall())


def _walk_mode(mode: str, transit) -> str:
    """The network profile a mode walks on (transit: its access profile)."""
    return transit.access if mode == "transit" else mode


def _run_coverage(db, filt: Filter, *, mode: str, minutes: float, method: str,
                  cache_dir: Path | None, transit=None) -> tuple[pd.DataFrame, dict]:
    with stage("coverage", total=4, unit=" steps") as bar:
        ctx = context(db, _walk_mode(mode, transit), cache_dir=cache_dir)
        bar.update(1)
        places, unsnapped = facilities(db, ctx, filt.without_area())
        bar.update(1)
        res, report = residents(db, ctx, method=method, municipality=filt.municipality)
        bar.update(1)
        csr = ctx.csr
        if transit is not None:
            horizon = max(minutes, max(coverage.THRESHOLD_MINUTES)) * 60
            csr, places, res, trip = trip_inputs(db, ctx, places, res, mode, transit, horizon)
            report["transit" if mode == "transit" else "timing"] = trip
        report["when"] = trip["description"] if transit is not None else _(ANY_TIME)
        cov = coverage.neighbourhood_coverage(csr, places, res, minutes=minutes)
        bar.update(1)
    names = {n["code"]: (n.get("name"), n.get("municipality_code"))
             for n in store.neighbourhoods(db, municipality=filt.municipality)}
    cov.insert(1, "name", cov["code"].map(lambda c: names.get(c, (None, None))[0]))
    cov.insert(2, "municipality_code", cov["code"].map(lambda c: names.get(c, (None, None))[1]))
    report.update(places=len(places), unsnapped_places=unsnapped, mode=mode, minutes=minutes,
                  speed_kmh=ctx.profile.speed_kmh, filter=filt.to_params())
    return cov, report


def run_scenario(db, filt: Filter, *, mode: str, minutes: float, add=(), remove=(),
                 method: str = "buildings", cache_dir: Path | None = None, transit=None
                 ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Coverage per neighbourhood before and after adding proposed places and switching off
    existing ones (:func:`coverage.scenario`); nothing is stored.

    ``add``: dicts with ``lon``, ``lat``, ``models``, and optionally ``capacity`` and
    ``name``; each counts as a place matching ``filt`` (the caller decides that it does).
    ``remove``: ids among the places matching ``filt``. A proposed point farther than
    :data:`SNAP_METRES` from the network is an error naming ``add[i]``.

    Returns the per-neighbourhood table (with ``name``) and the matching places.
    """
    _check_transit(mode, transit)
    if not 1 <= minutes <= 120:
        raise InvalidParameter("minutes", "must be between 1 and 120")
    ctx = context(db, _walk_mode(mode, transit), cache_dir=cache_dir)
    places, _ = facilities(db, ctx, filt.without_area())
    res, _ = residents(db, ctx, method=method, municipality=filt.municipality)
    rows = []
    for i, a in enumerate(add):
        node, dist, ok = network.snap(ctx.graph, a["lon"], a["lat"], max_distance_m=SNAP_METRES)
        if not ok[0]:
            raise InvalidParameter(f"add[{i}]", f"the point is {dist[0]:.0f} m from the network")
        cap = a.get("capacity")
        rows.append({"id": -(i + 1), "name": str(a.get("name") or f"proposed {i + 1}"),
                     "node": int(node[0]), "models": list(a.get("models") or []),
                     "capacity": np.nan if cap is None else float(cap),
                     "lon": float(a["lon"]), "lat": float(a["lat"])})
    unknown = sorted(set(remove) - set(places["id"]))
    if unknown:
        raise InvalidParameter("remove", f"not among the matching places: {unknown}")
    added = pd.DataFrame(rows) if rows else None
    csr, before = ctx.csr, places
    if transit is not None:  # one bipartite graph for the places and the proposed ones
        both = pd.concat([places, added], ignore_index=True) if added is not None else places
        horizon = max(minutes, max(coverage.THRESHOLD_MINUTES)) * 60
        csr, both, res, _ = trip_inputs(db, ctx, both, res, mode, transit, horizon)
        before, added = both.iloc[:len(places)], (both.iloc[len(places):]
                                                  if added is not None else None)
    result = coverage.scenario(csr, before, res, minutes=minutes, add=added, remove=list(remove))
    names = {n["code"]: n.get("name") for n in store.neighbourhoods(
        db, municipality=filt.municipality)}
    result.insert(1, "name", result["code"].map(names))
    return result, places


#: Most candidate points for a new place by public transport (each is a routing target).
TRANSIT_CANDIDATES = 300


def suggest_locations(db, filt: Filter, *, mode: str, minutes: float, k: int,
                      method: str = "buildings", cache_dir: Path | None = None,
                      transit=None) -> pd.DataFrame:
    """The ``k`` network points where a new place would bring the most residents of the
    filter's area within ``minutes`` of a matching place (greedy maximal covering).

    By transit the candidates are at most :data:`TRANSIT_CANDIDATES` of the points where
    residents not yet within reach live (a fixed sample), each routed to like a place.

    Returns ``rank, node, residents_newly_covered, lon, lat``, with
    :func:`coverage.best_locations`' ``attrs`` (why fewer than ``k``).
    """
    _check_transit(mode, transit)
    ctx = context(db, _walk_mode(mode, transit), cache_dir=cache_dir)
    places, _ = facilities(db, ctx, filt.without_area())
    res, _ = residents(db, ctx, method=method, municipality=filt.municipality)
    if transit is not None:
        picks = _suggest_timed(db, ctx, places, res, mode, transit, minutes, k)
    else:
        picks = coverage.best_locations(ctx.csr, places, res, k=k, minutes=minutes)
    nodes = picks["node"].to_numpy(np.int64)
    out = picks.assign(lon=ctx.graph.lon[nodes].astype(float),
                       lat=ctx.graph.lat[nodes].astype(float))
    out.attrs = dict(picks.attrs)  # asked, stopped, candidates: why fewer than k
    return out


def _suggest_timed(db, ctx, places, res, mode, transit, minutes, k) -> pd.DataFrame:
    candidates = np.unique(res["node"].to_numpy(np.int64))
    if len(candidates) > TRANSIT_CANDIDATES:
        rng = np.random.default_rng(0)
        candidates = np.sort(rng.choice(candidates, TRANSIT_CANDIDATES, replace=False))
    fake = pd.DataFrame({"id": -(np.arange(len(candidates)) + 1), "node": candidates,
                         "models": [[] for _ in candidates], "capacity": np.nan})
    both = pd.concat([places[["id", "node", "models", "capacity"]], fake], ignore_index=True)
    csr, both, res, _ = trip_inputs(db, ctx, both, res, mode, transit, minutes * 60)
    graph_nodes = both["node"].to_numpy(np.int64)[len(places):]
    picks = coverage.best_locations(csr, both.iloc[:len(places)], res, k=k, minutes=minutes,
                                    candidates=graph_nodes)
    out = picks.assign(node=candidates[np.searchsorted(graph_nodes,
                                                       picks["node"].to_numpy(np.int64))])
    out.attrs = dict(picks.attrs)
    return out


def minutes_from(db, filt: Filter, *, mode: str, lon: float, lat: float,
                 limit_minutes: float, cache_dir: Path | None = None, transit=None,
                 report: dict | None = None) -> list[tuple[dict, float]]:
    """Places matching ``filt`` reachable from a point, nearest first, with their minutes.

    The walk from the point to its nearest network node is included. A point
    farther than :data:`SNAP_METRES` from the network is an error naming ``lon``.
    ``report``, when given, receives what public transport used (``transit``: its fares
    and fare budget, as in the coverage report).
    """
    from . import traveltime

    _check_transit(mode, transit)
    ctx = context(db, _walk_mode(mode, transit), cache_dir=cache_dir)
    node, dist, ok = network.snap(ctx.graph, lon, lat, max_distance_m=SNAP_METRES)
    if not ok[0]:
        far = "has no coordinates" if not np.isfinite(dist[0]) else f"is {dist[0]:.0f} m"
        raise InvalidParameter("lon", f"the point {far} from the {ctx.profile.label} network "
                                      f"(at most {SNAP_METRES:.0f} m)")
    places, _unsnapped = facilities(db, ctx, filt)
    if places.empty:
        return []
    by_id = {p["id"]: p for p in store.places(db, filt)}
    # the walk from the point to the network comes first (it moves the arrival)
    extra = float(dist[0]) / ctx.profile.metres_per_second
    if mode == "transit":
        from .transit.reach import travel_seconds

        records = [by_id[int(i)] for i in places["id"]]
        times, used = travel_seconds(db, ctx.graph, ctx.csr, [int(node[0])],
                                     places["node"].to_numpy(np.int64), transit,
                                     limit_minutes * 60, records, offset=extra)
        if report is not None:
            report["transit"] = used
        t = times[float(transit.percentile)][0].astype(float)
    else:
        t = traveltime.times_from(ctx.csr, [int(node[0])], places["node"].to_numpy(np.int64),
                                  limit=limit_minutes * 60)[0] + extra
        if transit is not None:
            from .timing import summarise_fixed
            from .transit.arrival import arrival_windows

            windows = arrival_windows([by_id[int(i)] for i in places["id"]], transit.date(),
                                      transit.min_stay * 60)
            t = summarise_fixed(t[None, :], transit.window.times(), windows,
                                [transit.percentile], limit_minutes * 60
                                )[float(transit.percentile)][0].astype(float)
    out = []
    for i in np.argsort(t, kind="stable"):
        total = float(t[i]) / 60
        if not np.isfinite(t[i]) or total > limit_minutes:
            break
        out.append((by_id[int(places["id"].iloc[i])], round(total, 1)))
    return out


def isochrone(db, place: dict, *, mode: str, minutes: float, transit=None,
              cache_dir: Path | None = None):
    """``(polygon, properties)``: the area from which ``place`` is reached within
    ``minutes`` (by public transport, or with a departure window: and one can go in while
    it is open, in at least ``percentile`` % of the departures; see
    :mod:`buurtkaart.transit.isochrone`)."""
    from . import traveltime

    _check_transit(mode, transit)
    ctx = context(db, _walk_mode(mode, transit), cache_dir=cache_dir)
    node, dist, ok = network.snap(ctx.graph, place["lon"], place["lat"],
                                  max_distance_m=SNAP_METRES)
    if not ok[0]:
        raise InvalidParameter("place", f"{place['name']} is {dist[0]:.0f} m from the "
                                        f"{ctx.profile.label} network; no isochrone")
    limit = minutes * 60
    props = {"mode": mode if mode == "transit" else ctx.profile.key,
             "when": when_described(mode, transit)}
    if transit is None:
        return traveltime.isochrone(ctx.graph, ctx.csr, int(node[0]), limit), \
            props | {"speed_kmh": ctx.profile.speed_kmh}
    from .transit import isochrone as iso

    if mode == "transit":
        t, report = iso.node_times(db, ctx.graph, ctx.csr, int(node[0]), place, transit, limit)
        props |= {"transit": report, "percentile": transit.percentile}
    else:
        t = iso.timed_node_times(ctx.csr, int(node[0]), place, transit, limit)
        props |= {"speed_kmh": ctx.profile.speed_kmh, "percentile": transit.percentile}
    return traveltime.area_within(ctx.graph, ctx.csr, t, limit), props
