"""Validation against the official HSDS 3.0 schemas and OpenAPI document.

The files are read from ../shared/data/hsds-3.0 (openreferral/specification at the
commit named in its COMMIT file, CC BY-SA 4.0), never copied into this repository;
tests skip with the reason when they are absent. Every schema file is registered
under the URL the OpenAPI document uses for it, so the schemas' relative references
(``"$ref": "phone.json"``) and the document's absolute ones resolve the same way.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import jsonschema
from conftest import shared_file
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

BASE = "https://raw.githubusercontent.com/openreferral/specification/3.0/schema/"


@functools.cache
def _registry(folder: Path) -> Registry:
    resources = []
    for path in sorted(folder.rglob("*.json")):
        uri = BASE + path.relative_to(folder).as_posix()
        contents = json.loads(path.read_text(encoding="utf-8"))
        resources.append((uri, Resource.from_contents(contents,
                                                      default_specification=DRAFT202012)))
    return Registry().with_resources(resources).crawl()


def registry() -> Registry:
    return _registry(shared_file("hsds-3.0/schema"))


def errors(instance, ref: str) -> list[str]:
    """Every way ``instance`` breaks the official schema at ``ref`` (relative to the
    schema folder: ``"service.json"``, ``"compiled/service_list.json"``, or a pointer
    into the OpenAPI document: ``"openapi.json#/paths/..."``)."""
    validator = jsonschema.Draft202012Validator(
        {"$ref": BASE + ref}, registry=registry(),
        format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    return [f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
            for e in validator.iter_errors(instance)]


def response_schema(path: str) -> str:
    """The OpenAPI pointer to the 200 response schema of ``GET path`` (``/services``)."""
    escaped = path.replace("~", "~0").replace("/", "~1")
    return f"openapi.json#/paths/{escaped}/get/responses/200/content/application~1json/schema"


def openapi() -> dict:
    return json.loads(shared_file("hsds-3.0/schema/openapi.json").read_text(encoding="utf-8"))


def unknown_properties(instance, ref: str) -> list[str]:
    """Properties HSDS does not define (the official schemas allow any; a typo in a
    property name would pass them), found by walking the schema's ``properties``."""
    reg = registry()
    out: list[str] = []

    def schema_at(uri: str) -> tuple[dict, str]:
        resolved = reg.resolver().lookup(uri)
        return resolved.contents, uri.split("#")[0]

    def walk(obj, schema: dict, base: str, where: str) -> None:
        while "$ref" in schema:
            schema, base = schema_at(_join(base, schema["$ref"]))
        if isinstance(obj, list) and isinstance(schema.get("items"), dict):
            for i, item in enumerate(obj):
                walk(item, schema["items"], base, f"{where}[{i}]")
        elif isinstance(obj, dict) and isinstance(schema.get("properties"), dict):
            for key, value in obj.items():
                if key not in schema["properties"]:
                    out.append(f"{where}.{key}")
                else:
                    walk(value, schema["properties"][key], base, f"{where}.{key}")

    root, base = schema_at(BASE + ref)
    walk(instance, root, base, "")
    return out


def _join(base: str, ref: str) -> str:
    if ref.startswith("http"):
        return ref
    if ref.startswith("#"):
        return base + ref
    return base.rsplit("/", 1)[0] + "/" + ref


def example(name: str):
    """An official example from hsds-3.0/examples, parsed."""
    return json.loads(shared_file(f"hsds-3.0/examples/{name}").read_text(encoding="utf-8"))
