"""What the parser workers compute beside each entry: its tags (with reasons) and its index text.

A module of its own, light on imports, because the parent process unpickles these from the
workers and must not import the parsers (feedparser, nh3, selectolax) to do so.
"""

from __future__ import annotations

from dataclasses import dataclass

from veille.rules.search import IndexedText
from veille.rules.tagging import TagReason

__all__ = ["EntryExtras"]


@dataclass(frozen=True, slots=True)
class EntryExtras:
    """What the store writes beside an entry: its tags with reasons, its index text."""

    tags: dict[str, TagReason]
    index: IndexedText
