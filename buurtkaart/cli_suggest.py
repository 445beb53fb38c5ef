"""``buurtkaart suggest``: where a new meeting place would bring the most residents within
reach (greedy best locations), as a table or ``--json``; a progress bar on stderr."""

from __future__ import annotations

import json

import click

from .cli import _filter_from, _filter_options, _progress, _db, domain_errors


@click.command("suggest")
@click.option("--k", "k", default=3, show_default=True, type=click.IntRange(1, 20),
              help="How many locations to suggest.")
@click.option("--mode", default="walk", show_default=True,
              type=click.Choice(["walk", "slow_walk", "wheelchair", "bike"]))
@click.option("--minutes", default=10.0, show_default=True, type=click.FloatRange(1, 120))
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@_filter_options
@domain_errors
def suggest(k, mode, minutes, as_json, **kwargs):
    """Suggest K network points for a new place: each reaches the most residents who have
    no matching place within MINUTES yet (picked one after the other)."""
    from . import access

    db = _db()
    picks = access.suggest_locations(db, _filter_from(kwargs, db), mode=mode, minutes=minutes,
                                     k=k)
    rows = [{"rank": int(r.rank), "lon": round(float(r.lon), 6), "lat": round(float(r.lat), 6),
             "residents_newly_covered": round(float(r.residents_newly_covered), 1)}
            for r in picks.itertuples()]
    if len(rows) < k:
        _progress(f"found {len(rows)} of {k}: no other point brings anyone new within "
                  f"{minutes:g} minutes")
    if as_json:
        click.echo(json.dumps({"mode": mode, "minutes": minutes, "asked": k,
                               "suggestions": rows}))
        return
    click.echo("rank\tlon\tlat\tresidents newly within reach")
    for r in rows:
        click.echo(f"{r['rank']}\t{r['lon']}\t{r['lat']}\t{r['residents_newly_covered']:g}")
