"""The fast reader (``veille.ingest.parse.fastfeed``) reads exactly what feedparser reads, or
nothing.

Differential: every document it accepts — real-world corpus, benchmark corpus, crafted edge
cases — is also read by feedparser (``parse._feedparser_read``) and both results must be
equal, field by field. Anything outside the shapes it knows must be left to feedparser.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bench import corpus as bench_corpus
from tests.corpus_files import corpus_root, manifest, url_of
from veille.config.load import load_config
from veille.ingest.parse import fastfeed
from veille.ingest.parse.charset import decode
from veille.ingest.parse.feed import _feedparser_read, _is_html, parse, prepare_xml
from veille.ingest.parse.prepare import EntryExtras, extras_for
from veille.ingest.parse.sanitize import build_entry
from veille.rules.ruleset import RuleSet
from veille.rules.search import index_text

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
BASE = "https://exemple.fr/flux/"
FILES = manifest()
ROOT = Path(__file__).resolve().parents[1]


def _both(
    body: bytes, base: str = BASE, headers: dict[str, str] | None = None
) -> tuple[fastfeed.FeedData | None, fastfeed.FeedData]:
    headers = headers or {}
    text, _ = decode(body, headers)
    prepared = prepare_xml(text)
    return fastfeed.read(prepared, base, headers), _feedparser_read(base, prepared, base, headers)


def _same(body: bytes, **kw: object) -> fastfeed.FeedData:
    fast, slow = _both(body, **kw)  # type: ignore[arg-type]
    assert fast is not None, "the fast reader should read this document"
    assert fast.entries == slow.entries
    assert fast == slow
    return fast


@pytest.mark.skipif(not FILES, reason=f"corpus absent ({corpus_root()})")
def test_real_corpus_fast_reads_equal_feedparser() -> None:
    accepted = 0
    for item in FILES:
        body = (corpus_root() / item.path).read_bytes()
        start = body.lstrip(b"\xef\xbb\xbf \t\r\n")
        if not start or start[:1] in (b"{", b"["):
            continue
        text, _ = decode(body, {})
        if _is_html(text):
            continue
        prepared = prepare_xml(text)
        fast = fastfeed.read(prepared, url_of(item.path), {})
        if fast is None:
            continue
        accepted += 1
        slow = _feedparser_read(url_of(item.path), prepared, url_of(item.path), {})
        assert fast == slow, item.path
    print(f"fastfeed: {accepted} corpus documents read by the fast path, all equal")
    # Most of the corpus is feedparser's own edge-case suite (Atom 0.3, RDF, broken XML):
    # the plain RSS 2.0 / Atom 1.0 documents must go through the fast path.
    assert accepted >= 150


def test_benchmark_corpus_is_read_fast_and_equal() -> None:
    anchor = bench_corpus.default_anchor()
    kinds = set()
    for feed in range(12):
        data = _same(bench_corpus.feed_document(feed, anchor), base=f"http://127.0.0.1/{feed}")
        kinds.add(data.kind)
        assert len(data.entries) == bench_corpus.item_count(feed)
    assert kinds == {"rss", "atom"}


def _rss(items: str, channel: str = "", root: str = '<rss version="2.0"') -> bytes:
    return (
        f'<?xml version="1.0" encoding="utf-8"?>{root}'
        ' xmlns:content="http://purl.org/rss/1.0/modules/content/"'
        ' xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom"'
        ' xmlns:media="http://search.yahoo.com/mrss/">'
        f"<channel><title>Le fil</title><link>/</link>{channel}{items}</channel></rss>"
    ).encode()


def _atom(entries: str, head: str = "") -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>Le fil</title><id>urn:x</id>{head}{entries}</feed>"
    ).encode()


def test_guid_as_link_and_its_limits() -> None:
    data = _same(_rss("<item><guid>https://exemple.fr/a</guid><title>A</title></item>"))
    assert data.entries[0].link == "https://exemple.fr/a"
    data = _same(_rss('<item><guid isPermaLink="false">42</guid><title>B</title></item>'))
    assert data.entries[0].link is None and data.entries[0].guid == "42"
    data = _same(_rss("<item><guid>https://exemple.fr/a</guid><link></link></item>"))
    assert data.entries[0].link == ""  # an explicit empty link wins over the guid, as feedparser
    data = _same(_rss("<item><link>b?x=1&amp;y=2</link><guid>https://e.fr/c</guid></item>"))
    assert data.entries[0].link == "https://exemple.fr/flux/b?x=1&y=2"  # resolved, link kept


def test_escaped_markup_and_controls_read_alike() -> None:
    # Both readers hand the same raw title to sanitize.plain_text, which strips the markup.
    title = "Le &lt;b&gt;numérique&lt;/b&gt; &amp;amp; l'école\x1b\x7f\x9d"
    rss = _same(
        _rss(f"<item><guid>a</guid><title>{title}</title><dc:creator>A\x7f</dc:creator></item>")
    )
    atom = _same(_atom(f'<entry><id>a</id><title type="html">{title}</title></entry>'))
    for data in (rss, atom):
        entry = build_entry(data.entries[0], NOW)
        assert entry.title == "Le numérique & l'école"
    assert build_entry(rss.entries[0], NOW).author == "A"


def test_text_fixes_follow_feedparser() -> None:
    # a windows-1252 quote stored as a C1 control; UTF-8 read as Latin-1 upstream
    data = _same(_rss("<item><title>L\u0092été</title><description>Ã©tÃ©</description></item>"))
    assert data.entries[0].title == "L’été"
    assert data.entries[0].summary_html == "été"
    item = (
        "<item><title>  Titre  </title><dc:creator> Ana </dc:creator>"
        "<dc:creator>Bo</dc:creator><category domain='x'>IA</category>"
        "<category>RGPD</category><pubDate>Tue, 10 Nov 2026 08:00:00 +0100</pubDate>"
        "<dc:date>2026-11-11T09:00:00Z</dc:date></item>"
    )
    data = _same(_rss(item))
    entry = data.entries[0]
    assert (entry.title, entry.author, list(entry.categories)) == (
        "Titre",
        "Ana, Bo",
        ["IA", "RGPD"],
    )
    assert entry.published == datetime(2026, 11, 10, 7, 0, tzinfo=UTC)
    assert entry.updated == datetime(2026, 11, 11, 9, 0, tzinfo=UTC)


def test_language_from_element_header_or_root() -> None:
    assert _same(_rss("", "<language>fr-FR</language>")).language == "fr-FR"
    assert _same(_rss(""), headers={"content-language": "fr_CA"}).language == "fr-CA"
    atom = _atom("").replace(b'Atom">', b'Atom" xml:lang="fr">')
    assert _same(atom).language == "fr"


def test_atom_entries() -> None:
    entry = (
        "<entry><id>https://exemple.fr/id-1</id><title type='html'>A &amp;amp; B</title>"
        "<updated>2026-11-10T08:00:00Z</updated><author><name>Ana</name><email>a@e.fr</email>"
        "</author><summary>1 &lt; 2</summary><content type='html'>&lt;p&gt;x&lt;/p&gt;</content>"
        "<category term='ENT'/><category label='Moodle'/></entry>"
        "<entry><id>urn:uuid:1</id><link href='/a'/><link rel='alternate' type='text/html' "
        "href='b'/><link rel='enclosure' href='c.mp3'/></entry>"
    )
    data = _same(_atom(entry, "<link href='https://exemple.fr/'/>"))
    first, second = data.entries
    assert first.link == "https://exemple.fr/id-1"  # the id stands for the missing link
    assert first.summary_html == "<p>1 &lt; 2</p>"  # Atom text: escaped, not markup
    assert first.content_html == "<p>x</p>" and first.author == "Ana"
    assert list(first.categories) == ["ENT", "Moodle"]
    assert second.link == "https://exemple.fr/flux/b"  # the last alternate HTML link
    assert data.link == "https://exemple.fr/"


@pytest.mark.parametrize(
    "body",
    [
        _rss('<item xml:base="/autre/"><link>a</link></item>'),
        _rss('<item><title xml:lang="en">A</title></item>'),
        _rss("<item><media:title>A</media:title></item>"),
        _rss("<item><title>A</title><title>B</title></item>"),
        _rss("<item><description><p>balisage non échappé</p></description></item>"),
        _rss("<item><author>ana@exemple.fr (Ana)</author></item>"),
        _rss("<item><description mode='base64'>QQ==</description></item>"),
        _rss("", '<atom:link rel="alternate" href="https://ailleurs/"/>'),
        _rss("<item><title>A</title>"),  # not well-formed
        _rss("", root='<rss version="2.0" lang="en"'),
        _atom(
            "<entry><content type='xhtml'><div xmlns='http://www.w3.org/1999/xhtml'>x</div>"
            "</content></entry>"
        ),
        _atom("<entry><content src='https://e.fr/x'/></entry>"),
        _atom("<entry><author><email>a@e.fr</email></author></entry>"),
        b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>',
    ],
)
def test_other_shapes_are_left_to_feedparser(body: bytes) -> None:
    text, _ = decode(body, {})
    assert fastfeed.read(prepare_xml(text), BASE, {}) is None


def test_parse_uses_feedparser_when_the_fast_path_declines() -> None:
    body = _rss("<item><title>A</title><title>B</title><guid>g</guid></item>")
    feed = parse(BASE, body, {}, NOW)
    assert [e.title for e in feed.entries] == ["A"]  # feedparser keeps the first title


def test_shared_words_give_the_same_tags_and_index() -> None:
    """``extras_for`` tokenises each field once; it must equal tagging and indexing apart."""
    rules = RuleSet.from_config(load_config(ROOT / "feeds.yaml"))
    documents = [bench_corpus.feed_document(i, bench_corpus.default_anchor()) for i in range(6)]
    if FILES:
        documents += [(corpus_root() / f.path).read_bytes() for f in FILES[::7]]
    compared = 0
    for body in documents:
        try:
            feed = parse(BASE, body, {}, NOW)
        except Exception:
            continue
        feed_id = "cafe-pedagogique"
        got = extras_for(feed_id, feed.entries, rules.spec)
        for entry in feed.entries:
            expected = EntryExtras(
                tags=rules.tag_entry(feed_id, entry),
                index=index_text(
                    entry.title, entry.summary_html, entry.content_html, entry.author,
                    entry.categories,
                ),
            )  # fmt: skip
            assert got[entry.key] == expected, entry.title
            compared += 1
    assert compared > 500


def test_parse_reads_a_plain_feed_without_feedparser(monkeypatch: pytest.MonkeyPatch) -> None:
    import feedparser

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("feedparser called for a plain RSS 2.0 document")

    monkeypatch.setattr(feedparser, "parse", refuse)
    body = bench_corpus.feed_document(0, bench_corpus.default_anchor())
    feed = parse("http://127.0.0.1/0", body, {}, NOW)
    assert feed.kind == "rss" and len(feed.entries) == bench_corpus.item_count(0)
    assert all(e.title and e.url and e.content_html for e in feed.entries)
