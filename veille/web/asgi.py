"""The base of the app's own middlewares: pure ASGI (no body buffering, unlike Starlette's
``BaseHTTPMiddleware``), so a large answer streams and a refusal can come before the body
is read. HTTP requests go to ``handle``; every other scope (lifespan) passes through."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send


class HttpMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.handle(scope, receive, send)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        raise NotImplementedError
