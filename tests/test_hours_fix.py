"""Opening hours as people write them: the error says what is wrong and proposes the
corrected expression; ``--fix-hours`` takes the corrections and lists each one."""

from __future__ import annotations

import pytest

from buurtkaart import store
from buurtkaart.cli import main
from buurtkaart.hours_fix import suggest

WRITTEN = [
    ("Mo 7-18", "Mo 07:00-18:00", "hours need minutes"),
    ("10.00-12.00", "10:00-12:00", "separated by ':'"),
    ("Montags 07:00-18:00", "Mo 07:00-18:00", "days are written Mo, Tu"),
    ("ma-vr 9u-17u", "Mo-Fr 09:00-17:00", "'9u'"),
    ("Mo-Fr 9:00 - 17:00", "Mo-Fr 09:00-17:00", "no spaces around '-'"),
    ("ma t/m vr 9u30-17u", "Mo-Fr 09:30-17:00", "not a word"),
    ("maandag 9.00 – 12.00, 13.00 – 17.00", "Mo 09:00-12:00, 13:00-17:00", "plain hyphen"),
    ("Mo-Fr 9-12,13-17; Sa 10-12; zondag gesloten",
     "Mo-Fr 09:00-12:00,13:00-17:00; Sa 10:00-12:00; Su off", "'closed' is written 'off'"),
]


@pytest.mark.parametrize("written,corrected,words", WRITTEN)
def test_a_correction_is_proposed_with_the_reason(written, corrected, words):
    got, reasons = suggest(written)
    assert got == corrected
    assert any(words in r for r in reasons), reasons


@pytest.mark.parametrize("text", [
    "Mo-Fr 09:00-17:00", "Jan 23-31 10:00-12:00", "week 2-4/2 00:00-24:00",
    'Mo 10:00-12:00 "to be confirmed, do call"', "sunrise-sunset", "nonsense here",
])
def test_nothing_is_proposed_for_good_or_hopeless_text(text):
    assert suggest(text) is None


CSV_HEADER = "place_uid,place_name,lon,lat,opening_hours\n"


def _csv(tmp_path, rows):
    path = tmp_path / "aanbod.csv"
    path.write_text(CSV_HEADER + "".join(f'{u},{n},3.72,51.05,"{oh}"\n' for u, n, oh in rows),
                    encoding="utf-8")
    return path


def test_import_refuses_and_proposes_without_fix_hours(runner, db_path, tmp_path):
    path = _csv(tmp_path, [("loods", "De Loods", "Mo 7-18"), ("hal", "De Hal", "ma-vr 9u-17u")])
    result = runner.invoke(main, ["import", "places", str(path)])
    assert result.exit_code == 1
    assert ("row 2, field 'opening_hours'" in result.stderr
            and "hours need minutes" in result.stderr
            and "Did you mean 'Mo 07:00-18:00'?" in result.stderr
            and "--fix-hours" in result.stderr)
    assert "Did you mean 'Mo-Fr 09:00-17:00'?" in result.stderr
    assert store.places(store.connect(db_path)) == []


def test_fix_hours_takes_the_corrections_and_reports_each(runner, db_path, tmp_path):
    path = _csv(tmp_path, [("loods", "De Loods", "Mo 7-18"),
                           ("hal", "De Hal", "Montags 07:00-18:00"),
                           ("kelder", "De Kelder", "Mo-Fr 09:00-17:00"),
                           ("zolder", "De Zolder", "10.00-12.00")])
    result = runner.invoke(main, ["import", "places", "--fix-hours", str(path)])
    assert result.exit_code == 0, result.output
    lines = [ln for ln in result.stdout.splitlines() if ln.startswith("corrected")]
    assert lines == [
        "corrected opening hours: row 2 (De Loods): 'Mo 7-18' -> 'Mo 07:00-18:00' "
        "(hours need minutes ('7-18' is '07:00-18:00'))",
        "corrected opening hours: row 3 (De Hal): 'Montags 07:00-18:00' -> 'Mo 07:00-18:00' "
        "(days are written Mo, Tu, We, Th, Fr, Sa, Su)",
        "corrected opening hours: row 5 (De Zolder): '10.00-12.00' -> '10:00-12:00' "
        "(hours and minutes are separated by ':' ('10.00' is '10:00'))",
    ]
    stored = {p["name"]: p["opening_hours"] for p in store.places(store.connect(db_path))}
    assert stored == {"De Loods": "Mo 07:00-18:00", "De Hal": "Mo 07:00-18:00",
                      "De Kelder": "Mo-Fr 09:00-17:00", "De Zolder": "10:00-12:00"}


def test_fix_hours_still_refuses_what_it_cannot_correct(runner, db_path, tmp_path):
    path = _csv(tmp_path, [("loods", "De Loods", "Mo 7-18"), ("hal", "De Hal", "na afspraak")])
    result = runner.invoke(main, ["import", "places", "--fix-hours", str(path)])
    assert result.exit_code == 1 and "row 3" in result.stderr and "corrected" not in result.stdout
    assert store.places(store.connect(db_path)) == []
