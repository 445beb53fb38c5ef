"""Scenario pages: what if proposed initiatives opened and places were switched off?

- ``GET /scenario``: the form (plain GET, works without JavaScript; with it, a click on
  the map places a proposal) and, when it holds a proposal or a switched-off place, the
  answer: residents gaining and losing a matching place per neighbourhood and in total,
  working models gained and lost, and a difference map (``/scenario/frame``, same query).
  ``suggest=N`` lists N suggested locations, explained, each one click from a proposal.
  Anyone may ask; nothing is stored and the directory never changes.
- ``POST /scenario/save`` (logged-in editor or admin, CSRF): stores the scenario with a
  name; ``/scenario/<id>`` reopens it, ``/scenarios`` lists them and
  ``/scenario/compare?a=..&b=..`` puts two side by side. Saved scenarios are working
  documents of the municipality (they may name places to close): they are shown to
  logged-in users only.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import replace
from urllib.parse import parse_qsl, urlencode

from babel.numbers import format_decimal
from flask import (Blueprint, Response, current_app, flash, g, redirect, render_template,
                   request, url_for)
from werkzeug.datastructures import MultiDict

from .. import (access, geomcache, listing, network, scenario_map, scenarios, store,
               suggestions)
from ..errors import InvalidParameter
from ..filters import Filter
from ..i18n import current_locale
from ..i18n import gettext as _
from ..maps import display_tolerance
from ..scenarios import MAX_PROPOSALS, PROPOSAL_THRESHOLDS
from ..taxonomy import WORKING_MODELS
from ..transit.reach import PARAMETERS as TRANSIT_PARAMETERS
from . import scenario_form
from .auth import login_required
from .csp import MapDocument
from .csp import nonce as csp_nonce
from .db import get_db, now
from .forgiving import page_args
from .params import int_arg
from .security import rate_limit

bp = Blueprint("scenario", __name__)

PAGE_PARAMS = ("mode", "minutes", "remove", "remove_q", "suggest", "more", *TRANSIT_PARAMETERS,
               *(f"p{i}_{f}" for i in range(1, MAX_PROPOSALS + 1)
                 for f in scenario_form.PROPOSAL_FIELDS))
REMOVE_CHOICES = 30
MAX_SUGGEST = 10
_OUTCOMES: OrderedDict[tuple, scenarios.Outcome] = OrderedDict()
_LOCK = threading.Lock()
OUTCOME_CACHE_SIZE = 16


@bp.app_template_filter("whole")
def whole(v) -> str:
    """A count of residents as a whole number in the page's language (``1.234`` in Dutch)."""
    return format_decimal(round(float(v or 0)), locale=current_locale())


@bp.app_template_filter("model_names")
def model_names(keys) -> str:
    """Working models in words, in the page's language."""
    return ", ".join(_(WORKING_MODELS[k].label_en) for k in keys if k in WORKING_MODELS)


def _cache_dir():
    return current_app.config.get("CACHE_DIR")


def _checked(sc: scenarios.Scenario) -> Filter:
    """The scenario's conditions as a Filter; mode and minutes checked (InvalidParameter
    naming the field gets the site's friendly page)."""
    if sc.mode != "transit" or not access.feeds_version(get_db()):
        network.profile(sc.mode)
    if not 1 <= sc.minutes <= 120:  # also false for NaN
        raise InvalidParameter("minutes", "must be between 1 and 120")
    return sc.filter(now)


def _outcome(db, sc: scenarios.Scenario, filt: Filter) -> scenarios.Outcome:
    """The scenario's answer (kept per query until the data changes)."""
    key = (db.execute("PRAGMA database_list").fetchone()[2], store.data_version(db),
           access.feeds_version(db), sc.to_json(), filt, str(_cache_dir()))
    with _LOCK:
        hit = _OUTCOMES.get(key)
        if hit is not None:
            _OUTCOMES.move_to_end(key)
            return hit
    out = scenarios.run(db, sc, now=now, cache_dir=_cache_dir())
    with _LOCK:
        _OUTCOMES[key] = out
        while len(_OUTCOMES) > OUTCOME_CACHE_SIZE:
            _OUTCOMES.popitem(last=False)
    return out


def _run(db, sc, filt, problems) -> scenarios.Outcome | None:
    """Run; a proposal too far from the network is left out and said so."""
    for _attempt in range(len(sc.proposals) + 1):
        try:
            return _outcome(db, sc, filt)
        except InvalidParameter as exc:
            if not exc.name.startswith("proposal:"):
                raise
            i = int(exc.name.split(":")[1])
            problems.setdefault(i + 1, []).append(_(
                "This point is too far from a street or path for %(mode)s; choose a point "
                "on a street or path.", mode=_mode_words(sc.mode)))
            sc.proposals[i] = replace(sc.proposals[i], lon=None, lat=None)
    return None


def _mode_words(mode: str) -> str:
    return _("public transport") if mode == "transit" else _(network.PROFILES[mode].label)


def _suggested(db, sc, filt) -> dict | None:
    k = int_arg("suggest", lo=1, hi=MAX_SUGGEST)
    if not k:
        return None
    from ..transit.reach import TransitOptions

    transit = TransitOptions.from_params(sc.transit) if sc.mode == "transit" else None
    picks = access.suggest_locations(db, filt, mode=sc.mode, minutes=sc.minutes, k=k,
                                     cache_dir=_cache_dir(), transit=transit)
    explained = suggestions.explain(db, picks)
    base = scenario_form.to_args(sc)
    n = len(sc.proposals)
    every = MultiDict(base)
    for r in explained["rows"]:
        one = MultiDict(base)
        for target, i in ((one, n + 1), (every, n + r["rank"])):
            if i > MAX_PROPOSALS:
                continue
            target.add(f"p{i}_name", _("Suggested location %(rank)d", rank=r["rank"]))
            target.add(f"p{i}_lon", f"{r['lon']:.6f}")
            target.add(f"p{i}_lat", f"{r['lat']:.6f}")
            for m in filt.models:
                target.add(f"p{i}_model", m)
            for o in PROPOSAL_THRESHOLDS:
                if getattr(filt, o) is True:
                    target.add(f"p{i}_offers", o)
        r["add_url"] = url_for("scenario.scenario_page") + "?" + urlencode(
            list(one.items(multi=True)))
    explained["add_all_url"] = url_for("scenario.scenario_page") + "?" + urlencode(
        list(every.items(multi=True)))
    return explained


def _removal_choices(db, sc, filt, q: str | None) -> tuple[list[dict], list[dict], int]:
    """(the places switched off, matching places to choose from, how many match)."""
    chosen = []
    if sc.remove:
        marks = ",".join("?" * len(sc.remove))
        rows = {r["id"]: r for r in db.query(
            f"SELECT id, name, street, postcode, city FROM places WHERE id IN ({marks})",
            sc.remove)}
        chosen = [rows[i] for i in sc.remove if i in rows]
    look = replace(filt.without_area(), q=q or None)
    page, total = listing.place_page(db, look, limit=REMOVE_CHOICES + len(chosen))
    taken = set(sc.remove)
    return chosen, [p for p in page if p["id"] not in taken][:REMOVE_CHOICES], total


def _render(db, args: MultiDict, saved: dict | None = None):
    sc, problems = scenario_form.parse(db, args)
    filt = _checked(sc)
    has_network = access.registered_network(db) is not None
    outcome = _run(db, sc, filt, problems) if has_network and not sc.is_empty else None
    slots = len(sc.proposals) + (1 if (args.get("more") or not sc.proposals)
                                 and len(sc.proposals) < MAX_PROPOSALS else 0)
    chosen, choices, matching = _removal_choices(db, sc, filt, args.get("remove_q"))
    query = urlencode(list(scenario_form.to_args(sc).items(multi=True))
                      + [("suggest", v) for v in args.getlist("suggest")[:1]]
                      + [("lang", current_locale())])
    return render_template(
        "scenario.html", sc=sc, filt=filt, problems=problems, outcome=outcome,
        has_network=has_network, has_transit=bool(access.feeds_version(db)),
        profiles=network.PROFILES, slots=slots, chosen=chosen, choices=choices,
        matching=matching, remove_q=args.get("remove_q") or "", saved=saved,
        suggested=_suggested(db, sc, filt) if has_network else None,
        frame_url=url_for("scenario.frame") + "?" + query, mode_words=_mode_words(sc.mode),
        query=urlencode(list(scenario_form.to_args(sc).items(multi=True))),
        thresholds_offered=PROPOSAL_THRESHOLDS, max_proposals=MAX_PROPOSALS)


@bp.route("/scenario")
def scenario_page():
    return _render(get_db(), page_args(PAGE_PARAMS))


@bp.route("/scenario/frame")
def frame():
    """The difference map of the query's scenario; a click places a proposal."""
    db = get_db()
    sc, problems = scenario_form.parse(db, page_args(PAGE_PARAMS))
    filt = _checked(sc)
    hoods = store.neighbourhoods(db, municipality=filt.municipality, bbox=filt.bbox)
    geomcache.simplified(db, hoods, display_tolerance(n["geometry"] for n in hoods),
                         cache_dir=_cache_dir())
    rows, places, removed, proposals, layers = None, [], [], [], []
    if access.registered_network(db) is not None:
        outcome = _run(db, sc, filt, problems) if not sc.is_empty else None
        gone = {r["id"] for r in outcome.removed} if outcome else set()
        for p in store.places(db, filt.without_area()):
            (removed if p["id"] in gone else places).append(p)
        if outcome:
            rows = {r["code"]: r for r in outcome.neighbourhoods.to_dict("records")}
            proposals = [{"name": p.name, "lon": p.lon, "lat": p.lat,
                          "counted": p in outcome.counted} for p in sc.proposals if p.located]
        suggested = _suggested(db, sc, filt)
        if suggested:
            layers.append(scenario_map.suggestion_layer(suggested, _(
                "Suggested locations (%(minutes)s min %(mode)s)", minutes=f"{sc.minutes:g}",
                mode=_mode_words(sc.mode))))
    m = scenario_map.scenario_map(
        hoods, rows, places, proposals, removed, extra_layers=layers,
        pick=request.args.get("pick") != "0",
        static_url_prefix=url_for("static", filename="").rstrip("/"),
        title=_("Change within %(minutes)s min %(mode)s", minutes=f"{sc.minutes:g}",
                mode=_mode_words(sc.mode)))
    return Response(MapDocument(m).html(csp_nonce()), mimetype="text/html")


@bp.route("/scenario/save", methods=["POST"])
@login_required()
def save():
    rate_limit("write")
    db = get_db()
    args = MultiDict(parse_qsl(request.form.get("query", ""), keep_blank_values=False))
    sc, _problems = scenario_form.parse(db, args)
    _checked(sc)
    name = (request.form.get("name") or "").strip()
    if sc.is_empty or not name:
        flash(_("Give the scenario a name, and at least one proposed place or one place "
                "switched off, before saving."))
        return redirect(url_for("scenario.scenario_page") + "?" + urlencode(
            list(args.items(multi=True))))
    sid = scenarios.save(db, name, sc, user_id=g.user["id"])
    flash(_("Scenario “%(name)s” saved.", name=name[:200]))
    return redirect(url_for("scenario.saved", scenario_id=sid))


@bp.route("/scenario/<int:scenario_id>")
@login_required()
def saved(scenario_id: int):
    db = get_db()
    record, sc = scenarios.get(db, scenario_id)
    args = scenario_form.to_args(sc)
    for k in ("suggest", "more", "remove_q"):  # what the visitor adds to a saved scenario
        if request.args.get(k):
            args[k] = request.args[k]
    return _render(db, args, saved=record)


@bp.route("/scenarios")
@login_required()
def saved_list():
    return render_template("scenario_list.html", items=scenarios.saved(get_db()))


@bp.route("/scenario/compare")
@login_required()
def compare():
    db = get_db()
    sides = []
    for key in ("a", "b"):
        sid = int_arg(key, lo=1, hi=2**63 - 1)
        if sid is None:
            raise InvalidParameter(key, "choose two saved scenarios")
        record, sc = scenarios.get(db, sid)
        problems: dict[int, list[str]] = {}
        filt = _checked(sc)
        outcome = _run(db, sc, filt, problems) if not sc.is_empty else None
        query = urlencode(list(scenario_form.to_args(sc).items(multi=True))
                          + [("lang", current_locale()), ("pick", "0")])
        sides.append({"record": record, "sc": sc, "outcome": outcome,
                      "mode_words": _mode_words(sc.mode),
                      "frame_url": url_for("scenario.frame") + "?" + query,
                      "rows": {r["code"]: r for r in outcome.rows()} if outcome else {}})
    codes = sorted({c for s in sides for c in s["rows"]},
                   key=lambda c: -max(abs(s["rows"].get(c, {}).get("residents_gaining", 0))
                                      + abs(s["rows"].get(c, {}).get("residents_losing", 0))
                                      for s in sides))
    return render_template("scenario_compare.html", sides=sides, codes=codes)
