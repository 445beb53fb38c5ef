"""Municipalities: outlines with NIS code and name, and which municipality each
neighbourhood belongs to.

A neighbourhood code starts with the NIS code of the municipality it was defined in
(:func:`buurtkaart.importers.geo.municipality_from_code`), which for the wijken of the
municipalities merged in 2019 (Deinze, Aalter, Lievegem, Kruisem, ...) is a code that no
longer exists. Two ways to put them right:

- :func:`assign_by_overlap`: with municipality outlines stored (``buurtkaart import
  municipalities FILE``), each neighbourhood goes to the municipality it overlaps most;
- :func:`assign_by_lookup`: from a published neighbourhood -> municipality table
  (``--municipality-lookup``, e.g. Provincies in Cijfers' ``ggw72024_gemeente2024.xlsx``).

Both return the neighbourhoods whose municipality differs from their code's prefix, so the
user sees every change.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely import wkb

from . import search
from .errors import ImportFailed, Problem
from .i18n import Msg

__all__ = ["read_municipalities", "save_municipalities", "assign_by_overlap",
           "assign_by_lookup", "municipality_names", "municipalities", "describe_changes"]


def read_municipalities(path: str | Path, *, code_field: str | None = None,
                        name_field: str | None = None, layer: str | None = None
                        ) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Municipality polygons (GeoPackage, Shapefile, GeoJSON; any CRS) as a WGS84
    GeoDataFrame ``code`` (five-digit NIS code), ``name``, geometry; and warnings.

    The code is taken from ``code_field`` or the first of ``nis_code``, ``niscode``,
    ``code``, ... present.

    Raises
    ------
    ImportFailed
        For every problem of the file (as for neighbourhoods), and for codes that are not
        five-digit NIS codes.
    """
    from .importers.geo import read_neighbourhoods

    if code_field is None:
        import pyogrio

        try:
            info = pyogrio.read_info(path, layer=layer)
            fields = [str(f) for f in info["fields"]]
        except Exception:  # read_neighbourhoods names the problem below
            fields = []
        code_field = next((f for f in ("nis_code", "NISCODE", "niscode", "NIS_CODE",
                                       "CD_MUNTY_REFNIS", "gemeente2024") if f in fields),
                          None)
    frame, warnings = read_neighbourhoods(path, code_field=code_field, name_field=name_field,
                                          layer=layer)
    bad = [(i, c) for i, c in enumerate(frame["code"], start=1)
           if not (len(c) == 5 and c.isdigit())]
    if bad:
        raise ImportFailed([Problem(str(path), Msg("feature %(num)s", num=i), code_field or "code",
                                    Msg("%(code)s is not a five-digit NIS municipality code",
                                        code=repr(c)))
                            for i, c in bad[:20]])
    return frame[["code", "name", "geometry"]], warnings


def save_municipalities(db, frame: gpd.GeoDataFrame, *, source: str) -> int:
    """Insert or update municipalities by code (one transaction)."""
    with db.atomic():
        for code, name, geom in zip(frame["code"], frame["name"], frame.geometry):
            db.execute("INSERT INTO municipalities (code, name, geometry, source) "
                       "VALUES (?, ?, ?, ?) ON CONFLICT (code) DO UPDATE SET "
                       "name = excluded.name, geometry = excluded.geometry, "
                       "source = excluded.source", [code, name, wkb.dumps(geom), source])
        search.refresh_areas(db, ())  # the search knows municipalities by these names
    return len(frame)


def municipality_names(db) -> dict[str, str]:
    """NIS code -> name of every stored municipality."""
    return {c: n for c, n in db.execute("SELECT code, name FROM municipalities") if n}


def _folded(text: str) -> str:
    """Lower case without accents or surrounding spaces ("Sint-Niklaas" = "sint-niklaas")."""
    import unicodedata

    return "".join(c for c in unicodedata.normalize("NFKD", text.strip().casefold())
                   if not unicodedata.combining(c))


def code_for(db, typed: str) -> str | None:
    """The NIS code a person means by ``typed``: a five-digit code as it is, otherwise the
    code of the municipality with that name (case and accents do not matter); ``None``
    when no stored municipality has that name."""
    typed = typed.strip()
    if typed.isascii() and typed.isdigit() and len(typed) == 5:
        return typed
    want = _folded(typed)
    return next((c for c, n in municipality_names(db).items() if _folded(n) == want), None)


def municipalities(db) -> list[dict]:
    """Stored municipalities with their number of neighbourhoods, by code; those only
    named by neighbourhoods (no outline imported) too, without a name."""
    counts = dict(db.execute("SELECT municipality_code, count(*) FROM neighbourhoods "
                             "WHERE municipality_code IS NOT NULL GROUP BY 1").fetchall())
    names = dict(db.execute("SELECT code, name FROM municipalities").fetchall())
    return [{"code": c, "name": names.get(c), "neighbourhoods": counts.get(c, 0)}
            for c in sorted(set(counts) | set(names))]


def _prefix(code: str) -> str | None:
    from .importers.geo import municipality_from_code

    return municipality_from_code(code)


def _apply(db, assigned: dict[str, str]) -> None:
    with db.atomic():
        db.conn.executemany("UPDATE neighbourhoods SET municipality_code = ? WHERE code = ?",
                            [(m, c) for c, m in assigned.items()])


def assign_by_overlap(db) -> dict:
    """Give every stored neighbourhood the stored municipality it overlaps most.

    Areas are compared in a metric projection (the UTM zone of the data). A neighbourhood
    overlapping no municipality keeps its municipality code and is listed in ``outside``.

    Returns
    -------
    dict
        ``assigned`` (number of neighbourhoods), ``changes``: one dict per neighbourhood
        whose municipality differs from its code's prefix (``code``, ``name``, ``prefix``,
        ``municipality``, ``municipality_name``, ``share`` of its area in that
        municipality), ``outside``: codes overlapping no municipality.
    """
    hoods = [(c, n, wkb.loads(g)) for c, n, g in
             db.execute("SELECT code, name, geometry FROM neighbourhoods ORDER BY code")]
    munis = [(c, n, wkb.loads(g)) for c, n, g in
             db.execute("SELECT code, name, geometry FROM municipalities "
                        "WHERE geometry IS NOT NULL ORDER BY code")]
    if not munis:
        raise ImportFailed([Problem("municipalities", None, None, Msg(
            "no municipality outlines stored: run `buurtkaart import municipalities FILE` "
            "first"))])
    if not hoods:
        return {"assigned": 0, "changes": [], "outside": []}
    h = gpd.GeoSeries([g for *_, g in hoods], crs=4326)
    m = gpd.GeoSeries([g for *_, g in munis], crs=4326)
    crs = h.estimate_utm_crs()
    hg, mg = np.asarray(h.to_crs(crs).make_valid()), np.asarray(m.to_crs(crs).make_valid())
    hi, mi = shapely.STRtree(mg).query(hg, predicate="intersects")
    areas = shapely.area(shapely.intersection(hg[hi], mg[mi]))
    pairs = pd.DataFrame({"h": hi, "m": mi, "area": areas})
    pairs = pairs[pairs["area"] > 0]
    best = pairs.loc[pairs.groupby("h")["area"].idxmax()] if len(pairs) else pairs
    own = shapely.area(hg)
    assigned, changes = {}, []
    for k, mk, area in zip(best["h"], best["m"], best["area"]):
        code, name, _ = hoods[k]
        muni, muni_name, _ = munis[mk]
        assigned[code] = muni
        if _prefix(code) != muni:
            changes.append({"code": code, "name": name, "prefix": _prefix(code),
                            "municipality": muni, "municipality_name": muni_name,
                            "share": float(area / own[k]) if own[k] else None})
    _apply(db, assigned)
    outside = [hoods[k][0] for k in range(len(hoods)) if hoods[k][0] not in assigned]
    return {"assigned": len(assigned), "changes": changes, "outside": outside}


def assign_by_lookup(db, lookup: pd.DataFrame) -> dict:
    """Give every stored neighbourhood its municipality from a ``code, municipality_code``
    table (:func:`buurtkaart.importers.lookups.read_municipality_lookup`).

    Returns ``assigned``, ``changes`` (as :func:`assign_by_overlap`, without ``share``) and
    ``missing``: stored neighbourhoods the table does not name (left unchanged).
    """
    by = dict(zip(lookup["code"].astype(str), lookup["municipality_code"].astype(str)))
    names = municipality_names(db)
    hoods = db.execute("SELECT code, name FROM neighbourhoods ORDER BY code").fetchall()
    assigned, changes, missing = {}, [], []
    for code, name in hoods:
        muni = by.get(code)
        if muni is None:
            missing.append(code)
            continue
        assigned[code] = muni
        if _prefix(code) != muni:
            changes.append({"code": code, "name": name, "prefix": _prefix(code),
                            "municipality": muni, "municipality_name": names.get(muni),
                            "share": None})
    _apply(db, assigned)
    return {"assigned": len(assigned), "changes": changes, "missing": missing}


def describe_changes(result: dict, how: str) -> list[str]:
    """Lines for the user: the summary, then one line per neighbourhood that changed."""
    lines = [f"assigned {result['assigned']} neighbourhoods to a municipality {how}; "
             f"{len(result['changes'])} disagree with the municipality their code starts "
             "with:"]
    for c in result["changes"]:
        where = f"{c['municipality']} {c['municipality_name'] or ''}".strip()
        share = f" ({c['share']:.0%} of its area)" if c.get("share") is not None else ""
        lines.append(f"  {c['code']} {c['name'] or ''}: code says {c['prefix']}, "
                     f"now {where}{share}")
    if result.get("outside"):
        lines.append(f"warning: {len(result['outside'])} neighbourhoods overlap no "
                     f"municipality and keep their code's: {', '.join(result['outside'][:20])}")
    if result.get("missing"):
        lines.append(f"warning: {len(result['missing'])} neighbourhoods are not in the lookup "
                     f"and keep their municipality: {', '.join(result['missing'][:20])}")
    return lines
