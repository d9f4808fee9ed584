"""Same-story clusters in the store: assigned after an update, collapsed in lists."""

from __future__ import annotations

from datetime import datetime, timedelta

from veille.models import FeedSpec, ParsedEntry, Selection
from veille.rules.clustering import ClusterItem, assign_clusters
from veille.store import Store


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
