"""Same-story clusters in the store: assigned after an update, collapsed in lists, and shown
as one line with « Aussi dans » on a digest page."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from html import unescape
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from markupsafe import escape

from veille.config.load import load_config
from veille.models import FeedSpec, ParsedEntry, Selection
from veille.rules.clustering import ClusterItem, assign_clusters
from veille.settings import Settings
from veille.store import Store
from veille.web import create_app

from .story_pairs import TUNED


def save(store: Store, feed: str, title: str, when: datetime, url: str | None = None) -> None:
    entry = ParsedEntry(key=title, guid=title, url=url, title=title, published=when)
    store.save_entries(feed, [entry], now=when)


def test_same_story_from_three_sources_is_one_line(store: Store, now: datetime) -> None:
    store.sync_feeds(
        [
            FeedSpec("cafe", "https://cafe.example/f", title="Le Café pédagogique"),
            FeedSpec("vni", "https://vni.example/f", title="VousNousIls"),
            FeedSpec("ludo", "https://ludo.example/f", title="Ludomag"),
        ]
    )
    t = now - timedelta(hours=10)
    save(store, "cafe", "Bac 2027 : le ministère publie le calendrier des épreuves", t)
    save(store, "vni", "Le calendrier des épreuves du bac 2027 est publié", t + timedelta(hours=2))
    save(store, "ludo", "Bac 2027 : le calendrier des épreuves dévoilé", t + timedelta(hours=5))
    save(store, "ludo", "Pix : la certification devient obligatoire en 3e", t)
    save(store, "cafe", "Pix : nouvelle campagne de certification en terminale", t)

    placed = store.cluster_pending(assign_clusters, ClusterItem, since=now - timedelta(days=7))
    assert placed == 5
    assert store.cluster_pending(assign_clusters, ClusterItem, since=now - timedelta(days=7)) == 0

    full = store.list_entries(Selection()).entries
    assert len(full) == 5
    bac = [e for e in full if "bac" in e.title.lower()]
    assert len({e.cluster for e in bac}) == 1
    pix = [e for e in full if e.title.startswith("Pix")]
    assert len({e.cluster for e in pix}) == 2  # two different stories

    collapsed = store.list_entries(Selection(collapse=True)).entries
    assert len(collapsed) == 3
    (shown,) = [e for e in collapsed if "bac" in e.title.lower()]
    assert shown.feed == "ludo"  # the newest telling of the story
    assert shown.also_in == ("Le Café pédagogique", "VousNousIls")

    # Filters apply before collapsing: without Ludomag, the story shows through VousNousIls.
    without = store.list_entries(Selection(collapse=True, feeds=("cafe", "vni"))).entries
    (shown,) = [e for e in without if "bac" in e.title.lower()]
    assert shown.feed == "vni"


def test_hiding_the_line_of_a_story_hides_the_story_from_that_digest(
    store: Store, now: datetime
) -> None:
    """The editor saw one line per story and hid it: no other telling takes its place, now
    or when a newer one arrives; other digests still carry it."""
    store.sync_feeds(
        [
            FeedSpec("cafe", "https://cafe.example/f"),
            FeedSpec("vni", "https://vni.example/f"),
            FeedSpec("ludo", "https://ludo.example/f"),
        ]
    )
    t = now - timedelta(hours=10)
    save(store, "cafe", "Bac 2027 : le ministère publie le calendrier des épreuves", t)
    save(store, "vni", "Le calendrier des épreuves du bac 2027 est publié", t + timedelta(hours=2))
    save(store, "cafe", "Pix : la certification devient obligatoire en 3e", t)
    store.cluster_pending(assign_clusters, ClusterItem, since=now - timedelta(days=7))
    digest = Selection(collapse=True, hidden_from="hebdo")
    (line,) = [e for e in store.list_entries(digest).entries if "bac" in e.title.lower()]
    assert store.hide_entry("hebdo", line.id, now)

    assert [e.title for e in store.list_entries(digest).entries] == [
        "Pix : la certification devient obligatoire en 3e"
    ]
    save(store, "ludo", "Bac 2027 : le calendrier des épreuves dévoilé", t + timedelta(hours=5))
    store.cluster_pending(assign_clusters, ClusterItem, since=now - timedelta(days=7))
    assert len(store.list_entries(digest).entries) == 1
    other = Selection(collapse=True, hidden_from="quotidien")
    assert len(store.list_entries(other).entries) == 2


# --- A story told by several outlets under rephrased titles (tests/data/story_pairs.json) ---

STORIES = TUNED
OUTLETS = {
    "cafe-pedagogique": "Le Café pédagogique",
    "vousnousils": "VousNousIls",
    "ouest-france": "Ouest-France",
    "ludomag": "Ludomag",
    "franceinfo": "franceinfo",
    "touteduc": "ToutEduc",
}
FEEDS_YAML = "".join(
    f"  - id: {feed}\n    url: https://{feed}.example/feed\n    title: {title}\n"
    for feed, title in OUTLETS.items()
)


def save_topic(store: Store, name: str, now: datetime) -> dict[str, list[str]]:
    """Store every telling of a topic of the pair set, moved to end an hour before ``now``;
    returns the titles of each story."""
    (topic,) = [t for t in STORIES["topics"] if t["topic"] == name]
    tellings = [(s["story"], t) for s in topic["stories"] for t in s["tellings"]]
    last = max(datetime.fromisoformat(t["published"]) for _, t in tellings)
    shift = now - timedelta(hours=1) - last
    store.sync_feeds(
        [FeedSpec(f, f"https://{f}.example/feed", title=t) for f, t in OUTLETS.items()]
    )
    for i, (_, t) in enumerate(tellings):
        entry = ParsedEntry(
            key=f"k{i}",
            guid=f"k{i}",
            url=f"https://{t['feed']}.example/{i}",
            title=t["title"],
            summary_html=f"<p>{t['summary']}</p>",
            published=datetime.fromisoformat(t["published"]) + shift,
        )
        store.save_entries(t["feed"], [entry], now=now)
    titles: dict[str, list[str]] = {}
    for story, t in tellings:
        titles.setdefault(story, []).append(t["title"])
    return titles


def test_rephrased_story_is_one_line_with_its_other_sources(store: Store, now: datetime) -> None:
    """Four outlets tell a Pronote outage under four titles, two others a phishing wave at
    Pronote two days later: two lines, each naming the outlets it stands for."""
    titles = save_topic(store, "Pronote : pannes et incidents", now)
    assert store.cluster_pending(assign_clusters, ClusterItem, since=now - timedelta(days=7)) == 6

    entries = store.list_entries(Selection()).entries
    outage = {e.cluster for e in entries if e.title in titles["pronote-panne-rentree"]}
    phishing = {e.cluster for e in entries if e.title in titles["pronote-hameconnage"]}
    assert len(outage) == 1 and len(phishing) == 1 and outage != phishing

    lines = store.list_entries(Selection(collapse=True)).entries
    assert len(lines) == 2
    for line in lines:
        story = (
            "pronote-panne-rentree"
            if line.title in titles["pronote-panne-rentree"]
            else ("pronote-hameconnage")
        )
        feeds = {t["feed"] for s in _topic_stories(story) for t in s}
        others = sorted(OUTLETS[f] for f in feeds if f != line.feed)
        assert sorted(line.also_in) == others


def _topic_stories(story: str) -> list[list[dict[str, str]]]:
    return [
        s["tellings"]
        for topic in STORIES["topics"]
        for s in topic["stories"]
        if s["story"] == story
    ]


@pytest.mark.slow
def test_digest_page_shows_the_other_sources_of_a_rephrased_story(
    tmp_path: Path, now: datetime
) -> None:
    """Through the store, the update's clustering step and the digest page: one line for the
    outage, « Aussi dans » naming the three other outlets."""
    config = tmp_path / "feeds.yaml"
    config.write_text(
        # une: false: both stories would be « À la une », their sections' lines links to it
        f"feeds:\n{FEEDS_YAML}digests:\n  hebdo:\n    title: La semaine\n    window: 7d\n"
        "    une: false\n",
        encoding="utf-8",
    )
    store = Store(f"sqlite:///{tmp_path / 'veille.db'}")
    store.migrate()
    try:
        titles = save_topic(store, "Pronote : pannes et incidents", now)
        store.cluster_pending(assign_clusters, ClusterItem, since=now - timedelta(days=7))
        app = create_app(
            Settings(config=config, database_url=store.url), store, load_config(config)
        )
        app.state.clock = lambda: now
        with TestClient(app) as client:
            page = client.get("/digests/hebdo")
        assert page.status_code == 200
    finally:
        store.close()
    articles = re.findall(r'<article class="entry".*?</article>', page.text, re.S)
    assert len(articles) == 2  # the outage and the phishing wave, one line each
    (outage,) = [
        a for a in articles if any(escape(t) in a for t in titles["pronote-panne-rentree"])
    ]
    also = re.search(r'<p class="also-in">Aussi dans : (.*?)</p>', outage)
    assert also is not None
    shown = re.search(r'<span class="source">(.*?)</span>', outage)
    assert shown is not None
    others = {"Le Café pédagogique", "VousNousIls", "Ouest-France", "Ludomag"} - {
        unescape(shown.group(1))
    }
    assert set(unescape(also.group(1)).split(", ")) == others


def test_summaries_are_read_where_a_pending_entry_reaches(store: Store, now: datetime) -> None:
    """After an ordinary update, only the entries a new one can be compared with (72 h) come
    with their summary: a fortnight of summaries is not read for a few new entries."""
    store.sync_feeds(
        [FeedSpec("cafe", "https://cafe.example/f"), FeedSpec("vni", "https://vni.example/f")]
    )
    for key, days in (("old", 9), ("recent", 2)):
        entry = ParsedEntry(
            key=key,
            guid=key,
            url=None,
            title=key,
            summary_html=f"<p>Résumé {key}</p>",
            published=now - timedelta(days=days),
        )
        store.save_entries("cafe", [entry], now=now)
    since = now - timedelta(days=14)
    store.cluster_pending(assign_clusters, ClusterItem, since=since)
    fresh = ParsedEntry(
        key="new",
        guid="new",
        url=None,
        title="new",
        summary_html="<p>Neuf</p>",
        published=now - timedelta(hours=1),
    )
    store.save_entries("vni", [fresh], now=now)
    seen: dict[str, str] = {}

    def capture(pending: list[ClusterItem], others: list[ClusterItem]) -> dict[str, str]:
        seen.update({i.title: i.summary for i in [*pending, *others]})
        return {}

    store.cluster_pending(capture, ClusterItem, since=since)
    assert seen == {"new": "Neuf", "recent": "Résumé recent", "old": ""}
    # Nothing pending: nothing read.
    store.cluster_pending(assign_clusters, ClusterItem, since=since)
    seen.clear()
    assert store.cluster_pending(capture, ClusterItem, since=since) == 0
    assert seen == {}
