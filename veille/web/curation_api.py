"""Editors' curation of the e-mailed digests through the JSON API::

    GET    /api/v1/digests/{name}/curation            highlights, hidden entries, introduction,
                                                      « À la une » (ranked, with reasons)
    PUT    /api/v1/digests/{name}/highlights/{entry}  {"note": "…"} coup de cœur (one line)
    DELETE /api/v1/digests/{name}/highlights/{entry}
    PUT    /api/v1/digests/{name}/hidden/{entry}      hide an entry from the digest
    DELETE /api/v1/digests/{name}/hidden/{entry}
    PUT    /api/v1/digests/{name}/introduction        {"text": "…"} of the next issue
    PUT    /api/v1/digests/{name}/une/dropped/{entry} drop an entry's story from « À la une »
    DELETE /api/v1/digests/{name}/une/dropped/{entry} put it back

    GET    /api/v1/corrections?entry=&limit=          editors' corrections of themes, newest first
    PUT    /api/v1/corrections/{entry}/{tag}          {"added": true|false, "editor": "…"}
    DELETE /api/v1/corrections/{entry}/{tag}          back to the rules

Every route wants ``Authorization: Bearer $VEILLE_ADMIN_TOKEN`` (401 without, 403 when
wrong; constant-time comparison, wrong tokens slowed down per client). The same choices
through pages, for editors who log in: ``veille.web.curation``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from pydantic import BaseModel, Field

from veille.errors import MailError
from veille.mailing.issues import choose_highlight, next_issue, prepared_issue
from veille.render.email import one_line
from veille.render.json import rfc3339
from veille.selection import known_tags
from veille.store import Correction
from veille.web import state
from veille.web.guard import Guard, bearer_refusal, refusal_of
from veille.web.login import EDITOR_MAX


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
corrections_router = APIRouter(prefix="/api/v1/corrections", dependencies=[Depends(require_admin)])


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
        "une": [{"entry": e.id, "title": e.title, "reason": e.reason} for e in content.une],
        "une_dropped": s.une_dropped_entries(spec.name),
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


@router.put("/une/dropped/{entry}", status_code=204)
def put_une_dropped(request: Request, name: str, entry: str) -> Response:
    spec, editor = state.digest(request, name), "API"
    if not state.store(request).drop_from_une(spec.name, entry, editor, state.now(request)):
        raise HTTPException(404, f"article inconnu : {entry}")
    return Response(status_code=204)


@router.delete("/une/dropped/{entry}", status_code=204)
def delete_une_dropped(request: Request, name: str, entry: str) -> Response:
    spec = state.digest(request, name)
    state.store(request).restore_to_une(spec.name, entry, state.now(request))
    return Response(status_code=204)


@router.put("/introduction")
def put_introduction(request: Request, name: str, body: IntroductionIn) -> dict[str, Any]:
    spec, s, now = state.digest(request, name), state.store(request), state.now(request)
    number = prepared_issue(s, spec, now, request.app.state.tz).number
    s.set_introduction(spec.name, number, body.text, now)
    return {"issue": number, "text": s.introduction(spec.name, number)}


# --- corrections of themes ------------------------------------------------------------------


class CorrectionIn(BaseModel):
    added: bool
    editor: str = Field("API", min_length=1, max_length=EDITOR_MAX)


def change_theme(
    request: Request,
    entry: str,
    tag: str,
    change: Literal["add", "remove", "undo"],
    editor: str,
) -> HTTPException | None:
    """An editor adds a theme to an entry, removes one, or gives one back to the rules
    (``undo``: what the rules of the configuration in force say of it now). The refusal
    (a 4xx, in French) or None. Shared by the pages and the API."""
    if tag not in known_tags(state.config(request)):
        return HTTPException(400, f"thème inconnu : « {tag[:80]} »")
    s, now = state.store(request), state.now(request)
    if change == "undo":
        fields = s.entry_fields(entry)
        if fields is None:
            return HTTPException(404, f"article inconnu : {entry[:40]}")
        by_rules = state.rules(request).tag_fields(*fields).get(tag)
        if not s.undo_correction(entry, tag, by_rules, now):
            return HTTPException(404, f"aucune correction de « {tag} » sur cet article")
        return None
    if not s.correct_tag(entry, tag, added=change == "add", editor=editor, now=now):
        return HTTPException(404, f"article inconnu : {entry[:40]}")
    return None


def _correction_json(c: Correction) -> dict[str, Any]:
    return {
        "entry": c.entry_id,
        "tag": c.tag,
        "added": c.added,
        "editor": c.editor,
        "at": rfc3339(c.created_at),
        "title": c.title,
    }


@corrections_router.get("")
def list_corrections(
    request: Request,
    entry: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> dict[str, Any]:
    found = state.store(request).corrections(None if entry is None else [entry], limit=limit)
    return {"corrections": [_correction_json(c) for c in found]}


@corrections_router.put("/{entry}/{tag}")
def put_correction(request: Request, entry: str, tag: str, body: CorrectionIn) -> dict[str, Any]:
    editor = one_line(body.editor) or "API"
    refusal = change_theme(request, entry, tag, "add" if body.added else "remove", editor)
    if refusal is not None:
        raise refusal
    found = state.store(request).corrections([entry])
    return _correction_json(next(c for c in found if c.tag == tag))


@corrections_router.delete("/{entry}/{tag}", status_code=204)
def delete_correction(request: Request, entry: str, tag: str) -> Response:
    refusal = change_theme(request, entry, tag, "undo", "")
    if refusal is not None:
        raise refusal
    return Response(status_code=204)
