"""Per-entry work done in the parser processes, next to parsing: tags (with their reasons)
and the full-text index text. Both are pure functions of the entry and the rules, so they
run on both cores instead of on the single thread that writes to the database.

The rules travel as a small ``RulesSpec``; each worker rebuilds (compiles) them once per
fingerprint and keeps them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from .htmllist import parse_page
from .models import PageSpec, ParsedEntry, ParsedFeed
from .parse import parse
from .search import IndexedText, index_text
from .tag import RuleSet, RulesSpec, TagReason


@dataclass(frozen=True, slots=True)
class EntryExtras:
    """What the store writes beside an entry: its tags with reasons, its index text."""

    tags: dict[str, TagReason]
    index: IndexedText


_RULES: dict[str, RuleSet] = {}  # per worker process: fingerprint -> compiled rules


def _rules(spec: RulesSpec) -> RuleSet:
    rules = _RULES.get(spec.fingerprint)
    if rules is None:
        _RULES.clear()  # one configuration at a time
        rules = _RULES[spec.fingerprint] = RuleSet.build(spec.rules, dict(spec.feed_tags))
    return rules


def extras_for(
    feed_id: str, entries: Sequence[ParsedEntry], rules: RulesSpec | None
) -> dict[str, EntryExtras]:
    """Extras of each entry, by entry key (tags are empty without rules)."""
    compiled = _rules(rules) if rules is not None else None
    return {
        e.key: EntryExtras(
            tags=compiled.tag_entry(feed_id, e) if compiled else {},
            index=index_text(e.title, e.summary_html, e.content_html, e.author, e.categories),
        )
        for e in entries
    }


def parse_prepared(
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    now: datetime,
    feed_id: str,
    rules: RulesSpec | None,
) -> tuple[ParsedFeed, dict[str, EntryExtras]]:
    """``parse`` plus the extras of its entries (run in a worker)."""
    feed = parse(url, body, headers, now)
    return feed, extras_for(feed_id, feed.entries, rules)


def parse_page_prepared(
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    now: datetime,
    spec: PageSpec,
    feed_id: str,
    rules: RulesSpec | None,
) -> tuple[ParsedFeed, dict[str, EntryExtras]]:
    """``parse_page`` (``type: html``) plus the extras of its entries (run in a worker)."""
    feed = parse_page(url, body, headers, now, spec)
    return feed, extras_for(feed_id, feed.entries, rules)


def tag_many(
    rules: RulesSpec, rows: list[tuple[str, str, str, str, tuple[str, ...]]]
) -> list[dict[str, TagReason]]:
    """Tags of stored entries ``(feed_id, title, summary_html, content_html, categories)``,
    for a retag spread over worker processes."""
    compiled = _rules(rules)
    return [compiled.tag_fields(*row) for row in rows]
