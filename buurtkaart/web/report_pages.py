"""The municipal coverage report as pages: ``/rapport`` (find a municipality),
``/rapport/<municipality>`` (the report, optionally on an earlier date and compared with
another) and its downloads ``/rapport/<municipality>/rapport.csv|.geojson|.pdf``."""

from __future__ import annotations

import datetime as dt
import json

from babel.dates import format_date
from flask import Blueprint, current_app, redirect, render_template, request, url_for
from markupsafe import Markup

from .. import access, coverage, network
from ..errors import InvalidParameter
from ..history import NothingKnown
from ..i18n import current_locale
from ..i18n import gettext as _
from ..maps import category_label
from ..indicators import TYPOLOGY_CLASSES
from ..report import build_report, find_municipality, parse_day
from ..report import export, numbers, svg
from ..report.compute import MODES
from .db import get_db, now
from .forgiving import page_args
from .pdf import pdf_response, render_pdf

bp = Blueprint("report", __name__)

PARAMS = ("mode", "minutes", "date", "compare")
MINUTES = coverage.THRESHOLD_MINUTES
DEFAULT_MINUTES = 15


def _args() -> dict:
    """What was typed, kept for the form (tracking and unknown parameters left out)."""
    args = page_args(PARAMS)
    return {k: args.get(k, "")[:40] for k in PARAMS}


def _choices(typed: dict, today: dt.date) -> dict:
    mode = typed["mode"] or "walk"
    if mode not in MODES:
        raise InvalidParameter("mode", "must be one of " + ", ".join(MODES))
    try:
        minutes = int(typed["minutes"] or DEFAULT_MINUTES)
    except ValueError:
        minutes = -1
    if minutes not in MINUTES:
        raise InvalidParameter("minutes", "must be 5, 10, 15 or 20")
    return {"mode": mode, "minutes": minutes, "on": parse_day(typed["date"], "date", today),
            "compare": parse_day(typed["compare"], "compare", today)}


def _messages(exc: InvalidParameter) -> str:
    names = {"mode": _("way of travelling"), "minutes": _("minutes"),
             "date": _("date of the report"), "compare": _("date to compare with")}
    if exc.name in ("date", "compare") and "future" in exc.reason:
        return _("“%(value)s” lies in the future. Choose a date up to today.",
                 value=_args()[exc.name])
    if exc.name in ("date", "compare"):
        return _("“%(value)s” is not a date. Write it like 2025-01-01.",
                 value=_args()[exc.name])
    return _("We could not use “%(value)s” for “%(name)s”.",
             value=_args().get(exc.name, ""), name=names.get(exc.name, exc.name))


def day_text(day: dt.date) -> str:
    return format_date(day, "d MMMM y", locale=current_locale())


def nothing_known(exc: NothingKnown) -> str:
    if exc.first:
        return _("Nothing was known on %(day)s: the first data was recorded on %(first)s.",
                 day=day_text(exc.day), first=day_text(dt.date.fromisoformat(exc.first[:10])))
    return _("Nothing was known on %(day)s: no data has been recorded yet.",
             day=day_text(exc.day))


@bp.route("/rapport")
def search():
    """The search form; a typed name goes to its report (or lists the candidates)."""
    typed = (request.args.get("q") or "").strip()[:80]
    if typed:
        found = find_municipality(get_db(), typed)
        if found.code:
            return redirect(url_for("report.report", municipality=found.name or found.code,
                                    **{k: v for k, v in _args().items() if v}))
        return _not_found(found)
    found = find_municipality(get_db(), "")
    return render_template("report_find.html", typed="", candidates=found.candidates,
                           message=None)


def _not_found(found):
    """The search page again with what was typed: the candidates (200), or none (404)."""
    if found.candidates:
        message = _("Several municipalities fit “%(typed)s”. Which one do you mean?",
                    typed=found.typed) if found.typed else None
    else:
        message = _("We found no municipality called “%(typed)s”. Check the spelling, or "
                    "type its number (NIS code).", typed=found.typed)
    return render_template("report_find.html", typed=found.typed, candidates=found.candidates,
                           message=message), 200 if found.candidates else 404


def _compute(municipality: str):
    """(found, typed choices, report or None, error message or None)."""
    db = get_db()
    found = find_municipality(db, municipality)
    typed = _args()
    if not found.code:
        return found, typed, None, None
    moment = now()
    try:
        choices = _choices(typed, moment.date())
    except InvalidParameter as exc:
        return found, typed, None, _messages(exc)
    if access.registered_network(db) is None:
        return found, typed, None, _("No travel-time network yet: an administrator runs "
                                     "`buurtkaart network build --pbf FILE.osm.pbf`.")
    try:
        rep = build_report(db, found.code, found.name or found.code, now=moment,
                           mode=choices["mode"], minutes=choices["minutes"], on=choices["on"],
                           compare=choices["compare"],
                           cache_dir=current_app.config.get("CACHE_DIR"))
    except NothingKnown as exc:
        return found, typed, None, nothing_known(exc)
    except InvalidParameter as exc:
        if exc.name == "population":
            return found, typed, None, _("No population figures yet: the report is shown "
                                         "once they are imported.")
        raise
    return found, typed, rep, None


def _view(rep: dict) -> dict:
    """Formatted numbers, labels and drawings for the templates."""
    loc = current_locale()

    def pct(share):
        return numbers.percent(share, loc)

    def within(m: int) -> str:
        return _("within %(minutes)s min", minutes=m)

    def bars(section: str, title: str) -> Markup:
        rows = [(_(item["label"]), item["shares"]) for item in rep[section]]
        return Markup(svg.share_bars(rows, MINUTES, pct, title, within))

    minutes = rep["minutes"]
    hoods = [{**h, "share": h["shares"].get(minutes)} for h in rep.get("neighbourhoods", [])]
    mode_label = _(network.PROFILES[rep["mode"]].label)

    def describe(h: dict) -> str:
        return _("%(name)s: %(share)s of %(people)s residents within %(minutes)s minutes",
                 name=h["name"], share=pct(h["share"]), people=numbers.people(h["population"],
                                                                              loc),
                 minutes=minutes)

    lows = [0, 50, 75, 90]
    highs = [50, 75, 90, 100]
    legend = [_("%(low)s to %(high)s %% of residents", low=lo, high=hi)
              for lo, hi in zip(lows, highs)]
    return {
        "pct": pct, "people": lambda v: numbers.people(v, loc),
        "points": lambda v: numbers.points(v, loc), "day": day_text,
        "need": lambda v: "–" if v is None else f"{v:+.2f}".replace(".", ",")
        if loc.startswith("nl") else f"{v:+.2f}",
        "typology": lambda key: (category_label(key), _(TYPOLOGY_CLASSES.get(key, ("", ""))[1])),
        "chart_modes": bars("modes", _("Residents within reach, by way of travelling")),
        "chart_models": bars("models", _("Residents within reach, by working model")),
        "chart_filters": bars("filters", _("Residents within reach, by threshold")),
        "map": Markup(svg.access_map(
            hoods, _("Share of residents within %(minutes)s minutes %(mode)s",
                     minutes=minutes, mode=mode_label), describe, legend, _("no data"))),
        "mode_label": mode_label, "minutes_list": MINUTES,
        "headline": next(m["shares"].get(minutes) for m in rep["modes"]
                         if m["key"] == rep["mode"]),
    }


@bp.route("/rapport/<municipality>")
def report(municipality: str):
    found, typed, rep, error = _compute(municipality)
    if not found.code:
        return _not_found(found)
    query = {k: v for k, v in typed.items() if v}
    return render_template("report.html", found=found, typed=typed, rep=rep, error=error,
                           modes=MODES, profiles=network.PROFILES, minutes_list=MINUTES,
                           query=query, v=_view(rep) if rep else None), 200 if not error else 400


@bp.route("/rapport/<municipality>/rapport.<any(csv, geojson, pdf):fmt>")
def download(municipality: str, fmt: str):
    found, _typed, rep, error = _compute(municipality)
    if not found.code:
        return _not_found(found)
    if error:
        return render_template("report.html", found=found, typed=_typed, rep=None, error=error,
                               modes=MODES, profiles=network.PROFILES, minutes_list=MINUTES,
                               query={}, v=None), 400
    stem = f"rapport-{found.code}-{(rep['on'] or rep['today']).isoformat()}"
    if fmt == "pdf":
        return pdf_response(render_pdf("report_print.html", found=found, rep=rep,
                                       v=_view(rep), printing=True), f"{stem}.pdf")
    if fmt == "csv":
        body, kind = export.csv_text(rep), "text/csv; charset=utf-8"
    else:
        body = json.dumps(export.geojson_document(rep), ensure_ascii=False)
        kind = "application/geo+json"
    resp = current_app.response_class(body, mimetype=kind)
    resp.headers["Content-Disposition"] = f'attachment; filename="{stem}.{fmt}"'
    return resp
