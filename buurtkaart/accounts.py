"""Accounts, roles and API tokens.

Roles: the public reads without an account; an *editor* edits the places and
activities of their own organisation; an *admin* edits everything, imports
and manages users. Passwords are hashed with scrypt (werkzeug's
``generate_password_hash``, a current memory-hard algorithm with a random
salt); API tokens are random 32-byte secrets of which only a SHA-256 hash is
stored, so a leaked database does not leak usable tokens. Tokens expire
(:data:`TOKEN_DAYS` by default) and can be revoked; the list of an account's
tokens never shows a secret.

Sessions end for real: every session cookie carries the account's
``session_generation``, which logout, disabling the account and a new password
raise, so a copied cookie stops working everywhere at once.

No personal data of residents is ever stored: accounts belong to the
community workers and administrators who keep the directory.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets

import sqlite_utils
from werkzeug.security import check_password_hash, generate_password_hash

from . import passwords
from .errors import BuurtkaartError, InvalidParameter, NotFound
from .i18n import Msg

__all__ = [
    "ROLES",
    "MIN_PASSWORD_LENGTH",
    "create_user",
    "authenticate",
    "user",
    "users",
    "user_by_email",
    "set_password",
    "set_active",
    "end_sessions",
    "session_valid",
    "create_token",
    "tokens",
    "token_record",
    "revoke_token",
    "user_for_token",
    "can_edit",
    "PermissionDenied",
    "AccountDisabled",
    "TokenRefused",
    "TOKEN_DAYS",
]

ROLES = ("editor", "admin")
MIN_PASSWORD_LENGTH = passwords.MIN_LENGTH
#: Days an API token is valid unless another number is asked for.
TOKEN_DAYS = 90
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
#: A hash to check against when the e-mail is unknown, so that the time a
#: failed login takes does not reveal whether an account exists.
_DUMMY_HASH = generate_password_hash("buurtkaart-timing-equaliser", method="scrypt")


class PermissionDenied(BuurtkaartError):
    """The user may not do this."""


class AccountDisabled(BuurtkaartError):
    """The password is right but an admin disabled the account."""


class TokenRefused(BuurtkaartError):
    """A known API token that may no longer be used (revoked, expired, account disabled)."""


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def _check_password(password: str, email: str | None) -> None:
    found = passwords.problems(password or "", email=email)
    if found:
        raise InvalidParameter("password", "; ".join(found))


def create_user(
    db: sqlite_utils.Database, email: str, password: str, *, role: str = "editor",
    organisation_uid: str | None = None,
) -> dict:
    """Create an account; raises :class:`InvalidParameter` naming the bad field."""
    email = (email or "").strip()
    if not _EMAIL_RE.match(email):
        raise InvalidParameter("email", Msg("not an e-mail address: %(value)s",
                                            value=repr(email)))
    if role not in ROLES:
        raise InvalidParameter("role", Msg("expected one of %(known)s, got %(value)s",
                                           known=", ".join(ROLES), value=repr(role)))
    _check_password(password, email)
    org_id = None
    if organisation_uid:
        row = db.execute("SELECT id FROM organisations WHERE uid = ?", [organisation_uid]).fetchone()
        if not row:
            raise InvalidParameter("organisation", Msg("unknown organisation %(uid)s",
                                                       uid=repr(organisation_uid)))
        org_id = row[0]
    elif role == "editor":
        raise InvalidParameter("organisation", Msg("an editor belongs to an organisation"))
    if db.execute("SELECT 1 FROM users WHERE email = ?", [email]).fetchone():
        raise InvalidParameter("email", Msg("an account for %(email)s already exists",
                                            email=email))
    with db.atomic():
        uid = db["users"].insert({
            "email": email,
            "password_hash": generate_password_hash(password, method="scrypt"),
            "role": role, "organisation_id": org_id, "active": 1, "created_at": _now(),
        }).last_pk
    return user(db, uid)


def user(db: sqlite_utils.Database, user_id: int) -> dict:
    rows = list(db.query(
        "SELECT u.id, u.email, u.role, u.organisation_id, u.active, u.created_at, "
        "u.session_generation, "
        "o.uid AS organisation_uid, o.name AS organisation_name FROM users u "
        "LEFT JOIN organisations o ON o.id = u.organisation_id WHERE u.id = ?", [user_id]))
    if not rows:
        raise NotFound(f"no user with id {user_id}")
    return rows[0]


def users(db: sqlite_utils.Database) -> list[dict]:
    return [user(db, r[0]) for r in db.execute("SELECT id FROM users ORDER BY email")]


def user_by_email(db: sqlite_utils.Database, email: str) -> dict:
    """The account with this e-mail address; :class:`NotFound` naming it otherwise."""
    row = db.execute("SELECT id FROM users WHERE email = ?", [(email or "").strip()]).fetchone()
    if not row:
        raise NotFound(f"no account for {email}")
    return user(db, row[0])


def authenticate(db: sqlite_utils.Database, email: str, password: str) -> dict | None:
    """The active user with this e-mail and password, or ``None``.

    Raises :class:`AccountDisabled` when the password is right but the account
    is disabled (only someone who knows the password learns that).
    """
    row = db.execute("SELECT id, password_hash, active FROM users WHERE email = ?",
                     [(email or "").strip()]).fetchone()
    if row is None:
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    if not check_password_hash(row[1], password or ""):
        return None
    if not row[2]:
        raise AccountDisabled("this account is disabled; ask an admin to enable it")
    return user(db, row[0])


def set_password(db: sqlite_utils.Database, user_id: int, password: str) -> None:
    """A new password; every session opened with the old one ends."""
    _check_password(password, user(db, user_id)["email"])
    with db.atomic():
        db.execute("UPDATE users SET password_hash = ?, session_generation = "
                   "session_generation + 1 WHERE id = ?",
                   [generate_password_hash(password, method="scrypt"), user_id])


def set_active(db: sqlite_utils.Database, user_id: int, active: bool) -> dict:
    """Disable (ending its sessions; its tokens stop working) or enable an account."""
    user(db, user_id)
    with db.atomic():
        db.execute("UPDATE users SET active = ?, session_generation = session_generation + 1 "
                   "WHERE id = ?", [int(bool(active)), user_id])
    return user(db, user_id)


def end_sessions(db: sqlite_utils.Database, user_id: int) -> None:
    """Log out everywhere: every session cookie issued so far stops working."""
    db.execute("UPDATE users SET session_generation = session_generation + 1 WHERE id = ?",
               [user_id])


def session_valid(account: dict, generation: object) -> bool:
    """Does a session cookie carrying ``generation`` still belong to ``account``?"""
    return bool(account["active"]) and generation == account["session_generation"]


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(db: sqlite_utils.Database, user_id: int, *, name: str = "",
                 expires_days: int = TOKEN_DAYS) -> str:
    """A new API token for ``user_id`` valid for ``expires_days`` days; the secret is
    returned once and never stored."""
    user(db, user_id)
    if not (isinstance(expires_days, int) and expires_days >= 1):
        raise InvalidParameter("expires_days", f"must be a whole number of days of at least 1, "
                                               f"got {expires_days!r}")
    now = dt.datetime.now(dt.timezone.utc)
    try:
        expires = (now + dt.timedelta(days=expires_days)).isoformat(timespec="seconds")
    except OverflowError:
        raise InvalidParameter("expires_days", f"{expires_days} days is past the year 9999"
                               ) from None
    token = "bk_" + secrets.token_urlsafe(32)
    with db.atomic():
        db["api_tokens"].insert({"user_id": user_id, "token_hash": _token_hash(token),
                                 "name": name, "created_at": now.isoformat(timespec="seconds"),
                                 "expires_at": expires})
    return token


def tokens(db: sqlite_utils.Database, user_id: int) -> list[dict]:
    """The account's tokens, newest first: id, name, created, last used, expires, revoked
    (and whether each still works); never a secret or its hash."""
    now = _now()
    return [{**dict(r), "usable": r["revoked_at"] is None and not _expired(r["expires_at"], now)}
            for r in db.query("SELECT id, user_id, name, created_at, last_used_at, expires_at, "
                              "revoked_at FROM api_tokens WHERE user_id = ? ORDER BY id DESC",
                              [user_id])]


def token_record(db: sqlite_utils.Database, token_id: int) -> dict:
    """One token's id, owner, name and revocation time; :class:`NotFound` otherwise."""
    rows = list(db.query("SELECT id, user_id, name, revoked_at FROM api_tokens WHERE id = ?",
                         [token_id]))
    if not rows:
        raise NotFound(f"no API token with id {token_id}")
    return rows[0]


def revoke_token(db: sqlite_utils.Database, token_id: int) -> dict:
    """Revoke a token for good (revoking twice keeps the first time)."""
    token_record(db, token_id)
    db.execute("UPDATE api_tokens SET revoked_at = coalesce(revoked_at, ?) WHERE id = ?",
               [_now(), token_id])
    return token_record(db, token_id)


def _expired(expires_at: str | None, now: str) -> bool:
    return expires_at is not None and dt.datetime.fromisoformat(expires_at) <= \
        dt.datetime.fromisoformat(now)


def user_for_token(db: sqlite_utils.Database, token: str) -> dict | None:
    """The account behind a usable token; ``None`` for an unknown token;
    :class:`TokenRefused` saying why for a revoked or expired one or a disabled account."""
    row = db.execute("SELECT t.id, t.user_id, t.name, t.expires_at, t.revoked_at, u.active "
                     "FROM api_tokens t JOIN users u ON u.id = t.user_id "
                     "WHERE t.token_hash = ?", [_token_hash(token or "")]).fetchone()
    if not row:
        return None
    token_id, user_id, name, expires_at, revoked_at, active = row
    label = f"the API token {name!r}" if name else f"API token {token_id}"
    now = _now()
    if revoked_at:
        raise TokenRefused(f"{label} was revoked on {revoked_at}")
    if _expired(expires_at, now):
        raise TokenRefused(f"{label} expired on {expires_at}; create a new one with "
                           "`buurtkaart users token EMAIL`")
    if not active:
        raise TokenRefused(f"the account of {label} is disabled")
    # bookkeeping only: skipped when the database is busy, so a read never fails on it
    from .concurrency import try_write

    try_write(db, "UPDATE api_tokens SET last_used_at = ? WHERE id = ?", [now, token_id])
    return user(db, user_id)


def can_edit(account: dict | None, organisation_uid: str | None) -> bool:
    """May ``account`` edit a record belonging to ``organisation_uid``?"""
    if not account or not account.get("active"):
        return False
    if account["role"] == "admin":
        return True
    return bool(organisation_uid) and organisation_uid == account.get("organisation_uid")
