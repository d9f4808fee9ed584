"""Per-entry work done in the parser processes, next to parsing: tags (with their reasons)
and the full-text index text. Both are pure functions of the entry and the rules, so they
run on both cores instead of on the single thread that writes to the database.

The rules travel as a small ``RulesSpec``; each worker rebuilds (compiles) them once per
fingerprint and keeps them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from veille.ingest.extras import EntryExtras
from veille.ingest.parse.feed import parse
from veille.ingest.parse.htmllist import parse_page
from veille.models import PageSpec, ParsedEntry, ParsedFeed
from veille.rules.ruleset import RuleSet, RulesSpec
from veille.rules.search import index_words
from veille.rules.tagging import TagReason, category_words, tag_words, tagging_words
from veille.text import strip_html, words

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
    """Extras of each entry, by entry key (tags are empty without rules).

    Each field is stripped, tokenised and stemmed once, for the tags and the index together.
    """
    compiled = _rules(rules) if rules is not None else None
    feed_tags = compiled.feed_tags.get(feed_id, ()) if compiled else ()
    extras = {}
    for e in entries:
        title = words(e.title)
        summary_text = strip_html(e.summary_html)
        content_text = strip_html(e.content_html)
        summary = words(summary_text)
        content = summary if content_text == summary_text else words(content_text)
        categories = [words(c) for c in e.categories]
        tags = {}
        if compiled is not None:
            # the same words, unless a dotted acronym (« I.A. ») in a short field is read
            # differently (``tag``: the content, long, is taken as tokenised)
            fields = (
                tagging_words(e.title, title) if e.title else None,
                tagging_words(summary_text, summary) if summary_text else None,
                content if content_text and content is not summary else None,
                category_words(
                    [tagging_words(c, w) for c, w in zip(e.categories, categories, strict=True)]
                )
                if categories
                else None,
            )
            tags = tag_words(fields, feed_tags, compiled.compiled, e.url)
        index = index_words(
            title.stems, summary.stems, content.stems, words(e.author or "").stems,
            [c.stems for c in categories],
        )  # fmt: skip
        extras[e.key] = EntryExtras(tags=tags, index=index)
    return extras


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


def tag_many(rules: RulesSpec, rows: list[tuple[Any, ...]]) -> list[dict[str, TagReason]]:
    """Tags of stored entries ``(feed_id, title, summary_html, content_html, categories[,
    url])`` (``RuleSet.tag_fields``), for a retag spread over worker processes."""
    compiled = _rules(rules)
    return [compiled.tag_fields(*row) for row in rows]
