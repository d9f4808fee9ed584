"""The site's login (sessions themselves: ``web.accounts``)::

    GET  /connexion             the form (?suite=/path: where to go afterwards, this site only)
    POST /connexion             checks name and password, opens a session
    POST /deconnexion           ends it (recorded in the store: every replica knows)
    GET  /curation/connexion    → /connexion?suite=/curation (the editors' former login)
    POST /curation/connexion, /curation/deconnexion: the same as above, for old forms

The form is protected by a short-lived signed cookie holding its token, spent once. Wrong
passwords are slowed down per client and per account name (``web.guard``). The password is
an account's (argon2id, ``veille.passwords``), or ``VEILLE_ADMIN_TOKEN`` while no editor
account exists (the upgrade path: an editor session without an account).
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from veille.models import Account, account_name
from veille.passwords import verify_password
from veille.render.email import one_line
from veille.render.mail_pages import LoginPage
from veille.signing import same
from veille.web import oidc, state
from veille.web.accounts import (
    LOGIN,
    LOGIN_PATH,
    LOGIN_TTL,
    SESSION,
    clear_session,
    csrf_ok,
    editor,
    expiry,
    open_session,
    read_form,
    safe_suite,
    session,
    set_cookie,
    signer,
    unavailable,
    unsign,
)
from veille.web.guard import client_of, too_many
from veille.web.mail_pages import error, page

__all__ = ["LOGIN", "SESSION", "csrf_ok", "editor", "read_form", "router", "session"]

router = APIRouter(include_in_schema=False)
router.include_router(oidc.router)  # /connexion/oidc… before nothing else claims them
EDITOR_MAX = 60  # characters of an editor's name
NAME_MAX = 64  # characters of an account name (``models.ACCOUNT_NAME``)


@router.get(LOGIN_PATH, response_class=HTMLResponse)
def login_form(request: Request) -> Response:
    if (down := unavailable(request)) is not None:
        return down
    return _login_page(request, suite=request.query_params.get("suite", ""))


@router.get("/curation/connexion")
def curation_login(request: Request) -> Response:
    return RedirectResponse(f"{LOGIN_PATH}?suite=/curation", status_code=303)


@router.post(LOGIN_PATH, response_class=HTMLResponse)
@router.post("/curation/connexion", response_class=HTMLResponse)
async def login(request: Request) -> Response:
    if (down := unavailable(request)) is not None:
        return down
    guard, client = request.app.state.guard, client_of(request.scope)
    form = await read_form(request)
    suite = form.get("suite", "")
    name = one_line(form.get("name", ""))[:EDITOR_MAX]
    keys = (client, "compte:" + name.lower()[:NAME_MAX])  # per client and per account name
    if wait := max(guard.wait(k) for k in keys):
        response = _login_page(request, too_many(wait).capitalize() + ".", 429, suite, name)
        response.headers["Retry-After"] = str(wait)
        return response
    expected = unsign(request, "login", request.cookies.get(LOGIN, ""))
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
    found = _authenticate(request, name, form.get("password", ""))
    if found is None:
        for k in keys:
            guard.failed(k)
        return _login_page(request, "Nom ou mot de passe incorrect.", 401, suite, name)
    for k in keys:
        guard.succeeded(k)
    account, version = found
    if account is not None and account.disabled:
        return _login_page(request, "Ce compte est désactivé.", 403, suite, name)
    default = "/" if account is not None and not account.editor else "/curation"
    response = RedirectResponse(safe_suite(suite) or default, status_code=303)
    who = account.shown_name if account is not None else name
    open_session(request, response, account, version, who)
    return response


def _authenticate(request: Request, name: str, password: str) -> tuple[Account | None, int] | None:
    """``(account, secret_version)`` when the password is the account's; ``(None, 0)`` when
    it is the admin token and no editor account exists yet; None otherwise. A hash is
    verified whatever the name (a dummy one for an unknown name: same time)."""
    store = state.store(request)
    try:
        found = store.credentials(account_name(name)) if name else None
    except ValueError:  # not an account name: perhaps an editor's name with the admin token
        found = None
    stored = found[1] if found is not None else None
    if verify_password(stored, password) and found is not None:
        return found[0], found[3]
    token = state.settings(request).admin_token
    if token and same(password, token) and not store.has_editor():
        return None, 0
    return None


@router.post("/deconnexion")
@router.post("/curation/deconnexion")
async def logout(request: Request) -> Response:
    found = session(request)
    if found is None or not csrf_ok(await read_form(request), found):
        return error(request, 403, "Action refusée", "Jeton de formulaire absent ou invalide.")
    until = datetime.fromtimestamp(int(found["exp"]), UTC)
    state.store(request).revoke_session(found["sid"], until, state.now(request))
    response = RedirectResponse(LOGIN_PATH, status_code=303)
    clear_session(response)
    return response


def _login_page(
    request: Request, problem: str = "", status: int = 200, suite: str = "", name: str = ""
) -> Response:
    csrf = secrets.token_urlsafe(24)
    token = signer(request, "login").sign({"csrf": csrf, "exp": expiry(request, LOGIN_TTL)})
    settings, store = state.settings(request), state.store(request)
    admin = bool(settings.admin_token) and not store.has_editor()
    login_page = LoginPage(
        csrf=csrf,
        error=problem,
        suite=safe_suite(suite) or "",
        name=name,
        admin_token=admin,
        oidc=oidc.configured(request),
    )
    response = page(request, login_page, status)
    set_cookie(request, response, LOGIN, token)
    return response
