"""HTML pages in-process: pure rendering rules, then the routes against real SQLite."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from markupsafe import escape

from veille.models import EntryView, Selection, TagRule
from veille.render import digest_page, french, html, site_pages
from veille.store import Store

from .browser import ARTICLES, HOSTILE_TITLE, NOW, build_app, fill_store

PARIS = ZoneInfo("Europe/Paris")
TAXONOMY = (
    TagRule("evaluation", "Évaluation"),
    TagRule("ia", "Intelligence artificielle"),
    TagRule("tablettes", "Tablettes"),
)


# --- a small DOM reader (the browser tests check the real DOM) ---------------------------------


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    text: str = ""
    children: list[Element] = field(default_factory=list)


class Doc(HTMLParser):
    VOID = frozenset(
        ["area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "wbr"]
    )

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self._open: list[Element] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        el = Element(tag, {k: v or "" for k, v in attrs})
        self.elements.append(el)
        if self._open:
            self._open[-1].children.append(el)
        if tag not in self.VOID:
            self._open.append(el)

    def handle_endtag(self, tag: str) -> None:
        while self._open:
            if self._open.pop().tag == tag:
                break

    def handle_data(self, data: str) -> None:
        for el in self._open:
            el.text += data

    def all(self, tag: str, **attrs: str) -> list[Element]:
        return [
            e
            for e in self.elements
            if e.tag == tag and all(e.attrs.get(k.rstrip("_")) == v for k, v in attrs.items())
        ]

    def by_id(self, ident: str) -> Element:
        return next(e for e in self.elements if e.attrs.get("id") == ident)


def words(text: str) -> str:
    return " ".join(text.split())


# --- pure rendering -------------------------------------------------------------------------


def view(ident: str, tags: tuple[str, ...] = (), hours: float = 1, **kw: object) -> EntryView:
    return EntryView(
        id=ident,
        feed="cafe",
        feed_title="Le Café",
        title=f"Article {ident}",
        url=f"https://cafe.example/{ident}",
        published=NOW - timedelta(hours=hours),
        summary="<p>Résumé</p>",
        content_html="",
        tags=tags,
        **kw,  # type: ignore[arg-type]
    )


def page(
    entries: list[EntryView], prefer: tuple[str, ...] = (), **kw: Any
) -> digest_page.DigestPage:
    """The daily digest page of ``entries`` (``kw``: more of ``build_digest_page``'s)."""
    return digest_page.build_digest_page(
        entries,
        title="La veille du jour",
        taxonomy=TAXONOMY,
        now=NOW,
        tz=PARIS,
        tag_href=lambda t: f"/?tag={t}",
        chrome=html.Chrome(),
        filters=digest_page.FilterBar(action="/"),
        prefer=prefer,
        **kw,
    )


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        (datetime(2026, 11, 29, 7, 30, tzinfo=UTC), "29 nov. 2026 à 08:30"),
        (datetime(2026, 7, 1, 22, 5, tzinfo=UTC), "2 juil. 2026 à 00:05"),  # summer time
        (datetime(2026, 2, 3, 9, 0, tzinfo=UTC), "3 févr. 2026 à 10:00"),
        (datetime(2026, 8, 15, 12, 0, tzinfo=UTC), "15 août 2026 à 14:00"),
    ],
)
def test_french_datetime(when: datetime, expected: str) -> None:
    assert french.french_datetime(when, PARIS) == expected


@pytest.mark.parametrize(
    ("ago", "expected"),
    [
        (timedelta(seconds=20), "à l'instant"),
        (timedelta(minutes=12), "il y a 12 min"),
        (timedelta(hours=3, minutes=59), "il y a 3 h"),
        (timedelta(days=1, hours=2), "il y a 1 jour"),
        (timedelta(days=9), "il y a 9 jours"),
        (timedelta(days=95), "il y a 3 mois"),
        (-timedelta(minutes=30), "dans 30 min"),
    ],
)
def test_relative_time(ago: timedelta, expected: str) -> None:
    assert french.relative_time(NOW - ago, NOW) == expected


def test_summary_text_is_plain_and_short() -> None:
    assert french.summary_text("<p>Un <b>é</b>té</p><p>Deux&nbsp;&amp; trois</p>") == (
        "Un été Deux\xa0& trois"
    ).replace("\xa0", " ")
    assert french.summary_text("<script>alert(1)</script>ok") == "ok"
    long = "<p>" + "mot " * 200 + "</p>"
    text = french.summary_text(long)
    assert len(text) <= french.SUMMARY_CHARS + 1 and text.endswith("mot…")


def test_sections_follow_the_taxonomy_each_entry_once_others_last() -> None:
    entries = [
        view("1", ("tablettes", "ia")),  # first theme in taxonomy order: ia
        view("2", ()),
        view("3", ("evaluation", "tablettes")),
        view("4", ("actualite",)),  # an undeclared (feed) tag makes no section
        view("5", ("tablettes",)),
    ]
    p = page(entries)
    assert [(s.id, s.label, s.count) for s in p.sections] == [
        ("evaluation", "Évaluation", 1),
        ("ia", "Intelligence artificielle", 1),
        ("tablettes", "Tablettes", 1),
        ("autres", "Autres", 2),
    ]
    ids = [e.id for s in p.sections for e in s.entries]
    assert sorted(ids) == ["1", "2", "3", "4", "5"] and p.count == 5
    assert [e.id for e in p.sections[-1].entries] == ["2", "4"]  # newest first kept
    tags = p.sections[0].entries[0].tags
    assert [(t.label, t.href) for t in tags] == [
        ("Évaluation", "/?tag=evaluation"),
        ("Tablettes", "/?tag=tablettes"),
    ]


def test_a_filtered_theme_wins_the_section() -> None:
    p = page([view("1", ("evaluation", "tablettes"))], prefer=("tablettes",))
    assert [s.id for s in p.sections] == ["tablettes"]


def test_highlights_come_first_and_are_not_repeated() -> None:
    entries = [view("1", ("ia",)), view("2", ("ia",))]
    p = digest_page.build_digest_page(
        entries,
        title="t",
        taxonomy=TAXONOMY,
        now=NOW,
        tz=PARIS,
        tag_href=str,
        chrome=html.Chrome(),
        filters=digest_page.FilterBar(action="/"),
        highlights=[entries[1]],
        notes={"2": "À lire avant le conseil pédagogique <b>"},
    )
    out = html.render_page(p)
    assert out.index("Coups de cœur") < out.index('id="s-ia"')
    assert out.count("Article 2") == 1 and p.sections[0].count == 1
    assert "À lire avant le conseil pédagogique &lt;b&gt;" in out


def test_entry_markup() -> None:
    p = page([view("1", ("ia",), hours=3, also_in=("Ludomag", "Éduscol"))])
    doc = Doc(html.render_page(p))
    link = doc.all("a", href="https://cafe.example/1")[0]
    assert link.attrs["rel"] == "noopener" and link.text == "Article 1"
    when = doc.all("time")[0]
    assert when.attrs["datetime"] == "2026-11-29T06:00:00+01:00"
    assert words(when.text) == "il y a 3 h 29 nov. 2026 à 06:00"
    assert "Aussi dans : Ludomag, Éduscol" in words(doc.all("p", class_="also-in")[0].text)
    assert words(doc.all("p", class_="summary")[0].text) == "Résumé"


def test_feed_text_is_escaped() -> None:
    evil = EntryView(
        id="x",
        feed="f",
        feed_title='<b onmouseover="x()">Source</b>',
        title=HOSTILE_TITLE,
        url='https://e.example/"><script>x()</script>',
        published=NOW,
        summary="<p onclick=x()>a</p><script>x()</script>",
        content_html="",
        tags=('"><script>x()</script>',),
        also_in=("<script>x()</script>",),
    )
    out = html.render_page(page([evil]))
    assert "<script" not in out and "onerror=" not in out.replace("onerror=&#34;", "")
    doc = Doc(out)
    assert not doc.all("script") and not doc.all("img")
    assert all(not k.startswith("on") for e in doc.elements for k in e.attrs)
    assert doc.by_id("e-x").text.strip() == HOSTILE_TITLE


def test_feeds_page_rows() -> None:
    from veille.models import FeedState

    states = [
        FeedState("a", "https://a.example/f", "A", "error", "réponse HTTP 404 (Not Found)", 3,
                  NOW - timedelta(minutes=5), NOW + timedelta(hours=1)),
        FeedState("b", "https://b.example/f", "B", "pending", None, 0, None, None),
        FeedState("c", "https://c.example/f", "C", "disabled",
                  "réponse HTTP 410 (Gone) : le flux a été supprimé par son éditeur", 9,
                  NOW, None),
    ]  # fmt: skip
    p = site_pages.build_feeds_page(
        states,
        last_entries={"a": NOW - timedelta(days=31), "c": NOW - timedelta(days=2)},
        now=NOW,
        tz=PARIS,
        chrome=html.Chrome(),
    )
    a, b, c = p.rows
    assert a.status_label == "En erreur" and a.problem and "n'existe plus" in a.problem
    assert a.silent and "31 jours" in a.silent and a.last_fetch.startswith("il y a 5 min")
    assert b.status_label == "Pas encore consultée" and b.last_fetch == "jamais"
    assert b.problem is None and b.silent is None
    assert c.problem and "supprimé" in c.problem and c.next_fetch.startswith("aucune")
    assert p.problems == 2


# --- routes ---------------------------------------------------------------------------------


@contextmanager
def served(folder: Path, store: Store | None = None) -> Iterator[TestClient]:
    """The app over ``store`` (else a SQLite file of its own, closed at the end)."""
    app, filled = build_app(folder, many=60, store=store)
    with TestClient(app) as c:
        yield c
    if store is None:
        filled.close()


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """One app for the module's tests that only read (``fresh_client`` for one that writes)."""
    with served(tmp_path_factory.mktemp("pages")) as c:
        yield c


@pytest.fixture
def fresh_client(tmp_path: Path, store: Store) -> Iterator[TestClient]:
    """An app of its own, on either backend."""
    with served(tmp_path, store) as c:
        yield c


def get(client: TestClient, url: str, status: int = 200) -> Doc:
    r = client.get(url)
    assert r.status_code == status, r.text[:500]
    assert r.headers["content-type"].startswith("text/html")
    csp = r.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert "base-uri 'none'" in csp and "form-action 'self'" in csp and "script" not in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"]
    return Doc(r.text)


def entry_titles(doc: Doc) -> list[str]:
    return [words(h.text) for h in doc.elements if "entry-title" in h.attrs.get("class", "")]


def test_digest_page_structure(client: TestClient) -> None:
    doc = get(client, "/")
    assert doc.all("html")[0].attrs["lang"] == "fr"
    assert len(doc.all("h1")) == 1 and words(doc.all("h1")[0].text) == "La veille du jour"
    for landmark in ("header", "nav", "main", "footer"):
        assert doc.all(landmark), landmark
    skip = doc.all("a", class_="skip-link")[0]
    assert skip.attrs["href"] == "#contenu" and doc.by_id("contenu").tag == "main"
    assert not doc.all("script") and not any("style" in e.attrs for e in doc.elements)
    assert not doc.all("style")
    sheets = [e.attrs["href"] for e in doc.all("link", rel="stylesheet")]
    assert sheets == ["/static/veille.css"]
    alternates = {e.attrs["href"] for e in doc.all("link", rel="alternate")}
    assert "/digests/quotidien.rss" in alternates and "/digests/quotidien.atom" in alternates
    # every external reference stays on this origin
    for e in doc.elements:
        for attr in ("src", "href"):
            ref = e.attrs.get(attr, "")
            if e.tag != "a" and ref:
                assert ref.startswith("/"), ref
    # headings: h1 → h2 (sections) → h3 (entries), never skipping a level
    levels = [int(e.tag[1]) for e in doc.elements if re.fullmatch(r"h[1-6]", e.tag)]
    assert levels[0] == 1 and all(b <= a + 1 for a, b in itertools.pairwise(levels))


def test_digest_groups_and_counts(client: TestClient) -> None:
    doc = get(client, "/")
    sections = [(s.attrs["id"], words(s.text)) for s in doc.all("section", class_="theme")]
    assert [sid for sid, _ in sections] == ["s-evaluation", "s-ia", "s-tablettes", "s-autres"]
    heads = [words(doc.by_id(f"h-{n}").text) for n in ("evaluation", "ia", "tablettes", "autres")]
    assert heads == [
        "Évaluation 2 articles",
        "Intelligence artificielle 1 article",
        "Tablettes 1 article",
        "Autres 2 articles",  # the untagged article and the hostile one
    ]
    assert [a.attrs["href"] for a in doc.all("a") if a.attrs.get("href", "").startswith("#s-")] == [
        "#s-evaluation",
        "#s-ia",
        "#s-tablettes",
        "#s-autres",
    ]
    titles = entry_titles(doc)
    assert "Le salon Educatech ouvre ses portes" not in titles  # 30 h old: outside 1 day
    assert len(titles) == len(set(titles)) == 6
    assert "Sommaire 6 articles" in words(doc.all("nav", class_="toc")[0].text)


def test_theme_filter_and_tag_links(client: TestClient) -> None:
    doc = get(client, "/?tag=tablettes")
    assert sorted(entry_titles(doc)) == [
        "Des tablettes pour l'évaluation en classe",
        "Une année de tablettes au collège",
    ]
    assert [s.attrs["id"] for s in doc.all("section", class_="theme")] == ["s-tablettes"]
    option = doc.all("option", value="tablettes")[0]
    assert "selected" in option.attrs
    assert doc.all("a", href="/?tag=evaluation")  # tags are links to the theme view
    assert doc.all("a", class_="reset")
    alternates = {e.attrs["href"] for e in doc.all("link", rel="alternate")}
    assert "/tags/tablettes.rss" in alternates


def test_source_and_period_filters(client: TestClient) -> None:
    titles = entry_titles(get(client, "/?feed=ludo"))
    assert titles and all("tablettes pour" in t or "conseil" in t for t in titles)
    week = entry_titles(get(client, "/?period=7d&feed=ludo"))
    assert "Le salon Educatech ouvre ses portes" in week
    assert "selected" in get(client, "/?period=7d").all("option", value="7d")[0].attrs
    custom = get(client, "/?period=2d").all("option", value="2d")
    assert custom and "selected" in custom[0].attrs
    same = get(client, "/?period=24h").all("option")  # the digest's own window: no duplicate
    day = [o for o in same if o.text.startswith("24 heures")]
    assert len(day) == 1 and day[0].attrs["value"] == "" and "selected" in day[0].attrs


def test_search(client: TestClient) -> None:
    titles = entry_titles(get(client, "/?q=tablette"))
    assert sorted(titles) == [
        "Des tablettes pour l'évaluation en classe",
        "Une année de tablettes au collège",
    ]
    doc = get(client, "/?q=introuvablissime")
    assert not entry_titles(doc)
    assert "Aucun article ne correspond" in words(doc.all("main")[0].text)


def lead(doc: Doc) -> str:
    return words(doc.all("p", class_="lead")[0].text)


def test_a_long_period_is_paged_and_says_so(client: TestClient) -> None:
    seen: list[str] = []
    url: str | None = "/?feed=ludo&period=30d"  # 3 articles + 60 brèves, longer than a week
    leads = []
    while url:
        doc = get(client, url)
        assert words(doc.all("h1")[0].text) == "Source Ludomag — 63 articles sur 30 jours"
        leads.append(lead(doc))
        seen += entry_titles(doc)
        more = [a for a in doc.all("a") if a.attrs.get("rel") == "next"]
        assert not more or words(more[0].text) == "Articles plus anciens"
        url = more[0].attrs["href"] if more else None
        if url:
            assert "feed=ludo" in url and "period=30d" in url and "cursor=" in url
    assert len(seen) == len(set(seen)) == 63
    assert leads == [
        "50 premiers articles sur 63, du plus récent au plus ancien "
        "(depuis le 30 oct. 2026 à 09:00).",
        "Articles 51 à 63 sur 63, du plus récent au plus ancien (depuis le 30 oct. 2026 à 09:00).",
    ]


def test_a_period_beyond_the_cap_is_paged_honestly(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from veille.web import pages

    monkeypatch.setattr(pages, "WHOLE_MAX", 40)  # the week holds 67
    doc = get(client, "/digests/hebdo")
    assert words(doc.all("h1")[0].text) == "La semaine du numérique éducatif"
    assert lead(doc).startswith("50 premiers articles sur 67, du plus récent au plus ancien")
    assert len(entry_titles(doc)) == 50 and doc.all("a", rel="next")


def add_entries(
    store: Store,
    feed: str,
    items: list[tuple[str, timedelta, tuple[str, ...]]],
    now: datetime = NOW,
) -> None:
    """``(title, age, tags)`` entries of ``feed`` (published ``age`` before ``NOW``), tagged
    as given, saved (arrived) at ``now``."""
    from veille.models import ParsedEntry
    from veille.rules.tagging import TagReason

    tags = {title: t for title, _, t in items}
    store.save_entries(
        feed,
        [
            ParsedEntry(
                key=title,
                guid=title,
                url=f"https://{feed}.example/{abs(hash(title))}",
                title=title,
                summary_html="<p>Résumé.</p>",
                published=NOW - age,
            )
            for title, age, _ in items
        ],
        now=now,
        tagger=lambda e: {t: TagReason("title", t) for t in tags[e.title]},
    )


def test_the_weekly_page_shows_its_whole_period(tmp_path: Path, store: Store) -> None:
    """75 articles over 7 days: every one is on the page, in its section, and every count is
    the count of the period (no « Articles plus anciens »), on either backend."""
    app, store = build_app(tmp_path, store=store)
    themes = [("evaluation",), ("ia",), ("tablettes",), ()]
    week = [
        (f"Article de la semaine n° {i}", timedelta(minutes=10 + i * 133), themes[i % 4])
        for i in range(75)
    ]  # the last one is 6 days 22 h old
    add_entries(store, "ludo", week)
    add_entries(store, "ludo", [("Trop ancien pour la semaine", timedelta(days=7, hours=1), ())])
    in_period = {t for t, _, _ in week} | {t for _, _, t, h, _ in ARTICLES} | {HOSTILE_TITLE}
    with TestClient(app) as c:
        doc = get(c, "/digests/hebdo")
    titles = entry_titles(doc)
    assert len(titles) == len(set(titles)) and set(titles) == in_period
    total = len(in_period)
    assert total == 75 + 6 + 1
    assert "Sommaire " + f"{total} articles" in words(doc.all("nav", class_="toc")[0].text)
    assert lead(doc).startswith(f"{total} articles depuis le 22 nov. 2026 à 09:00, environ ")
    assert lead(doc).endswith(" min de lecture.")  # the count said once, with the reading time
    for section in doc.all("section", class_="theme"):
        heading = words(doc.by_id(section.attrs["aria-labelledby"]).text)
        shown = sum(1 for e in _descendants(section) if e.tag == "article")
        assert heading.endswith(f" {shown} articles"), heading
    assert not doc.all("a", rel="next")


def _descendants(parent: Element) -> list[Element]:
    found = []
    for child in parent.children:
        found += [child, *_descendants(child)]
    return found


def test_a_search_without_a_period_looks_at_every_date(fresh_client: TestClient) -> None:
    client = fresh_client  # this test adds an entry
    store: Store = client.app.state.store  # type: ignore[attr-defined]
    add_entries(store, "ludo", [("Tablettes : le bilan d'un an de prêt", timedelta(days=20), ())])
    doc = get(client, "/?q=tablette")
    assert words(doc.all("h1")[0].text) == "Recherche « tablette » — 3 articles"
    assert "Tablettes : le bilan d'un an de prêt" in entry_titles(doc)
    assert lead(doc) == "Du plus récent au plus ancien, toutes dates confondues."
    assert "selected" in doc.all("option", value="tout")[0].attrs
    day = get(client, "/?q=tablette&period=1d")
    assert words(day.all("h1")[0].text) == "Recherche « tablette » — 2 articles sur 24 heures"


@pytest.mark.parametrize(
    ("url", "heading"),
    [
        ("/", "La veille du jour"),
        ("/?tag=evaluation&period=7d", "Thème Évaluation — 2 articles sur 7 jours"),
        ("/?feed=cafe", "Source Le Café pédagogique — 3 articles sur 24 heures"),
        ("/?q=tablette&tag=evaluation", "Recherche « tablette » · Thème Évaluation — 1 article"),
        (
            "/digests/hebdo?tag=ia&tag=tablettes",
            "Thèmes Intelligence artificielle ou Tablettes — 4 articles sur 7 jours",
        ),
        ("/?period=7d", "La veille du jour — 67 articles sur 7 jours"),
    ],
)
def test_headings_say_what_is_shown(client: TestClient, url: str, heading: str) -> None:
    doc = get(client, url)
    assert words(doc.all("h1")[0].text) == heading
    assert words(doc.all("title")[0].text) == f"{heading} — veille"
    shown = len(entry_titles(doc))
    if "—" in heading:
        assert f"— {shown} article" in heading  # the count is what the page holds


@pytest.mark.parametrize(
    ("url", "feed"),
    [
        ("/", "/digests/quotidien.rss"),
        ("/?period=7d", "/digests/quotidien.rss"),
        ("/digests/hebdo?tag=ia&feed=cafe&period=30d", "/feed.rss?tag=ia&feed=cafe"),
        ("/?q=tablette", "/feed.rss?q=tablette"),
    ],
)
def test_every_view_shows_the_link_to_its_feed(client: TestClient, url: str, feed: str) -> None:
    doc = get(client, url)
    links = [a for a in doc.all("a") if words(a.text) == "RSS"]
    assert [a.attrs["href"] for a in links] == [feed]
    r = client.get(feed)
    assert r.status_code == 200
    if feed.startswith("/feed."):  # no window: the same articles, whatever the clock
        rss = ET.fromstring(r.content)
        assert set(entry_titles(doc)) <= {words(t.text or "") for t in rss.iter("title")}


BROWSER = {"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


@pytest.mark.parametrize("url", ["/tags/ia", "/une-faute", "/digests/inconnu.rss", "/feeds/x"])
def test_unknown_addresses_are_french_pages_for_browsers(client: TestClient, url: str) -> None:
    r = client.get(url, headers=BROWSER)
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert r.headers["content-security-policy"] == html.CSP
    doc = Doc(r.text)
    assert words(doc.all("h1")[0].text) == "Page introuvable"
    assert doc.all("nav", **{"aria-label": "Navigation principale"})
    assert client.get(url).json()["detail"]  # */*: JSON, as before
    r = client.get(url, headers={"accept": "application/json"})
    assert r.status_code == 404 and r.headers["content-type"] == "application/json"
    r = client.get("/api/v1/entries/999999", headers=BROWSER)
    assert r.status_code == 404 and r.headers["content-type"] == "application/json"


def test_mail_pages_share_the_site_navigation(client: TestClient) -> None:
    site = [a.attrs["href"] for a in get(client, "/").all("a") if a.attrs.get("href") == "/feeds"]
    for url in ("/curation/connexion", "/digests/hebdo/archive"):
        r = client.get(url)
        doc = Doc(r.text)
        nav = doc.all("nav", **{"aria-label": "Navigation principale"})
        assert nav, url
        assert [a.attrs["href"] for a in doc.all("a") if a.attrs.get("href") == "/feeds"] == site


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/?tag=inconnu", "thème inconnu"),
        ("/?feed=nulle-part", "source inconnue"),
        ("/?period=abc", "durée invalide"),
        ("/?period=400d", "hors limites"),
        ("/?period=30d&cursor=!!!", "curseur invalide"),
        ("/digests/hebdo?q=" + "x" * 600, "trop longue"),
    ],
)
def test_bad_parameters_are_a_french_400_page(client: TestClient, url: str, message: str) -> None:
    doc = get(client, url, status=400)
    assert message in words(doc.all("p", class_="error-message")[0].text)
    assert len(doc.all("h1")) == 1


def test_unknown_digest_is_a_404_page(client: TestClient) -> None:
    doc = get(client, "/digests/inconnu", status=404)
    assert "Aucune sélection « inconnu »" in words(doc.all("main")[0].text)


def test_sources_page(client: TestClient) -> None:
    doc = get(client, "/feeds")
    cards = [e for e in doc.all("li") if "source-card" in e.attrs.get("class", "")]
    text = " ".join(words(c.text) for c in cards)
    assert [words(h.text) for h in doc.all("h2")] == [
        "Le Café pédagogique",
        "Ludomag",
        "Un blog endormi",
        "Source piégée",
    ]  # feeds.yaml order
    assert "Fonctionne" in text and "En erreur" in text
    assert "Le site est en panne ou surchargé" in text and "réponse HTTP 503" in text
    assert "Aucun nouvel article depuis 45 jours" in text
    assert "Dernière consultation à l'instant (29 nov. 2026 à 09:00)" in text
    assert "Prochaine consultation dans 30 min (29 nov. 2026 à 09:30)" in text


def test_subscribe_page(client: TestClient) -> None:
    doc = get(client, "/abonnement")
    hrefs = {a.attrs["href"] for a in doc.all("a")}
    for href in (
        "/digests/quotidien.rss",
        "/digests/hebdo.atom",
        "/digests/hebdo.json",
        "/tags/ia.rss",
        "/tags/actualite.json",
        "/opml",
        "/feed.rss?feed=cafe",  # a source
    ):
        assert href in hrefs
    text = words(doc.all("main")[0].text)
    assert "prochaine version" not in text and not doc.all("p", class_="notice")
    # every address the page gives works
    kinds = {"rss": "application/rss+xml", "atom": "application/atom+xml", "json": "feed+json"}
    feeds = [h for h in hrefs if re.search(r"\.(rss|atom|json)(\?|$)", h) or h == "/opml"]
    assert len(feeds) >= 3 * (2 + 4 + 4) + 1  # digests, themes, sources (3 formats), OPML
    for href in feeds:
        r = client.get(href)
        assert r.status_code == 200, href
        ext = re.search(r"\.(rss|atom|json)", href)
        expected = kinds[ext.group(1)] if ext else "opml"
        assert expected in r.headers["content-type"], (href, r.headers["content-type"])


def test_static_assets(client: TestClient) -> None:
    r = client.get("/static/veille.css")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/css")
    css = r.text
    assert "@media print" in css and "@page" in css and "A4" in css
    assert 'a[href^="http"]::after' in css and "attr(href)" in css
    assert "prefers-color-scheme: dark" in css and ":focus-visible" in css
    assert "url(" not in css and "@import" not in css  # nothing external
    assert client.get("/static/favicon.svg").headers["content-type"] == "image/svg+xml"
    assert client.get("/static/../app.py").status_code == 404
    assert client.get("/static/nope.js").status_code == 404


@pytest.mark.parametrize(
    "selection",
    [
        Selection(since=NOW - timedelta(days=7), collapse=True, limit=7),
        Selection(tags=("tablettes", "ia"), limit=2),
        Selection(query="brève", limit=9),
        Selection(feeds=("ludo",), exclude_tags=("evaluation",), limit=20),
    ],
)
def test_count_selected_is_what_every_page_holds(store: Store, selection: Selection) -> None:
    """The count a page announces is the number of entries its keyset pages hold together,
    on either backend; with a cursor, what is left from there."""
    fill_store(store, many=30)
    pages, cursor = [], None
    while True:
        page = store.list_entries(replace(selection, cursor=cursor))
        pages.append(len(page.entries))
        if not (cursor := page.next_cursor):
            break
        # from this cursor on: what the following pages hold
        left = store.count_selected(replace(selection, cursor=cursor))
        assert left == len(store.list_entries(replace(selection, cursor=cursor, limit=500)).entries)
    assert store.count_selected(selection) == sum(pages) > selection.limit


def test_store_fixture_is_real(client: TestClient) -> None:
    store: Store = client.app.state.store  # type: ignore[attr-defined]
    assert store.count_entries() == 6 + 60 + 2


def test_curated_highlights_and_hidden_entries_on_the_digest(tmp_path: Path) -> None:
    app, store = build_app(tmp_path)
    with TestClient(app) as c:
        before = c.get("/").text
        entries = store.list_entries(Selection(limit=10)).entries
        pick, hide = entries[2], entries[0]
        pick_title, hide_title = str(escape(pick.title)), str(escape(hide.title))
        assert pick_title in before and hide_title in before
        store.set_highlight("quotidien", pick.id, "À lire avant le conseil", NOW)
        store.hide_entry("quotidien", hide.id, NOW)
        page = c.get("/").text
    assert page.index("Coups de cœur") < page.index("Sommaire")
    assert page.index(pick_title) < page.index("Sommaire")
    assert page.count(f">{pick_title}<") == 1  # shown once, first
    assert "À lire avant le conseil" in page
    assert hide_title not in page
    # One count for the page: the lead's and the table of contents' (the pick included).
    lead = re.search(r'<p class="lead">(\d+) articles?', page)
    toc = re.search(r'Sommaire <span class="count">(\d+) articles?', page)
    assert lead and toc and lead.group(1) == toc.group(1), (lead, toc)
    assert '<a href="#coups-de-coeur">Coups de cœur</a> <span class="count">1</span>' in page
