"""A logged-in reader's actions and own pages (their state on the digest pages:
``web.reading_state``)::

    POST /lecture          one entry: action=lu|non-lu|garder|ne-plus-garder, id, retour
    POST /lecture/tout     « Tout marquer comme lu »: ids (what the page showed), jusqua (when
                           it was made: a copy arriving since stays unread), retour
    GET  /moi              « Mon compte »: who, the private feed, apps, logging out
    GET  /moi/gardes       « Mes articles gardés » (?cursor=: older ones)
    GET  /moi/gardes.rss|.atom|.json?jeton=FEED_TOKEN   the private feed of them

Every form carries the session's CSRF token (a POST without it: 403 page) and comes back
with a 303 to the page and anchor it came from (``retour``: a path of this site, nothing
else). Pages with a reader's state are ``private, no-store``; the private feed is
``private`` and found by the account's feed token alone (a wrong token: 404).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from urllib.parse import quote

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from veille.errors import QueryError
from veille.limits import parse_id
from veille.models import ROLE_LABELS, Account, Selection
from veille.outputs import FEED_LIMIT, FORMATS, feed_document
from veille.render import html, reading_pages
from veille.render.digest_page import ReaderBar
from veille.selection import build_selection, parse_when, select_entries
from veille.text import number
from veille.web import feeds, greader, pages, state
from veille.web.accounts import csrf_ok, current_account, read_form, require_account, safe_suite
from veille.web.reading_state import back_of, private

router = APIRouter(include_in_schema=False)

# action → (read, starred): None leaves that part of the state as it is
ACTIONS: dict[str, tuple[bool | None, bool | None]] = {
    "lu": (True, None),
    "non-lu": (False, None),
    "garder": (None, True),
    "ne-plus-garder": (None, False),
}
MAX_IDS = 2 * pages.WHOLE_MAX  # a page shows at most this many entries (sections + picks)
STARRED = "/moi/gardes"
FEED_NAMES = {"rss": "RSS", "atom": "Atom", "json": "JSON"}


async def _posted(request: Request) -> tuple[Account, dict[str, str]] | Response:
    """The reader and the form of a reading POST; else the answer (session ended, or the
    form's CSRF token missing or wrong)."""
    found = current_account(request)
    if found is None:
        return _expired(request)
    account, session = found
    form = await read_form(request)
    return (account, form) if csrf_ok(form, session) else _refused(request)


@router.post("/lecture")
async def mark(request: Request) -> Response:
    posted = await _posted(request)
    if isinstance(posted, Response):
        return posted
    account, form = posted
    action, entry = ACTIONS.get(form.get("action", "")), parse_id(form.get("id", ""))
    if action is None or entry is None:
        message = "Action ou article inconnu : rechargez la page et recommencez."
        return pages.error_page(request, 400, "Action impossible", message)
    read, starred = action
    state.store(request).mark(
        account.id, [entry], read=read, starred=starred, now=state.now(request)
    )
    return RedirectResponse(safe_back(form.get("retour", "")), status_code=303)


@router.post("/lecture/tout")
async def mark_all(request: Request) -> Response:
    posted = await _posted(request)
    if isinstance(posted, Response):
        return posted
    account, form = posted
    now, back = state.now(request), safe_back(form.get("retour", ""))
    ids = [parse_id(t.strip()) for t in form.get("ids", "").split(",") if t.strip()]
    try:
        if None in ids or len(ids) > MAX_IDS:
            raise QueryError(f"liste d'articles invalide (au plus {number(MAX_IDS)} numéros)")
        text = form.get("jusqua", "")
        until = min(parse_when(text, "jusqua", request.app.state.tz), now) if text else now
    except QueryError as e:
        return pages.error_page(request, 400, "Action impossible", str(e), back=back)
    chosen = [i for i in ids if i is not None]
    state.store(request).mark(account.id, chosen, read=True, now=now, arrived_by=until)
    return RedirectResponse(back, status_code=303)


@router.get(STARRED, response_class=HTMLResponse)
def starred_page(request: Request) -> Response:
    if (login := require_account(request)) is not None:
        return login
    found = current_account(request)
    assert found is not None  # require_account said so
    account, session = found
    config, store, tz = state.config(request), state.store(request), request.app.state.tz
    cursor = request.query_params.get("cursor") or None
    try:
        chosen = build_selection(tz=tz, config=config, cursor=cursor)
        chosen = replace(chosen, reader=account.reader, starred_only=True, limit=pages.PAGE_SIZE)
        result = select_entries(store, chosen)
    except QueryError as e:
        return pages.error_page(request, 400, "Adresse invalide", str(e), back=STARRED)
    token = store.feed_token(account.id) or ""
    page = reading_pages.build_starred_page(
        result.entries,
        total=store.count_selected(replace(chosen, cursor=None)),
        labels=config.tag_labels(),
        now=state.now(request),
        tz=tz,
        tag_href=lambda tag: "/" + html.query_string([("tag", tag)]),
        chrome=pages.site_chrome(request, STARRED),
        reader=ReaderBar(csrf=session["csrf"], back=back_of(request)),
        feeds=_feed_links(STARRED, token),
        next_href=f"{STARRED}?cursor={quote(result.next_cursor)}" if result.next_cursor else None,
        first_href=STARRED if cursor else None,
    )
    return private(HTMLResponse(html.render_page(page), headers=html.SECURITY_HEADERS))


@router.get("/moi", response_class=HTMLResponse)
def account_page(request: Request) -> Response:
    if (login := require_account(request)) is not None:
        return login
    found = current_account(request)
    assert found is not None  # require_account said so
    account, session = found
    store = state.store(request)
    base = state.settings(request).base_url.rstrip("/")
    page = reading_pages.AccountPage(
        chrome=pages.site_chrome(request, "/moi"),
        name=account.name,
        display_name=account.display_name,
        role=ROLE_LABELS[account.role],
        csrf=session["csrf"],
        feeds=_feed_links(base + STARRED, store.feed_token(account.id) or ""),
        starred=store.count_selected(Selection(reader=account.reader, starred_only=True)),
        curation_href="/curation" if account.editor else None,
        api_url=base + greader.PREFIX,
    )
    return private(HTMLResponse(html.render_page(page), headers=html.SECURITY_HEADERS))


def starred_feed(fmt: str) -> Callable[..., Response]:
    def handler(request: Request, jeton: str = "") -> Response:
        store = state.store(request)
        account = store.account_by_feed_token(jeton[:200]) if jeton else None
        if account is None:
            return Response(
                "Flux introuvable : l'adresse est incomplète, ou le compte a été désactivé.",
                status_code=404,
                media_type="text/plain; charset=utf-8",
            )
        title = f"Articles gardés — {account.shown_name}"
        meta = feeds.feed_meta(request, title, STARRED, title)
        chosen = Selection(reader=account.reader, starred_only=True, limit=FEED_LIMIT)
        # Keeping an article changes no entry: the body's hash (ETag) tells, not a date.
        doc = replace(feed_document(store, fmt, meta, chosen), last_modified=None)
        return feeds.respond(request, doc, "private, no-cache")

    return handler


for _fmt in FORMATS:
    router.add_api_route(
        f"{STARRED}.{_fmt}", starred_feed(_fmt), methods=["GET"], response_class=Response
    )


# --- shared steps ----------------------------------------------------------------------------


def safe_back(text: str) -> str:
    """Where a form comes back: a path of this site (``/…``, not ``//host``), else ``/``."""
    return safe_suite(text) or "/"


def _feed_links(base: str, token: str) -> tuple[html.Link, ...]:
    query = html.query_string([("jeton", token)])
    return tuple(html.Link(f"{base}.{fmt}{query}", FEED_NAMES.get(fmt, fmt)) for fmt in FORMATS)


def _refused(request: Request) -> Response:
    message = "Jeton de formulaire absent ou invalide : rechargez la page et recommencez."
    return pages.error_page(request, 403, "Action refusée", message)


def _expired(request: Request) -> Response:
    message = "Votre session a pris fin : reconnectez-vous, puis recommencez."
    login = html.Link("/connexion", "Se connecter")
    return pages.error_page(request, 403, "Session terminée", message, links=(login,))
