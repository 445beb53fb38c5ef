"""Limits on what one import may ask of the server, each an environment setting.

Checked before the expensive work (unzipping, reading every feature, parsing every
column), so a hostile or mistaken file is refused in a moment instead of taking minutes
and gigabytes. Raise a limit for a really large legitimate file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from .errors import BuurtkaartError
from .i18n import N_, Msg

__all__ = ["LIMITS", "Limit", "limit", "refusal"]


@dataclass(frozen=True)
class Limit:
    env: str
    default: int
    unit: str
    help: str


LIMITS = {
    "unpacked_mb": Limit("BUURTKAART_MAX_UNPACKED_MB", 200, N_("MB"),
                         N_("largest neighbourhood file, in MB unpacked (a zipped shapefile "
                            "counts what it unzips to)")),
    "features": Limit("BUURTKAART_MAX_FEATURES", 100_000, N_("features"),
                      N_("most polygons in one neighbourhood file")),
    "columns": Limit("BUURTKAART_MAX_COLUMNS", 1_000, N_("columns"),
                     N_("most columns in one indicator table")),
}


def limit(name: str) -> int:
    """The current value of limit ``name`` (its environment setting, else the default)."""
    spec = LIMITS[name]
    raw = os.environ.get(spec.env)
    if raw is None or raw.strip() == "":
        return spec.default
    text = raw.strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 12 or int(text) < 1:
        raise BuurtkaartError(f"{spec.env} must be a whole number of {spec.unit} from 1, "
                              f"got {raw!r} ({spec.help})")
    return int(text)


def refusal(name: str, found: str) -> Msg:
    """A problem's reason: ``found`` (a :class:`~buurtkaart.i18n.Msg` such as "has 2,000
    columns") exceeds limit ``name``, and how to raise it; in any language."""
    spec = LIMITS[name]
    return Msg("%(found)s; the limit is %(limit)s %(unit)s (%(help)s); set %(env)s to allow "
               "more", found=found, limit=f"{limit(name):,}", unit=Msg(spec.unit),
               help=Msg(spec.help), env=spec.env)
