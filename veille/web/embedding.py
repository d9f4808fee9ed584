"""Embedding in ENT portals and Moodle: who may frame the public pages, and which public
read-only answers a portal's script may read.

- **Framing.** Every answer forbids it (``frame-ancestors 'none'`` in its CSP). With
  ``VEILLE_FRAME_ANCESTORS`` set, the public pages (``FRAMEABLE``: the digests, their widget
  and archives, the sources, the subscription page) allow those origins instead. The
  curation pages, the login, the unsubscription forms and the API documentation never:
  a framed form can be clicked through a decoy (clickjacking).
- **CORS.** ``Access-Control-Allow-Origin: *`` on the output feeds, the OPML and the public
  ``GET /api/v1/…`` (``READABLE``), for portal widgets that fetch them in the browser.
  Nothing else gets it — no curation (``/api/v1/digests/NAME/curation``…), no login, no
  write — and no preflight (``OPTIONS``) is answered: a browser sends no credential with
  ``*``, and a cross-origin write never passes.

One middleware, outside the routes, so a new route is neither frameable nor readable unless
its path is added here.
"""

from __future__ import annotations

import re

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from veille.web.asgi import HttpMiddleware

# Digest names are slugs (no dot): "/digests/hebdo.rss" is a feed, not a page.
FRAMEABLE = re.compile(r"/(digests/[a-z0-9-]+(/widget|/archive(/\d+)?)?|feeds|abonnement)?\Z")
READABLE = re.compile(
    r"/((digests|tags)/[^/]+\.(rss|atom|json)|feed\.(rss|atom|json)|opml"
    r"|api/v1/(feeds|entries(/[^/]+)?|tags|digests))\Z"
)
READ_METHODS = frozenset({"GET", "HEAD"})
_FRAME_ANCESTORS = re.compile(r"frame-ancestors [^;]*")


def frame_policy(csp: str, sources: tuple[str, ...]) -> str:
    """``csp`` with its ``frame-ancestors`` directive allowing ``sources`` (added if absent)."""
    directive = "frame-ancestors " + " ".join(sources)
    if _FRAME_ANCESTORS.search(csp):
        return _FRAME_ANCESTORS.sub(directive, csp, count=1)
    return f"{csp}; {directive}" if csp else directive


class Embedding(HttpMiddleware):
    """Rewrites the framing rule and adds CORS on the answers above. Install it outside
    ``SecurityHeaders``, which gives every answer its CSP first."""

    def __init__(self, app: ASGIApp, frame_sources: tuple[str, ...] = ()) -> None:
        super().__init__(app)
        self.frame_sources = frame_sources

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] not in READ_METHODS:
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        frameable = bool(self.frame_sources) and FRAMEABLE.match(path) is not None
        readable = READABLE.match(path) is not None
        if not (frameable or readable):
            await self.app(scope, receive, send)
            return

        async def send_embeddable(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if frameable and "content-security-policy" in headers:
                    csp = headers["content-security-policy"]
                    headers["content-security-policy"] = frame_policy(csp, self.frame_sources)
                if readable:
                    headers["access-control-allow-origin"] = "*"
            await send(message)

        await self.app(scope, receive, send_embeddable)
