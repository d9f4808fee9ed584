"""A dry run of the rules over stored entries (``veille tags test``): nothing is written."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from veille.rules.ruleset import RuleSet
from veille.rules.tagging import TagReason

__all__ = ["TagPreview", "preview"]


@dataclass(frozen=True, slots=True)
class TagPreview:
    """A dry run of the rules over stored entries (``veille tags test``)."""

    entries: int
    counts: dict[str, int]  # tag -> entries the rules give it to
    untagged: int  # entries with no tag at all (feed tags aside)
    samples: dict[str, list[tuple[str, TagReason]]]  # tag -> [(title, reason)], a few each
    untagged_samples: list[str]


def preview(
    rows: Iterable[tuple[Any, ...]],
    rules: RuleSet,
    *,
    per_tag: int = 3,
) -> TagPreview:
    """Apply ``rules`` to ``(id, feed, title, summary_html, content_html, categories[, url])``
    rows (``Store.tagging_fields``)."""
    counts: dict[str, int] = {r.name: 0 for r in rules.compiled.rules}
    samples: dict[str, list[tuple[str, TagReason]]] = {}
    untagged_samples: list[str] = []
    entries = untagged = 0
    for _id, *fields in rows:
        entries += 1
        title = fields[1]
        tags = rules.tag_fields(*fields)
        themes = {name: r for name, r in tags.items() if r.field != "source"}
        if not themes:
            untagged += 1
            if len(untagged_samples) < per_tag * 3:
                untagged_samples.append(title)
        for name, reason in themes.items():
            counts[name] = counts.get(name, 0) + 1
            found = samples.setdefault(name, [])
            if len(found) < per_tag:
                found.append((title, reason))
    return TagPreview(entries, counts, untagged, samples, untagged_samples)
