"""Re-tagging stored entries when the rules change, the dry-run preview, live feeds.yaml."""

from __future__ import annotations

import os
import time
from datetime import datetime, timedelta
from pathlib import Path

from veille.config.live import LiveConfig
from veille.ingest.pipeline import retag_if_needed
from veille.models import Config, FeedSpec, ParsedEntry, Selection, TagRule
from veille.rules.preview import preview
from veille.rules.ruleset import RuleSet
from veille.store import Store

TITLES = [
    "Les tablettes entrent au collège",
    "Un QCM sur Plickers en 6e",
    "L’IA générative en classe",
    "Réunion de rentrée des parents",
]


def config(*tags: TagRule, feed_tags: tuple[str, ...] = ()) -> Config:
    return Config(
        path="feeds.yaml", feeds=(FeedSpec("a", "https://a.example/f", tags=feed_tags),), tags=tags
    )


def stored_tags(store: Store) -> dict[str, tuple[str, ...]]:
    return {e.title: e.tags for e in store.list_entries(Selection(limit=50)).entries}


def test_retag_follows_rule_changes(store: Store, now: datetime) -> None:
    store.sync_feeds(config().feeds)
    store.save_entries(
        "a",
        [
            ParsedEntry(
                key=str(i), guid=str(i), url=None, title=t, published=now - timedelta(hours=i)
            )
            for i, t in enumerate(TITLES)
        ],
        now=now,
    )
    assert set(stored_tags(store).values()) == {()}

    v1 = RuleSet.from_config(config(TagRule("tablettes", "Tablettes", match=("tablette*",))))
    assert retag_if_needed(store, v1) == 1
    assert retag_if_needed(store, v1) is None  # same rules: nothing to do
    assert stored_tags(store)["Les tablettes entrent au collège"] == ("tablettes",)

    v2 = RuleSet.from_config(
        config(
            TagRule("evaluation", "Évaluation", match=("QCM", "Plickers")),
            TagRule("ia", "IA", match=("IA",)),
            feed_tags=("actualite",),
        )
    )
    assert v2.fingerprint != v1.fingerprint
    assert retag_if_needed(store, v2) == 4
    assert stored_tags(store) == {
        "Les tablettes entrent au collège": ("actualite",),
        "Un QCM sur Plickers en 6e": ("actualite", "evaluation"),
        "L’IA générative en classe": ("actualite", "ia"),
        "Réunion de rentrée des parents": ("actualite",),
    }
    assert store.rules_fingerprint() == v2.fingerprint
    assert store.tag_counts() == {"actualite": 4, "evaluation": 1, "ia": 1}


def test_retag_and_preview_read_the_link_for_hosts_rules(store: Store, now: datetime) -> None:
    """A theme given by where the article is published (``hosts:``) survives a retag, in
    worker processes as deployed, and the dry run sees it too: both read the stored link."""
    store.sync_feeds(config().feeds)
    official = TagRule("ressources", "Ressources", hosts=("*.education.gouv.fr",))
    rules = RuleSet.from_config(config(official))
    entries = [
        ParsedEntry(key=k, guid=k, url=url, title=f"Texte {k}", published=now - timedelta(hours=1))
        for k, url in (("bo", "https://eduscol.education.gouv.fr/1"), ("x", "https://x.fr/1"))
    ]
    store.save_entries("a", entries, now=now, tagger=lambda e: rules.tag_entry("a", e))
    assert stored_tags(store) == {"Texte bo": ("ressources",), "Texte x": ()}
    rules_v2 = RuleSet.from_config(config(official, TagRule("ia", "IA", match=("IA",))))
    assert retag_if_needed(store, rules_v2) == 0  # nothing changes: the host theme is kept
    assert stored_tags(store) == {"Texte bo": ("ressources",), "Texte x": ()}
    assert preview(store.tagging_fields(), rules_v2).counts == {"ressources": 1, "ia": 0}


def test_retag_and_preview_read_the_link_for_host_rules(store: Store, now: datetime) -> None:
    # A ``hosts:`` rule gives its theme by the article's host: a retag (serial or in worker
    # processes) and the dry run must read the stored link, or the theme is lost.
    store.sync_feeds(config().feeds)
    links = {
        "Note aux équipes": "https://www.ac-exemple.fr/note-aux-equipes",
        "Réunion de rentrée": "https://blog.example/reunion",
        "Sans lien": None,
    }
    store.save_entries(
        "a",
        [
            ParsedEntry(key=t, guid=t, url=u, title=t, published=now - timedelta(hours=i))
            for i, (t, u) in enumerate(links.items())
        ],
        now=now,
    )
    official = TagRule("ressources", "Ressources", hosts=("ac-*.fr",))
    v1 = RuleSet.from_config(config(official))
    assert store.retag(v1.tag_fields, v1.fingerprint) == (3, 1)
    expected = {"Note aux équipes": ("ressources",), "Réunion de rentrée": (), "Sans lien": ()}
    assert stored_tags(store) == expected
    (entry,) = [e for e in store.list_entries(Selection(limit=50)).entries if e.tags]
    assert store.tag_reasons(int(entry.id)) == {"ressources": ("link", "ac-*.fr")}
    assert store.entry_fields(entry.id) == (
        "a",
        "Note aux équipes",
        "",
        "",
        (),
        "https://www.ac-exemple.fr/note-aux-equipes",
    )
    report = preview(store.tagging_fields(), v1)
    assert report.counts == {"ressources": 1} and report.untagged == 2
    # The rules change (a theme is added): the retag in worker processes keeps the host's.
    v2 = RuleSet.from_config(config(official, TagRule("ia", "IA", match=("IA",))))
    assert retag_if_needed(store, v2) == 0
    assert stored_tags(store) == expected


def test_preview_counts_untagged_and_samples(store: Store, now: datetime) -> None:
    store.sync_feeds(config().feeds)
    store.save_entries(
        "a",
        [
            ParsedEntry(key=str(i), guid=str(i), url=None, title=t, published=now)
            for i, t in enumerate(TITLES)
        ],
        now=now,
    )
    rules = RuleSet.from_config(config(TagRule("ia", "IA", match=("IA",))))
    report = preview(store.tagging_fields(now - timedelta(days=30)), rules)
    assert report.entries == 4 and report.counts == {"ia": 1} and report.untagged == 3
    ((title, reason),) = report.samples["ia"]
    assert title == "L’IA générative en classe" and (reason.field, reason.term) == ("title", "IA")
    assert store.tag_counts() == {}  # a dry run writes nothing
    old = preview(store.tagging_fields(now + timedelta(days=1)), rules)
    assert old.entries == 0


def test_live_config_reloads_and_keeps_the_last_valid(tmp_path: Path) -> None:
    path = tmp_path / "feeds.yaml"
    path.write_text("feeds:\n  - id: a\n    url: https://a.example/f\n", encoding="utf-8")
    live = LiveConfig.load(path, interval=0)
    assert [f.id for f in live.get().feeds] == ["a"]
    path.write_text(
        "feeds:\n  - id: a\n    url: https://a.example/f\n  - id: b\n    url: https://b.example/f\n",
        encoding="utf-8",
    )
    os.utime(path, (time.time() + 5, time.time() + 5))
    assert [f.id for f in live.get().feeds] == ["a", "b"]
    path.write_text("feeds:\n  - id: B C\n", encoding="utf-8")
    os.utime(path, (time.time() + 10, time.time() + 10))
    assert [f.id for f in live.get().feeds] == ["a", "b"]
    assert live.last_error is not None and "feeds.yaml:2" in str(live.last_error)


def test_parallel_retag_gives_the_serial_tags(tmp_path: Path, now: datetime) -> None:
    from veille.ingest.pipeline import retag_all

    rules = RuleSet.from_config(
        config(
            TagRule("tablettes", "Tablettes", match=("tablette*",)),
            TagRule("ia", "IA", match=("IA",)),
        )
    )
    stores = []
    for name in ("serial", "parallel"):
        s = Store(f"sqlite:///{tmp_path / name}.db")
        s.migrate()
        s.sync_feeds(config().feeds)
        s.save_entries(
            "a",
            [
                ParsedEntry(
                    key=str(i),
                    guid=str(i),
                    url=None,
                    title=TITLES[i % 4] + f" ({i})",
                    published=now - timedelta(minutes=i),
                )
                for i in range(101)
            ],
            now=now,
        )
        stores.append(s)
    assert stores[0].retag(rules.tag_fields, rules.fingerprint) == (101, 51)
    assert retag_all(stores[1], rules, workers=3) == (101, 51)
    views = [
        {e.title: e.tags for e in s.list_entries(Selection(limit=200)).entries} for s in stores
    ]
    assert views[0] == views[1]
    for s in stores:
        s.close()
