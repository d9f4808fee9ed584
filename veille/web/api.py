"""JSON API routes (``/api/v1``) and ``/healthz``: parse input, call one function, render."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from .. import select
from ..models import EntryView, FeedState
from ..store import Store

router = APIRouter()


def _store(request: Request) -> Store:
    return request.app.state.store  # type: ignore[no-any-return]


def rfc3339(when: datetime | None) -> str | None:
    return when.astimezone(UTC).isoformat(timespec="seconds") if when else None


def feed_json(f: FeedState) -> dict[str, Any]:
    return {
        "id": f.id,
        "url": f.url,
        "title": f.title,
        "status": f.status,
        "last_error": f.last_error,
        "entries": f.entries,
        "last_fetched_at": rfc3339(f.last_fetched_at),
        "next_fetch_at": rfc3339(f.next_fetch_at),
        "site_url": f.site_url,
        "error_count": f.error_count,
        "last_success_at": rfc3339(f.last_success_at),
    }


def entry_json(e: EntryView) -> dict[str, Any]:
    return {
        "id": e.id,
        "feed": e.feed,
        "feed_title": e.feed_title,
        "title": e.title,
        "url": e.url,
        "published": rfc3339(e.published),
        "author": e.author,
        "summary": e.summary,
        "content_html": e.content_html,
        "tags": list(e.tags),
    }


@router.get("/healthz", tags=["service"])
def healthz(request: Request) -> dict[str, Any]:
    """Liveness and database check (used by the Docker HEALTHCHECK)."""
    return {"status": "ok", "entries": _store(request).count_entries()}


@router.get("/api/v1/feeds", tags=["api"])
def list_feeds(request: Request) -> dict[str, Any]:
    """Every configured source with its fetch status."""
    return {"feeds": [feed_json(f) for f in _store(request).feed_states()]}


@router.get("/api/v1/entries", tags=["api"])
def list_entries(
    request: Request,
    feed: Annotated[list[str], Query(description="Identifiant de source (répétable)")] = [],  # noqa: B006
    since: Annotated[
        str | None, Query(description="Publiés à partir de (RFC 3339 ou date)")
    ] = None,
    until: Annotated[str | None, Query(description="Publiés avant (RFC 3339 ou date)")] = None,
    limit: Annotated[int, Query(ge=1, le=select.MAX_LIMIT)] = 50,
    cursor: Annotated[str | None, Query(description="Curseur de la page suivante")] = None,
) -> dict[str, Any]:
    """Entries newest first, one keyset page; ``next_cursor`` is null on the last page."""
    store = _store(request)
    selection = select.build_selection(
        feeds=feed,
        since=since,
        until=until,
        limit=limit,
        cursor=cursor,
        tz=request.app.state.tz,
        known_feeds=[f.id for f in store.feed_states()],
    )
    page = select.select_entries(store, selection)
    return {"entries": [entry_json(e) for e in page.entries], "next_cursor": page.next_cursor}
