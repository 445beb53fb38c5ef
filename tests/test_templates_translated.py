"""No template shows text that does not go through the catalogues.

Each template is parsed with Jinja; its text is put back together in document order, with
every ``{{ ... }}`` replaced by nothing when it is computed or translated, and by the
literal itself when it shows a bare string (``{{ 'free' }}``, ``{{ x or 'unknown' }}``).
An HTML parser then reports text nodes and visible attributes (title, placeholder,
aria-label, alt, label) that still hold words, and string literals passed to a macro's
visible parameters (``label``, ``help``, ``title``, ``text``). Wrap them in
``{{ _("...") }}`` (see README, "Languages").
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from jinja2 import nodes

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = sorted((ROOT / "templates").rglob("*.html"))
GETTEXT = {"_", "gettext", "ngettext", "pgettext", "npgettext"}
VISIBLE_ATTRIBUTES = {"title", "placeholder", "aria-label", "alt", "label"}
VISIBLE_MACRO_PARAMETERS = {"label", "help", "title", "text"}
#: Names that are the same in every language.
NOT_WORDS = re.compile(r"\bbuurtkaart\b|\bAPI\b|\bGeoJSON\b|\bOpenAPI\b|\bkm²|\S*/\S*"
                       r"|%[-+ #0]*\d*(?:\.\d+)?[sdfr]|\{[^}]*\}")


def _literal(expr) -> str:
    """The text a displayed expression shows when it is a bare literal ('' otherwise)."""
    if isinstance(expr, nodes.Const):
        return expr.value if isinstance(expr.value, str) else ""
    if isinstance(expr, nodes.CondExpr):
        return " ".join(_literal(e) for e in (expr.expr1, expr.expr2) if e is not None)
    if isinstance(expr, (nodes.Or, nodes.And)):
        return _literal(expr.left) + " " + _literal(expr.right)
    if isinstance(expr, nodes.Concat):
        return " ".join(_literal(e) for e in expr.nodes)
    if isinstance(expr, nodes.Filter) and expr.node is not None and expr.name != "tojson":
        return _literal(expr.node)
    if isinstance(expr, nodes.Call) and isinstance(expr.node, nodes.Getattr) \
            and expr.node.attr == "format":  # '{:,.0f}'.format(x)
        return _literal(expr.node.node)
    return ""


class _Text(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        for name, value in attrs:
            if name in VISIBLE_ATTRIBUTES and _words(value or ""):
                self.found.append(f'{name}="{value}"')

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)

    def handle_data(self, data):
        if not self._skip and _words(data):
            self.found.append(data.strip())


def _words(text: str) -> bool:
    return bool(re.search(r"[^\W\d_]{2,}", NOT_WORDS.sub(" ", text)))


def _macros(env) -> dict[str, list[str]]:
    """Parameter names of every macro in the templates."""
    out = {}
    for path in TEMPLATES:
        tree = env.parse(path.read_text(encoding="utf-8"))
        for macro in tree.find_all(nodes.Macro):
            out[macro.name] = [a.name for a in macro.args]
    return out


def untranslated(source: str, env, macros) -> list[str]:
    """Visible text of a template source that does not go through the catalogues."""
    tree = env.parse(source)
    aliases = {alias or name: name for imp in tree.find_all(nodes.FromImport)
               for name, alias in ((n if isinstance(n, tuple) else (n, None))
                                   for n in imp.names)}
    html, direct = [], []

    def call_arguments(call):
        target = call.node.name if isinstance(call.node, nodes.Name) else None
        params = macros.get(aliases.get(target, target))
        if not params:
            return
        bound = dict(zip(params, call.args))
        bound.update({kw.key: kw.value for kw in call.kwargs})
        for name, value in bound.items():
            if name in VISIBLE_MACRO_PARAMETERS and _words(_literal(value)):
                direct.append(f"{target}({name}={_literal(value)!r})")

    def walk(node):
        if isinstance(node, nodes.TemplateData):
            html.append(node.data)
        elif isinstance(node, nodes.Output):
            for child in node.nodes:
                if isinstance(child, nodes.TemplateData):
                    html.append(child.data)
                else:
                    html.append(_literal(child))
                    calls = list(child.find_all(nodes.Call))
                    for call in ([child] if isinstance(child, nodes.Call) else []) + calls:
                        call_arguments(call)
        else:
            for child in node.iter_child_nodes():
                if not isinstance(child, nodes.Expr):
                    walk(child)

    walk(tree)
    parser = _Text()
    parser.feed("".join(html))
    return direct + parser.found


@pytest.fixture(scope="module")
def env():
    from buurtkaart import create_app

    return create_app({"DATABASE": ":memory:", "TESTING": True}).jinja_env


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_template_has_no_untranslated_text(env, path):
    assert untranslated(path.read_text(encoding="utf-8"), env, _macros(env)) == []


@pytest.mark.parametrize("source, found", [
    ("<p>Hello there</p>", ["Hello there"]),
    ('<input placeholder="your name">', ['placeholder="your name"']),
    ('<a title="More" href="/x">{{ _("More") }}</a>', ['title="More"']),
    ("<p>{{ place.hours or 'unknown' }}</p>", ["unknown"]),
    ("<p>{{ 'open' if ok else 'closed' }}</p>", ["open closed"]),  # either may be shown
    ("{% macro field(name, label) %}{{ label }}{% endmacro %}{{ field('x', 'Your name') }}",
     ["field(label='Your name')"]),
    ("<h1>{% if a %}Not found{% endif %}</h1>", ["Not found"]),
])
def test_the_checker_finds_untranslated_text(env, source, found):
    macros = {"field": ["name", "label"]}
    assert untranslated(source, env, macros) == found


@pytest.mark.parametrize("source", [
    '<p>{{ _("Hello there") }}</p>',
    '<input placeholder="{{ _(\'your name\') }}">',
    "<p>{{ ngettext('%(num)d place', '%(num)d places', n) }}</p>",
    '<span class="badge {{ \'yes\' if v else \'no\' }}">{{ v }}</span>',
    "<script>alert('hello world')</script>",
    "<p>buurtkaart · API · {{ '%.2f'|format(x) }} km²</p>",
    "{% macro field(name, label) %}{{ label }}{% endmacro %}{{ field('x', _('Your name')) }}",
])
def test_the_checker_accepts_translated_text(env, source):
    assert untranslated(source, env, {"field": ["name", "label"]}) == []
