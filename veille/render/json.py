"""The JSON shapes of the API (``/api/v1``), also written by ``veille digest --format json``:
pure, data in, dicts out. Field names are a stable interface: fields may be added, never
renamed. Dates are RFC 3339 in UTC with an offset."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from veille.models import EntryView, FeedState

__all__ = ["entry_json", "feed_json", "rfc3339", "rfc3339_or_none"]


def rfc3339(when: datetime) -> str:
    """``2026-11-29T07:30:00+00:00`` (UTC, whole seconds)."""
    return when.astimezone(UTC).isoformat(timespec="seconds")


def rfc3339_or_none(when: datetime | None) -> str | None:
    return rfc3339(when) if when else None


def feed_json(f: FeedState) -> dict[str, Any]:
    return {
        "id": f.id,
        "url": f.url,
        "title": f.title,
        "status": f.status,
        "last_error": f.last_error,
        "entries": f.entries,
        "last_fetched_at": rfc3339_or_none(f.last_fetched_at),
        "next_fetch_at": rfc3339_or_none(f.next_fetch_at),
        "site_url": f.site_url,
        "error_count": f.error_count,
        "last_success_at": rfc3339_or_none(f.last_success_at),
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
        "cluster": e.cluster,
        "also_in": list(e.also_in),
    }
