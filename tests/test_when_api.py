""""Open now", "this evening", "this weekend", a day or a date through the API and the
places page, at the fixed moment of the test app (Tuesday 1 December 2026, 10:00 in
Gent; see conftest.FIXED_NOW), never the wall clock."""

from __future__ import annotations

import re

import pytest

from buurtkaart import store
from buurtkaart.records import validate_activity, validate_place

GENT = {
    # name: (opening_hours, sessions of one activity or None)
    "Zaterdagochtend": ("Sa 10:00-12:00", None),
    "Weekdagen": ("Mo-Fr 09:00-17:00; PH off", None),
    "Avond": ("Mo-Su 18:00-21:00", None),
    "Winter": ("Nov-Feb 10:00-16:00", None),
    "Daglicht": ("Mo-Su sunrise-sunset", None),
    "Lokaal": (None, "Mo[1] 14:00-16:00"),
}


def _save(db, spec, lon, lat):
    for i, (name, (oh, sessions)) in enumerate(spec.items()):
        p, probs = validate_place({"name": name, "kind": "community_house", "lon": lon + i / 1000,
                                   "lat": lat, "opening_hours": oh})
        assert not probs, probs
        acts = []
        if sessions:
            a, probs = validate_activity({"name": f"{name} praatcafé", "models": "peer",
                                          "place_uid": p["uid"], "sessions": sessions})
            assert not probs, probs
            acts.append(a)
        store.save_directory(db, places=[p], activities=acts)


@pytest.fixture
def gent(db):
    _save(db, GENT, 3.72, 51.05)
    return db


def _names(resp):
    assert resp.status_code == 200, resp.get_json()
    return sorted(f["properties"]["name"] for f in resp.get_json()["features"])


def test_a_day_alone_means_open_at_some_time_that_coming_day(client, gent):
    resp = client.get("/api/places?day=sa")
    assert _names(resp) == ["Avond", "Daglicht", "Winter", "Zaterdagochtend"]
    assert resp.get_json()["time"]["intervals"] == [
        {"start": "2026-12-05T00:00", "end": "2026-12-06T00:00"}]
    assert resp.get_json()["time"]["description"] == "open on Saturday 5 December"
    # the coming Monday is the first of December: the monthly session is held
    assert _names(client.get("/api/places?day=mo")) == [
        "Avond", "Daglicht", "Lokaal", "Weekdagen", "Winter"]
    assert _names(client.get("/api/activities?day=mo")) == ["Lokaal praatcafé"]
    assert _names(client.get("/api/activities?date=2026-12-14")) == []


def test_open_now_is_the_app_clock(client, app, gent):
    resp = client.get("/api/places?when=now")
    assert _names(resp) == ["Daglicht", "Weekdagen", "Winter"]
    time = resp.get_json()["time"]
    assert time == {"when": "now", "time_zone": "Europe/Brussels",
                    "description": "open now (Tuesday 1 December, 10:00)",
                    "at": "2026-12-01T10:00+01:00"}
    app.config["NOW"] = "2026-12-07T15:00:00+01:00"  # first Monday, during the session
    assert "Lokaal" in _names(client.get("/api/places?when=now"))
    app.config["NOW"] = "2026-12-07T16:50:00+01:00"  # after sunset (16:39) in December
    assert _names(client.get("/api/places?when=now")) == ["Weekdagen"]


def test_tonight_and_the_weekend(client, app, gent):
    assert _names(client.get("/api/places?when=tonight")) == ["Avond"]
    weekend = client.get("/api/places?when=weekend")
    assert _names(weekend) == ["Avond", "Daglicht", "Winter", "Zaterdagochtend"]
    assert weekend.get_json()["time"]["intervals"] == [
        {"start": "2026-12-05T00:00", "end": "2026-12-07T00:00"}]
    # on Saturday at 13:00 the morning is over
    app.config["NOW"] = "2026-12-05T13:00:00+01:00"
    assert "Zaterdagochtend" not in _names(client.get("/api/places?when=weekend"))


def test_a_chosen_date_has_its_holidays_and_months(client, gent):
    # Easter Monday: "PH off" closes; April is outside Nov-Feb; sessions are still held
    assert _names(client.get("/api/places?date=2026-04-06")) == ["Avond", "Daglicht", "Lokaal"]
    # 11 July 2025 (a Friday) is not a public holiday nationally; 21 July is
    assert "Weekdagen" in _names(client.get("/api/places?date=2025-07-11&from=10:00&to=12:00"))
    assert "Weekdagen" not in _names(client.get("/api/places?date=2025-07-21&from=10:00"))


def test_a_holiday_that_closes_the_place_cancels_its_sessions(client, db):
    _save(db, {"Buurtzaal": ("Mo-Fr 09:00-12:00; PH off", "Mo[1] 19:00-21:00"),
               "Open huis": ("Mo-Fr 09:00-12:00", "Mo[1] 19:00-21:00")}, 3.72, 51.05)
    # Easter Monday 2026 is the first Monday of April; 4 May is an ordinary first Monday
    assert _names(client.get("/api/activities?date=2026-04-06&from=18:00")) == [
        "Open huis praatcafé"]
    assert _names(client.get("/api/places?date=2026-04-06&from=18:00")) == ["Open huis"]
    assert _names(client.get("/api/activities?date=2026-05-04&from=18:00")) == [
        "Buurtzaal praatcafé", "Open huis praatcafé"]


def test_time_zone_and_holidays_follow_the_coordinates(client, app, db):
    _save(db, {"Kirjasto": ("Mo-Fr 10:00-18:00; PH off", None)}, 24.94, 60.17)
    app.config["NOW"] = "2026-12-01T16:30:00+00:00"  # 18:30 in Helsinki, 17:30 in Gent
    resp = client.get("/api/places?when=now")
    assert _names(resp) == []
    assert resp.get_json()["time"]["description"] == "open now (Tuesday 1 December, 18:30)"
    assert resp.get_json()["time"]["time_zone"] == "Europe/Helsinki"
    assert _names(client.get("/api/places?date=2026-12-23")) == ["Kirjasto"]
    assert _names(client.get("/api/places?date=2026-12-24")) == []  # Christmas Eve in Finland


@pytest.mark.parametrize("query,parameter", [
    ("when=soon", "when"), ("when=now&day=sa", "when"), ("date=2026-13-01", "date"),
    ("date=2026-12-05&day=mo", "day"),
])
def test_bad_times_are_refused_naming_the_parameter(client, gent, query, parameter):
    resp = client.get(f"/api/places?{query}")
    body = resp.get_json()
    assert resp.status_code == 400 and body["ok"] is False and body["parameter"] == parameter


def test_no_time_asked_echoes_null(client, gent):
    assert client.get("/api/places").get_json()["time"] is None


def test_places_page_offers_now_tonight_weekend_and_states_the_moment(client, gent):
    html = client.get("/places?when=now&free=true").get_data(as_text=True)
    assert "open now (Tuesday 1 December, 10:00)" in html
    links = dict((label, href.replace("&amp;", "&")) for href, label in re.findall(
        r'<a class="button" href="([^"]+)"[^>]*>([^<]+)</a>', html))
    assert set(links) == {"Open now", "This evening", "This weekend"}
    assert "when=tonight" in links["This evening"] and "free=true" in links["This evening"]
    page = client.get(links["This weekend"]).get_data(as_text=True)
    assert "open this weekend (Saturday 5 December – Sunday 6 December)" in page
    day = client.get("/places?day=sa").get_data(as_text=True)
    assert "open on Saturday 5 December" in day
    assert "Weekdagen" not in day and "Zaterdagochtend" in day
