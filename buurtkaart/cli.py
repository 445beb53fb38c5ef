"""The ``buurtkaart`` command line: one command per task, mirroring the Python API.

Every command uses the database named by ``$BUURTKAART_DATABASE`` (or the
default under the user's data directory). Domain errors become a non-zero
exit with every problem on stderr.
"""

from __future__ import annotations

import functools
import json
import sys
from pathlib import Path

import click

from . import store
from .errors import BuurtkaartError


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


from .cli_import import import_  # noqa: E402  (uses domain_errors and _db from above)
from .cli_users import users_  # noqa: E402  (uses domain_errors and _db from above)

main.add_command(import_)

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
