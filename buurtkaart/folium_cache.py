"""Compile each of folium's jinja2 templates once per process, not once per map render.

folium builds many of its elements with ``Template(source)`` inside methods
(tooltips, popups, GeoJSON styles), and jinja2 compiles a template from a
string afresh every time (it caches only templates loaded by name). Rendering
one map compiled about 28 templates (0.45 s of a 1.3 s render of Flanders).
:func:`install` memoises the compilation step of folium's and branca's
template environments by template source; rendering, and so the output, is
unchanged (a compiled template is an immutable code object).

branca also turns every rendered script into a template again
(``Element(rendered)``): for a map of Flanders that is the 2.7 MB GeoJSON of the
neighbourhoods, different in every render (element ids are random), whose lexing
alone took 0.45 s. A large source without any template syntax is compiled
straight from the syntax tree the parser would have made for it (one piece of
text), skipping the lexer; the output is the same text.

folium's GeoJSON layer groups its features by style: for each of the 2,730 features it
writes the style (and the highlight style) as JSON to use as the group's key (0.15 s of a
render). The styles are few (one per colour class): :func:`install` keeps the key of each
distinct style (by its items and their types), so each is written once; the keys, and so
the map, are unchanged.
"""

from __future__ import annotations

import threading

import folium.features
import jinja2
from jinja2 import nodes
from jinja2.lexer import newline_re

__all__ = ["install"]

#: Sources at least this long are checked for being plain text (shorter ones repeat and
#: are memoised instead).
LITERAL_MIN = 4096

_LOCK = threading.RLock()
_CODE: dict[tuple, tuple] = {}
_installed = False


def _memoised(original):
    def compile(self, source, name=None, filename=None, raw=False, defer_init=False):
        if raw or name is not None or filename is not None or not isinstance(source, str):
            return original(self, source, name, filename, raw, defer_init)
        if len(source) >= LITERAL_MIN and _plain_text(self, source):
            return original(self, _text_template(self, source), name, filename, raw,
                            defer_init)
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


def _plain_text(env: jinja2.Environment, source: str) -> bool:
    """Whether ``source`` holds no tag, variable or comment of ``env`` (and nothing that
    an extension or a line prefix could change): it renders as itself."""
    return (not env.extensions and env.line_statement_prefix is None
            and env.line_comment_prefix is None
            and not any(mark in source for mark in (env.block_start_string,
                                                    env.variable_start_string,
                                                    env.comment_start_string)))


def _text_template(env: jinja2.Environment, source: str) -> nodes.Template:
    """The parse of a plain-text ``source``: its newlines as the lexer leaves them (one
    final newline dropped unless ``keep_trailing_newline``), as one piece of output."""
    lines = newline_re.split(source)[::2]
    if not env.keep_trailing_newline and lines[-1] == "":
        del lines[-1]
    text = nodes.TemplateData(env.newline_sequence.join(lines), lineno=1)
    return nodes.Template([nodes.Output([text], lineno=1)], lineno=1)


def _style_keys(original):
    keys: dict[tuple, str] = {}

    def to_key(d: dict) -> str:
        try:  # the type too: 1, 1.0 and True are equal keys but other JSON
            seen = tuple(sorted((k, type(v), v) for k, v in d.items()))
            hit = keys.get(seen)
        except TypeError:  # a value that is no key (a list): as folium does
            return original(d)
        if hit is None:
            hit = original(d)
            if len(keys) < 4096:
                keys[seen] = hit
        return hit

    return to_key


def install() -> None:
    """Memoise compiling templates from strings in every jinja2 Environment (folium's
    and branca's included; templates loaded by name are left to jinja2's own cache), and
    the keys of GeoJSON styles. Safe to call more than once."""
    global _installed
    with _LOCK:
        if not _installed:
            jinja2.Environment.compile = _memoised(jinja2.Environment.compile)
            mapper = folium.features.GeoJsonStyleMapper
            mapper._to_key = staticmethod(_style_keys(mapper._to_key))
            _installed = True
