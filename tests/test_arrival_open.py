"""Arrival while open, for every mode: a place counts only if one can go in while it is open
(or a session runs) and stay ``min_stay`` minutes; waiting at the door counts as travel time.
Every expected number is worked out by hand in the comments."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from buurtkaart.errors import InvalidParameter
from buurtkaart.timing import Timing, summarise_fixed
from buurtkaart.transit.arrival import arrival_windows

TUESDAY = 20261201  # Tuesday 1 December 2026
TEN = 10 * 3600


def minutes(expr, walk_min, *, limit_min, min_stay=30, departures=(TEN,), percentile=50):
    """Minutes to a place open ``expr``, ``walk_min`` away, leaving at ``departures``."""
    windows = arrival_windows([{"opening_hours": expr}], TUESDAY, min_stay * 60)
    t = summarise_fixed(np.array([[walk_min * 60.0]]), np.array(departures), windows,
                        [percentile], limit_min * 60)[percentile][0, 0]
    return None if not np.isfinite(t) else float(t) / 60


def test_closing_20_minutes_after_arrival_does_not_count_with_a_30_minute_stay():
    # leave 10:00, walk 8 min, arrive 10:08; closes 10:28 = 20 minutes later
    assert minutes("Tu 09:00-10:28", 8, limit_min=15, min_stay=30) is None
    assert minutes("Tu 09:00-10:28", 8, limit_min=15, min_stay=20) == 8   # exactly 20 left
    assert minutes("Tu 09:00-10:28", 8, limit_min=15, min_stay=0) == 8


def test_opening_5_minutes_after_arrival_counts_when_the_wait_fits_the_limit():
    # arrive 10:08, opens 10:13: the wait counts, so the time is 13 minutes
    assert minutes("Tu 10:13-12:00", 8, limit_min=15) == 13
    assert minutes("Tu 10:13-12:00", 8, limit_min=10) is None
    # open all morning: just the walk
    assert minutes("Tu 08:00-12:00", 8, limit_min=10) == 8
    # closed on Tuesdays
    assert minutes("We 08:00-12:00", 8, limit_min=60) is None


def test_the_percentile_over_the_departure_window():
    # leaving 10:00, 10:01, ..., 10:04 with a walk of 8 min to a place opening 10:13:
    # 13, 12, 11, 10, 9 minutes (wait included); the median is 11, the 80th percentile 12
    deps = [TEN + 60 * k for k in range(5)]
    assert minutes("Tu 10:13-12:00", 8, limit_min=15, departures=deps) == 11
    assert minutes("Tu 10:13-12:00", 8, limit_min=15, departures=deps, percentile=80) == 12
    # within 10 minutes only 2 of 5 departures make it: not at the median
    assert minutes("Tu 10:13-12:00", 8, limit_min=10, departures=deps) is None
    assert minutes("Tu 10:13-12:00", 8, limit_min=10, departures=deps, percentile=40) == 10


def test_a_place_without_known_hours_always_counts():
    windows = arrival_windows([{"opening_hours": None, "activities": []}], TUESDAY, 1800)
    t = summarise_fixed(np.array([[480.0]]), np.array([TEN]), windows, [50], 900)[50]
    assert t[0, 0] == 480


def test_a_weekday_window_falls_on_the_coming_date_and_says_so():
    t = Timing("tu 10:00-11:00", today=20261203)       # Thursday
    assert t.date() == 20261208                        # the next Tuesday
    assert "tu 10:00-11:00 (on 2026-12-08)" in t.describe()
    assert "median" in t.describe() and "at least 30 min" in t.describe()
    assert Timing("2026-12-01 10:00", today=20261203).date() == 20261201
    assert Timing.from_params({}, dt.date(2026, 12, 3)) is None
    with pytest.raises(InvalidParameter) as e:
        Timing.from_params({"min_stay": "30"}, dt.date(2026, 12, 3))
    assert e.value.name == "min_stay"
    with pytest.raises(InvalidParameter) as e:
        Timing.from_params({"depart": "tu 10:00", "min_stay": "-1"}, dt.date(2026, 12, 3))
    assert e.value.name == "min_stay"
