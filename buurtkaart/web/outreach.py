"""The outreach dashboard for community workers: neighbourhoods ranked by need × lack of
access, with the formula in words, a map link per neighbourhood and a CSV of the same rows.

The routes hang on the pages blueprint (``pages.outreach``, ``pages.outreach_csv``).
By default the ranking uses the need index when need figures are stored, and the number of
residents otherwise (the page says which and why).
"""

from __future__ import annotations

import csv
import io

from flask import Response, current_app, render_template, request, url_for

from .. import access, coverage, network, store
from ..i18n import gettext as _
from ..importers.csvtext import neutralise_formula
from ..indicators import INDICATORS, indicator_label, need_index
from ..mapstyle import known, value_text
from ..taxonomy import WORKING_MODELS
from .analysis import _need
from .db import get_db
from ..transit.reach import PARAMETERS as TRANSIT_PARAMETERS
from .pages import COVERAGE, _filter, _map_choice, bp
from .trip import fare_notes, how, trip

__all__ = ["outreach", "outreach_csv", "outreach_rows"]

EXTRA = ("mode", "minutes", "need", "best", "year", *TRANSIT_PARAMETERS)


def has_need_data(db) -> bool:
    """Is a need index computable (some need indicator stored for some neighbourhood)?"""
    frame = store.indicator_frame(db)
    if frame.empty:
        return False
    idx = need_index(frame)
    return bool(idx["need_index"].notna().any())


def _settings(db):
    """(filter, need name, need chosen by default?, mode, minutes) from the query."""
    filt = _filter(extra=EXTRA)
    *_choice, mode, minutes = _map_choice(db)
    need = request.args.get("need")
    default = not need
    if default:
        need = "need_index" if has_need_data(db) else "population"
    return filt, need, default, mode, minutes


def outreach_rows(db, filt, need: str, mode: str, minutes: float,
                  used: dict | None = None) -> tuple[list[dict], str]:
    """The ranked neighbourhoods, highest score first, each with its coverage figures and
    the working models fewer than half of its residents reach; and the moment evaluated
    (the departure of the mode selector), in words. ``used`` receives the coverage report
    (what public transport and its ticket budget used)."""
    transit = trip(mode)
    cov, report = access.run_coverage(db, filt, mode=mode, minutes=minutes,
                                      cache_dir=current_app.config.get("CACHE_DIR"),
                                      transit=transit)
    if used is not None:
        used.update(report)
    ranked = coverage.outreach_ranking(cov, _need(db, need, None))
    model_cols = [c for c in cov.columns if c.startswith("share_model_")]
    ranked = ranked.merge(cov[["code", "name", "models_reachable"] + model_cols], on="code")
    return [r | {"missing_models": coverage.missing_models(r)}
            for r in ranked.to_dict("records")], how(mode, transit, report)


def need_text(key: str, v) -> str:
    """A need value in the page's language with its unit ("+0,42", "87 %", "1 561
    residents"); "unknown" when there is none."""
    if not known(v):
        return _("unknown")
    if key == "need_index":
        return value_text(v, "index")
    meta = INDICATORS.get(key)
    return value_text(v, meta.unit if meta else None)


@bp.route("/outreach")
def outreach():
    """For community workers: where need is high and access low, and where to add a place."""
    db = get_db()
    filt, need, default, mode, minutes = _settings(db)
    rows, error, when, used = [], None, None, {}
    if access.registered_network(db) is None:
        error = _("No travel-time network yet: an administrator runs "
                  "`buurtkaart network build --pbf FILE.osm.pbf`.")
    else:
        rows, when = outreach_rows(db, filt, need, mode, minutes, used)
    signed = any(known(r["need"]) and r["need"] < 0 for r in rows)
    trip_params = {k: request.args[k] for k in TRANSIT_PARAMETERS if request.args.get(k)}
    params = {**filt.to_params(), "indicator": COVERAGE, "mode": mode, "minutes": f"{minutes:g}",
              "best": request.args.get("best") or "3", **trip_params}
    map_params = {**filt.to_params(), "indicator": COVERAGE, "mode": mode,
                  "minutes": f"{minutes:g}", **trip_params}
    query = {**filt.to_params(), "need": need, "mode": mode, "minutes": f"{minutes:g}",
             **trip_params}
    return render_template("outreach.html", rows=rows, error=error, need=need, when=when,
                           fares=fare_notes(used),
                           need_default=default, has_need=has_need_data(db), signed=signed,
                           mode=mode, minutes=minutes, filt=filt, profiles=network.PROFILES,
                           catalogue=store.indicator_catalogue(db), label=indicator_label,
                           map_params=map_params, query=query, need_text=need_text,
                           frame_url=url_for("pages.map_frame", **params))


def _csv_number(v, digits: int | None = None) -> str:
    if not known(v):
        return ""
    if digits == 0:
        return str(round(float(v)))
    return str(round(float(v), digits) if digits is not None else float(v))


@bp.route("/outreach.csv")
def outreach_csv():
    """The rows of /outreach with the same filters, in the same order, as CSV."""
    db = get_db()
    filt, need, _default, mode, minutes = _settings(db)
    if access.registered_network(db) is None:
        return Response(_("No travel-time network yet: an administrator runs "
                          "`buurtkaart network build --pbf FILE.osm.pbf`.") + "\n",
                        status=409, mimetype="text/plain")
    rows, _when = outreach_rows(db, filt, need, mode, minutes)
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow([_("rank"), _("code"), _("neighbourhood"),
                _("need (%(indicator)s)", indicator=indicator_label(need)),
                _("share within %(minutes)s min", minutes=f"{minutes:g}"), _("median minutes"),
                _("residents without access"), _("working models reachable"),
                _("missing working models"), _("score")])
    for r in rows:
        w.writerow([r["rank"], neutralise_formula(r["code"]),
                    neutralise_formula(r.get("name") or r["code"]), _csv_number(r["need"]),
                    _csv_number(r["share_within"], 4), _csv_number(r["median_minutes"], 1),
                    _csv_number(r["residents_without_access"], 0), r["models_reachable"],
                    "; ".join(_(WORKING_MODELS[m].label_en) for m in r["missing_models"]),
                    _csv_number(r["score"], 4)])
    name = f"outreach-{mode}-{minutes:g}min.csv"
    return Response("\ufeff" + out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
