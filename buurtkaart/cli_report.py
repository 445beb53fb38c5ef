"""``buurtkaart report MUNICIPALITY``: the municipal coverage report as PDF, CSV or GeoJSON.

Exit codes: 0 written; 1 the municipality is unknown or ambiguous, nothing was known on
the date, the network or population is missing, or the file cannot be written; 2 a bad
option (format, date, mode, minutes)."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from pathlib import Path

import click

from .cli import _db, domain_errors
from .errors import BuurtkaartError, InvalidParameter
from .report.compute import MODES

FORMATS = ("pdf", "csv", "geojson")


def _date(ctx, param, value):
    if value in (None, ""):
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"expected a date like 2025-01-01, got {value!r}") from None


def _check_writable(out: Path) -> None:
    parent = out.parent if str(out.parent) else Path(".")
    if out.is_dir():
        raise BuurtkaartError(f"cannot write {out}: it is a folder")
    if not parent.is_dir():
        raise BuurtkaartError(f"cannot write {out}: the folder {parent} does not exist")
    if not os.access(parent, os.W_OK) or (out.exists() and not os.access(out, os.W_OK)):
        raise BuurtkaartError(f"cannot write {out}: permission denied")


def _render(db, rep: dict, fmt: str, lang: str, found) -> bytes:
    from .report import export

    if fmt == "csv":
        return export.csv_text(rep).encode("utf-8")
    if fmt == "geojson":
        return json.dumps(export.geojson_document(rep), ensure_ascii=False).encode("utf-8")
    from . import create_app, i18n
    from .web.pdf import render_pdf
    from .web.report_pages import _view

    path = db.conn.execute("PRAGMA database_list").fetchone()[2]
    app = create_app({"DATABASE": path})
    with app.test_request_context(f"/rapport/{found.code}?lang={lang}"):
        app.preprocess_request()  # activates the language, as for a page
        try:
            return render_pdf("report_print.html", found=found, rep=rep, v=_view(rep),
                              printing=True)
        finally:
            i18n.deactivate()


@click.command("report")
@click.argument("municipality")
@click.option("--format", "fmt", type=click.Choice(FORMATS), required=True,
              help="pdf (to print), csv (a table) or geojson (per neighbourhood, for a GIS).")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The file to write.")
@click.option("--compare-date", callback=_date, metavar="YYYY-MM-DD",
              help="Set the coverage on this earlier date beside it, per neighbourhood.")
@click.option("--date", "on", callback=_date, metavar="YYYY-MM-DD",
              help="Describe the municipality as it was on this date (default: today).")
@click.option("--mode", type=click.Choice(MODES), default="walk", show_default=True,
              help="The way of travelling of the models, thresholds and neighbourhoods.")
@click.option("--minutes", type=click.Choice(["5", "10", "15", "20"]), default="15",
              show_default=True, help="Minutes of the map and the comparison.")
@click.option("--lang", type=click.Choice(["nl", "en"]), default="nl", show_default=True,
              help="Language of the PDF.")
@domain_errors
def report_cmd(municipality, fmt, out, compare_date, on, mode, minutes, lang):
    """Write the coverage report of MUNICIPALITY (its name or NIS code)."""
    from tqdm import tqdm

    from . import access
    from .report import build_report, find_municipality
    from .report.compute import count_steps, parse_day
    from .when import reference_now

    db = _db()
    found = find_municipality(db, municipality)
    if not found.code:
        hint = (" Did you mean: " + ", ".join(f"{c['name']} ({c['code']})"
                                              for c in found.candidates) + "?"
                if found.candidates else "")
        raise BuurtkaartError(f"no municipality called {municipality!r}.{hint}")
    _check_writable(out)
    now = reference_now(db)
    try:
        on = parse_day(on and on.isoformat(), "date", now.date())
        compare_date = parse_day(compare_date and compare_date.isoformat(), "compare-date",
                                 now.date())
    except InvalidParameter as exc:
        raise click.BadParameter(exc.reason, param_hint=f"--{exc.name}") from None
    if access.registered_network(db) is None:
        raise BuurtkaartError("no travel-time network yet: run `buurtkaart network build "
                              "--pbf FILE.osm.pbf` first")
    with tqdm(total=count_steps(db, compare=compare_date is not None), unit=" questions",
              desc=found.name or found.code, file=sys.stderr) as bar:
        rep = build_report(db, found.code, found.name or found.code, now=now, mode=mode,
                           minutes=int(minutes), on=on, compare=compare_date,
                           progress=lambda step: (bar.set_postfix_str(step), bar.update(1)))
    data = _render(db, rep, fmt, lang, found)
    try:
        tmp = out.with_name(f".{out.name}.partial")
        tmp.write_bytes(data)
        tmp.replace(out)
    except OSError as exc:
        raise BuurtkaartError(f"cannot write {out}: {exc.strerror}") from None
    click.echo(f"wrote {out}: the {fmt} report of {found.name or found.code} "
               f"({len(rep.get('neighbourhoods', []))} neighbourhoods"
               + (f", compared with {compare_date.isoformat()}" if compare_date else "") + ")")
