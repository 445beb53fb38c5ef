"""Fares v2 in the fare budget: a hand-made feed whose allowed reach is worked out by hand.

The timetable is the small feed of ``test_transit.py`` (bus R1 A 08:00 -> B 08:10 -> C 08:20,
tram R2 C 08:22 / 08:30 -> D 08:40 / 08:48 with a 5-minute change at C, bus R3 A -> E
every 10 minutes taking 12, and on Tuesday 2026-12-08 only bus t4 A 08:05 -> C 08:35).
Its fares v1 files are replaced by the fares v2 files below.
"""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from buurtkaart.cli import main
from buurtkaart.errors import ImportFailed
from buurtkaart.transit import fares, routing, storage, timetable

from test_transit import hm, write_feed

V2 = {
    # two networks: buses R1 and R3, the tram R2
    "networks.txt": "network_id,network_name\nbus,Bus\ntram,Tram\n",
    "route_networks.txt": "network_id,route_id\nbus,R1\nbus,R3\ntram,R2\n",
    # two areas: north = A, B, E; south = C, D
    "areas.txt": "area_id,area_name\nnorth,North\nsouth,South\n",
    "stop_areas.txt": "area_id,stop_id\nnorth,A\nnorth,B\nnorth,E\nsouth,C\nsouth,D\n",
    # off-peak from 08:05 on every day of both services
    "timeframes.txt": "timeframe_group_id,start_time,end_time,service_id\n"
                      "offpeak,08:05:00,24:00:00,WK\noffpeak,08:05:00,24:00:00,SP\n",
    "rider_categories.txt": "rider_category_id,rider_category_name,is_default_fare_category\n"
                            "adult,Adult,1\nbim,Verhoogde tegemoetkoming,0\n"
                            "student,Student,0\n",
    "fare_media.txt": "fare_media_id,fare_media_name,fare_media_type\ncard,Card,2\n"
                      "paper,Paper ticket,1\n",
    # bus within north 1.80 on a card, 2.00 on paper (0.90 reduced); bus north -> south
    # 2.10 (1.00 reduced), off-peak 1.60 for everyone; tram within south 1.50 (0.10 for
    # students only, who are not asked about); a free change from bus to tram
    "fare_products.txt": "fare_product_id,fare_product_name,rider_category_id,fare_media_id,"
                         "amount,currency\n"
                         "bus_local,Bus local,adult,card,1.80,EUR\n"
                         "bus_local,Bus local,adult,paper,2.00,EUR\n"
                         "bus_local,Bus local,bim,card,0.90,EUR\n"
                         "bus_long,Bus long,adult,,2.10,EUR\n"
                         "bus_long,Bus long,bim,,1.00,EUR\n"
                         "bus_off,Bus off-peak,,,1.60,EUR\n"
                         "tram,Tram,adult,,1.50,EUR\n"
                         "tram,Tram,student,,0.10,EUR\n"
                         "free,Free change,,,0.00,EUR\n",
    "fare_leg_rules.txt": "leg_group_id,network_id,from_area_id,to_area_id,"
                          "from_timeframe_group_id,fare_product_id\n"
                          "bus_legs,bus,north,north,,bus_local\n"
                          "bus_legs,bus,north,south,,bus_long\n"
                          "bus_legs,bus,north,south,offpeak,bus_off\n"
                          "tram_legs,tram,south,south,,tram\n",
    "fare_transfer_rules.txt": "from_leg_group_id,to_leg_group_id,duration_limit,"
                               "duration_limit_type,fare_transfer_type,fare_product_id\n"
                               "bus_legs,tram_legs,3600,1,1,free\n",
}
ONLY_V2 = {"fare_attributes.txt": None, "fare_rules.txt": None, **V2}


def clock(t):
    return None if not np.isfinite(t) else f"{int(t) // 3600:02d}:{int(t) % 3600 // 60:02d}"


def reach(db, max_fare, reduced=False, date=20261201, name="v2"):
    """Arrivals (HH:MM or None) at B, C, D and E leaving A at 08:00 under the budget, and
    the budget's report."""
    named = [(n, f) for n, f in storage.load_feeds(db) if n == name]
    tt = timetable.build([f for _, f in named], date)
    ids = list(tt.stop_id)
    budget_tt, max_transfers, report = fares.apply_budget(tt, named, max_fare, 3, reduced)
    if max_transfers < 0:
        return {s: None for s in "BCDE"}, report
    row = routing.stop_arrivals(budget_tt, [ids.index("A")], hm("08:00"),
                                max_transfers=max_transfers, max_seconds=7200)[0]
    return {s: clock(row[ids.index(s)]) for s in "BCDE"}, report


@pytest.fixture
def v2(tmp_path, db):
    storage.import_feed(db, write_feed(tmp_path / "v2.zip", **ONLY_V2), name="v2")
    return db


def test_full_fares_by_network_area_and_medium(v2):
    # 4.00 return = 2.00 one way. Bus A -> B and A -> E (north -> north) cost 1.80 on a card:
    # they fit. Bus A -> C (north -> south) leaves at 08:00, before the off-peak: 2.10 does
    # not fit. The dearest leg that fits is 1.80, so one vehicle: no tram to D.
    got, rep = reach(v2, 4.00)
    assert got == {"B": "08:10", "C": None, "D": None, "E": "08:12"}
    assert rep["max_vehicles"] == 1 and rep["fare_models"] == {"v2": "v2"}
    assert rep["feeds"]["v2"].startswith("fares v2 applied")
    # 3.60 return = 1.80 one way: the card price (1.80) fits exactly, the paper one would not
    got, _ = reach(v2, 3.60)
    assert got == {"B": "08:10", "C": None, "D": None, "E": "08:12"}
    # 3.00 return = 1.50 one way: no bus leg fits, and the tram is not reached on foot
    got, rep = reach(v2, 3.00)
    assert got == {"B": None, "C": None, "D": None, "E": None}


def test_timeframe_is_evaluated_at_the_departure(v2):
    # Tuesday 2026-12-08 only bus t4 runs, leaving A at 08:05: off-peak, 1.60 fits in 2.00
    got, _ = reach(v2, 4.00, date=20261208)
    assert got["C"] == "08:35"


def test_reduced_fares_of_a_named_rider_category(v2):
    # "Verhoogde tegemoetkoming" is a reduced category: bus A -> C costs 1.00, the tram has
    # no reduced product and costs its full 1.50 (not the students' 0.10). Dearest leg 1.50:
    # in 2.00 one vehicle, so C but not D
    got, rep = reach(v2, 4.00, reduced=True)
    assert got == {"B": "08:10", "C": "08:20", "D": None, "E": "08:12"}
    assert rep["max_vehicles"] == 1
    # 6.00 return = 3.00 one way: two vehicles at up to 1.50; change at C takes 5 minutes,
    # so the 08:30 tram reaches D at 08:48
    got, rep = reach(v2, 6.00, reduced=True)
    assert got == {"B": "08:10", "C": "08:20", "D": "08:48", "E": "08:12"}
    assert rep["max_vehicles"] == 2


def test_transfer_rules_never_make_it_cheaper_and_say_so(v2):
    # the free change from bus to tram is not applied: 5.00 return = 2.50 one way, dearest
    # leg 2.10, one vehicle (the truth, 2.10 + free tram, would fit, but never cheaper)
    got, rep = reach(v2, 5.00)
    assert got == {"B": "08:10", "C": "08:20", "D": None, "E": "08:12"}
    assert "fare_transfer_rules not applied as discounts" in rep["feeds"]["v2"]


def test_a_transfer_that_costs_money_counts(tmp_path, db):
    # the change from bus to tram costs 0.50 on top (fare_transfer_type 0): with reduced
    # fares and 3.00 one way, two vehicles would be 1.50 + 1.50 + 0.50 = 3.50: one vehicle
    files = {**ONLY_V2,
             "fare_products.txt": V2["fare_products.txt"].replace(
                 "free,Free change,,,0.00,EUR", "free,Change,,,0.50,EUR"),
             "fare_transfer_rules.txt": V2["fare_transfer_rules.txt"].replace(
                 "3600,1,1,free", "3600,1,0,free")}
    storage.import_feed(db, write_feed(tmp_path / "fee.zip", **files), name="fee")
    got, rep = reach(db, 6.00, reduced=True, name="fee")
    assert got["C"] == "08:20" and got["D"] is None and rep["max_vehicles"] == 1
    assert "a change of vehicle may cost up to 0.50 more" in rep["feeds"]["fee"]


def test_no_reduced_category_means_full_fares_and_a_note(tmp_path, db):
    files = {**ONLY_V2, "rider_categories.txt":
             "rider_category_id,rider_category_name,is_default_fare_category\n"
             "adult,Adult,1\nbim,Student,0\nstudent,Scholier,0\n"}
    storage.import_feed(db, write_feed(tmp_path / "nored.zip", **files), name="nored")
    got, rep = reach(db, 4.00, reduced=True, name="nored")
    assert got == {"B": "08:10", "C": None, "D": None, "E": "08:12"}
    assert "the feed names no reduced fares: full fares are used" in rep["feeds"]["nored"]


def test_rule_priority_makes_empty_fields_match_everything(tmp_path, db):
    # with rule_priority an empty field matches every leg and the highest priority wins:
    # a 1.20 rule for the whole bus network at priority 1 beats the area rules (priority 0)
    rules = ("leg_group_id,network_id,from_area_id,to_area_id,from_timeframe_group_id,"
             "fare_product_id,rule_priority\n"
             "bus_legs,bus,north,north,,bus_local,0\nbus_legs,bus,north,south,,bus_long,0\n"
             "bus_flat,bus,,,,flat,1\ntram_legs,tram,,,,tram,0\n")
    files = {**ONLY_V2, "fare_leg_rules.txt": rules,
             "fare_products.txt": V2["fare_products.txt"] + "flat,Flat,,,1.20,EUR\n",
             "fare_transfer_rules.txt": None}
    storage.import_feed(db, write_feed(tmp_path / "prio.zip", **files), name="prio")
    # 2.40 return = 1.20 one way: every bus leg costs 1.20, the tram 1.50 does not fit
    got, rep = reach(db, 2.40, name="prio")
    assert got == {"B": "08:10", "C": "08:20", "D": None, "E": "08:12"}


def test_a_feed_with_fares_v1_and_v2_uses_v2(tmp_path, db):
    # under fares v1 the bus R1 costs 2.50 and R3 has no fare: nothing from A in 2.00;
    # under fares v2 (used) A -> B and A -> E cost 1.80
    storage.import_feed(db, write_feed(tmp_path / "both.zip", **V2), name="both")
    got, rep = reach(db, 4.00, name="both")
    assert got == {"B": "08:10", "C": None, "D": None, "E": "08:12"}
    assert rep["fare_models"] == {"both": "v2"}
    assert "the feed also has fares v1: fares v2 are used" in rep["feeds"]["both"]


def test_cli_import_says_fares_v2_and_refuses_a_broken_row(tmp_path, db_path):
    runner = CliRunner()
    r = runner.invoke(main, ["transit", "import", str(write_feed(tmp_path / "ok.zip", **V2)),
                             "--name", "bus"])
    assert r.exit_code == 0, r.output
    assert "fares: fares v2 (9 fare products, 4 fare leg rules, 1 fare transfer rules); " \
           "its 3 fares v1 are not used" in r.output
    before = runner.invoke(main, ["transit", "list"]).output
    broken = {**V2, "fare_products.txt": V2["fare_products.txt"].replace("2.10,EUR",
                                                                          "two,EUR")}
    r = runner.invoke(main, ["transit", "import", str(write_feed(tmp_path / "b.zip", **broken)),
                             "--name", "bus"])
    assert r.exit_code == 1
    assert "fare_products.txt" in r.output and "line 5" in r.output and "amount" in r.output
    assert runner.invoke(main, ["transit", "list"]).output == before


@pytest.mark.parametrize("file,old,new,line,field", [
    ("fare_leg_rules.txt", "tram,south,south,,tram", "tram,south,nowhere,,tram", 5,
     "to_area_id"),
    ("fare_leg_rules.txt", "tram,south,south,,tram", "tram,south,south,,", 5,
     "fare_product_id"),
    ("rider_categories.txt", "bim,Verhoogde tegemoetkoming,0", "bim,Verhoogde,2", 3,
     "is_default_fare_category"),
    ("stop_areas.txt", "south,D", "south,Q", 6, "stop_id"),
    ("timeframes.txt", "08:05:00,24:00:00,SP", "08:05:00,07:00:00,SP", 3, "end_time"),
    ("route_networks.txt", "tram,R2", "metro,R2", 4, "network_id"),
    ("fare_transfer_rules.txt", "bus_legs,tram_legs", "bus_legs,ferry_legs", 2,
     "to_leg_group_id"),
])
def test_a_broken_v2_row_names_file_line_and_field(tmp_path, db, file, old, new, line, field):
    storage.import_feed(db, write_feed(tmp_path / "good.zip", **ONLY_V2), name="v2")
    before = storage.list_feeds(db)
    assert old in V2[file]
    bad = {**ONLY_V2, file: V2[file].replace(old, new)}
    with pytest.raises(ImportFailed) as exc:
        storage.import_feed(db, write_feed(tmp_path / "bad.zip", **bad), name="v2")
    problems = exc.value.problems
    assert any(p.file == file and p.where == f"line {line}" and p.field == field
               for p in problems), problems
    assert storage.list_feeds(db) == before


# ---------------------------------------------------------------- end to end on the demo city
DEMO_V2 = {
    # the demo's sample lines: trams T1, T2, T3 and bus B4 (transit/sample.py)
    "networks.txt": "network_id,network_name\ntram,Tram\nbus,Bus\n",
    "route_networks.txt": "network_id,route_id\ntram,T1\ntram,T2\ntram,T3\nbus,B4\n",
    "rider_categories.txt": "rider_category_id,rider_category_name,is_default_fare_category\n"
                            "adult,Adult,1\nred,Reduced,0\n",
    # tram 2.10 (1.00 reduced), bus 1.80 for everyone
    "fare_products.txt": "fare_product_id,rider_category_id,amount,currency\n"
                         "tram,adult,2.10,EUR\ntram,red,1.00,EUR\nbus,,1.80,EUR\n",
    "fare_leg_rules.txt": "network_id,fare_product_id\ntram,tram\nbus,bus\n",
}
TUE = "2026-12-01 08:00-09:00"


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    """The demo database and three versions of its sample feed: with fares v2 only, without
    fares, and the bus line alone without fares."""
    import zipfile

    from buurtkaart.demo import demo_pbf
    from buurtkaart.network import load_or_build
    from buurtkaart.transit.sample import write_sample_feed

    tmp = tmp_path_factory.mktemp("city")
    mp = pytest.MonkeyPatch()
    mp.setenv("BUURTKAART_DATABASE", str(tmp / "demo.db"))
    r = CliRunner().invoke(main, ["demo"])
    assert r.exit_code == 0, r.output
    graph, _ = load_or_build(demo_pbf(), "walk")
    with zipfile.ZipFile(write_sample_feed(graph, tmp / "sample.zip")) as z:
        files = {n: z.read(n).decode() for n in z.namelist()}
    files["fare_attributes.txt"] = None

    def only_bus(text, sep):
        head, *rows = text.splitlines()
        return "\n".join([head] + [r for r in rows if r.startswith("B4" + sep)]) + "\n"

    bus = {**files, "routes.txt": only_bus(files["routes.txt"], ","),
           "trips.txt": only_bus(files["trips.txt"], ","),
           "stop_times.txt": only_bus(files["stop_times.txt"], "-"),
           "frequencies.txt": only_bus(files["frequencies.txt"], "-")}
    yield {"v2": write_feed(tmp / "v2.zip", files, **DEMO_V2),
           "free": write_feed(tmp / "free.zip", files),
           "bus": write_feed(tmp / "bus.zip", bus)}
    mp.undo()


def coverage(runner, feed, *args):
    r = runner.invoke(main, ["transit", "import", str(feed), "--name", "sample"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(main, ["coverage", "--minutes", "10", "--mode", "transit", "--depart",
                             TUE, *args])
    assert r.exit_code == 0, r.output
    import csv
    import io

    return {row["code"]: float(row["share_within"])
            for row in csv.DictReader(io.StringIO(r.stdout))}, r.stderr


@pytest.mark.slow
def test_cli_coverage_under_a_v2_budget_reaches_what_the_allowed_lines_reach(city, runner):
    # the same one-vehicle reach without any budget: all four lines, or the bus alone
    every_line, _ = coverage(runner, city["free"], "--max-transfers", "0")
    bus_only, _ = coverage(runner, city["bus"], "--max-transfers", "0")
    assert bus_only != every_line  # the trams matter to some neighbourhood
    # 4.00 return = 2.00 one way: the tram (2.10) is excluded, the bus (1.80) allowed; the
    # dearest allowed leg 1.80 leaves one vehicle
    full, err = coverage(runner, city["v2"], "--max-fare", "4.00")
    assert full == pytest.approx(bus_only)
    assert "fares of feed 'sample': fares v2 applied" in err
    assert "at most 1 vehicle(s) per journey" in err
    # reduced: the tram costs 1.00 and is allowed too; still one vehicle (dearest 1.80)
    reduced, err = coverage(runner, city["v2"], "--max-fare", "4.00", "--reduced-fare", "true")
    assert reduced == pytest.approx(every_line)


@pytest.mark.slow
def test_api_coverage_reports_the_v2_fare_model(city, runner):
    from buurtkaart import create_app

    from conftest import FIXED_NOW

    import os

    bus_only, _ = coverage(runner, city["bus"], "--max-transfers", "0")
    r = runner.invoke(main, ["transit", "import", str(city["v2"]), "--name", "sample"])
    assert r.exit_code == 0, r.output
    app = create_app({"DATABASE": os.environ["BUURTKAART_DATABASE"], "TESTING": True,
                      "NOW": FIXED_NOW})
    fc = app.test_client().get("/api/coverage?mode=transit&depart=2026-12-01+08:00-09:00"
                               "&minutes=10&max_fare=4.00").get_json()
    budget = fc["report"]["transit"]["fare_budget"]
    assert budget["fare_models"] == {"sample": "v2"}
    assert budget["feeds"]["sample"].startswith("fares v2 applied")
    assert fc["report"]["transit"]["fares"] == {"sample": "fares in feed (fares v2)"}
    shares = {f["properties"]["code"]: f["properties"]["share_within"] for f in fc["features"]}
    assert shares == pytest.approx(bus_only, abs=5e-5)  # the CSV rounds to 4 decimals


def test_routes_network_id_instead_of_route_networks(tmp_path, db):
    # the networks named in routes.txt (no networks.txt, no route_networks.txt): same answer
    routes = "route_id,agency_id,route_short_name,route_type,network_id\n" \
             "R1,T,1,3,bus\nR2,T,2,0,tram\nR3,T,3,3,bus\n"
    files = {**ONLY_V2, "routes.txt": routes, "networks.txt": None,
             "route_networks.txt": None}
    storage.import_feed(db, write_feed(tmp_path / "rn.zip", **files), name="rn")
    got, _ = reach(db, 4.00, name="rn")
    assert got == {"B": "08:10", "C": None, "D": None, "E": "08:12"}
    # both ways at once is refused, on the routes.txt lines that name a network
    both = {**ONLY_V2, "routes.txt": routes}
    with pytest.raises(ImportFailed) as exc:
        storage.import_feed(db, write_feed(tmp_path / "both.zip", **both), name="rn")
    assert [(p.file, p.where, p.field) for p in exc.value.problems] == [
        ("routes.txt", f"line {n}", "network_id") for n in (2, 3, 4)]


def test_a_feed_stored_before_fares_v2_still_loads_with_its_fares_v1(tmp_path, db):
    import io

    from buurtkaart.transit.gtfs import ARRAYS

    storage.import_feed(db, write_feed(tmp_path / "old.zip"), name="old")
    blob = db.execute("SELECT arrays FROM transit_feeds WHERE name = 'old'").fetchone()[0]
    with np.load(io.BytesIO(blob)) as z:  # the blob as written before fares v2 were read
        kept = {k: z[k] for k in (*ARRAYS, "agencies", "ignored")}
    buf = io.BytesIO()
    np.savez_compressed(buf, **kept)
    with db.atomic():
        db.execute("UPDATE transit_feeds SET arrays = ?, sha256 = 'before-v2' "
                   "WHERE name = 'old'", [buf.getvalue()])
    # fares v1: bus R1 2.50 does not fit in 2.00; tram R2 1.80 would, but is not reached
    got, rep = reach(db, 4.00, name="old")
    assert got == {"B": None, "C": None, "D": None, "E": None}
    assert rep["fare_models"] == {"old": "v1"} and "fares v1" in rep["feeds"]["old"]
    got, _ = reach(db, 5.00, name="old")
    assert got["C"] == "08:20"
