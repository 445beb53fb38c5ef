"""The ``buurtkaart`` command line: one command per task, mirroring the Python API.

Every command uses the database named by ``$BUURTKAART_DATABASE`` (or the
default under the user's data directory). Domain errors become a non-zero
exit with every problem on stderr.
"""

from __future__ import annotations

import contextlib
import functools
import json
import sys
from pathlib import Path

import click

from . import store
from .errors import BuurtkaartError
from .progress import stage
from .taxonomy import WORKING_MODELS


def _db():
    return store.connect()


def domain_errors(fn):
    """Turn buurtkaart's own errors into a clean message and exit code 1."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except BuurtkaartError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="buurtkaart")
@click.option("--progress/--no-progress", "show_progress", default=None,
              help="Progress bars (counts, time left) on stderr for long work. Default: "
                   "on a terminal only; BUURTKAART_PROGRESS=1 or 0 sets it too.")
@click.pass_context
def main(ctx, show_progress) -> None:
    """buurtkaart: meeting places, travel times and need per neighbourhood."""
    from . import progress

    ctx.with_resource(progress.shown(progress.wanted(show_progress)))


# ---------------------------------------------------------------- import
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


@main.group("import")
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
@main.command("export")
@click.argument("fmt", type=click.Choice(["geojson", "csv", "hsds"]))
@click.argument("out", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@domain_errors
def export(fmt, out):
    """Write places and activities as GeoJSON, CSV or HSDS 3.0 JSON."""
    from .exporters import export as do_export

    written = do_export(_db(), fmt, out)
    click.echo(f"wrote {written}")


# ---------------------------------------------------------------- demo and serve
@main.command("demo")
@click.option("--force/--keep", default=True, show_default=True,
              help="Rebuild the demo database even if it exists.")
@domain_errors
def demo(force):
    """Build the demo database from the OpenStreetMap extract the install ships."""
    from .demo import build_demo

    summary = build_demo(_db(), progress=lambda msg: click.echo(msg, err=True), force=force)
    click.echo(summary)


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--debug/--no-debug", default=False)
def serve(host, port, debug):
    """Run the web service (development server; see README for production)."""
    from . import create_app

    app = create_app()
    click.echo(f"buurtkaart on http://{host}:{port}/kaart (database {app.config['DATABASE']})",
               err=True)
    app.run(host=host, port=port, debug=debug)


# ---------------------------------------------------------------- travel times
def _progress(msg: str) -> None:
    from .progress import note

    note(msg)


@main.group("network")
def network_() -> None:
    """Street networks for travel times (walk, slow walk, wheelchair, bike)."""


@network_.command("build")
@click.option("--pbf", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="OpenStreetMap extract (.osm.pbf) covering the neighbourhoods.")
@click.option("--cache-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Where graphs are cached (default: $BUURTKAART_CACHE or the user cache).")
@domain_errors
def network_build(pbf, cache_dir):
    """Build and cache the networks of an extract and use them for every travel time."""
    from . import access

    sizes = access.build_networks(_db(), pbf, cache_dir=cache_dir, progress=_progress)
    click.echo("networks ready: " + ", ".join(f"{k} {v:,} nodes" for k, v in sizes.items()))


def _filter_options(fn):
    from .filters import FILTER_PARAMETERS

    for name, help_text in reversed(list(FILTER_PARAMETERS.items())):
        fn = click.option(f"--{name.replace('_', '-')}", f"filter_{name}", metavar="VALUE",
                          help=help_text)(fn)
    return fn


def _filter_from(kwargs, db=None):
    from .filters import Filter
    from .when import reference_now

    params = {k[len("filter_"):]: v for k, v in kwargs.items()
              if k.startswith("filter_") and v is not None}
    return Filter.from_params(params, now=(lambda: reference_now(db)) if db is not None else None)


def _transit_options(fn):
    """--depart, --percentile, --min-stay (every mode) and --max-transfers,
    --transit-access, --max-fare, --reduced-fare (mode transit)."""
    from .transit.reach import PARAMETERS

    for name, help_text in reversed(list(PARAMETERS.items())):
        fn = click.option(f"--{name.replace('_', '-')}", f"transit_{name}", metavar="VALUE",
                          help=help_text)(fn)
    return fn


def _transit_from(mode, kwargs, db=None):
    """When one leaves, from the command's options: TransitOptions for --mode transit; for
    the other modes a Timing when --depart is given (else None: any time)."""
    params = {k[len("transit_"):]: v for k, v in kwargs.items()
              if k.startswith("transit_") and v is not None}
    if mode != "transit":
        from .timing import Timing
        from .transit.reach import TRANSIT_ONLY
        from .when import reference_now

        for name in params:
            if name in TRANSIT_ONLY:
                raise click.UsageError(f"--{name.replace('_', '-')} needs --mode transit")
        return Timing.from_params(params, reference_now(db or _db()).date())
    from .transit.reach import TransitOptions

    return TransitOptions.from_params(params)


def _say_when(mode, report) -> None:
    """Which moment was evaluated (and the fares), on standard error."""
    _progress(f"when: {report['when']}")
    if mode != "transit":
        return
    _progress(f"transit: {report['transit']['description']}")
    budget = report["transit"].get("fare_budget")
    for name, note in (budget["feeds"] if budget else report["transit"]["fares"]).items():
        _progress(f"fares of feed {name!r}: {note}")
    if budget:
        _progress(f"fare budget {budget['max_fare']:.2f} return ({budget['one_way_budget']:.2f}"
                  f" one way): at most {budget['max_vehicles']} vehicle(s) per journey")


@main.command("coverage")
@click.option("--mode", default="walk", show_default=True,
              type=click.Choice(["walk", "slow_walk", "wheelchair", "bike", "transit"]))
@click.option("--minutes", default=10.0, show_default=True, type=click.FloatRange(1, 120))
@click.option("--population-method", "method", default="buildings", show_default=True,
              type=click.Choice(["buildings", "nodes"]),
              help="Spread residents over residential buildings or network nodes.")
@click.option("--by", type=click.Choice(["neighbourhood", "municipality"]),
              default="neighbourhood", show_default=True)
@click.option("--format", "fmt", type=click.Choice(["csv", "geojson"]), default="csv",
              show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Output file (default: standard output).")
@_filter_options
@_transit_options
@domain_errors
def coverage_cmd(mode, minutes, method, by, fmt, out, **kwargs):
    """Who reaches a matching meeting place: one row per neighbourhood (or municipality)."""
    from . import access, coverage
    from .exporters import atomic_write

    db = _db()
    filt = _filter_from(kwargs, db)
    if filt.span is not None:
        _progress(f"time: {filt.span.describe()} ({filt.span.zone})")
    transit = _transit_from(mode, kwargs, db)
    cov, report = access.run_coverage(db, filt, mode=mode, minutes=minutes,
                                      method=method, transit=transit)
    _say_when(mode, report)
    if report["unsnapped_places"]:
        for p in report["unsnapped_places"]:
            _progress(f"warning: place {p['id']} {p['name']!r} is {p['distance_m']} m from the "
                      "network and was not counted")
    if report["unsnapped_population"]:
        _progress(f"warning: {report['unsnapped_population']:.0f} residents lie too far from "
                  "the network to be counted")
    if by == "municipality":
        cov = coverage.aggregate_municipalities(
            cov, dict(zip(cov["code"], cov["municipality_code"])))
    if fmt == "csv":
        from .importers.csvtext import neutralise_formula

        text = cov.map(lambda v: neutralise_formula(v) if isinstance(v, str) else v).to_csv(
            index=False, float_format="%.4g")
    else:
        if by == "municipality":
            raise click.ClickException("GeoJSON needs --by neighbourhood (municipalities "
                                       "have no stored outline)")
        from .web.geojson import coverage_collection

        text = json.dumps(coverage_collection(db, cov, report), ensure_ascii=False)
    if out:
        atomic_write(out, text)
        _progress(f"wrote {len(cov)} rows to {out}")
    else:
        click.echo(text, nl=False)


# ---------------------------------------------------------------- backup
@main.command("backup")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@domain_errors
def backup(out):
    """Copy the database to OUT with SQLite's online backup (safe while serving)."""
    try:
        store.backup(_db(), out)
    except FileExistsError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"backed up to {out}")


@main.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@domain_errors
def restore(file, yes):
    """Replace the database's contents by a backup (checked first)."""
    store.check_database_file(file)
    if not yes:
        click.confirm("This replaces everything in the current database. Continue?", abort=True)
    version = store.restore(file, _db())
    click.echo(f"restored {file} (schema version {version})")


@main.command("info")
def info():
    """Show the database location, schema version and record counts."""
    db = _db()
    click.echo(f"database: {db.conn.execute('PRAGMA database_list').fetchone()[2]}")
    click.echo(f"schema version: {store.schema_version(db)}")
    for k, v in store.counts(db).items():
        click.echo(f"{k}: {v}")


from .cli_users import users_  # noqa: E402  (uses domain_errors and _db from above)

main.add_command(users_)

# ---------------------------------------------------------------- public transport
from .cli_isochrone import isochrone_cmd  # noqa: E402  (uses the helpers above)
from .transit.cli import transit_group  # noqa: E402  (uses domain_errors and _db from above)

main.add_command(transit_group)
main.add_command(isochrone_cmd)

from .cli_suggest import suggest  # noqa: E402  (uses domain_errors and _db from above)

main.add_command(suggest)

# ---------------------------------------------------------------- municipal report
from .cli_report import report_cmd  # noqa: E402  (uses domain_errors and _db from above)

main.add_command(report_cmd)

if __name__ == "__main__":  # pragma: no cover
    main()
