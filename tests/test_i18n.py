"""Languages: Dutch by default, English complete, the choice and the switch, catalogues.

The language comes from ``?lang=``, then the ``lang`` cookie, then ``Accept-Language``,
then Dutch. Catalogue tests fail when a marked string is missing from a catalogue, empty
or fuzzy, or when its placeholders differ from the English text.
"""

from __future__ import annotations

import ast
import re
import shutil
import tokenize
from html import unescape
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from test_api import build_directory

from buurtkaart import create_app, i18n
from buurtkaart.indicators import INDICATORS
from buurtkaart.taxonomy import PLACE_KINDS, THRESHOLDS, WORKING_MODELS

ROOT = Path(__file__).resolve().parents[1]
CATALOGUES = ROOT / "buurtkaart" / "translations"


@pytest.fixture
def directory(db):
    return build_directory(db)


@pytest.fixture
def browser(app):
    """A client that sends no Accept-Language at all (a fresh browser)."""
    return app.test_client()


def _visible(resp) -> str:
    html = resp.get_data(as_text=True)
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def _lang(resp) -> str:
    return re.search(r'<html lang="([^"]+)"', resp.get_data(as_text=True)).group(1)


# --------------------------------------------------------------------------- the choice
def test_dutch_when_nothing_is_asked(browser, directory):
    resp = browser.get("/")
    assert resp.status_code == 200 and _lang(resp) == "nl"
    text = _visible(resp)
    assert "Waar kan je andere mensen ontmoeten?" in text
    assert "3 ontmoetingsplekken" in text and "persoonlijke competentieversterking" in text
    assert "lang=" not in resp.headers.get("Set-Cookie", "")


@pytest.mark.parametrize("header, expected", [
    ("en", "en"), ("en-GB,en;q=0.9", "en"), ("nl-BE", "nl"), ("fr-BE, fr;q=0.9", "nl"),
    ("fr, en;q=0.5", "en"), ("de, nl;q=0.3, en;q=0.2", "nl"), ("", "nl")])
def test_accept_language_picks_a_language_we_have(browser, directory, header, expected):
    resp = browser.get("/places", headers={"Accept-Language": header})
    assert resp.status_code == 200 and _lang(resp) == expected


def test_cookie_beats_accept_language_and_query_beats_both(browser, directory):
    browser.set_cookie("lang", "nl")
    resp = browser.get("/places", headers={"Accept-Language": "en"})
    assert _lang(resp) == "nl" and "Ontmoetingsplekken" in _visible(resp)
    resp = browser.get("/places?lang=en", headers={"Accept-Language": "nl"})
    assert _lang(resp) == "en" and "Meeting places" in _visible(resp)
    # ?lang= is remembered: the next page without it stays English
    assert re.search(r"lang=en;.*Max-Age=\d+", resp.headers["Set-Cookie"])
    assert "HttpOnly" in resp.headers["Set-Cookie"]
    again = browser.get("/activities", headers={"Accept-Language": "nl"})
    assert _lang(again) == "en" and "Activities" in _visible(again)


def test_unknown_lang_values_are_ignored(browser, directory):
    for value in ("xx", "", "../etc", "EN"):
        resp = browser.get(f"/places?lang={value}", headers={"Accept-Language": "en"})
        assert resp.status_code == 200
        assert _lang(resp) == "en"  # "EN" is English too; the others fall back to the header
    browser.delete_cookie("lang")  # "EN" set it
    resp = browser.get("/places?lang=xx")
    assert _lang(resp) == "nl" and "lang=xx" not in resp.headers.get("Set-Cookie", "")


def test_every_page_has_a_switch_that_keeps_path_and_query(browser, directory):
    pid = browser.get("/api/places").get_json()["features"][0]["id"]
    for url in ("/", "/places?free=true&fbclid=abc", f"/places/{pid}", "/kaart", "/activities",
                "/neighbourhoods?municipality=44021", "/neighbourhoods/4402101", "/outreach",
                "/login", "/nothing-here", "/places?page=abc"):
        body = browser.get(url).get_data(as_text=True)
        nav = re.search(r'<nav class="languages[^"]*" aria-label="Taal">(.*?)</nav>', body, re.S)
        assert nav, url
        links = dict((code, unescape(href)) for href, code in
                     re.findall(r'<a href="([^"]+)" lang="(\w+)"', nav.group(1)))
        assert set(links) == {"en"} and "Nederlands" in nav.group(1), url
        path, _, query = url.partition("?")
        assert links["en"] == path + "?" + (query + "&" if query else "") + "lang=en", url
        english = browser.get(links["en"])
        assert _lang(english) == "en" and 'aria-label="Language"' in english.get_data(
            as_text=True), url
        browser.delete_cookie("lang")


def test_a_fresh_checkout_serves_dutch(tmp_path, db_path):
    """Only the .po files are in git: the app compiles them when it starts."""
    fresh = tmp_path / "translations"
    for po in CATALOGUES.glob("*/LC_MESSAGES/messages.po"):
        target = fresh / po.relative_to(CATALOGUES)
        target.parent.mkdir(parents=True)
        shutil.copy(po, target)
    assert not list(fresh.rglob("*.mo"))
    app = create_app({"DATABASE": str(db_path), "TESTING": True, "TRANSLATIONS_DIR": str(fresh)})
    resp = app.test_client().get("/")
    assert _lang(resp) == "nl" and "Waar kan je andere mensen ontmoeten?" in _visible(resp)
    assert sorted(p.parent.parent.name for p in fresh.rglob("messages.mo")) == ["en", "nl"]


def test_a_third_language_is_one_catalogue_file(tmp_path, db_path):
    third = tmp_path / "translations"
    shutil.copytree(CATALOGUES, third, ignore=shutil.ignore_patterns("*.mo", "*.pot"))
    po = third / "fr" / "LC_MESSAGES" / "messages.po"
    po.parent.mkdir(parents=True)
    po.write_text('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n'
                  '"Language: fr\\n"\n\nmsgid "Places"\nmsgstr "Lieux"\n', encoding="utf-8")
    app = create_app({"DATABASE": str(db_path), "TESTING": True, "TRANSLATIONS_DIR": str(third)})
    client = app.test_client()
    resp = client.get("/places", headers={"Accept-Language": "fr"})
    assert _lang(resp) == "fr" and "Lieux" in _visible(resp)
    assert "Meeting places" in _visible(resp)  # not yet translated: the English text
    assert "Français" in _visible(client.get("/places?lang=nl"))  # on the switch


# --------------------------------------------------------------------------- catalogues
def _extracted() -> dict:
    """Every string marked in the code and templates, as ``make messages`` extracts it."""
    method_map = [("buurtkaart/**.py", "python"), ("templates/**.html", "jinja2")]
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None, "Msg": None}
    found = {}
    for filename, _lineno, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map=method_map, keywords=keywords):
        if filename.startswith(("buurtkaart", "templates")):
            found[message] = filename
    return found


def _placeholders(text: str) -> set[str]:
    return set(re.findall(r"%\(\w+\)[sd]", text))


@pytest.mark.parametrize("locale", ["nl", "en"])
def test_catalogue_is_complete(locale):
    with (CATALOGUES / locale / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalogue = read_po(fh, locale=locale)
    problems = []
    for message_id, where in _extracted().items():
        key = message_id[0] if isinstance(message_id, tuple) else message_id
        entry = catalogue.get(key)
        if entry is None:
            problems.append(f"missing ({where}): {key!r} -- run `make messages`")
            continue
        if entry.fuzzy:
            problems.append(f"fuzzy: {key!r}")
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        if not all(strings):
            problems.append(f"empty: {key!r}")
            continue
        wanted = _placeholders(" ".join(message_id if isinstance(message_id, tuple)
                                        else (message_id,)))
        for s in strings:
            if _placeholders(s) - wanted:
                problems.append(f"placeholders differ: {key!r} -> {s!r}")
    assert problems == []


@pytest.mark.parametrize("locale", ["nl", "en"])
def test_catalogue_passes_the_checks_make_translations_runs(locale):
    """``pybabel compile`` (``make install``) refuses a catalogue whose python-format
    placeholders differ, and a stray ``%`` in English text (``80 % of``) reads as one."""
    with (CATALOGUES / locale / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalogue = read_po(fh, locale=locale)
    problems = [f"{message.id!r}: {error}" for message, errors in catalogue.check()
                for error in errors]
    assert problems == []


def test_dutch_speaks_to_the_reader_in_one_voice():
    """The pages say "je" to residents; a text that says "u" (or "uw") reads as another
    writer. Times are written 18:00, so a lone "u" is always the formal pronoun."""
    with (CATALOGUES / "nl" / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalogue = read_po(fh, locale="nl")
    formal = [s for m in catalogue if m.id
              for s in (m.string if isinstance(m.string, tuple) else (m.string,))
              if re.search(r"\b[Uu]w?\b", s or "")]
    assert formal == []


def test_dutch_labels_of_the_taxonomy_come_from_the_taxonomy():
    with (CATALOGUES / "nl" / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalogue = read_po(fh, locale="nl")
    for item in (*WORKING_MODELS.values(), *PLACE_KINDS.values(), *THRESHOLDS.values(),
                 *INDICATORS.values()):
        assert catalogue.get(item.label_en).string == item.label_nl, item.key


def test_no_translation_call_hides_inside_an_f_string():
    """Babel cannot see ``_("...")`` inside an f-string on Python 3.11: it would never
    reach the catalogues. Put the translated text in a variable first."""
    call = re.compile(r"(?<![\w.])(?:_|gettext|ngettext|N_|Msg)\(\s*['\"]")
    hidden = []
    for path in (ROOT / "buurtkaart").rglob("*.py"):
        with path.open("rb") as fh:
            for tok in tokenize.tokenize(fh.readline):
                if tok.type == tokenize.STRING and re.match(r"[rbuRBU]*[fF]", tok.string) \
                        and call.search(tok.string):
                    hidden.append(f"{path.relative_to(ROOT)}:{tok.start[0]}")
    assert hidden == []


def test_no_import_problem_is_written_in_english_only():
    """The import page shows a problem's reason in the page's language only when it is a
    ``Msg``; a reason written as a plain string (or f-string) would stay English there.
    Checked where problems are made: ``Problem(...)`` and the GTFS reader's
    ``probs.add(...)`` / ``probs.rows(...)``."""
    plain = []
    for path in (ROOT / "buurtkaart").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", None))
            collector = getattr(getattr(node.func, "value", None), "id", None) == "probs"
            if name == "Problem":
                reason = node.args[3] if len(node.args) > 3 else next(
                    (k.value for k in node.keywords if k.arg == "reason"), None)
            elif collector and name in ("add", "rows") and node.args:  # GTFS problems
                reason = node.args[-1]
            else:
                continue
            if reason is not None and any(
                    isinstance(part, ast.JoinedStr)
                    or (isinstance(part, ast.Constant) and isinstance(part.value, str))
                    for part in _outside_calls(reason)):
                plain.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert plain == []


def _outside_calls(expr) -> set:
    """The nodes of ``expr`` that are not inside a call (a call's arguments are its own)."""
    out, todo = set(), [expr]
    while todo:
        node = todo.pop()
        out.add(node)
        if not isinstance(node, ast.Call):
            todo.extend(ast.iter_child_nodes(node))
    return out


def test_language_names_in_the_page_language():
    assert i18n.language_name("fr", "nl") == "Frans"
    assert i18n.language_name("ar", "en") == "Arabic"
    assert i18n.language_name("qq", "nl") == "qq"
    assert i18n.locale_name("nl") == "Nederlands" and i18n.locale_name("en") == "English"


def test_pages_show_words_not_codes(client, browser, directory):
    pid = {f["properties"]["name"]: f["id"] for f in
           client.get("/api/places").get_json()["features"]}["Buurthuis Noord"]
    nl = _visible(browser.get(f"/places/{pid}"))
    assert "di–do 13:00–22:00" in nl and "Talen: Arabisch" in nl
    assert "elke woensdag 19:00–21:00" in nl and "buurthuis" in nl
    en = _visible(client.get(f"/places/{pid}"))
    assert "Tue–Thu 13:00–22:00" in en and "Languages: Arabic" in en
    body = client.get(f"/places/{pid}").get_data(as_text=True)
    assert "openstreetmap.org/directions?engine=fossgis_osrm_foot&amp;route=%3B51.07" in body
    assert "Plan a route" in en and "Location" not in en


def test_plurals_are_right_in_both_languages(client, browser, directory):
    assert "1 place that is: free" in _visible(client.get("/places?free=true"))
    assert "1 plek die past bij: gratis" in _visible(browser.get("/places?free=true"))
    assert "3 places" in _visible(client.get("/places"))
    assert "3 plekken" in _visible(browser.get("/places"))


def test_with_children_says_what_it_matches_and_matches_what_is_shown(client, directory):
    text = _visible(client.get("/places?childcare=true"))
    assert re.search(r"\d places? that (is|are): with children \(childcare or children "
                     r"welcome\)", text)
    # every listed activity shows one of the two as "yes"
    body = client.get("/activities?childcare=true").get_data(as_text=True)
    items = re.findall(r'<article class="activity">(.*?)</article>', body, re.S)
    assert items
    for item in items:
        assert ("childcare on site: yes" in item) or ("children welcome: yes" in item)


def test_municipality_names_replace_codes_where_known(client, directory, db):
    import geopandas as gpd
    import shapely

    from buurtkaart import municipalities

    municipalities.save_municipalities(db, gpd.GeoDataFrame(
        {"code": ["44021"], "name": ["Gent"]}, geometry=[shapely.box(3.6, 51.0, 3.8, 51.1)],
        crs=4326), source="test")
    text = _visible(client.get("/neighbourhoods"))
    # the list names the municipality (its code only where no name is stored)
    assert " Gent " in text and "Gent (44021)" not in text and "11001" in text
    assert "2 neighbourhoods in Gent (44021)" in _visible(
        client.get("/neighbourhoods?municipality=44021"))
    assert "Municipality Gent (44021)" in _visible(client.get("/neighbourhoods/4402101"))
    assert "places that are: municipality Gent (44021)" in _visible(
        client.get("/places?municipality=44021"))
    assert "2 wijken in Gent (44021)" in _visible(
        client.get("/neighbourhoods?municipality=44021&lang=nl"))


def test_an_openstreetmap_id_becomes_a_link(client, db):
    from buurtkaart import store
    from buurtkaart.records import validate_place

    p, _ = validate_place({"name": "Rikhardinkadun kirjasto", "kind": "library",
                           "lon": 24.9504, "lat": 60.1659, "street": "Rikhardinkatu 3",
                           "city": "Helsinki",
                           "source": "OpenStreetMap contributors (ODbL), node/4989964863"})
    store.save_directory(db, places=[p])
    pid = store.places(db)[0]["id"]
    resp = client.get(f"/places/{pid}")
    body, text = resp.get_data(as_text=True), _visible(resp)
    assert 'href="https://www.openstreetmap.org/node/4989964863"' in body
    assert "node/4989964863" not in text and "60.1659" not in text
    assert "Rikhardinkatu 3, Helsinki" in text
    assert "Source OpenStreetMap contributors (ODbL) · this place on OpenStreetMap" in text


def test_map_frames_say_their_language(client, browser, directory):
    assert '<html lang="nl">' in browser.get("/kaart/frame").get_data(as_text=True)
    assert '<html lang="en">' in client.get("/kaart/frame").get_data(as_text=True)
    frame = browser.get("/kaart/frame?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in frame and "Legend" in frame


def test_the_api_answers_in_english_whatever_the_page_language(browser, directory):
    assert _lang(browser.get("/places")) == "nl"  # a Dutch page first, on the same thread
    for headers in ({}, {"Accept-Language": "nl"}):
        body = browser.get("/api/indicators", headers=headers).get_json()
        labels = {i["indicator"]: i["label"] for i in body["indicators"]}
        assert labels["population"] == "population (bevolking)"
    resp = browser.get("/api/places?lang=nl")
    assert resp.status_code == 400 and "lang=" not in resp.headers.get("Set-Cookie", "")


def test_a_page_leaves_no_language_behind(client):
    """After a Dutch page, code in the same thread (the command line, the next test)
    speaks the English source text again."""
    from buurtkaart import i18n

    assert client.get("/places?lang=nl").status_code == 200
    assert i18n.current_locale() == "en"
    assert i18n.gettext("Open now") == "Open now"
