"""What the pipeline passes along for entries: fetch results, parsed feeds and entries,
update results, and the read views the pages, feeds and API render (``Selection`` in,
``EntryView`` / ``EntryPage`` out).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from veille.models.accounts import Reader
from veille.models.config import FeedStatus

# --- fetch --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Validators:
    """HTTP cache validators remembered between fetches."""

    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True, slots=True)
class FetchResult:
    """A successful fetch: either a body, or "not modified" (a 304); or the answer of a
    ``Fetcher.request``, whatever its status."""

    url: str  # the URL finally answered (after redirects)
    status: int  # final HTTP status: 2xx or 304 (``fetch``), any (``Fetcher.request``)
    body: bytes | None  # decompressed body; None for a 304
    headers: Mapping[str, str] = field(default_factory=dict)  # lower-case names
    validators: Validators = Validators()
    permanent_url: str | None = None  # set when every redirect hop was 301/308

    @property
    def not_modified(self) -> bool:
        return self.status == 304


# --- parse --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ParsedEntry:
    """One item of a feed, sanitised: text fields are plain text, HTML fields are safe HTML."""

    key: str  # identity inside its feed: guid, else canonical link, else content hash
    guid: str | None
    url: str | None  # canonical link (absolute, tracking parameters removed)
    title: str
    author: str | None = None
    summary_html: str = ""
    content_html: str = ""
    published: datetime | None = None  # None: unknown (the store uses first-seen time)
    updated: datetime | None = None
    categories: tuple[str, ...] = ()

    @property
    def content_hash(self) -> str:
        """Hash of everything a reader sees; an entry whose hash did not change is not rewritten."""
        h = hashlib.blake2b(digest_size=16)
        for part in (
            self.url or "",
            self.title,
            self.author or "",
            self.summary_html,
            self.content_html,
            self.published.isoformat() if self.published else "",
            self.updated.isoformat() if self.updated else "",
            "\x1f".join(self.categories),
        ):
            h.update(part.encode("utf-8", "surrogatepass"))
            h.update(b"\x1e")
        return h.hexdigest()


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """A parsed document. ``kind == "html"`` means a web page: see ``discovered``;
    ``kind == "page"`` means entries read from a list page with CSS selectors (``type: html``)."""

    kind: Literal["rss", "atom", "rdf", "json", "html", "page"]
    title: str = ""
    site_url: str | None = None
    description: str = ""
    language: str | None = None
    entries: tuple[ParsedEntry, ...] = ()
    discovered: tuple[str, ...] = ()  # feed URLs advertised by an HTML page (rel=alternate)
    warnings: tuple[
        str, ...
    ] = ()  # recoverable problems (e.g. "XML mal formé, lu en mode tolérant")


# --- update results and read views ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UpdateResult:
    """What one feed's update did; ``error`` is a French message when it failed."""

    feed_id: str
    status: Literal["ok", "not_modified", "error", "skipped", "disabled"]
    new: int = 0
    updated: int = 0
    duration_ms: int = 0
    error: str | None = None


@dataclass(frozen=True, slots=True)
class FeedState:
    """A feed as stored, with its fetch bookkeeping (what /api/v1/feeds shows)."""

    id: str
    url: str
    title: str
    status: FeedStatus
    last_error: str | None
    entries: int
    last_fetched_at: datetime | None
    next_fetch_at: datetime | None
    site_url: str | None = None
    error_count: int = 0
    last_success_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class EntryView:
    """An entry as every output (API, page, feeds, e-mail) sees it."""

    id: str
    feed: str
    feed_title: str
    title: str
    url: str | None
    published: datetime
    summary: str
    content_html: str
    author: str | None = None
    tags: tuple[str, ...] = ()
    key: str = ""  # identity inside its feed (stable: output feeds derive their item ids from it)
    cluster: str | None = None  # same-story group id, shared by the entries of one story
    also_in: tuple[str, ...] = ()  # titles of the other sources carrying the same story
    # When this entry last changed in the store (first seen, or rewritten by an update): what
    # output feeds' Last-Modified is made of, since a late article may carry an old date.
    changed: datetime | None = None
    # A reader's state, filled when the selection has a ``reader`` (else None / False / None).
    read: bool | None = None
    starred: bool = False
    arrived: datetime | None = None  # when the store first saw it

    @property
    def story(self) -> str:
        """The key of its story: its cluster's id, else its own (``StoryCopy.story``)."""
        return self.cluster or self.id


@dataclass(frozen=True, slots=True)
class StoryStats:
    """A story over a period summed up by the store (``Store.story_stats``): what ranking it
    needs, without reading its copies one by one."""

    key: str  # ``StoryCopy.story``
    outlets: int  # distinct feeds
    institutional: bool  # one of them is institutional
    themes: int  # distinct themes among those asked for
    first_published: datetime
    last_published: datetime
    changed: datetime | None  # the last change of its copies


@dataclass(frozen=True, slots=True)
class UneLine:
    """A story « À la une » as outputs show it: its shown entry (the newest copy), why it
    ranks (French, ``rules.importance.reason``) and every outlet that carried it."""

    entry: EntryView
    reason: str
    sources: tuple[str, ...]  # outlets' titles, first publisher first
    key: str  # the story's key (``EntryView.story``)


@dataclass(frozen=True, slots=True)
class Une:
    """« À la une » of a digest over a period (``selection.une_lines``)."""

    lines: tuple[UneLine, ...] = ()
    # The last change of any copy of the period's stories: a copy arriving late (with an old
    # date) may move a story up, so it moves the outputs' Last-Modified too.
    changed: datetime | None = None


@dataclass(frozen=True, slots=True)
class StoryCopy:
    """One copy of a story over a period (``Store.story_copies``): what « À la une » ranks."""

    id: str
    cluster: str | None
    feed: str
    feed_title: str
    title: str
    published: datetime
    tags: tuple[str, ...] = ()
    changed: datetime | None = None  # when it last changed in the store (``EntryView``)

    @property
    def story(self) -> str:
        """The key of its story: its cluster's id, else its own (``EntryView.story``)."""
        return self.cluster or self.id


@dataclass(frozen=True, slots=True)
class ProcessedMessage:
    """One message of an IMAP folder handled by an update (remembered by the store)."""

    uid: int
    key: str | None  # the entry's key; None when the message could not be read
    error: str | None = None  # why it could not be read (French)


@dataclass(frozen=True, slots=True)
class FeedTarget:
    """What the pipeline needs to fetch one feed."""

    id: str
    url: str  # the URL to fetch now
    validators: Validators
    every: timedelta
    error_count: int = 0
    status: FeedStatus = "pending"


@dataclass(frozen=True, slots=True)
class Selection:
    """One selection of entries, shared by every output (API, page, feeds, e-mail).

    ``cursor`` is the opaque keyset cursor returned with the previous page.
    """

    tags: tuple[str, ...] = ()  # any of these
    exclude_tags: tuple[str, ...] = ()
    feeds: tuple[str, ...] = ()
    query: str = ""  # full-text search (user syntax: words, "phrases", -exclusion, OR)
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 50
    cursor: str | None = None
    collapse: bool = False  # one line per story (clusters collapsed)
    # A digest's name: the stories an editor hid from that digest are left out (in SQL, before
    # the limit, so a page is never shortened by them). Empty: nothing is hidden.
    hidden_from: str = ""
    # Whose reading state the entries carry (``EntryView.read``…) and the filters on it.
    reader: Reader | None = None
    unread_only: bool = False
    starred_only: bool = False
    read_only: bool = False  # the read ones only (Google Reader's ``…/state/com.google/read``)
    arrived_since: datetime | None = None  # entries the store first saw after it
    oldest_first: bool = False  # ascending order (the cursor follows it)


@dataclass(frozen=True, slots=True)
class EntryRef:
    """An entry's id and dates: what a list of ids shows (``Store.list_entry_refs``)."""

    id: str
    published: datetime
    arrived: datetime


@dataclass(frozen=True, slots=True)
class EntryPage:
    entries: tuple[EntryView, ...]
    next_cursor: str | None
