"""A community worker opens a neighbourhood in a real headless Chromium (laptop and phone),
sees the link to the printed guide and clicks it: the answer is the neighbourhood's PDF,
in the page's language. Screenshots of the page go to the test's folder."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from pypdf import PdfReader

from test_browser import _page, browser  # noqa: F401  (the fixture is used by name)
from test_browser_search import SIZES, demo_server  # noqa: F401

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots-guide")


def _shot(page, tmp_path: Path, name: str) -> None:
    out = tmp_path / f"{name}.png"
    page.screenshot(path=str(out), full_page=False)
    SHOTS.mkdir(exist_ok=True)
    shutil.copy(out, SHOTS / out.name)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("locale, link_text, title", [
    ("nl-BE", "Druk een gids af voor bewoners (pdf)", "Ontmoetingsplaatsen in en rond Kaisaniemi"),
    ("en-GB", "Print a guide for residents (PDF)", "Meeting places in and around Kaisaniemi"),
])
def test_the_neighbourhood_page_links_to_its_printed_guide(browser, demo_server, tmp_path,  # noqa: F811
                                                           size, locale, link_text, title):
    context, page, outside, errors = _page(browser, viewport=SIZES[size], locale=locale)
    try:
        page.goto(demo_server + "/neighbourhoods/HEL01")
        link = page.get_by_role("link", name=link_text)
        link.scroll_into_view_if_needed()
        assert link.is_visible()
        box = link.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= SIZES[size]["width"]
        _shot(page, tmp_path, f"neighbourhood-guide-link-{locale}-{size}")
        with page.expect_response(lambda r: "/gids/HEL01.pdf" in r.url) as answer:
            link.click()
        resp = answer.value
        assert resp.status == 200
        assert resp.headers["content-type"] == "application/pdf"
        assert resp.headers["content-disposition"] == 'inline; filename="gids-HEL01.pdf"'
        # Chromium shows the PDF in its viewer; the same address fetched in the same
        # browser context (its language cookie included) gives the bytes to read
        again = page.context.request.get(resp.url)
        assert again.headers["content-type"] == "application/pdf"
        body = again.body()
        assert body.startswith(b"%PDF-")
        text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(body)).pages)
                        .split())
        assert text.startswith(title)
        assert not errors
        # Chromium's own PDF viewer (chrome://, chrome-extension://) is no request to the
        # internet; nothing else left the machine
        assert not [u for u in outside if u.startswith(("http:", "https:"))]
    finally:
        context.close()
