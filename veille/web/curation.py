"""Editors' curation of the e-mailed digests: API and pages.

::

    GET    /api/v1/digests/{name}/curation            highlights, hidden entries, introduction
    PUT    /api/v1/digests/{name}/highlights/{entry}  {"note": "…"} coup de cœur (one line)
    DELETE /api/v1/digests/{name}/highlights/{entry}
    PUT    /api/v1/digests/{name}/hidden/{entry}      hide an entry from the digest
    DELETE /api/v1/digests/{name}/hidden/{entry}
    PUT    /api/v1/digests/{name}/introduction        {"text": "…"} of the next issue

    GET  /curation/connexion, POST (password = VEILLE_ADMIN_TOKEN), POST /curation/deconnexion
    GET  /curation, GET /curation/{name}, POST /curation/{name} (action=highlight|unhighlight|
         hide|unhide|introduction)

The API wants ``Authorization: Bearer $VEILLE_ADMIN_TOKEN`` (401 without, 403 when wrong;
constant-time comparison). Pages use a session cookie signed with VEILLE_SECRET_KEY
(HttpOnly, SameSite=Lax, Secure when VEILLE_BASE_URL is https, 12 h) that carries a
synchroniser CSRF token; every form repeats it and a POST without the right one is refused
(403). The login form itself is protected by a short-lived signed cookie holding its token.
"""

from __future__ import annotations

import secrets
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, quote
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, Field
from starlette.types import Scope

from veille.errors import MailError
from veille.mailing.issues import Prepared, choose_highlight, next_issue, prepared_issue
from veille.models import DigestSpec
from veille.render.email import MailEntry, one_line
from veille.render.html import SECURITY_HEADERS
from veille.render.json import rfc3339
from veille.render.mail_pages import CurationPage, LoginPage, MessagePage, Page, render_mail_page
from veille.signing import Signer, TokenError, fingerprint, same, secret_problem, signer_for
from veille.web import state
from veille.web.guard import Guard, bearer_refusal, too_many
from veille.web.pages import site_chrome

router = APIRouter(include_in_schema=False)
BACK = (("/", "Revenir à la veille"),)
SESSION, LOGIN = "veille_session", "veille_login"
SESSION_TTL = timedelta(hours=12)
LOGIN_TTL = timedelta(minutes=30)  # a login page's form
ACTIONS = frozenset({"highlight", "unhighlight", "hide", "unhide", "introduction"})


# --- the API --------------------------------------------------------------------------------


def admin_refusal(
    configured: str, authorization: str, guard: Guard, client: str
) -> HTTPException | None:
    """Why an API request may not go on (401/403/429), or None: ``Authorization: Bearer``
    with ``VEILLE_ADMIN_TOKEN`` (constant-time comparison), wrong tokens slowed down per
    client (``guard``)."""
    if not configured:
        return HTTPException(403, "curation désactivée : VEILLE_ADMIN_TOKEN n'est pas défini")
    return bearer_refusal(configured, authorization, guard, client, "jeton d'administration")


def client_of(scope: Scope) -> str:
    """The client's address (the proxy's, behind one that uvicorn does not trust)."""
    client = scope.get("client")
    return str(client[0]) if client else "?"


def require_admin(request: Request) -> None:
    refusal = admin_refusal(
        request.app.state.settings.admin_token,
        request.headers.get("authorization", ""),
        request.app.state.guard,
        client_of(request.scope),
    )
    if refusal is not None:
        raise refusal


api = APIRouter(prefix="/api/v1/digests/{name}", dependencies=[Depends(require_admin)])


class NoteIn(BaseModel):
    note: str = Field("", max_length=280)


class IntroductionIn(BaseModel):
    text: str = Field("", max_length=4000)


@api.get("/curation")
def get_curation(request: Request, name: str) -> dict[str, Any]:
    spec, s, settings = (
        _spec_or_404(request, name),
        state.store(request),
        request.app.state.settings,
    )
    content, prepared = next_issue(s, settings, state.config(request), name, state.now(request))
    return {
        "digest": spec.name,
        "next_issue": prepared.number,
        "period": {"start": rfc3339(prepared.period.start), "end": rfc3339(prepared.period.end)},
        "introduction": content.introduction,
        "highlights": [{"entry": h.id, "note": h.note} for h in content.highlights],
        "hidden": sorted(s.hidden_entries(spec.name), key=int),
    }


@api.put("/highlights/{entry}")
def put_highlight(request: Request, name: str, entry: str, body: NoteIn) -> dict[str, Any]:
    spec, note = _spec_or_404(request, name), one_line(body.note)
    try:
        chosen = choose_highlight(
            state.store(request), request.app.state.settings, spec, entry, note, state.now(request)
        )
    except MailError as e:
        raise HTTPException(409, str(e)) from e
    if not chosen:
        raise HTTPException(404, f"article inconnu : {entry}")
    return {"entry": entry, "note": note}


@api.delete("/highlights/{entry}", status_code=204)
def delete_highlight(request: Request, name: str, entry: str) -> Response:
    state.store(request).remove_highlight(_spec_or_404(request, name).name, entry)
    return Response(status_code=204)


@api.put("/hidden/{entry}", status_code=204)
def put_hidden(request: Request, name: str, entry: str) -> Response:
    if not state.store(request).hide_entry(
        _spec_or_404(request, name).name, entry, state.now(request)
    ):
        raise HTTPException(404, f"article inconnu : {entry}")
    return Response(status_code=204)


@api.delete("/hidden/{entry}", status_code=204)
def delete_hidden(request: Request, name: str, entry: str) -> Response:
    state.store(request).unhide_entry(_spec_or_404(request, name).name, entry, state.now(request))
    return Response(status_code=204)


@api.put("/introduction")
def put_introduction(request: Request, name: str, body: IntroductionIn) -> dict[str, Any]:
    spec, s = _spec_or_404(request, name), state.store(request)
    number = _prepared(request, spec).number
    s.set_introduction(spec.name, number, body.text, state.now(request))
    return {"issue": number, "text": s.introduction(spec.name, number)}


router.include_router(api)


# --- the pages ------------------------------------------------------------------------------


@router.get("/curation/connexion", response_class=HTMLResponse)
def login_form(request: Request) -> Response:
    if (down := _unavailable(request)) is not None:
        return down
    return _login_page(request)


@router.post("/curation/connexion", response_class=HTMLResponse)
async def login(request: Request) -> Response:
    if (down := _unavailable(request)) is not None:
        return down
    guard, client = request.app.state.guard, client_of(request.scope)
    if wait := guard.wait(client):
        response = _login_page(request, too_many(wait).capitalize() + ".", 429)
        response.headers["Retry-After"] = str(wait)
        return response
    form = await _form(request)
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
    session = _session(request)
    if session is None or not same((await _form(request)).get("csrf", ""), session["csrf"]):
        return error(request, 403, "Action refusée", "Jeton de formulaire absent ou invalide.")
    until = datetime.fromtimestamp(int(session["exp"]), UTC)
    state.store(request).revoke_session(session["sid"], until, state.now(request))
    response = RedirectResponse("/curation/connexion", status_code=303)
    response.delete_cookie(SESSION, path="/curation")
    return response


@router.get("/curation", response_class=HTMLResponse)
def curation_index(request: Request) -> Response:
    if (refused := _require_session(request)) is not None:
        return refused
    links = tuple(
        (f"/curation/{quote(d.name, safe='')}", d.title) for d in state.config(request).digests
    )
    return page(
        request, MessagePage("Curation des lettres", "Choisissez une sélection :", links=links)
    )


@router.get("/curation/{name}", response_class=HTMLResponse)
def curation_page(request: Request, name: str) -> Response:
    if (refused := _require_session(request)) is not None:
        return refused
    spec = _spec(request, name)
    if spec is None:
        return error(request, 404, "Sélection introuvable", f"Aucune sélection « {name} ».")
    s, session = state.store(request), _session(request)
    assert session is not None
    content, _ = next_issue(
        s, request.app.state.settings, state.config(request), name, state.now(request), 200
    )
    hidden = [s.get_entry(int(i)) for i in sorted(s.hidden_entries(name), key=int)]
    return page(
        request,
        CurationPage(
            title=f"Curation : {spec.title}",
            action=f"/curation/{quote(name, safe='')}",
            csrf=session["csrf"],
            number=content.number,
            period=content.period_label,
            introduction=content.introduction,
            highlights=content.highlights,
            entries=tuple(e for sec in content.sections for e in sec.entries),
            hidden=tuple(MailEntry(e.id, e.title, e.url, e.feed_title, "") for e in hidden if e),
            archives_href=f"/digests/{quote(name, safe='')}/archive",
            nav=(("/curation", "Curation"),),
        ),
    )


@router.post("/curation/{name}")
async def curate(request: Request, name: str) -> Response:
    session = _session(request)  # before reading the body: no session, nothing is read
    if session is None:
        return error(
            request, 401, "Connexion requise", "Connectez-vous pour modifier la sélection."
        )
    form = await _form(request)
    if not same(form.get("csrf", ""), session["csrf"]):
        return error(request, 403, "Action refusée", "Jeton de formulaire absent ou invalide.")
    spec, action, entry = _spec(request, name), form.get("action", ""), form.get("entry", "")
    if spec is None or action not in ACTIONS:
        return error(request, 400, "Action inconnue", "Cette action n'existe pas.")
    try:
        done = _apply(request, spec, action, form)
    except MailError as e:
        return error(request, 409, "Article hors de la période", str(e))
    if not done:
        return error(request, 404, "Article introuvable", f"Aucun article « {entry} ».")
    return RedirectResponse(f"/curation/{quote(name, safe='')}", status_code=303)


def _apply(request: Request, spec: DigestSpec, action: str, form: dict[str, str]) -> bool:
    """One editor's action; False when the entry does not exist, MailError (French) when a
    highlight is outside the issue being prepared."""
    s, name, when, entry = (
        state.store(request),
        spec.name,
        state.now(request),
        form.get("entry", ""),
    )
    if action == "highlight":
        note = one_line(form.get("note", ""))[:280]
        return choose_highlight(s, request.app.state.settings, spec, entry, note, when)
    if action == "hide":
        return s.hide_entry(name, entry, when)
    if action == "unhighlight":
        s.remove_highlight(name, entry)
    elif action == "unhide":
        s.unhide_entry(name, entry, when)
    else:
        number = _prepared(request, spec).number
        s.set_introduction(name, number, form.get("text", "")[:4000], when)
    return True


def _prepared(request: Request, spec: DigestSpec) -> Prepared:
    """The issue being prepared, which the editors' choices go to."""
    tz = ZoneInfo(request.app.state.settings.timezone)
    return prepared_issue(state.store(request), spec, state.now(request), tz)


# --- sessions and forms -----------------------------------------------------------------------


def _unavailable(request: Request) -> Response | None:
    problem = secret_problem(request.app.state.settings.secret_key)
    return error(request, 503, "Curation indisponible", problem) if problem else None


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


def _session(request: Request) -> dict[str, str] | None:
    """The curation session of this request: signed, unexpired, opened with the current
    password, and not ended by a logout (checked in the store: every replica knows)."""
    data = _unsign(request, "session", request.cookies.get(SESSION, ""))
    if data is None or not all(isinstance(data.get(k), str) for k in ("csrf", "sid", "pw")):
        return None
    if not same(data["pw"], fingerprint(request.app.state.settings.admin_token)):
        return None
    return None if state.store(request).session_revoked(data["sid"]) else data


def _require_session(request: Request) -> Response | None:
    if (down := _unavailable(request)) is not None:
        return down
    if _session(request) is None:
        return RedirectResponse("/curation/connexion", status_code=303)
    return None


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


async def _form(request: Request) -> dict[str, str]:
    """An urlencoded form (first value of each field); its size is capped while it is read
    (``bodies.BodyGuard``: 413 beyond ``FORM_LIMIT``)."""
    body = await request.body()
    fields = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    return {k: v[0] for k, v in fields.items()}


# --- shared with veille.web.mail --------------------------------------------------------------


def _spec(request: Request, name: str) -> DigestSpec | None:
    return state.config(request).digest(name)


def _spec_or_404(request: Request, name: str) -> DigestSpec:
    spec = _spec(request, name)
    if spec is None:
        raise HTTPException(404, f"sélection inconnue : {name}")
    return spec


def page(request: Request, p: Page, status: int = 200) -> HTMLResponse:
    """A page with the site's navigation, like every other page."""
    body = render_mail_page(replace(p, chrome=site_chrome(request, request.url.path)))
    return HTMLResponse(body, status_code=status, headers=SECURITY_HEADERS)


def error(request: Request, status: int, title: str, message: str) -> HTMLResponse:
    return page(request, MessagePage(title, message=message, links=BACK), status)
