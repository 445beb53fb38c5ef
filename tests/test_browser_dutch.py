"""No English for a Dutch reader: every page, public and for an administrator, opened in a
real Chromium (1366x900, browser asking for Dutch) on a copy of the demo database.

The test reads what a person sees or hears: the visible text (hidden and collapsed parts
left out, as a screen shows them), the page title, and the ``aria-label``, ``alt``,
``placeholder`` and ``title`` texts; on the map also the legend, the layer control and an
opened popup. It fails on common English words there. What is not written by buurtkaart
is taken out first, so the data cannot fool it either way: every text stored in the
database (names of places, activities, organisations and neighbourhoods, addresses,
descriptions, sources, e-mail addresses; the demo's names are Finnish and English), code
samples (``<code>``), web and e-mail addresses. Screenshots are saved under the test's
output (and copied to /tmp/shots-dutch/ for review).
"""

from __future__ import annotations

import re
import shutil
import sqlite3
from pathlib import Path

import pytest
from test_browser import _page, browser, serving  # noqa: F401  (fixtures)

from buurtkaart import accounts, create_app, store

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots-dutch")
PASSWORD = "paars konijn leest traag"

#: Common English words that are not Dutch words (``is``, ``in``, ``of``, ``door``, ``op``,
#: ``me``, ``we``, ``was``, ``open``, and the loanwords ``import``, ``token``, ``weekend``,
#: ``data``, ``log``, ``total``, ``details``, ``indicator`` are left out: they are Dutch too).
ENGLISH = """the and with from for this that these those you your are not were which what
when where there here have has had will would should could been about after before into than
then them they their our please found nothing every each other only more less show shows
shown page pages place places activity activities neighbourhood neighbourhoods unknown search
yes none any some why how who whose can cannot may must need needs near nearest walking
minutes within free children childcare wheelchair access reach map legend back
next previous results result save saved edit edited change changes changed imported
file files row field fields problem problems error errors invalid missing required
organisation organisations municipality municipalities indicators value values
source sources year years share sample history undo users user
password email login logout week today tomorrow evening monday tuesday wednesday
thursday friday saturday sunday morning afternoon night hours closed failed parse""".split()
_WORD = re.compile(r"\b(" + "|".join(ENGLISH) + r")\b", re.I)

_VISIBLE = """() => {
  const quiet = [...document.querySelectorAll('code, pre, kbd, samp')];
  const saved = quiet.map(e => e.style.display);
  quiet.forEach(e => { e.style.display = 'none'; });
  const text = document.body ? document.body.innerText : '';
  quiet.forEach((e, i) => { e.style.display = saved[i]; });
  const attrs = [];
  for (const e of document.querySelectorAll('[aria-label], [alt], [placeholder], [title]')) {
    if (e.closest('code, pre')) continue;
    for (const a of ['aria-label', 'alt', 'placeholder', 'title']) {
      const v = e.getAttribute(a);
      if (v) attrs.push(v);
    }
  }
  return [document.title, text, ...attrs].join('\\n');
}"""


def _stored_texts(path: Path) -> list[str]:
    """Every text value stored in the database (the data, not buurtkaart's words)."""
    texts = set()
    with sqlite3.connect(path) as conn:
        tables = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%' "
            "AND name NOT LIKE '%fts%' AND name NOT LIKE '%rtree%'")]
        for table in tables:
            cols = [r[1] for r in conn.execute(f"PRAGMA table_info('{table}')")
                    if r[2].upper() in ("TEXT", "")]
            for col in cols:
                for (v,) in conn.execute(f"SELECT DISTINCT \"{col}\" FROM \"{table}\" "
                                         f"WHERE typeof(\"{col}\") = 'text'"):
                    if v and len(v) >= 3 and not v.startswith(("{", "[")):
                        texts.add(v.strip())
    return sorted(texts, key=len, reverse=True)


def english_words(text: str, data: list[str]) -> list[str]:
    """The English words in ``text`` with a little context, after taking out the data,
    web addresses and e-mail addresses."""
    for value in data:
        if value in text:
            text = text.replace(value, " ")
    text = re.sub(r"\S+@\S+|https?://\S+|\b[\w-]+\.(?:csv|json|geojson|xlsx|txt|pbf|db)\b",
                  " ", text)
    return [text[max(0, m.start() - 30):m.end() + 30].replace("\n", " ")
            for m in _WORD.finditer(text)]


def test_the_checker_finds_english_and_is_not_fooled_by_data():
    data = ["The Library of Kallio", "Coffee morning (sample)"]
    assert english_words("Open op maandag. The Library of Kallio", data) == []
    assert english_words("Coffee morning (sample): elke dinsdag", data) == []
    assert english_words("Schrijf naar info@the-place.fi of https://the.page/with", data) == []
    assert english_words("Nothing was found", data) != []
    assert english_words("3 plekken, 2 activities", data) != []
    assert english_words("Wijk: onbekend", data) == []


@pytest.fixture(scope="module")
def demo_copy(demo_database, tmp_path_factory):
    path = tmp_path_factory.mktemp("dutch") / "demo.db"
    shutil.copy(demo_database, path)
    db = store.connect(path)
    admin = accounts.create_user(db, "beheer@stad.be", PASSWORD, role="admin")
    accounts.create_token(db, admin["id"], name="kaartlaag")
    db.conn.close()
    return path


@pytest.fixture(scope="module")
def site(demo_copy):
    app = create_app({"DATABASE": str(demo_copy), "TESTING": True})
    with serving(app) as base:
        yield base


def _ids(path: Path) -> dict:
    with sqlite3.connect(path) as conn:
        place_id, place_uid = conn.execute(
            "SELECT id, uid FROM places WHERE archived_at IS NULL ORDER BY id").fetchone()
        activity_id, activity_uid = conn.execute(
            "SELECT a.id, a.uid FROM activities a JOIN places p ON p.id = a.place_id "
            "WHERE a.archived_at IS NULL AND p.archived_at IS NULL ORDER BY a.id").fetchone()
        code = conn.execute("SELECT neighbourhood_code FROM indicators "
                            "ORDER BY neighbourhood_code").fetchone()[0]
        indicator = conn.execute("SELECT indicator FROM indicators ORDER BY indicator"
                                 ).fetchone()[0]
        user_id = conn.execute("SELECT id FROM users").fetchone()[0]
    return {"pid": place_id, "puid": place_uid, "aid": activity_id, "auid": activity_uid,
            "code": code, "indicator": indicator, "uid": user_id}


PUBLIC = ["/", "/places", "/places?q=Annankatu", "/places?when=tonight&free=true",
          "/places/{pid}", "/activities", "/activities/{aid}", "/kaart",
          "/kaart?indicator={indicator}", "/kaart?indicator=typology",
          "/neighbourhoods", "/neighbourhoods/{code}",
          "/outreach", "/api/docs", "/login", "/nergens", "/places?page=abc",
          "/places/999999"]
ADMIN = ["/admin/", "/admin/places/new", "/admin/places/{puid}", "/admin/activities/new",
         "/admin/activities/{auid}", "/admin/history", "/admin/users", "/admin/tokens",
         "/admin/users/{uid}/tokens", "/admin/import"]


def _look(page, name: str, tmp_path: Path) -> str:
    shot = tmp_path / f"{name}.png"
    page.screenshot(path=str(shot), full_page=True)
    SHOTS.mkdir(exist_ok=True)
    shutil.copy(shot, SHOTS / shot.name)
    text = page.evaluate(_VISIBLE)
    frame = next((f for f in page.frames if "/kaart/frame" in f.url), None)
    if frame is not None:
        page.frame_locator("#map-frame").locator(".leaflet-container").wait_for(timeout=30000)
        text += "\n" + frame.evaluate(_VISIBLE)
        for target in ("path.bk-place", "path.bk-neighbourhood"):
            shapes = page.frame_locator("#map-frame").locator(target)
            if shapes.count():
                shapes.first.dispatch_event("click")
                popup = page.frame_locator("#map-frame").locator(".leaflet-popup-content").last
                popup.wait_for(timeout=5000)
                text += "\n" + popup.inner_text()
    with (tmp_path / "visible.txt").open("a", encoding="utf-8") as fh:  # for review
        fh.write(f"==== {name} {page.url}\n{text}\n")
    return text


def test_no_english_on_any_page_for_a_dutch_reader(browser, site, demo_copy,  # noqa: F811
                                                   tmp_path):
    data = _stored_texts(demo_copy) + ["beheer@stad.be", "kaartlaag"]
    ids = _ids(demo_copy)
    context, page, _outside, errors = _page(browser, viewport={"width": 1366, "height": 900},
                                            locale="nl-BE")
    page.set_default_timeout(180_000)  # coverage on the demo network takes a while
    found: dict[str, list[str]] = {}

    def visit(path: str, name: str) -> None:
        page.goto(site + path.format(**ids), wait_until="networkidle")
        assert page.locator("html").get_attribute("lang") == "nl", path
        words = english_words(_look(page, name, tmp_path), data)
        if words:
            found[path] = words

    for i, path in enumerate(PUBLIC):
        visit(path, f"public-{i:02d}")
    page.goto(site + "/login", wait_until="networkidle")
    page.fill('input[name="email"]', "beheer@stad.be")
    page.fill('input[name="password"]', PASSWORD)
    page.locator('form button[type="submit"]').click()
    page.wait_for_load_state("networkidle")
    for i, path in enumerate(ADMIN):
        visit(path, f"admin-{i:02d}")
    # a form with mistakes, and an import with problems
    page.goto(site + "/admin/places/new", wait_until="networkidle")
    page.fill('input[name="name"]', "Proef")
    page.fill('input[name="lon"]', "24.94")
    page.fill('input[name="lat"]', "999")
    page.fill('input[name="opening_hours"]', "elke dag")  # the browser checks e-mail itself
    page.locator('form.form button[type="submit"]').first.click()
    page.wait_for_load_state("networkidle")
    text = _look(page, "admin-form-problems", tmp_path)
    assert "Niet opgeslagen" in text and "coördinaat '999' is geen getal" in text
    assert "geen geldige schrijfwijze van OpenStreetMap-openingsuren" in text
    words = english_words(text, data)
    if words:
        found["place form with problems"] = words
    bad = tmp_path / "aanbod.csv"
    bad.write_text("place_name;lon;lat;activity_name;models\nKapot;abc;51,05;X;peer\n",
                   encoding="utf-8")
    page.goto(site + "/admin/import", wait_until="networkidle")
    page.set_input_files('input[name="file"]', str(bad))
    page.locator('form.form button[type="submit"]').click()
    page.wait_for_load_state("networkidle")
    text = _look(page, "admin-import-problems", tmp_path)
    assert "rij 2" in text
    words = english_words(text, data)
    if words:
        found["import with problems"] = words
    # file-level problems of a neighbourhood file and an indicator table
    hoods = tmp_path / "wijken.geojson"
    hoods.write_text('{"type": "FeatureCollection", "crs": {"type": "name", "properties": '
                     '{"name": "urn:ogc:def:crs:EPSG::99999"}}, "features": [{"type": '
                     '"Feature", "properties": {"code": "1", "naam": "A"}, "geometry": '
                     '{"type": "Point", "coordinates": [1, 2]}}]}', encoding="utf-8")
    table = tmp_path / "indicatoren.csv"
    table.write_text("code;jaar;onbekende_maat\n11002A00-;2024;3\n", encoding="utf-8")
    for kind, upload, shot in (("neighbourhoods", hoods, "admin-import-hoods"),
                               ("indicators", table, "admin-import-indicators")):
        page.goto(site + "/admin/import", wait_until="networkidle")
        page.select_option('select[name="kind"]', kind)
        page.set_input_files('input[name="file"]', str(upload))
        page.locator('form.form button[type="submit"]').click()
        page.wait_for_load_state("networkidle")
        text = _look(page, shot, tmp_path)
        assert "Er is niets geïmporteerd" in text, text
        assert page.locator('select[name="kind"]').input_value() == kind  # kept as chosen
        assert page.locator('.error li[lang="en"]').count() == 0, text
        words = english_words(text, data)
        if words:
            found[f"{kind} import with problems"] = words
    context.close()
    (tmp_path / "english.txt").write_text(
        "\n".join(f"{k}: {w!r}" for k, ws in found.items() for w in ws), encoding="utf-8")
    assert found == {}
    assert errors == []
