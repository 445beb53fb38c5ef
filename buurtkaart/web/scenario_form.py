"""The scenario form: query parameters <-> :class:`~buurtkaart.scenarios.Scenario`.

One plain GET form holds the whole question, so a scenario is a link, works without
JavaScript and is saved by sending its query along:

- ``mode``, ``minutes``, ``depart`` (public transport), and the filter's parameters
  (``free``, ``walk_in``, ..., ``model``, ``day``, ``from``, ``to``) for the conditions;
- per proposal ``i`` (1..10): ``p<i>_name``, ``p<i>_address`` (typed; found with the
  offline search), ``p<i>_lon``/``p<i>_lat`` (hidden: from the address or a click on
  the map), ``p<i>_at`` (the address text those belong to), ``p<i>_model`` and
  ``p<i>_offers`` (repeated), ``p<i>_hours`` (OpenStreetMap opening hours),
  ``p<i>_capacity``;
- ``remove``: ids of places switched off (repeated); ``remove_q`` words to find them.

Problems with one proposal (an address not found, hours that cannot be read) are
collected as sentences for that proposal; the rest of the scenario still runs.
"""

from __future__ import annotations

import math

from werkzeug.datastructures import MultiDict

from .. import search
from ..filters import FILTER_PARAMETERS
from ..hours import validate_opening_hours
from ..i18n import gettext as _
from ..scenarios import MAX_PROPOSALS, MAX_REMOVED, PROPOSAL_THRESHOLDS, Proposal, Scenario
from ..taxonomy import WORKING_MODELS
from ..transit.reach import PARAMETERS as TRANSIT_PARAMETERS

__all__ = ["parse", "to_args", "PROPOSAL_FIELDS", "nearest_address"]

PROPOSAL_FIELDS = ("name", "address", "lon", "lat", "at", "model", "offers", "hours",
                   "capacity")


def _number(text: str | None, lo: float, hi: float) -> float | None:
    try:
        v = float(text or "")
    except ValueError:
        return None
    return v if math.isfinite(v) and lo <= v <= hi else None


def nearest_address(db, lon: float, lat: float) -> str | None:
    """The address (or street) of the search index nearest to a point, within ~300 m."""
    d = 0.004
    row = db.execute(
        "SELECT label, detail FROM search_entries WHERE type IN ('address', 'street') AND "
        "lon BETWEEN ? AND ? AND lat BETWEEN ? AND ? ORDER BY (lon - ?) * (lon - ?) * ? + "
        "(lat - ?) * (lat - ?) LIMIT 1",
        [lon - d * 2, lon + d * 2, lat - d, lat + d, lon, lon,
         math.cos(math.radians(lat)) ** 2, lat, lat]).fetchone()
    return row[0] if row else None


def _proposal(db, args: MultiDict, i: int, mine: list[str]) -> Proposal | None:
    p = f"p{i}_"
    name = (args.get(p + "name") or "").strip()[:200]
    address = (args.get(p + "address") or "").strip()[:200]
    lon, lat = _number(args.get(p + "lon"), -180, 180), _number(args.get(p + "lat"), -90, 90)
    at = (args.get(p + "at") or "").strip()[:200]
    models = [m for m in args.getlist(p + "model") if m in WORKING_MODELS]
    offers = [o for o in args.getlist(p + "offers") if o in PROPOSAL_THRESHOLDS]
    hours = (args.get(p + "hours") or "").strip()[:500]
    if not (name or address or lon is not None or models or hours):
        return None
    name = name or _("Proposal %(number)d", number=i)
    if address and (lon is None or lat is None or address != at):
        lon = lat = None
        outcome = search.resolve(db, address)
        hit = outcome.location or next((h for h in outcome.choices if h.lon is not None), None)
        if hit is not None and hit.lon is not None:
            lon, lat, address = hit.lon, hit.lat, hit.describe()
        else:
            mine.append(_("We could not find the address “%(address)s”. Type a street and "
                          "number, or click on the map.", address=address))
    elif lon is not None and lat is not None and not address:
        near = nearest_address(db, lon, lat)
        address = _("on the map, near %(address)s", address=near) if near else _(
            "chosen on the map")
    if lon is None or lat is None:
        if not mine:
            mine.append(_("Where? Type an address or click on the map."))
        lon = lat = None
    if not models:
        mine.append(_("Choose at least one working model; without one it cannot count."))
    if hours:
        try:
            hours = validate_opening_hours(hours)
        except ValueError as exc:
            mine.append(_("We cannot read the opening hours “%(hours)s”: %(why)s",
                          hours=hours, why=str(exc)))
            hours = ""
    return Proposal(name=name, lon=lon, lat=lat, address=address, models=tuple(models),
                    offers=tuple(offers), hours=hours,
                    capacity=_number(args.get(p + "capacity"), 0, 1e6))


def parse(db, args: MultiDict) -> tuple[Scenario, dict[int, list[str]]]:
    """The scenario of a query, and problems per proposal number (1-based).

    Mode, minutes and conditions are checked by the caller's :class:`Filter` and
    network profile (a wrong value there gets the site's friendly error page)."""
    problems: dict[int, list[str]] = {}
    proposals = []
    for i in range(1, MAX_PROPOSALS + 1):
        mine: list[str] = []
        prop = _proposal(db, args, i, mine)
        if prop is not None:
            proposals.append(prop)  # numbered again in order: the form shows them so
            if mine:
                problems[len(proposals)] = mine
    remove = []
    for v in args.getlist("remove"):
        if v.isdigit() and int(v) not in remove and len(remove) < MAX_REMOVED:
            remove.append(int(v))
    conditions = {k: ",".join(args.getlist(k)) for k in FILTER_PARAMETERS
                  if any(args.getlist(k))}
    mode = args.get("mode") or "walk"
    minutes = _number(args.get("minutes") or "10", -math.inf, math.inf)
    transit = {k: args.get(k) for k in TRANSIT_PARAMETERS if mode == "transit" and args.get(k)}
    return Scenario(mode=mode, minutes=minutes if minutes is not None else math.nan,
                    conditions=conditions, transit=transit, proposals=proposals,
                    remove=remove), problems


def to_args(sc: Scenario) -> MultiDict:
    """The query that :func:`parse` reads back into the same scenario."""
    out = MultiDict([("mode", sc.mode), ("minutes", f"{sc.minutes:g}")])
    for k, v in {**sc.conditions, **sc.transit}.items():
        for part in (v.split(",") if k == "model" else [v]):
            out.add(k, part)
    for i, p in enumerate(sc.proposals, 1):
        pre = f"p{i}_"
        out.add(pre + "name", p.name)
        if p.lon is not None and p.lat is not None:
            out.add(pre + "lon", f"{p.lon:.6f}")
            out.add(pre + "lat", f"{p.lat:.6f}")
            out.add(pre + "address", p.address)
            out.add(pre + "at", p.address)
        for m in p.models:
            out.add(pre + "model", m)
        for o in p.offers:
            out.add(pre + "offers", o)
        if p.hours:
            out.add(pre + "hours", p.hours)
        if p.capacity is not None:
            out.add(pre + "capacity", f"{p.capacity:g}")
    for r in sc.remove:
        out.add("remove", str(r))
    return out
