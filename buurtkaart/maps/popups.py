"""Popups of the map's places: name, kind, address, hours in words, wheelchair access and
each activity with its working models, sessions, cost and thresholds. Everything from the
directory is HTML-escaped: Leaflet inserts popups as HTML."""

from __future__ import annotations

import html
from collections.abc import Mapping

from babel.numbers import format_currency

from ..hours_text import hours_text, session_text
from ..i18n import gettext as _
from ..i18n import current_locale, language_name
from ..taxonomy import PLACE_KINDS, SAMPLE_DATA_LABEL, THRESHOLDS, WORKING_MODELS, wheelchair_text

__all__ = ["address", "place_popup"]

#: Tri-state thresholds shown as badges (``free`` comes from the cost).
_THRESHOLD_KEYS = ("walk_in", "childcare", "children_welcome", "no_internet", "wheelchair")


def _e(value: object) -> str:
    """HTML-escape anything (``None`` becomes an empty string)."""
    return html.escape("" if value is None else str(value), quote=True)


def _badge(label: str, value: int | bool | None) -> str:
    state = {1: "yes", 0: "no"}.get(None if value is None else int(value), "unknown")
    words = {"yes": _("yes"), "no": _("no"), "unknown": _("unknown")}[state]
    return f'<span class="bk-badge bk-{state}">{_e(label)}: {_e(words)}</span>'


def address(p: Mapping) -> str:
    """"Street 1, 9000 Gent": the parts of a place's address that are known."""
    town = " ".join(y for y in (p.get("postcode"), p.get("city")) if y)
    return ", ".join(x for x in (p.get("street"), town) if x)


def _activity_html(a: Mapping) -> str:
    models = "".join(
        f'<span class="bk-model" style="border-color:{WORKING_MODELS[m].colour}">'
        f'{_e(_(WORKING_MODELS[m].label_en))}'
        f"</span>" for m in a.get("models") or [] if m in WORKING_MODELS)
    sessions = "; ".join(session_text(s) for s in a.get("sessions") or []) \
        or _("times not known")
    cost = a.get("cost_amount")
    free = None if cost is None else int(cost == 0)
    currency = a.get("cost_currency") or "EUR"
    cost_text = _("free") if cost == 0 else (_("cost unknown") if cost is None
                                              else format_currency(cost, currency,
                                                                   locale=current_locale()))
    badges = _badge(_(THRESHOLDS["free"].label_en), free) + " ".join(
        _badge(_(THRESHOLDS[k].label_en), a.get(k)) for k in _THRESHOLD_KEYS)
    langs = ", ".join(language_name(code) for code in a.get("languages") or [])
    sample = (f'<p class="bk-sample">{_e(_(SAMPLE_DATA_LABEL))}</p>' if a.get("sample")
              else "")
    return (f'<div class="bk-activity"><h4>{_e(a.get("name"))}</h4>'
            f'<p class="bk-models">{models}</p>'
            f"<p>{_e(sessions)} · {_e(cost_text)}</p>"
            f'<p class="bk-badges">{badges}</p>'
            + ("<p>" + _e(_("Languages: %(names)s", names=langs)) + "</p>" if langs else "")
            + sample + "</div>")


def place_popup(p: Mapping, detail_url: str | None = None) -> str:
    """The popup of a place, as escaped HTML.

    Name, kind, address, opening hours in words, wheelchair access, each activity with
    its working models, sessions, cost and threshold badges (yes / no / unknown), a
    sample-data label where it applies, and a link to the detail page; all in the active
    language.
    """
    kind = PLACE_KINDS.get(p.get("kind"), PLACE_KINDS["other"])
    parts = [f'<div class="bk-popup"><h3>{_e(p.get("name"))}</h3>',
             f'<p class="bk-kind">{_e(_(kind.label_en))}</p>']
    if p.get("sample"):
        parts.append(f'<p class="bk-sample">{_e(_(SAMPLE_DATA_LABEL))}</p>')
    addr = address(p)
    parts.append('<p class="bk-address">' + _e(addr or _("address unknown")) + "</p>")
    expression = p.get("opening_hours")
    hours = hours_text(expression) if expression else _("hours unknown")
    if hours is None:  # too complex for words: the expression itself, and where to look
        hours = _("%(hours)s (see details)", hours=expression)
    parts.append("<p><strong>" + _e(_("Open:")) + f"</strong> {_e(hours)}</p>")
    parts.append("<p>" + _e(_("Wheelchair access:"))
                 + f" {_e(wheelchair_text(p.get('wheelchair')))}</p>")
    acts = p.get("activities") or []
    for a in acts:
        parts.append(_activity_html(a))
    if not acts:
        parts.append("<p>" + _e(_("No activities recorded here yet.")) + "</p>")
    if detail_url:
        parts.append(f'<p><a href="{_e(detail_url)}" target="_top">'
                     + _e(_("Details")) + "</a></p>")
    parts.append("</div>")
    return "".join(parts)
