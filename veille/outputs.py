"""Output feed documents (RSS 2.0, Atom 1.0, JSON Feed 1.1): select once, render, and the
validators RSS readers rely on — shared by the web routes and ``veille digest``.

``Last-Modified`` is the last *change* of the document, not its newest publication date:
an article that arrives late with an older date (sources are polled every few hours,
publishers backdate) must move it, or a reader sending ``If-Modified-Since`` is told
"not modified" and never sees the article (libcurl, under newsboat, even discards a 200
whose ``Last-Modified`` is not newer than its condition). So it is the newest of: the
shown entries' change times (first seen, or rewritten), the last retag, and the last
curation of the digest. ``ETag`` is a hash of the body: it changes with any byte.

« À la une » of a digest (``une_document``) is an output feed of its top stories, each
item its story's shown entry with the reason it ranks; its ``Last-Modified`` is the last
change of any copy of the period's stories (a late copy may move a story up), and of the
digest's curation (a story dropped by an editor).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from html import escape

from veille.models import Config, DigestSpec, EntryView, Selection
from veille.render.feeds import FeedMeta, render_atom, render_jsonfeed, render_rss
from veille.selection import digest_selection, select_entries, une_lines
from veille.store import Store
from veille.text import first_upper

FEED_LIMIT = 50  # entries of an output feed unless the request asks (``limit=``)
MAX_FEED_LIMIT = 200

Renderer = Callable[[FeedMeta, Sequence[EntryView]], bytes]
FORMATS: dict[str, tuple[Renderer, str]] = {
    "rss": (render_rss, "application/rss+xml; charset=utf-8"),
    "atom": (render_atom, "application/atom+xml; charset=utf-8"),
    "json": (render_jsonfeed, "application/feed+json; charset=utf-8"),
}


@dataclass(frozen=True, slots=True)
class FeedDocument:
    body: bytes
    media_type: str
    etag: str  # weak: the same document is served gzip-encoded or not
    last_modified: datetime | None


def feed_document(store: Store, fmt: str, meta: FeedMeta, selection: Selection) -> FeedDocument:
    """The document of ``selection`` in ``fmt`` (a key of ``FORMATS``) with its validators."""
    entries = select_entries(store, selection).entries
    return _document(fmt, meta, entries, last_change(store, entries, selection.hidden_from))


def une_document(
    store: Store, config: Config, spec: DigestSpec, fmt: str, meta: FeedMeta, now: datetime
) -> FeedDocument:
    """« À la une » of ``spec`` at ``now`` in ``fmt``: its stories, best first, each one's
    reason before its summary."""
    une = une_lines(store, config, spec, digest_selection(spec, now), now)
    entries = [_with_reason(line.entry, line.reason) for line in une.lines]
    return _document(fmt, meta, entries, last_change(store, entries, spec.name, une.changed))


def _with_reason(e: EntryView, reason: str) -> EntryView:
    """« Repris par 4 sources, dont Éduscol. » before the entry's summary."""
    return replace(e, summary=f"<p>{escape(first_upper(reason))}.</p>{e.summary}")


def _document(
    fmt: str, meta: FeedMeta, entries: Sequence[EntryView], changed: datetime | None
) -> FeedDocument:
    render, media_type = FORMATS[fmt]
    body = render(replace(meta, updated=changed), entries)
    etag = f'W/"{hashlib.blake2b(body, digest_size=16).hexdigest()}"'
    return FeedDocument(body, media_type, etag, changed)


def last_change(
    store: Store, entries: Sequence[EntryView], digest: str = "", also: datetime | None = None
) -> datetime | None:
    """When the document made of ``entries`` last changed (see the module docstring; ``also``:
    another change it depends on); for an empty document, the last successful refresh
    (stable between requests)."""
    times = [e.changed or e.published for e in entries] + ([also] if also else [])
    if outside := store.outputs_changed_at(digest):
        times.append(outside)
    if not entries and (refreshed := store.last_success_at()):
        times.append(refreshed)
    return max(times, default=None)
