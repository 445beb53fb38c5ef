"""``buurtkaart users ...``: accounts, passwords, disabling, and API tokens."""

from __future__ import annotations

import sys

import click

from . import accounts
from .cli import _db, domain_errors


@click.group("users")
def users_() -> None:
    """Manage the accounts of editors and admins and their API tokens."""


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


_PASSWORD_STDIN = click.option("--password-stdin", is_flag=True,
                               help="Read the password from standard input instead of prompting.")


@users_.command("create")
@click.argument("email")
@click.option("--admin", "role", flag_value="admin", help="Create an admin (everything).")
@click.option("--editor", "role", flag_value="editor", default=True,
              help="Create an editor of one organisation (default).")
@click.option("--organisation", "organisation_uid", metavar="UID",
              help="The editor's organisation (its uid).")
@_PASSWORD_STDIN
@domain_errors
def users_create(email, role, organisation_uid, password_stdin):
    """Create an account; the password is asked for (never given on the command line).

    Common, repetitive and sequential passwords and ones containing the e-mail
    address or "buurtkaart" are refused, saying why.
    """
    u = accounts.create_user(_db(), email, _read_password(password_stdin), role=role,
                             organisation_uid=organisation_uid)
    click.echo(f"created {u['role']} {u['email']}")


@users_.command("list")
def users_list():
    """List accounts with their role and organisation."""
    for u in accounts.users(_db()):
        state = "" if u["active"] else " (disabled)"
        click.echo(f"{u['email']}\t{u['role']}\t{u['organisation_name'] or '-'}{state}")


@users_.command("password")
@click.argument("email")
@_PASSWORD_STDIN
@domain_errors
def users_password(email, password_stdin):
    """Set a new password; every session logged in with the old one ends."""
    db = _db()
    u = accounts.user_by_email(db, email)
    accounts.set_password(db, u["id"], _read_password(password_stdin))
    click.echo(f"new password set for {u['email']}; its earlier sessions have ended")


def _access_command(name: str, active: bool, help_text: str) -> None:
    @users_.command(name, help=help_text)
    @click.argument("email")
    @domain_errors
    def command(email):
        db = _db()
        u = accounts.set_active(db, accounts.user_by_email(db, email)["id"], active)
        click.echo(f"{name}d {u['email']}")


_access_command("disable", False, "Disable an account: it cannot log in, its sessions end and "
                                  "its tokens stop working.")
_access_command("enable", True, "Enable a disabled account again (its unexpired, unrevoked "
                                "tokens work again).")


@users_.command("token")
@click.argument("email")
@click.option("--name", default="", help="What the token is for.")
@click.option("--expires-days", type=click.IntRange(min=1), default=accounts.TOKEN_DAYS,
              show_default=True, help="Days until the token stops working.")
@domain_errors
def users_token(email, name, expires_days):
    """Create an API token for writes; it is shown once."""
    db = _db()
    u = accounts.user_by_email(db, email)
    secret = accounts.create_token(db, u["id"], name=name, expires_days=expires_days)
    click.echo(secret)
    expires = accounts.tokens(db, u["id"])[0]["expires_at"]
    click.echo(f"expires {expires}; keep it secret, it is not shown again", err=True)


@users_.command("tokens")
@click.argument("email")
@domain_errors
def users_tokens(email):
    """List an account's API tokens (tab-separated; never the secret)."""
    db = _db()
    click.echo("\t".join(("id", "name", "created", "last used", "expires", "revoked")))
    for t in accounts.tokens(db, accounts.user_by_email(db, email)["id"]):
        click.echo("\t".join(str(t[k] if t[k] not in (None, "") else "-") for k in (
            "id", "name", "created_at", "last_used_at", "expires_at", "revoked_at")))


@users_.command("revoke")
@click.argument("email")
@click.argument("token", metavar="NAME-OR-ID")
@domain_errors
def users_revoke(email, token):
    """Revoke an account's API token, named by its name or its id (see `users tokens`)."""
    db = _db()
    u = accounts.user_by_email(db, email)
    mine = accounts.tokens(db, u["id"])
    chosen = [t for t in mine if str(t["id"]) == token] or \
        [t for t in mine if t["name"] == token and t["revoked_at"] is None]
    if not chosen:
        raise click.ClickException(f"{u['email']} has no unrevoked token named or numbered "
                                   f"{token!r} (see `buurtkaart users tokens {u['email']}`)")
    if len(chosen) > 1:
        ids = ", ".join(str(t["id"]) for t in chosen)
        raise click.ClickException(f"{len(chosen)} tokens of {u['email']} are named {token!r} "
                                   f"(ids {ids}); revoke one by its id")
    t = accounts.revoke_token(db, chosen[0]["id"])
    click.echo(f"revoked token {t['id']} ({t['name'] or 'unnamed'}) of {u['email']}")
