"""Web sessions of accounts: who is logged in, and what a page asks of them.

A session is a cookie (``veille_session``, path ``/``) signed with VEILLE_SECRET_KEY that
carries the account's id and ``secret_version``, a session id (what logout revokes, in the
store: every replica knows) and a synchroniser CSRF token. Each request checks it with one
read of the account (``Store.active_account``): a disabled account, or a new password,
ends its sessions at once — no password hash is verified per request (``veille.passwords``
is for the login only).

The upgrade path: while the store has no enabled editor account, ``VEILLE_ADMIN_TOKEN`` opens
an editor session without an account (``acc`` absent, ``pw``: the token's fingerprint, so a
new token ends it); the first editor account ends those sessions.

For the pages: ``current_account`` (the account and its session data, with ``"csrf"``),
``require_account`` (None, or the answer: the way to /connexion, or a 403 page), and the form
helpers ``read_form`` / ``csrf_ok``.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, quote

from fastapi import Request, Response
from fastapi.responses import RedirectResponse

from veille.models import Account, Role
from veille.signing import Signer, TokenError, fingerprint, same, secret_problem, signer_for
from veille.web import state
from veille.web.mail_pages import error

SESSION, LOGIN = "veille_session", "veille_login"
SESSION_TTL = timedelta(hours=12)
LOGIN_TTL = timedelta(minutes=30)  # a login page's form
ANONYMOUS = "équipe"  # who, for an editor who gave no name
LOGIN_PATH = "/connexion"
SUITE_MAX = 2000  # characters of a ``?suite=`` path


def unavailable(request: Request) -> Response | None:
    """The 503 page when VEILLE_SECRET_KEY cannot sign sessions (said in French), else None."""
    problem = secret_problem(state.settings(request).secret_key)
    return error(request, 503, "Connexion indisponible", problem) if problem else None


def session(request: Request) -> dict[str, Any] | None:
    """The session of this request: signed, unexpired, not ended by a logout, of an enabled
    account at its current ``secret_version`` (or an admin-token session still allowed).
    Checked once per request (kept on ``request.state``)."""
    if hasattr(request.state, "veille_session"):
        return request.state.veille_session  # type: ignore[no-any-return]
    found = _check(request)
    request.state.veille_session = found
    return found


def _check(request: Request) -> dict[str, Any] | None:
    data = unsign(request, "session", request.cookies.get(SESSION, ""))
    if data is None or not all(isinstance(data.get(k), str) for k in ("csrf", "sid")):
        return None
    store = state.store(request)
    if isinstance(data.get("acc"), int):
        active = store.active_account(data["acc"])
        if active is None or active[1] != data.get("v"):
            return None
        data["account"] = active[0]
    else:
        token = state.settings(request).admin_token
        pw = data.get("pw")
        if not token or not isinstance(pw, str) or not same(pw, fingerprint(token)):
            return None
        if store.has_editor():
            return None  # accounts took over from the admin token
    return None if store.session_revoked(data["sid"]) else data


def current_account(request: Request) -> tuple[Account, dict[str, Any]] | None:
    """The logged-in account and its session data (``"csrf"``: the forms' token); None for
    no session, and for an admin-token session (an editor without an account)."""
    data = session(request)
    if data is None or not isinstance(data.get("account"), Account):
        return None
    return data["account"], data


def role_of(data: dict[str, Any]) -> Role:
    account = data.get("account")
    return account.role if isinstance(account, Account) else "editeur"


def require_account(request: Request, role: Role | None = None) -> Response | None:
    """None when the request may go on; else its answer: 503 without a usable secret key,
    the way to /connexion (coming back here afterwards) without a session, a 403 page when
    ``role`` is ``editeur`` and the account only reads."""
    if (down := unavailable(request)) is not None:
        return down
    data = session(request)
    if data is None:
        return RedirectResponse(login_url(request), status_code=303)
    if role == "editeur" and role_of(data) != "editeur":
        return error(
            request,
            403,
            "Accès réservé aux éditeurs",
            "Votre compte permet de lire la veille, pas de préparer les lettres : "
            "demandez le rôle « éditeur » à l'administrateur.",
        )
    return None


def login_url(request: Request) -> str:
    """/connexion, with the page asked for as ``?suite=``."""
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return f"{LOGIN_PATH}?suite={quote(here, safe='/')}"


def safe_suite(suite: str) -> str | None:
    """A path of this site to go to after login, else None (another site, a scheme…)."""
    if (
        not suite.startswith("/")
        or suite.startswith("//")
        or "\\" in suite
        or len(suite) > SUITE_MAX
        or any(ord(c) < 0x20 or ord(c) == 0x7F for c in suite)
    ):
        return None
    return suite


def editor(session: dict[str, Any]) -> str:
    """Who signs an editor's corrections: the account's shown name, or the name given at
    an admin-token login (« équipe » without one)."""
    who = session.get("who")
    return who if isinstance(who, str) and who else ANONYMOUS


def csrf_ok(form: dict[str, str], session: dict[str, Any]) -> bool:
    """The form repeats its session's CSRF token (constant-time comparison)."""
    return same(form.get("csrf", ""), str(session["csrf"]))


async def read_form(request: Request) -> dict[str, str]:
    """An urlencoded form (first value of each field); its size is capped while it is read
    (``bodies.BodyGuard``: 413 beyond ``FORM_LIMIT``)."""
    body = await request.body()
    fields = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    return {k: v[0] for k, v in fields.items()}


# --- opening and ending sessions -----------------------------------------------------------------


def open_session(
    request: Request, response: Response, account: Account | None, version: int, who: str
) -> None:
    """Set the session cookie of ``account`` at ``version`` (None: an admin-token editor)."""
    data: dict[str, Any] = {
        "who": who,
        "csrf": secrets.token_urlsafe(24),
        "exp": expiry(request, SESSION_TTL),
        "sid": secrets.token_urlsafe(16),
    }
    if account is None:
        data["pw"] = fingerprint(state.settings(request).admin_token)
    else:
        data |= {"acc": account.id, "v": version}
    set_cookie(request, response, SESSION, signer(request, "session").sign(data))
    response.delete_cookie(SESSION, path="/curation")  # a cookie of the editors-only login
    response.delete_cookie(LOGIN, path="/")


def clear_session(response: Response) -> None:
    for path in ("/", "/curation"):
        response.delete_cookie(SESSION, path=path)


# --- signed cookies -------------------------------------------------------------------------------


def signer(request: Request, purpose: str) -> Signer:
    return signer_for(state.settings(request), purpose)


def expiry(request: Request, ttl: timedelta) -> int:
    return int((state.now(request) + ttl).timestamp())


def unsign(request: Request, purpose: str, token: str) -> dict[str, Any] | None:
    """The data of a valid, unexpired token; None otherwise."""
    if not token or secret_problem(state.settings(request).secret_key):
        return None
    try:
        data = signer(request, purpose).unsign(token)
    except TokenError:
        return None
    if not isinstance(data, dict) or int(data.get("exp", 0)) < state.now(request).timestamp():
        return None
    return data


def set_cookie(request: Request, response: Response, name: str, value: str) -> None:
    response.set_cookie(
        name,
        value,
        max_age=int(SESSION_TTL.total_seconds()),
        path="/",
        httponly=True,
        samesite="lax",
        secure=state.settings(request).base_url.startswith("https://"),
    )
