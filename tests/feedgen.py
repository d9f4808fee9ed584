"""Deterministic French feeds for tests (and the benchmark): RSS 2.0 or Atom, N items,
realistic markup, optional hostile payloads."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from xml.sax.saxutils import escape

SUBJECTS = [
    "l'évaluation par compétences",
    "les tablettes en classe",
    "l'ENT du collège",
    "la classe inversée",
    "l'IA générative au lycée",
    "les escape games pédagogiques",
    "le RGPD et les données des élèves",
    "Pix et les compétences numériques",
    "Moodle pour l'hybridation",
    "l'éducation aux médias et à l'information",
    "l'accessibilité des ressources (RGAA)",
    "la formation M@gistère",
]
VERBS = [
    "Retour d'expérience sur",
    "Comment réussir",
    "Cinq idées pour",
    "Ce qu'il faut savoir sur",
]

PAYLOADS = [
    '<script>alert("x")</script>',
    '<img src="x" onerror="alert(1)">',
    '<a href="javascript:alert(1)">clic</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">data</a>',
    '<svg onload="alert(1)"><circle r="4"/></svg>',
    '<iframe src="https://evil.example/"></iframe>',
    '<p style="background:url(javascript:alert(1))" onclick="alert(1)">texte</p>',
]


def item_title(feed: int, i: int) -> str:
    rnd = random.Random(feed * 100_003 + i)
    return f"{rnd.choice(VERBS)} {rnd.choice(SUBJECTS)} (n° {i})"


def rss(
    feed: int,
    n: int,
    *,
    base: str = "https://exemple.fr",
    start: datetime = datetime(2026, 11, 28, 7, 0, tzinfo=UTC),
    hostile: bool = False,
    paragraphs: int = 3,
) -> bytes:
    """An RSS 2.0 document of ``n`` items (newest first, one hour apart)."""
    items = []
    for i in range(n):
        title = item_title(feed, i)
        body = "".join(
            f"<p>Paragraphe {p} : des enseignants racontent "
            f"{escape(SUBJECTS[(i + p) % len(SUBJECTS)])}"
            ' avec des <strong>exemples</strong> et un <a href="/ressources">lien relatif</a>.</p>'
            for p in range(paragraphs)
        )
        if hostile:
            title += ' <script>alert("titre")</script>'
            body += PAYLOADS[i % len(PAYLOADS)]
        items.append(
            "<item>"
            f"<title>{escape(title)}</title>"
            f"<link>{base}/{feed}/{i}?utm_source=rss&amp;utm_medium=flux</link>"
            f'<guid isPermaLink="false">feed{feed}-item{i}</guid>'
            f"<pubDate>{format_datetime(start - timedelta(hours=i))}</pubDate>"
            f"<dc:creator>Rédaction {feed}</dc:creator>"
            f"<description>{escape(body[:200])}</description>"
            f"<content:encoded><![CDATA[{body}]]></content:encoded>"
            "</item>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f"<channel><title>Source {feed} — veille éducative</title><link>{base}/{feed}/</link>"
        "<description>Actualités du numérique éducatif</description><language>fr</language>"
        + "".join(items)
        + "</channel></rss>"
    ).encode()


def atom(
    feed: int,
    n: int,
    *,
    base: str = "https://exemple.fr",
    start: datetime = datetime(2026, 11, 28, 7, 0, tzinfo=UTC),
) -> bytes:
    """An Atom 1.0 document of ``n`` entries."""
    entries = []
    for i in range(n):
        when = (start - timedelta(hours=i)).isoformat()
        entries.append(
            "<entry>"
            f"<title>{escape(item_title(feed, i))}</title>"
            f'<link rel="alternate" href="{base}/{feed}/{i}"/>'
            f"<id>tag:exemple.fr,2026:{feed}-{i}</id>"
            f"<updated>{when}</updated><published>{when}</published>"
            f"<author><name>Auteur {feed}</name></author>"
            f'<content type="html">{escape(f"<p>Un article sur {SUBJECTS[i % len(SUBJECTS)]}</p>")}'
            "</content>"
            "</entry>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>Source Atom {feed}</title><id>tag:exemple.fr,2026:{feed}</id>"
        f'<link rel="alternate" href="{base}/{feed}/"/><updated>{start.isoformat()}</updated>'
        + "".join(entries)
        + "</feed>"
    ).encode()
