"""Reading and validating a GTFS feed (a zip) into compact numpy arrays.

Files read: ``agency``, ``stops``, ``routes``, ``trips``, ``stop_times``,
``calendar`` and/or ``calendar_dates`` (at least one), and where present
``transfers``, ``frequencies``, ``fare_attributes`` and ``fare_rules`` (fares
v1) and the fares v2 files (:mod:`buurtkaart.transit.gtfs_fares_v2`). Other
files are listed as ignored.

Every problem found is reported with the file, the line (1-based; the header
is line 1) and the field; nothing is returned when there is any problem
(:class:`~buurtkaart.errors.ImportFailed`). ``stop_times.txt`` is streamed in
chunks of :data:`CHUNK_ROWS` rows, so memory stays bounded by the compact
arrays plus one chunk of text, whatever the size of the feed.

Times are seconds after the service day's noon minus 12 h (GTFS: ``25:10:00`` is
01:10 the next morning, a trip past midnight). Stop times without a time
(non-timepoints) are interpolated linearly by position between the timed stops
around them.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import ImportFailed, Problem
from ..i18n import N_, Msg

__all__ = ["Feed", "read_feed", "CHUNK_ROWS", "MAX_PROBLEMS"]

CHUNK_ROWS = 100_000
MAX_PROBLEMS = 50
REQUIRED = {
    "agency.txt": ["agency_name", "agency_url", "agency_timezone"],
    "stops.txt": ["stop_id"],
    "routes.txt": ["route_id", "route_type"],
    "trips.txt": ["route_id", "service_id", "trip_id"],
    "stop_times.txt": ["trip_id", "stop_id", "stop_sequence"],
}
OPTIONAL = {
    "calendar.txt": ["service_id", "monday", "tuesday", "wednesday", "thursday", "friday",
                     "saturday", "sunday", "start_date", "end_date"],
    "calendar_dates.txt": ["service_id", "date", "exception_type"],
    "transfers.txt": ["from_stop_id", "to_stop_id", "transfer_type"],
    "frequencies.txt": ["trip_id", "start_time", "end_time", "headway_secs"],
    "fare_attributes.txt": ["fare_id", "price", "currency_type", "payment_method", "transfers"],
    "fare_rules.txt": ["fare_id"],
}
from .gtfs_fares_v2 import FILES as _V2_FILES  # noqa: E402

OPTIONAL.update(_V2_FILES)
DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]

#: Array names of a :class:`Feed` (its storage layout).
ARRAYS = (
    "stop_id", "stop_name", "stop_lat", "stop_lon", "stop_zone", "stop_parent",
    "route_id", "route_name", "route_type", "trip_id", "trip_route", "trip_service",
    "service_id", "cal_service", "cal_days", "cal_start", "cal_end",
    "exc_service", "exc_date", "exc_type",
    "st_trip", "st_stop", "st_arr", "st_dep", "st_pickup", "st_dropoff",
    "tr_from", "tr_to", "tr_type", "tr_seconds",
    "fq_trip", "fq_start", "fq_end", "fq_headway",
    "fare_id", "fare_price", "fare_currency", "fare_transfers", "fare_duration",
    "fr_fare", "fr_route", "fr_origin", "fr_destination", "fr_contains",
)


@dataclass
class Feed:
    """A validated feed as arrays (indices are positions in the id arrays).

    ``st_*`` are the stop times sorted by trip and stop_sequence; ``cal_days``
    is a (services x 7) boolean array Monday..Sunday; dates are ``YYYYMMDD``
    integers; times are seconds (int32) after the service day's midnight.
    """

    arrays: dict[str, np.ndarray]
    agencies: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)

    def __getattr__(self, name):
        try:
            return self.__dict__["arrays"][name]
        except KeyError:
            raise AttributeError(name) from None

    @property
    def has_fares(self) -> bool:
        return self.fare_model is not None

    @property
    def fare_model(self) -> str | None:
        """``"v2"`` when the feed has fare leg rules (the spec: v2 wins over v1),
        ``"v1"`` when it has fare_attributes, else None."""
        if len(self.arrays.get("fl_product", ())):
            return "v2"
        return "v1" if len(self.arrays["fare_id"]) else None

    def counts(self) -> dict[str, int]:
        return {"agencies": len(self.agencies), "stops": len(self.stop_id),
                "routes": len(self.route_id), "trips": len(self.trip_id),
                "stop_times": len(self.st_trip), "services": len(self.service_id),
                "transfers": len(self.tr_from), "frequencies": len(self.fq_trip),
                "fares": len(self.fare_id), "fare_products": len(self.fp_id),
                "fare_leg_rules": len(self.fl_product),
                "fare_transfer_rules": len(self.ft_type)}

    def date_range(self) -> tuple[int, int] | None:
        dates = np.concatenate([self.cal_start, self.cal_end, self.exc_date])
        return (int(dates.min()), int(dates.max())) if len(dates) else None


#: (whole number?, range) -> what a number column expects
_EXPECTED_NUMBER = {
    (False, "any"): N_("expected a number"),
    (True, "any"): N_("expected a whole number"),
    (False, "between"): N_("expected a number between %(lo)s and %(hi)s"),
    (True, "between"): N_("expected a whole number between %(lo)s and %(hi)s"),
    (False, "from"): N_("expected a number >= %(lo)s"),
    (True, "from"): N_("expected a whole number >= %(lo)s"),
}
#: the kind of id -> its duplicate problem
_DUPLICATE = {"stop": N_("duplicate stop id"), "route": N_("duplicate route id"),
              "service": N_("duplicate service id"), "trip": N_("duplicate trip id"),
              "fare": N_("duplicate fare id"), "network": N_("duplicate network id"),
              "area": N_("duplicate area id"),
              "rider category": N_("duplicate rider category id"),
              "fare media": N_("duplicate fare media id")}


class _Problems:
    def __init__(self):
        self.items: list[Problem] = []
        self.more = 0

    def add(self, file, line, fld, reason):
        if len(self.items) < MAX_PROBLEMS:
            self.items.append(Problem(file, Msg("line %(num)s", num=line) if line else None,
                                      fld, reason))
        else:
            self.more += 1

    def rows(self, file, mask, lines, fld, reason):
        """One problem per row where ``mask`` holds (``lines``: their line numbers)."""
        for ln in np.asarray(lines)[np.asarray(mask, bool)][:MAX_PROBLEMS]:
            self.add(file, int(ln), fld, reason)
        extra = int(np.sum(mask)) - MAX_PROBLEMS
        if extra > 0:
            self.more += extra

    def raise_if_any(self):
        if self.items:
            items = list(self.items)
            if self.more:
                items.append(Problem(items[0].file, None, None,
                                     Msg("... and %(num)s more problems", num=self.more)))
            raise ImportFailed(items)


from .gtfs_fares_v2 import fares_v2  # noqa: E402
from .gtfs_times import fares, frequencies, stop_times, transfers  # noqa: E402


def _read(zf: zipfile.ZipFile, name: str, chunksize=None):
    raw = zf.open(name)
    return pd.read_csv(io.TextIOWrapper(raw, encoding="utf-8-sig"), dtype=str,
                       keep_default_na=False, skipinitialspace=True, chunksize=chunksize)


def _columns(df, name, need, probs) -> bool:
    df.columns = [c.strip() for c in df.columns]
    missing = [c for c in need if c not in df.columns]
    for c in missing:
        probs.add(name, 1, c, Msg("required column is missing"))
    return not missing


def _lines(df, start=0) -> np.ndarray:
    return np.arange(len(df)) + start + 2


def _strip(s: pd.Series) -> pd.Series:
    return s.str.strip()


def _numbers(df, name, col, probs, *, required=True, lo=None, hi=None, integer=False,
             start=0, default=np.nan) -> np.ndarray:
    if col not in df.columns:
        return np.full(len(df), default, float)
    text = _strip(df[col])
    empty = (text == "").to_numpy()
    val = pd.to_numeric(text, errors="coerce").to_numpy(float, copy=True)
    bad = ~empty & ~np.isfinite(val)
    if integer:
        bad |= np.isfinite(val) & (val != np.round(val))
    if lo is not None:
        bad |= np.isfinite(val) & (val < lo)
    if hi is not None:
        bad |= np.isfinite(val) & (val > hi)
    rng = "any" if lo is None else "between" if hi is not None else "from"
    probs.rows(name, bad, _lines(df, start), col,
               Msg(_EXPECTED_NUMBER[integer, rng], lo=lo, hi=hi))
    if required:
        probs.rows(name, empty, _lines(df, start), col, Msg("required value is empty"))
    val[empty] = default
    return val


def _times(df, name, col, probs, start=0) -> np.ndarray:
    """Seconds after midnight (may exceed 24 h); -1 where empty."""
    text = _strip(df[col]) if col in df.columns else pd.Series([""] * len(df))
    parts = text.str.extract(r"^(\d{1,3}):([0-5]\d):([0-5]\d)$")
    ok = parts[0].notna().to_numpy()
    empty = (text == "").to_numpy()
    probs.rows(name, ~ok & ~empty, _lines(df, start), col, Msg("expected a time HH:MM:SS"))
    secs = np.full(len(df), -1, np.int64)
    if ok.any():
        p = parts[ok].astype(np.int64).to_numpy()
        secs[ok] = p[:, 0] * 3600 + p[:, 1] * 60 + p[:, 2]
    return secs


def _dates(df, name, col, probs) -> np.ndarray:
    text = _strip(df[col])
    parsed = pd.to_datetime(text, format="%Y%m%d", errors="coerce")
    bad = parsed.isna().to_numpy()
    probs.rows(name, bad, _lines(df), col, Msg("expected a date YYYYMMDD"))
    out = np.zeros(len(df), np.int32)
    out[~bad] = text[~bad].astype(np.int64).to_numpy()
    return out


def _index(values: pd.Series, name, col, probs, file_kind) -> pd.Index:
    ids = _strip(values)
    probs.rows(name, (ids == "").to_numpy(), _lines(values), col, Msg("required value is empty"))
    dup = ids.duplicated().to_numpy() & (ids != "").to_numpy()
    probs.rows(name, dup, _lines(values), col, Msg(_DUPLICATE[file_kind]))
    return pd.Index(ids)


def _refs(values: pd.Series, index: pd.Index, name, col, probs, target, *, start=0,
          optional=False) -> np.ndarray:
    ids = _strip(values)
    if index.is_unique:
        pos = index.get_indexer(ids)
    else:  # duplicates are reported where they are; refer to the first one
        first = pd.Series(np.arange(len(index)), index=index)
        first = first[~first.index.duplicated()]
        pos = first.reindex(ids).fillna(-1).to_numpy(np.int64)
    bad = pos < 0
    if optional:
        bad &= (ids != "").to_numpy()
    probs.rows(name, bad, _lines(values, start), col,
               Msg("not a %(field)s in the feed", field=target))
    return pos


def read_feed(path: str | Path, *, progress: Callable[[int, int], None] | None = None
              ) -> Feed:
    """Read and validate the GTFS zip at ``path``.

    ``progress(done_rows, total_bytes_hint)`` is called after every chunk of
    ``stop_times.txt`` with the number of rows read so far.
    """
    path = Path(path)
    probs = _Problems()
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ImportFailed([Problem(str(path), None, None, Msg(
            "not a readable zip file (%(error)s)", error=str(exc)))])
    with zf:
        names = {Path(n).name: n for n in zf.namelist() if not n.endswith("/")}
        for req in REQUIRED:
            if req not in names:
                probs.add(req, None, None, Msg("required file is missing from the feed"))
        if "calendar.txt" not in names and "calendar_dates.txt" not in names:
            probs.add("calendar.txt", None, None,
                      Msg("the feed needs calendar.txt or calendar_dates.txt"))
        probs.raise_if_any()
        tables = {}
        for name, need in {**REQUIRED, **OPTIONAL}.items():
            if name in names and name != "stop_times.txt":
                try:
                    df = _read(zf, names[name])
                except (pd.errors.ParserError, UnicodeDecodeError) as exc:
                    probs.add(name, None, None, Msg("not a readable CSV file (%(error)s)",
                                                    error=str(exc)))
                    continue
                if _columns(df, name, need, probs):
                    tables[name] = df
        probs.raise_if_any()
        a: dict[str, np.ndarray] = {}
        agencies = _strip(tables["agency.txt"]["agency_name"]).tolist()
        agency_ids = pd.Index(_strip(tables["agency.txt"].get(
            "agency_id", pd.Series([""] * len(agencies)))))
        _stops(tables["stops.txt"], a, probs)
        routes = _routes(tables["routes.txt"], a, agency_ids, probs)
        services = _services(tables, a, probs)
        trips = _trips(tables["trips.txt"], a, routes, services, probs)
        stops = pd.Index(a["stop_id"])
        probs.raise_if_any()
        stop_times(_read(zf, names["stop_times.txt"], CHUNK_ROWS), a, trips, stops, probs,
                   progress)
        transfers(tables.get("transfers.txt"), a, stops, probs)
        frequencies(tables.get("frequencies.txt"), a, trips, probs)
        fares(tables, a, routes, probs)
        fares_v2(tables, a, routes, probs)
        probs.raise_if_any()
        ignored = sorted(set(names) - set(REQUIRED) - set(OPTIONAL))
    return Feed(a, agencies, ignored)


def _stops(df, a, probs):
    name = "stops.txt"
    ids = _index(df["stop_id"], name, "stop_id", probs, "stop")
    loc = _numbers(df, name, "location_type", probs, required=False, lo=0, hi=4,
                   integer=True, default=0)
    needs_pos = loc <= 2
    for col, lo, hi in (("stop_lat", -90, 90), ("stop_lon", -180, 180)):
        if col not in df.columns:
            probs.add(name, 1, col, Msg("required column is missing"))
            a[col] = np.full(len(df), np.nan)
            continue
        val = _numbers(df, name, col, probs, required=False, lo=lo, hi=hi)
        probs.rows(name, needs_pos & (_strip(df[col]) == "").to_numpy(), _lines(df), col,
                   Msg("required value is empty"))
        a[col] = val
    a["stop_id"] = ids.to_numpy(str)
    a["stop_name"] = _strip(df.get("stop_name", pd.Series([""] * len(df)))).to_numpy(str)
    a["stop_zone"] = _strip(df.get("zone_id", pd.Series([""] * len(df)))).to_numpy(str)
    parent = df.get("parent_station", pd.Series([""] * len(df)))
    a["stop_parent"] = _refs(parent, ids, name, "parent_station", probs, "stop_id",
                             optional=True).astype(np.int32)


def _routes(df, a, agency_ids, probs):
    name = "routes.txt"
    ids = _index(df["route_id"], name, "route_id", probs, "route")
    if "agency_id" in df.columns and len(agency_ids) > 1:
        _refs(df["agency_id"], agency_ids, name, "agency_id", probs, "agency_id")
    rtype = _numbers(df, name, "route_type", probs, lo=0, hi=1702, integer=True, default=3)
    short = _strip(df.get("route_short_name", pd.Series([""] * len(df))))
    long = _strip(df.get("route_long_name", pd.Series([""] * len(df))))
    both_empty = ((short == "") & (long == "")).to_numpy()
    probs.rows(name, both_empty, _lines(df), "route_short_name",
               Msg("route_short_name or route_long_name is required"))
    a["route_id"] = ids.to_numpy(str)
    a["route_name"] = short.where(short != "", long).to_numpy(str)
    a["route_type"] = rtype.astype(np.int16)
    return ids


def _services(tables, a, probs):
    ids = []
    cal = tables.get("calendar.txt")
    if cal is not None:
        name = "calendar.txt"
        cal_ids = _index(cal["service_id"], name, "service_id", probs, "service")
        days = np.column_stack([_numbers(cal, name, d, probs, lo=0, hi=1, integer=True,
                                         default=0) for d in DAYS]) if len(cal) else \
            np.zeros((0, 7))
        start, end = _dates(cal, name, "start_date", probs), _dates(cal, name, "end_date", probs)
        probs.rows(name, end < start, _lines(cal), "end_date",
                   Msg("end_date is before start_date"))
        ids += list(cal_ids)
        a["cal_days"], a["cal_start"], a["cal_end"] = days.astype(bool), start, end
    else:
        a["cal_days"] = np.zeros((0, 7), bool)
        a["cal_start"] = a["cal_end"] = np.zeros(0, np.int32)
    exc = tables.get("calendar_dates.txt")
    if exc is not None:
        name = "calendar_dates.txt"
        probs.rows(name, (_strip(exc["service_id"]) == "").to_numpy(), _lines(exc),
                   "service_id", Msg("required value is empty"))
        a["exc_date"] = _dates(exc, name, "date", probs)
        a["exc_type"] = _numbers(exc, name, "exception_type", probs, lo=1, hi=2, integer=True,
                                 default=2).astype(np.int8)
        ids += list(pd.unique(_strip(exc["service_id"])))
    services = pd.Index(pd.unique(pd.Series(ids, dtype=str)))
    a["service_id"] = services.to_numpy(str)
    a["cal_service"] = services.get_indexer(cal_ids).astype(np.int32) if cal is not None \
        else np.zeros(0, np.int32)
    a["exc_service"] = services.get_indexer(_strip(exc["service_id"])).astype(np.int32) \
        if exc is not None else np.zeros(0, np.int32)
    if exc is None:
        a["exc_date"], a["exc_type"] = np.zeros(0, np.int32), np.zeros(0, np.int8)
    return services


def _trips(df, a, routes, services, probs):
    name = "trips.txt"
    ids = _index(df["trip_id"], name, "trip_id", probs, "trip")
    a["trip_route"] = _refs(df["route_id"], routes, name, "route_id", probs,
                            "route_id").astype(np.int32)
    a["trip_service"] = _refs(df["service_id"], services, name, "service_id", probs,
                              "service_id of calendar.txt or calendar_dates.txt"
                              ).astype(np.int32)
    a["trip_id"] = ids.to_numpy(str)
    return ids
