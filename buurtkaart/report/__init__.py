"""The municipal coverage report: finding the municipality (:mod:`.find`), computing
the report and its comparison between two dates (:mod:`.compute`), drawing its
charts and map as SVG (:mod:`.svg`) and writing it as CSV or GeoJSON (:mod:`.export`)."""

from .compute import build_report, parse_day
from .find import Found, find_municipality

__all__ = ["build_report", "parse_day", "Found", "find_municipality"]
