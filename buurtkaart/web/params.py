"""Parsing of integer query parameters, shared by every page and API endpoint.

Python refuses to convert integers of more than 4,300 digits (and SQLite stores
at most 64 bits), so the text is checked before ``int()`` ever sees it: only
ASCII digits with an optional minus sign, at most :data:`MAX_DIGITS` of them,
within the range the parameter allows. Anything else is an
:class:`~buurtkaart.errors.InvalidParameter` naming the parameter (HTTP 400).
"""

from __future__ import annotations

from flask import request

from ..errors import InvalidParameter

__all__ = ["parse_int", "int_arg", "shown"]

MAX_DIGITS = 18  # fits a 64-bit SQLite INTEGER; no parameter needs more
_SHOWN = 40


def shown(raw: str) -> str:
    """``raw`` as quoted in a message, cut short when long."""
    return repr(raw if len(raw) <= _SHOWN else raw[:_SHOWN] + "...")


def parse_int(name: str, raw: str | None, *, lo: int, hi: int, default: int | None = None
              ) -> int | None:
    """The whole number in ``raw`` (``default`` when empty), between ``lo`` and ``hi``."""
    if raw is None or raw == "":
        return default
    text = raw.strip()
    digits = text[1:] if text[:1] == "-" else text
    if not (digits.isascii() and digits.isdigit()):
        raise InvalidParameter(name, f"expected a whole number between {lo} and {hi}, "
                                     f"got {shown(raw)}")
    if len(digits) > MAX_DIGITS or not lo <= int(text) <= hi:
        raise InvalidParameter(name, f"must be a whole number between {lo} and {hi}, "
                                     f"got {shown(raw)}")
    return int(text)


def int_arg(name: str, *, lo: int, hi: int, default: int | None = None) -> int | None:
    """The query parameter ``name`` parsed by :func:`parse_int`."""
    return parse_int(name, request.args.get(name), lo=lo, hi=hi, default=default)
