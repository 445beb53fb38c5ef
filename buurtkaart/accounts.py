"""Accounts, roles and API tokens.

Roles: the public reads without an account; an *editor* edits the places and
activities of their own organisation; an *admin* edits everything, imports
and manages users. Passwords are hashed with scrypt (werkzeug's
``generate_password_hash``, a current memory-hard algorithm with a random
salt); API tokens are random 32-byte secrets of which only a SHA-256 hash is
stored, so a leaked database does not leak usable tokens.

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

from .errors import BuurtkaartError, InvalidParameter, NotFound

__all__ = [
    "ROLES",
    "MIN_PASSWORD_LENGTH",
    "create_user",
    "authenticate",
    "user",
    "users",
    "set_password",
    "create_token",
    "user_for_token",
    "can_edit",
    "PermissionDenied",
]

ROLES = ("editor", "admin")
MIN_PASSWORD_LENGTH = 10
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
#: A hash to check against when the e-mail is unknown, so that the time a
#: failed login takes does not reveal whether an account exists.
_DUMMY_HASH = generate_password_hash("buurtkaart-timing-equaliser", method="scrypt")


class PermissionDenied(BuurtkaartError):
    """The user may not do this."""


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidParameter("password",
                               f"must be at least {MIN_PASSWORD_LENGTH} characters long")


def create_user(
    db: sqlite_utils.Database, email: str, password: str, *, role: str = "editor",
    organisation_uid: str | None = None,
) -> dict:
    """Create an account; raises :class:`InvalidParameter` naming the bad field."""
    email = (email or "").strip()
    if not _EMAIL_RE.match(email):
        raise InvalidParameter("email", f"not an e-mail address: {email!r}")
    if role not in ROLES:
        raise InvalidParameter("role", f"must be one of {', '.join(ROLES)}, got {role!r}")
    _check_password(password)
    org_id = None
    if organisation_uid:
        row = db.execute("SELECT id FROM organisations WHERE uid = ?", [organisation_uid]).fetchone()
        if not row:
            raise InvalidParameter("organisation", f"unknown organisation {organisation_uid!r}")
        org_id = row[0]
    elif role == "editor":
        raise InvalidParameter("organisation", "an editor belongs to an organisation")
    if db.execute("SELECT 1 FROM users WHERE email = ?", [email]).fetchone():
        raise InvalidParameter("email", f"an account for {email} already exists")
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
        "o.uid AS organisation_uid, o.name AS organisation_name FROM users u "
        "LEFT JOIN organisations o ON o.id = u.organisation_id WHERE u.id = ?", [user_id]))
    if not rows:
        raise NotFound(f"no user with id {user_id}")
    return rows[0]


def users(db: sqlite_utils.Database) -> list[dict]:
    return [user(db, r[0]) for r in db.execute("SELECT id FROM users ORDER BY email")]


def authenticate(db: sqlite_utils.Database, email: str, password: str) -> dict | None:
    """The active user with this e-mail and password, or ``None``."""
    row = db.execute("SELECT id, password_hash, active FROM users WHERE email = ?",
                     [(email or "").strip()]).fetchone()
    if row is None:
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    if not check_password_hash(row[1], password or "") or not row[2]:
        return None
    return user(db, row[0])


def set_password(db: sqlite_utils.Database, user_id: int, password: str) -> None:
    _check_password(password)
    with db.atomic():
        db["users"].update(user_id, {"password_hash": generate_password_hash(password,
                                                                              method="scrypt")})


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(db: sqlite_utils.Database, user_id: int, *, name: str = "") -> str:
    """A new API token for ``user_id``; the secret is returned once and never stored."""
    user(db, user_id)
    token = "bk_" + secrets.token_urlsafe(32)
    with db.atomic():
        db["api_tokens"].insert({"user_id": user_id, "token_hash": _token_hash(token),
                                 "name": name, "created_at": _now()})
    return token


def user_for_token(db: sqlite_utils.Database, token: str) -> dict | None:
    row = db.execute("SELECT t.id, t.user_id FROM api_tokens t JOIN users u ON u.id = t.user_id "
                     "WHERE t.token_hash = ? AND u.active = 1", [_token_hash(token or "")]).fetchone()
    if not row:
        return None
    # bookkeeping only: skipped when the database is busy, so a read never fails on it
    from .concurrency import try_write

    try_write(db, "UPDATE api_tokens SET last_used_at = ? WHERE id = ?", [_now(), row[0]])
    return user(db, row[1])


def can_edit(account: dict | None, organisation_uid: str | None) -> bool:
    """May ``account`` edit a record belonging to ``organisation_uid``?"""
    if not account or not account.get("active"):
        return False
    if account["role"] == "admin":
        return True
    return bool(organisation_uid) and organisation_uid == account.get("organisation_uid")
