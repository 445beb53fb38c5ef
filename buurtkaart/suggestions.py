"""Suggested locations for a new place, explained: how many were asked and found, why
fewer, and for each the residents it would newly reach and the need where it lies.

:func:`explain` turns :func:`buurtkaart.access.suggest_locations`' picks into rows and
sentences for the map legend, the scenario page and the API.
"""

from __future__ import annotations

import math

import pandas as pd

from . import store
from .errors import BuurtkaartError
from .i18n import N_
from .i18n import gettext as _
from .i18n import ngettext

__all__ = ["explain", "need_by_code", "REASONS"]

#: Why fewer locations than asked were found (the keys are in the API's ``stopped``).
REASONS = {
    "all_reached": N_("every resident already has a matching place within reach"),
    "all_reached_now": N_("the locations found already bring every resident who had no "
                          "matching place within reach"),
    "no_candidates": N_("there is no point left where a new place could stand"),
    "no_gain": N_("no other point would bring anyone new within reach (the residents still "
                  "without a place are too far from any other point)"),
    "candidates_exhausted": N_("every possible point has been used"),
}


def need_by_code(db) -> dict[str, float]:
    """The need index per neighbourhood code (empty when no indicators are stored)."""
    from .indicators import need_index

    frame = store.indicator_frame(db)
    if frame.empty:
        return {}
    try:
        idx = need_index(frame)
    except BuurtkaartError:
        return {}
    return {c: float(v) for c, v in zip(idx["code"], idx["need_index"]) if math.isfinite(v)}


def explain(db, picks: pd.DataFrame) -> dict:
    """``asked``, ``found``, ``stopped`` (a :data:`REASONS` key or ``None``), ``summary``
    and ``reason`` (sentences in the current language) and ``rows``: per pick its rank,
    lon/lat, residents newly reached, neighbourhood (code and name) and need index
    (``None`` when unknown)."""
    asked = int(picks.attrs.get("asked", len(picks)))
    found = len(picks)
    stopped = picks.attrs.get("stopped") if found < asked else None
    need = need_by_code(db)
    rows = []
    for r in picks.to_dict("records"):
        hood = store.neighbourhood_at(db, r["lon"], r["lat"]) or {}
        code = hood.get("code")
        rows.append({"rank": int(r["rank"]), "lon": float(r["lon"]), "lat": float(r["lat"]),
                     "residents": float(r["residents_newly_covered"]), "code": code,
                     "neighbourhood": hood.get("name") or code,
                     "need_index": need.get(code) if code else None})
    summary = ngettext("%(num)d location asked, %(found)d found.",
                       "%(num)d locations asked, %(found)d found.", asked, found=found)
    return {"asked": asked, "found": found, "stopped": stopped, "summary": summary,
            "reason": _("Fewer than asked: %(why)s.", why=_(REASONS[stopped]))
            if stopped in REASONS else None, "rows": rows}
