"""The shapes HSDS 3.0 data is published in, brought to one form.

- the whole directory: an object with top-level arrays ``organizations``,
  ``services``, ``locations``, ``service_at_locations`` (what buurtkaart's
  export writes), optionally ``taxonomies`` and ``taxonomy_terms``;
  service_at_locations may also be nested in their service;
- one compiled object as the HSDS API returns it: ``/services/{id}`` (a service
  with its ``organization`` and ``service_at_locations`` holding a ``location``),
  ``/organizations/{id}`` (an organization with its ``services`` and
  ``locations``), ``/service_at_locations/{id}`` (with its ``service`` and
  ``location``) or a single location;
- a list of such objects, or a paged API response (``contents``: the
  ``/services``, ``/organizations`` and ``/service_at_locations`` lists);
- the tabular form: ``tabular.json`` (``{"services.csv": [rows], ...}``) and a
  CSV data package (see :mod:`.tabular`).

Every object keeps its exact JSON path (``contents[0].service_at_locations[1]
.location``) so that problems name it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ...errors import ImportFailed, Problem
from ...i18n import Msg

__all__ = ["Feed", "normalise"]

_TOP = ("organizations", "services", "locations", "service_at_locations", "taxonomies",
        "taxonomy_terms")


@dataclass
class Feed:
    """(where, object) pairs of every kind of record, in file order."""

    organizations: list[tuple[str, dict]] = field(default_factory=list)
    services: list[tuple[str, dict]] = field(default_factory=list)
    locations: list[tuple[str, dict]] = field(default_factory=list)
    service_at_locations: list[tuple[str, dict]] = field(default_factory=list)
    taxonomies: list[dict] = field(default_factory=list)
    taxonomy_terms: list[dict] = field(default_factory=list)


def at(base: str, key: str) -> str:
    """The JSON path of ``key`` inside the object at ``base`` (``""`` is the root)."""
    return f"{base}.{key}" if base and not key.startswith("[") else f"{base}{key}"


def _list(obj: dict, key: str) -> list:
    value = obj.get(key)
    return value if isinstance(value, list) else []


def kind_of(obj) -> str | None:
    """Which HSDS object a compiled object is, from the properties only it has."""
    if not isinstance(obj, dict):
        return None
    if isinstance(obj.get("service"), dict):
        return "service_at_location"
    if any(k in obj for k in ("status", "service_at_locations", "organization", "cost_options",
                              "eligibility_description", "program")):
        return "service"
    if any(k in obj for k in ("services", "website", "legal_status", "tax_status",
                              "organization_identifiers", "year_incorporated")):
        return "organization"
    if any(k in obj for k in ("location_type", "latitude", "longitude", "addresses")):
        return "location"
    if any(k in obj for k in ("code", "taxonomy", "taxonomy_id", "version", "term_uri")):
        return None  # a taxonomy or a term
    return "service" if "name" in obj else None


def _service(feed: Feed, svc: dict, where: str, org_id=None) -> None:
    if isinstance(svc.get("organization"), dict):
        feed.organizations.append((at(where, "organization"), svc["organization"]))
        org_id = svc["organization"].get("id") or org_id
    if org_id and not svc.get("organization_id"):
        svc = {**svc, "organization_id": org_id}
    feed.services.append((where, svc))
    for j, sal in enumerate(_list(svc, "service_at_locations")):
        _sal(feed, sal, at(where, f"service_at_locations[{j}]"), svc.get("id"))


def _sal(feed: Feed, sal, where: str, service_id=None) -> None:
    if not isinstance(sal, dict):
        feed.service_at_locations.append((where, sal))
        return
    sal = {**sal, "service_id": sal.get("service_id") or service_id}
    if isinstance(sal.get("location"), dict):
        feed.locations.append((at(where, "location"), sal["location"]))
        sal["location_id"] = sal.get("location_id") or sal["location"].get("id")
    feed.service_at_locations.append((where, sal))


def _organization(feed: Feed, org: dict, where: str) -> None:
    feed.organizations.append((where, org))
    for i, svc in enumerate(_list(org, "services")):
        if isinstance(svc, dict):
            _service(feed, svc, at(where, f"services[{i}]"), org.get("id"))
    for i, loc in enumerate(_list(org, "locations")):
        if isinstance(loc, dict):
            feed.locations.append((at(where, f"locations[{i}]"),
                                   {"organization_id": org.get("id"), **loc}))


def _compiled(feed: Feed, obj, where: str, file: str) -> None:
    kind = kind_of(obj)
    if kind == "service":
        _service(feed, obj, where)
    elif kind == "organization":
        _organization(feed, obj, where)
    elif kind == "location":
        feed.locations.append((where, obj))
    elif kind == "service_at_location":
        _service(feed, obj["service"], at(where, "service"))
        _sal(feed, obj, where, obj["service"].get("id"))
    else:
        raise ImportFailed([Problem(file, where or None, None, Msg(
            "is not an HSDS service, organization, location or service_at_location"))])


def _document(feed: Feed, data: dict, file: str) -> None:
    for key in _TOP:
        if data.get(key) is not None and not isinstance(data[key], list):
            raise ImportFailed([Problem(file, None, key, Msg("must be a list"))])
    feed.organizations += [(f"organizations[{i}]", o)
                           for i, o in enumerate(data.get("organizations") or [])]
    feed.locations += [(f"locations[{i}]", loc)
                       for i, loc in enumerate(data.get("locations") or [])]
    for i, svc in enumerate(data.get("services") or []):
        where = f"services[{i}]"
        if isinstance(svc, dict):
            _service(feed, svc, where)
        else:
            feed.services.append((where, svc))
    feed.service_at_locations += [(f"service_at_locations[{j}]", sal)
                                  for j, sal in enumerate(data.get("service_at_locations") or [])]
    feed.taxonomies += [t for t in data.get("taxonomies") or [] if isinstance(t, dict)]
    feed.taxonomy_terms += [t for t in data.get("taxonomy_terms") or [] if isinstance(t, dict)]


def normalise(data, file: str) -> Feed:
    """A :class:`Feed` from any published HSDS 3.0 JSON shape; ImportFailed otherwise."""
    feed = Feed()
    if isinstance(data, list):
        for i, obj in enumerate(data):
            _compiled(feed, obj, f"services[{i}]" if kind_of(obj) == "service" else f"[{i}]",
                      file)
    elif isinstance(data, dict) and isinstance(data.get("contents"), list):
        for i, obj in enumerate(data["contents"]):
            _compiled(feed, obj, f"contents[{i}]", file)
    elif isinstance(data, dict) and any(k.endswith(".csv") for k in data):
        from .tabular import from_tables

        return from_tables({k[:-4]: v for k, v in data.items()}, file)
    elif isinstance(data, dict) and "id" not in data and set(_TOP) & set(data):
        _document(feed, data, file)
    elif isinstance(data, dict) and kind_of(data):
        _compiled(feed, data, "", file)
    else:
        raise ImportFailed([Problem(file, None, None, Msg(
            "is not HSDS 3.0 JSON: expected an object with 'services' and 'organizations', a "
            "service, organization or service_at_location object, a list of them, a paged API "
            "response ('contents') or tabular.json"))])
    return feed
