"""``buurtkaart transit import|list|remove``: GTFS feeds in the database."""

from __future__ import annotations

import sys
from pathlib import Path

import click

__all__ = ["transit_group"]


@click.group("transit")
def transit_group() -> None:
    """Public transport timetables (GTFS feeds); several feeds can be loaded side by side."""


@transit_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--name", help="Name of the feed (default: the file name without .zip). "
                             "A feed of the same name is replaced.")
def transit_import(file, name):
    """Validate a GTFS zip and store it (all or nothing)."""
    from ..cli import _db, domain_errors
    from .storage import import_feed

    @domain_errors
    def run():
        # tqdm: a progress bar on stderr while a national feed's stop_times stream in
        from tqdm import tqdm

        with tqdm(desc="stop_times", unit=" rows", unit_scale=True, file=sys.stderr,
                  disable=None, mininterval=0.5) as bar:
            info = import_feed(_db(), file, name=name, progress=bar.update)
        c = info["counts"]
        click.echo(f"imported feed {info['name']!r}: {c['stops']:,} stops, {c['routes']:,} "
                   f"routes, {c['trips']:,} trips, {c['stop_times']:,} stop times, "
                   f"{c['transfers']:,} transfers, {c['frequencies']:,} frequencies; "
                   f"service {info['first_date']}..{info['last_date']}")
        click.echo("fares: " + _fares_line(info))
        if info["ignored_files"]:
            click.echo("ignored files: " + ", ".join(info["ignored_files"]))

    run()


def _model(info) -> str:
    return "fares v2" if info["counts"].get("fare_leg_rules") else "fares"


def _fares_line(info) -> str:
    """Which fare model a fare budget will use for the feed (v2 wins over v1)."""
    c = info["counts"]
    if info.get("fare_model") == "v2":
        return (f"fares v2 ({c['fare_products']} fare products, {c['fare_leg_rules']} fare "
                f"leg rules, {c['fare_transfer_rules']} fare transfer rules)"
                + (f"; its {c['fares']} fares v1 are not used" if c["fares"] else ""))
    if info["has_fares"]:
        return f"{c['fares']} fares (fares v1)"
    return "none in this feed (fare limits cannot be applied to it)"


@transit_group.command("list")
def transit_list():
    """The loaded feeds."""
    from ..cli import _db
    from .storage import list_feeds

    feeds = list_feeds(_db())
    if not feeds:
        click.echo("no transit feeds: buurtkaart transit import FILE.zip")
    for f in feeds:
        c = f["counts"]
        click.echo(f"{f['name']}\t{f['file']}\t{c['stops']} stops\t{c['trips']} trips\t"
                   f"{c['stop_times']} stop times\t{f['first_date']}..{f['last_date']}\t"
                   f"{_model(f) if f['has_fares'] else 'no fares'}")


@transit_group.command("remove")
@click.argument("name")
def transit_remove(name):
    """Remove a feed by name."""
    from ..cli import _db, domain_errors
    from .storage import remove_feed

    domain_errors(remove_feed)(_db(), name)
    click.echo(f"removed feed {name!r}")
