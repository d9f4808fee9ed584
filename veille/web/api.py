"""JSON API routes (``/api/v1``) and ``/healthz``: parse input, call one function, render."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import JSONResponse

from veille.config.live import LiveConfig
from veille.ingest.heartbeat import process_id
from veille.limits import MAX_ENTRIES, MAX_ID
from veille.models import Config
from veille.render.json import entry_json, feed_json, rfc3339_or_none
from veille.selection import build_selection, known_tags, select_entries
from veille.web import state
from veille.web.health import Reading
from veille.web.params import Filters, filters

router = APIRouter()


@router.get("/healthz", tags=["service"], response_model=None)
async def healthz(request: Request) -> JSONResponse:
    """Health check (Docker HEALTHCHECK, load balancers): 503 when the database does not
    answer; a late scheduler or a refused edit of feeds.yaml (the service still runs on the
    previous configuration) is reported with a 200. Cheap: no count over the entries."""
    reading = await request.app.state.probe.read(state.store(request))
    status, body = health_json(reading, state.now(request))
    body["config"] = config_json(request.app.state.live_config)
    return JSONResponse(body, status_code=status)


def health_json(reading: Reading | str, now: datetime) -> tuple[int, dict[str, Any]]:
    """Status code and body of ``/healthz`` (without ``config``). 503 when the database fails:
    a replica that cannot read its database only serves errors, so it leaves the rotation.
    ``scheduler.here``: this process ran the last tick (``veille serve`` with its scheduler
    active); a web-only replica reads the same heartbeat from the store."""
    if isinstance(reading, str):
        return 503, {
            "status": "error",
            "entries": None,
            "database": {"status": "error", "error": reading},
            "scheduler": {"status": "unknown", "last_tick": None, "here": False},
        }
    tick = reading.tick
    scheduler = {
        "status": tick.status(now) if tick else "never",
        "last_tick": rfc3339_or_none(tick.at) if tick else None,
        "here": tick is not None and tick.by == process_id(),
    }
    return 200, {
        "status": "ok",
        "entries": reading.entries,
        "database": {"status": "ok"},
        "scheduler": scheduler,
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
    return {"feeds": [feed_json(f) for f in state.store(request).feed_states()]}


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
    store = state.store(request)
    selection = build_selection(
        tz=request.app.state.tz,
        config=request.app.state.config,
        **chosen.selection_args(),
        until=until,
        limit=limit,
        cursor=cursor,
        collapse=collapse,
    )
    page = select_entries(store, selection)
    return {"entries": [entry_json(e) for e in page.entries], "next_cursor": page.next_cursor}


@router.get("/api/v1/entries/{entry_id}", tags=["api"])
def get_entry(request: Request, entry_id: Annotated[int, Path(ge=1, le=MAX_ID)]) -> dict[str, Any]:
    """One entry, with the reason of each of its tags (term and field that matched)."""
    store = state.store(request)
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
    counts = state.store(request).tag_counts()
    tags = [{"id": t.name, "label": t.label, "entries": counts.get(t.name, 0)} for t in config.tags]
    theme_ids = {t.name for t in config.tags}
    for name in sorted(known_tags(config) - theme_ids):
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
