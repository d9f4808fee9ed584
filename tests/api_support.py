"""The API tests' data: a config of two feeds and two themes, seven entries (one failing feed),
and the app over them."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from veille.models import Config, DigestSpec, FeedSpec, ParsedEntry, TagRule, Validators
from veille.rules.ruleset import RuleSet
from veille.settings import Settings
from veille.store import Store
from veille.web import create_app

CONFIG = Config(
    path="feeds.yaml",
    feeds=(
        FeedSpec("cafe", "https://cafe.example/feed", title="Le Café", tags=("actualite",)),
        FeedSpec("ludo", "https://ludo.example/feed"),
    ),
    tags=(
        TagRule("ia", "Intelligence artificielle", match=("IA", "ChatGPT")),
        TagRule("tablettes", "Tablettes", match=("tablette*",)),
    ),
    digests=(DigestSpec("quotidien", "La veille du jour"),),
)
RULES = RuleSet.from_config(CONFIG)


def fill(store: Store, now: datetime) -> None:
    """Seven entries of ``cafe`` (one on IA and tablets, one on tablets), ``ludo`` failing."""
    store.sync_feeds(CONFIG.feeds)
    entries = [
        ParsedEntry(
            key=f"g{i}",
            guid=f"g{i}",
            url=f"https://cafe.example/{i}",
            title=f"Article {i}",
            summary_html=f"<p>Résumé {i}</p>",
            published=datetime(2026, 11, 28, 12, tzinfo=UTC) - timedelta(days=i),
        )
        for i in range(7)
    ]
    entries[1] = replace(entries[1], title="L’IA et les tablettes au collège")
    entries[2] = replace(entries[2], summary_html="<p>Des tablettes en prêt</p>")
    store.save_entries("cafe", entries, now=now, tagger=lambda e: RULES.tag_entry("cafe", e))
    store.record_success(
        "cafe", now=now, next_fetch_at=now + timedelta(minutes=30), validators=Validators()
    )
    store.record_error(
        "ludo", now=now, message="réponse HTTP 503", next_fetch_at=now + timedelta(hours=1)
    )


def client_for(store: Store, now: datetime) -> TestClient:
    """The app over ``store`` once filled (use as a context manager: it starts the app)."""
    fill(store, now)
    return TestClient(create_app(Settings(), store, CONFIG))
