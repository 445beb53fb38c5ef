"""Finding a municipality by what someone types: its code or its name in any case,
with or without accents, ``Sint-``/``St.``/``Saint`` written any way, and hyphens or
spaces alike. An ambiguous or unknown text gives the candidates, never a guess."""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass, field

from .. import municipalities

__all__ = ["Found", "find_municipality", "normalise"]

_SAINT = re.compile(r"^(sint|st|saint|sankt|ste|sainte)\b\s*")


def normalise(text: str) -> str:
    """Lower case, no accents, punctuation as spaces, saints spelled ``sint``."""
    text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    text = re.sub(r"[^a-z0-9]+", " ", text.casefold()).strip()
    return _SAINT.sub("sint ", text).strip()


@dataclass
class Found:
    """The municipality found (``code``/``name``), or the ``candidates`` to choose from."""

    typed: str
    code: str | None = None
    name: str | None = None
    candidates: list[dict] = field(default_factory=list)


def find_municipality(db, typed: str) -> Found:
    """The municipality ``typed`` means: by code, by exact (normalised) name, or the one
    name that starts with it; otherwise :class:`Found` with up to 10 candidates."""
    typed = (typed or "").strip()
    known = [m for m in municipalities.municipalities(db) if m["neighbourhoods"]]
    label = [{"code": m["code"], "name": m["name"] or m["code"]} for m in known]
    for m in label:
        if typed == m["code"] or (typed.isdigit() and typed.zfill(5) == m["code"]):
            return Found(typed, m["code"], m["name"])
    query = normalise(typed)
    if not query:
        return Found(typed, candidates=label[:10] if len(label) <= 10 else [])
    exact = [m for m in label if normalise(m["name"]) == query]
    if len(exact) == 1:
        return Found(typed, exact[0]["code"], exact[0]["name"])
    if exact:
        return Found(typed, candidates=exact)
    starts = [m for m in label if normalise(m["name"]).startswith(query)]
    if len(starts) == 1:
        return Found(typed, starts[0]["code"], starts[0]["name"])
    inside = starts or [m for m in label if query in normalise(m["name"])]
    if not inside:
        names = {normalise(m["name"]): m for m in label}
        inside = [names[n] for n in difflib.get_close_matches(query, list(names), n=10,
                                                              cutoff=0.6)]
    return Found(typed, candidates=sorted(inside, key=lambda m: m["name"])[:10])
