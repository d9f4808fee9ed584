"""``/digests/NAME/une.rss|.atom|.json``: the top stories of a digest as output feeds — valid
(strict XML, feedparser without complaint, the JSON Feed 1.1 schema), item ids those of the
digest's feeds (``tag:`` URIs of the store's authority), validators that move when a late
copy changes the ranking or an editor hides a story."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from html import unescape
from pathlib import Path
from typing import Any

import feedparser
import jsonschema
import pytest
from fastapi.testclient import TestClient

from veille.models import ParsedEntry
from veille.rules.clustering import ClusterItem, assign_clusters
from veille.store import Store

from .test_output_feeds import SCHEMA, assert_changed_for_old_validators, ids_of, validators_of
from .une_week import NOW, SENTENCES, build_une_app


def first_paragraph(html: str) -> str:
    found = re.match(r"<p>(.*?)</p>", html)
    assert found is not None, html
    return unescape(found.group(1))


@pytest.fixture
def week(tmp_path: Path) -> Iterator[tuple[TestClient, Store]]:
    app, store = build_une_app(tmp_path)
    with TestClient(app) as client:
        yield client, store
    store.close()


def test_the_three_formats_are_valid_and_in_rank_order(week: tuple[TestClient, Store]) -> None:
    client, _ = week
    page = client.get("/digests/hebdo").text
    for ext, version in (("rss", "rss20"), ("atom", "atom10")):
        answer = client.get(f"/digests/hebdo/une.{ext}")
        assert answer.status_code == 200
        ET.fromstring(answer.content)  # strict: raises on any well-formedness error
        parsed = feedparser.parse(answer.content)
        assert not parsed.bozo, parsed.get("bozo_exception")
        assert parsed.version == version
        assert parsed.feed.title == "La semaine du numérique éducatif — À la une"
        assert [first_paragraph(e.summary) for e in parsed.entries] == SENTENCES
        for e in parsed.entries:
            assert e.title in page.replace("&#39;", "'")  # the page's lines, same titles
    answer = client.get("/digests/hebdo/une.json")
    assert answer.headers["content-type"] == "application/feed+json; charset=utf-8"
    doc = json.loads(answer.content)
    jsonschema.validate(doc, SCHEMA, cls=jsonschema.Draft202012Validator)
    # JSON Feed's summary is plain text: the reason, then the article's own summary
    summaries = [i["summary"] for i in doc["items"]]
    assert [t[: len(r)] for t, r in zip(summaries, SENTENCES, strict=True)] == SENTENCES
    assert doc["home_page_url"].endswith("/digests/hebdo#a-la-une")


def test_item_ids_are_the_digests_own(week: tuple[TestClient, Store]) -> None:
    client, store = week
    une = ids_of(client, "/digests/hebdo/une.atom")
    assert len(une) == 5
    assert (
        une == ids_of(client, "/digests/hebdo/une.json") == ids_of(client, "/digests/hebdo/une.rss")
    )
    authority = store.id_authority("ignored.example")
    assert all(i.startswith(f"tag:{authority},2026:") for i in une)
    assert set(une) <= set(ids_of(client, "/digests/hebdo.atom"))  # the same articles


def test_a_late_copy_moves_the_validators(week: tuple[TestClient, Store]) -> None:
    client, store = week
    url = "/digests/hebdo/une.rss"
    old = validators_of(client, url)
    assert client.get(url, headers={"if-none-match": old["if-none-match"]}).status_code == 304
    assert (
        client.get(url, headers={"if-modified-since": old["if-modified-since"]}).status_code == 304
    )
    # Fetched now, published five days ago: a fourth outlet relays the ENT attack.
    later = NOW + timedelta(seconds=2)
    late = ParsedEntry(
        key="late",
        guid="late",
        url="https://educavox.example/monlycee",
        title="Cyberattaque : l'ENT monlycee.net des lycées franciliens paralysé",
        summary_html="<p>L'environnement numérique de travail des lycées d'Île-de-France "
        "monlycee.net est inaccessible depuis lundi après une attaque informatique.</p>",
        published=NOW - timedelta(hours=121),
    )
    store.save_entries("educavox", [late], now=later)
    store.cluster_pending(assign_clusters, ClusterItem, since=NOW - timedelta(days=8))
    assert_changed_for_old_validators(client, url, old)
    reasons = [
        first_paragraph(e.summary) for e in feedparser.parse(client.get(url).content).entries
    ]
    assert "Repris par 4 sources : Le Parisien, Le Café pédagogique et 2 autres." in reasons


def test_hiding_a_story_moves_the_validators(week: tuple[TestClient, Store]) -> None:
    client, store = week
    url = "/digests/hebdo/une.atom"
    old = validators_of(client, url)
    first = feedparser.parse(client.get(url).content).entries[0]
    page = client.get("/digests/hebdo").text
    shown = page.split('<li id="une-')[1].split('"')[0]
    assert store.hide_entry("hebdo", shown, NOW + timedelta(seconds=2))
    assert_changed_for_old_validators(client, url, old)
    assert first.id not in ids_of(client, url)


def test_unknown_digest_and_une_false_are_404(week: tuple[TestClient, Store]) -> None:
    client, _ = week
    assert client.get("/digests/inconnue/une.rss").status_code == 404
    app: Any = client.app
    config = app.state.config
    app.state.config = replace(config, digests=tuple(replace(d, une=None) for d in config.digests))
    try:
        answer = client.get("/digests/hebdo/une.json")
    finally:
        app.state.config = config
    assert answer.status_code == 404
    assert answer.json() == {"detail": "la sélection « hebdo » n'a pas d'« À la une » (une: false)"}
