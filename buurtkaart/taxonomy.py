"""The vocabulary of buurtkaart: working models, place kinds and thresholds.

This module is the single source of truth for every code that appears in the
database, the importers, the exporters, the API filters and the map legend.
Dutch labels are kept beside the English ones because community workers know
the Dutch terms (see ``DOMAIN.md``) and importers accept them. The English labels are
marked with ``N_`` and shown through the catalogues (``gettext(label_en)``); the Dutch
catalogue must give ``label_nl`` for each (a test checks it).
"""

from __future__ import annotations

from dataclasses import dataclass

from .i18n import N_

__all__ = [
    "WorkingModel",
    "WORKING_MODELS",
    "PlaceKind",
    "PLACE_KINDS",
    "Threshold",
    "THRESHOLDS",
    "WEEKDAYS",
    "WHEELCHAIR_VALUES",
    "wheelchair_text",
    "SAMPLE_DATA_LABEL",
    "model_keys",
    "kind_keys",
]


@dataclass(frozen=True)
class WorkingModel:
    """One of the seven network-strengthening working models (werkmodellen)."""

    key: str
    label_nl: str
    label_en: str
    description: str
    colour: str


WORKING_MODELS: dict[str, WorkingModel] = {
    m.key: m
    for m in (
        WorkingModel(
            "competence",
            "persoonlijke competentieversterking",
            N_("personal competence building"),
            N_("Courses and training so people learn to build their own network."),
            "#1b9e77",
        ),
        WorkingModel(
            "buddy",
            "persoonlijke vriend",
            N_("buddy"),
            N_("A volunteer buddy supports one person, doing activities together."),
            "#d95f02",
        ),
        WorkingModel(
            "personal_network",
            "persoonlijk netwerk",
            N_("personal network"),
            N_("Person-centred planning: the person gathers a self-chosen circle."),
            "#7570b3",
        ),
        WorkingModel(
            "peer",
            "lotgenotennetwerk",
            N_("peer network"),
            N_("People with a shared life experience meet, exchange and act together."),
            "#e7298a",
        ),
        WorkingModel(
            "context",
            "contextgericht werken",
            N_("context-oriented work"),
            N_("Professionals work in and with the person's own context, often at home."),
            "#66a61e",
        ),
        WorkingModel(
            "organisation",
            "netwerkversterking via (vrijwilligerswerk in) organisatie",
            N_("through (volunteering in) an organisation"),
            N_("Activities organised with volunteers; taking part and helping organise."),
            "#e6ab02",
        ),
        WorkingModel(
            "location",
            "netwerkversterking via locatie/regio",
            N_("through a location or neighbourhood"),
            N_("Community building and neighbourhood work."),
            "#a6761d",
        ),
    )
}


@dataclass(frozen=True)
class PlaceKind:
    """A kind of meeting place, with the marker colour used on the map."""

    key: str
    label_nl: str
    label_en: str
    colour: str


PLACE_KINDS: dict[str, PlaceKind] = {
    k.key: k
    for k in (
        PlaceKind("drop_in_centre", "inloopcentrum", N_("drop-in centre"), "#c0392b"),
        PlaceKind("community_house", "buurthuis", N_("community house"), "#2471a3"),
        PlaceKind(
            "local_service_centre",
            "lokaal dienstencentrum",
            N_("local service centre"),
            "#7d3c98",
        ),
        PlaceKind("library", "bibliotheek", N_("library"), "#148f77"),
        PlaceKind("other", "andere", N_("other"), "#616a6b"),
    )
}


@dataclass(frozen=True)
class Threshold:
    """A condition (drempel) that decides whether a place is reachable for someone.

    ``column`` is the activity column that holds it; ``kind`` says how it is
    stored: ``tristate`` is 1 (yes), 0 (no) or NULL (unknown).
    """

    key: str
    label_nl: str
    label_en: str
    column: str
    kind: str
    question: str


THRESHOLDS: dict[str, Threshold] = {
    t.key: t
    for t in (
        Threshold("free", "gratis", N_("free"), "cost_amount", "cost",
                  "Can I take part without paying?"),
        Threshold("walk_in", "vrije inloop", N_("walk-in"), "walk_in", "tristate",
                  "Can I come without registering or a referral?"),
        Threshold("childcare", "kinderopvang", N_("childcare on site"), "childcare", "tristate",
                  "Is there childcare while I take part?"),
        Threshold("children_welcome", "kinderen welkom", N_("children welcome"),
                  "children_welcome", "tristate", "May I bring my children?"),
        Threshold("no_internet", "zonder internet", N_("no internet needed"), "no_internet",
                  "tristate", "Can I join without internet, e-mail or an online sign-up?"),
        Threshold("wheelchair", "rolstoeltoegankelijk", N_("wheelchair accessible"),
                  "wheelchair", "tristate", "Can I get in with a wheelchair?"),
        Threshold("languages", "talen", N_("languages"), "languages", "list",
                  "Is my language spoken?"),
    )
}

#: Tri-state and cost thresholds, in the order they are shown.
BOOLEAN_THRESHOLDS: tuple[str, ...] = tuple(
    k for k, t in THRESHOLDS.items() if t.kind in ("tristate", "cost")
)

#: ISO weekday numbers (Monday = 0) with OSM-style two-letter codes.
WEEKDAYS: tuple[str, ...] = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
WEEKDAY_NAMES_EN: tuple[str, ...] = (
    N_("Monday"), N_("Tuesday"), N_("Wednesday"), N_("Thursday"), N_("Friday"),
    N_("Saturday"), N_("Sunday"),
)
WEEKDAY_NAMES_NL: tuple[str, ...] = (
    "maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag",
)

#: Physical accessibility of a place, as OSM's ``wheelchair`` tag.
WHEELCHAIR_VALUES: tuple[str, ...] = ("yes", "limited", "no")
_WHEELCHAIR_WORDS = {"yes": N_("yes"), "limited": N_("partly"), "no": N_("no")}


def wheelchair_text(value: str | None) -> str:
    """A place's ``wheelchair`` value in words, in the active language."""
    from .i18n import gettext

    return gettext(_WHEELCHAIR_WORDS.get(value or "", N_("unknown")))

#: Shown wherever generated (not real) data appears.
SAMPLE_DATA_LABEL = N_("sample data (generated for the demo, not a real activity)")


def model_keys() -> tuple[str, ...]:
    """Return the working-model keys in their canonical order."""
    return tuple(WORKING_MODELS)


def kind_keys() -> tuple[str, ...]:
    """Return the place-kind keys in their canonical order."""
    return tuple(PLACE_KINDS)
