"""Routes of the e-mailed digests::

    GET  /desabonnement/{token}           confirmation page (a button POSTs to the same URL)
    POST /desabonnement/{token}           unsubscribes; RFC 8058 one-click: the mail client
                                          POSTs ``List-Unsubscribe=One-Click``, no cookie
    GET  /digests/{name}/archive          the issues sent, newest first
    GET  /digests/{name}/archive/{n}      issue n as archived (same content as the e-mail)
    GET  /mail/email.css                  the archive's stylesheet (the e-mail's, not inlined)
    …    /curation, /api/v1/digests/{name}/…   editors' curation: ``veille.web.curation``

The token is the capability: signed with VEILLE_SECRET_KEY (``veille.signing``), it names the
digest and the address, and never expires. Without a usable key, these routes answer 503
with a French explanation instead of trusting unsigned links.
"""

from __future__ import annotations

from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from veille.limits import parse_id
from veille.models import Config
from veille.render.email import french_date, stylesheet
from veille.render.html import SECURITY_HEADERS
from veille.render.mail_pages import ArchiveListPage, ConfirmForm, MessagePage
from veille.signing import TokenError, secret_problem, signer_for
from veille.web import curation
from veille.web.mail_pages import BACK, error, page
from veille.web.state import config, now, store

router = APIRouter(include_in_schema=False)
router.include_router(curation.router)


@router.get("/desabonnement/{token}", response_class=HTMLResponse)
def unsubscribe_page(request: Request, token: str) -> Response:
    found = _read_token(request, token)
    if isinstance(found, Response):
        return found
    digest, address = found
    form = ConfirmForm(
        action=f"/desabonnement/{quote(token, safe='')}",
        question=f"Ne plus envoyer « {_title(request, digest)} » à {address} ?",
        button="Confirmer le désabonnement",
    )
    return page(request, MessagePage("Se désabonner", form=form, links=BACK))


@router.post("/desabonnement/{token}", response_class=HTMLResponse)
async def unsubscribe(request: Request, token: str) -> Response:
    found = _read_token(request, token)
    if isinstance(found, Response):
        return found
    digest, address = found
    store(request).unsubscribe(digest, address, now(request))
    body = await request.body()
    if b"List-Unsubscribe=One-Click" in body:  # RFC 8058: a machine, no page needed
        return Response("désabonné\n", media_type="text/plain; charset=utf-8")
    message = (
        f"{address} ne recevra plus « {_title(request, digest)} ». Vous pouvez fermer cette page."
    )
    return page(request, MessagePage("Désabonnement enregistré", message=message, links=BACK))


@router.get("/digests/{name}/archive", response_class=HTMLResponse)
def archive_list(request: Request, name: str) -> Response:
    tz = ZoneInfo(request.app.state.settings.timezone)
    issues = tuple(
        (
            i.number,
            f"/digests/{quote(name, safe='')}/archive/{i.number}",
            i.subject,
            (i.created_at.isoformat(), french_date(i.created_at, tz)),
        )
        for i in store(request).list_issues(name)
    )
    if not issues and _spec_title(config(request), name) is None:
        return error(request, 404, "Sélection introuvable", f"Aucune sélection « {name} ».")
    title = f"Numéros de « {_title(request, name)} »"
    return page(request, ArchiveListPage(title, f"/digests/{quote(name, safe='')}", issues))


@router.get("/digests/{name}/archive/{number}", response_class=HTMLResponse)
def archive_issue(request: Request, name: str, number: str) -> Response:
    found = parse_id(number)
    issue = store(request).get_issue(name, found) if found is not None else None
    if issue is None:
        return error(request, 404, "Numéro introuvable", f"Aucun numéro {number} de « {name} ».")
    return HTMLResponse(issue.html, headers=SECURITY_HEADERS)


@router.get("/mail/email.css")
def email_css() -> Response:
    return Response(
        stylesheet(),
        media_type="text/css; charset=utf-8",
        headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )


# --- shared steps ---------------------------------------------------------------------------


def _read_token(request: Request, token: str) -> tuple[str, str] | Response:
    problem = secret_problem(request.app.state.settings.secret_key)
    if problem:
        return error(request, 503, "Désabonnement indisponible", problem)
    try:
        digest, address = signer_for(request.app.state.settings, "unsubscribe").unsign(token)
        if not isinstance(digest, str) or not isinstance(address, str):
            raise TokenError("jeton invalide")
    except (TokenError, ValueError, TypeError):
        return error(
            request,
            400,
            "Lien de désabonnement invalide",
            "Ce lien est incomplet ou a été modifié. Utilisez le lien du dernier e-mail reçu, "
            "ou écrivez à l'expéditeur de la lettre.",
        )
    return digest, address


def _spec_title(cfg: Config, name: str) -> str | None:
    spec = cfg.digest(name)
    return spec.title if spec else None


def _title(request: Request, name: str) -> str:
    return _spec_title(config(request), name) or name
