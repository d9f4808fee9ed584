"""Output feed routes: RSS 2.0, Atom 1.0 and JSON Feed 1.1 of every digest, every theme and
any ad-hoc filter.

::

    GET /digests/{name}.rss|.atom|.json   a digest of feeds.yaml (its window, tags, feeds, query)
    GET /digests/{name}/une.rss|.atom|.json   its « À la une »: the top stories, with reasons
    GET /tags/{tag}.rss|.atom|.json       a theme
    GET /feed.rss|.atom|.json?tag=&exclude_tag=&feed=&q=&since=&limit=

Each handler builds a ``Selection`` with ``select.build_selection`` (the one every output
uses) and answers with ``outputs.feed_document`` and its validators: ``ETag`` (hash of the
body) and ``Last-Modified`` (the document's last change, not its newest date); a matching
``If-None-Match`` (or, without it, ``If-Modified-Since``) gets a 304 with no body.
Compression is the app's GZip middleware.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response

from veille import __version__
from veille.models import Selection
from veille.outputs import (
    FEED_LIMIT,
    FORMATS,
    MAX_FEED_LIMIT,
    FeedDocument,
    feed_document,
    une_document,
)
from veille.render.feeds import FeedMeta, authority_of
from veille.selection import build_selection, digest_selection, known_tags
from veille.web import state
from veille.web.params import Filters, filters

router = APIRouter(tags=["flux"])

CACHE_CONTROL = "public, max-age=300"

Limit = Annotated[
    int, Query(ge=1, le=MAX_FEED_LIMIT, description=f"Nombre d'articles (au plus {MAX_FEED_LIMIT})")
]


# --- handlers (one per kind; registered for each format below) -----------------------------


def digest_feed(fmt: str) -> Callable[..., Response]:
    def handler(request: Request, name: str, limit: Limit = FEED_LIMIT) -> Response:
        spec = state.digest(request, name)
        selection = digest_selection(spec, state.now(request), limit=limit)
        meta = feed_meta(request, spec.title, f"/digests/{name}", f"Sélection « {spec.title} »")
        return _feed_response(request, fmt, meta, selection)

    return handler


def une_feed(fmt: str) -> Callable[..., Response]:
    def handler(request: Request, name: str) -> Response:
        spec = state.digest(request, name)
        if spec.une is None:
            raise HTTPException(404, f"la sélection « {name} » n'a pas d'« À la une » (une: false)")
        meta = feed_meta(
            request,
            f"{spec.title} — À la une",
            f"/digests/{name}#a-la-une",
            f"Les sujets les plus repris de « {spec.title} », et pourquoi",
        )
        now, config = state.now(request), state.config(request)
        return respond(request, une_document(state.store(request), config, spec, fmt, meta, now))

    return handler


def tag_feed(fmt: str) -> Callable[..., Response]:
    def handler(request: Request, tag: str, limit: Limit = FEED_LIMIT) -> Response:
        config = state.config(request)
        if tag not in known_tags(config):
            raise HTTPException(404, f"thème inconnu : {tag}")
        selection = build_selection(
            tags=[tag], limit=limit, max_limit=MAX_FEED_LIMIT, tz=request.app.state.tz
        )
        label = config.tag_label(tag)
        meta = feed_meta(
            request, f"Veille — {label}", "/?" + urlencode({"tag": tag}), f"Thème « {label} »"
        )
        return _feed_response(request, fmt, meta, selection)

    return handler


def filter_feed(fmt: str) -> Callable[..., Response]:
    def handler(
        request: Request,
        chosen: Annotated[Filters, Depends(filters)],
        limit: Limit = FEED_LIMIT,
    ) -> Response:
        selection = build_selection(
            **chosen.selection_args(),
            limit=limit,
            max_limit=MAX_FEED_LIMIT,
            tz=request.app.state.tz,
            config=state.config(request),
        )
        query = request.url.query
        meta = feed_meta(request, "Veille — sélection", "/" + (f"?{query}" if query else ""), "")
        return _feed_response(request, fmt, meta, selection)

    return handler


# All output feed routes, in one table: (path, handler factory, summary).
ROUTES = (
    ("/digests/{name}", digest_feed, "Flux d'une sélection de feeds.yaml"),
    ("/digests/{name}/une", une_feed, "Flux « À la une » d'une sélection (sujets les plus repris)"),
    ("/tags/{tag}", tag_feed, "Flux d'un thème"),
    ("/feed", filter_feed, "Flux d'un filtre (thème, source, recherche, date)"),
)
for _path, _factory, _summary in ROUTES:
    for _fmt in FORMATS:
        router.add_api_route(
            f"{_path}.{_fmt}",
            _factory(_fmt),
            methods=["GET"],
            name=f"{_factory.__name__}_{_fmt}",
            summary=f"{_summary} ({_fmt})",
            response_class=Response,
        )


# --- shared steps ----------------------------------------------------------------------------


def feed_meta(request: Request, title: str, home_path: str, description: str) -> FeedMeta:
    base = request.app.state.settings.base_url.rstrip("/")
    query = request.url.query
    return FeedMeta(
        title=title,
        home_url=base + home_path,
        self_url=base + request.url.path + (f"?{query}" if query else ""),
        id_authority=state.store(request).id_authority(authority_of(base)),
        description=description or title,
        generator=f"veille {__version__}",
        labels=state.config(request).tag_labels(),
    )


def _feed_response(request: Request, fmt: str, meta: FeedMeta, selection: Selection) -> Response:
    return respond(request, feed_document(state.store(request), fmt, meta, selection))


def respond(request: Request, doc: FeedDocument, cache_control: str = CACHE_CONTROL) -> Response:
    """The document with its validators, or a 304 when the reader's copy is current."""
    headers = {"ETag": doc.etag, "Cache-Control": cache_control}
    if doc.last_modified is not None:
        headers["Last-Modified"] = format_datetime(doc.last_modified.astimezone(UTC), usegmt=True)
    if not_modified(request.headers, doc.etag, doc.last_modified):
        return Response(status_code=304, headers=headers)
    return Response(doc.body, media_type=doc.media_type, headers=headers)


def not_modified(headers: Any, etag: str, newest: datetime | None) -> bool:
    """RFC 9110 §13.1: ``If-None-Match`` (weak comparison) wins; ``If-Modified-Since`` counts
    only without it, and only when the document did not change after it (second
    precision)."""
    if_none_match = headers.get("if-none-match")
    if if_none_match is not None:
        wanted = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
        return "*" in wanted or etag.removeprefix("W/") in wanted
    since = headers.get("if-modified-since")
    if since is None or newest is None:
        return False
    try:
        when = parsedate_to_datetime(since)
    except (TypeError, ValueError):
        return False
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return newest.replace(microsecond=0) <= when
