"""``buurtkaart isochrone``: the area from which a place is reached, as GeoJSON."""

from __future__ import annotations

import json
from pathlib import Path

import click

from .cli import _db, _progress, _transit_from, _transit_options, domain_errors

__all__ = ["isochrone_cmd"]


@click.command("isochrone")
@click.option("--place", "place_id", required=True, type=int, help="The id of a place.")
@click.option("--mode", default="walk", show_default=True,
              type=click.Choice(["walk", "slow_walk", "wheelchair", "bike", "transit"]))
@click.option("--minutes", default=10.0, show_default=True, type=click.FloatRange(1, 120))
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Output file (default: standard output).")
@_transit_options
@domain_errors
def isochrone_cmd(place_id, mode, minutes, out, **kwargs):
    """The area from which a place is reached within --minutes (a GeoJSON Feature).

    With --depart (required by --mode transit): the area from which one reaches the
    place, and can go in while it is open for --min-stay minutes, within --minutes in at
    least --percentile % of the departures of the window.
    """
    import shapely

    from . import access
    from .exporters import atomic_write
    from .web.public import live_place

    db = _db()
    place = live_place(db, place_id)
    transit = _transit_from(mode, kwargs, db)
    poly, props = access.isochrone(db, place, mode=mode, minutes=minutes, transit=transit)
    _progress(f"when: {props['when']}")
    if mode == "transit":
        _progress(f"transit: {props['transit']['description']}")
    feature = {"type": "Feature", "geometry": shapely.geometry.mapping(poly),
               "properties": {"place": place["id"], "name": place["name"], "minutes": minutes,
                              **props}}
    text = json.dumps(feature, ensure_ascii=False)
    if out:
        atomic_write(out, text)
        _progress(f"wrote the isochrone of {place['name']!r} to {out}")
    else:
        click.echo(text)
