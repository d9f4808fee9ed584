"""JSON API routes (``/api/v1``) and ``/healthz``: parse input, call one function, render."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request

from .. import select
from ..limits import MAX_ENTRIES, MAX_ID
from ..liveconfig import LiveConfig
from ..models import Config
from ..render.json import entry_json, feed_json, rfc3339_or_none
from ..store import Store
from .params import Filters, filters

router = APIRouter()


def _store(request: Request) -> Store:
    return request.app.state.store  # type: ignore[no-any-return]


@router.get("/healthz", tags=["service"])
def healthz(request: Request) -> dict[str, Any]:
    """Liveness and database check (used by the Docker HEALTHCHECK), and whether the last edit
    of feeds.yaml was refused (the service still runs on the previous configuration: 200)."""
    return {
        "status": "ok",
        "entries": _store(request).count_entries(),
        "config": config_json(request.app.state.live_config),
    }


def config_json(live: LiveConfig | None) -> dict[str, Any]:
    """``{"status": "ok"}``, or ``"refused"`` with the file, line and reason of the refused
    edit and since when the previous configuration is kept."""
    refused = live.refused if live else None
    if refused is None:
        return {"status": "ok"}
    return {
        "status": "refused",
        "error": str(refused),
        "file": refused.path,
        "line": refused.line,
        "reason": refused.reason,
        "refused_at": rfc3339_or_none(refused.at),
        "in_force_since": rfc3339_or_none(refused.in_force_since),
    }


@router.get("/api/v1/feeds", tags=["api"])
def list_feeds(request: Request) -> dict[str, Any]:
    """Every configured source with its fetch status."""
    return {"feeds": [feed_json(f) for f in _store(request).feed_states()]}


@router.get("/api/v1/entries", tags=["api"])
def list_entries(
    request: Request,
    chosen: Annotated[Filters, Depends(filters)],
    collapse: Annotated[bool, Query(description="Une ligne par sujet")] = False,
    until: Annotated[str | None, Query(description="Publiés avant (RFC 3339 ou date)")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_ENTRIES)] = 50,
    cursor: Annotated[str | None, Query(description="Curseur de la page suivante")] = None,
) -> dict[str, Any]:
    """Entries newest first, one keyset page; ``next_cursor`` is null on the last page."""
    store = _store(request)
    selection = select.build_selection(
        tz=request.app.state.tz,
        config=request.app.state.config,
        **chosen.selection_args(),
        until=until,
        limit=limit,
        cursor=cursor,
        collapse=collapse,
    )
    page = select.select_entries(store, selection)
    return {"entries": [entry_json(e) for e in page.entries], "next_cursor": page.next_cursor}


@router.get("/api/v1/entries/{entry_id}", tags=["api"])
def get_entry(request: Request, entry_id: Annotated[int, Path(ge=1, le=MAX_ID)]) -> dict[str, Any]:
    """One entry, with the reason of each of its tags (term and field that matched)."""
    store = _store(request)
    entry = store.get_entry(entry_id)
    if entry is None:
        raise HTTPException(404, "article introuvable")
    reasons = store.tag_reasons(entry_id)
    return entry_json(entry) | {
        "tag_reasons": [
            {"tag": name, "field": field, "term": term}
            for name, (field, term) in sorted(reasons.items())
        ]
    }


@router.get("/api/v1/tags", tags=["api"])
def list_tags(request: Request) -> dict[str, Any]:
    """Themes of the taxonomy (in its order), then feed tags, with their entry counts."""
    config: Config = request.app.state.config
    counts = _store(request).tag_counts()
    tags = [{"id": t.name, "label": t.label, "entries": counts.get(t.name, 0)} for t in config.tags]
    theme_ids = {t.name for t in config.tags}
    for name in sorted(select.known_tags(config) - theme_ids):
        tags.append({"id": name, "label": config.tag_label(name), "entries": counts.get(name, 0)})
    return {"tags": tags}


@router.get("/api/v1/digests", tags=["api"])
def list_digests(request: Request) -> dict[str, Any]:
    """The digests of feeds.yaml."""
    config: Config = request.app.state.config
    return {
        "digests": [
            {
                "id": d.name,
                "title": d.title,
                "window_seconds": int(d.window.total_seconds()),
                "tags": list(d.tags),
                "exclude_tags": list(d.exclude_tags),
                "feeds": list(d.feeds),
                "query": d.query,
                "mail": {"to_count": len(d.mail.to), "at": d.mail.at} if d.mail else None,
            }
            for d in config.digests
        ]
    }
