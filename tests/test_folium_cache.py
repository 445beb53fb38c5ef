"""Templates compiled once per process (buurtkaart.folium_cache): a large piece of plain text
(branca makes one of every rendered script, the map's GeoJSON among them) is compiled
without lexing it, and renders exactly as jinja2 renders it."""

from __future__ import annotations

import jinja2

from buurtkaart import folium_cache

folium_cache.install()


def _lexed(env: jinja2.Environment, source: str) -> str:
    """Rendered the straightforward way (a named template is never taken as plain text)."""
    code = env.compile(source, name="straightforward")
    return jinja2.Template.from_code(env, code, env.make_globals(None), None).render()


def test_large_plain_text_renders_as_jinja_renders_it():
    body = ('{"features": [{"name": "Sint-Amandsberg", "coordinates": [[3.7, 51.0]]}],\r\n'
            '"note": "a { brace } and a % sign"}\r') * 500 + "end"
    assert len(body) > folium_cache.LITERAL_MIN
    lines = body.replace("\r\n", "\n").replace("\r", "\n")
    # one final newline is dropped, every newline becomes the environment's
    assert jinja2.Template(body + "\n").render() == jinja2.Template(body).render() == lines
    assert lines == _lexed(jinja2.Environment(), body + "\n")
    keep = jinja2.Environment(keep_trailing_newline=True, newline_sequence="\r\n")
    assert keep.from_string(body + "\n").render() == (lines + "\n").replace("\n", "\r\n") \
        == _lexed(keep, body + "\n")


def test_large_templates_with_variables_still_fill_them_in():
    filler = "x" * folium_cache.LITERAL_MIN
    assert jinja2.Template(filler + "{{ name }}{# a comment #}").render(name="Gent") == \
        filler + "Gent"
    assert jinja2.Template(filler + "{% if yes %}ja{% endif %}").render(yes=True) == \
        filler + "ja"


def test_style_keys_are_those_folium_writes():
    """The kept keys of GeoJSON styles are folium's own (JSON, sorted), also for styles
    that are equal in Python but not in JSON (1, 1.0, True) and for values that are no key."""
    import json

    import folium.features

    def folium_key(d):  # folium 0.20's GeoJsonStyleMapper._to_key
        return json.dumps(d, sort_keys=True).replace('"{{', "{{").replace('}}"', "}}")

    to_key = folium.features.GeoJsonStyleMapper._to_key
    styles = [{"fillColor": "#fee5d9", "color": "#555", "weight": 1, "fillOpacity": 0.55},
              {"weight": 1}, {"weight": 1.0}, {"weight": True}, {"weight": 3, "color": "#000"},
              {"color": "#000", "weight": 3}, {"dashArray": [4, 4]},
              {"fillColor": "{{'colormap_1'}}"}]
    for _ in range(3):  # the second and third time from what was kept
        assert [to_key(dict(s)) for s in styles] == [folium_key(s) for s in styles]
