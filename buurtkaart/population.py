"""Spreading each neighbourhood's population over where people live.

Methods (selectable; ``buildings`` is the default):

``buildings``
    Residential buildings from the OSM extract, each weighted by its
    footprint area (m², on a local metric projection) times
    ``building:levels`` where tagged (else 1). Residential means
    ``building`` = apartments, residential, house, detached, terrace,
    semidetached_house, dormitory, bungalow, or ``yes`` (untyped buildings,
    which in OSM are mostly homes). A neighbourhood without such buildings
    falls back to ``nodes``.
``nodes``
    Equal shares on the street-network nodes inside the polygon. A
    neighbourhood with no node inside falls back to its representative point.

The shares of a neighbourhood always sum exactly to its population, and the
method each neighbourhood actually used is reported.
"""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd

from .errors import InvalidParameter

__all__ = ["METHODS", "RESIDENTIAL", "residential_buildings", "population_points"]

METHODS = ("buildings", "nodes")
RESIDENTIAL = ("apartments", "residential", "house", "detached", "terrace",
               "semidetached_house", "dormitory", "bungalow", "yes")


def residential_buildings(pbf_path) -> gpd.GeoDataFrame:
    """Residential building points with a ``weight`` (floor area in m²), WGS84."""
    import pyrosm

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        b = pyrosm.OSM(str(pbf_path)).get_buildings()
    if b is None or len(b) == 0:
        return gpd.GeoDataFrame({"weight": []}, geometry=[], crs=4326)
    b = b[b["building"].isin(RESIDENTIAL)]
    levels = pd.to_numeric(b["building:levels"], errors="coerce") if "building:levels" in b \
        else pd.Series(1.0, index=b.index)
    levels = levels.fillna(1).clip(1, 60)
    area = b.geometry.to_crs(b.geometry.estimate_utm_crs()).area
    return gpd.GeoDataFrame({"weight": (area * levels).to_numpy()},
                            geometry=b.geometry.representative_point().to_numpy(), crs=4326)


def population_points(
    neighbourhoods: gpd.GeoDataFrame, *, buildings: gpd.GeoDataFrame | None = None,
    node_lon=None, node_lat=None, method: str = "buildings",
) -> tuple[pd.DataFrame, dict[str, str]]:
    """Points ``code, lon, lat, population`` and the method used per neighbourhood.

    ``neighbourhoods`` has ``code``, ``population`` and polygon geometry (WGS84).
    """
    if method not in METHODS:
        raise InvalidParameter("population_method", f"must be one of {', '.join(METHODS)}")
    rows: list[pd.DataFrame] = []
    used: dict[str, str] = {}
    hoods = neighbourhoods[neighbourhoods["population"].notna()
                           & (neighbourhoods["population"] > 0)]
    b_by_code: dict[str, pd.DataFrame] = {}
    if method == "buildings" and buildings is not None and len(buildings):
        joined = gpd.sjoin(buildings, hoods[["code", "geometry"]], predicate="within")
        b_by_code = {c: g for c, g in joined.groupby("code")}
    nodes = None
    if node_lon is not None:
        nodes = gpd.GeoDataFrame(geometry=gpd.points_from_xy(node_lon, node_lat), crs=4326)
        nodes_in = gpd.sjoin(nodes, hoods[["code", "geometry"]], predicate="within")
        n_by_code = {c: g for c, g in nodes_in.groupby("code")}
    else:
        n_by_code = {}
    for code, pop, geom in zip(hoods["code"], hoods["population"], hoods.geometry):
        b = b_by_code.get(code)
        if b is not None and b["weight"].sum() > 0:
            w = b["weight"].to_numpy(float)
            pts = b.geometry
            used[code] = "buildings"
        elif code in n_by_code:
            pts = n_by_code[code].geometry
            w = np.ones(len(pts))
            used[code] = "nodes"
        else:
            pts = gpd.GeoSeries([geom.representative_point()])
            w = np.ones(1)
            used[code] = "centre"
        share = w / w.sum()
        vals = float(pop) * share
        vals[-1] = float(pop) - vals[:-1].sum()  # exact sum despite rounding
        rows.append(pd.DataFrame({"code": code, "lon": pts.x.to_numpy(), "lat": pts.y.to_numpy(),
                                  "population": vals}))
    if not rows:
        return pd.DataFrame(columns=["code", "lon", "lat", "population"]), used
    return pd.concat(rows, ignore_index=True), used

