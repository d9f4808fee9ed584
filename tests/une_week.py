"""A week in which outlets relay the same stories under rephrased titles, plus posts nobody
relayed: the data of the « À la une » tests. The stories are four topics of the project's
pair set (``tests/data/story_pairs.json``: fictional news written for veille), moved into
the week before ``NOW``; the unrelayed posts are a teacher's blog, fresh and on every theme
(the strongest a single source can be). Clustered by the real rules, tagged by the real
tagger of ``UNE_YAML``."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from veille.models import FeedSpec, ParsedEntry, Validators
from veille.rules.clustering import ClusterItem, assign_clusters
from veille.store import Store

NOW = datetime(2026, 12, 3, 7, 30, tzinfo=UTC)
PAIRS = json.loads((Path(__file__).parent / "data" / "story_pairs.json").read_text("utf-8"))

OUTLETS = {
    "education-gouv": "Ministère de l'Éducation nationale",
    "eduscol": "Éduscol",
    "cafe-pedagogique": "Le Café pédagogique",
    "ludomag": "Ludomag",
    "vousnousils": "VousNousIls",
    "franceinfo": "franceinfo",
    "letudiant": "L'Étudiant",
    "studyrama": "Studyrama",
    "leparisien": "Le Parisien",
    "touteduc": "ToutEduc",
    "educavox": "Educavox",
    "blog": "Le blog d'une prof de techno",
}
INSTITUTIONS = ("education-gouv", "eduscol")

# topic of the pair set → hours before NOW of its last telling
TOPICS = {
    "Baccalauréat 2027": 12,
    "Intelligence artificielle à l'école": 50,
    "Services numériques du ministère qui ferment": 80,
    "Cyberattaques contre les ENT": 120,
}
# (hours before NOW, title, summary): one source, nobody relays them
BLOG = [
    (
        1,
        "Évaluer avec l'IA générative : mes essais de QCM en technologie",
        "J'ai fait générer des QCM par une IA pour évaluer mes élèves de 4e : ce qui marche, "
        "ce qu'il faut relire, et l'ENT pour les distribuer.",
    ),
    (
        6,
        "Après Éduthèque : où je trouve mes ressources vidéo pour la classe",
        "Archives audiovisuelles, cartes et banques d'images : mes adresses pour remplacer les "
        "ressources d'Éduthèque dans mes séquences.",
    ),
    (
        30,
        "Mon ENT au quotidien : trois astuces pour le cahier de textes",
        "Modèles de séances, pièces jointes et devoirs programmés : ce qui me fait gagner du "
        "temps.",
    ),
]

UNE_YAML = (
    "feeds:\n"
    + "".join(
        f'  - id: {feed}\n    url: https://{feed}.example/feed\n    title: "{title}"\n'
        + ("    institution: true\n" if feed in INSTITUTIONS else "")
        for feed, title in OUTLETS.items()
    )
    + """\
tags:
  ia:
    label: Intelligence artificielle
    match: ["IA", "intelligence artificielle", "IA générative"]
  evaluation:
    label: Évaluation
    match: ["évaluer", "évaluation*", "QCM", "certification"]
  ent:
    label: ENT et outils
    match: ["ENT", "monlycee.net", "cahier de textes"]
  ressources:
    label: Ressources
    match: ["Éduthèque", "Apps Éducation", "ressources"]
  examens:
    label: Examens
    match: ["bac", "baccalauréat", "grand oral", "épreuves"]
digests:
  quotidien:
    title: La veille du jour
    window: 1d
  hebdo:
    title: La semaine du numérique éducatif
    window: 7d
    mail:
      to: [equipe@college.example]
      at: "thu 08:30"  # NOW: the issue due covers the whole week
"""
)


# The week's « À la une » with the default weights: (story, reason), best first.
TOP = [
    ("bac-2027-calendrier", "repris par 4 sources, dont Ministère de l'Éducation nationale"),
    ("ia-cadre-usage", "repris par 4 sources, dont Ministère de l'Éducation nationale"),
    ("edutheque-fermeture", "repris par 3 sources, dont Éduscol"),
    ("monlycee-ddos", "repris par 3 sources : Le Parisien, Le Café pédagogique et Ludomag"),
    ("bac-grand-oral-raccourci", "repris par 2 sources : Studyrama et Le Café pédagogique"),
]
# As a sentence (pages, feeds, letter): « Repris par 4 sources, dont Éduscol. »
SENTENCES = [r[:1].upper() + r[1:] + "." for _, r in TOP]


def tellings(topic: str) -> list[tuple[str, dict[str, Any]]]:
    """(story, telling) of a topic of the pair set."""
    (found,) = [t for t in PAIRS["topics"] if t["topic"] == topic]
    return [(s["story"], t) for s in found["stories"] for t in s["tellings"]]


def write_config(folder: Path) -> Path:
    path = folder / "feeds.yaml"
    path.write_text(UNE_YAML, encoding="utf-8")
    return path


def fill_une_week(store: Store, config: Any) -> dict[str, list[str]]:
    """Every telling of ``TOPICS`` and the blog's posts, tagged by ``config``'s rules and
    clustered; returns the titles of each story (the blog's posts: ``blog-0``…)."""
    from veille.rules.ruleset import RuleSet

    rules = RuleSet.from_config(config)
    store.sync_feeds([FeedSpec(f.id, f.url, title=f.title) for f in config.feeds])
    titles: dict[str, list[str]] = {}
    by_feed: dict[str, list[ParsedEntry]] = {}
    for topic, hours in TOPICS.items():
        told = tellings(topic)
        shift = NOW - timedelta(hours=hours) - max(_when(t) for _, t in told)
        for i, (story, t) in enumerate(told):
            by_feed.setdefault(t["feed"], []).append(
                ParsedEntry(
                    key=f"{story}-{i}",
                    guid=f"{story}-{i}",
                    url=f"https://{t['feed']}.example/{story}",
                    title=t["title"],
                    summary_html=f"<p>{t['summary']}</p>" if t["summary"] else "",
                    published=_when(t) + shift,
                )
            )
            titles.setdefault(story, []).append(t["title"])
    for i, (hours, title, summary) in enumerate(BLOG):
        by_feed.setdefault("blog", []).append(
            ParsedEntry(
                key=f"blog-{i}",
                guid=f"blog-{i}",
                url=f"https://blog.example/{i}",
                title=title,
                summary_html=f"<p>{summary}</p>",
                published=NOW - timedelta(hours=hours),
            )
        )
        titles[f"blog-{i}"] = [title]
    for feed, entries in by_feed.items():
        store.save_entries(feed, entries, now=NOW, tagger=partial(rules.tag_entry, feed))
    for feed in OUTLETS:
        store.record_success(
            feed, now=NOW, next_fetch_at=NOW + timedelta(minutes=30), validators=Validators()
        )
    store.cluster_pending(assign_clusters, ClusterItem, since=NOW - timedelta(days=8))
    return titles


def _when(telling: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(telling["published"].replace("Z", "+00:00"))


def build_une_app(folder: Path, **more: Any) -> tuple[Any, Store]:
    """The app over a fresh SQLite file holding this week, its clock fixed at NOW, curation
    enabled (``week.ADMIN`` is the editors' password); ``more``: other settings."""
    from .week import build_app_with

    return build_app_with(folder, write_config, fill_une_week, NOW, **more)


def mail_app(store: Store, folder: Path, smtp_port: int) -> tuple[Any, Any, Any]:
    """``store`` (SQLite or PostgreSQL) filled with this week, and the app over it whose
    letters go to ``smtp_port`` on loopback, its clock at NOW: ``(app, config, settings)``."""
    from veille.config.load import load_config
    from veille.web import create_app

    from .mail_support import Clock, settings

    config = load_config(write_config(folder))
    fill_une_week(store, config)
    mail_settings = settings(smtp_port, database_url=store.url)
    app = create_app(mail_settings, store, config)
    app.state.clock = Clock(NOW)
    return app, config, mail_settings
