"""Finding what people type: addresses, streets, postcodes, areas, places and activities.

One row per findable thing lives in ``search_entries`` (type, ref, label,
detail, words, a point); two SQLite FTS5 indexes read it as external content:

- ``search_fts`` with ``tokenize="unicode61 remove_diacritics 2"``: words in
  any case and with or without accents ("cafe" finds "café"), each typed word
  taken as a prefix ("Anna" finds "Annankatu");
- ``search_trigram`` with the ``trigram`` tokenizer: the candidates for a
  misspelled word ("Annankatuu", "libary"), whose closest indexed word replaces
  it (``difflib`` ratio of at least :data:`TYPO_RATIO`). The trigram tokenizer's
  own ``remove_diacritics`` option needs SQLite 3.45 (Debian 12 ships 3.40), so
  the candidates' words are folded in Python before they are compared.

The index follows the data inside the same transaction: triggers on places,
activities, neighbourhoods and addresses write their rows, and
:func:`refresh_areas` (called by every writer of those tables) rewrites the
postcodes and municipalities, which summarise many rows. :func:`replace_addresses`
loads an extract's addresses in bulk: the row triggers stand aside
(``search_state.bulk``) and both FTS indexes are rebuilt in one pass. An import
that fails rolls the index back with everything else.

A municipality is labelled with its name from the ``municipalities`` table
(``buurtkaart import municipalities``), else the commonest ``city`` of its
places, else "municipality <code>".
"""

from __future__ import annotations

import difflib
import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from .taxonomy import PLACE_KINDS

__all__ = ["TYPES", "LOCATION_TYPES", "Hit", "Outcome", "create_schema", "refresh_areas",
           "replace_addresses", "find", "resolve", "entry", "place_ids", "activity_ids",
           "fold", "TYPO_RATIO"]

TYPES = ("address", "street", "postcode", "neighbourhood", "municipality", "place", "activity")
#: Types that stand for a point people start from; searched for, they order places by
#: travel time. Listed from the most to the least precise.
LOCATION_TYPES = ("address", "street", "postcode", "neighbourhood")
TYPO_RATIO = 0.75
MAX_TOKENS = 12
_WEIGHTS = "10.0, 4.0, 1.0"  # bm25 weights of label, detail, words

_PLACE_DETAIL = ("trim(coalesce(NEW.street, '') || CASE WHEN NEW.street IS NOT NULL AND "
                 "(NEW.postcode IS NOT NULL OR NEW.city IS NOT NULL) THEN ', ' ELSE '' END || "
                 "trim(coalesce(NEW.postcode, '') || ' ' || coalesce(NEW.city, '')))")


_FTS = ("search_fts", "search_trigram")
_ROWS = "(SELECT bulk FROM search_state) = 0"  # row triggers on, unless loading in bulk
# the search entry of an address row: (type, when, label, detail, words, lon, lat)
_ADDRESS_ENTRY = ("CASE WHEN NEW.housenumber IS NULL THEN 'street' ELSE 'address' END", "1",
                  "NEW.street || coalesce(' ' || NEW.housenumber, ''), "
                  "trim(coalesce(NEW.postcode, '') || ' ' || coalesce(NEW.city, '')), "
                  "NULL, NEW.lon, NEW.lat")


def _kind_words() -> str:
    cases = " ".join(f"WHEN '{k}' THEN '{v.label_en} {v.label_nl}'"
                     for k, v in PLACE_KINDS.items())
    return f"CASE NEW.kind {cases} ELSE '' END"


def create_schema(db) -> None:
    """The tables, indexes and triggers of the search (migration ``m004_search``)."""
    types = ", ".join(f"'{t}'" for t in TYPES)
    statements = [
        """CREATE TABLE addresses (
            id INTEGER PRIMARY KEY,
            street TEXT NOT NULL,
            housenumber TEXT,
            postcode TEXT, city TEXT,
            lon REAL NOT NULL CHECK (lon BETWEEN -180 AND 180),
            lat REAL NOT NULL CHECK (lat BETWEEN -90 AND 90),
            source TEXT
        )""",
        f"""CREATE TABLE search_entries (
            id INTEGER PRIMARY KEY,
            type TEXT NOT NULL CHECK (type IN ({types})),
            ref TEXT NOT NULL,
            label TEXT NOT NULL,
            detail TEXT,
            words TEXT,
            lon REAL, lat REAL,
            UNIQUE (type, ref)
        )""",
        "CREATE INDEX addresses_postcode ON addresses(postcode)",
        # bulk = 1 while replace_addresses loads many rows: the row triggers stand aside
        # and the FTS indexes are rebuilt in one pass, inside the same transaction
        "CREATE TABLE search_state (id INTEGER PRIMARY KEY CHECK (id = 1), "
        "bulk INTEGER NOT NULL DEFAULT 0)",
        "INSERT INTO search_state (id, bulk) VALUES (1, 0)",
        "CREATE VIRTUAL TABLE search_fts USING fts5(label, detail, words, "
        "content='search_entries', content_rowid='id', "
        "tokenize='unicode61 remove_diacritics 2')",
        "CREATE VIRTUAL TABLE search_trigram USING fts5(label, detail, words, "
        "content='search_entries', content_rowid='id', tokenize='trigram')",
    ]
    for fts in _FTS:
        insert = (f"INSERT INTO {fts} (rowid, label, detail, words) "
                  "VALUES (NEW.id, NEW.label, NEW.detail, NEW.words);")
        delete = (f"INSERT INTO {fts} ({fts}, rowid, label, detail, words) "
                  "VALUES ('delete', OLD.id, OLD.label, OLD.detail, OLD.words);")
        statements += [
            f"CREATE TRIGGER {fts}_ai AFTER INSERT ON search_entries WHEN {_ROWS} "
            f"BEGIN {insert} END",
            f"CREATE TRIGGER {fts}_ad AFTER DELETE ON search_entries WHEN {_ROWS} "
            f"BEGIN {delete} END",
            f"CREATE TRIGGER {fts}_au AFTER UPDATE ON search_entries WHEN {_ROWS} "
            f"BEGIN {delete} {insert} END",
        ]
    sources = {
        "places": ("place", "NEW.archived_at IS NULL",
                   f"NEW.name, {_PLACE_DETAIL}, "
                   f"{_kind_words()} || ' ' || coalesce(NEW.description, ''), NEW.lon, NEW.lat"),
        "activities": ("activity", "NEW.archived_at IS NULL",
                       "NEW.name, (SELECT name FROM places WHERE id = NEW.place_id), "
                       "coalesce(NEW.description, '') || ' ' || coalesce(NEW.target_group, ''), "
                       "(SELECT lon FROM places WHERE id = NEW.place_id), "
                       "(SELECT lat FROM places WHERE id = NEW.place_id)"),
        "neighbourhoods": ("neighbourhood", "1",
                           "coalesce(NEW.name, NEW.code), NEW.municipality_code, NEW.code, "
                           "NEW.lon, NEW.lat"),
        "addresses": _ADDRESS_ENTRY,
    }
    for table, (etype, when, values) in sources.items():
        ref = "code" if table == "neighbourhoods" else "id"
        kind = etype if etype.startswith("CASE") else f"'{etype}'"
        # refs are text: comparing the text column with an integer would convert every
        # row and scan the table instead of using the (type, ref) index
        insert = (f"INSERT INTO search_entries (type, ref, label, detail, words, lon, lat) "
                  f"SELECT {kind}, CAST(NEW.{ref} AS TEXT), {values} WHERE {when};")
        delete = (f"DELETE FROM search_entries WHERE type = {kind.replace('NEW.', 'OLD.')} "
                  f"AND ref = CAST(OLD.{ref} AS TEXT);")
        statements += [
            f"CREATE TRIGGER {table}_ai_search AFTER INSERT ON {table} WHEN {_ROWS} "
            f"BEGIN {insert} END",
            f"CREATE TRIGGER {table}_ad_search AFTER DELETE ON {table} WHEN {_ROWS} "
            f"BEGIN {delete} END",
            f"CREATE TRIGGER {table}_au_search AFTER UPDATE ON {table} WHEN {_ROWS} "
            f"BEGIN {delete} {insert} END",
        ]
    # an activity's entry shows its place's name and point
    statements.append(
        "CREATE TRIGGER places_au_search_activities AFTER UPDATE OF name, lon, lat ON places "
        "BEGIN UPDATE activities SET place_id = place_id WHERE place_id = NEW.id; END")
    for sql in statements:
        db.execute(sql)
    for table in ("places", "activities", "neighbourhoods"):  # what is already stored
        db.execute(f"UPDATE {table} SET id = id")
    refresh_areas(db)


def replace_addresses(db, rows: list[dict]) -> None:
    """Replace the stored addresses and streets by ``rows``, with their search entries.

    Inside the caller's transaction: the row triggers stand aside while the rows
    are loaded, and both FTS indexes are rebuilt in one pass afterwards (per-row
    index updates would take hours for a country's addresses).
    """
    kind, _, values = _ADDRESS_ENTRY
    with db.atomic():
        db.execute("UPDATE search_state SET bulk = 1")
        db.execute("DELETE FROM addresses")
        db.execute("DELETE FROM search_entries WHERE type IN ('address', 'street')")
        db.conn.executemany(
            "INSERT INTO addresses (street, housenumber, postcode, city, lon, lat, source) "
            "VALUES (:street, :housenumber, :postcode, :city, :lon, :lat, :source)", rows)
        db.execute("INSERT INTO search_entries (type, ref, label, detail, words, lon, lat) "
                   f"SELECT {kind}, CAST(id AS TEXT), {values} FROM addresses"
                   .replace("NEW.", ""))
        db.execute("UPDATE search_state SET bulk = 0")
        for fts in _FTS:
            db.execute(f"INSERT INTO {fts} ({fts}) VALUES ('rebuild')")
        refresh_areas(db)


def refresh_areas(db, postcodes: Iterable[str | None] | None = None) -> None:
    """Rewrite the municipality entries, and the postcode entries from the addresses and
    places: all of them, or only ``postcodes`` (those of the places just written)."""
    if postcodes is None:
        only, params = "", []
        db.execute("DELETE FROM search_entries WHERE type IN ('postcode', 'municipality')")
    else:
        codes = json.dumps(sorted({p for p in postcodes if p}))
        only, params = " AND postcode IN (SELECT value FROM json_each(?))", [codes, codes]
        db.execute("DELETE FROM search_entries WHERE type = 'municipality' OR (type = "
                   "'postcode' AND ref IN (SELECT value FROM json_each(?)))", [codes])
    db.execute(
        "INSERT INTO search_entries (type, ref, label, detail, words, lon, lat) "
        "SELECT 'postcode', postcode, postcode, "
        "(SELECT city FROM (SELECT city FROM addresses a WHERE a.postcode = pc.postcode "
        "  UNION ALL SELECT city FROM places p WHERE p.postcode = pc.postcode) "
        " WHERE city IS NOT NULL GROUP BY city ORDER BY count(*) DESC, city LIMIT 1), "
        "NULL, avg(lon), avg(lat) FROM ("
        f"  SELECT postcode, lon, lat FROM addresses WHERE postcode IS NOT NULL{only} "
        "  UNION ALL SELECT postcode, lon, lat FROM places "
        f"  WHERE postcode IS NOT NULL AND archived_at IS NULL{only}) pc GROUP BY postcode",
        params)
    named = db.execute("SELECT 1 FROM sqlite_master WHERE name = 'municipalities'").fetchone()
    db.execute(
        "INSERT INTO search_entries (type, ref, label, detail, words, lon, lat) "
        "SELECT 'municipality', m.code, coalesce("
        + ("(SELECT name FROM municipalities WHERE code = m.code), " if named else "") +
        " (SELECT p.city FROM places p JOIN neighbourhoods n ON n.code = p.neighbourhood_code "
        "  WHERE n.municipality_code = m.code AND p.city IS NOT NULL "
        "  GROUP BY p.city ORDER BY count(*) DESC, p.city LIMIT 1), "
        " 'municipality ' || m.code), NULL, m.code, avg(m.lon), avg(m.lat) "
        "FROM (SELECT municipality_code AS code, lon, lat FROM neighbourhoods "
        "      WHERE municipality_code IS NOT NULL) m GROUP BY m.code")


# --------------------------------------------------------------------------- queries
@dataclass(frozen=True)
class Hit:
    """One thing found: its type, stable reference, words to show, and its point."""

    type: str
    ref: str
    label: str
    detail: str | None
    lon: float | None
    lat: float | None
    exact: bool = False  # every word of the label was typed

    @property
    def key(self) -> str:
        return f"{self.type}:{self.ref}"

    def describe(self) -> str:
        return f"{self.label}, {self.detail}" if self.detail else self.label


@dataclass
class Outcome:
    """What a search means for the finder.

    ``kind`` is ``location`` (a point to order places by travel time from),
    ``municipality``, ``text`` (places and activities whose words match),
    ``choices`` (ambiguous or partial: pick one) or ``none``.
    """

    query: str
    kind: str
    hits: list[Hit] = field(default_factory=list)
    location: Hit | None = None
    choices: list[Hit] = field(default_factory=list)
    corrected: str | None = None  # what was searched instead of a misspelled query
    suggestions: list[str] = field(default_factory=list)

    @property
    def searched(self) -> str:
        return self.corrected or self.query


def fold(text: str) -> str:
    """Lower case without accents, as the unicode61 tokenizer compares words."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _tokens(text: str) -> list[str]:
    return [t for t in re.findall(r"\w+", fold(text or ""))][:MAX_TOKENS]


def _expr(tokens: list[str], columns: str | None = None) -> str:
    body = " AND ".join(f'"{t}"*' for t in tokens)
    return f"{{{columns}}} : ({body})" if columns else body


# a neighbourhood shows the name of its municipality
_DETAIL = ("CASE WHEN e.type = 'neighbourhood' THEN coalesce((SELECT m.label FROM "
           "search_entries m WHERE m.type = 'municipality' AND m.ref = e.detail), e.detail) "
           "ELSE e.detail END")
_VISIBLE = ("NOT (e.type = 'activity' AND EXISTS (SELECT 1 FROM activities a "
            "LEFT JOIN places p ON p.id = a.place_id WHERE a.id = e.ref "
            "AND (a.archived_at IS NOT NULL OR p.archived_at IS NOT NULL)))")


def _query(db, expr: str, types: tuple[str, ...], limit: int) -> list[tuple]:
    marks = ",".join("?" * len(types))
    return db.execute(
        f"SELECT e.type, e.ref, e.label, {_DETAIL}, e.lon, e.lat FROM search_fts "
        f"JOIN search_entries e ON e.id = search_fts.rowid WHERE search_fts MATCH ? "
        f"AND e.type IN ({marks}) AND {_VISIBLE} "
        f"ORDER BY bm25(search_fts, {_WEIGHTS}), e.label LIMIT ?",
        [expr, *types, limit]).fetchall()


def _hit(row: tuple, tokens: list[str]) -> Hit:
    typ, ref, label, detail, lon, lat = row
    exact = set(_tokens(label)) <= set(tokens)
    return Hit(typ, str(ref), label, detail, lon, lat, exact)


def find(db, q: str, *, limit: int = 20, types: tuple[str, ...] = TYPES) -> list[Hit]:
    """Entries whose label or detail hold every typed word (as a word start), then those
    that hold them anywhere (descriptions too); best first."""
    tokens = _tokens(q)
    if not tokens:
        return []
    seen, out = set(), []
    for expr in (_expr(tokens, "label detail"), _expr(tokens)):
        for row in _query(db, expr, types, limit):
            h = _hit(row, tokens)
            if h.key not in seen:
                seen.add(h.key)
                out.append(h)
    return out[:limit]


def entry(db, key: str) -> Hit | None:
    """The entry ``type:ref`` (as in :attr:`Hit.key`), or ``None``."""
    typ, _, ref = (key or "").partition(":")
    row = db.execute(f"SELECT type, ref, label, {_DETAIL}, lon, lat FROM search_entries e "
                     "WHERE type = ? AND ref = ?", [typ, ref]).fetchone()
    return Hit(*row[:2], *row[2:], exact=True) if row else None


def _known(db, token: str) -> bool:
    return db.execute("SELECT 1 FROM search_fts WHERE search_fts MATCH ? LIMIT 1",
                      [f'"{token}"*']).fetchone() is not None


def _closest_word(db, token: str) -> str | None:
    """The indexed word closest to a misspelled ``token`` (candidates from the trigram index)."""
    grams = sorted({token[i:i + 3] for i in range(len(token) - 2)})
    if not grams:
        return None
    rows = db.execute(
        "SELECT e.label, e.detail, e.words FROM search_trigram "
        "JOIN search_entries e ON e.id = search_trigram.rowid WHERE search_trigram MATCH ? "
        "ORDER BY rank LIMIT 200", [" OR ".join(f'"{g}"' for g in grams)]).fetchall()
    best, best_ratio = None, TYPO_RATIO
    for row in rows:
        for word in set(re.findall(r"\w+", " ".join(x for x in row if x))):
            folded = fold(word)
            if folded == token or folded.isdigit():
                continue
            ratio = difflib.SequenceMatcher(None, token, folded).ratio()
            if ratio > best_ratio or (ratio == best_ratio and best and word < best):
                best, best_ratio = word, ratio
    return best


def _correct(db, q: str) -> str:
    """``q`` with each unknown word replaced by the closest indexed word (as written there)."""
    def fix(m: re.Match) -> str:
        t = fold(m.group(0))
        if len(t) >= 4 and not any(c.isdigit() for c in t) and not _known(db, t):
            return _closest_word(db, t) or m.group(0)
        return m.group(0)

    return re.sub(r"\w+", fix, q.strip())


def _distinct(hits: list[Hit]) -> list[Hit]:
    seen, out = set(), []
    for h in hits:
        k = (h.type, fold(h.label), fold(h.detail or ""))
        if k not in seen:
            seen.add(k)
            out.append(h)
    return out


def resolve(db, q: str, *, limit: int = 20) -> Outcome:
    """Decide what ``q`` means: a point, a municipality, words of places, a choice, or nothing.

    A location typed in full ("Annankatu 14", "Annankatu", "00100", a neighbourhood
    name) is a point; the most precise type wins (an address before its street).
    Two such points of the same type with different details (a street in two
    municipalities) are a choice, and so is a location typed in part when no place
    or activity matches. Nothing found retries with misspelled words corrected, then
    without a house number that is not known ("Annankatu 99": the street).
    """
    outcome = _resolve(db, q, limit)
    if outcome.kind != "none" or not _tokens(q):
        return outcome
    corrected = _correct(db, q)
    without_number = re.sub(r"\b\d\w*", " ", corrected).strip()  # "Annankatu 99" -> street
    for retry in dict.fromkeys((corrected, without_number)):
        if retry and _tokens(retry) != _tokens(q):
            again = _resolve(db, retry, limit)
            if again.kind != "none":
                again.query, again.corrected = q, " ".join(retry.split())
                return again
    if _tokens(corrected) != _tokens(q):
        outcome.suggestions = [corrected]
    return outcome


def _resolve(db, q: str, limit: int) -> Outcome:
    hits = find(db, q, limit=max(limit, 50))
    if not hits:
        return Outcome(q, "none")
    located = [h for h in hits if h.type in LOCATION_TYPES]
    exact = [h for h in located if h.exact]
    if exact:
        best_type = min((h.type for h in exact), key=LOCATION_TYPES.index)
        same = _distinct([h for h in exact if h.type == best_type])
        if len(same) == 1:
            return Outcome(q, "location", hits[:limit], location=same[0])
        return Outcome(q, "choices", hits[:limit], choices=same[:limit])
    towns = [h for h in hits if h.type == "municipality"]
    if len(towns) == 1 and towns[0].exact:
        return Outcome(q, "municipality", hits[:limit], location=towns[0])
    if any(h.type in ("place", "activity") for h in hits):
        return Outcome(q, "text", hits[:limit], choices=_distinct(located)[:5])
    return Outcome(q, "choices", hits[:limit], choices=_distinct(located + towns)[:limit])


def _ids(db, q: str, sql: str) -> set[int]:
    tokens = _tokens(q)
    if not tokens:
        return set()
    return {r[0] for r in db.execute(sql, [_expr(tokens)]) if r[0] is not None}


def place_ids(db, q: str) -> set[int]:
    """Ids of the places whose words, or whose activities' words, hold every typed word."""
    return _ids(db, q, "SELECT CASE e.type WHEN 'place' THEN CAST(e.ref AS INTEGER) "
                       "ELSE (SELECT place_id FROM activities WHERE id = e.ref) END "
                       "FROM search_fts JOIN search_entries e ON e.id = search_fts.rowid "
                       "WHERE search_fts MATCH ? AND e.type IN ('place', 'activity')")


def activity_ids(db, q: str) -> set[int]:
    """Ids of the activities whose words, or whose place's words, hold every typed word."""
    return _ids(db, q, "SELECT a.id FROM search_fts JOIN search_entries e "
                       "ON e.id = search_fts.rowid JOIN activities a "
                       "ON (e.type = 'activity' AND a.id = e.ref) "
                       "OR (e.type = 'place' AND a.place_id = e.ref) WHERE search_fts MATCH ?")
