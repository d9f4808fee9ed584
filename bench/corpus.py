"""A deterministic corpus of French education feeds: WordPress-like RSS 2.0 (nine in ten) and
Atom (one in ten), ~210 KB and ~30 articles per feed on average, like the sources referents
follow (full content in ``content:encoded``, Gutenberg blocks, srcset images, categories,
"The post … appeared first on …" footers).

``article(feed, i, anchor)`` is the unit: the same article renders into a feed document
(``feed_document``) for the fetch scenarios and into a ``RawEntry`` (``raw_entry``) for the
large stores, so both paths see the same text and markup. Everything derives from
``random.Random`` seeded by (feed, item): same version + same anchor → same bytes.

Term frequencies are shaped for the search scenarios: ``numérique`` and ``élèves`` are in most
articles, ``tablettes`` in a few percent, ``Quizinière`` in about one article in 2,000.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

from veille.ingest.parse.sanitize import RawEntry

from .vocabulary import (
    ACTORS,
    CATEGORIES,
    COMMON,
    CONNECTORS,
    FIRST,
    LAST,
    MODIFIERS,
    OBJECTS,
    PLACES,
    RARE,
    TITLE_ADJS,
    TITLE_HEADS,
    TITLE_NOUNS,
    TOPIC_NAMES,
    TOPIC_WEIGHTS,
    TOPICS,
    TOWNS,
    VERBS,
)

VERSION = "2"  # bump when the output changes: it keys the cached stores

ANCHOR_HOUR = 7  # articles are dated up to the anchor, newest first


@dataclass(frozen=True, slots=True)
class Article:
    feed: int
    item: int
    title: str
    link: str
    guid: str
    author: str
    published: datetime
    categories: tuple[str, ...]
    summary_html: str
    content_html: str


def site(feed: int) -> str:
    return f"https://site-{feed:04d}.exemple.fr"


def is_atom(feed: int) -> bool:
    return feed % 10 == 9


def item_count(feed: int) -> int:
    """Articles in the feed's document: 10 to 50, 30 on average."""
    return random.Random(f"n{feed}").randint(10, 50)


def _sentence(rnd: random.Random, topics: list[str]) -> str:
    roll = rnd.random()
    if roll < 0.3:
        return rnd.choice(TOPICS[rnd.choice(topics)])
    if roll < 0.4:
        return rnd.choice(COMMON)
    s = (
        f"{rnd.choice(ACTORS)} {rnd.choice(VERBS)} {rnd.choice(OBJECTS)} "
        f"{rnd.choice(PLACES)} {rnd.choice(MODIFIERS)}."
    )
    s = f"{rnd.choice(CONNECTORS)} {s}" if rnd.random() < 0.3 else s[0].upper() + s[1:]
    return s


def _paragraph(rnd: random.Random, topics: list[str], sentences: int) -> str:
    parts = [escape(_sentence(rnd, topics)) for _ in range(sentences)]
    if rnd.random() < 0.35:
        k = rnd.randrange(len(parts))
        parts[k] = f"<strong>{parts[k]}</strong>"
    if rnd.random() < 0.3:
        k = rnd.randrange(len(parts))
        parts[k] = f'<a href="https://ressources.exemple.fr/{rnd.randrange(10**6)}">{parts[k]}</a>'
    return "<p>" + " ".join(parts) + "</p>\n"


def _figure(rnd: random.Random, base: str, n: int) -> str:
    img = f"{base}/wp-content/uploads/2026/11/image-{n}"
    return (
        '<figure class="wp-block-image size-large"><img decoding="async" width="1024" '
        f'height="576" src="{img}-1024x576.jpg" alt="Illustration {n}" '
        f'class="wp-image-{n}" srcset="{img}-1024x576.jpg 1024w, {img}-300x169.jpg 300w, '
        f'{img}-768x432.jpg 768w, {img}.jpg 1280w" sizes="(max-width: 1024px) 100vw, 1024px" />'
        f'<figcaption class="wp-element-caption">{escape(rnd.choice(OBJECTS))} '
        f"{escape(rnd.choice(PLACES))}</figcaption></figure>\n"
    )


def article(feed: int, i: int, anchor: datetime) -> Article:
    """The ``i``-th newest article of ``feed`` (deterministic for a given anchor)."""
    rnd = random.Random(feed * 1_000_003 + i)
    topics = rnd.choices(TOPIC_NAMES, TOPIC_WEIGHTS, k=rnd.choice((1, 1, 2)))
    base = site(feed)
    # Feeds publish every 4 h to 3 days; item i is i periods (with jitter) before the anchor.
    period = random.Random(f"p{feed}").uniform(4, 72)
    published = anchor - timedelta(hours=period * i + rnd.uniform(0, period * 0.8))
    published = published.replace(microsecond=0)
    head = rnd.choice(TITLE_HEADS)
    obj = rnd.choice(OBJECTS)
    title = f"{head} {rnd.choice(TITLE_NOUNS)} {rnd.choice(TITLE_ADJS)} sur {obj.split()[-1]}"
    if rnd.random() < 0.7:
        title += f" à {rnd.choice(TOWNS)}"
    slug = f"{published:%Y/%m/%d}/article-{feed}-{i}"
    link = f"{base}/{slug}/"
    post_id = feed * 100_000 + 50_000 - i
    blocks: list[str] = []
    n_blocks = rnd.randint(10, 16)
    for b in range(n_blocks):
        roll = rnd.random()
        if roll < 0.08:
            blocks.append(f'<h2 class="wp-block-heading">{escape(_sentence(rnd, topics))}</h2>\n')
        elif roll < 0.15:
            blocks.append(_figure(rnd, base, post_id * 10 + b))
        elif roll < 0.2:
            items = "".join(f"<li>{escape(_sentence(rnd, topics))}</li>" for _ in range(4))
            blocks.append(f'<ul class="wp-block-list">{items}</ul>\n')
        elif roll < 0.24:
            quote = escape(_sentence(rnd, topics))
            blocks.append(f'<blockquote class="wp-block-quote"><p>{quote}</p></blockquote>\n')
        else:
            blocks.append(_paragraph(rnd, topics, rnd.randint(3, 6)))
    for sentence, every in RARE:
        if rnd.randrange(every) == 0:
            blocks.insert(rnd.randrange(len(blocks)), f"<p>{escape(sentence)}</p>\n")
    content = "".join(blocks)
    first = _sentence(rnd, topics)
    site_name = f"Source {feed} — veille éducative"
    summary = (
        f'<p>{escape(first)} [&#8230;]</p>\n<p>The post <a rel="nofollow" href="{link}">'
        f'{escape(title)}</a> appeared first on <a rel="nofollow" href="{base}">'
        f"{escape(site_name)}</a>.</p>"
    )
    return Article(
        feed=feed,
        item=i,
        title=title,
        link=link,
        guid=f"{base}/?p={post_id}",
        author=f"{rnd.choice(FIRST)} {rnd.choice(LAST)}",
        published=published,
        categories=tuple(sorted(set(rnd.sample(CATEGORIES, rnd.randint(1, 4))))),
        summary_html=summary,
        content_html=content,
    )


def raw_entry(a: Article) -> RawEntry:
    """The article as veille's format readers hand it to ``sanitize.build_entry``."""
    return RawEntry(
        guid=a.guid,
        link=a.link,
        title=a.title,
        author=a.author,
        summary_html=a.summary_html,
        content_html=a.content_html,
        base=a.link,
        published=a.published,
        updated=None,
        categories=a.categories,
    )


# --- documents ------------------------------------------------------------------------------


def _rss_item(a: Article) -> str:
    cats = "".join(f"<category><![CDATA[{c}]]></category>" for c in a.categories)
    return (
        f"<item>\n<title>{escape(a.title)}</title>\n<link>{a.link}</link>\n"
        f"<comments>{a.link}#respond</comments>\n"
        f"<dc:creator><![CDATA[{a.author}]]></dc:creator>\n"
        f"<pubDate>{format_datetime(a.published)}</pubDate>\n{cats}\n"
        f'<guid isPermaLink="false">{a.guid}</guid>\n'
        f"<description><![CDATA[{a.summary_html}]]></description>\n"
        f"<content:encoded><![CDATA[{a.content_html}]]></content:encoded>\n"
        f"<wfw:commentRss>{a.link}feed/</wfw:commentRss>\n<slash:comments>0</slash:comments>\n"
        f'<post-id xmlns="com-wordpress:feed-additions:1">{a.guid.rsplit("=", 1)[1]}</post-id>\n'
        "</item>\n"
    )


def _atom_entry(a: Article) -> str:
    cats = "".join(f'<category term="{escape(c)}"/>' for c in a.categories)
    when = a.published.isoformat()
    return (
        f"<entry>\n<title>{escape(a.title)}</title>\n"
        f'<link rel="alternate" type="text/html" href="{a.link}"/>\n'
        f"<id>{a.guid}</id>\n<published>{when}</published>\n<updated>{when}</updated>\n"
        f"<author><name>{escape(a.author)}</name></author>\n{cats}\n"
        f'<summary type="html">{escape(a.summary_html)}</summary>\n'
        f'<content type="html">{escape(a.content_html)}</content>\n</entry>\n'
    )


def feed_document(feed: int, anchor: datetime) -> bytes:
    """The feed's document: RSS 2.0 as WordPress writes it, or Atom 1.0."""
    articles = [article(feed, i, anchor) for i in range(item_count(feed))]
    base = site(feed)
    title = f"Source {feed} — veille éducative"
    if is_atom(feed):
        body = "".join(_atom_entry(a) for a in articles)
        return (
            '<?xml version="1.0" encoding="utf-8"?>\n'
            '<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="fr">\n'
            f"<title>{escape(title)}</title>\n<id>{base}/</id>\n"
            f'<link rel="alternate" href="{base}/"/>\n'
            f'<link rel="self" href="{base}/feed.atom"/>\n'
            f"<updated>{articles[0].published.isoformat()}</updated>\n{body}</feed>\n"
        ).encode()
    body = "".join(_rss_item(a) for a in articles)
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"\n'
        ' xmlns:content="http://purl.org/rss/1.0/modules/content/"\n'
        ' xmlns:wfw="http://wellformedweb.org/CommentAPI/"\n'
        ' xmlns:dc="http://purl.org/dc/elements/1.1/"\n'
        ' xmlns:atom="http://www.w3.org/2005/Atom"\n'
        ' xmlns:sy="http://purl.org/rss/1.0/modules/syndication/"\n'
        ' xmlns:slash="http://purl.org/rss/1.0/modules/slash/">\n<channel>\n'
        f"<title>{escape(title)}</title>\n"
        f'<atom:link href="{base}/feed/" rel="self" type="application/rss+xml" />\n'
        f"<link>{base}</link>\n<description>Le numérique éducatif au quotidien</description>\n"
        f"<lastBuildDate>{format_datetime(articles[0].published)}</lastBuildDate>\n"
        "<language>fr-FR</language>\n<sy:updatePeriod>hourly</sy:updatePeriod>\n"
        "<sy:updateFrequency>1</sy:updateFrequency>\n"
        "<generator>https://wordpress.org/?v=6.7.1</generator>\n"
        f"{body}</channel>\n</rss>\n"
    ).encode()


def feed_path(feed: int) -> str:
    return f"/{feed:04d}/feed.atom" if is_atom(feed) else f"/{feed:04d}/feed/"


def file_name(feed: int) -> str:
    return f"{feed:04d}.xml"


def default_anchor() -> datetime:
    """Today at 07:00 UTC (or yesterday's before then): recent enough for clustering."""
    now = datetime.now(UTC)
    anchor = now.replace(hour=ANCHOR_HOUR, minute=0, second=0, microsecond=0)
    return anchor if anchor <= now else anchor - timedelta(days=1)


def _write_one(args: tuple[Path, int, datetime]) -> tuple[int, int]:
    root, feed, anchor = args
    data = feed_document(feed, anchor)
    (root / file_name(feed)).write_bytes(data)
    return len(data), item_count(feed)


def write_corpus(root: Path, feeds: int, anchor: datetime, pool: object = None) -> tuple[int, int]:
    """Write ``feeds`` documents into ``root``; returns (total bytes, total articles)."""
    root.mkdir(parents=True, exist_ok=True)
    jobs = [(root, f, anchor) for f in range(feeds)]
    mapper: Iterator[tuple[int, int]] = (
        pool.imap_unordered(_write_one, jobs, chunksize=16)  # type: ignore[attr-defined]
        if pool is not None
        else map(_write_one, jobs)
    )
    size = items = 0
    for s, n in mapper:
        size += s
        items += n
    return size, items
