"""HSDS 3.0 in its tabular form: one table per object type, rows linked by ids.

Read from ``tabular.json`` (``{"services.csv": [rows], ...}``, the official example's
form) or from a CSV data package (``datapackage.json`` naming one CSV file per table,
as HSDS publishes its tabular schema). Child rows (phones, addresses, schedules,
languages, accessibility, cost options, attributes) are nested in the object their
foreign key names, as the compiled form nests them; each keeps its table and row
(``schedules.csv row 2``) so that problems name it.
"""

from __future__ import annotations

import csv
from pathlib import Path

from ...errors import ImportFailed, Problem
from ...i18n import Msg
from .shapes import Feed

__all__ = ["from_tables", "read_datapackage", "is_datapackage"]

#: table (resource name or file stem) -> object type
_TABLES = {"organizations": "organization", "services": "service", "locations": "location",
           "service_at_locations": "service_at_location", "phones": "phone",
           "addresses": "address", "schedules": "schedule", "languages": "language",
           "accessibility": "accessibility", "accessibilities": "accessibility",
           "attributes": "attribute", "cost_options": "cost_option",
           "taxonomy_terms": "taxonomy_term", "taxonomies": "taxonomy"}
_TABLES |= {v: v for v in set(_TABLES.values())}
#: child type -> (list property, foreign keys in order of preference, all or first)
_CHILDREN = {
    "phone": ("phones", ("service_at_location_id", "service_id", "location_id",
                         "organization_id"), True),
    "address": ("addresses", ("location_id",), False),
    "accessibility": ("accessibility", ("location_id",), False),
    "schedule": ("schedules", ("service_at_location_id", "service_id", "location_id"), False),
    "language": ("languages", ("service_id", "location_id"), False),
    "cost_option": ("cost_options", ("service_id",), False),
    "attribute": ("attributes", ("link_id",), True),
}


def from_tables(tables: dict[str, list], file: str, where=None) -> Feed:
    """A :class:`Feed` from rows per table (``where(table, i)`` names row ``i``)."""
    where = where or (lambda table, i: f"{table}.csv[{i}]")
    typed: dict[str, list[tuple[str, dict]]] = {}
    for table, rows in tables.items():
        kind = _TABLES.get(table)
        if kind is None:
            continue  # programs, contacts, funding, ...: nothing buurtkaart keeps
        if not isinstance(rows, list):
            raise ImportFailed([Problem(file, f"{table}.csv", None,
                                        Msg("must be a list of rows"))])
        typed.setdefault(kind, []).extend(
            (where(table, i), dict(r)) for i, r in enumerate(rows) if isinstance(r, dict))
    parents: dict[str, dict] = {}
    for kind in ("organization", "service", "location", "service_at_location"):
        for _, obj in typed.get(kind, []):
            if obj.get("id"):
                parents.setdefault(str(obj["id"]), obj)
    for kind, (prop, keys, every) in _CHILDREN.items():
        for w, row in typed.get(kind, []):
            row["_where"] = w
            for key in keys:
                parent = parents.get(str(row.get(key)))
                if parent is not None:
                    parent.setdefault(prop, []).append(row)
                    if not every:
                        break
    return Feed(organizations=typed.get("organization", []),
                services=typed.get("service", []),
                locations=typed.get("location", []),
                service_at_locations=typed.get("service_at_location", []),
                taxonomies=[r for _, r in typed.get("taxonomy", [])],
                taxonomy_terms=[r for _, r in typed.get("taxonomy_term", [])])


def is_datapackage(data) -> bool:
    return isinstance(data, dict) and isinstance(data.get("resources"), list)


def read_datapackage(data: dict, path: Path) -> Feed:
    """The CSV files a ``datapackage.json`` names (relative to it), as a :class:`Feed`."""
    file = str(path)
    tables: dict[str, list] = {}
    names: dict[str, str] = {}
    problems = []
    for k, res in enumerate(data["resources"]):
        if not isinstance(res, dict) or not isinstance(res.get("path"), str):
            problems.append(Problem(file, f"resources[{k}]", "path", Msg("names no CSV file")))
            continue
        csv_path = path.parent / res["path"]
        table = Path(res["path"]).stem
        if _TABLES.get(table) is None and _TABLES.get(str(res.get("name"))) is not None:
            table = str(res["name"])
        if _TABLES.get(table) is None:
            continue
        try:
            with open(csv_path, encoding="utf-8-sig", newline="") as fh:
                rows = [{k: (v if v != "" else None) for k, v in row.items() if k}
                        for row in csv.DictReader(fh)]
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            problems.append(Problem(str(csv_path), None, None,
                                    Msg("cannot be read: %(error)s", error=str(exc))))
            continue
        tables[table] = rows
        names[table] = res["path"]
    if problems:
        raise ImportFailed(problems)
    if not tables:
        raise ImportFailed([Problem(file, None, "resources", Msg(
            "names none of the HSDS tables organizations, services, locations, "
            "service_at_locations"))])
    return from_tables(tables, file, lambda table, i: Msg("%(file)s row %(num)s",
                                                          file=names[table], num=i + 2))

