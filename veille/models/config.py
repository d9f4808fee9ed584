"""The configuration as data: what feeds.yaml declares (sources, themes, digests, letters,
notifications), frozen, independent of YAML and of the store.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
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
