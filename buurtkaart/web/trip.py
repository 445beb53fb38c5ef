"""The travel mode and the moment of a page's question (the mode selector of
``templates/_trip.html``): words for a mode, the modes offered, when one leaves, and what
a ticket budget did.

Pages forgive where the JSON API is strict: the public transport parameters (the ticket
budget among them) are ignored when the mode is not public transport, and an amount may be
written with a decimal comma ("2,50") or a euro sign."""

from __future__ import annotations

from flask import request

from .. import access, network
from ..i18n import N_, translate
from ..i18n import gettext as _
from ..transit.reach import TRANSIT_ONLY
from .db import get_db

__all__ = ["mode_label", "mode_choices", "trip", "how", "page_trip_args", "fare_notes"]


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


def page_trip_args(mode: str) -> dict:
    """The page's query as the mode selector means it: without the public transport
    parameters when the mode is another one, and with the ticket budget as a number."""
    args = {k: v for k, v in request.args.items() if mode == "transit" or k not in TRANSIT_ONLY}
    if args.get("max_fare"):
        args["max_fare"] = _amount(args["max_fare"])
    return args


def _amount(typed: str) -> str:
    """"2,50", "€ 2,50" or "2.50 €" as "2.50" (anything else as typed: it is then refused
    naming ``max_fare``)."""
    text = typed.strip().replace("€", "").strip()
    return text.replace(",", ".") if text.count(",") == 1 and "." not in text else text


def trip(mode: str):
    """When one leaves, from the page's query (see :func:`.analysis._transit`)."""
    from .analysis import _transit

    return _transit(page_trip_args(mode), mode)


def how(mode: str, transit=None, report: dict | None = None) -> str:
    """The mode and the moment evaluated, for legends and sentences, in the page's language
    (made here, not taken from a cached report that may be in another language)."""
    if mode == "transit":
        date = (report or {}).get("transit", {}).get("date")
        return transit.describe(int(date.replace("-", "")) if date else None)
    return f"{mode_label(mode)}, {access.when_described(mode, transit)}"


NO_FARES = N_("No public transport line could be used: no timetable has ticket prices, so what "
              "a trip costs is unknown. Only the way without public transport counts.")
NOTHING_FITS = N_("Within this budget no public transport line could be used at this moment: "
                  "only the way without public transport counts.")


def fare_notes(report: dict | None) -> list[str]:
    """What the ticket budget did, in the page's language: first, plainly, when no public
    transport line could be used at all; then per timetable (feed) the outcome of its
    fares. Empty without a budget."""
    budget = ((report or {}).get("transit") or {}).get("fare_budget")
    if not budget:
        return []
    out = []
    if budget.get("max_vehicles", 1) < 1:
        out.append(_(NOTHING_FITS) if any(budget["fare_models"].values()) else _(NO_FARES))
    for name, note in budget["feeds"].items():
        out.append(_("Tickets on %(feed)s: %(notes)s.", feed=name, notes=translate(note)))
    return out
