"""Editors' login for the curation pages::

    GET  /curation/connexion     the form (password = VEILLE_ADMIN_TOKEN)
    POST /curation/connexion     opens a session
    POST /curation/deconnexion   ends it (recorded in the store: every replica knows)

A session is a cookie signed with VEILLE_SECRET_KEY (HttpOnly, SameSite=Lax, Secure when
VEILLE_BASE_URL is https, 12 h) that carries a synchroniser CSRF token: every form repeats
it and a POST without the right one is refused (403). The login form itself is protected by
a short-lived signed cookie holding its token, spent once. Wrong passwords are slowed down
per client (``web.guard``).
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from veille.render.email import one_line
from veille.render.mail_pages import LoginPage
from veille.signing import Signer, TokenError, fingerprint, same, secret_problem, signer_for
from veille.web import state
from veille.web.guard import client_of, too_many
from veille.web.mail_pages import error, page

router = APIRouter(include_in_schema=False)
SESSION, LOGIN = "veille_session", "veille_login"
SESSION_TTL = timedelta(hours=12)
LOGIN_TTL = timedelta(minutes=30)  # a login page's form
EDITOR_MAX = 60  # characters of an editor's name
ANONYMOUS = "équipe"  # who, for an editor who gave no name


@router.get("/curation/connexion", response_class=HTMLResponse)
def login_form(request: Request) -> Response:
    if (down := unavailable(request)) is not None:
        return down
    return _login_page(request)


@router.post("/curation/connexion", response_class=HTMLResponse)
async def login(request: Request) -> Response:
    if (down := unavailable(request)) is not None:
        return down
    guard, client = request.app.state.guard, client_of(request.scope)
    if wait := guard.wait(client):
        response = _login_page(request, too_many(wait).capitalize() + ".", 429)
        response.headers["Retry-After"] = str(wait)
        return response
    form = await read_form(request)
    expected = _unsign(request, "login", request.cookies.get(LOGIN, ""))
    csrf = str((expected or {}).get("csrf", ""))
    if (
        expected is None
        or not same(form.get("csrf", ""), csrf)
        # Single use: each attempt needs a fresh login page.
        or not request.app.state.once.spend(csrf, float(expected.get("exp", 0)))
    ):
        return error(
            request, 403, "Formulaire expiré", "Rechargez la page de connexion et recommencez."
        )
    configured = request.app.state.settings.admin_token
    if not configured or not same(form.get("password", ""), configured):
        guard.failed(client)
        return _login_page(request, "Mot de passe incorrect.", 401)
    guard.succeeded(client)
    data = {
        "who": one_line(form.get("name", ""))[:EDITOR_MAX],  # recorded with corrections
        "csrf": secrets.token_urlsafe(24),
        "exp": _expiry(request, SESSION_TTL),
        "sid": secrets.token_urlsafe(16),  # what logout revokes
        "pw": fingerprint(configured),  # a new password ends every session
    }
    response = RedirectResponse("/curation", status_code=303)
    _set_cookie(request, response, SESSION, _signer(request, "session").sign(data))
    response.delete_cookie(LOGIN, path="/curation")
    return response


@router.post("/curation/deconnexion")
async def logout(request: Request) -> Response:
    found = session(request)
    if found is None or not csrf_ok(await read_form(request), found):
        return error(request, 403, "Action refusée", "Jeton de formulaire absent ou invalide.")
    until = datetime.fromtimestamp(int(found["exp"]), UTC)
    state.store(request).revoke_session(found["sid"], until, state.now(request))
    response = RedirectResponse("/curation/connexion", status_code=303)
    response.delete_cookie(SESSION, path="/curation")
    return response


# --- what the curation pages ask ----------------------------------------------------------------


def unavailable(request: Request) -> Response | None:
    """The 503 page when VEILLE_SECRET_KEY cannot sign sessions (said in French), else None."""
    problem = secret_problem(request.app.state.settings.secret_key)
    return error(request, 503, "Curation indisponible", problem) if problem else None


def session(request: Request) -> dict[str, str] | None:
    """The curation session of this request: signed, unexpired, opened with the current
    password, and not ended by a logout (checked in the store: every replica knows)."""
    data = _unsign(request, "session", request.cookies.get(SESSION, ""))
    if data is None or not all(isinstance(data.get(k), str) for k in ("csrf", "sid", "pw")):
        return None
    if not same(data["pw"], fingerprint(request.app.state.settings.admin_token)):
        return None
    return None if state.store(request).session_revoked(data["sid"]) else data


def require_session(request: Request) -> Response | None:
    """None for a logged-in editor; else the answer: 503 without a usable secret key, or
    the way to the login form."""
    if (down := unavailable(request)) is not None:
        return down
    if session(request) is None:
        return RedirectResponse("/curation/connexion", status_code=303)
    return None


def editor(session: dict[str, str]) -> str:
    """The name an editor gave at login (« équipe » without one): who made a correction."""
    who = session.get("who")
    return who if isinstance(who, str) and who else ANONYMOUS


def csrf_ok(form: dict[str, str], session: dict[str, str]) -> bool:
    """The form repeats its session's CSRF token (constant-time comparison)."""
    return same(form.get("csrf", ""), session["csrf"])


async def read_form(request: Request) -> dict[str, str]:
    """An urlencoded form (first value of each field); its size is capped while it is read
    (``bodies.BodyGuard``: 413 beyond ``FORM_LIMIT``)."""
    body = await request.body()
    fields = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    return {k: v[0] for k, v in fields.items()}


# --- signed cookies -------------------------------------------------------------------------------


def _signer(request: Request, purpose: str) -> Signer:
    return signer_for(request.app.state.settings, purpose)


def _expiry(request: Request, ttl: timedelta) -> int:
    return int((state.now(request) + ttl).timestamp())


def _unsign(request: Request, purpose: str, token: str) -> dict[str, Any] | None:
    """The data of a valid, unexpired token; None otherwise."""
    if not token or secret_problem(request.app.state.settings.secret_key):
        return None
    try:
        data = _signer(request, purpose).unsign(token)
    except TokenError:
        return None
    if not isinstance(data, dict) or int(data.get("exp", 0)) < state.now(request).timestamp():
        return None
    return data


def _login_page(request: Request, problem: str = "", status: int = 200) -> Response:
    csrf = secrets.token_urlsafe(24)
    token = _signer(request, "login").sign({"csrf": csrf, "exp": _expiry(request, LOGIN_TTL)})
    response = page(request, LoginPage(csrf=csrf, error=problem), status)
    _set_cookie(request, response, LOGIN, token)
    return response


def _set_cookie(request: Request, response: Response, name: str, value: str) -> None:
    response.set_cookie(
        name,
        value,
        max_age=int(SESSION_TTL.total_seconds()),
        path="/curation",
        httponly=True,
        samesite="lax",
        secure=request.app.state.settings.base_url.startswith("https://"),
    )
