"""The Content-Security-Policy, with a fresh nonce for every response.

``script-src`` allows the app's own script files and inline scripts that carry
this response's nonce, nothing else: no ``'unsafe-inline'``, so a ``<script>``
or an ``onerror=`` that an escaping bug let into a page does not run.
Templates write ``<script nonce="{{ csp_nonce() }}">``; pages have no inline
event handlers (``static/print.js`` wires the print buttons).

folium writes its maps with inline scripts. :class:`MapDocument` puts the
document together itself from folium's three parts, so the nonce goes only
where folium's own templates put scripts: the ``<head>`` (script links and a
fixed snippet, no directory data) and the one ``<script>`` that holds the map
code. The ``<body>`` part, where legends and banners with data go, gets no
nonce, and neither does anything that closes the map's script early.
"""

from __future__ import annotations

import html
import re
import secrets

from flask import g

from ..i18n import current_locale

__all__ = ["nonce", "policy", "MapDocument"]


def nonce() -> str:
    """This response's nonce (the same for every call during one request)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(18)
    return g.csp_nonce


def policy(script_nonce: str | None) -> str:
    """The policy; without a nonce (a JSON answer, a page with no inline script) no inline
    script may run at all."""
    scripts = f"script-src 'self' 'nonce-{script_nonce}'" if script_nonce else "script-src 'self'"
    return "; ".join([
        "default-src 'self'",
        scripts,
        # folium and Leaflet set inline styles; styles cannot run code
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: https://tile.openstreetmap.org https://*.tile.openstreetmap.org",
        "connect-src 'self'",
        "font-src 'self' data:",
        "frame-src 'self'",
        "frame-ancestors 'self'",
        "form-action 'self'",
        "base-uri 'self'",
        "object-src 'none'",
    ])


class MapDocument:
    """A rendered folium map that is served with each response's own nonce (and can be
    cached: rendering happens once, the nonce is put in per response). Its ``<html lang>``
    is the language it was rendered in (legends, popups), so cache it per language.

    ``title`` names the document (and, hidden, its one heading) for screen readers; the map
    and its legend stand in a ``<main>``; folium's viewport that forbids zooming
    (``user-scalable=no``) becomes one that allows it."""

    def __init__(self, folium_map, title: str = "") -> None:
        fig = folium_map.get_root()
        for child in fig._children.values():  # what Figure.render does before its template
            child.render()
        title = title or fig.title or ""
        head = VIEWPORT.sub('<meta name="viewport" content="width=device-width, initial-scale=1">',
                            fig.header.render())
        self._head = (f"<title>{html.escape(title)}</title>" + head).split("<script>")
        heading = f'<h1 class="bk-title">{html.escape(title)}</h1>' if title else ""
        self._body = f'<main class="bk-main">{heading}{fig.html.render()}</main>'
        self._script = fig.script.render()
        self._lang = current_locale()

    def html(self, script_nonce: str) -> str:
        tag = f'<script nonce="{script_nonce}">'
        return (f'<!DOCTYPE html>\n<html lang="{self._lang}">\n<head>\n'
                f"{tag.join(self._head)}\n</head>\n<body>\n{self._body}\n</body>\n"
                f"{tag}\n{self._script}\n</script>\n</html>\n")


#: folium's ``<meta name="viewport" ...>`` (it spans lines and says ``user-scalable=no``).
VIEWPORT = re.compile(r'<meta\s+name="viewport"[^>]*>', re.S)
