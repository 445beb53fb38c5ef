"""Published layouts recognised by their header: Statbel open data per statistical sector,
and the Provincies in Cijfers lookups (sector -> wijk -> municipality).

A known layout is turned into buurtkaart's own wide table (``code``, ``year`` and one
column per indicator), keeping the file's row numbers, so the same checks and messages
apply. The mapping is documented in ``docs/indicators.md`` ("Statbel files as published").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..i18n import N_
from .tables import Table

__all__ = ["Layout", "LAYOUTS", "recognise", "UNKNOWN_SECTOR", "CONFIDENTIAL_MARKERS",
           "year_from_name", "PSEUDO_WIJK"]

#: Statbel's code for the part of a municipality whose sector is unknown ("11001ZZZZ")
UNKNOWN_SECTOR = re.compile(r"^\d{5}ZZZZ$", re.I)
#: Provincies in Cijfers' pseudo-wijken of those unknown sectors ("11001ONB" for onbekend,
#: also "210010ONB", "71053_ONB", "13013ONBE", and a few written "13008ZZZZ"); "31033DONB"
#: is a real wijk with an outline and is kept
PSEUDO_WIJK = re.compile(r"^(\d{5,6}_?ONBE?|\d{5}ZZZZ)$")
#: cell values Statbel publishes instead of a number kept secret (statistical
#: confidentiality: too few declarations or inhabitants in the sector)
CONFIDENTIAL_MARKERS = {"c": "confidential (Statbel publishes 'C' where a figure would "
                             "reveal too few people)"}


@dataclass(frozen=True)
class Layout:
    """A published table layout.

    ``columns`` maps the file's column to the indicator it holds; ``weights`` says by which
    indicator a mean-like indicator is weighted when sectors are combined into a wijk
    (default: population). ``year`` is the year column, or ``None`` when the year is in
    the file name (``OPENDATA_SECTOREN_2024.txt``).
    """

    key: str
    title: str
    identify: tuple[str, ...]
    code: tuple[str, ...]
    year: str | None
    columns: dict[str, str]
    weights: dict[str, str] = field(default_factory=dict)
    level: str = "sector"
    published: str = ""

    def header_text(self) -> str:
        """The start of the published header, for messages."""
        return self.published + "|..."

    def matches(self, upper: set[str]) -> bool:
        return set(self.identify) <= upper and bool(upper & set(self.code))


LAYOUTS: tuple[Layout, ...] = (
    Layout("TF_PSNL_INC_TAX_SECTOR",
           N_("Statbel fiscal income per statistical sector"),
           ("CD_YEAR", "CD_MUNTY_REFNIS", "MS_NBR_NON_ZERO_INC", "MS_TOT_NET_TAXABLE_INC"),
           # older releases name the sector CD_REFNIS_SECTOR
           code=("CD_SECTOR", "CD_REFNIS_SECTOR"), year="CD_YEAR",
           columns={"MS_NBR_NON_ZERO_INC": "declarations_count",
                    "MS_TOT_NET_TAXABLE_INC": "net_taxable_income_total",
                    "MS_AVG_TOT_NET_TAXABLE_INC": "income_per_declaration_mean",
                    "MS_MEDIAN_NET_TAXABLE_INC": "median_income"},
           weights={"income_per_declaration_mean": "declarations_count",
                    "median_income": "declarations_count"},
           published="CD_YEAR|CD_MUNTY_REFNIS|CD_SECTOR|MS_NBR_NON_ZERO_INC|"
                     "MS_TOT_NET_TAXABLE_INC"),
    Layout("OPENDATA_SECTOREN",
           N_("Statbel population per statistical sector (year in the file name)"),
           ("CD_REFNIS", "TOTAL"),
           code=("CD_SECTOR",), year=None, columns={"TOTAL": "population"},
           published="CD_REFNIS|CD_SECTOR|TOTAL"),
)


def recognise(header: list[str]) -> Layout | None:
    """The known layout whose identifying columns are all in ``header`` (any case)."""
    upper = {h.upper() for h in header}
    for layout in LAYOUTS:
        if layout.matches(upper):
            return layout
    return None


def year_from_name(name: str) -> int | None:
    """The year in a file name such as ``OPENDATA_SECTOREN_2024.txt``."""
    years = re.findall(r"(?<!\d)((?:19|20)\d\d)(?!\d)", name)
    return int(years[-1]) if years else None


def to_wide(table: Table, layout: Layout, year: int | None
            ) -> tuple[list[str], list[tuple[int, list[str]]], list[str]]:
    """(header, rows, ignored columns): the layout as ``code, year, <indicator>...``."""
    index = {h.upper(): k for k, h in enumerate(table.header)}
    mapped = [(index[c], ind) for c, ind in layout.columns.items() if c in index]
    ci = next(index[c] for c in layout.code if c in index)
    yi = index[layout.year] if layout.year else None
    header = ["code", "year"] + [ind for _, ind in mapped]
    rows = []
    for n, cells in table.rows:
        if len(cells) < len(table.header):
            cells = cells + [""] * (len(table.header) - len(cells))
        y = cells[yi] if yi is not None else (str(year) if year else "")
        rows.append((n, [cells[ci], y] + [cells[k] for k, _ in mapped]))
    used = {ci, yi} | {k for k, _ in mapped}
    ignored = [h for k, h in enumerate(table.header) if k not in used and h]
    return header, rows, ignored
