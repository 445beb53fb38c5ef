"""Spreading each neighbourhood's population over where people live.

Methods (``method=``; ``buildings`` is the default):

``buildings``
    Residential buildings from the OSM extract (:func:`residential_buildings`),
    each weighted by its floor area: footprint area (m², computed in the local
    UTM zone) × ``building:levels`` where tagged (else 1; values are clipped to
    1..60). Residential means ``building`` = apartments, residential, house,
    detached, terrace, semidetached_house, dormitory, bungalow, or ``yes``
    (untyped buildings, which in OSM are mostly homes) *unless* the building
    carries an ``amenity``, ``shop`` or ``office`` tag. Residential landuse is
    not used (it is missing in many extracts). A building belongs to the
    neighbourhood that contains its representative point.
    A neighbourhood without such buildings falls back to ``nodes``.
``nodes``
    Equal shares on the street-network nodes inside the polygon. A
    neighbourhood with no node inside falls back to ``centre``: its
    representative point.

The shares of a neighbourhood sum exactly to its population: they are whole
multiples of 1/1024 person allotted by largest remainder, so any summation
order gives back the exact count (for counts that are themselves multiples
of 1/1024, e.g. every whole number). The method each neighbourhood actually
used is reported. Neighbourhoods without a population (NaN) or with 0 get no
points.
"""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd

from .errors import BuurtkaartError, InvalidParameter

__all__ = ["METHODS", "RESIDENTIAL", "NON_RESIDENTIAL_KEYS", "residential_buildings",
           "population_points", "spread"]

METHODS = ("buildings", "nodes")
RESIDENTIAL = ("apartments", "residential", "house", "detached", "terrace",
               "semidetached_house", "dormitory", "bungalow", "yes")
#: A ``building=yes`` with one of these tags is not counted as a home.
NON_RESIDENTIAL_KEYS = ("amenity", "shop", "office")
_QUANTUM = 1024  # shares are multiples of 1/_QUANTUM person


def residential_buildings(pbf_path) -> gpd.GeoDataFrame:
    """Residential buildings of an OSM extract as points with a ``weight`` (floor area, m²).

    Returns
    -------
    GeoDataFrame
        ``weight``, ``building``, ``levels`` and point geometry (the
        building's representative point, WGS84).
    """
    import pyrosm

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            b = pyrosm.OSM(str(pbf_path)).get_buildings()
    except Exception as exc:  # pyrosm raises assorted errors for a bad file
        raise BuurtkaartError(f"{pbf_path}: cannot read buildings: {exc}") from None
    cols = {"weight": [], "building": [], "levels": []}
    if b is None or len(b) == 0:
        return gpd.GeoDataFrame(cols, geometry=[], crs=4326)
    kind = b["building"].astype(str).str.lower()
    keep = kind.isin(RESIDENTIAL)
    untyped = kind == "yes"
    for key in NON_RESIDENTIAL_KEYS:
        if key in b.columns:
            keep &= ~(untyped & b[key].notna())
    b = b[keep & b.geometry.notna()]
    if len(b) == 0:
        return gpd.GeoDataFrame(cols, geometry=[], crs=4326)
    levels = pd.to_numeric(b["building:levels"], errors="coerce") if "building:levels" in b \
        else pd.Series(np.nan, index=b.index)
    levels = levels.fillna(1).clip(1, 60)
    area = b.geometry.to_crs(b.geometry.estimate_utm_crs()).area
    return gpd.GeoDataFrame({"weight": (area * levels).to_numpy(float),
                             "building": b["building"].to_numpy(),
                             "levels": levels.to_numpy(float)},
                            geometry=b.geometry.representative_point().to_numpy(), crs=4326)


def spread(total: float, weights) -> np.ndarray:
    """Split ``total`` in proportion to ``weights`` so that the parts sum exactly to it.

    Parts are multiples of 1/1024 allotted by largest remainder (ties to the
    earlier point); whatever is left of a total that is not such a multiple
    goes to the heaviest point.
    """
    w = np.asarray(weights, float)
    if len(w) == 0 or not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
        raise InvalidParameter("weights", "need at least one positive finite weight")
    units = int(round(float(total) * _QUANTUM))
    raw = w / w.sum() * units
    base = np.floor(raw).astype(np.int64)
    short = units - int(base.sum())
    if short > 0:
        order = np.argsort(-(raw - base), kind="stable")
        base[order[:short]] += 1
    parts = base / _QUANTUM
    rest = float(total) - units / _QUANTUM
    if rest:
        parts[int(np.argmax(w))] += rest
    return parts


def population_points(
    neighbourhoods: gpd.GeoDataFrame, *, buildings: gpd.GeoDataFrame | None = None,
    graph=None, node_lon=None, node_lat=None, method: str = "buildings",
) -> tuple[pd.DataFrame, dict[str, str]]:
    """Spread each neighbourhood's population over points where people live.

    Parameters
    ----------
    neighbourhoods:
        ``code``, ``population`` and polygon geometry (WGS84).
    buildings:
        Output of :func:`residential_buildings` (``weight`` + points); used
        with ``method='buildings'``.
    graph:
        A :class:`buurtkaart.network.Graph` whose nodes are the fallback points
        (or give ``node_lon``/``node_lat`` directly).
    method:
        ``buildings`` or ``nodes`` (see the module docstring).

    Returns
    -------
    (DataFrame, dict)
        Points ``code, lon, lat, population, method`` and, per code, the method
        used: ``buildings``, ``nodes`` or ``centre``.
    """
    if method not in METHODS:
        raise InvalidParameter("population_method", f"must be one of {', '.join(METHODS)}")
    if not isinstance(neighbourhoods, gpd.GeoDataFrame) or \
            not {"code", "population"} <= set(neighbourhoods.columns):
        raise InvalidParameter("neighbourhoods",
                               "expected a GeoDataFrame with code, population and geometry")
    if graph is not None:
        node_lon, node_lat = graph.lon, graph.lat
    pop_all = pd.to_numeric(neighbourhoods["population"], errors="coerce")
    if (pop_all < 0).any():
        raise InvalidParameter("population", "a neighbourhood has a negative population")
    hoods = neighbourhoods[pop_all.notna() & (pop_all > 0) & neighbourhoods.geometry.notna()]
    hoods = hoods.assign(population=pop_all[hoods.index])
    if hoods.crs is None:
        hoods = hoods.set_crs(4326)
    elif hoods.crs.to_epsg() != 4326:
        hoods = hoods.to_crs(4326)
    keyed = hoods[["code", "geometry"]].reset_index(drop=True)
    b_by_code: dict = {}
    if method == "buildings" and buildings is not None and len(buildings):
        b = buildings[buildings["weight"] > 0]
        joined = gpd.sjoin(b, keyed, predicate="intersects", how="inner")
        joined = joined[~joined.index.duplicated(keep="first")]  # on a shared border: once
        b_by_code = {c: g for c, g in joined.groupby("code")}
    n_by_code: dict = {}
    # only the neighbourhoods without buildings need the network nodes: join those alone
    # (on a Flanders-size network, joining millions of nodes would dominate)
    need = keyed[~keyed["code"].isin(list(b_by_code))]
    if node_lon is not None and len(node_lon) and len(need):
        node_lon, node_lat = np.asarray(node_lon, float), np.asarray(node_lat, float)
        x0, y0, x1, y1 = need.total_bounds
        near = np.flatnonzero((node_lon >= x0) & (node_lon <= x1) & (node_lat >= y0)
                              & (node_lat <= y1))
        nodes = gpd.GeoDataFrame(geometry=gpd.points_from_xy(node_lon[near], node_lat[near]),
                                 index=near, crs=4326)
        nodes_in = gpd.sjoin(nodes, keyed, predicate="intersects", how="inner")
        nodes_in = nodes_in[~nodes_in.index.duplicated(keep="first")]  # as before: a node
        nodes_in = nodes_in[nodes_in["code"].isin(list(need["code"]))]  # on a border goes once
        n_by_code = {c: g for c, g in nodes_in.groupby("code")}
    rows: list[pd.DataFrame] = []
    used: dict[str, str] = {}
    for code, pop, geom in zip(hoods["code"], hoods["population"], hoods.geometry):
        b = b_by_code.get(code)
        if b is not None and len(b):
            pts, w, how = b.geometry, b["weight"].to_numpy(float), "buildings"
        elif code in n_by_code:
            pts = n_by_code[code].geometry
            w, how = np.ones(len(pts)), "nodes"
        else:
            pts = gpd.GeoSeries([geom.representative_point()], crs=4326)
            w, how = np.ones(1), "centre"
        used[code] = how
        rows.append(pd.DataFrame({"code": code, "lon": pts.x.to_numpy(), "lat": pts.y.to_numpy(),
                                  "population": spread(float(pop), w), "method": how}))
    if not rows:
        return pd.DataFrame(columns=["code", "lon", "lat", "population", "method"]), used
    out = pd.concat(rows, ignore_index=True)
    return out, used
