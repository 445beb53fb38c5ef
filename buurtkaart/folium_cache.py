"""Compile each of folium's jinja2 templates once per process, not once per map render.

folium builds many of its elements with ``Template(source)`` inside methods
(tooltips, popups, GeoJSON styles), and jinja2 compiles a template from a
string afresh every time (it caches only templates loaded by name). Rendering
one map compiled about 28 templates (0.45 s of a 1.3 s render of Flanders).
:func:`install` memoises the compilation step of folium's and branca's
template environments by template source; rendering, and so the output, is
unchanged (a compiled template is an immutable code object).
"""

from __future__ import annotations

import threading

import jinja2

__all__ = ["install"]

_LOCK = threading.RLock()
_CODE: dict[tuple, tuple] = {}
_installed = False


def _memoised(original):
    def compile(self, source, name=None, filename=None, raw=False, defer_init=False):
        if raw or name is not None or filename is not None or not isinstance(source, str):
            return original(self, source, name, filename, raw, defer_init)
        # per environment object (its options and extensions shape the code); the value
        # keeps the environment alive so that its id is never reused
        key = (id(self), source, defer_init)
        hit = _CODE.get(key)
        if hit is None:
            hit = (self, original(self, source, name, filename, raw, defer_init))
            with _LOCK:
                if len(_CODE) > 512:  # templates are fixed strings; this never fills up
                    _CODE.clear()
                _CODE[key] = hit
        return hit[1]

    return compile


def install() -> None:
    """Memoise compiling templates from strings in every jinja2 Environment (folium's
    and branca's included; templates loaded by name are left to jinja2's own cache).
    Safe to call more than once."""
    global _installed
    with _LOCK:
        if not _installed:
            jinja2.Environment.compile = _memoised(jinja2.Environment.compile)
            _installed = True
