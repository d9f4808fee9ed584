"""Sources without a feed, ``type: html``: list pages read with CSS selectors.

Pure parts table-driven (selector syntax, French dates), then a realistic Canopé-like page and
a page whose structure changed, served on loopback and run through the real Updater (fetcher,
parser processes, store on each backend), and ``veille check`` on them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from textwrap import dedent

import pytest
from typer.testing import CliRunner

from tests.conftest import run_updater
from tests.servers import FeedServer
from veille.cli.app import app
from veille.config.load import load_config, validate_config
from veille.errors import ParseError
from veille.ingest.parse.htmllist import (
    NO_MATCH,
    date_format_problem,
    parse_page,
    read_date,
    selector_problem,
    split_selector,
)
from veille.ingest.workers import ParserPool
from veille.models import Config, FeedSpec, PageSpec, Selection, UpdateResult
from veille.store import Store

from .conftest import ROOT

HTML = "text/html; charset=utf-8"
NOW = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)

# A news list as Réseau Canopé is known to publish it: cards carrying schema.org microdata
# (itemprop="datePublished"), relative links, a tracking parameter, a hostile script.
CANOPE_PAGE = """\
<!DOCTYPE html>
<html lang="fr">
<head>
  <meta charset="utf-8">
  <title>Actualités - Réseau Canopé</title>
  <script>window.dataLayer = [];</script>
</head>
<body>
  <header><nav><a href="/">Accueil</a> <a href="/actualites.html">Actualités</a></nav></header>
  <main>
    <h1>Actualités</h1>
    <div class="news-list">
      <article class="card" itemscope itemtype="https://schema.org/NewsArticle">
        <meta itemprop="datePublished" content="2026-11-28T09:30:00+01:00">
        <h3 class="card__title" itemprop="headline">
          <a href="/actualites/detail/article/ia-en-classe.html?utm_source=home&amp;id=42">
            L’IA en classe : un <em>nouveau</em> parcours de formation
          </a>
        </h3>
        <p class="card__text" itemprop="description">Un parcours <strong>m@gistère</strong>
          pour les enseignants.<script>alert("xss")</script>
          <img src="/img/ia.png" onerror="alert(1)" alt="IA"></p>
      </article>
      <article class="card" itemscope itemtype="https://schema.org/NewsArticle">
        <time itemprop="datePublished" datetime="2026-11-25">25 novembre 2026</time>
        <h3 class="card__title" itemprop="headline">
          <a href="actualites/detail/article/ent.html#xtor=RSS-3">Les
          ENT &amp; la vie scolaire</a></h3>
        <p class="card__text" itemprop="description">Webinaire le 3 décembre.</p>
      </article>
      <article class="card" itemscope itemtype="https://schema.org/NewsArticle">
        <span itemprop="datePublished">mardi 1er décembre 2026</span>
        <h3 class="card__title"><a href="https://www.reseau-canope.fr/notice/quiz.html?fbclid=abc">Quizinière
          <script>document.title = "pwned"</script>fête ses 5 ans</a></h3>
      </article>
      <div class="card card--ad"><h3></h3><a href="/promo">Publicité</a></div>
    </div>
  </main>
</body>
</html>
"""

# The same site after a redesign: no more <article> cards nor microdata.
REDESIGNED_PAGE = """\
<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8"><title>Actualités - Réseau Canopé</title></head>
<body><main><ul class="teasers">
  <li class="teaser"><a href="/a.html">Un titre</a><span class="date">28/11/2026</span></li>
</ul></main></body></html>
"""

CANOPE = PageSpec(
    item="article:has([itemprop=datePublished]), li:has([itemprop=datePublished])",
    title="[itemprop=headline], h2, h3",
    link="a[href]",
    date="[itemprop=datePublished]",
    summary="[itemprop=description], p",
)


# --- pure parts ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("h3 a", ("h3 a", None)),
        ("time@datetime", ("time", "datetime")),
        ("[itemprop=datePublished]@content", ("[itemprop=datePublished]", "content")),
        ("@href", (None, "href")),
        (" a.card@HREF ", ("a.card", "href")),
        ('a[href^="mailto:x@y.fr"]', ('a[href^="mailto:x@y.fr"]', None)),
        ("a[title='x@y']@href", ("a[title='x@y']", "href")),
    ],
)
def test_split_selector(text: str, expected: tuple[str | None, str | None]) -> None:
    assert split_selector(text) == expected


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("article.card", None),
        ("[itemprop=datePublished]@content", None),
        ("@data-date", None),
        ("li:has(> time)", None),
        ("div[", "sélecteur CSS invalide « div[ »"),
        ("a@", "sélecteur@attribut"),
        ("", "sélecteur vide"),
    ],
)
def test_selector_problem(text: str, problem: str | None) -> None:
    found = selector_problem(text)
    assert found == problem if problem is None else problem in (found or "")


@pytest.mark.parametrize(
    ("text", "fmt", "expected"),
    [
        ("29 novembre 2026", "%d %B %Y", datetime(2026, 11, 28, 23, 0, tzinfo=UTC)),
        ("29 Novembre 2026", "%d %B %Y", datetime(2026, 11, 28, 23, 0, tzinfo=UTC)),
        ("1er déc. 2026", "%d %b %Y", datetime(2026, 11, 30, 23, 0, tzinfo=UTC)),
        (
            "samedi 4 juillet 2026 à 14h30",
            "%A %d %B %Y à %Hh%M",
            datetime(2026, 7, 4, 12, 30, tzinfo=UTC),
        ),
        ("Publié le 3 février 2026", "Publié le %d %B %Y", datetime(2026, 2, 2, 23, 0, tzinfo=UTC)),
        ("29/11/2026", "%d/%m/%Y", datetime(2026, 11, 28, 23, 0, tzinfo=UTC)),
        ("November 29, 2026", "%B %d, %Y", datetime(2026, 11, 28, 23, 0, tzinfo=UTC)),
        ("2026-11-29T10:00:00+01:00", "iso", datetime(2026, 11, 29, 9, 0, tzinfo=UTC)),
        ("2026-11-29", "iso", datetime(2026, 11, 28, 23, 0, tzinfo=UTC)),
        ("2026-11-29T10:00:00Z", None, datetime(2026, 11, 29, 10, 0, tzinfo=UTC)),
        ("29 novembre 2026", None, datetime(2026, 11, 28, 23, 0, tzinfo=UTC)),
        ("hier", "%d %B %Y", None),
        ("", "iso", None),
        ("29 novembre 2026", "iso", None),
    ],
)
def test_read_date(text: str, fmt: str | None, expected: datetime | None) -> None:
    value = read_date(text, fmt)
    assert (value.astimezone(UTC) if value else None) == expected


@pytest.mark.parametrize(
    ("fmt", "problem"),
    [
        ("iso", None),
        ("%d %B %Y", None),
        ("%A %d %B %Y à %Hh%M", None),
        ("%d %Q %Y", "invalide"),
        ("29 novembre", "sans directive"),
    ],
)
def test_date_format_problem(fmt: str, problem: str | None) -> None:
    found = date_format_problem(fmt)
    assert found is None if problem is None else problem in (found or "")


def test_canope_page_is_read_safely() -> None:
    url = "https://www.reseau-canope.fr/actualites.html"
    feed = parse_page(url, CANOPE_PAGE.encode(), {"content-type": HTML}, NOW, CANOPE)
    assert (feed.kind, feed.title) == ("page", "Actualités - Réseau Canopé")
    assert [e.url for e in feed.entries] == [
        "https://www.reseau-canope.fr/actualites/detail/article/ia-en-classe.html?id=42",
        "https://www.reseau-canope.fr/actualites/detail/article/ent.html",
        "https://www.reseau-canope.fr/notice/quiz.html",
    ]
    assert [e.key for e in feed.entries] == [e.url for e in feed.entries]  # canonical link
    assert [e.title for e in feed.entries] == [
        "L’IA en classe : un nouveau parcours de formation",
        "Les ENT & la vie scolaire",
        "Quizinière fête ses 5 ans",
    ]
    assert [e.published for e in feed.entries] == [
        datetime(2026, 11, 28, 8, 30, tzinfo=UTC),
        datetime(2026, 11, 24, 23, 0, tzinfo=UTC),
        datetime(2026, 11, 30, 8, 0, tzinfo=UTC),  # 1 December: in the future, clamped to now
    ]
    first = feed.entries[0].summary_html
    assert "<strong>m@gistère</strong>" in first
    assert "alert" not in first and "onerror" not in first and "<script" not in first
    assert 'src="https://www.reseau-canope.fr/img/ia.png"' in first


def test_titles_are_the_text_a_browser_shows() -> None:
    # The page shows "… &lt;script&gt;" as text: decoded once, it is kept as such; the markup
    # of the title element and the control characters go.
    page = (
        "<title>Actus\x1b</title><ul><li class='n'><h3>Le <b>numérique</b> &amp; l'école\x7f "
        "&amp;lt;script&amp;gt;</h3><a href='/x'>lire</a><p>Corps\x0b\x1b</p></li></ul>"
    )
    spec = PageSpec(item="li.n", title="h3", summary="p")
    feed = parse_page("https://s.fr/", page.encode(), {}, NOW, spec)
    (entry,) = feed.entries
    assert entry.title == "Le numérique & l'école &lt;script&gt;"
    assert (entry.summary_html, feed.title) == ("<p>Corps</p>", "Actus")


def test_attributes_are_text_in_every_field() -> None:
    """A selected attribute is text: escaped in a title or a date, paragraphs in a summary
    (never markup, whatever it holds); without an attribute the element's HTML is read."""
    page = (
        "<ul><li class='n' data-t='La R&amp;amp;D au collège' "
        "data-s='Premier &lt;i&gt;§&lt;/i&gt;\n\nSecond'>"
        "<time datetime='2026-11-29T10:00:00+01:00'>hier</time><a href='/x'>lire</a>"
        "</li></ul>"
    )
    spec = PageSpec(item="li.n", title="@data-t", summary="@data-s", date="time")
    (entry,) = parse_page("https://s.fr/", page.encode(), {}, NOW, spec).entries
    assert entry.title == "La R&amp;D au collège"  # the text the page holds, decoded once
    assert entry.summary_html == "<p>Premier &lt;i&gt;§&lt;/i&gt;</p><p>Second</p>"
    assert entry.published == datetime(2026, 11, 29, 9, 0, tzinfo=UTC)


def test_structure_changed_is_an_error_not_an_empty_source() -> None:
    with pytest.raises(ParseError, match=NO_MATCH):
        parse_page("https://x.fr/", REDESIGNED_PAGE.encode(), {}, NOW, CANOPE)
    untitled = PageSpec(item="li.teaser", title="h3")
    with pytest.raises(ParseError, match=r"1 blocs « item » trouvés, sans titre"):
        parse_page("https://x.fr/", REDESIGNED_PAGE.encode(), {}, NOW, untitled)


def test_item_itself_can_be_the_link_and_dates_read_an_attribute() -> None:
    page = b'<ul><li><a class="n" href="/x?utm_medium=rss" data-d="2026-11-02">X</a></li></ul>'
    spec = PageSpec(item="a.n", title="@href", date="@data-d", date_format="%Y-%m-%d")
    (entry,) = parse_page("https://s.fr/news/", page, {}, NOW, spec).entries
    assert entry.url == "https://s.fr/x" and entry.title == "/x?utm_medium=rss"
    assert entry.published == datetime(2026, 11, 1, 23, 0, tzinfo=UTC)


# --- feeds.yaml ---------------------------------------------------------------------------------


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "feeds.yaml"
    path.write_text(dedent(text), encoding="utf-8")
    return path


def test_html_source_in_feeds_yaml(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """\
        feeds:
          - id: canope
            type: html
            url: https://www.reseau-canope.fr/actualites.html
            selectors:
              item: article
              title: h3
              date: "[itemprop=datePublished]@content"
            date_format: iso
        """,
    )
    (feed,) = load_config(path).feeds
    assert feed.page == PageSpec(
        item="article",
        title="h3",
        date="[itemprop=datePublished]@content",
        date_format="iso",
    )


# (lines of the source's own keys: 5 is the first line after its url)
@pytest.mark.parametrize(
    ("body", "line", "reason"),
    [
        ("    selectors: {item: 'div[', title: h3}\n", 5, "« item » : sélecteur CSS invalide"),
        ("    selectors:\n      item: a\n      titre: h3\n", 7, "sélecteur inconnu « titre »"),
        ("    selectors:\n      item: article\n", 6, "sélecteur « title » obligatoire"),
        ("    selectors:\n      item: a\n      title: h3\n      date: 'a@'\n", 8, "sél"),
        ("    selectors: {item: a, title: b}\n    date_format: '%d %Q'\n", 6, "%Q » inconnue"),
        ("    title: x\n", 2, "clé « selectors » obligatoire"),
        ("    selectors: [a, b]\n", 5, "dictionnaire"),
    ],
)
def test_html_source_errors_name_their_line(
    tmp_path: Path, body: str, line: int, reason: str
) -> None:
    path = _write(tmp_path, "feeds:\n  - id: c\n    type: html\n    url: https://c.fr/\n")
    path.write_text(path.read_text() + body, encoding="utf-8")
    errors = validate_config(path)
    assert [e.line for e in errors if reason in e.reason] == [line], errors


def test_keys_of_another_source_type_are_refused(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """\
        feeds:
          - id: a
            url: https://a.fr/feed
            selectors: {item: a, title: b}
            move_to: traité
        """,
    )
    reasons = [(e.line, e.reason) for e in validate_config(path)]
    assert reasons == [
        (4, "« selectors » ne sert qu'aux sources « type: html »"),
        (5, "« move_to » ne sert qu'aux sources « type: imap »"),
    ]


def test_shipped_feeds_yaml_covers_canope() -> None:
    config = load_config(ROOT / "feeds.yaml")
    canope = config.feed("canope")
    assert canope is not None and canope.type == "html" and canope.page is not None
    assert canope.url == "https://www.reseau-canope.fr/actualites.html"
    assert "datePublished" in (canope.page.date or "")
    text = (ROOT / "feeds.yaml").read_text(encoding="utf-8")
    assert "NON VÉRIFIÉ" in text and "veille check --fetch canope" in text
    # the shipped selectors read the Canopé-like page of these tests
    page = parse_page(canope.url, CANOPE_PAGE.encode(), {}, NOW, canope.page)
    assert len(page.entries) == 3


# --- through the real pipeline ------------------------------------------------------------------


def _update(store: Store, server: FeedServer, pool: ParserPool, spec: FeedSpec) -> UpdateResult:
    config = Config(path="feeds.yaml", feeds=(spec,))
    (result,) = run_updater(
        store, pool, lambda: NOW, allow=(server.host_port,), config=config
    ).values()
    return result


def test_html_source_through_the_pipeline(
    store: Store, feed_server: FeedServer, pool: ParserPool
) -> None:
    feed_server.set("/actualites.html", CANOPE_PAGE.encode(), content_type=HTML)
    spec = FeedSpec("canope", feed_server.url("/actualites.html"), type="html", page=CANOPE)
    result = _update(store, feed_server, pool, spec)
    assert (result.status, result.new, result.error) == ("ok", 3, None)
    (state,) = store.feed_states()
    assert (state.status, state.entries, state.title) == ("ok", 3, "Actualités - Réseau Canopé")
    base = feed_server.url("")
    stored = {
        e.url: e for e in store.list_entries(Selection(since=NOW - timedelta(days=30))).entries
    }
    assert set(stored) == {
        f"{base}/actualites/detail/article/ia-en-classe.html?id=42",
        f"{base}/actualites/detail/article/ent.html",
        "https://www.reseau-canope.fr/notice/quiz.html",
    }
    assert all(
        "<script" not in e.summary and "alert" not in e.content_html for e in stored.values()
    )

    # unchanged page: a 304, nothing rewritten; then the site is redesigned
    assert _update(store, feed_server, pool, spec).status == "not_modified"
    feed_server.set("/actualites.html", REDESIGNED_PAGE.encode(), content_type=HTML)
    result = _update(store, feed_server, pool, spec)
    assert result.status == "error" and result.error is not None
    assert result.error.startswith(NO_MATCH)
    (state,) = store.feed_states()
    assert state.status == "error" and (state.last_error or "").startswith(NO_MATCH)
    assert state.entries == 3  # what was read before stays


# --- veille check ---------------------------------------------------------------------------------


def test_check_fetch_prints_what_the_selectors_extract(
    tmp_path: Path, feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    feed_server.set("/actualites.html", CANOPE_PAGE.encode(), content_type=HTML)
    feed_server.set("/old.html", REDESIGNED_PAGE.encode(), content_type=HTML)
    path = _write(
        tmp_path,
        f"""\
        feeds:
          - id: canope
            type: html
            url: {feed_server.url("/actualites.html")}
            selectors:
              item: "article:has([itemprop=datePublished])"
              title: h3
              date: "[itemprop=datePublished]"
              summary: p
          - id: ancien
            type: html
            url: {feed_server.url("/old.html")}
            selectors: {{item: article, title: h3}}
        """,
    )
    monkeypatch.setenv("VEILLE_CONFIG", str(path))
    monkeypatch.setenv("VEILLE_ALLOW_HOSTS", feed_server.host_port)
    monkeypatch.setenv("COLUMNS", "200")
    runner = CliRunner()
    result = runner.invoke(app, ["check", "--fetch", "canope"])
    assert result.exit_code == 0, result.output
    assert (
        "Page lue par ses sélecteurs « Actualités - Réseau Canopé » — 3 articles" in result.output
    )
    # 08:30 UTC, shown in Europe/Paris
    assert (
        "  - 28/11/2026 09:30  L’IA en classe : un nouveau parcours de formation" in result.output
    )
    assert "Un parcours m@gistère" in result.output

    result = runner.invoke(app, ["check", "--fetch", "ancien"])
    assert result.exit_code == 1
    assert NO_MATCH in result.output


def test_check_reports_bad_selectors_with_file_and_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(
        tmp_path,
        """\
        feeds:
          - id: canope
            type: html
            url: https://www.reseau-canope.fr/actualites.html
            selectors:
              item: "article:has("
              title: h3
        """,
    )
    monkeypatch.setenv("VEILLE_CONFIG", str(path))
    result = CliRunner().invoke(app, ["check"])
    assert result.exit_code == 2
    assert f"{path}:6: sélecteur « item » : sélecteur CSS invalide" in result.output
