"""Where the shared real-world corpus lives, and which of its files are feeds.

``VEILLE_CORPUS`` overrides the location; otherwise it is ``../shared/corpus/real`` next to the
project root (the team's layout). Tests skip when it is absent.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]

# Kinds of MANIFEST.tsv that are not feeds at all.
NOT_FEEDS = frozenset({"opml", "text"})


@dataclass(frozen=True)
class CorpusFile:
    path: str  # relative to the corpus root
    kind: str  # rss, atom, rss1.0/rdf, json, html, other-xml…
    notes: str


def corpus_root() -> Path:
    override = os.environ.get("VEILLE_CORPUS")
    if override:
        return Path(override)
    return PROJECT_ROOT.parent / "shared" / "corpus" / "real"


def manifest(root: Path | None = None) -> list[CorpusFile]:
    """Every file of MANIFEST.tsv except the non-feeds; empty if the corpus is missing."""
    root = root or corpus_root()
    index = root / "MANIFEST.tsv"
    if not index.is_file():
        return []
    with index.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    return [
        CorpusFile(row["path"], row["kind"], row["notes"])
        for row in rows
        if row["kind"] not in NOT_FEEDS
    ]


def url_of(path: str) -> str:
    """A stable fake URL for a corpus file (relative links resolve against it)."""
    return f"https://corpus.example.org/{path}"
