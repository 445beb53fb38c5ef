"""Weak passwords are refused with the reason in words (NIST SP 800-63B 5.1.1.2), in the
command line and in the accounts page; strong passphrases are accepted."""

from __future__ import annotations

import pytest
from test_web_editing import _csrf, login, setup  # noqa: F401

from buurtkaart import accounts, store
from buurtkaart.cli import main

WEAK = [
    ("aaaaaaaaaa", "repeats"),
    ("          ", "repeats"),
    ("1234567890", "commonly used password"),
    ("abcdefghijkl", "sequence"),
    ("qwertyuiop", "commonly used password"),
    ("Password123!", "commonly used password"),
    ("buurtkaart2024", "name of this service"),
    ("nieuw@stad.be1", "e-mail address"),
    ("nieuwnieuwnieuw", "repeats"),
    ("short", "at least 10 characters"),
]
STRONG = ["correct horse battery", "Bibliotheek Ledeberg op dinsdag", "zeven lome walvissen"]


@pytest.mark.parametrize("password,reason", WEAK)
def test_cli_refuses_weak_passwords_saying_why(runner, db_path, password, reason):
    result = runner.invoke(main, ["users", "create", "--admin", "nieuw@stad.be",
                                  "--password-stdin"], input=password + "\n")
    assert result.exit_code == 1
    assert "password" in result.stderr and reason in result.stderr, result.stderr
    db = store.connect(db_path)
    assert db.execute("SELECT count(*) FROM users").fetchone()[0] == 0


@pytest.mark.parametrize("password", STRONG)
def test_strong_passphrases_are_accepted(runner, db_path, password):
    result = runner.invoke(main, ["users", "create", "--admin", "nieuw@stad.be",
                                  "--password-stdin"], input=password + "\n")
    assert result.exit_code == 0, result.output
    assert accounts.authenticate(store.connect(db_path), "nieuw@stad.be", password)


def test_new_password_is_checked_too(runner, setup):
    result = runner.invoke(main, ["users", "password", "admin@stad.be", "--password-stdin"],
                           input="admin@stad.be\n")
    assert result.exit_code == 1 and "e-mail address" in result.stderr


@pytest.mark.parametrize("password,reason", [("aaaaaaaaaa", "repeats"),
                                             ("1234567890", "commonly used password"),
                                             ("buurtkaart!!", "name of this service")])
def test_accounts_page_refuses_weak_passwords_saying_why(client, setup, password, reason):
    login(client, "admin@stad.be")
    resp = client.post("/admin/users", data={"email": "nieuw@stad.be", "password": password,
                                             "role": "admin", "csrf_token": _csrf(client)})
    assert resp.status_code == 400
    text = resp.get_data(as_text=True)
    assert "too easy to guess" in text and reason in text
    assert "nieuw@stad.be" not in client.get("/admin/users").get_data(as_text=True)
