"""From a served feed to every output: titles are text, no control character gets through.

Two sources on a loopback HTTP server (RSS and JSON Feed) carry markup in their titles and
control characters in title, author and summary; the real pipeline stores them; the digest's
RSS, Atom, JSON Feed and HTML page are read back as bytes.
"""

from __future__ import annotations

import asyncio
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from fastapi.testclient import TestClient

from tests.servers import FeedServer
from veille.ingest.fetch import Fetcher
from veille.ingest.pipeline import Updater
from veille.ingest.policy import FetchPolicy
from veille.ingest.workers import ParserPool
from veille.models import Config, DigestSpec, FeedSpec, UpdateResult
from veille.settings import Settings
from veille.store import Store
from veille.web import create_app

# C0 but tab/newline/CR, DEL, C1, and what XML 1.0 cannot carry.
CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")
MARKUP = re.compile(r"<\s*/?\s*(b|script|img)\b|&lt;\s*/?\s*(b|script|img)\b", re.IGNORECASE)

# The publisher's title is HTML escaped once into XML; the second one is escaped twice, so
# that the text decoded once is itself markup.
RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>
<title>Le &lt;i&gt;blog&lt;/i&gt; de l'école\x7f</title><link>https://blog.example/</link>
<item><title>Le &lt;b&gt;numérique&lt;/b&gt; &amp;amp; l'école\x1b\x7f\x9d</title>
<link>https://blog.example/1</link><guid>b-1</guid><pubDate>{date}</pubDate>
<dc:creator>Anne\x7f Martin\x9d</dc:creator>
<description>&lt;p&gt;Des tablettes\x0b\x7f en classe\x9d.&lt;/p&gt;</description></item>
<item><title>&amp;lt;script&amp;gt;alert(1)&amp;lt;/script&amp;gt; Faille
&amp;lt;img src=x onerror=alert(2)&amp;gt;corrigée</title>
<link>https://blog.example/2</link><guid>b-2</guid><pubDate>{date}</pubDate>
<description>Corps</description></item>
</channel></rss>"""


def _json_feed(date: datetime) -> bytes:
    item = {
        "id": "j-1",
        "url": "https://json.example/1",
        "title": "Évaluer <b>sans</b> noter\x1b\x7f",
        "authors": [{"name": "Paul\x85\x9d"}],
        "content_html": "<p>Texte\x7f\x0c\x9d</p>",
        "date_published": date.isoformat(),
    }
    doc = {"version": "https://jsonfeed.org/version/1.1", "title": "Fil\x7f", "items": [item]}
    return json.dumps(doc).encode()


def _ingest(store: Store, server: FeedServer, config: Config, now: datetime) -> list[UpdateResult]:
    async def go() -> list[UpdateResult]:
        policy = FetchPolicy(timeout=5, allowed_hosts=frozenset({server.host_port}))
        pool = ParserPool(max_workers=1, timeout=10)
        try:
            async with Fetcher(policy, now=lambda: now) as fetcher:
                updater = Updater(store=store, fetcher=fetcher, parser=pool, now=lambda: now)
                try:
                    await updater.apply_config(config)
                    return await updater.update()
                finally:
                    updater.close()
        finally:
            pool.close()

    return asyncio.run(go())


@pytest.fixture
def client(store: Store) -> Iterator[TestClient]:
    now = datetime.now(UTC)
    with FeedServer() as server:
        date = now - timedelta(hours=1)
        server.set(
            "/rss",
            RSS.format(date=format_datetime(date)).encode(),
            content_type="application/rss+xml",
        )
        server.set("/json", _json_feed(date), content_type="application/feed+json")
        config = Config(
            path="feeds.yaml",
            feeds=(FeedSpec("blog", server.url("/rss")), FeedSpec("json", server.url("/json"))),
            digests=(DigestSpec("jour", "Le jour", window=timedelta(days=1)),),
        )
        results = _ingest(store, server, config, now)
    assert [(r.status, r.new) for r in results] == [("ok", 2), ("ok", 1)]
    with TestClient(
        create_app(Settings(base_url="https://veille.example.org/"), store, config)
    ) as c:
        yield c


def _get(client: TestClient, path: str) -> str:
    response = client.get(path, headers={"accept-encoding": "identity"})
    assert response.status_code == 200, path
    assert not CONTROLS.search(response.content.decode("utf-8")), path
    return response.content.decode("utf-8")


def test_outputs_carry_text_titles_and_no_control_character(client: TestClient) -> None:
    expected = {"Le numérique & l'école", "Faille corrigée", "Évaluer sans noter"}
    rss_text = _get(client, "/digests/jour.rss")
    rss = ET.fromstring(rss_text.encode())  # well-formed XML
    assert {t.text for t in rss.iterfind("channel/item/title")} == expected
    atom_text = _get(client, "/digests/jour.atom")
    atom = ET.fromstring(atom_text.encode())
    ns = "{http://www.w3.org/2005/Atom}"
    assert {t.text for t in atom.iterfind(f"{ns}entry/{ns}title")} == expected
    feed = json.loads(_get(client, "/digests/jour.json"))
    assert {i["title"] for i in feed["items"]} == expected
    authors = {a["name"] for i in feed["items"] for a in i.get("authors", [])}
    assert {"Anne Martin", "Paul…"} <= authors
    page = _get(client, "/digests/jour")
    assert "Le numérique &amp; l" in page and "Faille corrigée" in page
    # Neither as tags nor as escaped tags (what a reader rendering titles as HTML would run).
    for document in (rss_text, atom_text):
        titles = re.findall(r"<title[^>]*>(.*?)</title>", document, re.DOTALL)
        assert len(titles) == 4 and not any(MARKUP.search(t) for t in titles)
    assert not MARKUP.search(page)
    assert not MARKUP.search(json.dumps([i["title"] for i in feed["items"]]))
