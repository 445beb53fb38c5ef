"""A4 PDFs drawn by WeasyPrint from the same Jinja templates as the pages.

Printed guides and municipal reports are HTML templates rendered with the request's
language and then laid out by WeasyPrint. Nothing is fetched from the network while a PDF
is drawn: ``/static/...`` is read from the package's static folder, ``data:`` URLs are
allowed, and every other URL (basemap tiles, a CDN) is refused, so a PDF looks the same on
a machine without internet.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path

from flask import Response, current_app, render_template

__all__ = ["render_pdf", "pdf_response"]

_STATIC = Path(__file__).resolve().parent.parent / "static"


def _offline_fetcher():
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class OfflineFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            if url.startswith("data:"):
                return super().fetch(url, headers)
            marker = "/static/"
            if marker in url:
                rel = url.split(marker, 1)[1].split("?", 1)[0].split("#", 1)[0]
                path = (_STATIC / rel).resolve()
                if path.is_file() and _STATIC in path.parents:
                    kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                    return URLFetcherResponse(url, path.read_bytes(),
                                              {"Content-Type": kind})
            raise ValueError(f"not fetched while drawing a PDF (offline): {url}")

    return OfflineFetcher()


def render_pdf(template: str, **context) -> bytes:
    """The PDF of ``template`` rendered with ``context`` (inside a request or app context)."""
    from weasyprint import HTML

    html = render_template(template, **context)
    return HTML(string=html, base_url="http://buurtkaart.invalid/",
                url_fetcher=_offline_fetcher()).write_pdf()


def pdf_response(pdf: bytes, filename: str, *, inline: bool = True) -> Response:
    """``pdf`` as a download named ``filename`` (shown in the browser when ``inline``)."""
    disposition = "inline" if inline else "attachment"
    resp = current_app.response_class(pdf, mimetype="application/pdf")
    resp.headers["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    return resp
