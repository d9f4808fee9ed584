"""JSON Feed 1.0 and 1.1 (https://jsonfeed.org/version/1.1) — feedparser 6.0.x cannot read it.

Tolerant like the XML side: a field of the wrong type is ignored, not fatal; only a document
that is not JSON, or JSON that is not a JSON Feed, is refused.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from veille.errors import ParseError
from veille.ingest.parse.dates import parse_date
from veille.ingest.parse.sanitize import (
    RawEntry,
    build_entry,
    canonical_url,
    plain_text,
    text_to_html,
)
from veille.models import ParsedEntry, ParsedFeed

VERSION_PREFIXES = ("https://jsonfeed.org/version/", "http://jsonfeed.org/version/")
KNOWN_VERSIONS = ("1", "1.1")


def load_json(url: str, body: bytes) -> Any:
    """The decoded JSON document (UTF-8/16/32, with or without BOM)."""
    try:
        return json.loads(body)
    except UnicodeDecodeError:
        # Not Unicode at all: a legacy charset, most likely windows-1252 for our publishers.
        try:
            return json.loads(body.decode("cp1252", "replace"))
        except ValueError as e:
            raise ParseError(url, f"JSON illisible : {e}") from e
    except (ValueError, RecursionError) as e:
        raise ParseError(url, f"JSON illisible : {e}") from e


def _str(value: object) -> str:
    return value if isinstance(value, str) else ""


def _author_names(obj: dict[str, Any]) -> str | None:
    authors = obj.get("authors")  # 1.1
    if not isinstance(authors, list):
        authors = [obj.get("author")]  # 1.0
    names = [_str(a.get("name")) for a in authors if isinstance(a, dict)]
    # Made plain text once, by build_entry (like every author).
    return ", ".join(n for n in names if plain_text(n)) or None


def _item(item: dict[str, Any], base: str | None, feed_author: str | None) -> RawEntry:
    raw_id = item.get("id")
    # Ids must be strings, but numbers are common (1.0 readers accepted them).
    if isinstance(raw_id, bool):
        guid = None
    elif isinstance(raw_id, int | float):
        guid = str(raw_id)
    else:
        guid = _str(raw_id) or None
    link = _str(item.get("url")) or _str(item.get("external_url")) or None
    content = _str(item.get("content_html"))
    if not content and _str(item.get("content_text")):
        content = text_to_html(_str(item.get("content_text")))
    summary = text_to_html(_str(item.get("summary")))
    tags = item.get("tags")
    return RawEntry(
        guid=guid,
        link=link,
        title=_str(item.get("title")),
        author=_author_names(item) or feed_author,
        summary_html=summary,
        content_html=content,
        base=base,
        published=_date(item.get("date_published")),
        updated=_date(item.get("date_modified")),
        categories=[t for t in tags if isinstance(t, str)] if isinstance(tags, list) else (),
    )


def _date(value: object) -> datetime | None:
    return parse_date(value) if isinstance(value, str) else None


def read_json_feed(url: str, body: bytes, now: datetime) -> ParsedFeed:
    """A JSON Feed document as a ParsedFeed (entries not yet deduplicated)."""
    doc = load_json(url, body)
    version = _str(doc.get("version")) if isinstance(doc, dict) else ""
    if not version.startswith(VERSION_PREFIXES):
        raise ParseError(url, "document JSON qui n'est pas un JSON Feed (champ « version » absent)")
    warnings: list[str] = []
    if version.rsplit("/", 1)[-1] not in KNOWN_VERSIONS:
        warnings.append(f"version de JSON Feed inconnue ({version}), lue comme la 1.1")
    items = doc.get("items")
    if not isinstance(items, list):
        items = []
        warnings.append("JSON Feed sans liste « items »")
    # Relative item URLs resolve against the document's own URL (feed_url may be stale).
    base = url or _str(doc.get("feed_url")) or None
    feed_author = _author_names(doc)
    entries: list[ParsedEntry] = [
        build_entry(_item(item, base, feed_author), now) for item in items if isinstance(item, dict)
    ]
    language = _str(doc.get("language")) or None
    return ParsedFeed(
        kind="json",
        title=plain_text(_str(doc.get("title"))),
        site_url=canonical_url(_str(doc.get("home_page_url")), base),
        description=plain_text(_str(doc.get("description"))),
        language=plain_text(language) if language else None,
        entries=tuple(entries),
        warnings=tuple(warnings),
    )
