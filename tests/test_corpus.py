"""Every feed of the shared real-world corpus goes through parse; a few have golden files.

Regenerate the goldens with ``UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_corpus.py`` and
review the diff by eye: they must be *right* (accents, dates, links), not merely stable.
"""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.corpus_files import CorpusFile, corpus_root, manifest, url_of
from veille.errors import ParseError
from veille.ingest.parse.feed import parse
from veille.models import ParsedFeed

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
GOLDEN_DIR = Path(__file__).parent / "golden"
FILES = manifest()

# Kinds of documents that may be refused: pages without feed links, XML that is not a feed.
MAY_FAIL_KINDS = frozenset({"html", "other-xml", "cdf/other-xml"})
# Feed-looking files that are rightly refused.
EXPECTED_ERRORS = {
    "netnewswire/json/allthis-partial.json": "truncated JSON",
    "netnewswire/json/ScriptingNews.json": "RSS converted to JSON, not a JSON Feed",
}

pytestmark = pytest.mark.skipif(not FILES, reason=f"corpus absent ({corpus_root()})")

_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")
_TAG = re.compile(r"<[A-Za-z/!?]")  # what an HTML parser would take for markup
_UNSAFE_HTML = re.compile(
    r"<(script|iframe|object|embed|style|form|svg)\b|<[^>]*\son\w+\s*="
    r"|(href|src)\s*=\s*[\"']?\s*(javascript|data|vbscript):",
    re.IGNORECASE,
)


def _check_invariants(feed: ParsedFeed) -> None:
    keys = [e.key for e in feed.entries]
    assert len(keys) == len(set(keys)), "duplicate keys"
    for entry in feed.entries:
        assert entry.key
        assert entry.url is None or entry.url.startswith(("http://", "https://"))
        for text in (entry.title, entry.author or "", *entry.categories):
            assert not _CONTROLS.search(text)
            assert not _TAG.search(text), text
        for html in (entry.summary_html, entry.content_html):
            assert not _CONTROLS.search(html)
            assert not _UNSAFE_HTML.search(html), _UNSAFE_HTML.search(html)
        for date in (entry.published, entry.updated):
            assert date is None or (date.tzinfo is not None and date <= NOW)


@pytest.mark.parametrize("item", FILES, ids=[f.path for f in FILES])
def test_corpus_file_parses(item: CorpusFile) -> None:
    body = (corpus_root() / item.path).read_bytes()
    try:  # how long the slowest one takes: `make bench` (bench/units.py)
        feed = parse(url_of(item.path), body, {}, NOW)
    except ParseError as e:
        assert str(e), "a ParseError must say why, in French"
        if item.kind not in MAY_FAIL_KINDS and item.path not in EXPECTED_ERRORS:
            raise
        return
    assert item.path not in EXPECTED_ERRORS, "now parses: update EXPECTED_ERRORS"
    _check_invariants(feed)


# --- golden files -------------------------------------------------------------------------

GOLDEN = {
    "french-iso-8859-1": "miniflux/parser/no_encoding_ISO-8859-1.xml",
    "latin1-undeclared": "rss-parser/uolNoticias.rss",
    "windows-1251": "miniflux/parser/encoding_WINDOWS-1251.xml",
    "declared-latin1-is-utf8": "miniflux/encoding/utf8-incorrect-prolog.xml",
    "atom-wordpress": "laminas-feed/integration/wordpress-atom10.xml",
    "rss2-wordpress": "laminas-feed/integration/wordpress-rss2-dc-atom.xml",
    "rdf-latin1": "laminas-feed/integration/laut.de-rdf.xml",
    "jsonfeed-1.0": "netnewswire/json/inessential.json",
    "jsonfeed-1.1": "lemon24-reader/full.json",
    "relative-atom": "lemon24-reader/relative.atom",
    "relative-rss": "lemon24-reader/relative.rss",
    "html-discovery": "feed-io/discovery-dualprotocol.html",
}


def _summary(feed: ParsedFeed) -> dict[str, Any]:
    return {
        "kind": feed.kind,
        "title": feed.title,
        "site_url": feed.site_url,
        "language": feed.language,
        "entries": len(feed.entries),
        "discovered": list(feed.discovered),
        "warnings": list(feed.warnings),
        "first_entries": [
            {
                "key": e.key,
                "title": e.title,
                "url": e.url,
                "author": e.author,
                "published": e.published.isoformat() if e.published else None,
                "updated": e.updated.isoformat() if e.updated else None,
                "categories": list(e.categories),
                "summary_start": e.summary_html[:120],
                "content_start": e.content_html[:120],
            }
            for e in feed.entries[:3]
        ],
    }


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_golden(name: str) -> None:
    path = GOLDEN[name]
    feed = parse(url_of(path), (corpus_root() / path).read_bytes(), {}, NOW)
    actual = {"source": path, **_summary(feed)}
    golden = GOLDEN_DIR / f"{name}.json"
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN_DIR.mkdir(exist_ok=True)
        text = json.dumps(actual, ensure_ascii=False, indent=2) + "\n"
        golden.write_text(text, encoding="utf-8")
    assert golden.is_file(), f"missing {golden.name}: run with UPDATE_GOLDEN=1, then review it"
    assert actual == json.loads(golden.read_text(encoding="utf-8"))
