"""A labelled sample GTFS feed for the demo city: invented lines along its real streets.

The demo's OpenStreetMap extract carries no timetable, so the demo gets an
invented one, labelled as sample data in the agency name, every route's long
name and the feed name: three tram lines and one bus line, each the shortest
route along the real street network between two far-apart points of the
extract (west-east, north-south and the two diagonals), with a stop about
every :data:`STOP_SPACING_M` metres, both directions, every 10 minutes (trams)
or 15 minutes (bus) from 06:00 to 24:00 every day (``frequencies.txt``),
at 18 km/h (tram) or 15 km/h (bus) with 20 s at every stop. One fare of
:data:`SAMPLE_FARE` EUR (unlimited transfers for 90 minutes) is included.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
from scipy.sparse.csgraph import dijkstra

from ..network import Graph

__all__ = ["write_sample_feed", "SAMPLE_FEED_NAME", "STOP_SPACING_M", "SAMPLE_FARE"]

SAMPLE_FEED_NAME = "sample"
LABEL = "sample data: an invented timetable for the demo"
STOP_SPACING_M = 400.0
SAMPLE_FARE = 3.10
DWELL_S = 20
# name, kind (GTFS route_type), from (x, y) and to (x, y) as fractions of the extract's box
LINES = [("T1", 0, (0.05, 0.5), (0.95, 0.5), 18.0, 600),
         ("T2", 0, (0.5, 0.95), (0.5, 0.05), 18.0, 600),
         ("T3", 0, (0.1, 0.1), (0.9, 0.9), 18.0, 600),
         ("B4", 3, (0.1, 0.9), (0.9, 0.1), 15.0, 900)]


def _nearest(graph: Graph, fx: float, fy: float) -> int:
    lon = graph.lon.min() + fx * (graph.lon.max() - graph.lon.min())
    lat = graph.lat.min() + fy * (graph.lat.max() - graph.lat.min())
    return int(np.argmin((graph.lon - lon) ** 2 + ((graph.lat - lat) * 2) ** 2))


def _path(graph: Graph, lengths, a: int, b: int) -> list[int]:
    _, pred = dijkstra(lengths, indices=a, return_predecessors=True)
    path = [b]
    while path[-1] != a:
        path.append(int(pred[path[-1]]))
    return path[::-1]


def _hms(s: int) -> str:
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


def write_sample_feed(graph: Graph, path: str | Path, *, first_date: int = 20240101,
                      last_date: int = 20301231) -> Path:
    """Write the sample feed for the walking network ``graph`` to ``path`` (a zip)."""
    lengths = graph.lengths()
    stops, stop_rows, trips, st, freq, routes = {}, [], [], [], [], []
    for name, kind, a, b, speed, headway in LINES:
        nodes = _path(graph, lengths, _nearest(graph, *a), _nearest(graph, *b))
        seg = np.array([lengths[u, v] for u, v in zip(nodes[:-1], nodes[1:])])
        cum = np.r_[0.0, np.cumsum(seg)]
        marks = np.arange(0, cum[-1] + 1, STOP_SPACING_M)
        idx = sorted(set(np.searchsorted(cum, marks).clip(0, len(nodes) - 1).tolist())
                     | {len(nodes) - 1})
        line_stops = []
        for i in idx:
            n = nodes[i]
            if n not in stops:
                stops[n] = f"S{len(stops) + 1}"
                stop_rows.append(f"{stops[n]},Stop {len(stops)} (sample),"
                                 f"{graph.lat[n]:.6f},{graph.lon[n]:.6f},Z1")
            line_stops.append((stops[n], cum[i]))
        routes.append(f"{name},SAMPLE,{name},\"Sample {'tram' if kind == 0 else 'bus'} line "
                      f"{name} ({LABEL})\",{kind}")
        for direction, seq in ((0, line_stops), (1, [(s, cum[-1] - d) for s, d in
                                                     line_stops[::-1]])):
            trip = f"{name}-{direction}"
            trips.append(f"{name},DAILY,{trip},{direction}")
            t = 0
            for k, (stop, dist) in enumerate(seq):
                if k:
                    t += int(round(abs(dist - seq[k - 1][1]) / (speed / 3.6))) + DWELL_S
                st.append(f"{trip},{_hms(t)},{_hms(t)},{stop},{k + 1}")
            freq.append(f"{trip},06:00:00,24:00:00,{headway}")
    files = {
        "agency.txt": "agency_id,agency_name,agency_url,agency_timezone\n"
                      f"SAMPLE,\"Sample transit ({LABEL})\",https://example.org,"
                      "Europe/Helsinki\n",
        "stops.txt": "stop_id,stop_name,stop_lat,stop_lon,zone_id\n" + "\n".join(stop_rows),
        "routes.txt": "route_id,agency_id,route_short_name,route_long_name,route_type\n"
                      + "\n".join(routes),
        "trips.txt": "route_id,service_id,trip_id,direction_id\n" + "\n".join(trips),
        "stop_times.txt": "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n"
                          + "\n".join(st),
        "frequencies.txt": "trip_id,start_time,end_time,headway_secs\n" + "\n".join(freq),
        "calendar.txt": "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,"
                        f"start_date,end_date\nDAILY,1,1,1,1,1,1,1,{first_date},{last_date}\n",
        "fare_attributes.txt": "fare_id,price,currency_type,payment_method,transfers,"
                               f"transfer_duration\nSINGLE,{SAMPLE_FARE:.2f},EUR,0,,5400\n",
    }
    path = Path(path)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in files.items():
            z.writestr(name, text if text.endswith("\n") else text + "\n")
    return path
