"""Translation for every layer, without Flask: catalogues, the active language, labels.

Messages are written in English in the code and the templates and marked for
translation; the catalogues under ``buurtkaart/translations/<lang>/LC_MESSAGES/messages.po``
hold the Dutch (default) and English texts. The web layer (:mod:`buurtkaart.web.i18n`)
chooses the language per request and calls :func:`activate`; core modules such as
:mod:`buurtkaart.maps` and :mod:`buurtkaart.hours_text` call :func:`gettext` and
:func:`ngettext` from here, which use whatever is active (English source text when
nothing is, as on the command line).

- ``N_("text")`` marks a constant for extraction without translating it yet (the
  taxonomy labels); translate it where it is shown with ``gettext(value)``.
- ``make messages`` extracts the marked strings and adds new ones to every catalogue
  (``python -m buurtkaart.i18n fill-source`` fills the English one from the source text);
  ``make translations`` (``pybabel compile``) turns ``.po`` into ``.mo``; :func:`compile_catalogues` does the same when the app starts from a fresh
  checkout, for every ``.mo`` that is missing or older than its ``.po``.
"""

from __future__ import annotations

import gettext as _gettext
import logging
import sys
from contextvars import ContextVar
from pathlib import Path

__all__ = ["TRANSLATIONS_DIR", "DEFAULT_LOCALE", "N_", "Msg", "MsgList", "Term", "translate",
           "message_of", "row_msg", "gettext", "ngettext", "activate",
           "deactivate",
           "current_locale", "available_locales", "compile_catalogues", "language_name",
           "locale_name"]

TRANSLATIONS_DIR = Path(__file__).resolve().parent / "translations"
#: The language of a visitor who asks for none we have.
DEFAULT_LOCALE = "nl"
#: The language the messages are written in (``msgid``).
SOURCE_LOCALE = "en"

_active: ContextVar[tuple[_gettext.NullTranslations, str] | None] = ContextVar(
    "buurtkaart_translations", default=None)
_log = logging.getLogger(__name__)


def N_(message: str) -> str:
    """Mark ``message`` for extraction; it is translated where it is shown."""
    return message


class Msg(str):
    """A message kept for showing later in any language: the string itself is the English
    text (the command line, the JSON API, logs and tests see exactly that), and
    :meth:`translated` gives it in the active language.

    ``Msg("unknown column %(column)s", column="naam")`` is marked for extraction like
    ``_()`` (``make messages`` knows ``Msg``); values that are themselves :class:`Msg`
    are translated too. Use it for text made in core code that a page shows later, such
    as the reason of an import problem, a typology reason or a stored note.
    """

    msgid: str
    params: dict

    def __new__(cls, msgid: str, **params):
        self = super().__new__(cls, msgid % params if params else msgid)
        self.msgid = msgid
        self.params = params
        return self

    def __reduce__(self):
        return (_make_msg, (self.msgid, self.params))

    def translated(self) -> str:
        """The message in the active language (English when none is active)."""
        return gettext(self.msgid, **{k: translate(v) for k, v in self.params.items()})


class Term(Msg):
    """A code or word that stays as it is in English (``rent_median``) and is shown as the
    translation of ``msgid`` (a label marked elsewhere) in another language."""

    def __new__(cls, text: str, msgid: str):
        self = str.__new__(cls, text)
        self.msgid, self.params = msgid, {}
        return self

    def __reduce__(self):
        return (Term, (str(self), self.msgid))


class MsgList(Msg):
    """Messages (or plain values) joined by ``sep``, each translated when shown."""

    def __new__(cls, items, sep: str = ", "):
        items = list(items)
        self = str.__new__(cls, sep.join(str(i) for i in items))
        self.msgid, self.params, self.items, self.sep = None, {}, items, sep
        return self

    def __reduce__(self):
        return (MsgList, (self.items, self.sep))

    def translated(self) -> str:
        return self.sep.join(str(translate(i)) for i in self.items)


def _make_msg(msgid: str, params: dict) -> "Msg":
    return Msg(msgid, **params)


def translate(value):
    """``value`` in the active language when it is a :class:`Msg`; anything else as it is."""
    return value.translated() if isinstance(value, Msg) else value


def message_of(exc: BaseException):
    """The message an exception was raised with: the :class:`Msg` itself when it was one
    (so it can still be translated), else ``str(exc)``."""
    first = exc.args[0] if len(exc.args) == 1 else None
    return first if isinstance(first, Msg) else str(exc)


def row_msg(number: int) -> Msg:
    """"row 4" (where a problem is, in a table), in any language."""
    return Msg("row %(num)s", num=number)


def activate(translations: _gettext.NullTranslations, locale: str):
    """Make ``translations`` (for ``locale``) the active ones in this context."""
    return _active.set((translations, locale))


def deactivate() -> None:
    """Back to the English source text (after a request: code that runs later in the same
    thread, such as the command line or a test, never speaks the last page's language)."""
    _active.set(None)


def active_translations() -> _gettext.NullTranslations | None:
    """The catalogue made active in this context, or None."""
    active = _active.get()
    return active[0] if active else None


def current_locale() -> str:
    """The active language code (``en`` when none is active)."""
    active = _active.get()
    return active[1] if active else SOURCE_LOCALE


def gettext(message: str, **variables) -> str:
    """``message`` in the active language, with ``%(name)s`` filled from ``variables``."""
    active = _active.get()
    text = active[0].gettext(message) if active else message
    return text % variables if variables else text


def ngettext(singular: str, plural: str, num: int, **variables) -> str:
    """The singular or plural form for ``num`` (``%(num)s`` is filled in)."""
    active = _active.get()
    text = active[0].ngettext(singular, plural, num) if active else \
        (singular if num == 1 else plural)
    return text % {"num": num, **variables}


def available_locales(directory: Path = TRANSLATIONS_DIR) -> list[str]:
    """Every language with a catalogue, the default first."""
    found = sorted(p.parent.parent.name for p in directory.glob("*/LC_MESSAGES/messages.po"))
    return sorted(found, key=lambda code: code != DEFAULT_LOCALE)


def compile_catalogues(directory: Path = TRANSLATIONS_DIR, *, force: bool = False) -> list[Path]:
    """Write ``messages.mo`` beside every ``messages.po`` that is newer (or all: ``force``).

    Returns the files written. A folder that cannot be written (a read-only install)
    is logged and skipped: the pages then fall back to the English source text.
    """
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    written = []
    for po in sorted(directory.glob("*/LC_MESSAGES/messages.po")):
        mo = po.with_suffix(".mo")
        if not force and mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as fh:
            catalogue = read_po(fh, locale=po.parent.parent.name)
        try:
            tmp = mo.with_suffix(".mo.tmp")
            with tmp.open("wb") as fh:
                write_mo(fh, catalogue)
            tmp.replace(mo)
        except OSError as exc:
            _log.warning("cannot write %s (%s): pages fall back to English", mo, exc)
            continue
        written.append(mo)
    return written


def locale_name(code: str) -> str:
    """A language's own name for itself, as on a language switch ("Nederlands", "English")."""
    from babel import Locale, UnknownLocaleError

    try:
        name = Locale.parse(code).get_display_name(code) or code
    except (ValueError, UnknownLocaleError):
        return code
    return name[:1].upper() + name[1:]


def language_name(code: str, locale: str | None = None) -> str:
    """The name of language ``code`` (ISO 639) in ``locale`` (the active one by default):
    ``language_name("fr", "nl")`` is "Frans"; an unknown code is returned as it is."""
    from babel import Locale, UnknownLocaleError

    try:
        names = Locale.parse(locale or current_locale()).languages
    except (ValueError, UnknownLocaleError):
        return code
    name = names.get(code)
    return name if name else code


def fill_source_catalogue(directory: Path = TRANSLATIONS_DIR) -> int:
    """Give every empty entry of the English (source language) catalogue its ``msgid``
    (``msgid_plural`` for the plural form); returns how many were filled. Run by
    ``make messages`` after ``pybabel update``; English wording changes are made in the
    code, so this catalogue normally repeats the source text."""
    from babel.messages.pofile import read_po, write_po

    po = directory / SOURCE_LOCALE / "LC_MESSAGES" / "messages.po"
    with po.open("rb") as fh:
        catalogue = read_po(fh, locale=SOURCE_LOCALE)
    filled = 0
    for message in catalogue:
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            if not all(message.string or ()):
                message.string = (message.id[0], message.id[1])
                filled += 1
        elif not message.string:
            message.string = message.id
            filled += 1
        message.flags.discard("fuzzy")
    with po.open("wb") as fh:
        write_po(fh, catalogue, width=PO_WIDTH)
    return filled


#: Line width of the .po files (as ``pybabel update -w``).
PO_WIDTH = 100


def main(argv: list[str]) -> int:
    """``python -m buurtkaart.i18n compile|fill-source``."""
    if argv[:1] == ["compile"]:
        for mo in compile_catalogues(force=True):
            print(f"compiled {mo}")
        return 0
    if argv[:1] == ["fill-source"]:
        print(f"filled {fill_source_catalogue()} English entries from their source text")
        return 0
    print("usage: python -m buurtkaart.i18n compile|fill-source", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
