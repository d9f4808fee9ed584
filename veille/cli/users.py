"""``veille users …``: the accounts (readers and editors) and their passwords.

Passwords are typed twice without being shown (or read from the standard input with
``--mot-de-passe-stdin``, for scripts); only their argon2id hash is stored
(``veille.passwords``). Exit codes: 0 done, 1 refused by the state of the store (a name
taken, an unknown account), 2 bad usage (an invalid name, role or password).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from rich.table import Table

from veille.cli.common import _fail, _open_database, _out, _settings, out
from veille.models import ROLE_LABELS, Role, account_name, parse_role
from veille.passwords import hash_password, new_api_password, password_problem
from veille.store import Store

users_app = typer.Typer(help="Comptes : lecteurs et éditeurs.", no_args_is_help=True)

STDIN_HELP = "Lit le mot de passe sur l'entrée standard (une ligne) au lieu de le demander."


def _name(text: str) -> str:
    try:
        return account_name(text)
    except ValueError as e:
        _fail(str(e))


def _role(text: str) -> Role:
    try:
        return parse_role(text)
    except ValueError as e:
        _fail(str(e))


def _read_password(from_stdin: bool, what: str = "Mot de passe") -> str:
    """A new password: one line of stdin, or typed twice without echo; exit 2 when it is
    refused (too short, the two differ)."""
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt(what, hide_input=True)
        if typer.prompt("Confirmez-le", hide_input=True) != password:
            _fail("Les deux saisies diffèrent : rien n'est changé.")
    if problem := password_problem(password):
        _fail(problem[0].upper() + problem[1:] + " : rien n'est changé.")
    return password


def _store() -> Store:
    return _open_database(_settings())


def _switch(name: str, *, enabled: bool) -> str:
    """Enable or disable an account; its login. Exit 1 when it does not exist."""
    login = name.strip().lower()
    store = _store()
    try:
        change = store.enable_account if enabled else store.disable_account
        change(login, datetime.now(UTC))
    except ValueError as e:
        _fail(f"{str(e).capitalize()}.", 1)
    finally:
        store.close()
    return login


def _set_secret(name: str, read: Callable[[], str], *, api: bool = False) -> tuple[str, str]:
    """Set an account's web (or API) password to ``read()``, asked once the account is known
    to exist (exit 1 otherwise); the login and the password."""
    login = name.strip().lower()
    store = _store()
    try:
        if store.account(login) is None:
            _fail(f"Compte inconnu : « {login} ».", 1)
        password = read()
        change = store.set_api_password if api else store.set_password
        change(login, hash_password(password), datetime.now(UTC))
    finally:
        store.close()
    return login, password


@users_app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="Identifiant (minuscules, chiffres, . _ @ -).")],
    role: Annotated[str, typer.Option("--role", help="lecteur ou éditeur.")] = "lecteur",
    display_name: Annotated[str, typer.Option("--nom", help="Nom affiché.")] = "",
    from_stdin: Annotated[bool, typer.Option("--mot-de-passe-stdin", help=STDIN_HELP)] = False,
) -> None:
    """Crée un compte (le mot de passe est demandé deux fois)."""
    login, chosen = _name(name), _role(role)
    password = _read_password(from_stdin)
    store = _store()
    try:
        now = datetime.now(UTC)
        try:
            store.add_account(login, chosen, display_name, now=now)
        except ValueError as e:
            _fail(f"{str(e).capitalize()}.", 1)
        store.set_password(login, hash_password(password), now)
    finally:
        store.close()
    _out(f"Compte « {login} » créé ({ROLE_LABELS[chosen]}).")


@users_app.command("list")
def list_accounts(
    as_json: Annotated[bool, typer.Option("--json", help="Sortie JSON.")] = False,
) -> None:
    """Liste les comptes."""
    settings = _settings()
    store = _open_database(settings)
    try:
        rows = [store.credentials(a.name) for a in store.accounts()]
    finally:
        store.close()
    found = [r for r in rows if r is not None]
    if as_json:
        listed = [
            {
                "name": a.name,
                "display_name": a.display_name,
                "role": a.role,
                "disabled": a.disabled,
                "created_at": a.created_at.isoformat(),
                "password": web is not None,
                "api_password": api is not None,
            }
            for a, web, api, _ in found
        ]
        sys.stdout.write(json.dumps({"accounts": listed}, ensure_ascii=False, indent=2) + "\n")
        return
    if not found:
        _out("Aucun compte. Créez-en un : veille users add NOM --role editeur")
        return
    tz = ZoneInfo(settings.timezone)
    table = Table("compte", "nom affiché", "rôle", "état", "créé le", "mot de passe API")
    for a, _web, api, _ in found:
        table.add_row(
            a.name,
            a.display_name,
            ROLE_LABELS[a.role],
            "désactivé" if a.disabled else "actif",
            a.created_at.astimezone(tz).strftime("%d/%m/%Y"),
            "oui" if api else "non",
        )
    out.print(table)


@users_app.command("disable")
def disable(name: Annotated[str, typer.Argument(help="Le compte.")]) -> None:
    """Désactive un compte : ses sessions et jetons cessent aussitôt (ses données restent)."""
    login = _switch(name, enabled=False)
    _out(f"Compte « {login} » désactivé : ses sessions sont fermées.")


@users_app.command("enable")
def enable(name: Annotated[str, typer.Argument(help="Le compte.")]) -> None:
    """Réactive un compte désactivé."""
    _out(f"Compte « {_switch(name, enabled=True)} » réactivé.")


@users_app.command("passwd")
def passwd(
    name: Annotated[str, typer.Argument(help="Le compte.")],
    from_stdin: Annotated[bool, typer.Option("--mot-de-passe-stdin", help=STDIN_HELP)] = False,
) -> None:
    """Change le mot de passe d'un compte (ses sessions ouvertes se ferment)."""
    login, _ = _set_secret(name, lambda: _read_password(from_stdin, "Nouveau mot de passe"))
    _out(f"Mot de passe de « {login} » changé : ses sessions ouvertes sont fermées.")


@users_app.command("api-password")
def api_password(
    name: Annotated[str, typer.Argument(help="Le compte.")],
    from_stdin: Annotated[
        bool, typer.Option("--stdin", help="Lit le mot de passe API sur l'entrée standard.")
    ] = False,
) -> None:
    """Crée le mot de passe des applications (API Google Reader) : il n'est montré qu'une fois."""
    chosen = (lambda: _read_password(True)) if from_stdin else new_api_password
    login, password = _set_secret(name, chosen, api=True)
    if from_stdin:
        _out(f"Mot de passe API de « {login} » enregistré.")
        return
    _out(f"Mot de passe API de « {login} » (il ne sera plus affiché) :")
    _out(password)
