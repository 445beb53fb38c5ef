"""A long import in another process while people write through the web app.

Real on-disk SQLite, a real ``buurtkaart import places`` subprocess of 10,000
places, and three clients writing through the app meanwhile (API PATCH and
verify, admin form edits and verify, token reads of ``/api/changes``). No
response may be a 500; every write is either applied (read back at once) or
answered 503 with ``Retry-After``; the import lands completely.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import subprocess
import sys
import threading

from test_web_editing import PLACE_FORM, _auth, _csrf, login, setup  # noqa: F401

from buurtkaart import store
from buurtkaart.concurrency import running_import

N_PLACES = 10_000


def _big_csv(path, n):
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["place_uid", "place_name", "kind", "lon", "lat", "opening_hours"])
        for i in range(n):
            w.writerow([f"imp-{i}", f"Ontmoetingsplek {i}", "community_house",
                        f"{3.6 + (i % 300) / 1000:.4f}", f"{51.0 + (i // 300) / 1000:.4f}",
                        "Mo-Fr 09:00-17:00"])


def test_web_writes_during_a_long_import_are_applied_or_answered_503(
        app, client, setup, db_path, tmp_path):
    app.config["RATE_LIMITS"] = {"login": (100, 60), "write": (10**6, 60)}  # not the subject
    headers = _auth(setup, "admin@stad.be")
    resp = client.post("/api/places", json={"name": "Buurthuis De Kring", "kind": "community_house",
                                            "lon": 3.725, "lat": 51.054}, headers=headers)
    uid = resp.get_json()["record"]["uid"]
    big = tmp_path / "groot.csv"
    _big_csv(big, N_PLACES)
    importer = subprocess.Popen(
        [sys.executable, "-m", "buurtkaart", "import", "places", str(big)],
        env={**os.environ, "BUURTKAART_DATABASE": str(db_path),
             "PYTHONPATH": os.pathsep.join(sys.path)},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    results: list[tuple[str, int, bool, bool]] = []  # (what, status, retry-after, applied)
    during = []
    lock = threading.Lock()

    def record(what, resp, applied):
        with lock:
            results.append((what, resp.status_code, bool(resp.headers.get("Retry-After")),
                            applied))
            during.append(running_import(db_path) is not None)

    def api_writer():
        c = app.test_client()
        i = 0
        while importer.poll() is None:
            i += 1
            phone = f"09 000 {i:05d}"
            resp = c.patch(f"/api/places/by-uid/{uid}", json={"phone": phone}, headers=headers)
            stored = c.get(f"/api/places/by-uid/{uid}").get_json()["record"]["phone"]
            record("api patch", resp, stored == phone)
            resp = c.post(f"/api/places/by-uid/{uid}/verify", headers=headers)
            record("api verify", resp, resp.status_code != 200
                   or resp.get_json()["record"]["last_verified"] is not None)

    def page_writer():
        c = app.test_client()
        login(c, "admin@stad.be")
        token = _csrf(c)
        i = 0
        while importer.poll() is None:
            i += 1
            city = f"Gent {i}"
            form = {k: v for k, v in PLACE_FORM.items()  # leave the API's and verify's fields
                    if k not in ("phone", "last_verified")}
            resp = c.post(f"/admin/places/{uid}", data={**form, "city": city,
                                                        "csrf_token": token})
            stored = c.get(f"/api/places/by-uid/{uid}").get_json()["record"]["city"]
            record("form edit", resp, stored == city)
            resp = c.post(f"/admin/places/{uid}/verify", data={"csrf_token": token})
            stored = c.get(f"/api/places/by-uid/{uid}").get_json()["record"]["last_verified"]
            record("page verify", resp, stored == dt.date.today().isoformat())

    def reader():
        c = app.test_client()
        while importer.poll() is None:
            resp = c.get("/api/changes?limit=5", headers=headers)
            record("token read", resp, resp.status_code == 200)

    raised = []  # the test client re-raises what would be a 500 in production

    def guarded(fn):
        def run():
            try:
                fn()
            except Exception as exc:  # noqa: BLE001 - reported below
                raised.append(f"{fn.__name__}: {exc!r}")
        return run

    threads = [threading.Thread(target=guarded(f)) for f in (api_writer, page_writer, reader)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out, err = importer.communicate()
    assert importer.returncode == 0, err
    assert f"{N_PLACES} places" in out

    statuses = [status for _, status, _, _ in results]
    assert raised == []
    assert 500 not in statuses
    assert any(during), "no write happened while the import ran"
    for what, status, retry_after, applied in results:
        if status == 503:
            assert retry_after, what
        else:
            assert status in (200, 302), (what, status)
            assert applied, what
    # the reads with a token were never refused
    assert {s for what, s, _, _ in results if what == "token read"} == {200}
    assert store.counts(store.connect(db_path))["places"] == N_PLACES + 1
