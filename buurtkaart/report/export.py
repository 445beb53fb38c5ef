"""The report as data: CSV (one row per question and area) and GeoJSON (one feature per
neighbourhood). Column names and keys are English and stable; shares are 0..1.

CSV columns: ``level`` (municipality or neighbourhood), ``code``, ``name``, ``question``
(``mode=walk``, ``model=buddy``, ``filter=free``; neighbourhood rows answer the report's
mode), ``population``, ``share_within_5/10/15/20``, ``need_index``, ``typology``, and with
a comparison ``compare_date``, ``share_on_compare_date``, ``share_on_report_date``,
``residents_reached_on_compare_date``, ``residents_reached_on_report_date``,
``change_points`` (percentage points) at the comparison's minutes.
"""

from __future__ import annotations

import csv
import io
import json
import math

import shapely

from ..importers.csvtext import neutralise_formula
from .compute import THRESHOLDS_MIN

__all__ = ["csv_text", "geojson_document", "COMPARE_COLUMNS"]

COMPARE_COLUMNS = ("compare_date", "share_on_compare_date", "share_on_report_date",
                   "residents_reached_on_compare_date", "residents_reached_on_report_date",
                   "change_points")


def _number(v):
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    return round(float(v), 6)


def _shares(shares: dict) -> dict:
    return {f"share_within_{m}": _number(shares.get(m)) for m in THRESHOLDS_MIN}


def _compare_cells(report: dict, code: str) -> dict:
    cmp = report.get("compare")
    if not cmp:
        return {}
    rows = {r["code"]: r for r in cmp["rows"]}
    r = cmp["total"] if code == report["code"] else rows.get(code, {})
    change = r.get("change")
    return {"compare_date": cmp["first"].isoformat(),
            "share_on_compare_date": _number(r.get("share_first")),
            "share_on_report_date": _number(r.get("share_second")),
            "residents_reached_on_compare_date": _number(r.get("reached_first")),
            "residents_reached_on_report_date": _number(r.get("reached_second")),
            "change_points": None if change is None else round(change * 100, 3)}


def _rows(report: dict) -> list[dict]:
    base = {"level": "municipality", "code": report["code"], "name": report["name"]}
    out = []
    for section, key in (("modes", "mode"), ("models", "model"), ("filters", "filter")):
        for item in report[section]:
            row = {**base, "question": f"{key}={item['key']}",
                   "population": _number(report.get("population")), **_shares(item["shares"])}
            if section == "modes" and item["key"] == report["mode"]:
                row.update(_compare_cells(report, report["code"]))
            out.append(row)
    for hood in report.get("neighbourhoods", []):
        out.append({"level": "neighbourhood", "code": hood["code"], "name": hood["name"],
                    "question": f"mode={report['mode']}",
                    "population": _number(hood["population"]), **_shares(hood["shares"]),
                    "need_index": _number(hood["need_index"]), "typology": hood["typology"],
                    **_compare_cells(report, hood["code"])})
    return out


def csv_text(report: dict) -> str:
    columns = ["level", "code", "name", "question", "population",
               *[f"share_within_{m}" for m in THRESHOLDS_MIN], "need_index", "typology"]
    if report.get("compare"):
        columns += COMPARE_COLUMNS
    buf = io.StringIO()
    writer = csv.DictWriter(buf, columns, extrasaction="ignore", lineterminator="\r\n")
    writer.writeheader()
    for row in _rows(report):
        writer.writerow({k: "" if v is None else neutralise_formula(v) if isinstance(v, str)
                         else v for k, v in row.items()})
    return buf.getvalue()


def geojson_document(report: dict) -> dict:
    """The neighbourhoods with their figures; the municipality's figures in
    ``properties`` of the collection (``modes``, ``models``, ``filters``)."""
    features = []
    rows = {r["code"]: r for r in _rows(report) if r["level"] == "neighbourhood"}
    for hood in report.get("neighbourhoods", []):
        props = {k: v for k, v in rows[hood["code"]].items() if k != "level"}
        features.append({"type": "Feature", "id": hood["code"],
                         "geometry": shapely.geometry.mapping(hood["geometry"]),
                         "properties": props})

    def summary(section: str) -> dict:
        return {item["key"]: _shares(item["shares"]) for item in report[section]}

    props = {"municipality_code": report["code"], "municipality": report["name"],
             "date": (report["on"] or report["today"]).isoformat(), "mode": report["mode"],
             "minutes": report["minutes"], "population": _number(report.get("population")),
             "modes": summary("modes"), "models": summary("models"),
             "filters": summary("filters")}
    if report.get("compare"):
        props["compare"] = _compare_cells(report, report["code"])
    return json.loads(json.dumps({"type": "FeatureCollection", "properties": props,
                                  "features": features}))
