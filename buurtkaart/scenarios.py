"""Scenarios: what if proposed initiatives opened and existing places were switched off?

A :class:`Scenario` is a question, never a change: its proposed places and switched-off
places live only in the scenario (and in the ``scenarios`` table when it is saved); the
directory (places, activities) is never touched.

A proposed place counts when it meets the scenario's conditions (the same
:class:`~buurtkaart.filters.Filter` semantics as for the directory: working model,
thresholds such as free or walk-in, open in the chosen time window). A proposal without
opening hours counts as open at any time. :func:`run` answers, per neighbourhood and in
total, how many residents gain and lose a matching place within the chosen minutes and
mode (:func:`buurtkaart.access.run_scenario`), and which working models the majority of
a neighbourhood's residents can reach before and after.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass, field, replace

import pandas as pd

from . import access, coverage
from .concurrency import writing
from .errors import InvalidParameter, NotFound
from .filters import Filter
from .taxonomy import WORKING_MODELS

__all__ = ["Proposal", "Scenario", "Outcome", "PROPOSAL_THRESHOLDS", "MAX_PROPOSALS",
           "proposal_counts", "run", "save", "get", "saved"]

#: What a proposal may offer, as in the directory's activities.
PROPOSAL_THRESHOLDS = ("free", "walk_in", "childcare", "children_welcome", "no_internet",
                       "wheelchair")
MAX_PROPOSALS = 10
MAX_REMOVED = 200


@dataclass
class Proposal:
    """A proposed initiative at a point (``lon``/``lat``, found on the map or from an
    address); ``offers`` holds the thresholds it meets (``free``, ``walk_in``, ...)."""

    name: str
    lon: float | None = None
    lat: float | None = None
    address: str = ""
    models: tuple[str, ...] = ()
    offers: tuple[str, ...] = ()
    hours: str = ""
    capacity: float | None = None

    @property
    def located(self) -> bool:
        return self.lon is not None and self.lat is not None

    def as_place(self) -> dict:
        """The proposal as a directory place with one activity (for :class:`Filter`)."""
        act = {"models": list(self.models), "cost_amount": 0 if "free" in self.offers else 1,
               **{k: int(k in self.offers) for k in PROPOSAL_THRESHOLDS if k != "free"},
               "languages": []}
        return {"kind": "other", "lon": self.lon, "lat": self.lat,
                "opening_hours": self.hours or "24/7", "activities": [act]}


@dataclass
class Scenario:
    """Mode, minutes, the conditions places must meet, proposals and switched-off places."""

    mode: str = "walk"
    minutes: float = 10.0
    conditions: dict[str, str] = field(default_factory=dict)  # Filter.to_params()
    transit: dict[str, str] = field(default_factory=dict)  # depart, ... (mode=transit)
    proposals: list[Proposal] = field(default_factory=list)
    remove: list[int] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "Scenario":
        d = json.loads(text)
        props = [Proposal(**{**p, "models": tuple(p.get("models") or ()),
                             "offers": tuple(p.get("offers") or ())})
                 for p in d.pop("proposals", [])]
        return cls(**d, proposals=props)

    def filter(self, now=None) -> Filter:
        return Filter.from_params(self.conditions, now=now)

    @property
    def is_empty(self) -> bool:
        return not any(p.located for p in self.proposals) and not self.remove


def proposal_counts(filt: Filter, proposal: Proposal) -> bool:
    """Does the proposal meet the conditions (models, thresholds, the time window)?
    The kind of place, the words searched and the area do not apply to a proposal."""
    return replace(filt, kinds=(), q=None, bbox=None, municipality=None).matches_place(
        proposal.as_place())


@dataclass
class Outcome:
    """The answer to a scenario, in numbers (the page puts them into words)."""

    neighbourhoods: pd.DataFrame  # per code, see access.run_scenario
    counted: list[Proposal]
    not_counted: list[Proposal]  # they do not meet the conditions
    removed: list[dict]  # id, name of the places switched off
    ignored_removals: list[int]  # ids that do not match the conditions (nothing changes)
    places: int  # matching places before the change

    def totals(self) -> dict:
        df = self.neighbourhoods
        return {"population": float(df["population"].sum()),
                "gaining": float(df["residents_gaining"].sum()),
                "losing": float(df["residents_losing"].sum()),
                "net": float(df["residents_gaining_access"].sum())}

    def models(self) -> list[dict]:
        """Per working model: residents who reach a place offering it, before and after,
        and the neighbourhoods where most residents newly reach it or no longer do."""
        df = self.neighbourhoods
        rows, out = self.rows(), []
        for m in WORKING_MODELS:
            before = (df["population"] * df[f"share_model_{m}_before"].fillna(0)).sum()
            after = (df["population"] * df[f"share_model_{m}_after"].fillna(0)).sum()
            out.append({"model": m, "before": float(before), "after": float(after),
                        "change": float(after - before),
                        "gained_in": [r for r in rows if m in r["models_gained"]],
                        "lost_in": [r for r in rows if m in r["models_lost"]]})
        return out

    def rows(self) -> list[dict]:
        """Per neighbourhood, most changed first: numbers and the models gained and lost
        (reached by at least half the residents after and not before, or the reverse)."""
        out = []
        for r in self.neighbourhoods.to_dict("records"):
            before = coverage.missing_models({m: r[f"{m}_before"] for m in _model_cols()})
            after = coverage.missing_models({m: r[f"{m}_after"] for m in _model_cols()})
            out.append(r | {"models_gained": [m for m in before if m not in after],
                            "models_lost": [m for m in after if m not in before]})
        out.sort(key=lambda r: (-(abs(r["residents_gaining"]) + abs(r["residents_losing"])),
                                r["name"] or r["code"]))
        return out


def _model_cols() -> list[str]:
    return [f"share_model_{m}" for m in WORKING_MODELS]


def run(db, scenario: Scenario, *, now=None, cache_dir=None) -> Outcome:
    """Coverage before and after the scenario; nothing is stored."""
    from .transit.reach import TransitOptions

    filt = scenario.filter(now)
    counted = [p for p in scenario.proposals if p.located and proposal_counts(filt, p)]
    not_counted = [p for p in scenario.proposals if p.located and p not in counted]
    transit = TransitOptions.from_params(scenario.transit) if scenario.mode == "transit" \
        else None
    ctx = access.context(db, transit.access if transit else scenario.mode, cache_dir=cache_dir)
    matching = set(access.facilities(db, ctx, filt.without_area())[0]["id"])
    remove = [i for i in scenario.remove if i in matching]
    add = [{"lon": p.lon, "lat": p.lat, "models": list(p.models), "name": p.name,
            "capacity": p.capacity} for p in counted]
    try:
        result, places = access.run_scenario(db, filt, mode=scenario.mode,
                                             minutes=scenario.minutes, add=add, remove=remove,
                                             cache_dir=cache_dir, transit=transit)
    except InvalidParameter as exc:  # name the proposal, not its position in a list
        if exc.name.startswith("add["):
            p = counted[int(exc.name[4:].split("]")[0])]
            raise InvalidParameter(f"proposal:{scenario.proposals.index(p)}", exc.reason) \
                from None
        raise
    names = dict(zip(places["id"], places["name"]))
    return Outcome(result, counted, not_counted,
                   [{"id": i, "name": names[i]} for i in remove],
                   [i for i in scenario.remove if i not in matching], len(places))


# ---------------------------------------------------------------- saved scenarios
def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def save(db, name: str, scenario: Scenario, *, user_id: int | None) -> int:
    """Store a scenario under ``name``; its id."""
    name = (name or "").strip()
    if not name:
        raise InvalidParameter("name", "a scenario needs a name")
    if len(name) > 200:
        raise InvalidParameter("name", "at most 200 characters")
    with writing(db):
        cur = db.execute("INSERT INTO scenarios (name, spec, created_by, created_at) "
                         "VALUES (?, ?, ?, ?)", [name, scenario.to_json(), user_id, _now()])
        return int(cur.lastrowid)


def get(db, scenario_id: int) -> tuple[dict, Scenario]:
    """The saved scenario's record (name, author, date) and the scenario itself."""
    row = db.execute("SELECT s.id, s.name, s.spec, s.created_at, u.email FROM scenarios s "
                     "LEFT JOIN users u ON u.id = s.created_by WHERE s.id = ?",
                     [scenario_id]).fetchone()
    if row is None:
        raise NotFound(f"no saved scenario {scenario_id}")
    return ({"id": row[0], "name": row[1], "created_at": row[3], "author": row[4]},
            Scenario.from_json(row[2]))


def saved(db) -> list[dict]:
    """Every saved scenario, newest first, with its author and its size."""
    out = []
    for sid, name, spec, created, email in db.execute(
            "SELECT s.id, s.name, s.spec, s.created_at, u.email FROM scenarios s LEFT JOIN "
            "users u ON u.id = s.created_by ORDER BY s.created_at DESC, s.id DESC"):
        sc = Scenario.from_json(spec)
        out.append({"id": sid, "name": name, "created_at": created, "author": email,
                    "proposals": sum(p.located for p in sc.proposals),
                    "removed": len(sc.remove), "scenario": sc})
    return out

