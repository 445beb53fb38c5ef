"""``buurtkaart import ...``: neighbourhoods, municipalities, indicators, places and
OpenStreetMap, each one transaction under the import lock, with every problem on stderr."""

from __future__ import annotations

import contextlib
from pathlib import Path

import click

from . import geomcache, store
from .cli import _db, domain_errors
from .progress import stage
from .taxonomy import WORKING_MODELS


def _cli_import_lock(db, kind: str, file, wait: float):
    from .concurrency import command_line_user, import_lock

    return import_lock(db, kind=kind, file=str(file), user=command_line_user(), wait=wait)


def _import_options(fn):
    fn = click.option("--overwrite-edits", is_flag=True,
                      help="Take the file's value even for fields an editor changed after "
                           "the last import of this source (default: keep the edit).")(fn)
    return _wait_option(fn)


def _wait_option(fn):
    return click.option("--wait", type=click.FloatRange(0, 3600), default=0, show_default=True,
                        metavar="SECONDS",
                        help="How long to wait for another running import to finish.")(fn)


def _report(report, what: str, file) -> None:
    for c in report.conflicts:
        click.echo(f"conflict: {c}", err=True)
    conflicts = report.conflicts and (
        f", {len(report.conflicts)} edit conflicts "
        + ("(file's values taken)" if any(not c.kept for c in report.conflicts)
           else "(edits kept)"))
    click.echo(f"imported {what} from {file}: {report.changed} records changed, "
               f"{report.unchanged} unchanged{conflicts or ''}")


@click.group("import")
def import_() -> None:
    """Import data into the database (each import is one transaction)."""


@import_.command("neighbourhoods")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--code-field", help="Column with the neighbourhood code (default: code).")
@click.option("--name-field", help="Column with the name (default: name).")
@click.option("--municipality-field",
              help="Column with the municipality code (default: derived from the code).")
@click.option("--municipality-lookup", type=click.Path(exists=True, dir_okay=False,
                                                       path_type=Path),
              help="Neighbourhood -> municipality table (code,municipality_code, or the "
                   "published ggw72024_gemeente2024.xlsx).")
@click.option("--layer", help="Layer of a multi-layer GeoPackage.")
@_wait_option
@domain_errors
def import_neighbourhoods(file, code_field, name_field, municipality_field, municipality_lookup,
                          layer, wait):
    """Neighbourhood polygons from GeoPackage, Shapefile or GeoJSON (any CRS).

    The municipality comes from --municipality-field, else --municipality-lookup, else
    the stored municipality outlines (largest overlap), else the code's first five digits.
    """
    from . import municipalities as munis
    from .importers.geo import read_neighbourhoods

    db = _db()
    with _cli_import_lock(db, "neighbourhoods import", file, wait):
        lookup = None
        if municipality_lookup:
            from .importers.lookups import read_municipality_lookup

            lookup = read_municipality_lookup(municipality_lookup)
        frame, warnings = read_neighbourhoods(file, code_field=code_field, name_field=name_field,
                                              municipality_field=municipality_field, layer=layer)
        for w in warnings + (lookup.attrs["messages"] if lookup is not None else []):
            click.echo(f"warning: {w}", err=True)
        n = store.save_neighbourhoods(db, frame, source=file.name)
        click.echo(f"imported {n} neighbourhoods from {file}")
        if lookup is not None:
            lines = munis.describe_changes(munis.assign_by_lookup(db, lookup),
                                           f"from {municipality_lookup.name}")
        elif not municipality_field and munis.municipality_names(db):
            lines = munis.describe_changes(munis.assign_by_overlap(db),
                                           "by largest overlap with the stored municipalities")
        else:
            lines = []
    for line in lines:
        click.echo(line)
    geomcache.warm(db)  # the full map's outlines, ready for its first render


@import_.command("municipalities")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--code-field", help="Column with the five-digit NIS code (default: nis_code).")
@click.option("--name-field", help="Column with the name (default: name).")
@click.option("--layer", help="Layer of a multi-layer GeoPackage.")
@_wait_option
@domain_errors
def import_municipalities(file, code_field, name_field, layer, wait):
    """Municipality polygons with NIS code and name; every stored neighbourhood is assigned
    to the municipality it overlaps most, and those that disagree with their code are
    listed."""
    from . import municipalities as munis

    db = _db()
    with _cli_import_lock(db, "municipalities import", file, wait):
        frame, warnings = munis.read_municipalities(file, code_field=code_field,
                                                    name_field=name_field, layer=layer)
        for w in warnings:
            click.echo(f"warning: {w}", err=True)
        n = munis.save_municipalities(db, frame, source=file.name)
        click.echo(f"imported {n} municipalities from {file}")
        changes = munis.assign_by_overlap(db)
    for line in munis.describe_changes(changes, "by largest overlap"):
        click.echo(line)


@import_.command("indicators")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--level", type=click.Choice(["neighbourhood", "sector"]),
              help="Whether codes are neighbourhoods or statistical sectors (default: sector "
                   "for a Statbel file as published, else neighbourhood).")
@click.option("--lookup", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Sector -> neighbourhood table: columns sector,code, or the published "
                   "statsec2024_ggw72024.xlsx.")
@click.option("--source", help="Source to record with the values (default: the file name).")
@_wait_option
@domain_errors
def import_indicators(file, level, lookup, source, wait):
    """Indicator values per neighbourhood (or sector) and year: CSV/TXT (any delimiter,
    UTF-8, UTF-16 or cp1252), .xlsx or .zip; long, wide or a Statbel file as published."""
    from .importers.indicators import read_indicators

    db = _db()
    with _cli_import_lock(db, "indicators import", file, wait):
        result = read_indicators(file, level=level, lookup_path=lookup,
                                 source=source or file.name)
        for m in result.messages:
            click.echo(m, err=True)
        with stage("saving indicator values", total=len(result.frame), unit=" values") as bar:
            n = store.save_indicators(db, result.frame, file=str(file))
            bar.update(len(result.frame))
    unknown = int(result.frame["value"].isna().sum())
    click.echo(f"imported {n} indicator values from {file}"
               + (f" ({unknown} unknown; see the warnings above)" if unknown else ""))


def _fix_hours_option(fn):
    return click.option("--fix-hours", is_flag=True,
                        help="Accept the proposed correction of opening hours written as people "
                             "write them ('Mo 7-18', 'ma-vr 9u-17u') and list each one.")(fn)


@contextlib.contextmanager
def _hour_fixes(accept: bool):
    """Under ``--fix-hours``: take corrected opening hours, then list each correction
    (where, name, original, corrected) once the import has succeeded."""
    if not accept:
        yield
        return
    from .hours_fix import accepting_fixes

    with accepting_fixes() as fixes:
        yield
    seen = set()
    for fix in fixes:
        rec = fix.get("record") or {}
        key = (rec.get("where"), rec.get("uid"), fix["original"])
        if key in seen:
            continue
        seen.add(key)
        click.echo(f"corrected opening hours: {rec.get('where') or rec.get('uid')} "
                   f"({rec.get('name')}): {fix['original']!r} -> {fix['corrected']!r} "
                   f"({'; '.join(fix['reasons'])})")


@import_.command("places")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["csv", "geojson", "hsds"]),
              help="Input format (default: from the file name and content).")
@click.option("--default-model", type=click.Choice(list(WORKING_MODELS)),
              help="HSDS: the working model of services that name none (default: stored "
                   "as 'not yet classified').")
@_fix_hours_option
@_import_options
@domain_errors
def import_places(file, fmt, default_model, fix_hours, overwrite_edits, wait):
    """Places and activities from CSV (any encoding; or .xlsx), GeoJSON or Open Referral
    HSDS 3.0 (JSON in any published shape, or a CSV data package's datapackage.json)."""
    from .errors import InvalidParameter
    from .importers import import_directory

    with _hour_fixes(fix_hours):
        try:
            n = import_directory(_db(), file, fmt=fmt, default_model=default_model,
                                 overwrite_edits=overwrite_edits, wait=wait)
        except InvalidParameter as exc:
            raise click.UsageError(str(exc)) from None
    for w in n.get("warnings", []):
        click.echo(f"warning: {w}", err=True)
    _report(n, f"{n['organisations']} organisations, {n['places']} places and "
               f"{n['activities']} activities", file)


@import_.command("osm")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_fix_hours_option
@_import_options
@domain_errors
def import_osm(file, fix_hours, overwrite_edits, wait):
    """Meeting places (community centres, libraries, ...) and the addresses and streets
    for the search, from an OSM PBF extract."""
    from .geocode import read_addresses, save_addresses
    from .import_run import run_import
    from .importers.osm import read_osm

    addresses: list[dict] = []

    def read(_db):
        directory = read_osm(file)
        addresses.extend(read_addresses(file))
        for w in directory.warnings:
            click.echo(f"warning: {w}", err=True)
        return directory

    with _hour_fixes(fix_hours):
        n = run_import(_db(), read, source="osm", file=str(file),
                       overwrite_edits=overwrite_edits, wait=wait,
                       after_store=lambda db: save_addresses(db, addresses))
    _report(n, f"{n['places']} places and {len(addresses)} addresses and streets", file)


# ---------------------------------------------------------------- export
