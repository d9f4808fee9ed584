"""The peer (lemon24/reader) on the same data, and the floor (raw XML parse + nh3)."""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from pathlib import Path

import nh3

from . import corpus
from .measure import Stat, repeat

# veille query → the same query in reader's syntax (FTS5 as is)
READER_QUERIES = {
    "numérique": "numérique",
    "élèves": "élèves",
    "tablettes": "tablettes",
    "Quizinière": "Quizinière",
    "sérendipité": "sérendipité",
    '"classe inversée"': '"classe inversée"',
    '"intelligence artificielle"': '"intelligence artificielle"',
    "ludifi*": "ludifi*",
    "évaluation -Kahoot": "évaluation NOT Kahoot",
}

CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"
ATOM = "{http://www.w3.org/2005/Atom}"


def floor(root: Path, feeds: int) -> float:
    """Seconds to parse every corpus document with expat (ElementTree) and sanitise every
    summary and content with nh3, on one core: what no feed reader can go below."""
    bodies = [(root / corpus.file_name(f)).read_bytes() for f in range(feeds)]
    started = time.perf_counter()
    for body in bodies:
        doc = ET.fromstring(body)
        for item in doc.iter("item"):
            for field in ("description", CONTENT):
                text = item.findtext(field)
                if text:
                    nh3.clean(text)
        for entry in doc.iter(f"{ATOM}entry"):
            for field in ("summary", "content"):
                text = entry.findtext(f"{ATOM}{field}")
                if text:
                    nh3.clean(text)
    return time.perf_counter() - started


class ReaderDB:
    """Reads on a database filled by reader's own update (``bench.child``)."""

    def __init__(self, db: Path) -> None:
        from reader import make_reader

        self.reader = make_reader(str(db))
        self.feeds = [f.url for f in self.reader.get_feeds()]

    def close(self) -> None:
        self.reader.close()

    def search(self, query: str, runs: int, sort: str = "recent") -> Stat:
        q = READER_QUERIES[query]
        return repeat(lambda: list(self.reader.search_entries(q, sort=sort, limit=50)), runs)

    def newest(self, runs: int, feed_suffix: str | None = None) -> Stat:
        feed = next(u for u in self.feeds if u.endswith(feed_suffix)) if feed_suffix else None
        return repeat(lambda: list(self.reader.get_entries(feed=feed, limit=50)), runs)
