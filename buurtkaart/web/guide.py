"""The printed guide for people without internet: ``/gids/<code>.pdf`` (a neighbourhood)
and ``/gids.pdf?address=...`` (an address, found offline in the stored addresses).

An A4 PDF (:mod:`buurtkaart.web.pdf`, WeasyPrint, nothing fetched) in the page's
language: a title saying for which neighbourhood or address and the day it was made, a
map of the surroundings drawn from the walking network (:mod:`buurtkaart.guide_map`),
and per place within :data:`buurtkaart.guide.LIMIT_MINUTES` on foot (numbered as on the
map, nearest first) what it is, where, when in the coming week, its activities with
cost, childcare, walk-in and languages, and the walk there: minutes, distance and the
streets it follows. An address that cannot be found, or that fits several, gets a page
that keeps what was typed and offers what was found; an unknown neighbourhood a 404 page.
"""

from __future__ import annotations

from babel.dates import format_date
from babel.numbers import format_decimal
from flask import Blueprint, current_app, redirect, render_template, request, url_for

from .. import access, guide, search, store
from ..errors import InvalidParameter, NotFound
from ..guide_map import svg_map
from ..i18n import current_locale
from ..i18n import gettext as _
from .db import get_db, now
from .i18n import page_language
from .pdf import pdf_response, render_pdf

bp = Blueprint("guide", __name__)

#: Search results that stand for a point to walk from.
START_TYPES = ("address", "street", "postcode")
MAX_ADDRESS = 200


def distance_text(metres: float) -> str:
    """"450 m" or "1,2 km" (in the page's language)."""
    if metres < 1000:
        return f"{int(round(metres / 10.0) * 10)} m"
    return f"{format_decimal(round(metres / 1000, 1), locale=current_locale())} km"


def _guide_pdf(walks: guide.Walks, *, title: str, start_label: str, outline, filename: str,
               from_text: str):
    moment = now()
    return pdf_response(render_pdf(
        "print/guide.html", title=title, walks=walks, made=format_date(
            moment.date(), "long", locale=current_locale()), moment=moment,
        from_text=from_text, distance_text=distance_text,
        coming_sessions=guide.coming_sessions, coming_hours=guide.coming_hours,
        day_text=lambda d: format_date(d, "EEEE d MMMM", locale=current_locale()),
        map_svg=svg_map(walks, outline=outline, start_label=start_label, title=title),
        limit=int(walks.limit_minutes)), filename)


def _problem(template: str, status: int, **ctx):
    return render_template(template, **ctx), status


def _walks(db, lon: float, lat: float):
    cache_dir = current_app.config.get("CACHE_DIR")
    return guide.walks_from(db, lon, lat, cache_dir=cache_dir)


@bp.route("/gids/<code>.pdf")
def neighbourhood_guide(code: str):
    """The guide for a neighbourhood's residents."""
    db = get_db()
    try:
        hood = store.neighbourhood(db, code)
    except NotFound:
        return _problem("guide_problem.html", 404, problem="unknown_neighbourhood",
                        typed=code, choices=[])
    if access.registered_network(db) is None:
        return _problem("guide_problem.html", 503, problem="no_network", typed=code,
                        choices=[])
    lon, lat, weighted = guide.residents_centre(
        db, code, cache_dir=current_app.config.get("CACHE_DIR"))
    try:
        walks = _walks(db, lon, lat)
    except InvalidParameter:
        return _problem("guide_problem.html", 422, problem="off_network", typed=code,
                        choices=[])
    name = hood.get("name") or code
    from_text = (_("Walking times are counted from the middle of where the residents of "
                   "%(name)s live (the black square on the map).", name=name) if weighted
                 else _("Walking times are counted from the middle of %(name)s (the black "
                        "square on the map).", name=name))
    return _guide_pdf(walks, title=_("Meeting places in and around %(name)s", name=name),
                      start_label=_("middle of %(name)s", name=name),
                      outline=hood["geometry"], filename=f"gids-{code}.pdf",
                      from_text=from_text)


@bp.route("/gids.pdf")
def address_guide():
    """The guide for one address (``address``: what was typed; ``at``: a chosen result)."""
    db = get_db()
    typed = (request.args.get("address") or "").strip()
    chosen = request.args.get("at") or ""
    if access.registered_network(db) is None:
        return _problem("guide_problem.html", 503, problem="no_network", typed=typed,
                        choices=[])
    hit = search.entry(db, chosen) if chosen else None
    if hit is None:
        if not typed:
            return _problem("guide_problem.html", 400, problem="no_address", typed="",
                            choices=[])
        if len(typed) > MAX_ADDRESS:
            return _problem("guide_problem.html", 400, problem="too_long",
                            typed=typed[:MAX_ADDRESS], choices=[])
        out = search.resolve(db, typed)
        if out.kind == "location" and out.location.type == "neighbourhood":
            return redirect(url_for("guide.neighbourhood_guide", code=out.location.ref,
                                    lang=page_language()))
        if out.kind == "location" and out.location.type in START_TYPES and not out.corrected:
            hit = out.location
        else:
            first = [out.location] if out.location else []
            choices = [h for h in first + out.choices + out.hits
                       if h.type in START_TYPES + ("neighbourhood",)]
            choices = list({h.key: h for h in choices}.values())[:10]
            problem = ("unknown_address" if not choices else
                       "choose" if out.kind == "choices" and not out.corrected else "not_exact")
            return _problem("guide_problem.html", 300 if choices else 404, problem=problem,
                            typed=typed, choices=choices, suggestions=out.suggestions)
    if hit.type == "neighbourhood":
        return redirect(url_for("guide.neighbourhood_guide", code=hit.ref,
                                lang=page_language()))
    if hit.type not in START_TYPES:
        return _problem("guide_problem.html", 404, problem="unknown_address", typed=typed,
                        choices=[])
    try:
        walks = _walks(db, hit.lon, hit.lat)
    except InvalidParameter:
        return _problem("guide_problem.html", 422, problem="off_network",
                        typed=typed or hit.describe(), choices=[])
    hood = store.neighbourhood_at(db, hit.lon, hit.lat)
    label = hit.describe()
    return _guide_pdf(walks, title=_("Meeting places near %(address)s", address=label),
                      start_label=hit.label, outline=None,
                      filename="gids.pdf",
                      from_text=_("Walking times are counted from %(address)s (the black "
                                  "square on the map).", address=label)
                      + (" " + _("This address is in %(name)s.", name=hood.get("name")
                                 or hood["code"]) if hood else ""))


@bp.app_context_processor
def _links():
    def guide_url_for(hit) -> str | None:
        """The guide of a finder's starting point (None for a browser position)."""
        if hit is None or hit.type not in START_TYPES + ("neighbourhood",):
            return None
        if hit.type == "neighbourhood":
            return url_for("guide.neighbourhood_guide", code=hit.ref, lang=page_language())
        return url_for("guide.address_guide", address=hit.describe(), at=hit.key,
                       lang=page_language())

    def guide_available() -> bool:
        """Can guides be made (is there a walking network)?"""
        return access.registered_network(get_db()) is not None

    return {"guide_url_for": guide_url_for, "guide_available": guide_available}
