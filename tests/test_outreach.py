"""The outreach dashboard on the demo (real Helsinki network, sample need figures): the
ranking checked against the API's need index and coverage, the CSV against the page, the
map link, and the neighbourhood list with access and municipality names."""

from __future__ import annotations

import csv
import io
import re
from html import unescape

import pytest

from conftest import FIXED_NOW

from buurtkaart import create_app


@pytest.fixture(scope="module")
def demo(demo_database):
    app = create_app({"DATABASE": str(demo_database), "TESTING": True, "NOW": FIXED_NOW})
    c = app.test_client()
    c.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return c


def _visible(html: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def _rows(html: str) -> list[dict]:
    """The ranking table: per row its code and every cell's label and text."""
    out = []
    for code, body in re.findall(r'<tr data-code="([^"]+)">(.*?)</tr>', html, re.S):
        cells = re.findall(r'<td[^>]*data-label="([^"]+)"[^>]*>(.*?)</td>', body, re.S)
        out.append({"code": code, **{unescape(k): _visible(v).strip() for k, v in cells}})
    return out


def _independent_scores(client, minutes=10, mode="walk") -> dict[str, float]:
    """need × lack of access from /api/need-index and /api/coverage, with the need scaled
    as the page says (min-max for a signed index, else divided by the maximum)."""
    need = {f["properties"]["code"]: f["properties"]["need_index"]
            for f in client.get("/api/need-index").get_json()["features"]
            if f["properties"]["need_index"] is not None}
    cov = {f["properties"]["code"]: f["properties"]["share_within"]
           for f in client.get(f"/api/coverage?mode={mode}&minutes={minutes}").get_json()[
               "features"]}
    lo, hi = min(need.values()), max(need.values())
    assert lo < 0 < hi  # a z-score index: the min-max scaling applies
    return {c: (need[c] - lo) / (hi - lo) * (1 - cov[c]) for c in need if c in cov}


def test_ranking_is_need_times_lack_of_access_by_default(demo):
    html = demo.get("/outreach").get_data(as_text=True)
    text = _visible(html)
    assert "Need is measured with the need index" in text
    assert "Score = need × lack of access." in text
    assert "need_normalised" not in text and "share_within" not in text
    rows = _rows(html)
    expected = _independent_scores(demo)
    assert [r["code"] for r in rows] == sorted(expected, key=lambda c: -expected[c])
    for r in rows:
        assert float(r["Score"]) == pytest.approx(expected[r["code"]], abs=0.0006)
    assert [int(r["Rank"]) for r in rows] == list(range(1, len(rows) + 1))
    # every column's value carries its label (the cards on a phone show them)
    assert set(rows[0]) == {"code", "Rank", "Neighbourhood", "Need (need index)",
                            "Within reach", "Median minutes", "Residents without access",
                            "Working models reachable", "Score", "Map"}


def test_the_csv_has_the_rows_of_the_page_in_its_order(demo):
    query = "need=population&mode=walk&minutes=3&kind=library"
    page = _rows(demo.get(f"/outreach?{query}").get_data(as_text=True))
    resp = demo.get(f"/outreach.csv?{query}")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert "attachment" in resp.headers["Content-Disposition"]
    table = list(csv.reader(io.StringIO(resp.get_data(as_text=True).lstrip("\ufeff"))))
    header, body = table[0], table[1:]
    assert header[:4] == ["rank", "code", "neighbourhood", "need (population)"]
    assert [r[1] for r in body] == [r["code"] for r in page] and len(body) > 3
    for line, row in zip(body, page):
        assert int(line[0]) == int(row["Rank"])
        assert line[2] == row["Neighbourhood"]
        assert f"{float(line[9]):.3f}" == row["Score"]
        assert round(float(line[4]) * 100) == int(row["Within reach"].rstrip("%"))
    # the same filters as the page: the free-only ranking differs from the unfiltered one
    everything = list(csv.reader(io.StringIO(demo.get(
        "/outreach.csv?need=population&mode=walk&minutes=3").get_data(as_text=True))))
    assert [r[1] for r in everything[1:]] != [r[1] for r in body]


def test_without_need_figures_the_page_says_it_ranks_by_residents(demo_database, tmp_path):
    import shutil
    import sqlite3

    path = tmp_path / "no-need.db"
    shutil.copy(demo_database, path)
    with sqlite3.connect(path) as con:
        con.execute("DELETE FROM indicators WHERE indicator != 'population'")
    client = create_app({"DATABASE": str(path), "TESTING": True}).test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    html = client.get("/outreach").get_data(as_text=True)
    assert "No need figures (such as income or social assistance) are stored yet, so this " \
        "ranking uses the number of residents as need" in _visible(html)
    assert 'value="need_index"' not in html  # not offered when it cannot be computed
    rows = _rows(html)
    cov = {f["properties"]["code"]: f["properties"] for f in client.get(
        "/api/coverage?mode=walk&minutes=10").get_json()["features"]}
    top = max(p["population"] for p in cov.values())
    expected = {c: p["population"] / top * (1 - p["share_within"]) for c, p in cov.items()}
    assert [r["code"] for r in rows] == sorted(expected, key=lambda c: -expected[c])
    assert rows[0]["Need (population)"].endswith("residents")


def test_on_the_map_zooms_to_and_outlines_the_neighbourhood(demo):
    rows = _rows(demo.get("/outreach").get_data(as_text=True))
    top = rows[0]["code"]
    html = demo.get("/outreach").get_data(as_text=True)
    link = unescape(re.search(rf'class="on-map" href="([^"]*neighbourhood={top}[^"]*)"',
                              html).group(1))
    page = demo.get(link).get_data(as_text=True)
    assert "Zoomed to" in _visible(page)
    frame_url = unescape(re.search(r'id="map-frame"[^>]*src="([^"]+)"|src="([^"]+)"[^>]*'
                                   r'id="map-frame"', page).group(0))
    frame_url = re.search(r'src="([^"]+)"', frame_url).group(1)
    frame = demo.get(frame_url).get_data(as_text=True)
    assert "bk-highlight" in frame
    assert "meeting places in this neighbourhood" in frame or \
        "meeting place in this neighbourhood" in frame
    assert "0 meeting places that are" not in frame  # no area filter hides the places
    # the map zooms to the neighbourhood: centred on it, with some room, not the whole city
    bounds = re.search(r"fitBounds\(\s*\[\[([\d.]+), ([\d.]+)\], \[([\d.]+), ([\d.]+)\]\]",
                       frame)
    south, west, north, east = map(float, bounds.groups())
    geometry = demo.get(f"/api/neighbourhoods/{top}").get_json()["geometry"]
    xs = [x for ring in geometry["coordinates"] for x, _ in ring]
    ys = [y for ring in geometry["coordinates"] for _, y in ring]
    assert west < min(xs) < max(xs) < east and south < min(ys) < max(ys) < north
    assert (west + east) / 2 == pytest.approx((min(xs) + max(xs)) / 2, abs=1e-6)
    city = demo.get("/api/neighbourhoods").get_json()["features"]
    city_xs = [x for f in city for ring in f["geometry"]["coordinates"] for x, _ in ring]
    assert east - west < (max(city_xs) - min(city_xs)) * 0.75
    assert demo.get("/kaart?neighbourhood=NOPE").status_code == 400


def test_the_neighbourhood_list_shows_access_and_municipality_names(demo):
    text = _visible(demo.get("/neighbourhoods").get_data(as_text=True))
    assert "Within 10 min (walking)" in text and "(00091)" not in text
    shares = {f["properties"]["code"]: f["properties"]["share_within"]
              for f in demo.get("/api/coverage?mode=walk&minutes=10").get_json()["features"]}
    html = demo.get("/neighbourhoods").get_data(as_text=True)
    for code, cell in re.findall(r'href="/neighbourhoods/(HEL\d+)">.*?<td class="num access"'
                                 r'[^>]*>([^<]+)</td>', html, re.S):
        shown = float(cell.rstrip("%"))
        assert shown == pytest.approx(shares[code] * 100, abs=0.5)
    by_name = demo.get("/neighbourhoods?municipality=helsinki")
    by_code = demo.get("/neighbourhoods?municipality=00091")
    assert by_name.status_code == by_code.status_code == 200
    assert "24 neighbourhoods in Helsinki" in _visible(by_name.get_data(as_text=True))
    table = re.compile(r"<table.*?</table>", re.S)
    assert table.search(by_name.get_data(as_text=True)).group(0) == \
        table.search(by_code.get_data(as_text=True)).group(0)
    assert demo.get("/outreach?municipality=Helsinki").status_code == 200
