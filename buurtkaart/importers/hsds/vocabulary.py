"""The names buurtkaart uses inside HSDS 3.0: its three taxonomies, the threshold codes,
RFC 5545 day codes and UUID ids."""

from __future__ import annotations

import uuid

from ...taxonomy import WEEKDAYS

__all__ = ["MODELS_TAXONOMY", "THRESHOLDS_TAXONOMY", "FIELDS_TAXONOMY", "THRESHOLD_CODES",
           "BYDAY", "hsds_id"]

MODELS_TAXONOMY = "buurtkaart-werkmodellen"
THRESHOLDS_TAXONOMY = "buurtkaart-drempels"
FIELDS_TAXONOMY = "buurtkaart-velden"
THRESHOLD_CODES = ("walk_in", "childcare", "children_welcome", "no_internet", "wheelchair")
BYDAY = tuple(d.upper() for d in WEEKDAYS)  # MO, TU, ... as in RFC 5545
_NAMESPACE = uuid.UUID("2b0f6a3e-1f5c-4b8e-9a51-6c0c3f7d9e21")


def hsds_id(uid: str) -> str:
    """HSDS ids are UUIDs: ours when it is one, else a UUID derived from it."""
    try:
        return str(uuid.UUID(str(uid)))
    except ValueError:
        return str(uuid.uuid5(_NAMESPACE, str(uid)))
