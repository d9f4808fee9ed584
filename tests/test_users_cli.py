"""``veille users …`` through the real command (in-process with Typer's runner for typed
passwords, as a subprocess for the scripted ones): French messages, exit codes, hashes
that the login verifies."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from argon2 import extract_parameters
from typer.testing import CliRunner

from tests.conftest import veille_env
from veille.cli.app import app
from veille.passwords import PROFILE, verify_password
from veille.store import Store

runner = CliRunner()


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'v.db'}"
    monkeypatch.setenv("VEILLE_DATABASE_URL", url)
    monkeypatch.setenv("VEILLE_CONFIG", str(tmp_path / "absent.yaml"))  # not needed by users
    return url


def credentials(url: str, name: str) -> tuple[object, str | None, str | None, int]:
    store = Store(url)
    try:
        found = store.credentials(name)
    finally:
        store.close()
    assert found is not None
    return found


def test_add_asks_twice_and_stores_an_argon2_hash(db: str) -> None:
    r = runner.invoke(
        app, ["users", "add", "Claire", "--role", "éditeur", "--nom", "Claire D."],
        input="mot de passe long\nmot de passe long\n",
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "Compte « claire » créé (éditeur)." in r.output
    assert "mot de passe long" not in r.output  # never echoed
    account, web, api, version = credentials(db, "claire")
    assert account.role == "editeur" and account.display_name == "Claire D."  # type: ignore[attr-defined]
    assert web and web.startswith("$argon2id$") and verify_password(web, "mot de passe long")
    assert api is None and version == 1
    # A taken name is said before any password is asked (nothing typed here)
    r = runner.invoke(app, ["users", "add", "claire"], input="")
    assert r.exit_code == 1 and "existe déjà" in r.output
    assert "saisies" not in r.output and credentials(db, "claire")[3] == 1


@pytest.mark.parametrize(
    ("args", "typed", "message"),
    [
        (["users", "add", "Clé"], "", "nom de compte invalide"),
        (["users", "add", "bob", "--role", "admin"], "", "rôle inconnu"),
        (["users", "add", "bob"], "mot de passe A\nmot de passe B\n", "Les deux saisies diffèrent"),
        (["users", "add", "bob"], "court\ncourt\n", "Mot de passe trop court"),
    ],
)
def test_bad_usage_is_exit_2_and_creates_nothing(
    db: str, args: list[str], typed: str, message: str
) -> None:
    r = runner.invoke(app, args, input=typed)
    assert r.exit_code == 2 and message in r.output, r.output
    store = Store(db)
    store.migrate()
    assert store.accounts() == []
    store.close()


def test_scripted_accounts_through_the_installed_command(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'v.db'}"
    env = veille_env(VEILLE_DATABASE_URL=url)

    def veille(*args: str, stdin: str = "") -> tuple[int, str]:
        import subprocess
        import sys

        done = subprocess.run(
            [sys.executable, "-m", "veille", *args], input=stdin, cwd=tmp_path, env=env,
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        return done.returncode, done.stdout + done.stderr

    code, said = veille("users", "add", "louis", "--mot-de-passe-stdin", stdin="lecture-seule-42\n")
    assert code == 0 and "Compte « louis » créé (lecteur)." in said
    code, said = veille("users", "list", "--json")
    listed = json.loads(said)["accounts"]
    assert [(a["name"], a["role"], a["disabled"], a["password"], a["api_password"])
            for a in listed] == [("louis", "lecteur", False, True, False)]  # fmt: skip
    code, said = veille("users", "api-password", "louis")
    assert code == 0 and "il ne sera plus affiché" in said
    shown = said.strip().splitlines()[-1]
    _, web, api, version = credentials(url, "louis")
    assert verify_password(api, shown) and version == 2
    # A real ``veille`` process hashes at production cost (this one's tests hash cheaply).
    assert web and api and extract_parameters(web) == extract_parameters(api) == PROFILE
    code, said = veille("users", "api-password", "louis", "--stdin", stdin="choisi-par-moi-1\n")
    assert code == 0 and verify_password(credentials(url, "louis")[2], "choisi-par-moi-1")
    code, said = veille(
        "users", "passwd", "louis", "--mot-de-passe-stdin", stdin="nouveau-mdp-99\n"
    )
    assert code == 0 and "sessions ouvertes sont fermées" in said
    assert verify_password(credentials(url, "louis")[1], "nouveau-mdp-99")
    code, said = veille("users", "disable", "louis")
    assert code == 0 and "désactivé" in said
    code, said = veille("users", "list")
    assert "louis" in said and "désactivé" in said
    code, said = veille("users", "enable", "louis")
    assert code == 0 and "réactivé" in said
    for command in ("disable", "enable", "passwd", "api-password"):
        code, said = veille("users", command, "personne")
        assert code == 1 and "Compte inconnu : « personne »" in said, command


def test_list_without_accounts_says_how_to_start(db: str) -> None:
    r = runner.invoke(app, ["users", "list"])
    assert r.exit_code == 0 and "veille users add NOM --role editeur" in r.output
