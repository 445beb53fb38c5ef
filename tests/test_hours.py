"""Opening hours and sessions at real dates; the "when" windows of the filter.

The expressions come from opening_hours.js's own test suite (tests/data/
opening_hours_cases.toml names the source); the expected states were worked out
by hand from a calendar, the holiday lists and sun tables, not by the library.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from buurtkaart.errors import InvalidParameter
from buurtkaart.filters import Filter
from buurtkaart.hours import Session, open_between, parse_sessions, place_timezone, state_at

CASES = Path(__file__).parent / "data" / "opening_hours_cases.toml"
PLACES = {"gent": (51.05, 3.72), "helsinki": (60.17, 24.94)}
BRUSSELS = ZoneInfo("Europe/Brussels")


def _cases():
    data = tomllib.loads(CASES.read_text(encoding="utf-8"))
    for case in data["case"]:
        for at, expected in case["checks"]:
            yield pytest.param(case["expr"], case.get("place", "gent"), at, expected,
                               case.get("library", {}).get(at),
                               id=f"{case['expr']}@{case.get('place', 'gent')}:{at}")


def test_the_case_file_holds_at_least_fifty_real_expressions():
    data = tomllib.loads(CASES.read_text(encoding="utf-8"))
    from_test_js = {c["expr"] for c in data["case"] if not c["from"].startswith("ours")}
    assert len(from_test_js) >= 50
    assert "opening_hours.js/blob/main/test/test.js" in CASES.read_text(encoding="utf-8")


@pytest.mark.parametrize("expr,place,at,expected,library", list(_cases()))
def test_real_expression_at_a_real_date(expr, place, at, expected, library):
    moment = dt.datetime.fromisoformat(at)
    got = state_at(expr, moment, coords=PLACES[place])
    if library is None:
        assert got == expected
    else:
        # a documented departure of opening-hours-py from the specification
        assert library != expected and got == library


def test_coordinates_choose_the_time_zone():
    assert place_timezone(51.05, 3.72).key == "Europe/Brussels"
    assert place_timezone(60.17, 24.94).key == "Europe/Helsinki"
    assert place_timezone(None, None).key == "Europe/Brussels"


def test_november_to_february_is_closed_in_july_and_holidays_close_easter_monday():
    gent = PLACES["gent"]
    assert open_between("Nov-Feb 00:00-24:00", dt.datetime(2026, 7, 6),
                        dt.datetime(2026, 7, 13), coords=gent) is False
    assert open_between("open; PH off", dt.datetime(2026, 4, 6), dt.datetime(2026, 4, 7),
                        coords=gent) is False
    # 11 July (the Flemish Community's day) is not a national public holiday
    assert open_between("open; PH off", dt.datetime(2026, 7, 11, 10),
                        dt.datetime(2026, 7, 11, 11), coords=gent) is True
    # unknown is not open: "17:00+ unknown"-style rules give None
    assert open_between("Mo-Fr 10:00-12:00 unknown", dt.datetime(2026, 12, 1, 10),
                        dt.datetime(2026, 12, 1, 11), coords=gent) is None


# ------------------------------------------------------------------ sessions
@pytest.mark.parametrize("text,day,held", [
    ("Mo[1] 10:00-12:00", dt.date(2026, 12, 7), True),     # first Monday of December
    ("Mo[1] 10:00-12:00", dt.date(2026, 12, 14), False),
    ("Fr[-1] 19:00-22:00", dt.date(2026, 12, 25), True),   # last Friday
    ("Fr[-1] 19:00-22:00", dt.date(2026, 12, 18), False),
    ("We[3] 14:00-16:00", dt.date(2026, 12, 16), True),
    ("We[3] 14:00-16:00", dt.date(2026, 12, 9), False),
    ("Mo[5] 10:00-12:00", dt.date(2026, 11, 30), True),    # November 2026 has five Mondays
    ("Tu 18:00-20:00", dt.date(2026, 12, 1), True),
    ("Tu 18:00-20:00", dt.date(2026, 12, 2), False),
])
def test_sessions_are_held_on_real_dates(text, day, held):
    [s] = parse_sessions(text)
    assert s.occurs_on(day) is held
    noon_to_midnight = dt.datetime.combine(day, dt.time(0)), dt.datetime.combine(
        day + dt.timedelta(days=1), dt.time(0))
    assert s.held_between(*noon_to_midnight) is held


def test_a_session_at_an_instant_and_in_a_window():
    s = Session(1, "18:00", "20:00")
    tue = dt.date(2026, 12, 1)
    at = dt.datetime.combine(tue, dt.time(19, 59))
    assert s.held_between(at, at)
    at = dt.datetime.combine(tue, dt.time(20, 0))
    assert not s.held_between(at, at)
    assert s.held_between(dt.datetime(2026, 12, 1, 19, 30), dt.datetime(2026, 12, 1, 22))
    assert not s.held_between(dt.datetime(2026, 12, 1, 20), dt.datetime(2026, 12, 1, 22))


# ------------------------------------------------------------------ when windows
def _span(params, now):
    return Filter.from_params(params, now=dt.datetime.fromisoformat(now)).span


def _intervals(span):
    return [(a.isoformat(timespec="minutes"), b.isoformat(timespec="minutes"))
            for a, b in span.intervals]


def test_tonight_is_today_from_six_to_ten_from_now_on():
    span = _span({"when": "tonight"}, "2026-12-01T10:00:00+01:00")
    assert _intervals(span) == [("2026-12-01T18:00", "2026-12-01T22:00")]
    assert span.describe() == "open in the evening of Tuesday 1 December (18:00-22:00)"
    assert _intervals(_span({"when": "this evening"}, "2026-12-01T20:15:00+01:00")) == [
        ("2026-12-01T20:15", "2026-12-01T22:00")]
    # after ten the evening is over: tomorrow's
    assert _intervals(_span({"when": "tonight"}, "2026-12-01T23:40:00+01:00")) == [
        ("2026-12-02T18:00", "2026-12-02T22:00")]
    # "that evening" of a chosen date
    assert _intervals(_span({"when": "tonight", "date": "2026-12-24"},
                            "2026-12-01T23:40:00+01:00")) == [("2026-12-24T18:00", "2026-12-24T22:00")]


def test_weekend_is_the_coming_saturday_and_sunday():
    assert _intervals(_span({"when": "weekend"}, "2026-12-02T09:00:00+01:00")) == [
        ("2026-12-05T00:00", "2026-12-07T00:00")]
    # on Saturday afternoon: the rest of this weekend
    assert _intervals(_span({"when": "weekend"}, "2026-12-05T15:00:00+01:00")) == [
        ("2026-12-05T15:00", "2026-12-07T00:00")]
    # on Sunday: what is left of today
    span = _span({"when": "weekend"}, "2026-12-06T11:00:00+01:00")
    assert _intervals(span) == [("2026-12-06T11:00", "2026-12-07T00:00")]
    assert _span({"when": "weekend"}, "2026-12-02T09:00:00+01:00").describe() == \
        "open this weekend (Saturday 5 December – Sunday 6 December)"


def test_now_is_the_instant_in_the_directory_zone():
    span = _span({"when": "now"}, "2026-12-01T22:40:00+00:00")
    assert span.instant == dt.datetime(2026, 12, 1, 23, 40, tzinfo=BRUSSELS)
    assert span.describe() == "open now (Tuesday 1 December, 23:40)"
    assert span.to_json()["at"] == "2026-12-01T23:40+01:00"


def test_a_day_alone_is_that_coming_date_all_day():
    # Tuesday: the coming Saturday is the 5th; the coming Tuesday is today
    assert _intervals(_span({"day": "sa"}, "2026-12-01T10:00:00+01:00")) == [
        ("2026-12-05T00:00", "2026-12-06T00:00")]
    assert _intervals(_span({"day": "tu", "from": "18:00"}, "2026-12-01T10:00:00+01:00")) == [
        ("2026-12-01T18:00", "2026-12-02T00:00")]
    assert _intervals(_span({"date": "2026-04-06", "from": "10:00", "to": "12:00"},
                            "2026-12-01T10:00:00+01:00")) == [("2026-04-06T10:00", "2026-04-06T12:00")]
    # from/to alone: that time on one of the coming seven days
    assert len(_span({"from": "18:00"}, "2026-12-01T10:00:00+01:00").intervals) == 7
    assert Filter.from_params({}).span is None


@pytest.mark.parametrize("params,parameter", [
    ({"when": "soon"}, "when"),
    ({"when": "now", "day": "sa"}, "when"),
    ({"when": "now", "from": "18:00"}, "when"),
    ({"when": "tonight", "to": "23:00"}, "when"),
    ({"when": "weekend", "date": "2026-12-12"}, "when"),
    ({"date": "2026-12-05", "day": "mo"}, "day"),   # the 5th is a Saturday
    ({"date": "5/12/2026"}, "date"),
    ({"date": "1850-01-01"}, "date"),
])
def test_contradictions_name_the_parameter(params, parameter):
    with pytest.raises(InvalidParameter) as err:
        Filter.from_params(params, now=dt.datetime(2026, 12, 1, 10, tzinfo=BRUSSELS))
    assert err.value.name == parameter


def test_the_clock_is_only_read_when_a_time_is_asked():
    def clock():
        raise AssertionError("the clock was read")

    assert Filter.from_params({"free": "true"}, now=clock).span is None
