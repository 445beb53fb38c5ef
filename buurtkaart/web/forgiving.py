"""Pages forgive what browsers and platforms add; the JSON API under /api stays strict.

- :func:`page_args` keeps only the query parameters a page understands, so a link shared
  with ``fbclid``, ``gclid``, ``utm_*`` or anything else still opens the page.
- :func:`invalid_page` answers a value a page cannot use (``?page=abc``, ``?free=maybe``,
  ``?day=xx``) with HTTP 400 rendered in the site layout and the user's language: a
  sentence saying what is wrong and the form again, filled with what they typed.
"""

from __future__ import annotations

from flask import g, render_template, request
from werkzeug.datastructures import MultiDict

from ..errors import InvalidParameter
from ..filters import FILTER_PARAMETERS, Filter
from ..i18n import gettext as _
from ..taxonomy import THRESHOLDS
from .db import now

__all__ = ["page_args", "page_filter", "partial_filter", "explain", "invalid_page"]

#: The form shown again when a value cannot be used (the filter form, or the
#: neighbourhood search).
FILTER_FORM_PAGES = {"pages.place_list": "pages.place_list",
                     "pages.activity_list": "pages.activity_list",
                     "pages.map_page": "pages.map_page", "pages.map_frame": "pages.map_page",
                     "pages.outreach": "pages.outreach", "pages.outreach_csv": "pages.outreach",
                     "pages.index": "pages.place_list",
                     "pages.neighbourhood_list": "pages.neighbourhood_list"}

#: The forms that hold the mode selector (templates/_trip.html).
TRIP_FORM_PAGES = ("pages.place_list", "pages.map_page", "pages.outreach")


def page_args(extra=()) -> MultiDict:
    """The query parameters of this request a page understands (filters and ``extra``),
    without empty values; everything else (tracking, ``lang``, typos) is left out."""
    known = set(FILTER_PARAMETERS) | set(extra)
    return MultiDict([(k, _municipality_code(v) if k == "municipality" else v)
                      for k, v in request.args.items(multi=True) if k in known and v != ""])


def _municipality_code(typed: str) -> str:
    """A municipality's name ("Helsinki") as its code; anything unknown as typed (the
    filter then says it cannot be used)."""
    from ..municipalities import code_for
    from .db import get_db

    return code_for(get_db(), typed) or typed


def page_filter(extra=()) -> Filter:
    """The :class:`Filter` of this page's query (unknown parameters ignored)."""
    return Filter.from_params(page_args(extra).to_dict(flat=False), allowed_extra=extra,
                              now=now)


def partial_filter(extra=()) -> Filter:
    """The filter of this query with every parameter that cannot be used left out."""
    params = page_args(extra).to_dict(flat=False)
    for _attempt in range(len(params) + 1):
        try:
            return Filter.from_params(params, allowed_extra=extra, now=now)
        except InvalidParameter as exc:
            params.pop(exc.name, None)
    return Filter()


def _typed(name: str, longest: int = 40) -> str:
    """What was typed for ``name``; a very long value shortened (never echoed whole)."""
    typed = ", ".join(v for v in request.args.getlist(name) if v) or ""
    return typed if len(typed) <= longest else typed[:longest - 1] + "…"


def explain(exc: InvalidParameter) -> str:
    """One plain sentence, in the page's language, saying what cannot be used."""
    name, value = exc.name, _typed(exc.name)
    if name in THRESHOLDS and name != "languages":
        return _("“%(value)s” is not a choice for “%(what)s”. Tick the box or leave it empty.",
                 value=value, what=_(THRESHOLDS[name].label_en))
    if name in ("percentile", "min_stay") and "depart" in str(exc.reason):
        return _("This choice needs a departure time: fill in when you leave, like "
                 "di 18:00-19:00.")
    messages = {
        "depart": _("We cannot use the departure “%(value)s”. Write a day and a time or a "
                    "time window, like di 18:00-19:00 or 2026-12-08 09:00. Public transport "
                    "needs one."),
        "percentile": _("“%(value)s” is not a share of the departures from 1 to 99."),
        "min_stay": _("“%(value)s” is not a number of minutes from 0 to 600."),
        "page": _("“%(value)s” is not a page number. Pages start at 1."),
        "day": _("We do not know the day “%(value)s”. Choose a day from the list."),
        "from": _("“%(value)s” is not a time. Write a time like 18:00."),
        "to": _("“%(value)s” is not a time. Write a time like 18:00."),
        "language": _("“%(value)s” is not a language code. Write two letters, like nl or fr."),
        "model": _("We do not know the kind of initiative “%(value)s”. Choose one from the "
                   "list."),
        "kind": _("We do not know the kind of place “%(value)s”. Choose one from the list."),
        "minutes": _("“%(value)s” is not a number of minutes from 1 to 120."),
        "lon": _("We could not use this location. Try again, or search by name."),
        "lat": _("We could not use this location. Try again, or search by name."),
        "municipality": _("We do not know the municipality “%(value)s”. Write its name or "
                          "its five-digit code."),
        "neighbourhood": _("We do not know the neighbourhood “%(value)s”."),
        "mode": _("We do not know the way of travelling “%(value)s”. Choose one from the "
                  "list."),
        "year": _("There are no figures for the year “%(value)s”. Choose a year from the "
                  "list."),
        "date": _("“%(value)s” is not a date we can use. Write a date like 2026-04-06."),
        "when": _("We do not know the moment “%(value)s”. Choose now, this evening or this "
                  "weekend."),
        "best": _("“%(value)s” is not a number of suggested places from 1 to 20."),
        "suggest": _("“%(value)s” is not a number of suggested places from 1 to 10."),
        "isochrone": _("We do not know the place “%(value)s” to draw travel times from."),
        "indicator": _("We do not know the map layer “%(value)s”. Choose one from the list."),
        "max_fare": _("“%(value)s” is not an amount we can use. Write an amount in euro from "
                      "0 to 1000, like 2.50, or leave it empty."),
        "reduced_fare": _("“%(value)s” is not a choice for the reduced fare. Tick the box or "
                          "leave it empty."),
        "max_transfers": _("“%(value)s” is not a number of changes from 0 to 10."),
        "transit_access": _("We do not know the way to the stops “%(value)s”. Choose walk, "
                            "slow_walk or wheelchair."),
    }
    if name in messages:
        return messages[name] % {"value": value}
    return _("We could not use “%(value)s” for “%(name)s”.", value=value, name=name)


def invalid_page(exc: InvalidParameter, endpoint: str | None):
    """The friendly 400 page: what is wrong, and the form again with what was typed."""
    form_endpoint = FILTER_FORM_PAGES.get(endpoint or "")
    if _typed(exc.name) != _typed(exc.name, longest=10**9):
        g.rejected_parameter = exc.name  # too long to show: the language switch leaves it out
    from ..transit.reach import PARAMETERS as TRIP

    return render_template("invalid.html", message=explain(exc), parameter=exc.name,
                           filt=partial_filter(extra=("page", "lon", "lat", "mode", "minutes",
                                                      "indicator", "year", "need", "best",
                                                      "isochrone", *TRIP)),
                           form_endpoint=form_endpoint,
                           # a travel value was wrong: the travel fields come back too
                           trip_form=exc.name in TRIP and form_endpoint in TRIP_FORM_PAGES), 400
