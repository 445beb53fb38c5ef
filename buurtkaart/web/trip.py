"""The travel mode and the moment of a page's question (the mode selector of
``templates/_trip.html``): words for a mode, the modes offered, and when one leaves."""

from __future__ import annotations

from flask import request

from .. import access, network
from ..i18n import gettext as _
from .db import get_db

__all__ = ["mode_label", "mode_choices", "trip", "how"]


def mode_label(mode: str) -> str:
    """A travel mode in words, in the page's language."""
    if mode == "transit":
        return _("public transport")
    return _(network.PROFILES[mode].label) if mode in network.PROFILES else mode


def mode_choices() -> list[tuple[str, str]]:
    """The modes a page offers: every network profile, and public transport once a
    timetable is loaded."""
    out = [(k, f"{_(p.label)} ({p.speed_kmh:.1f} km/h)") for k, p in network.PROFILES.items()]
    if access.feeds_version(get_db()):
        out.append(("transit", _("public transport")))
    return out


def trip(mode: str):
    """When one leaves, from the page's query (see :func:`.analysis._transit`)."""
    from .analysis import _transit

    return _transit(request.args, mode)


def how(mode: str, transit=None, report: dict | None = None) -> str:
    """The mode and the moment evaluated, for legends and sentences, in the page's language
    (made here, not taken from a cached report that may be in another language)."""
    if mode == "transit":
        date = (report or {}).get("transit", {}).get("date")
        return transit.describe(int(date.replace("-", "")) if date else None)
    return f"{mode_label(mode)}, {access.when_described(mode, transit)}"
