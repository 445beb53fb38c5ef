"""The page language: ``?lang=``, then the ``lang`` cookie, then ``Accept-Language``, then Dutch.

``?lang=xx`` (a language with a catalogue) also sets the cookie, so the choice sticks
on the next page; an unknown ``?lang=`` is ignored. Templates get ``_()``,
``ngettext()`` (flask-babel), ``lang`` (the chosen code), ``language_links`` (one link
per language to the same path and query) and ``tr`` (translates a taxonomy label).
"""

from __future__ import annotations

from gettext import NullTranslations
from pathlib import Path
from urllib.parse import urlencode

from flask import Flask, current_app, g, request
from flask_babel import Babel, get_locale, get_translations

from .. import i18n

__all__ = ["init_app", "select_locale", "page_language", "LANG_COOKIE"]

LANG_COOKIE = "lang"
LANG_PARAMETER = "lang"
COOKIE_MAX_AGE = 365 * 24 * 3600


def _supported() -> list[str]:
    return current_app.config["LANGUAGES"]


def _normal(code: str | None) -> str | None:
    code = (code or "").strip().lower().replace("_", "-")
    if code in _supported():
        return code
    base = code.split("-")[0]
    return base if base in _supported() else None


def select_locale() -> str:
    """The language of this request (see the module docstring)."""
    return (_normal(request.args.get(LANG_PARAMETER))
            or _normal(request.cookies.get(LANG_COOKIE))
            or request.accept_languages.best_match(_supported())
            or i18n.DEFAULT_LOCALE)


def page_language() -> str:
    """The chosen language code of the current request."""
    return str(get_locale() or i18n.DEFAULT_LOCALE)


def _language_links() -> list[tuple[str, str, str, bool]]:
    """(code, own name, URL of this page in that language, is current) for every language."""
    current = page_language()
    links = []
    for code in _supported():
        # on the "check your search" page, without a value too long to show
        skip = {LANG_PARAMETER, g.get("rejected_parameter")}
        args = [(k, v) for k, v in request.args.items(multi=True) if k not in skip]
        args.append((LANG_PARAMETER, code))
        url = request.script_root + request.path + "?" + urlencode(args)
        links.append((code, i18n.locale_name(code), url, code == current))
    return links


#: Pages under ``/api`` (the API reference): in the page's language like any page.
API_PAGES = ("/api/docs",)


def _json_api() -> bool:
    return request.path.startswith("/api/") and request.path not in API_PAGES


def activate_page_language() -> None:
    """Make this request's language the active one for the core modules (maps, hours_text,
    labels, :class:`~buurtkaart.i18n.Msg`); the JSON API keeps its English texts whatever
    the browser asks. Set on every request (a worker thread must not keep the previous
    request's language), and again by an error page: a check that refuses a request
    before this ran (CSRF, size) still answers in the page's language."""
    if _json_api():
        i18n.activate(NullTranslations(), i18n.SOURCE_LOCALE)
    else:
        i18n.activate(get_translations(), page_language())


def chosen_language() -> str | None:
    """The language this request's ``?lang=`` chose, when the page must remember it in
    the language cookie (it differs from the cookie)."""
    chosen = _normal(request.args.get(LANG_PARAMETER))
    if chosen and request.cookies.get(LANG_COOKIE) != chosen and not _json_api():
        return chosen
    return None


def _catalogue():
    return i18n.active_translations() or get_translations()


def init_app(app: Flask) -> None:
    directory = Path(app.config.get("TRANSLATIONS_DIR") or i18n.TRANSLATIONS_DIR)
    i18n.compile_catalogues(directory)  # a fresh checkout has only the .po files
    app.config.setdefault("LANGUAGES", i18n.available_locales(directory) or [i18n.SOURCE_LOCALE])
    app.config.setdefault("BABEL_DEFAULT_LOCALE", i18n.DEFAULT_LOCALE)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(directory)
    Babel(app, locale_selector=select_locale)
    # templates translate through the catalogue this request activated: the same texts as
    # flask-babel's own callables, which look the catalogue up again for every text (a
    # page has a hundred: 5 of the map page's 14 ms)
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _catalogue().gettext(s),
        ngettext=lambda s, p, n: _catalogue().ngettext(s, p, n),
        pgettext=lambda c, s: _catalogue().pgettext(c, s),
        npgettext=lambda c, s, p, n: _catalogue().npgettext(c, s, p, n), newstyle=True)

    app.before_request(activate_page_language)

    @app.teardown_request
    def _deactivate(_exc=None):
        i18n.deactivate()

    @app.after_request
    def _remember(resp):
        chosen = chosen_language()
        if chosen:
            resp.set_cookie(LANG_COOKIE, chosen, max_age=COOKIE_MAX_AGE, samesite="Lax",
                            httponly=True, secure=app.config.get("SESSION_COOKIE_SECURE", False))
        if not _json_api():
            resp.vary.add("Accept-Language")
            resp.vary.add("Cookie")
        return resp

    @app.context_processor
    def _template_globals():
        return {"lang": page_language(), "language_links": _language_links,
                "tr": i18n.gettext, "language_name": i18n.language_name,
                "translate": i18n.translate}

