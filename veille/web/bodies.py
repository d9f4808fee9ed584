"""Request bodies: capped while they are read, and not read at all before authentication.

A write request's body reaches the app only through ``receive``; this middleware wraps it:

- a body larger than its cap (``FORM_LIMIT`` for forms and anything else, ``JSON_LIMIT`` for
  JSON) is refused with 413 — at once when ``Content-Length`` declares it, else as soon as
  the bytes read pass the cap — so memory never holds more than the cap;
- ``authorize(scope)`` runs first: an API write without the right token is refused before a
  single byte of its body is read (FastAPI reads a JSON body before running the route's
  dependencies, so the check cannot wait for them).

The refusals are raised from ``receive`` as ``HTTPException``: the app's error handlers (the
one place that maps errors to statuses) render them, in French, as JSON or as a page.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from veille.web.asgi import HttpMiddleware

FORM_LIMIT = 64 * 1024
JSON_LIMIT = 1024 * 1024
READ_ONLY = frozenset({"GET", "HEAD", "OPTIONS"})

Authorize = Callable[[Scope], HTTPException | None]


def too_large(limit: int) -> HTTPException:
    size = f"{limit // (1024 * 1024)} Mio" if limit >= 1024 * 1024 else f"{limit // 1024} Kio"
    return HTTPException(413, f"requête trop volumineuse : {size} au plus")


class BodyGuard(HttpMiddleware):
    """See the module docstring."""

    def __init__(self, app: ASGIApp, authorize: Authorize | None = None) -> None:
        super().__init__(app)
        self.authorize = authorize

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] in READ_ONLY:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        json = headers.get("content-type", "").lower().startswith("application/json")
        limit = JSON_LIMIT if json else FORM_LIMIT
        refusal = self.authorize(scope) if self.authorize else None
        declared = headers.get("content-length", "")  # none when chunked: counted below
        if refusal is None and declared and (not declared.isdigit() or int(declared) > limit):
            refusal = too_large(limit)
        read = 0

        async def guarded() -> Message:
            nonlocal read
            if refusal is not None:
                raise refusal
            message = await receive()
            if message["type"] == "http.request":
                read += len(message.get("body", b""))
                if read > limit:
                    raise too_large(limit)
            return message

        await self.app(scope, guarded, send)
