"""Frozen dataclasses passed between the steps of the pipeline.

They are independent of the ORM (the store maps them to its tables) and of the web layer.
All datetimes are timezone-aware UTC.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from veille.text import readable

FeedType = Literal["feed", "html", "imap"]
FeedStatus = Literal["ok", "error", "disabled", "pending"]


# --- configuration (feeds.yaml) -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PageSpec:
    """How to read entries out of a web page without a feed (``type: html``).

    Each selector is CSS, optionally followed by ``@attribute`` to read that attribute instead
    of the text (``time@datetime``, ``[itemprop=datePublished]@content``); a lone
    ``@attribute`` reads the item element itself. See :mod:`veille.ingest.parse.htmllist`.
    """

    item: str
    title: str
    link: str | None = None  # None: the item's own href, else its first link
    date: str | None = None  # None: the first-seen time
    summary: str | None = None
    date_format: str | None = None  # "iso", a strptime format (French names read), None: guess


ImapTLS = Literal["ssl", "starttls", "none"]


@dataclass(frozen=True, slots=True)
class MailboxSpec:
    """A mailbox folder read for newsletters (``type: imap``).

    From ``url: imaps://user@host[:port]/folder`` (RFC 5092 form) and the feed's keys.
    Without a user in the URL, ``VEILLE_IMAP_USER`` is used. The password is never in
    feeds.yaml: it comes from ``VEILLE_IMAP_PASSWORD`` or from the environment variable named
    by ``password_env``.
    """

    host: str
    user: str | None = None  # None: the VEILLE_IMAP_USER setting
    folder: str = "INBOX"
    port: int = 993
    tls: ImapTLS = "ssl"
    password_env: str | None = None  # None: the VEILLE_IMAP_PASSWORD setting
    move_to: str | None = None  # folder where processed messages are moved


@dataclass(frozen=True, slots=True)
class FeedSpec:
    """One source declared in feeds.yaml."""

    id: str
    url: str
    title: str | None = None
    tags: tuple[str, ...] = ()
    every: timedelta = timedelta(minutes=30)
    type: FeedType = "feed"
    line: int | None = None  # where it is declared, for error messages
    page: PageSpec | None = None  # set for ``type: html``
    mailbox: MailboxSpec | None = None  # set for ``type: imap``
    # A State education authority (ministry, Éduscol, an académie, Canopé…): weighs in « À la
    # une » (``institution: true`` in feeds.yaml; see ``veille.rules.importance``).
    institution: bool = False


@dataclass(frozen=True, slots=True)
class TagRule:
    """One theme of the taxonomy (semantics: ``veille.rules.tagging``): terms that give the
    tag (``match``), terms that need support (``weak``), terms that veto it (``exclude``),
    contexts in which its terms do not count (``ignore``), hosts whose links get it (``hosts``)."""

    name: str
    label: str
    match: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    weak: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    hosts: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class MailSpec:
    to: tuple[str, ...]
    at: str  # "mon 07:30" (Europe/Paris)


NotifyKind = Literal["matrix", "webhook"]
NotifyWhen = Literal["issue", "daily"]


@dataclass(frozen=True, slots=True)
class NotifyTarget:
    """A place a digest is announced (``notify:`` of a digest): a Matrix room (Tchap) or a
    webhook, when an issue goes out or every day at ``at``. Secrets stay in the environment:
    ``secret_env`` names the variable of the Matrix access token or the webhook's key."""

    kind: NotifyKind
    url: str  # the homeserver's base URL (matrix) or the URL posted to (webhook)
    when: NotifyWhen
    room: str = ""  # matrix: "!id:server" or "#alias:server"
    secret_env: str = ""  # matrix: required (token_env); webhook: optional (signature)
    at: str = ""  # daily: "08:00" (Europe/Paris)
    min_entries: int = 1  # daily: no message for fewer new articles
    max_entries: int = 10  # daily: lines of articles at most, then a link

    @property
    def key(self) -> str:
        """Stable identity of the target in the outbox: what it sends where, never a secret
        (an edit of its limits keeps its history; a new room or URL is a new target)."""
        where = f"{self.kind}|{self.url}|{self.room}|{self.when}|{self.at}"
        return f"{self.kind}:{hashlib.sha256(where.encode()).hexdigest()[:16]}"


@dataclass(frozen=True, slots=True)
class Weights:
    """How much each signal of « À la une » weighs (``une.weights`` of a digest in feeds.yaml;
    their meaning: ``veille.rules.importance``)."""

    sources: float = 2.0
    institution: float = 1.5
    themes: float = 0.5
    recency: float = 1.0


UNE_SIZE = 5  # stories « À la une » unless ``une.size`` says otherwise


@dataclass(frozen=True, slots=True)
class UneSpec:
    """« À la une » of a digest (``une:`` in feeds.yaml): how many stories, ranked how."""

    size: int = UNE_SIZE
    weights: Weights = Weights()


@dataclass(frozen=True, slots=True)
class DigestSpec:
    name: str
    title: str
    window: timedelta = timedelta(days=1)
    tags: tuple[str, ...] = ()
    exclude_tags: tuple[str, ...] = ()
    feeds: tuple[str, ...] = ()
    query: str = ""
    mail: MailSpec | None = None
    notify: tuple[NotifyTarget, ...] = ()
    une: UneSpec | None = UneSpec()  # None: no « À la une » (``une: false`` or ``size: 0``)


@dataclass(frozen=True, slots=True)
class Config:
    """The whole of feeds.yaml, validated."""

    path: str
    feeds: tuple[FeedSpec, ...] = ()
    tags: tuple[TagRule, ...] = ()
    digests: tuple[DigestSpec, ...] = ()
    labels: tuple[tuple[str, str], ...] = ()  # ``labels:``: names of the feeds' own tags

    def feed(self, feed_id: str) -> FeedSpec | None:
        return next((f for f in self.feeds if f.id == feed_id), None)

    def digest(self, name: str) -> DigestSpec | None:
        """The digest of feeds.yaml called ``name`` (the one lookup every caller uses)."""
        return next((d for d in self.digests if d.name == name), None)

    def tag_labels(self) -> dict[str, str]:
        """Every tag a reader can pick, with the name shown for it: the themes (their
        ``label``) in file order, then the feeds' own tags (their name under ``labels:``, else
        a readable form of the id: ``blogs-recherche`` → « Blogs recherche »)."""
        labels = {r.name: r.label for r in self.tags}
        declared = dict(self.labels)
        for f in self.feeds:
            for tag in f.tags:
                if tag not in labels:
                    labels[tag] = declared.get(tag) or readable(tag)
        return labels

    def tag_label(self, tag: str) -> str:
        """The name shown for ``tag`` (see ``tag_labels``; an unknown tag is made readable)."""
        return self.tag_labels().get(tag) or readable(tag)


@dataclass(frozen=True, slots=True)
class RefusedEdit:
    """An edit of feeds.yaml that was not applied: where and why, and since when the previous
    configuration is kept."""

    path: str
    line: int | None
    reason: str  # French
    at: datetime  # when it was refused (UTC)
    in_force_since: datetime  # when the configuration still in force was loaded (UTC)

    def __str__(self) -> str:
        """``file:line: reason``, like ``veille check``."""
        return (
            f"{self.path}:{self.line}: {self.reason}"
            if self.line
            else f"{self.path}: {self.reason}"
        )


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


# --- accounts -----------------------------------------------------------------------------------

Role = Literal["lecteur", "editeur"]
ROLES: tuple[Role, ...] = ("lecteur", "editeur")
ROLE_LABELS: dict[Role, str] = {"lecteur": "lecteur", "editeur": "éditeur"}
ACCOUNT_NAME = re.compile(r"[a-z0-9][a-z0-9._@-]{0,63}")
# A new account's reading horizon: its first page shows the last week as new, not the archive.
FIRST_HORIZON = timedelta(days=7)


def account_name(text: str) -> str:
    """A login as stored (lower-case); ValueError (French) when it is not one."""
    name = text.strip().lower()
    if not ACCOUNT_NAME.fullmatch(name):
        raise ValueError(
            f"nom de compte invalide : « {text} » (lettres minuscules sans accent, chiffres "
            "et . _ @ -, 64 caractères au plus, commençant par une lettre ou un chiffre)"
        )
    return name


def parse_role(text: str) -> Role:
    """« lecteur », « éditeur » (accent or not, any case); ValueError (French) otherwise."""
    folded = text.strip().lower().replace("é", "e")
    for role in ROLES:
        if folded == role:
            return role
    raise ValueError(f"rôle inconnu : « {text} » (lecteur ou éditeur)")


@dataclass(frozen=True, slots=True)
class Reader:
    """What a ``Selection`` needs to know of the account reading it."""

    account_id: int
    read_before: datetime  # entries first seen at or before it are read, unless marked


@dataclass(frozen=True, slots=True)
class Account:
    """A person who logs in: a ``lecteur`` reads (with their own read and starred state), an
    ``editeur`` also curates the digests."""

    id: int
    name: str  # the login: lower-case, ``ACCOUNT_NAME``
    display_name: str
    role: Role
    disabled: bool
    created_at: datetime
    # The reading horizon: every entry first seen at or before it is read for this account
    # unless a state row says otherwise (« tout marquer comme lu » moves it).
    read_before: datetime
    previous_visit_at: datetime | None  # start of « nouveaux depuis ma dernière visite »

    @property
    def reader(self) -> Reader:
        return Reader(self.id, self.read_before)

    @property
    def editor(self) -> bool:
        return self.role == "editeur"

    @property
    def shown_name(self) -> str:
        return self.display_name or self.name
