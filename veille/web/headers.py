"""Security headers on every response — JSON, feeds, OPML, errors and redirects included,
not only the HTML pages: a browser that sniffs a JSON error or a feed as HTML, or frames a
response, must find the same rules. A response that sets its own policy (the pages' CSP, the
API documentation's) keeps it; the others get the strictest one (nothing to load or run).
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import Message, Receive, Scope, Send

from veille.web.asgi import HttpMiddleware

DEFAULTS = {
    "content-security-policy": "default-src 'none'; frame-ancestors 'none'; base-uri 'none'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
}


class SecurityHeaders(HttpMiddleware):
    """Adds the headers a response lacks."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in DEFAULTS.items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)
