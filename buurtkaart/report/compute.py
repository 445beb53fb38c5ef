"""The municipal coverage report: what share of a municipality's residents reach a
meeting place, by mode, working model and threshold, per neighbourhood, on a date.

Every share is the population-weighted aggregate that ``/api/coverage?by=municipality``
gives for the same question (:func:`buurtkaart.coverage.aggregate_municipalities` over
:func:`buurtkaart.access.run_coverage`), so the report and the API never disagree.
An earlier date is answered on a snapshot of the directory and the indicators as they
stood at the end of that day (:mod:`buurtkaart.history`).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from .. import access, coverage, history, network, store
from ..errors import InvalidParameter
from ..filters import Filter
from ..i18n import N_
from ..indicators import need_index, typology
from ..taxonomy import THRESHOLDS, WORKING_MODELS
from ..when import directory_timezone

__all__ = ["MODES", "FILTERS", "TRANSIT_DEPART", "parse_day", "build_report", "database_at",
           "count_steps"]

THRESHOLDS_MIN = coverage.THRESHOLD_MINUTES
MODES = ("walk", "slow_walk", "wheelchair", "bike")
#: The departure window of the transit row (a weekday morning), when a feed is loaded.
TRANSIT_DEPART = "tu 09:00-10:00"
#: Threshold filters of the report: key -> (filter parameters, label).
FILTERS: dict[str, tuple[dict, str]] = {
    "free": ({"free": "true"}, THRESHOLDS["free"].label_en),
    "walk_in": ({"walk_in": "true"}, THRESHOLDS["walk_in"].label_en),
    "childcare": ({"childcare": "true"}, THRESHOLDS["childcare"].label_en),
    "no_internet": ({"no_internet": "true"}, THRESHOLDS["no_internet"].label_en),
    "wheelchair": ({"wheelchair": "true"}, N_("wheelchair accessible")),
    "evening": ({"when": "tonight"}, N_("open in the evening")),
    "weekend": ({"when": "weekend"}, N_("open at the weekend")),
}
Progress = Callable[[str], None]


def parse_day(text: str | None, name: str, today: dt.date) -> dt.date | None:
    """A date ``YYYY-MM-DD`` not after ``today`` (None when empty)."""
    if text in (None, ""):
        return None
    try:
        day = dt.date.fromisoformat(str(text).strip())
    except ValueError:
        raise InvalidParameter(name, f"expected a date like 2025-01-01, got {text!r}") from None
    if day > today:
        raise InvalidParameter(name, f"{day.isoformat()} is in the future (today is "
                                     f"{today.isoformat()})")
    return day


@contextmanager
def database_at(db, day: dt.date | None, today: dt.date):
    """``db`` itself for today, or a snapshot database of the end of ``day``."""
    if day is None or day >= today:
        yield db
        return
    path = history.snapshot(db, history.end_of_day(day, directory_timezone(db)), day=day)
    snap = store.connect(Path(path))
    try:
        yield snap
    finally:
        snap.conn.close()


def _shares(db, filt: Filter, code: str, mode: str, minutes: float, cache_dir,
            transit=None) -> tuple[dict, pd.DataFrame]:
    cov, _report = access.run_coverage(db, filt, mode=mode, minutes=minutes,
                                       cache_dir=cache_dir, transit=transit)
    agg = coverage.aggregate_municipalities(cov, dict(zip(cov["code"], cov["municipality_code"])))
    row = agg[agg["municipality_code"] == code]
    row = row.iloc[0].to_dict() if len(row) else {}
    return row, cov


def _share_dict(row: dict) -> dict[int, float | None]:
    out = {}
    for m in THRESHOLDS_MIN:
        v = row.get(f"share_within_{m}")
        out[m] = None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)
    return out


def _filter(params: dict, code: str, now: dt.datetime) -> Filter:
    return Filter.from_params({**params, "municipality": code}, now=now)


def _hood_rows(db, code: str, cov: pd.DataFrame) -> list[dict]:
    import geopandas as gpd

    hoods = store.neighbourhoods(db, municipality=code)
    frame = store.indicator_frame(db)
    need = {}
    if not frame.empty:
        idx = need_index(frame, codes=[h["code"] for h in store.neighbourhoods(db)])
        need = dict(zip(idx["code"], idx["need_index"]))
    gdf = gpd.GeoDataFrame({"code": [h["code"] for h in hoods]},
                           geometry=[h["geometry"] for h in hoods], crs=4326)
    typ = {}
    if not frame.empty and len(gdf):
        t = typology(frame[frame["code"].isin(set(gdf["code"]))], gdf)
        typ = dict(zip(t["code"], t["typology"]))
    by_code = {r["code"]: r for r in cov.to_dict("records")}
    rows = []
    for h in hoods:
        c = by_code.get(h["code"], {})
        value = need.get(h["code"])
        rows.append({"code": h["code"], "name": h.get("name") or h["code"],
                     "population": c.get("population"), "shares": _share_dict(c),
                     "need_index": None if value is None or pd.isna(value) else float(value),
                     "typology": typ.get(h["code"], "unknown"), "geometry": h["geometry"]})
    return sorted(rows, key=lambda r: r["name"])


def _steps(with_transit: bool, compare: bool) -> int:
    return len(MODES) + with_transit + len(WORKING_MODELS) + len(FILTERS) + 2 * compare


def count_steps(db, *, compare: bool) -> int:
    """How many coverage questions :func:`build_report` asks (for a progress bar)."""
    return _steps(bool(access.feeds_version(db)), compare)


def build_report(db, code: str, name: str, *, now: dt.datetime, mode: str = "walk",
                 minutes: float = 15, on: dt.date | None = None,
                 compare: dt.date | None = None, cache_dir=None,
                 progress: Progress | None = None) -> dict:
    """The report of municipality ``code`` (see the module docstring).

    ``on``: the date the report describes (None: today). ``compare``: an earlier (or
    later) date whose coverage within ``minutes`` by ``mode`` is set beside it, per
    neighbourhood. Raises :class:`~buurtkaart.history.NothingKnown` for a date before
    any data, and :class:`InvalidParameter` when no population is stored.
    """
    network.profile(mode)
    today = now.date()
    for day in (on, compare):  # a date before any data is said at once, not after the work
        if day is not None and day < today:
            history.check_known(db, history.end_of_day(day, directory_timezone(db)), day)
    tick = progress or (lambda _step: None)
    transit_opts = None
    if access.feeds_version(db):
        from ..transit.reach import TransitOptions

        transit_opts = TransitOptions(depart=TRANSIT_DEPART, access="walk")
    out = {"code": code, "name": name, "on": on, "today": today, "mode": mode,
           "minutes": minutes, "modes": [], "models": [], "filters": [], "notes": [],
           "compare": None, "transit_depart": TRANSIT_DEPART if transit_opts else None,
           "steps": _steps(transit_opts is not None, compare is not None)}
    with database_at(db, on, today) as at:
        everything = _filter({}, code, now)
        for key in MODES + (("transit",) if transit_opts else ()):
            tick(key)
            row, cov = _shares(at, everything, code, key, minutes, cache_dir,
                               transit_opts if key == "transit" else None)
            label = network.PROFILES[key].label if key in network.PROFILES \
                else N_("public transport")
            out["modes"].append({"key": key, "label": label, "shares": _share_dict(row)})
            if key == mode:
                out["population"] = row.get("population") or 0.0
                out["neighbourhoods"] = _hood_rows(at, code, cov)
        for key, model in WORKING_MODELS.items():
            tick(f"model {key}")
            row, _cov = _shares(at, _filter({"model": key}, code, now), code, mode, minutes,
                                cache_dir)
            out["models"].append({"key": key, "label": model.label_en, "colour": model.colour,
                                  "shares": _share_dict(row)})
        for key, (params, label) in FILTERS.items():
            tick(f"filter {key}")
            row, _cov = _shares(at, _filter(params, code, now), code, mode, minutes, cache_dir)
            out["filters"].append({"key": key, "label": label, "shares": _share_dict(row)})
    if compare is not None:
        out["compare"] = _compare(db, code, now=now, mode=mode, minutes=minutes, first=compare,
                                  second=on, cache_dir=cache_dir, tick=tick)
    return out


def _compare(db, code: str, *, now, mode, minutes, first: dt.date, second: dt.date | None,
             cache_dir, tick) -> dict:
    """Coverage within ``minutes`` per neighbourhood on ``first`` and on ``second``
    (None: today): the residents who gained or lost a place within reach."""
    today = now.date()
    column = f"share_within_{coverage._label(minutes)}" \
        if minutes in THRESHOLDS_MIN else "share_within"
    frames, totals = [], []
    for day in (first, second):
        tick(f"date {(day or today).isoformat()}")
        with database_at(db, day, today) as at:
            row, cov = _shares(at, _filter({}, code, now), code, mode, minutes, cache_dir)
        frames.append(cov.set_index("code"))
        totals.append(row)
    a, b = frames
    rows = []
    for hood in sorted(set(a.index) | set(b.index), key=lambda c: str(
            (b["name"].get(c) if c in b.index else a["name"].get(c)) or c)):
        ra = a.loc[hood] if hood in a.index else None
        rb = b.loc[hood] if hood in b.index else None
        rows.append(_change_row(hood, ra, rb, column))
    total = _change_row(code, pd.Series(totals[0]), pd.Series(totals[1]),
                        column if column in totals[0] or column in totals[1] else "share_within")
    return {"first": first, "second": second or today, "minutes": minutes, "mode": mode,
            "rows": rows, "total": total}


def _change_row(code, ra, rb, column: str) -> dict:
    def get(r, key):
        if r is None or key not in r.index:
            return None
        v = r[key]
        return None if v is None or pd.isna(v) else float(v)

    pa, pb = get(ra, "population"), get(rb, "population")
    sa, sb = get(ra, column), get(rb, column)
    reached_a = pa * sa if pa is not None and sa is not None else None
    reached_b = pb * sb if pb is not None and sb is not None else None
    name = (rb if rb is not None else ra).get("name") if (rb is not None or ra is not None) \
        else None
    return {"code": code, "name": name if isinstance(name, str) else code,
            "population_first": pa, "population_second": pb,
            "share_first": sa, "share_second": sb,
            "reached_first": reached_a, "reached_second": reached_b,
            "change": (sb - sa) if sa is not None and sb is not None else None,
            "gained": (reached_b - reached_a) if reached_a is not None
            and reached_b is not None else None}
