"""Editors' curation of the e-mailed digests through the JSON API::

    GET    /api/v1/digests/{name}/curation            highlights, hidden entries, introduction
    PUT    /api/v1/digests/{name}/highlights/{entry}  {"note": "…"} coup de cœur (one line)
    DELETE /api/v1/digests/{name}/highlights/{entry}
    PUT    /api/v1/digests/{name}/hidden/{entry}      hide an entry from the digest
    DELETE /api/v1/digests/{name}/hidden/{entry}
    PUT    /api/v1/digests/{name}/introduction        {"text": "…"} of the next issue

Every route wants ``Authorization: Bearer $VEILLE_ADMIN_TOKEN`` (401 without, 403 when
wrong; constant-time comparison, wrong tokens slowed down per client). The same choices
through pages, for editors who log in: ``veille.web.curation``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from pydantic import BaseModel, Field

from veille.errors import MailError
from veille.mailing.issues import choose_highlight, next_issue, prepared_issue
from veille.render.email import one_line
from veille.render.json import rfc3339
from veille.web import state
from veille.web.guard import Guard, bearer_refusal, refusal_of


def admin_refusal(
    configured: str, authorization: str, guard: Guard, client: str
) -> HTTPException | None:
    """Why an API request may not go on (401/403/429), or None: ``Authorization: Bearer``
    with ``VEILLE_ADMIN_TOKEN`` (constant-time comparison), wrong tokens slowed down per
    client (``guard``)."""
    if not configured:
        return HTTPException(403, "curation désactivée : VEILLE_ADMIN_TOKEN n'est pas défini")
    return bearer_refusal(configured, authorization, guard, client, "jeton d'administration")


def require_admin(request: Request) -> None:
    refusal = refusal_of(request.scope, admin_refusal, request.app.state.settings.admin_token)
    if refusal is not None:
        raise refusal


router = APIRouter(prefix="/api/v1/digests/{name}", dependencies=[Depends(require_admin)])


class NoteIn(BaseModel):
    note: str = Field("", max_length=280)


class IntroductionIn(BaseModel):
    text: str = Field("", max_length=4000)


@router.get("/curation")
def get_curation(request: Request, name: str) -> dict[str, Any]:
    spec, s, settings = (
        state.digest(request, name),
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


@router.put("/highlights/{entry}")
def put_highlight(request: Request, name: str, entry: str, body: NoteIn) -> dict[str, Any]:
    spec, note = state.digest(request, name), one_line(body.note)
    try:
        chosen = choose_highlight(
            state.store(request), request.app.state.settings, spec, entry, note, state.now(request)
        )
    except MailError as e:
        raise HTTPException(409, str(e)) from e
    if not chosen:
        raise HTTPException(404, f"article inconnu : {entry}")
    return {"entry": entry, "note": note}


@router.delete("/highlights/{entry}", status_code=204)
def delete_highlight(request: Request, name: str, entry: str) -> Response:
    state.store(request).remove_highlight(state.digest(request, name).name, entry)
    return Response(status_code=204)


@router.put("/hidden/{entry}", status_code=204)
def put_hidden(request: Request, name: str, entry: str) -> Response:
    if not state.store(request).hide_entry(
        state.digest(request, name).name, entry, state.now(request)
    ):
        raise HTTPException(404, f"article inconnu : {entry}")
    return Response(status_code=204)


@router.delete("/hidden/{entry}", status_code=204)
def delete_hidden(request: Request, name: str, entry: str) -> Response:
    state.store(request).unhide_entry(state.digest(request, name).name, entry, state.now(request))
    return Response(status_code=204)


@router.put("/introduction")
def put_introduction(request: Request, name: str, body: IntroductionIn) -> dict[str, Any]:
    spec, s, now = state.digest(request, name), state.store(request), state.now(request)
    number = prepared_issue(s, spec, now, request.app.state.tz).number
    s.set_introduction(spec.name, number, body.text, now)
    return {"issue": number, "text": s.introduction(spec.name, number)}
