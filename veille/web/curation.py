"""Editors' curation of the e-mailed digests, as pages::

    GET  /curation           the digests sent by e-mail
    GET  /curation/{name}    the next issue: its entries by theme, one row each, with filters
                             (?tag=, ?feed=, ?revoir=1: not yet gone through)
    POST /curation/{name}    action=highlight|unhighlight|hide|unhide|introduction
                             |tag|untag|undo (themes: ``tag=``)|review (``entry=`` or ``entries=``)
                             |une_drop|une_restore (``entry=``: the line « À la une »)

Every page wants a logged-in editor (role ``editeur``, ``web.accounts``) and every form its
session's CSRF token (``web.login``, whose routes are registered first: ``/curation/connexion``
is not a digest); a form comes
back to the filtered view it was sent from (``back=``), at its entry. An action on an entry
marks it as gone through. The same choices through the JSON API: ``web.curation_api``, also
gathered here, so that the mail routes (``web.mail``) bring in the whole of curation with one
router. The page itself is built by ``render.curation_page``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal
from urllib.parse import parse_qsl, quote

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from veille.errors import MailError
from veille.limits import parse_id
from veille.mailing.issues import choose_highlight, issue_entries, issue_une, prepared_issue
from veille.models import Config, DigestSpec
from veille.render.curation_page import (
    OTHERS,
    CurationFilters,
    build_sections,
    correction_line,
    draft_introduction,
    filter_rows,
    une_rows,
)
from veille.render.digest_page import Option
from veille.render.email import MailEntry, one_line
from veille.render.mail_pages import CurationPage, MessagePage
from veille.web import curation_api, login, state
from veille.web.accounts import require_account, role_of
from veille.web.mail_pages import error, page

router = APIRouter(include_in_schema=False)
router.include_router(curation_api.router)
router.include_router(curation_api.corrections_router)
router.include_router(login.router)
ACTIONS = frozenset(
    {"highlight", "unhighlight", "hide", "unhide", "introduction", "tag", "untag", "undo", "review"}
    | {"une_drop", "une_restore"}
)
UNE_ACTIONS = ("une_drop", "une_restore")  # on a story « À la une »: the form comes back there
THEMES: dict[str, Literal["add", "remove", "undo"]] = {
    "tag": "add",
    "untag": "remove",
    "undo": "undo",
}
RECENT_CORRECTIONS = 20
MAX_REVIEWED = 1000  # entries marked at once (« mark them all as seen »)


@router.get("/curation", response_class=HTMLResponse)
def curation_index(request: Request) -> Response:
    if (refused := require_account(request, "editeur")) is not None:
        return refused
    links = tuple(
        (f"/curation/{quote(d.name, safe='')}", d.title) for d in state.config(request).digests
    )
    return page(
        request,
        MessagePage("Curation des lettres", message="Choisissez une sélection :", links=links),
    )


def read_filters(config: Config, params: Mapping[str, str]) -> CurationFilters | None:
    """The view asked for; None when it names a theme or a source that does not exist."""
    tag, feed = params.get("tag", ""), params.get("feed", "")
    themes = {r.name for r in config.tags} | {OTHERS}
    if (tag and tag not in themes) or (feed and config.feed(feed) is None):
        return None
    return CurationFilters(tag=tag, feed=feed, unreviewed=params.get("revoir", "") == "1")


@router.get("/curation/{name}", response_class=HTMLResponse)
def curation_page(request: Request, name: str) -> Response:
    if (refused := require_account(request, "editeur")) is not None:
        return refused
    config = state.config(request)
    spec = config.digest(name)
    if spec is None:
        return error(request, 404, "Sélection introuvable", f"Aucune sélection « {name} ».")
    asked = read_filters(config, request.query_params)
    if asked is None:
        return error(request, 400, "Filtre inconnu", "Ce thème ou cette source n'existe pas.")
    session = login.session(request)
    assert session is not None
    return page(request, _build(request, spec, asked, session))


def _build(
    request: Request, spec: DigestSpec, asked: CurationFilters, session: dict[str, Any]
) -> CurationPage:
    s, config, tz = state.store(request), state.config(request), request.app.state.tz
    prepared = prepared_issue(s, spec, state.now(request), tz)
    entries, picks = issue_entries(s, spec, prepared.period)
    ids = [e.id for e in entries] + [e.id for e, _ in picks]
    labels = config.tag_labels()
    highlights, sections = build_sections(
        entries,
        picks,
        taxonomy=config.tags,
        labels=labels,
        reasons=s.tag_reasons_of(ids),
        reviewed=s.reviewed_entries(spec.name),
        tz=tz,
    )
    rows = highlights + tuple(r for sec in sections for r in sec.rows)
    sources = sorted({(r.source, r.feed) for r in rows})
    filters = CurationFilters(
        tag=asked.tag,
        feed=asked.feed,
        unreviewed=asked.unreviewed,
        tags=tuple(
            Option(n, label, n == asked.tag)
            for n, label in [*((r.name, r.label) for r in config.tags), (OTHERS, "Autres")]
        ),
        feeds=tuple(Option(feed, title, feed == asked.feed) for title, feed in sources),
    )
    shown_highlights, shown_sections = filter_rows(highlights, sections, filters)
    hidden = s.get_entries(sorted(int(i) for i in s.hidden_entries(spec.name)))
    une = issue_une(s, config, spec, prepared.period, picks)
    dropped = s.get_entries([int(i) for i in s.une_dropped_entries(spec.name)])
    return CurationPage(
        title=f"Curation : {spec.title}",
        action=f"/curation/{quote(spec.name, safe='')}",
        csrf=session["csrf"],
        number=prepared.number,
        period=prepared.period.label(tz),
        introduction=s.introduction(spec.name, prepared.number),
        highlights=shown_highlights,
        sections=shown_sections,
        filters=filters,
        total=len(rows),
        unreviewed=sum(not r.reviewed for r in rows),
        hidden=tuple(MailEntry(e.id, e.title, e.url, e.feed_title, "") for e in hidden),
        une=une_rows(une.lines),
        draft=draft_introduction(une.lines),
        une_dropped=tuple(MailEntry(e.id, e.title, e.url, e.feed_title, "") for e in dropped),
        corrections=tuple(
            correction_line(
                c.entry_id,
                c.tag,
                title=c.title,
                added=c.added,
                editor=c.editor,
                when=c.created_at,
                labels=labels,
                tz=tz,
            )
            for c in s.corrections(limit=RECENT_CORRECTIONS)
        ),
        archives_href=f"/digests/{quote(spec.name, safe='')}/archive",
        editor=login.editor(session),
        nav=(("/curation", "Curation"),),
    )


@router.post("/curation/{name}")
async def curate(request: Request, name: str) -> Response:
    session = login.session(request)  # before reading the body: no session, nothing is read
    if session is None:
        return error(
            request, 401, "Connexion requise", "Connectez-vous pour modifier la sélection."
        )
    if role_of(session) != "editeur":
        refused = require_account(request, "editeur")
        assert refused is not None  # a reader's session: the 403 page
        return refused
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
    editor = login.editor(session)
    if action in THEMES:
        refusal = curation_api.change_theme(
            request, entry, form.get("tag", ""), THEMES[action], editor
        )
        if refusal is not None:
            return error(request, refusal.status_code, "Correction refusée", str(refusal.detail))
        done = True
    else:
        try:
            done = _apply(request, spec, action, form, editor)
        except MailError as e:
            return error(request, 409, "Article hors de la période", str(e))
    if not done:
        return error(request, 404, "Article introuvable", f"Aucun article « {entry[:40]} ».")
    if entry and action not in ("unhide", "introduction", "review", *UNE_ACTIONS):
        # Acting on an entry is going through it.
        state.store(request).mark_reviewed(spec.name, [entry], editor, state.now(request))
    return RedirectResponse(_back(request, spec, form, entry), status_code=303)


def _apply(
    request: Request, spec: DigestSpec, action: str, form: dict[str, str], editor: str
) -> bool:
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
    if action == "review":  # one entry, or every row shown (« mark them all as seen »)
        if entry and not s.entry_exists(entry):
            return False
        wanted = [entry] if entry else form.get("entries", "").split(",")[:MAX_REVIEWED]
        s.mark_reviewed(name, wanted, editor, when)
    elif action == "unhighlight":
        s.remove_highlight(name, entry)
    elif action == "unhide":
        s.unhide_entry(name, entry, when)
    elif action == "une_drop":
        return s.drop_from_une(name, entry, editor, when)
    elif action == "une_restore":
        s.restore_to_une(name, entry, when)
    else:
        number = prepared_issue(s, spec, when, request.app.state.tz).number
        s.set_introduction(name, number, form.get("text", "")[:4000], when)
    return True


def _back(request: Request, spec: DigestSpec, form: dict[str, str], entry: str) -> str:
    """The filtered view the form came from (checked again), at the entry acted upon."""
    view = read_filters(state.config(request), dict(parse_qsl(form.get("back", "").lstrip("?"))))
    anchor = f"#e-{entry}" if parse_id(entry) is not None else ""
    if form.get("action") in UNE_ACTIONS:
        anchor = "#a-la-une"
    return f"/curation/{quote(spec.name, safe='')}{view.query if view else ''}{anchor}"
