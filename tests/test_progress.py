"""Progress bars on the command line: counts and time left on stderr when asked for (or on
a terminal), never on stdout, never in machine-readable output."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from buurtkaart.cli import main

CSV = ("place_uid,place_name,kind,lon,lat,activity_uid,activity_name,models,cost\n"
       "loods,De Loods,drop_in_centre,3.72,51.05,soep,Soep,organisation,gratis\n"
       "hal,De Hal,community_house,3.73,51.06,quiz,Quiz,peer,gratis\n")
#: tqdm's bar: "desc:  100%|█████| 3/3 [00:00<00:00, ...]" (done/total [elapsed<left])
BAR = r"{desc}: +100%\|[^|]*\| {done}/{done} \[[0-9:]+<[0-9:]+"


@pytest.fixture
def demo_copy(demo_database, tmp_path, monkeypatch):
    path = tmp_path / "demo.db"
    shutil.copy(demo_database, path)
    monkeypatch.setenv("BUURTKAART_DATABASE", str(path))
    return path


def test_an_import_shows_counts_and_time_left_when_asked(runner, db_path, tmp_path,
                                                         monkeypatch):
    path = tmp_path / "aanbod.csv"
    path.write_text(CSV)
    monkeypatch.setenv("BUURTKAART_PROGRESS", "1")  # as if stderr were a terminal
    result = runner.invoke(main, ["import", "places", str(path)])
    assert result.exit_code == 0, result.stderr
    err = result.stderr.replace("\r", "\n")
    assert re.search(BAR.format(desc="comparing with the directory", done=4), err), err
    assert re.search(BAR.format(desc="writing", done=4), err), err
    assert "aanbod.csv" in err  # the reading stage names the file
    assert result.stdout.startswith("imported 0 organisations, 2 places and 2 activities")
    assert "%|" not in result.stdout


def test_no_bars_without_a_terminal_or_when_turned_off(runner, db_path, tmp_path,
                                                       monkeypatch):
    path = tmp_path / "aanbod.csv"
    path.write_text(CSV)
    assert runner.invoke(main, ["import", "places", str(path)]).stderr == ""
    monkeypatch.setenv("BUURTKAART_PROGRESS", "1")
    result = runner.invoke(main, ["--no-progress", "import", "places", str(path)])
    assert result.exit_code == 0 and result.stderr == ""


def test_indicator_import_counts_its_rows(runner, db, tmp_path):
    import geopandas as gpd
    import shapely

    from buurtkaart import store

    store.save_neighbourhoods(db, gpd.GeoDataFrame(
        {"code": ["A1", "A2"], "name": ["A", "B"]},
        geometry=[shapely.box(3.7, 51.0, 3.71, 51.01), shapely.box(3.71, 51.0, 3.72, 51.01)],
        crs=4326), source="test")
    path = tmp_path / "ind.csv"
    path.write_text("code,year,population\nA1,2024,100\nA2,2024,250\n")
    result = runner.invoke(main, ["--progress", "import", "indicators", str(path)])
    assert result.exit_code == 0, result.stderr
    err = result.stderr.replace("\r", "\n")
    assert re.search(BAR.format(desc="reading indicator rows", done=2), err), err
    assert re.search(BAR.format(desc="saving indicator values", done=2), err), err


def test_suggest_json_stays_clean_while_the_bar_runs(runner, demo_copy, monkeypatch):
    monkeypatch.setenv("BUURTKAART_PROGRESS", "1")
    result = runner.invoke(main, ["suggest", "--k", "2", "--minutes", "3", "--json"])
    assert result.exit_code == 0, result.stderr
    body = json.loads(result.stdout)  # nothing but the JSON on stdout
    assert body["asked"] == 2 and len(body["suggestions"]) == 2
    assert body["suggestions"][0]["residents_newly_covered"] >= \
        body["suggestions"][1]["residents_newly_covered"] > 0
    err = result.stderr.replace("\r", "\n")
    assert re.search(r"choosing locations: +100%\|[^|]*\| 2/2 \[", err), err


def test_coverage_geojson_with_progress_and_network_build(runner, demo_copy, helsinki_pbf):
    result = runner.invoke(main, ["--progress", "coverage", "--format", "geojson"])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["type"] == "FeatureCollection"
    assert re.search(BAR.format(desc="coverage", done=4), result.stderr.replace("\r", "\n"))
    built = runner.invoke(main, ["--progress", "network", "build", "--pbf", str(helsinki_pbf)])
    assert built.exit_code == 0, built.stderr
    assert re.search(BAR.format(desc="network build", done=5), built.stderr.replace("\r", "\n"))
    assert built.stdout.startswith("networks ready:")


@pytest.mark.skipif(sys.platform != "linux", reason="uses a Linux pseudo-terminal")
def test_a_terminal_gets_the_bar_without_asking(demo_copy):
    """A real process whose stderr is a terminal shows the bar; its stdout (a pipe) holds
    only the CSV."""
    import pty

    master, slave = pty.openpty()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    env.pop("BUURTKAART_PROGRESS", None)
    proc = subprocess.run([sys.executable, "-m", "buurtkaart", "coverage", "--minutes", "3"],
                          stdout=subprocess.PIPE, stderr=slave, env=env, timeout=300)
    os.close(slave)
    err = b""
    try:
        while chunk := os.read(master, 65536):
            err += chunk
    except OSError:  # the terminal is closed once everything is read
        pass
    os.close(master)
    assert proc.returncode == 0
    assert proc.stdout.decode().startswith("code,name,municipality_code")
    assert "%|" not in proc.stdout.decode()
    assert re.search(BAR.format(desc="coverage", done=4), err.decode().replace("\r", "\n"))
