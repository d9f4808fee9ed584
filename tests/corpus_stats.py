"""How many corpus feeds give at least one entry: our parse vs plain ``feedparser.parse(bytes)``.

Run: ``.venv/bin/python tests/corpus_stats.py [-v]`` (``-v`` lists the files where they differ).
"""

from __future__ import annotations

import sys
import warnings
from datetime import UTC, datetime
from pathlib import Path

import feedparser

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.corpus_files import corpus_root, manifest, url_of
from veille.errors import ParseError
from veille.ingest.parse.feed import parse

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def ours(path: Path, url: str) -> int:
    try:
        return len(parse(url, path.read_bytes(), {}, NOW).entries)
    except ParseError:
        return 0


def plain(path: Path) -> int:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return len(feedparser.parse(path.read_bytes()).entries)


def main() -> int:
    files = manifest()
    if not files:
        print(f"corpus introuvable : {corpus_root()}", file=sys.stderr)
        return 2
    root = corpus_root()
    both = only_ours = only_plain = 0
    differences = []
    for item in files:
        path = root / item.path
        a, b = ours(path, url_of(item.path)) > 0, plain(path) > 0
        both += a and b
        only_ours += a and not b
        only_plain += b and not a
        if a != b:
            differences.append(f"  {'veille' if a else 'feedparser'} only: {item.path}")
    print(f"corpus files (feeds, html, json; opml/text skipped): {len(files)}")
    print(f"with >= 1 entry, veille parse:          {both + only_ours}")
    print(f"with >= 1 entry, feedparser.parse(bytes): {both + only_plain}")
    if "-v" in sys.argv:
        print("\n".join(differences))
    return 0


if __name__ == "__main__":
    sys.exit(main())
