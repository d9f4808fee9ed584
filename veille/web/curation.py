"""Editors' curation of the e-mailed digests, as pages::

    GET  /curation           the digests sent by e-mail
    GET  /curation/{name}    the next issue: its entries, highlights, hidden ones, introduction
    POST /curation/{name}    action=highlight|unhighlight|hide|unhide|introduction

Every page wants a logged-in editor and every form its session's CSRF token (``web.login``,
whose routes are registered first: ``/curation/connexion`` is not a digest). The same
choices through the JSON API: ``web.curation_api``, also gathered here, so that the mail
routes (``web.mail``) bring in the whole of curation with one router.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from veille.errors import MailError
from veille.mailing.issues import choose_highlight, next_issue, prepared_issue
from veille.models import DigestSpec
from veille.render.email import MailEntry, one_line
from veille.render.mail_pages import CurationPage, MessagePage
from veille.web import curation_api, login, state
from veille.web.mail_pages import error, page

router = APIRouter(include_in_schema=False)
router.include_router(curation_api.router)
router.include_router(login.router)
ACTIONS = frozenset({"highlight", "unhighlight", "hide", "unhide", "introduction"})


@router.get("/curation", response_class=HTMLResponse)
def curation_index(request: Request) -> Response:
    if (refused := login.require_session(request)) is not None:
        return refused
    links = tuple(
        (f"/curation/{quote(d.name, safe='')}", d.title) for d in state.config(request).digests
    )
    return page(
        request,
        MessagePage("Curation des lettres", message="Choisissez une sélection :", links=links),
    )


@router.get("/curation/{name}", response_class=HTMLResponse)
def curation_page(request: Request, name: str) -> Response:
    if (refused := login.require_session(request)) is not None:
        return refused
    spec = state.config(request).digest(name)
    if spec is None:
        return error(request, 404, "Sélection introuvable", f"Aucune sélection « {name} ».")
    s, session = state.store(request), login.session(request)
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
    session = login.session(request)  # before reading the body: no session, nothing is read
    if session is None:
        return error(
            request, 401, "Connexion requise", "Connectez-vous pour modifier la sélection."
        )
    form = await login.read_form(request)
    if not login.csrf_ok(form, session):
        return error(request, 403, "Action refusée", "Jeton de formulaire absent ou invalide.")
    spec, action, entry = (
        state.config(request).digest(name),
        form.get("action", ""),
        form.get("entry", ""),
    )
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
        number = prepared_issue(s, spec, when, request.app.state.tz).number
        s.set_introduction(name, number, form.get("text", "")[:4000], when)
    return True
