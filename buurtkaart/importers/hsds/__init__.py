"""Open Referral HSDS 3.0 in: every shape the standard publishes (see :mod:`.shapes`,
:mod:`.tabular`), mapped to buurtkaart records (:mod:`.entities`, docs/hsds.md)."""

from __future__ import annotations

from pathlib import Path

from ...errors import ImportFailed, Problem
from ...i18n import Msg
from ...records import Directory
from .. import load_json
from .entities import read_feed
from .schedules import opening_hours_to_weekly, weekly_to_opening_hours
from .shapes import normalise
from .tabular import is_datapackage, read_datapackage
from .vocabulary import (BYDAY, FIELDS_TAXONOMY, MODELS_TAXONOMY, THRESHOLD_CODES,
                         THRESHOLDS_TAXONOMY, hsds_id)

__all__ = ["read_hsds", "MODELS_TAXONOMY", "THRESHOLDS_TAXONOMY", "FIELDS_TAXONOMY",
           "THRESHOLD_CODES", "BYDAY", "hsds_id", "opening_hours_to_weekly",
           "weekly_to_opening_hours"]


def read_hsds(path: str | Path, *, default_model: str | None = None) -> Directory:
    """Read an HSDS 3.0 file (JSON in any published shape, or a CSV data package's
    ``datapackage.json``); raises ImportFailed naming every problem.

    ``default_model`` is the working model of services that name none; without it
    they are stored as "not yet classified" (a warning says how many).
    """
    path = Path(path)
    file = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ImportFailed([Problem(file, None, None, Msg("cannot be read: %(error)s",
                                                          error=str(exc)))]) from None
    data = load_json(text, file)
    try:
        feed = read_datapackage(data, path) if is_datapackage(data) else normalise(data, file)
        return read_feed(feed, file, default_model=default_model)
    except (TypeError, AttributeError, ValueError, KeyError) as exc:
        # a value of the wrong JSON type somewhere the schema fixes one
        raise ImportFailed([Problem(file, None, None, Msg(
            "does not follow the HSDS 3.0 structure (%(error)s); check that lists are lists "
            "and ids are text", error=f"{type(exc).__name__}: {exc}"))]) from None
