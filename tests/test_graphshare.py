"""Server processes share one copy of the travel-time graphs (memory-mapped files).

Two app instances in separate processes answer the same questions with the same
numbers as an app that loads a private copy, and both map the same array files
of the cache directory (read from ``/proc/<pid>/maps``, what the kernel shares).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: Run by each child process: answers as JSON, and the graph files it has mapped.
CHILD = r"""
import json, sys
from buurtkaart import create_app
app = create_app({"DATABASE": sys.argv[1], "TESTING": True, "NOW": sys.argv[2]})
c = app.test_client()
answers = {}
for url in sys.argv[3:]:
    r = c.get(url, headers={"Accept-Language": "en"})
    answers[url] = [r.status_code, r.get_json()]
maps = sorted({line.split()[-1] for line in open("/proc/self/maps")
               if ".arrays/" in line and line.rstrip().endswith(".npy")})
print(json.dumps({"answers": answers, "maps": maps}))
"""

URLS = ["/api/coverage?mode=walk&minutes=10",
        "/api/coverage?mode=wheelchair&minutes=5",
        "/api/finder?lon=24.9384&lat=60.1699&mode=walk&minutes=15"]


def _child(db: Path, cache: Path, *, share: bool):
    from conftest import FIXED_NOW

    env = {**os.environ, "BUURTKAART_CACHE": str(cache),
           "BUURTKAART_MMAP_GRAPHS": "1" if share else "0",
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    return subprocess.Popen([sys.executable, "-c", CHILD, str(db), FIXED_NOW, *URLS],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _result(proc) -> dict:
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err
    return json.loads(out.strip().splitlines()[-1])


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="needs Linux /proc")
def test_two_processes_map_the_same_graph_files_and_answer_alike(demo_database,
                                                                 network_cache):
    private = _result(_child(demo_database, network_cache, share=False))
    assert private["maps"] == []  # loaded as private copies
    first, second = (_child(demo_database, network_cache, share=True) for _ in range(2))
    a, b = _result(first), _result(second)
    for url in URLS:
        status, body = a["answers"][url]
        assert status == 200, body
        assert a["answers"][url] == b["answers"][url] == private["answers"][url]
    shares = [f["properties"]["share_within"] for f in a["answers"][URLS[0]][1]["features"]]
    assert any(s for s in shares)  # real numbers, not an empty answer
    # the walking and wheelchair graphs' arrays and edge times, the same files in both
    assert a["maps"] and a["maps"] == b["maps"]
    names = {Path(p).name for p in a["maps"]}
    assert {"indptr.npy", "indices.npy", "length_m.npy"} <= names
    assert any(n.startswith("seconds-") for n in names)
    assert all(Path(p).is_relative_to(network_cache) for p in a["maps"])
