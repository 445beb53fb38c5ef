"""Opening hours and sessions as sentences in Dutch and English; never a wrong sentence."""

from __future__ import annotations

import pytest

from buurtkaart import i18n
from buurtkaart.hours import Session
from buurtkaart.hours_text import hours_text, parse_weekly, session_text


@pytest.fixture
def in_language(app):
    """Run ``fn`` with the catalogue of ``locale`` active, as a page request does."""
    from flask_babel import force_locale, get_translations

    def run(locale, fn, *args):
        with app.test_request_context("/"), force_locale(locale):
            token = i18n.activate(get_translations(), locale)
            try:
                return fn(*args)
            finally:
                i18n._active.reset(token)

    return run


# Real OpenStreetMap expressions (Helsinki libraries and Flemish community centres).
CASES = [
    ("Mo-Fr 08:00-20:00; Sa 11:00-17:00",
     "ma–vr 8:00–20:00, za 11:00–17:00, zo gesloten",
     "Mon–Fri 8:00–20:00, Sat 11:00–17:00, Sun closed"),
    ("Mo-Th 08:00-20:00; Fr 08:00-18:00; Sa 10:00-16:00; PH off",
     "ma–do 8:00–20:00, vr 8:00–18:00, za 10:00–16:00, zo gesloten; gesloten op feestdagen",
     "Mon–Thu 8:00–20:00, Fri 8:00–18:00, Sat 10:00–16:00, Sun closed; closed on public "
     "holidays"),
    ("Mo-Fr 09:00-12:00,13:00-17:00",
     "ma–vr 9:00–12:00 en 13:00–17:00, za–zo gesloten",
     "Mon–Fri 9:00–12:00 and 13:00–17:00, Sat–Sun closed"),
    ("Tu,Th 14:00-17:00", "ma gesloten, di 14:00–17:00, wo gesloten, do 14:00–17:00, "
     "vr–zo gesloten", "Mon closed, Tue 14:00–17:00, Wed closed, Thu 14:00–17:00, "
     "Fri–Sun closed"),
    ("Mo-Su 07:00-22:00", "elke dag 7:00–22:00", "every day 7:00–22:00"),
    ("24/7", "dag en nacht open, elke dag", "open day and night, every day"),
    ("Mo-Fr 09:00-17:00; We off", "ma–di 9:00–17:00, wo gesloten, do–vr 9:00–17:00, za–zo "
     "gesloten", "Mon–Tue 9:00–17:00, Wed closed, Thu–Fri 9:00–17:00, Sat–Sun closed"),
    ("Fr-Sa 20:00-02:00", "ma–do gesloten, vr–za 20:00–2:00, zo gesloten",
     "Mon–Thu closed, Fri–Sat 20:00–2:00, Sun closed"),
    ("Mo-Fr 10:00-18:00, Sa 10:00-14:00", "ma–vr 10:00–18:00, za 10:00–14:00, zo gesloten",
     "Mon–Fri 10:00–18:00, Sat 10:00–14:00, Sun closed"),
]


@pytest.mark.parametrize("expression, dutch, english", CASES)
def test_weekly_hours_in_words(in_language, expression, dutch, english):
    assert in_language("nl", hours_text, expression) == dutch
    assert in_language("en", hours_text, expression) == english


@pytest.mark.parametrize("expression", [
    "Jan-Mar Mo-Fr 10:00-12:00", "Mo-Fr 08:00-12:00; PH 10:00-12:00", "sunrise-sunset",
    "Mo-Fr 09:00-17:00 \"by appointment\"", "week 1-10 Mo 09:00-12:00", "Mo[1] 10:00-12:00",
    "Mo-Fr 09:00+", "Mo-Fr 09:00-17:00 || \"call first\"", "2024 Dec 25 off",
    "Mo 09:00-12:00; Sa[-1] 10:00-12:00", "", "nonsense",
])
def test_too_complex_is_none_never_a_wrong_sentence(in_language, expression):
    assert in_language("nl", hours_text, expression) is None


def test_every_sentence_agrees_with_the_evaluator():
    """parse_weekly's week is the one the opening_hours evaluator computes."""
    import datetime as dt

    import opening_hours

    monday = dt.datetime(2024, 1, 8)
    for expression, _nl, _en in CASES:
        week, _holidays = parse_weekly(expression)
        for day in range(7):
            for minute in range(0, 1440, 30):
                at = monday + dt.timedelta(days=day, minutes=minute)
                spans = week[day]
                previous = week[(day - 1) % 7]
                mine = any(a <= minute < b for a, b in spans) or any(
                    b > 1440 and minute < b - 1440 for _a, b in previous)
                assert mine == opening_hours.OpeningHours(expression).is_open(at), \
                    (expression, at)


def test_the_place_page_shows_the_expression_when_it_is_too_complex(app, db, client):
    from buurtkaart import store
    from buurtkaart.records import validate_place

    p, _ = validate_place({"name": "Seizoen", "kind": "library", "lon": 3.7, "lat": 51.0,
                           "opening_hours": "Jan-Mar Mo-Fr 10:00-12:00"})
    store.save_directory(db, places=[p])
    pid = store.places(db)[0]["id"]
    body = client.get(f"/places/{pid}").get_data(as_text=True)
    assert "<code>Jan-Mar Mo-Fr 10:00-12:00</code>" in body and "check with the place" in body
    listed = client.get("/places").get_data(as_text=True)
    assert "Jan-Mar Mo-Fr 10:00-12:00" in listed and "see details" in listed


def test_sessions_in_words(in_language):
    weekly, monthly = Session(1, "18:00", "20:00"), Session(0, "09:30", "11:00", nth=-1)
    assert in_language("nl", session_text, weekly) == "elke dinsdag 18:00–20:00"
    assert in_language("en", session_text, weekly) == "every Tuesday 18:00–20:00"
    assert in_language("nl", session_text, monthly) == "laatste maandag van de maand, 9:30–11:00"
    assert in_language("en", session_text, monthly) == "last Monday of the month, 9:30–11:00"
