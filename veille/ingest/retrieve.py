"""Fetch and parse one feed, storing nothing: the first two steps of an update::

    fetch.Fetcher.fetch | prepare.parse_prepared in a worker (prepare.parse_page_prepared for
    ``type: html``) | a web page advertising a feed: fetch.Fetcher.fetch that feed | parse it

Shared by the pipeline (:class:`veille.ingest.pipeline.Updater`) and ``veille check --fetch``, so
the
check shows what an update does: same fetch policy, same parse in a worker process, same
discovery of the feed a web page announces (``<link rel="alternate">``, the first one).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, TypeVar

from veille.errors import ParseError
from veille.ingest.extras import EntryExtras
from veille.ingest.workers import PARSE_PAGE_PREPARED, PARSE_PREPARED
from veille.models import FetchResult, PageSpec, ParsedEntry, ParsedFeed, Validators
from veille.rules.ruleset import RulesSpec

__all__ = ["FetcherLike", "ParserLike", "Retrieved", "retrieve"]

T = TypeVar("T")


class FetcherLike(Protocol):
    async def fetch(self, url: str, validators: Validators = ...) -> FetchResult: ...


class ParserLike(Protocol):
    async def call(self, function: Callable[..., T], url: str, *args: Any) -> T: ...

    async def read_message(
        self, source: str, raw: bytes, received: datetime | None, now: datetime
    ) -> ParsedEntry: ...


@dataclass(frozen=True, slots=True)
class Retrieved:
    """One feed fetched and parsed. ``parsed`` is None when the server said "not modified".

    ``fetched`` is the response the entries come from: after a web page, the feed it
    announced first (``page_url`` is then the page, ``discovered`` all the feeds it announced).
    ``fetch_url`` is the URL to fetch from now on, when it changes: the discovered feed, or the
    target of permanent redirects.
    """

    fetched: FetchResult
    parsed: ParsedFeed | None
    extras: dict[str, EntryExtras] = field(default_factory=dict)
    page_url: str | None = None
    discovered: tuple[str, ...] = ()

    @property
    def fetch_url(self) -> str | None:
        return self.fetched.url if self.page_url else self.fetched.permanent_url


async def retrieve(
    fetcher: FetcherLike,
    parser: ParserLike,
    feed_id: str,
    url: str,
    validators: Validators,
    *,
    now: Callable[[], datetime],
    page: PageSpec | None = None,
    rules: RulesSpec | None = None,
) -> Retrieved:
    """Fetch ``url`` and parse it (tags and index text with ``rules``); a web page that is
    not a ``type: html`` source is followed to the first feed it advertises."""
    fetched = await fetcher.fetch(url, validators)
    if fetched.not_modified:
        return Retrieved(fetched, None)
    assert fetched.body is not None
    if page is not None:
        parsed, extras = await parser.call(
            PARSE_PAGE_PREPARED,
            fetched.url,
            fetched.body,
            dict(fetched.headers),
            now(),
            page,
            feed_id,
            rules,
        )
        return Retrieved(fetched, parsed, extras)
    parsed, extras = await _parse(parser, fetched, feed_id, now, rules)
    if parsed.kind != "html":
        return Retrieved(fetched, parsed, extras)
    if not parsed.discovered:
        raise ParseError(url, "page web sans flux RSS/Atom annoncé")
    discovered = parsed.discovered
    feed = await fetcher.fetch(discovered[0], Validators())
    if feed.not_modified:  # cannot happen without validators; be explicit anyway
        raise ParseError(url, "flux découvert vide")
    parsed, extras = await _parse(parser, feed, feed_id, now, rules)
    if parsed.kind == "html":
        raise ParseError(url, "le lien annoncé par la page n'est pas un flux")
    return Retrieved(feed, parsed, extras, page_url=fetched.url, discovered=discovered)


async def _parse(
    parser: ParserLike,
    fetched: FetchResult,
    feed_id: str,
    now: Callable[[], datetime],
    rules: RulesSpec | None,
) -> tuple[ParsedFeed, dict[str, EntryExtras]]:
    """Parse in a worker, which also tags the entries and prepares their index text."""
    assert fetched.body is not None
    return await parser.call(
        PARSE_PREPARED, fetched.url, fetched.body, dict(fetched.headers), now(), feed_id, rules
    )
