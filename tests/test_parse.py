"""Table-driven tests of the parse step: sanitising, URLs, dates, identity, formats, safety."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest

from veille.errors import ParseError
from veille.ingest.parse.dates import parse_date, parse_french_date
from veille.ingest.parse.feed import parse
from veille.ingest.parse.sanitize import canonical_url, plain_text, sanitize_html, strip_controls
from veille.models import ParsedFeed

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
URL = "https://ecole.example.fr/actualites/feed.xml"


def rss(items: str, channel: str = "", declaration: str = '<?xml version="1.0"?>') -> bytes:
    return (
        f'{declaration}<rss version="2.0"><channel><title>Actus</title>'
        f"<link>https://ecole.example.fr/</link>{channel}{items}</channel></rss>"
    ).encode()


def item(**fields: str) -> str:
    return "<item>" + "".join(f"<{k}>{v}</{k}>" for k, v in fields.items()) + "</item>"


def parse_rss(items: str, **kwargs: str) -> ParsedFeed:
    return parse(URL, rss(items, **kwargs), {}, NOW)


# --- sanitising ---------------------------------------------------------------------------

PAYLOADS = [
    "<script>alert(1)</script>",
    '<img src="x.png" onerror="alert(1)">',
    '<a href="javascript:alert(1)">clic</a>',
    '<a href="JaVaScRiPt&#58;alert(1)">clic</a>',
    '<img src="data:image/svg+xml;base64,PHN2Zz4=">',
    '<iframe src="https://evil.example/"></iframe>',
    '<svg onload="alert(1)"><circle r="1"/></svg>',
    '<form action="https://evil.example/"><input name="x"></form>',
    '<p style="background:url(javascript:alert(1))">x</p>',
    '<object data="evil.swf"></object><embed src="evil.swf">',
    '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
]


def _assert_safe(html: str) -> None:
    lowered = html.lower()
    for bad in ("<script", "onerror", "onload", "javascript:", "data:", "<iframe", "<svg",
                "<form", "<input", "style=", "<object", "<embed", "alert(1)"):  # fmt: skip
        assert bad not in lowered, (bad, html)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_html_payloads_are_neutralised_everywhere(payload: str) -> None:
    escaped = payload.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    feed = parse_rss(
        item(
            title=f"Titre {escaped}",
            author=f"Jean {escaped}",
            category=f"cat {escaped}",
            description=escaped,
            link="https://ecole.example.fr/a",
        )
    )
    entry = feed.entries[0]
    _assert_safe(entry.summary_html)
    for text in (entry.title, entry.author or "", *entry.categories):
        assert "<" not in text and "alert(1)" not in text.replace("alert(1)</", ""), text
        assert "<script" not in text.lower()


def test_sanitize_keeps_formatting_and_adds_rel() -> None:
    html = sanitize_html(
        '<h2>Titre</h2><p><strong>Gras</strong> <a href="/page">lien</a></p>'
        '<figure><img src="img/a.png" alt="A"><figcaption>L</figcaption></figure>'
        "<table><tr><td>1</td></tr></table><pre><code>x = 1</code></pre>"
        '<a href="mailto:cdi@ecole.fr">écrire</a>',
        "https://ecole.example.fr/blog/article.html",
    )
    assert "<h2>Titre</h2>" in html
    assert '<a href="https://ecole.example.fr/page" rel="noopener noreferrer">lien</a>' in html
    assert '<img src="https://ecole.example.fr/blog/img/a.png" alt="A">' in html
    assert "<figcaption>L</figcaption>" in html and "<td>1</td>" in html
    assert "<pre><code>x = 1</code></pre>" in html
    assert 'href="mailto:cdi@ecole.fr"' in html


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Réforme   du\n collège ", "Réforme du collège"),
        ("<b>Gras</b> &amp; <i>italique</i>", "Gras & italique"),
        ("Caf&eacute; p&eacute;dagogique", "Café pédagogique"),
        ("<script>alert(1)</script>Sûr", "Sûr"),
        ("L’IA\xa0: quels usages ?", "L’IA\xa0: quels usages ?"),  # French nbsp kept
        ("a\x00b\x1fc\ufffed\ud800e", "abcde"),
        ("a\x7fb\x1bc\x9dd\x85", "abcd…"),  # DEL, ESC, C1 gone; cp1252's C1 repaired
        ("<i>a</i>&#27;b&#x7f;c&#x9d;d&#xfffe;e", "abcde"),  # decoded references too
        ("x < y et y > z", "x < y et y > z"),
        ("Le <b>numérique</b> &amp; l'école", "Le numérique & l'école"),
        ("<img src=x onerror=alert(1)>Piège", "Piège"),
        # escaped twice: decoding reveals tags, they go too; the rest is decoded only once
        ("&lt;b&gt;Gras&lt;/b&gt; &amp;amp; co", "Gras &amp; co"),
        ("&lt;script&gt;alert(1)&lt;/script&gt;Sûr", "Sûr"),
        ("a &lt; b", "a < b"),
    ],
)
def test_plain_text(raw: str, expected: str) -> None:
    assert plain_text(raw) == expected


def test_control_characters_removed_everywhere() -> None:
    assert strip_controls("a\x01b\tc\nd\re\x0bf\uffff\x7f\x81\x9f") == "ab\tc\nd\refŸ"
    feed = parse_rss(item(title="Bon\x01jour\x08", description="<p>x\x02y</p>", guid="g\x03"))
    entry = feed.entries[0]
    assert (entry.title, entry.summary_html, entry.key) == ("Bonjour", "<p>xy</p>", "g")
    # nh3 decodes character references: what they decode to goes too
    assert sanitize_html("<p>a&#27;b&#x7f;c&#x9d;d&#xfffe;e&#x92;</p>", None) == "<p>abcde’</p>"


# Markup in a title, and a control character in every text field, in each feed format. The
# item with xml:lang leaves fastfeed's shapes: feedparser reads it.
MARKED = "Le &lt;b&gt;numérique&lt;/b&gt; &amp;amp; l'école\x1b"
CONTROLLED = {
    "rss": rss(
        item(guid="a", title=MARKED, author="Ana\x7f", category="IA\x9d",
             description="&lt;p&gt;Corps\x0b\x85&lt;/p&gt;")
    ),
    "rss-feedparser": rss(
        f'<item xml:lang="fr"><guid>a</guid><title>{MARKED}</title><author>Ana\x7f</author>'
        "<category>IA\x9d</category><description>&lt;p&gt;Corps\x0b\x85&lt;/p&gt;</description></item>"
    ),
    "atom": (
        '<feed xmlns="http://www.w3.org/2005/Atom"><title>Fil\x07</title><id>urn:f</id>'
        f'<entry><id>a</id><title type="html">{MARKED}</title><author><name>Ana\x7f</name>'
        '</author><category term="IA\x9d"/><summary type="html">&lt;p&gt;Corps\x0b\x85&lt;/p&gt;'
        "</summary></entry></feed>"
    ).encode(),
    "json": json.dumps(
        {
            "version": "https://jsonfeed.org/version/1.1",
            "title": "Fil\x07",
            "items": [
                {"id": "a", "title": "Le <b>numérique</b> &amp; l'école\x1b",
                 "authors": [{"name": "Ana\x7f"}], "tags": ["IA\x9d"],
                 "content_html": "<p>Corps\x0b\x85</p>"}
            ],
        }
    ).encode(),
}  # fmt: skip


@pytest.mark.parametrize("kind", CONTROLLED)
def test_titles_are_text_and_no_field_carries_a_control(kind: str) -> None:
    feed = parse(URL, CONTROLLED[kind], {}, NOW)
    (entry,) = feed.entries
    assert entry.title == "Le numérique & l'école"
    assert (entry.author, entry.categories) == ("Ana", ("IA",))
    assert "<p>Corps…</p>" in (entry.summary_html, entry.content_html)
    assert feed.title in ("Actus", "Fil")


# --- URLs ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "base", "expected"),
    [
        ("/a?utm_source=rss&utm_medium=x&id=3", URL, "https://ecole.example.fr/a?id=3"),
        ("https://x.fr/p?fbclid=1&gclid=2&mc_cid=3&mc_eid=4", None, "https://x.fr/p"),
        ("https://www.lemonde.fr/a.html#xtor=RSS-3208", None, "https://www.lemonde.fr/a.html"),
        ("https://x.fr/p?xtor=RSS&at_medium=rss&q=é", None, "https://x.fr/p?q=é"),
        ("https://x.fr/changelog#v2", None, "https://x.fr/changelog#v2"),  # anchor kept
        ("HTTPS://X.FR:443/Path?a=1&b", None, "https://x.fr/Path?a=1&b"),
        ("http://x.fr:8080", None, "http://x.fr:8080/"),
        ("//cdn.x.fr/a", "https://x.fr/", "https://cdn.x.fr/a"),
        ("article.html", "https://x.fr/blog/", "https://x.fr/blog/article.html"),
        ("javascript:alert(1)", URL, None),
        ("data:text/html,hi", URL, None),
        ("ftp://x.fr/a", None, None),
        ("mailto:a@x.fr", None, None),
        ("", URL, None),
        ("http://[::1", None, None),
    ],
)
def test_canonical_url(url: str, base: str | None, expected: str | None) -> None:
    assert canonical_url(url, base) == expected


def test_relative_links_resolved_against_xml_base_or_feed_url() -> None:
    body = b"""<?xml version="1.0"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://blog.example.fr/sub/">
  <title>B</title>
  <entry><id>1</id><link href="posts/1.html"/>
    <content type="html">&lt;a href="../img.html"&gt;x&lt;/a&gt;&lt;img src="i.png"&gt;</content>
  </entry>
  <entry xml:base="https://autre.example.fr/"><id>2</id><link href="p2"/></entry>
</feed>"""
    feed = parse(URL, body, {}, NOW)
    first, second = feed.entries
    assert first.url == "https://blog.example.fr/sub/posts/1.html"
    assert 'href="https://blog.example.fr/img.html"' in first.content_html
    assert 'src="https://blog.example.fr/sub/i.png"' in first.content_html
    assert second.url == "https://autre.example.fr/p2"
    no_base = parse_rss(item(guid="x", link="/a/b", description='&lt;a href="c"&gt;c&lt;/a&gt;'))
    assert no_base.entries[0].url == "https://ecole.example.fr/a/b"
    assert 'href="https://ecole.example.fr/actualites/c"' in no_base.entries[0].summary_html


# --- dates --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("lun., 30 nov. 2026 07:30:00 +0100", datetime(2026, 11, 30, 6, 30, tzinfo=UTC)),
        ("30 novembre 2026", datetime(2026, 11, 29, 23, 0, tzinfo=UTC)),  # Paris midnight
        ("mardi 1er septembre 2026 08:00", datetime(2026, 9, 1, 6, 0, tzinfo=UTC)),  # CEST
        ("Mercredi 15 juillet 2026 à 14h30", datetime(2026, 7, 15, 12, 30, tzinfo=UTC)),
        ("mar., 3 mars 2026 10:00:00 GMT", datetime(2026, 3, 3, 10, 0, tzinfo=UTC)),
        ("ven. 14 août 2026 09:15 CEST", datetime(2026, 8, 14, 7, 15, tzinfo=UTC)),
        ("5 févr. 2026", datetime(2026, 2, 4, 23, 0, tzinfo=UTC)),
        ("Sun, 29 Nov 2026 07:30:00 GMT", datetime(2026, 11, 29, 7, 30, tzinfo=UTC)),
        ("2026-11-29T08:30:00+01:00", datetime(2026, 11, 29, 7, 30, tzinfo=UTC)),
        ("n'importe quoi", None),
        ("31 février 2026", None),
    ],
)
def test_dates_in_feeds(raw: str, expected: datetime | None) -> None:
    feed = parse_rss(item(guid="d", title="t", pubDate=raw))
    assert feed.entries[0].published == expected


def test_date_helpers() -> None:
    assert parse_french_date("Sun, 29 Foo 2026") is None
    assert parse_french_date("le 1er mai") is None  # no year
    assert parse_date("2026-11-29T08:30:00Z") == datetime(2026, 11, 29, 8, 30, tzinfo=UTC)
    assert parse_date("2026-11-29T08:30:00") == datetime(2026, 11, 29, 8, 30, tzinfo=UTC)


def test_future_dates_clamped_missing_dates_none() -> None:
    soon = (NOW + timedelta(minutes=5)).strftime("%a, %d %b %Y %H:%M:%S +0000")
    later = (NOW + timedelta(days=2)).strftime("%a, %d %b %Y %H:%M:%S +0000")
    feed = parse_rss(
        item(guid="soon", pubDate=soon) + item(guid="later", pubDate=later) + item(guid="none")
    )
    dates = {e.key: e.published for e in feed.entries}
    assert dates == {"soon": NOW + timedelta(minutes=5), "later": NOW, "none": None}


def test_published_falls_back_to_updated() -> None:
    body = b"""<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>
<entry><id>1</id><title>t</title><updated>2026-11-02T10:00:00Z</updated></entry></feed>"""
    entry = parse(URL, body, {}, NOW).entries[0]
    assert entry.published == entry.updated == datetime(2026, 11, 2, 10, tzinfo=UTC)


# --- identity -----------------------------------------------------------------------------


def test_identity_rules() -> None:
    feed = parse_rss(
        item(guid="g1", link="https://x.fr/1", title="guid")
        + item(link="https://x.fr/2?utm_source=rss", title="link only")
        + item(title="ni guid ni lien", description="corps")
        + item(guid="dup", link="https://x.fr/a", title="A")
        + item(guid="dup", link="https://x.fr/b", title="B")
        + item(guid="dup", link="https://x.fr/a", title="A again")
        + item(guid="same", link="https://x.fr/s", title="S")
        + item(guid="same", link="https://x.fr/s", title="S repeat")
    )
    keys = [e.key for e in feed.entries]
    assert keys[:2] == ["g1", "https://x.fr/2"]
    assert keys[2].startswith("hash:") and len(keys[2]) == 5 + 32
    assert keys[3:] == ["dup https://x.fr/a", "dup https://x.fr/b", "same"]
    assert [e.title for e in feed.entries][3:] == ["A", "B", "S"]


def test_rss_guid_is_not_resolved_as_a_url() -> None:
    # isPermaLink defaults to true, but resolving "123" against the feed URL would change
    # every key when the feed moves; a relative permalink still gives the link.
    feed = parse_rss(item(guid="123") + item(guid="/billets/9"))
    assert [(e.key, e.url) for e in feed.entries] == [
        ("123", "https://ecole.example.fr/actualites/123"),
        ("/billets/9", "https://ecole.example.fr/billets/9"),
    ]
    permalink_false = parse_rss('<item><guid isPermaLink="false">a1</guid></item>')
    assert permalink_false.entries[0].url is None


def test_hash_key_is_stable_and_content_sensitive() -> None:
    one = parse_rss(item(title="T", description="c1")).entries[0].key
    again = parse_rss(item(title="T", description="c1")).entries[0].key
    other = parse_rss(item(title="T", description="c2")).entries[0].key
    assert one == again != other


# --- JSON Feed ----------------------------------------------------------------------------


def test_json_feed_1_0() -> None:
    doc = {
        "version": "https://jsonfeed.org/version/1",
        "title": "Le blog",
        "home_page_url": "https://blog.example.fr/",
        "author": {"name": "Feed Author"},
        "items": [
            {
                "id": 42,
                "url": "/billets/42?utm_campaign=x",
                "title": "Quarante-deux",
                "content_text": "Ligne 1\nLigne 2\n\nParagraphe <b>2</b>",
                "date_published": "2026-11-28T10:00:00+01:00",
                "tags": ["numérique", "<i>IA</i>", 3],
            },
            {"id": "b", "content_html": '<p onclick="x()">Salut</p>', "author": {"name": "Ana"}},
        ],
    }
    feed = parse("https://blog.example.fr/feed.json", json.dumps(doc).encode(), {}, NOW)
    first, second = feed.entries
    assert (feed.kind, feed.title, feed.site_url) == ("json", "Le blog", "https://blog.example.fr/")
    assert (first.key, first.url) == ("42", "https://blog.example.fr/billets/42")
    assert first.content_html == "<p>Ligne 1<br>Ligne 2</p><p>Paragraphe &lt;b&gt;2&lt;/b&gt;</p>"
    assert first.published == datetime(2026, 11, 28, 9, tzinfo=UTC)
    assert first.categories == ("numérique", "IA")
    assert first.author == "Feed Author"
    assert (second.content_html, second.author) == ("<p>Salut</p>", "Ana")


def test_json_feed_1_1() -> None:
    doc = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "Veille",
        "language": "fr-FR",
        "authors": [{"name": "Équipe"}],
        "items": [
            {
                "id": "1",
                "external_url": "https://ailleurs.fr/x",
                "title": "Un &amp; deux",
                "summary": "Résumé",
                "content_html": "<p>Corps</p>",
                "date_modified": "2026-11-29T00:00:00Z",
                "authors": [{"name": "A"}, {"name": "B"}, {"url": "https://c"}],
            }
        ],
    }
    entry = parse(URL, json.dumps(doc).encode("utf-8"), {}, NOW).entries[0]
    assert (entry.title, entry.url, entry.author) == ("Un & deux", "https://ailleurs.fr/x", "A, B")
    assert (entry.summary_html, entry.content_html) == ("<p>Résumé</p>", "<p>Corps</p>")
    assert entry.published == entry.updated == datetime(2026, 11, 29, tzinfo=UTC)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"version": "https://jsonfeed.org/version/1", "items": [', "JSON illisible"),
        (b'{"rss": {"channel": {}}}', "pas un JSON Feed"),
        (b"[1, 2]", "pas un JSON Feed"),
    ],
)
def test_json_refused(body: bytes, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        parse(URL, body, {}, NOW)


# --- HTML pages ---------------------------------------------------------------------------


def test_html_discovery_in_document_order() -> None:
    page = b"""<!DOCTYPE html><html><head><title>Coll\xc3\xa8ge</title>
<link rel="stylesheet" href="/s.css">
<link rel="alternate" type="application/atom+xml" href="/atom.xml">
<link rel="alternate" type="text/html" href="/en/">
<link rel="Alternate Feed" type="application/rss+xml; charset=utf-8" href="//cdn.ex.fr/rss">
<link rel="alternate" type="application/feed+json" href="feed.json">
<link rel="alternate" type="application/json" href="https://ex.fr/api.json">
<link rel="alternate" type="application/rss+xml" href="javascript:alert(1)">
<link rel="alternate" type="application/atom+xml" href="/atom.xml">
</head><body></body></html>"""
    feed = parse("https://ex.fr/blog/", page, {"Content-Type": "text/html"}, NOW)
    assert feed.kind == "html" and feed.entries == ()
    assert feed.discovered == (
        "https://ex.fr/atom.xml",
        "https://cdn.ex.fr/rss",
        "https://ex.fr/blog/feed.json",
        "https://ex.fr/api.json",
    )


def test_html_without_feed_is_refused() -> None:
    with pytest.raises(ParseError, match="page web sans flux"):
        parse(URL, b"<html><head></head><body>Bonjour</body></html>", {}, NOW)


@pytest.mark.parametrize("body", [b"", b"   \n", b"Bonjour", b"<note><to>x</to></note>"])
def test_not_a_feed(body: bytes) -> None:
    with pytest.raises(ParseError):
        parse(URL, body, {}, NOW)


# --- XML safety ---------------------------------------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE rss [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rss version="2.0"><channel><title>&lol9;</title>
<item><guid>1</guid><title>&lol9;</title><description>&lol9;</description></item>
</channel></rss>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">
  <!ENTITY % p SYSTEM "file:///etc/hostname"> %p;]>
<rss version="2.0"><channel><title>t&xxe;</title>
<item><guid>1</guid><title>a&xxe;</title><description>&xxe;</description></item>
</channel></rss>"""


@pytest.mark.parametrize("body", [BILLION_LAUGHS, EXTERNAL_ENTITY])
def test_entities_never_expand(body: bytes) -> None:
    started = time.monotonic()
    feed = parse(URL, body, {}, NOW)
    # The behaviour, not a speed figure: expanding them would take far longer (gigabytes).
    assert time.monotonic() - started < 1
    dump = repr(feed)
    assert "lollol" not in dump and "root:" not in dump and len(dump) < 5000
    assert len(feed.entries) == 1


def test_html_entities_in_xml() -> None:
    feed = parse_rss(
        item(guid="1", title="R&eacute;forme &laquo;&nbsp;coll&egrave;ge&nbsp;&raquo;")
    )
    assert feed.entries[0].title == "Réforme «\xa0collège\xa0»"
    assert feed.warnings == ()  # read by the strict parser after the entities were converted


# --- encodings ----------------------------------------------------------------------------

FRENCH = "Élèves, à l’école : « ça » coûte 5 €"


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        (rss(item(title=FRENCH)).replace(b"<?xml version", b"<?xml version"), {}),
        (rss(item(title=FRENCH)), {"Content-Type": "application/rss+xml; charset=ISO-8859-1"}),
        (b"\xef\xbb\xbf" + rss(item(title=FRENCH)), {}),
        (
            b"\n\n  "
            + rss(item(title=FRENCH), declaration='<?xml version="1.0" encoding="utf-8"?>'),
            {},
        ),
    ],
)
def test_utf8_variants(body: bytes, headers: dict[str, str]) -> None:
    assert parse(URL, body, headers, NOW).entries[0].title == FRENCH


@pytest.mark.parametrize(
    ("encoding", "declaration", "headers"),
    [
        ("cp1252", '<?xml version="1.0" encoding="windows-1252"?>', {}),
        ("cp1252", '<?xml version="1.0" encoding="ISO-8859-1"?>', {}),  # 1252 labelled Latin-1
        ("cp1252", '<?xml version="1.0"?>', {}),  # undeclared
        ("cp1252", '<?xml version="1.0" encoding="utf-8"?>', {}),  # declared UTF-8: a lie
        ("cp1252", '<?xml version="1.0"?>', {"content-type": "text/xml; charset=windows-1252"}),
        ("utf-16", '<?xml version="1.0" encoding="utf-16"?>', {}),
        ("utf-16-be", '<?xml version="1.0" encoding="utf-16"?>', {}),
    ],
)
def test_legacy_and_conflicting_encodings(
    encoding: str, declaration: str, headers: dict[str, str]
) -> None:
    text = rss(item(title=FRENCH), declaration=declaration).decode()
    feed = parse(URL, text.encode(encoding), headers, NOW)
    assert feed.entries[0].title == FRENCH


def test_http_charset_wins_over_declaration() -> None:
    body = rss(item(title="Ελληνικά"), declaration='<?xml version="1.0" encoding="utf-8"?>')
    greek = body.decode().encode("iso-8859-7")
    headers = {"Content-Type": "text/xml; charset=iso-8859-7"}
    assert parse(URL, greek, headers, NOW).entries[0].title == "Ελληνικά"
