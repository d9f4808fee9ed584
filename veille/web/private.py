"""The private site (``VEILLE_PRIVATE=true``): every page, output feed and API read needs a
logged-in account. Checked once, before any route, so that no route can forget it.

- pages: a session (``web.accounts``), else the way to /connexion (coming back afterwards);
- output feeds (``.rss``, ``.atom``, ``.json``, ``/opml``, the widget): a session, or the
  account's personal token in the URL (``?jeton=``: feed readers have no cookies);
- the JSON API: a session, or the admin token (``Authorization: Bearer``), else a 401;
- left open: the login itself, /healthz and /metrics (their own rules), unsubscribe links
  of the letters already sent, packaged files, and the Google Reader API (its own tokens).
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.types import Receive, Scope, Send

from veille.signing import same
from veille.web import state
from veille.web.accounts import current_account, require_account, session
from veille.web.asgi import HttpMiddleware

OPEN = frozenset(
    {"/healthz", "/metrics", "/connexion", "/deconnexion", "/curation/connexion"}
    | {"/curation/deconnexion"}
)
OPEN_UNDER = (
    "/connexion/",
    "/static/",
    "/docs/assets/",
    "/mail/",
    "/desabonnement/",
    "/api/greader/",
)
FEED_SUFFIXES = (".rss", ".atom", ".json")
TOKEN_PARAM = "jeton"


def is_open(path: str) -> bool:
    return path in OPEN or path.startswith(OPEN_UNDER)


def is_feed(path: str) -> bool:
    """An output feed: what feed readers fetch, with the token in the URL."""
    if path.startswith("/api/") or path == "/openapi.json":
        return False
    return path.endswith(FEED_SUFFIXES) or path == "/opml" or path.endswith("/widget")


def refusal(request: Request) -> Response | None:
    """None when the request may go on in a private site; else its answer."""
    if session(request) is not None:
        return None
    path = request.url.path
    if is_feed(path):
        token = request.query_params.get(TOKEN_PARAM, "")
        if token and state.store(request).account_by_feed_token(token) is not None:
            return None
        return JSONResponse(
            {"detail": "site privé : ajoutez votre jeton personnel à l'adresse (?jeton=…)"},
            status_code=401,
        )
    if path.startswith("/api/") or path == "/openapi.json":
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        admin = state.settings(request).admin_token
        if admin and scheme.lower() == "bearer" and same(given.strip(), admin):
            return None
        return JSONResponse(
            {"detail": "site privé : connexion requise (session ou Authorization: Bearer)"},
            status_code=401,
            headers={"WWW-Authenticate": "Bearer"},
        )
    return require_account(request)


class PrivateSite(HttpMiddleware):
    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if is_open(scope["path"]):
            await self.app(scope, receive, send)
            return
        # The session and token checks read the store: off the event loop, like routes.
        refused = await run_in_threadpool(refusal, Request(scope))
        if refused is None:
            await self.app(scope, receive, send)
        else:
            await refused(scope, receive, send)


def personal_feed_url(request: Request, href: str) -> str:
    """``href`` (an output feed of this site) as the logged-in account subscribes to it: with
    its personal token in a private site, unchanged otherwise."""
    return personal_feeds(request)(href)


def personal_feeds(request: Request) -> Callable[[str], str]:
    """``personal_feed_url`` for every link of one page (the token is read once)."""
    found = current_account(request) if state.settings(request).private else None
    token = state.store(request).feed_token(found[0].id) if found else None
    if not token:
        return str
    return lambda href: f"{href}{'&' if '?' in href else '?'}{TOKEN_PARAM}={token}"
