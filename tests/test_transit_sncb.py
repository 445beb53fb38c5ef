"""The real Belgian railway feed (SNCB/NMBS, October 2019): import and earliest arrivals.

Expected times are read from the feed's own rows with pandas (calendar,
calendar_dates, trips, stop_times), not from our router; and a plain
time-expanded graph solved with scipy's Dijkstra must agree with it.
Station names in this feed are French (Gand-Saint-Pierre = Gent-Sint-Pieters,
Bruxelles-Midi = Brussel-Zuid).
"""

from __future__ import annotations

import datetime as dt
import zipfile

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from buurtkaart.cli import main
from buurtkaart.transit import routing, timetable
from buurtkaart.transit.expanded import ExpandedGraph
from buurtkaart.transit.gtfs import read_feed
from conftest import shared_file

pytestmark = pytest.mark.slow
SNCB = "sncb_gtfs_2019-10.zip"
DATE = 20191015  # a Tuesday


def _csv(name):
    with zipfile.ZipFile(shared_file(SNCB)) as z, z.open(name) as f:
        return pd.read_csv(f, dtype=str, keep_default_na=False).apply(lambda c: c.str.strip())


@pytest.fixture(scope="module")
def feed():
    return read_feed(shared_file(SNCB))


@pytest.fixture(scope="module")
def rows():
    """The feed's own rows, for answers worked out without our code."""
    stops, trips = _csv("stops.txt"), _csv("trips.txt")
    cal, exc = _csv("calendar.txt"), _csv("calendar_dates.txt")
    st = _csv("stop_times.txt")
    return stops, trips, cal, exc, st


def station(stops, name) -> str:
    """The stop_id used in stop_times for the station called ``name``."""
    hit = stops[(stops["stop_name"] == name) & (stops["location_type"] == "0")
                & ~stops["stop_id"].str.contains("_")]
    assert len(hit) == 1, name
    return hit["stop_id"].iloc[0]


def secs(t: str) -> int:
    h, m, s = (int(x) for x in t.split(":"))
    return h * 3600 + m * 60 + s


def first_direct_arrival(rows, a, b, t0, date=DATE):
    """Earliest arrival at ``b`` on one train boarded at ``a`` at or after ``t0``."""
    stops, trips, cal, exc, st = rows
    day = dt.date(date // 10000, date // 100 % 100, date % 100)
    wd = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
    on = set(cal[(cal[wd[day.weekday()]] == "1") & (cal["start_date"].astype(int) <= date)
                 & (cal["end_date"].astype(int) >= date)]["service_id"])
    e = exc[exc["date"].astype(int) == date]
    on = (on - set(e[e["exception_type"] == "2"]["service_id"])) | \
        set(e[e["exception_type"] == "1"]["service_id"])
    running = set(trips[trips["service_id"].isin(on)]["trip_id"])
    dep = st[(st["stop_id"] == a) & st["trip_id"].isin(running) & (st["pickup_type"] != "1")]
    arr = st[(st["stop_id"] == b) & (st["drop_off_type"] != "1")]
    m = dep.merge(arr, on="trip_id", suffixes=("_a", "_b"))
    m = m[(m["stop_sequence_a"].astype(int) < m["stop_sequence_b"].astype(int))
          & (m["departure_time_a"].map(secs) >= t0)]
    return int(m["arrival_time_b"].map(secs).min()) if len(m) else None


PAIRS = [("Gand-Saint-Pierre", "Bruxelles-Midi", "05:00"),
         ("Gand-Saint-Pierre", "Bruxelles-Midi", "07:31"),
         ("Bruxelles-Midi", "Anvers-Central", "17:45"),
         ("Liège-Guillemins", "Namur", "08:10"),
         ("Bruges", "Gand-Saint-Pierre", "12:00"),
         ("Bruxelles-Midi", "Gand-Saint-Pierre", "23:30")]


@pytest.mark.parametrize("a, b, t0", PAIRS)
def test_station_to_station_matches_the_timetable_rows(feed, rows, a, b, t0):
    tt = timetable.build([feed], DATE)
    ids = list(tt.stop_id)
    sa, sb = station(rows[0], a), station(rows[0], b)
    h, m = t0.split(":")
    start = int(h) * 3600 + int(m) * 60
    expected = first_direct_arrival(rows, sa, sb, start)
    assert expected is not None
    direct = routing.stop_arrivals(tt, [ids.index(sa)], start, max_transfers=0)[0]
    assert direct[ids.index(sb)] == expected
    any_route = routing.stop_arrivals(tt, [ids.index(sa)], start, max_transfers=3)[0]
    assert any_route[ids.index(sb)] <= expected


def test_first_weekday_morning_train_gent_to_brussels(feed, rows):
    tt = timetable.build([feed], DATE)
    ids = list(tt.stop_id)
    sa, sb = station(rows[0], "Gand-Saint-Pierre"), station(rows[0], "Bruxelles-Midi")
    got = routing.stop_arrivals(tt, [ids.index(sa)], 0, max_transfers=0)[0][ids.index(sb)]
    assert got == first_direct_arrival(rows, sa, sb, 0)
    assert 4 * 3600 < got < 7 * 3600  # a morning train, not a night one


def test_time_expanded_baseline_gives_the_same_arrivals(feed):
    tt = timetable.build([feed], DATE)
    tt.change[:] = 0  # the baseline knows no change times or walking links
    tt.links = tuple(np.zeros(0, np.int32) for _ in range(3))
    te = ExpandedGraph(tt)
    rng = np.random.default_rng(7)
    served = np.unique(tt.c_from)
    for origin, t0 in zip(rng.choice(served, 12, replace=False),
                          rng.integers(5 * 3600, 21 * 3600, 12)):
        ours = routing.stop_arrivals(tt, [int(origin)], int(t0), max_transfers=10)[0]
        assert np.array_equal(ours, te.arrivals(int(origin), int(t0)))


def test_cli_imports_the_national_feed(tmp_path, db_path):
    r = CliRunner().invoke(main, ["transit", "import", str(shared_file(SNCB)), "--name",
                                  "sncb"])
    assert r.exit_code == 0, r.output
    assert "2,636 stops" in r.output and "17,776 trips" in r.output
    assert "fares: none in this feed" in r.output
    assert "stop_time_overrides.txt" in r.output  # named as ignored
