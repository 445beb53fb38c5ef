"""Public transport: GTFS import (all-or-nothing) and earliest-arrival routing.

The small feed below is written by the test; every expected time is worked out
by hand from its rows (see the comments).
"""

from __future__ import annotations

import zipfile

import numpy as np
import pytest
from click.testing import CliRunner

from buurtkaart import store
from buurtkaart.cli import main
from buurtkaart.transit import routing, storage, timetable
from buurtkaart.transit.expanded import ExpandedGraph

FEED = {
    "agency.txt": "agency_id,agency_name,agency_url,agency_timezone\n"
                  "T,Testbus,https://example.org,Europe/Brussels\n",
    "stops.txt": "stop_id,stop_name,stop_lat,stop_lon,zone_id\n"
                 "A,Alpha,51.000,3.700,Z1\nB,Bravo,51.010,3.710,Z1\nC,Charlie,51.020,3.720,Z2\n"
                 "D,Delta,51.030,3.730,Z2\nE,Echo,51.000,3.690,Z1\n",
    "routes.txt": "route_id,agency_id,route_short_name,route_type\n"
                  "R1,T,1,3\nR2,T,2,0\nR3,T,3,3\n",
    # WK runs Monday-Friday except Tuesday 2026-12-08 (removed); SP only on that day
    "calendar.txt": "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,"
                    "start_date,end_date\nWK,1,1,1,1,1,0,0,20260101,20261231\n",
    "calendar_dates.txt": "service_id,date,exception_type\nWK,20261208,2\nSP,20261208,1\n",
    "trips.txt": "route_id,service_id,trip_id\nR1,WK,t1\nR2,WK,t2\nR2,WK,t3\nR1,SP,t4\n"
                 "R2,WK,t5\nR3,WK,t6\n",
    "stop_times.txt": "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n"
                      "t1,08:00:00,08:00:00,A,1\nt1,08:10:00,08:10:00,B,2\n"
                      "t1,08:20:00,08:20:00,C,3\n"
                      "t2,08:22:00,08:22:00,C,1\nt2,08:40:00,08:40:00,D,2\n"
                      "t3,08:30:00,08:30:00,C,1\nt3,08:48:00,08:48:00,D,2\n"
                      "t4,08:05:00,08:05:00,A,1\nt4,08:35:00,08:35:00,C,2\n"
                      "t5,25:10:00,25:10:00,C,1\nt5,25:30:00,25:30:00,D,2\n"
                      "t6,00:00:00,00:00:00,A,1\nt6,00:12:00,00:12:00,E,2\n",
    # changing vehicles at C takes 5 minutes
    "transfers.txt": "from_stop_id,to_stop_id,transfer_type,min_transfer_time\nC,C,2,300\n",
    # t6 is a template run every 10 minutes from 07:00 up to (not including) 09:00
    "frequencies.txt": "trip_id,start_time,end_time,headway_secs\nt6,07:00:00,09:00:00,600\n",
    "fare_attributes.txt": "fare_id,price,currency_type,payment_method,transfers\n"
                           "F1,2.50,EUR,0,0\nF2,1.80,EUR,0,0\nF1-reduced,1.25,EUR,0,0\n",
    "fare_rules.txt": "fare_id,route_id\nF1,R1\nF2,R2\nF1-reduced,R1\n",
}


def write_feed(path, files=FEED, **changes):
    files = {**files, **changes}
    with zipfile.ZipFile(path, "w") as z:
        for name, text in files.items():
            if text is not None:
                z.writestr(name, text)
    return path


def hm(text: str) -> int:
    h, m = text.split(":")
    return int(h) * 3600 + int(m) * 60


@pytest.fixture
def feed(tmp_path, db):
    storage.import_feed(db, write_feed(tmp_path / "test.zip"), name="test")
    return [f for _, f in storage.load_feeds(db)]


def arrival(feeds, date, origin, target, t0, **kw):
    tt = timetable.build(feeds, date)
    ids = list(tt.stop_id)
    row = routing.stop_arrivals(tt, [ids.index(origin)], hm(t0), max_seconds=7200, **kw)[0]
    t = row[ids.index(target)]
    return None if not np.isfinite(t) else f"{int(t) // 3600:02d}:{int(t) % 3600 // 60:02d}"


# ---------------------------------------------------------------- hand-worked answers
def test_transfer_needs_the_change_time(feed):
    # Tuesday 2026-12-01: t1 reaches C 08:20; t2 leaves C 08:22 but a change takes 5 min,
    # so the next tram t3 (08:30) is taken: D at 08:48
    assert arrival(feed, 20261201, "A", "D", "08:00") == "08:48"
    assert arrival(feed, 20261201, "A", "C", "08:00") == "08:20"
    # without a change, D is out of reach
    assert arrival(feed, 20261201, "A", "D", "08:00", max_transfers=0) is None


def test_calendar_exception_removes_and_adds_a_day(feed):
    # Tuesday 2026-12-08: WK does not run, SP does: only t4 (A 08:05 -> C 08:35)
    assert arrival(feed, 20261208, "A", "C", "08:00") == "08:35"
    assert arrival(feed, 20261208, "A", "D", "08:00") is None
    # Saturday: no service at all
    assert arrival(feed, 20261205, "A", "C", "08:00") is None


def test_trip_past_midnight_runs_the_next_morning(feed):
    # t5 (C 25:10 -> D 25:30) belongs to the previous service day
    assert arrival(feed, 20261201, "C", "D", "01:00") == "01:30"   # Monday's run
    assert arrival(feed, 20261205, "C", "D", "01:00") == "01:30"   # Friday's run, on Saturday
    assert arrival(feed, 20261207, "C", "D", "01:00") is None      # Sunday has no WK


def test_frequencies_are_expanded(feed):
    # runs of t6 leave A at 07:00, 07:10, ... 08:50 and take 12 minutes
    assert arrival(feed, 20261201, "A", "E", "08:01") == "08:22"
    assert arrival(feed, 20261201, "A", "E", "07:00") == "07:12"
    assert arrival(feed, 20261201, "A", "E", "08:51") is None      # 09:00 is not a run


def test_window_median_and_percentile(feed):
    tt = timetable.build(feed, 20261201)
    ids = list(tt.stop_id)
    deps = np.arange(hm("08:01"), hm("08:06"), 60)   # 08:01 .. 08:05
    origin = [ids.index("A")]
    times = routing.travel_times(
        tt, routing_access(tt, origin), np.identity(tt.n_stops) * 1e-9, deps)
    # every departure waits for the 08:10 run: E at 08:22 -> 21, 20, 19, 18, 17 minutes
    e = times[0, :, ids.index("E")] / 60
    assert list(e) == [21, 20, 19, 18, 17]
    assert routing.summarise(times, 50)[0, ids.index("E")] / 60 == 19
    assert routing.summarise(times, 80)[0, ids.index("E")] / 60 == 20
    assert routing.summarise(times, 20)[0, ids.index("E")] / 60 == 17


def routing_access(tt, stops):
    from scipy import sparse

    return sparse.csr_matrix((np.full(len(stops), 1e-9), (range(len(stops)), stops)),
                             shape=(len(stops), tt.n_stops))


def test_parse_depart():
    d = timetable.parse_depart("tu 18:00-19:00")
    assert (d.weekday, d.start, d.end, len(d.times())) == (1, 18 * 3600, 19 * 3600, 60)
    assert timetable.parse_depart("2019-10-15 07:30-08:30").date == 20191015
    assert timetable.parse_depart("di 07:30").weekday == 1
    for bad in ("tuesday", "xx 18:00-19:00", "tu 19:00-18:00", "2019-02-30 07:00"):
        with pytest.raises(Exception, match="depart"):
            timetable.parse_depart(bad)


def test_weekday_picks_a_regular_day(feed):
    # Tuesdays in the feed's period: 2026-12-08 has only the special trip; another has more
    d = timetable.pick_date(feed, timetable.parse_depart("tu 08:00-09:00"))
    assert d != 20261208 and d % 100 <= 31
    assert timetable.pick_date(feed, timetable.parse_depart("2026-12-08 08:00")) == 20261208


def test_expanded_graph_agrees_on_the_small_feed(feed):
    tt = timetable.build(feed, 20261201)
    tt.change[:] = 0
    te = ExpandedGraph(tt)
    for origin in range(tt.n_stops):
        for t0 in (hm("00:30"), hm("07:55"), hm("08:03"), hm("08:21")):
            ours = routing.stop_arrivals(tt, [origin], t0, max_transfers=10)[0]
            assert np.array_equal(ours, te.arrivals(origin, t0))


def test_fare_budget_for_a_return_trip(feed, tmp_path, db):

    from buurtkaart.transit import fares

    named = storage.load_feeds(db)
    tt = timetable.build(feed, 20261201)
    ids = list(tt.stop_id)

    def reach(max_fare, reduced=False):
        budget_tt, max_transfers, report = fares.apply_budget(tt, named, max_fare, 3, reduced)
        if max_transfers < 0:
            return None, None, report
        row = routing.stop_arrivals(budget_tt, [ids.index("A")], hm("08:00"),
                                    max_transfers=max_transfers, max_seconds=7200)[0]
        return row[ids.index("C")], row[ids.index("D")], report

    # bus R1 costs 2.50 and tram R2 1.80, no transfers within a fare (each vehicle pays)
    c, d, rep = reach(10.00)   # 5.00 one way: two vehicles at up to 2.50
    assert (c, d) == (hm("08:20"), hm("08:48")) and rep["max_vehicles"] == 2
    c, d, _ = reach(5.00)      # 2.50 one way: the bus alone, not the bus and the tram
    assert c == hm("08:20") and not np.isfinite(d)
    c, d, _ = reach(4.00)      # 2.00 one way: only the tram fits; from A nothing runs
    assert not np.isfinite(c) and not np.isfinite(d)
    # the reduced bus fare (1.25) is named as such: with it the bus fits in 2.00
    c, d, _ = reach(4.00, reduced=True)
    assert c == hm("08:20") and not np.isfinite(d)
    c, d, _ = reach(2.00)      # 1.00 one way: no vehicle at all
    assert c is None


def budget_reach(db, tmp_path, name, max_fare, journey_seconds=None, **files):
    """Arrivals at C and D (HH:MM or None) leaving A at 08:00 on Tuesday 2026-12-01 under a
    fare budget, with the fare files replaced by ``files``."""
    from buurtkaart.transit import fares

    storage.import_feed(db, write_feed(tmp_path / f"{name}.zip", **files), name=name)
    named = [(n, f) for n, f in storage.load_feeds(db) if n == name]
    tt = timetable.build([f for _, f in named], 20261201)
    ids = list(tt.stop_id)
    budget_tt, max_transfers, report = fares.apply_budget(tt, named, max_fare, 3,
                                                          journey_seconds=journey_seconds)
    if max_transfers < 0:
        return None, None, report
    row = routing.stop_arrivals(budget_tt, [ids.index("A")], hm("08:00"),
                                max_transfers=max_transfers, max_seconds=7200)[0]
    clock = (lambda t: None if not np.isfinite(t) else
             f"{int(t) // 3600:02d}:{int(t) % 3600 // 60:02d}")
    return clock(row[ids.index("C")]), clock(row[ids.index("D")]), report


ZONE_FARES = {
    # A, B and E lie in zone Z1, C and D in Z2 (stops.txt). Any vehicle: 1.50 within Z1,
    # 3.00 from Z1 into Z2, 2.00 within Z2; no transfers within a fare
    "fare_attributes.txt": "fare_id,price,currency_type,payment_method,transfers\n"
                           "Z11,1.50,EUR,0,0\nZ12,3.00,EUR,0,0\nZ22,2.00,EUR,0,0\n",
    "fare_rules.txt": "fare_id,origin_id,destination_id\nZ11,Z1,Z1\nZ12,Z1,Z2\nZ22,Z2,Z2\n",
}


def test_zone_fares_limit_where_one_may_get_off(tmp_path, db):
    # 3.00 return = 1.50 one way: the bus from A may be ridden to B (within Z1), not to C
    c, d, rep = budget_reach(db, tmp_path, "zones", 3.00, **ZONE_FARES)
    assert (c, d) == (None, None)
    assert "zone fares applied" in rep["feeds"]["zones"]
    # 6.00 return = 3.00 one way: A -> C (Z1 -> Z2) costs 3.00 and fits; the tram on to D
    # would be a second fare: at the dearest fare used (3.00) only one vehicle fits
    assert budget_reach(db, tmp_path, "zones", 6.00, **ZONE_FARES)[:2] == ("08:20", None)
    # 12.00 return = 6.00 one way: two vehicles at up to 3.00 each; with the 5-minute change
    # at C the tram t3 (08:30) reaches D at 08:48
    assert budget_reach(db, tmp_path, "zones", 12.00, **ZONE_FARES)[:2] == ("08:20", "08:48")


def test_zone_fare_with_contained_zones(tmp_path, db):
    # one fare of 2.00 covers a ride that passes through exactly Z1 and Z2; nothing else
    # has a fare
    files = {"fare_attributes.txt": "fare_id,price,currency_type,payment_method,transfers\n"
                                    "ZZ,2.00,EUR,0,0\n",
             "fare_rules.txt": "fare_id,contains_id\nZZ,Z1\nZZ,Z2\n"}
    # 4.00 return: A -> C passes Z1 and Z2: 2.00 fits; the tram C -> D stays in Z2: no fare
    assert budget_reach(db, tmp_path, "contains", 4.00, **files)[:2] == ("08:20", None)


def test_transfer_duration_counts_only_when_the_journey_fits_in_it(tmp_path, db):
    # every vehicle 2.50 with one free transfer valid for 30 minutes
    files = {"fare_attributes.txt": "fare_id,price,currency_type,payment_method,transfers,"
                                    "transfer_duration\nF,2.50,EUR,0,1,1800\n",
             "fare_rules.txt": None}
    # 5.00 return = 2.50 one way. Journeys of up to 30 minutes: the transfer is free, two
    # vehicles fit (A -> C -> D, 08:48, in the two-hour routing)
    c, d, rep = budget_reach(db, tmp_path, "dur", 5.00, journey_seconds=1800, **files)
    assert (c, d) == ("08:20", "08:48") and rep["max_vehicles"] == 2
    assert "transfer_duration applied for journeys up to 30 min" in rep["feeds"]["dur"]
    # journeys of up to an hour may outlast the transfer: each vehicle pays, one fits
    c, d, rep = budget_reach(db, tmp_path, "dur", 5.00, journey_seconds=3600, **files)
    assert (c, d) == ("08:20", None) and rep["max_vehicles"] == 1


def test_a_feed_without_fares_is_not_used_under_a_budget(tmp_path, db):
    from buurtkaart.transit import fares

    storage.import_feed(db, write_feed(tmp_path / "nofare.zip", **{
        "fare_attributes.txt": None, "fare_rules.txt": None}), name="nofare")
    named = storage.load_feeds(db)
    tt = timetable.build([f for _, f in named], 20261201)
    budget_tt, max_transfers, report = fares.apply_budget(tt, named, 10.0, 3)
    assert max_transfers == -1 and not budget_tt.c_board.any()
    assert "no fares in this feed" in report["feeds"]["nofare"]


# ---------------------------------------------------------------- import and CLI
def test_cli_import_list_remove_two_feeds(tmp_path, db_path):
    runner = CliRunner()
    z = write_feed(tmp_path / "bus.zip")
    r = runner.invoke(main, ["transit", "import", str(z)])
    assert r.exit_code == 0, r.output
    assert "5 stops" in r.output and "6 trips" in r.output and "13 stop times" in r.output
    assert "3 fares" in r.output
    nofare = write_feed(tmp_path / "rail.zip", **{"fare_attributes.txt": None,
                                                   "fare_rules.txt": None})
    r = runner.invoke(main, ["transit", "import", str(nofare), "--name", "rail"])
    assert r.exit_code == 0, r.output
    assert "fares: none in this feed" in r.output
    r = runner.invoke(main, ["transit", "list"])
    lines = r.output.strip().splitlines()
    assert [ln.split("\t")[0] for ln in lines] == ["bus", "rail"]
    assert "no fares" in lines[1]
    r = runner.invoke(main, ["transit", "remove", "bus"])
    assert r.exit_code == 0
    r = runner.invoke(main, ["transit", "list"])
    assert [ln.split("\t")[0] for ln in r.output.strip().splitlines()] == ["rail"]
    r = runner.invoke(main, ["transit", "remove", "bus"])
    assert r.exit_code == 1 and "no transit feed named 'bus'" in r.output


def test_two_feeds_route_together(tmp_path, db):
    storage.import_feed(db, write_feed(tmp_path / "a.zip"), name="a")
    other = FEED["stops.txt"].replace("A,Alpha", "X,Xray")
    storage.import_feed(db, write_feed(tmp_path / "b.zip", **{
        "stops.txt": other,
        "stop_times.txt": FEED["stop_times.txt"].replace(",A,", ",X,")}), name="b")
    feeds = [f for _, f in storage.load_feeds(db)]
    tt = timetable.build(feeds, 20261201)
    assert tt.n_stops == 10
    ids = list(tt.stop_id)
    x, c_a, d_a, c_b, d_b = (ids.index("X"), ids.index("C"), ids.index("D"),
                             ids.index("C", 5), ids.index("D", 5))
    alone = routing.stop_arrivals(tt, [x], hm("08:00"))[0]
    assert alone[d_b] == hm("08:48") and not np.isfinite(alone[d_a])
    # a one-minute walk from feed b's C to feed a's C: there at 08:21 on foot (no vehicle
    # change time applies to walking), in time for feed a's 08:22 tram: D at 08:40
    walk = (np.array([c_b]), np.array([c_a]), np.array([60]))
    joined = routing.stop_arrivals(tt, [x], hm("08:00"), footpaths=walk)[0]
    assert joined[c_a] == hm("08:21") and joined[d_a] == hm("08:40")


@pytest.mark.parametrize("changes, where", [
    ({"stop_times.txt": FEED["stop_times.txt"].replace("t1,08:10:00,08:10:00,B,2",
                                                       "t1,08:10:00,08:10:00,Q,2")},
     "stop_times.txt, line 3, field 'stop_id': not a stop_id in the feed"),
    ({"stop_times.txt": FEED["stop_times.txt"].replace("t3,08:48:00", "t3,8h48")},
     "stop_times.txt, line 8, field 'arrival_time': expected a time HH:MM:SS"),
    ({"stops.txt": FEED["stops.txt"].replace("51.010", "951.010")},
     "stops.txt, line 3, field 'stop_lat': expected a number between -90 and 90"),
    ({"trips.txt": FEED["trips.txt"].replace("R2,WK,t3", "R9,WK,t3")},
     "trips.txt, line 4, field 'route_id': not a route_id in the feed"),
    ({"calendar_dates.txt": FEED["calendar_dates.txt"].replace("WK,20261208,2",
                                                               "WK,20261208,7")},
     "calendar_dates.txt, line 2, field 'exception_type'"),
    ({"frequencies.txt": FEED["frequencies.txt"].replace(",600", ",0")},
     "frequencies.txt, line 2, field 'headway_secs'"),
    ({"fare_rules.txt": "fare_id,route_id\nF1,R1\nF7,R2\n"},
     "fare_rules.txt, line 3, field 'fare_id'"),
    ({"transfers.txt": "from_stop_id,to_stop_id,transfer_type\nC,Q,0\n"},
     "transfers.txt, line 2, field 'to_stop_id'"),
    ({"stop_times.txt": FEED["stop_times.txt"].replace("t1,08:20:00,08:20:00,C,3",
                                                       "t1,08:05:00,08:05:00,C,3")},
     "stop_times.txt, line 4, field 'arrival_time': earlier than the departure"),
    ({"trips.txt": FEED["trips.txt"] + "R1,WK,t1\n"},
     "trips.txt, line 8, field 'trip_id': duplicate trip id"),
    ({"trips.txt": FEED["trips.txt"] + "R1,WK,t9\n",
      "stop_times.txt": FEED["stop_times.txt"] + "t9,09:00:00,09:00:00,A,1\n"},
     "trips.txt, line 8, field 'trip_id': a trip needs at least two stop times"),
    ({"routes.txt": None}, "routes.txt: required file is missing"),
    ({"trips.txt": "route_id,trip_id\nR1,t1\n"},
     "trips.txt, line 1, field 'service_id': required column is missing"),
])
def test_bad_feed_is_refused_and_changes_nothing(tmp_path, db_path, changes, where):
    runner = CliRunner()
    assert runner.invoke(main, ["transit", "import", str(write_feed(tmp_path / "ok.zip")),
                                "--name", "keep"]).exit_code == 0
    before = runner.invoke(main, ["transit", "list"]).output
    bad = write_feed(tmp_path / "bad.zip", **changes)
    r = runner.invoke(main, ["transit", "import", str(bad), "--name", "keep"])
    assert r.exit_code == 1
    assert where in r.output
    assert runner.invoke(main, ["transit", "list"]).output == before
    db = store.connect(db_path)
    feeds = storage.load_feeds(db)
    assert [n for n, _ in feeds] == ["keep"] and len(feeds[0][1].st_trip) == 13


def test_not_a_zip(tmp_path, db_path):
    p = tmp_path / "x.zip"
    p.write_text("hello")
    r = CliRunner().invoke(main, ["transit", "import", str(p)])
    assert r.exit_code == 1 and "not a readable zip file" in r.output


# ---------------------------------------------------------------- arrival while open
def test_arrival_windows_from_opening_hours_and_sessions():
    from buurtkaart.hours import Session
    from buurtkaart.transit.arrival import arrival_windows

    places = [{"opening_hours": "Tu 09:00-12:00"},
              {"opening_hours": "Mo 22:00-02:00"},          # open past midnight into Tuesday
              {"opening_hours": None, "activities": [{"sessions": [Session(1, "18:30",
                                                                           "20:30")]}]},
              {"opening_hours": "Tu 09:00-09:20"},          # too short for a 30-minute stay
              {"opening_hours": None, "activities": []}]
    w = arrival_windows(places, 20261201, 30 * 60)          # Tuesday 2026-12-01
    assert w[0].tolist() == [[hm("09:00"), hm("11:30")]]
    assert w[1].tolist() == [[0, hm("01:30")]]
    assert w[2].tolist() == [[hm("18:30"), hm("20:00")]]
    assert w[3].shape == (0, 2)
    assert w[4] is None


def test_min_stay_removes_arrivals_when_closed(feed):
    tt = timetable.build(feed, 20261201)
    ids = list(tt.stop_id)
    deps = np.arange(hm("08:01"), hm("08:06"), 60)
    e = ids.index("E")
    egress = np.identity(tt.n_stops) * 1e-9
    acc = routing_access(tt, [ids.index("A")])
    windows = [None] * tt.n_stops
    # everyone arrives at E at 08:22: a place there admitting arrivals 08:20-08:30 counts ...
    windows[e] = np.array([[hm("08:20"), hm("08:30")]], float)
    ok = routing.window_summary(tt, acc, egress, deps, windows=windows)[50]
    assert ok[0, e] / 60 == 19
    # ... at one admitting arrivals only from 08:25 one waits at the door 3 minutes, and
    # the wait counts: leaving 08:01 .. 08:05 that is 24, 23, 22, 21, 20 minutes, median 22
    windows[e] = np.array([[hm("08:25"), hm("09:00")]], float)
    late = routing.window_summary(tt, acc, egress, deps, windows=windows)[50]
    assert late[0, e] / 60 == 22
    # ... and one admitting arrivals only until 08:20 (closing too soon after) does not
    windows[e] = np.array([[hm("07:00"), hm("08:20")]], float)
    early = routing.window_summary(tt, acc, egress, deps, windows=windows)[50]
    assert not np.isfinite(early[0, e])
