"""Two imports at once: the second says plainly which import is running and changes nothing."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest
from test_web_editing import _csrf, login, setup  # noqa: F401

from buurtkaart import store
from buurtkaart.cli import main
from buurtkaart.concurrency import import_lock

CSV = ("place_uid,place_name,kind,lon,lat\n"
       "kring,Buurthuis De Kring,community_house,3.725,51.054\n")


@pytest.fixture
def first_import(db_path, db):
    """Another process running a long import (it holds the lock until stdin closes)."""
    code = ("import sys; from buurtkaart import store; from buurtkaart.concurrency import "
            "import_lock\n"
            f"db = store.connect({str(db_path)!r})\n"
            "with import_lock(db, kind='osm import', file='belgium-latest.osm.pbf', "
            "user='beheer@stad.be'):\n"
            "    print('holding', flush=True); sys.stdin.read()\n")
    proc = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert proc.stdout.readline().strip() == "holding"
    yield proc
    proc.stdin.close()
    proc.wait(timeout=30)


def test_a_second_cli_import_names_the_running_one_and_changes_nothing(
        runner, tmp_path, db_path, db, first_import):
    f = tmp_path / "aanbod.csv"
    f.write_text(CSV, encoding="utf-8")
    result = runner.invoke(main, ["import", "places", str(f)])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    line = lines[0]
    assert "another import is running" in line
    assert "osm import from belgium-latest.osm.pbf" in line
    assert "beheer@stad.be" in line and f"pid {first_import.pid}" in line and "started 20" in line
    assert store.counts(db)["places"] == 0
    for cmd in (["import", "osm", str(f)], ["import", "indicators", str(f)],
                ["import", "neighbourhoods", str(f)]):
        result = runner.invoke(main, cmd)
        assert result.exit_code == 1 and "another import is running" in result.output, cmd


def test_a_second_import_waits_a_bounded_time_for_the_first(runner, tmp_path, db, first_import):
    f = tmp_path / "aanbod.csv"
    f.write_text(CSV, encoding="utf-8")
    first_import.stdin.close()  # the first one finishes while the second waits
    result = runner.invoke(main, ["import", "places", str(f), "--wait", "60"])
    assert result.exit_code == 0, result.output
    assert store.counts(db)["places"] == 1


def test_the_web_import_page_says_which_import_is_running(client, setup, first_import):
    login(client, "admin@stad.be")
    resp = client.post("/admin/import", data={
        "kind": "places", "csrf_token": _csrf(client),
        "file": (io.BytesIO(CSV.encode()), "aanbod.csv")}, content_type="multipart/form-data")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 409
    assert "another import is running: osm import from belgium-latest.osm.pbf" in page
    assert "Traceback" not in page
    assert client.get("/api/places").get_json()["features"] == []


def test_a_killed_import_leaves_no_lock_behind(db_path, db, tmp_path, runner):
    code = ("import os; from buurtkaart import store; from buurtkaart.concurrency import "
            "import_lock\n"
            f"db = store.connect({str(db_path)!r})\n"
            "with import_lock(db, kind='csv import', file='x.csv'):\n"
            "    os.kill(os.getpid(), 9)\n")
    proc = subprocess.run([sys.executable, "-c", code],
                          env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert proc.returncode == -9
    f = tmp_path / "aanbod.csv"
    f.write_text(CSV, encoding="utf-8")
    result = runner.invoke(main, ["import", "places", str(f)])
    assert result.exit_code == 0, result.output


def test_while_an_import_runs_a_write_that_cannot_wait_names_it(
        db_path, db, monkeypatch, first_import):
    from buurtkaart.concurrency import DatabaseBusy

    monkeypatch.setenv("BUURTKAART_BUSY_TIMEOUT", "0")
    other = store.connect(db_path)
    other.conn.execute("BEGIN IMMEDIATE")
    with pytest.raises(DatabaseBusy, match="an import is running .osm import from "
                                           "belgium-latest.osm.pbf"):
        store.save_directory(db, places=[])
    other.conn.execute("ROLLBACK")


def test_one_process_cannot_take_the_lock_twice(db):
    from buurtkaart.concurrency import ImportRunning

    with import_lock(db, kind="csv import", file="a.csv"):
        with pytest.raises(ImportRunning, match="csv import from a.csv"):
            with import_lock(db, kind="csv import", file="b.csv", wait=0.3):
                pass
