"""Which passwords are refused, and why (NIST SP 800-63B, section 5.1.1.2).

NIST asks verifiers to refuse passwords that are commonly used or
compromised, dictionary words, repetitive or sequential characters (such as
``aaaaaaaaaa`` or ``1234567890``) and context-specific words (the service's
name, the user's e-mail address), and to say why. It asks for no
composition rules (no "one digit and one capital").

The estimate comes from zxcvbn (PyPI ``zxcvbn``, MIT licence, Dropbox's
algorithm): it matches a password against its bundled lists of common
passwords, words and names, keyboard patterns, repeats, sequences and dates,
and against the words given as ``user_inputs``. A password is accepted when
it is at least :data:`MIN_LENGTH` characters long and zxcvbn estimates at
least 10^8 guesses (its score 3 of 4): too many for an online attacker held
back by the login rate limit, and beyond every list it knows.
"""

from __future__ import annotations

import re

from zxcvbn import zxcvbn

from .i18n import N_
from .i18n import gettext as _

__all__ = ["MIN_LENGTH", "MAX_LENGTH", "SERVICE_WORDS", "problems"]

MIN_LENGTH = 10
#: NIST: accept at least 64 characters; longer inputs are refused, not truncated.
MAX_LENGTH = 256
#: Context words nobody should use in a password for this service.
SERVICE_WORDS = ("buurtkaart", "buurt", "kaart")
_MIN_SCORE = 3
#: zxcvbn's cost grows with length; the start of a long passphrase decides anyway.
_CHECKED = 100

_PATTERN_REASONS = {
    "repeat": N_("it repeats characters or words (like 'aaa' or 'abcabc')"),
    "sequence": N_("it is a sequence (like 'abcdef' or '123456')"),
    "spatial": N_("it is a keyboard pattern (like 'qwerty' or 'asdfgh')"),
    "date": N_("it contains a date or year"),
}


def _context_words(email: str | None) -> list[str]:
    words = list(SERVICE_WORDS)
    if email:
        email = email.lower()
        words.append(email)
        words += [w for w in re.split(r"[@.+_\-]", email) if len(w) >= 3]
    return words


def problems(password: str, *, email: str | None = None) -> list[str]:
    """Why ``password`` is refused, in words (the active language); empty when it is
    acceptable."""
    if len(password) < MIN_LENGTH:
        return [_("it must be at least %(num)s characters long", num=MIN_LENGTH)]
    if len(password) > MAX_LENGTH:
        return [_("it must be at most %(num)s characters long", num=MAX_LENGTH)]
    context = _context_words(email)
    if password.strip().lower() in context:
        return [_("it is the name of this service or your e-mail address")]
    result = zxcvbn(password[:_CHECKED], user_inputs=context)
    if result["score"] >= _MIN_SCORE:
        return []
    reasons: list[str] = []
    for match in result["sequence"]:
        if match["pattern"] == "dictionary":
            if match.get("dictionary_name") == "user_inputs":
                reason = _("it contains your e-mail address or the name of this service "
                           "('%(word)s')", word=match["matched_word"])
            elif match.get("dictionary_name") == "passwords":
                reason = _("it is or contains a commonly used password ('%(word)s')",
                           word=match["token"])
            else:
                reason = _("it is built from a common word or name ('%(word)s')",
                           word=match["token"])
        else:
            reason = _PATTERN_REASONS.get(match["pattern"])
            reason = _(reason) if reason else None
        if reason and reason not in reasons:
            reasons.append(reason)
    warning = (result.get("feedback") or {}).get("warning")
    if not reasons and warning:
        reasons.append(warning.rstrip(".").lower())
    if not reasons:
        reasons.append(_("it is too short for its variety of characters"))
    return [_("it is too easy to guess: %(reasons)s (a few unrelated words make a strong "
              "password)", reasons="; ".join(reasons))]
