"""FastAPI application factory, error mapping (one place) and the list of routes.

The app never starts the scheduler: ``veille serve`` runs both (one scheduler per deployment).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from functools import partial
from http import HTTPStatus
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Scope

from veille import __version__
from veille.config.live import LiveConfig
from veille.errors import QueryError, VeilleError
from veille.models import Config
from veille.render.feeds import authority_of
from veille.runtime import settle
from veille.settings import Settings
from veille.store import Store
from veille.web import (
    api,
    docs,
    error_pages,
    feeds,
    greader,
    health,
    mail,
    metrics,
    opml,
    pages,
    reading,
    static,
    widget,
)
from veille.web.bodies import BodyGuard
from veille.web.curation_api import admin_refusal
from veille.web.embedding import Embedding
from veille.web.guard import Guard, Once, refusal_of
from veille.web.headers import SecurityHeaders
from veille.web.private import PrivateSite


def create_app(
    settings: Settings,
    store: Store | None = None,
    config: Config | LiveConfig | None = None,
    clock: Callable[[], datetime] | None = None,
) -> FastAPI:
    """Build the app. Without ``store``, one is opened (and migrated) in the lifespan; without
    ``config``, feeds.yaml is read from ``settings.config`` and followed while it changes.
    Handlers find the current config in ``request.app.state.config``. ``clock`` (default: the
    system's) is the one "now" of the app: every route, the login forms' expiry and, when the
    app reads feeds.yaml itself, the times of its refused edits read it (``app.state.clock``,
    which tests may also replace afterwards)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own = store is None
        app.state.store = store or Store(settings.database_url)
        if own:
            app.state.store.migrate()
        # The first start records the authority of the entries' ids for good.
        app.state.store.id_authority(authority_of(settings.base_url))
        settle()
        health.bound_request_threads()  # an event loop free to answer /healthz under load
        try:
            yield
        finally:
            if own:
                app.state.store.close()

    app = FastAPI(
        title="veille",
        version=__version__,
        description="Agrégateur de veille pour les référents numériques (API JSON).",
        lifespan=lifespan,
        docs_url=None,  # /docs and /redoc come from web.docs, with their assets served here
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.clock = clock or (lambda: datetime.now(UTC))

    def now() -> datetime:  # read at each call: a clock replaced later counts too
        return app.state.clock()  # type: ignore[no-any-return]

    if config is None:
        config = LiveConfig.load(settings.config, clock=now)
    live = config if isinstance(config, LiveConfig) else None
    app.state.config = live.get() if live else config
    app.state.live_config = live  # None when the config is fixed (tests): never refused
    app.state.tz = ZoneInfo(settings.timezone)
    app.state.guard = Guard()  # failed logins and tokens, per client (web/guard.py)
    app.state.once = Once(lambda: now().timestamp())  # login forms already used
    app.state.probe = health.Probe()  # /healthz's own threads (web/health.py)
    if store is not None:
        app.state.store = store
    _install_error_handlers(app)
    # Level 3, not Starlette's default 9: the CPU of a small school server matters more than
    # a few more KB on the wire (sizes and times: BENCHMARKS.md, "Figures behind the code").
    app.add_middleware(GZipMiddleware, minimum_size=1000, compresslevel=3)
    if settings.private:
        app.add_middleware(PrivateSite)  # every route behind the login (web/private.py)
    app.add_middleware(BodyGuard, authorize=partial(_api_write_refusal, settings))
    app.add_middleware(SecurityHeaders)  # outermost: errors and 304s get the headers too
    # Framing and CORS of the public pages and outputs, over the CSP SecurityHeaders gave.
    app.add_middleware(Embedding, frame_sources=settings.frame_sources)
    if live is not None:

        @app.middleware("http")
        async def _current_config(request: Request, call_next: Any) -> Any:
            app.state.config = live.get()
            return await call_next(request)

    app.add_middleware(metrics.HttpTiming)  # outermost: times every answer
    app.include_router(api.router)
    app.include_router(feeds.router)
    app.include_router(pages.router)
    app.include_router(reading.router)
    app.include_router(static.router)
    app.include_router(widget.router)
    app.include_router(opml.router)
    app.include_router(mail.router)
    app.include_router(docs.router)
    app.include_router(metrics.router)
    app.include_router(greader.router)
    return app


def _api_write_refusal(settings: Settings, scope: Scope) -> StarletteHTTPException | None:
    """Every write under ``/api/`` needs the admin token: checked before its body is read.
    The Google Reader API authenticates its callers itself (``web/greader_auth.py``)."""
    if not scope["path"].startswith("/api/") or scope["path"].startswith(greader.PREFIX + "/"):
        return None
    return refusal_of(scope, admin_refusal, settings.admin_token)


def _install_error_handlers(app: FastAPI) -> None:
    """HTTP status is decided here, once. API clients (``/api/…``, or no ``text/html`` in
    ``Accept``: curl, feed readers, scripts) get ``{"detail": "…"}``; a browser gets the same
    message as a French page with the site's navigation."""

    @app.exception_handler(QueryError)
    async def _query_error(_: Request, exc: QueryError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=400)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        parts = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err.get("loc", ())[1:]) or "requête"
            parts.append(f"{where} : {_french(err)}")
        return JSONResponse({"detail": "; ".join(parts)}, status_code=400)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        generic = exc.detail == HTTPStatus(exc.status_code).phrase
        detail = HTTP_DETAILS.get(exc.status_code, exc.detail) if generic else exc.detail
        if error_pages.wants_html(request):
            specific = None if generic else exc.detail
            return error_pages.error_response(request, exc.status_code, specific, exc.headers)
        return JSONResponse({"detail": detail}, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(VeilleError)
    async def _veille_error(request: Request, exc: VeilleError) -> Response:
        if error_pages.wants_html(request):
            return error_pages.error_response(request, 500, str(exc))
        return JSONResponse({"detail": str(exc)}, status_code=500)


# Starlette's English reason phrases, said in French.
HTTP_DETAILS = {
    404: "ressource introuvable",
    405: "méthode non autorisée",
}


def _french(err: dict) -> str:  # type: ignore[type-arg]
    kind = err.get("type", "")
    ctx = err.get("ctx") or {}
    if kind in {"int_parsing", "int_type"}:
        return "nombre entier attendu"
    if kind == "greater_than_equal":
        return f"doit être supérieur ou égal à {ctx.get('ge')}"
    if kind == "less_than_equal":
        return f"doit être inférieur ou égal à {ctx.get('le')}"
    if kind == "missing":
        return "paramètre obligatoire"
    return str(err.get("msg", "valeur invalide"))
