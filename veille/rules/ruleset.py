"""The rules a store tags with: the taxonomy of feeds.yaml and each feed's own tags, compiled
once (``veille.rules.tagging``) and identified by a fingerprint, so that the store knows when
its tags were given by other rules (a retag is due) and so that worker processes rebuild the
same rules from a small picklable spec."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass

from veille.models import Config, ParsedEntry, TagRule
from veille.rules.tagging import CompiledRules, EntryText, TagReason, compile_rules, tag
from veille.text import strip_html

__all__ = ["RuleSet", "RulesSpec"]


@dataclass(frozen=True, slots=True)
class RulesSpec:
    """A ``RuleSet`` as data (see ``RuleSet.spec``); ``fingerprint`` identifies it."""

    fingerprint: str
    rules: tuple[TagRule, ...]
    feed_tags: tuple[tuple[str, tuple[str, ...]], ...]


@dataclass(frozen=True, slots=True)
class RuleSet:
    """The taxonomy of a config plus each feed's own tags, ready to tag stored entries.

    ``fingerprint`` changes whenever anything that decides tags changes (rules or feed tags):
    the store remembers the fingerprint it last tagged with, and a different one means a retag.
    """

    compiled: CompiledRules
    feed_tags: dict[str, tuple[str, ...]]
    fingerprint: str

    @classmethod
    def from_config(cls, config: Config) -> RuleSet:
        return cls.build(config.tags, {f.id: f.tags for f in config.feeds})

    @classmethod
    def build(cls, rules: Sequence[TagRule], feed_tags: dict[str, tuple[str, ...]]) -> RuleSet:
        payload = json.dumps(
            [
                [[r.name, r.match, r.exclude, r.weak, r.ignore, r.hosts] for r in rules],
                sorted([feed, list(tags)] for feed, tags in feed_tags.items()),
            ],
            ensure_ascii=False,
        )
        return cls(
            compiled=compile_rules(rules),
            feed_tags=dict(feed_tags),
            fingerprint=hashlib.sha256(payload.encode()).hexdigest()[:16],
        )

    @property
    def spec(self) -> RulesSpec:
        """What rebuilds these rules elsewhere (a worker process): small and picklable."""
        return RulesSpec(self.fingerprint, self.compiled.rules, tuple(self.feed_tags.items()))

    def tag_fields(
        self,
        feed_id: str,
        title: str,
        summary_html: str,
        content_html: str,
        categories: tuple[str, ...],
        url: str | None = None,
    ) -> dict[str, TagReason]:
        """Tags of one entry from its stored fields (HTML is stripped here) and its link."""
        text = EntryText(
            title=title,
            summary=strip_html(summary_html),
            content=strip_html(content_html),
            categories=categories,
            feed_tags=self.feed_tags.get(feed_id, ()),
            url=url,
        )
        return tag(text, self.compiled)

    def tag_entry(self, feed_id: str, entry: ParsedEntry) -> dict[str, TagReason]:
        return self.tag_fields(
            feed_id,
            entry.title,
            entry.summary_html,
            entry.content_html,
            entry.categories,
            entry.url,
        )
