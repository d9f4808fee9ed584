"""ParserPool: real worker processes, a real slow feedparser input, real time limits."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from datetime import UTC, datetime

import pytest

from veille.errors import ParseError, ParseTimeoutError
from veille.ingest.workers import ParserPool
from veille.models import ParsedFeed

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
FEED = (
    '<?xml version="1.0" encoding="ISO-8859-1"?><rss version="2.0"><channel><title>Coll\xe8ge'
    "</title><item><guid>1</guid><title>\xc9t\xe9</title></item></channel></rss>"
).encode("latin-1")
# feedparser's e-mail regex is quadratic on a long author without "@": about 5 s for this one
# (it holds the GIL all along). This is the kind of input the pool exists for.
# feedparser's e-mail regex backtracks on this author for minutes (the "@" keeps the document
# away from veille.ingest.parse.fastfeed, which leaves authors with an address to feedparser).
CATASTROPHIC = (
    '<rss version="2.0"><channel><title>t</title><item><title>x</title><author>'
    + "a" * 40_000
    + "@</author></item></channel></rss>"
).encode()


def sleepy_parse(url: str, body: bytes, headers: Mapping[str, str], now: datetime) -> ParsedFeed:
    """A stand-in parse that takes ``body`` seconds (runs in the worker: must be importable)."""
    time.sleep(float(body))
    return ParsedFeed(kind="rss", title=url)


def crashing_parse(url: str, body: bytes, headers: Mapping[str, str], now: datetime) -> ParsedFeed:
    import os

    os._exit(3)


def greedy_parse(url: str, body: bytes, headers: Mapping[str, str], now: datetime) -> ParsedFeed:
    blob = bytearray(2 << 30)  # 2 GiB: above the worker's address-space limit
    return ParsedFeed(kind="rss", title=str(len(blob)))


def test_parse_in_worker() -> None:
    async def run() -> ParsedFeed:
        async with ParserPool() as pool:
            return await pool.parse("https://ex.fr/f", FEED, {}, NOW)

    feed = asyncio.run(run())
    assert feed.title == "Collège" and feed.entries[0].title == "Été"


def test_parse_errors_cross_the_process_boundary() -> None:
    async def run() -> None:
        async with ParserPool() as pool:
            with pytest.raises(ParseError, match="ni un flux RSS/Atom") as caught:
                await pool.parse("https://ex.fr/f", b"Bonjour", {}, NOW)
            assert caught.value.url == "https://ex.fr/f"

    asyncio.run(run())


@pytest.mark.timeout(30)
def test_slow_parse_times_out_and_the_pool_goes_on() -> None:
    async def run() -> None:
        async with ParserPool(timeout=1) as pool:
            started = time.monotonic()
            slow = pool.parse("https://ex.fr/slow", CATASTROPHIC, {}, NOW)
            fine = pool.parse("https://ex.fr/fine", FEED, {}, NOW)
            results = await asyncio.gather(slow, fine, return_exceptions=True)
            assert time.monotonic() - started < 4
            assert isinstance(results[0], ParseTimeoutError)
            assert str(results[0]) == "analyse trop longue (plus de 1 s) : flux abandonné"
            assert isinstance(results[1], ParsedFeed)  # ran on the other worker meanwhile
            # the killed worker was replaced: the pool still parses, on both workers
            again = await asyncio.gather(*(pool.parse("u", FEED, {}, NOW) for _ in range(3)))
            assert all(f.title == "Collège" for f in again)

    asyncio.run(run())


def test_two_parses_run_in_parallel() -> None:
    async def run() -> float:
        async with ParserPool(max_workers=2, function=sleepy_parse) as pool:
            await pool.parse("warm-up", b"0", {}, NOW)  # start the workers
            started = time.monotonic()
            feeds = await asyncio.gather(
                pool.parse("a", b"1", {}, NOW), pool.parse("b", b"1", {}, NOW)
            )
            assert [f.title for f in feeds] == ["a", "b"]
            return time.monotonic() - started

    assert asyncio.run(run()) < 1.8  # the behaviour: two 1 s parses overlap (in series: 2 s)


def test_crashed_worker_is_a_parse_error() -> None:
    async def run() -> None:
        async with ParserPool(function=crashing_parse) as pool:
            with pytest.raises(ParseError, match="arrêté brutalement"):
                await pool.parse("https://ex.fr/f", b"", {}, NOW)

    asyncio.run(run())


def test_memory_limit_is_a_parse_error() -> None:
    async def run() -> None:
        async with ParserPool(function=greedy_parse) as pool:
            with pytest.raises(ParseError, match="limite de mémoire"):
                await pool.parse("https://ex.fr/f", b"", {}, NOW)

    asyncio.run(run())


def test_worker_functions_pickle_as_names_and_arrive_as_functions() -> None:
    import pickle

    from veille.ingest.parse.feed import parse
    from veille.ingest.workers import PARSE, TAG_MANY

    data = pickle.dumps(PARSE)
    assert b"veille.ingest.parse.feed:parse" in data
    assert pickle.loads(data) is parse
    assert pickle.loads(pickle.dumps(TAG_MANY)).__name__ == "tag_many"


def test_the_updating_process_does_not_import_the_parsers() -> None:
    """feedparser, nh3 and charset detection live in the workers: the process holding the
    database and the HTTP client loads feeds.yaml, the store and the pipeline without them."""
    import subprocess
    import sys

    code = (
        "import sys, veille.ingest.service, veille.scheduler, veille.config.load\n"
        "import veille.ingest.pipeline\n"
        "heavy = ('feedparser', 'nh3', 'charset_normalizer', 'veille.ingest.parse.feed',\n"
        "         'veille.ingest.parse.htmllist', 'veille.ingest.parse.sanitize')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy or m in heavy))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert out.stdout.strip() == "[]", out.stdout
