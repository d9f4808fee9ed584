"""OPML: import of real exports into feeds.yaml (comments kept, dedupe, validation), repair of
malformed files, refusal with the line, rendering, export → import round trip."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path

import feedparser
import pytest

from tests.corpus_files import corpus_root
from veille.config import yamledit
from veille.config.load import load_config, validate_config
from veille.config.opml import import_opml, url_key
from veille.config.opml_read import read_opml, read_opml_document, slugify
from veille.errors import ConfigError
from veille.models import FeedSpec
from veille.render.opml import export_opml, render_opml

OPML = corpus_root() / "opml"
W3C = OPML / "w3c-feedvalidator"
NOW = datetime(2026, 11, 29, 7, 30, tzinfo=UTC)

SMALL = """\
# Mes sources (commentaire d'en-tête)
feeds:
  # Le Café, toujours en premier
  - id: cafe-pedagogique
    url: https://www.cafepedagogique.net/feed/
    title: Le Café pédagogique     # commentaire en fin de ligne
    tags: [actualite]

  - id: css-tricks-deja-la
    url: http://CSS-Tricks.com/feed     # même flux que https://css-tricks.com/feed/
    tags: [web]

  # - id: ancienne-source          (désactivée, gardée pour mémoire)
  #   url: https://example.org/rss

# --- Thèmes --------------------------------------------------------------------
tags:
  evaluation:
    label: Évaluation
    match: ["QCM", "Plickers",
            "Kahoot"]     # une liste sur deux lignes : sa mise en page doit rester

digests:
  hebdo:
    title: La semaine
    window: 7d
"""

# (file, feeds added into SMALL, skipped, tags seen, repaired)
CORPUS = [
    ("oh-my-rss_inoreader.opml", 16, 1, {"cs", "info"}, False),
    ("oh-my-rss_feedly_2018.opml", 2, 0, {"twitter"}, False),
    # One feed twice (http://feed.katiefloyd.com and …com/): added once.
    ("netnewswire_Subs.opml", 206, 1, {"programming", "macintosh", "weblogs", "writers"}, False),
    ("netnewswire_SubsNoTitleAttributes.opml", 206, 1, {"programming", "macintosh"}, False),
    ("plenary_France_with_category.opml", 11, 0, {"france"}, True),
    ("plenary_France_without_category.opml", 11, 0, set(), True),
]


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "feeds.yaml"
    path.write_text(SMALL, encoding="utf-8")
    return path


def _require(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"corpus file missing: {path}")
    return path


@pytest.mark.parametrize(("name", "added", "skipped", "tags", "repaired"), CORPUS)
def test_import_real_exports(
    config: Path, name: str, added: int, skipped: int, tags: set[str], repaired: bool
) -> None:
    source = _require(OPML / name)
    report = import_opml(config, source)
    print(f"\n{name}: {len(report.added)} added, {len(report.skipped)} skipped")
    assert (len(report.added), len(report.skipped)) == (added, skipped)
    assert bool(report.repairs) is repaired
    assert validate_config(config) == []
    text = config.read_text(encoding="utf-8")
    # Everything the user wrote is still there, byte for byte: the new sources are one block
    # inserted after the last line of the list (here a commented-out source).
    cut = SMALL.index("\n\n# --- Thèmes") + 1
    assert text.startswith(SMALL[:cut]) and text.endswith(SMALL[cut:])
    block = text[cut : len(text) - len(SMALL[cut:])]
    assert block.startswith(f"\n  # Importées de {name} (veille opml import)\n  - id: ")
    loaded = load_config(config)
    new = loaded.feeds[2:]
    assert [f.id for f in new] == [f.id for f in report.added]
    assert {t for f in new for t in f.tags} >= tags
    lines = report.lines_fr()
    assert sum(line.startswith("ajoutée : ") for line in lines) == added
    assert sum(line.startswith("ignorée (") for line in lines) == skipped

    again = import_opml(config, source)
    assert again.added == ()
    assert len(again.skipped) == added + skipped
    assert all("déjà présente" in s.reason for s in again.skipped)


def test_inoreader_first(config: Path) -> None:
    source = _require(OPML / "oh-my-rss_inoreader.opml")
    report = import_opml(config, source)
    # css-tricks.com is already there as http://CSS-Tricks.com/feed: same feed.
    assert [(s.title, s.reason) for s in report.skipped] == [
        ("CSS-Tricks", "déjà présente sous « css-tricks-deja-la »")
    ]
    by_url = {f.url: f for f in load_config(config).feeds}
    ft = by_url[
        "http://ftr.fivefilters.org/makefulltextfeed.php?url=http%3A%2F%2Fwww.ftchinese.com"
        "%2Frss%2Ffeed&max=3"
    ]
    assert (ft.id, ft.title, ft.tags) == ("ft-financial-times", ft.title, ("info",))
    # Titles without Latin letters: ids from the host, made unique.
    ids = [f.id for f in report.added]
    assert "feedmaker-kindle4rss-com" in ids and "feedmaker-kindle4rss-com-2" in ids
    assert "rsshub-app" in ids and "rsshub-app-2" in ids
    assert len(set(ids)) == len(ids)
    # The commented-out Twitter folder of that export is not imported.
    assert not any("twitrss" in f.url for f in report.added)
    assert report.lines_fr()[-1] == "16 sources ajoutées, 1 ignorée"


def test_netnewswire_both_exports_are_the_same_feeds(config: Path) -> None:
    import_opml(config, _require(OPML / "netnewswire_Subs.opml"))
    report = import_opml(config, _require(OPML / "netnewswire_SubsNoTitleAttributes.opml"))
    assert report.added == () and len(report.skipped) == 207


def test_raw_ampersand_is_repaired(config: Path) -> None:
    report = import_opml(config, _require(OPML / "plenary_France_with_category.opml"))
    assert report.repairs == ("ligne 17 : « & » non échappé remplacé par « &amp; »",)
    urls = {f.url for f in load_config(config).feeds}
    assert "https://www.diplomatie.gouv.fr/spip.php?page=backend-fd&lang=en" in urls
    assert report.lines_fr()[0].startswith("OPML réparé, ligne 17")
    # The w3c test case "Unescaped ampersand" is repaired too (text and title).
    doc = read_opml_document(_require(W3C / "errors" / "notwellformed.opml").read_bytes())
    assert doc.title == "This & That"
    assert [(f.title, f.tags) for f in doc.feeds] == [("Nick Bradbury & Co", ("folder",))]


def test_html_entities_are_repaired() -> None:
    data = b'<opml version="2.0"><body>\n<outline text="Caf&eacute;" xmlUrl="https://a.fr/"/>'
    doc = read_opml_document(data + b"</body></opml>")
    assert doc.feeds[0].title == "Café"
    assert doc.repairs == ("ligne 2 : entité HTML « &eacute; » remplacée par « é »",)


UNCLOSED = b"""<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
  <head><title>Abonnements</title></head>
  <body>
    <outline text="Dossier">
      <outline type="rss" text="A &amp; B" xmlUrl="https://a.fr/feed"/>
  </body>
</opml>
"""


@pytest.mark.parametrize(
    ("data", "line", "reason"),
    [
        (UNCLOSED, 7, "<outline> ouverte ligne 5 n'est pas fermée"),
        (b'<opml version="2.0">\n<body>\n<outline xmlUrl="https://a.fr/"/>\n', 4, "<body>"),
        (
            b'<?xml version="1.0"?>\n<!DOCTYPE opml [\n<!ENTITY a "aaaaaaaa">\n]>\n<opml/>',
            3,
            "déclaration d'entité (DTD) refusée",
        ),
        (b'<?xml version="1.0"?>\n<rss version="2.0"/>', 2, "élément racine <rss>"),
        (b'<opml><body>\n<outline text="a < b" xmlUrl="https://a.fr/"/>', 2, "« < »"),
        (b"", 1, "fichier vide"),
    ],
)
def test_broken_opml_is_refused_with_line(data: bytes, line: int, reason: str) -> None:
    with pytest.raises(ConfigError) as info:
        read_opml(data, "abonnements.opml")
    assert info.value.path == "abonnements.opml"
    assert info.value.line == line
    assert reason in info.value.reason


@pytest.mark.parametrize(
    ("name", "line", "reason"),
    [
        ("notEncoded.opml", 12, "entité « &atsign; » inconnue"),
        ("invalidCharacters.opml", 10, "octets invalides pour l'encodage déclaré (UTF-8)"),
        ("missingOpml.opml", 8, "pas un document OPML"),
    ],
)
def test_invalid_w3c_cases_are_refused(name: str, line: int, reason: str) -> None:
    with pytest.raises(ConfigError) as info:
        read_opml(_require(W3C / "errors" / name).read_bytes(), name)
    assert (info.value.line, info.value.path) == (line, name)
    assert reason in info.value.reason


def test_refused_import_leaves_feeds_yaml_untouched(config: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.opml"
    broken.write_bytes(UNCLOSED)
    with pytest.raises(ConfigError) as info:
        import_opml(config, broken)
    assert info.value.line == 7
    assert config.read_text(encoding="utf-8") == SMALL


def test_invalid_result_is_not_written(
    config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def invalid(path: Path) -> list[ConfigError]:
        return [ConfigError(str(path), 3, "erreur simulée")]

    monkeypatch.setattr(yamledit, "validate_config", invalid)  # the writer shared with tags suggest
    with pytest.raises(
        ConfigError, match=re.escape("erreur simulée (après import ; feeds.yaml n'a pas")
    ):
        import_opml(config, _require(OPML / "oh-my-rss_feedly_2018.opml"))
    assert config.read_text(encoding="utf-8") == SMALL
    assert sorted(p.name for p in tmp_path.iterdir()) == ["feeds.yaml"]  # no temp file left


def test_invalid_feeds_yaml_is_refused_before_import(config: Path) -> None:
    config.write_text("feeds:\n  - id: Pas Un Slug\n    url: https://a.fr/\n", encoding="utf-8")
    with pytest.raises(ConfigError):
        import_opml(config, _require(OPML / "oh-my-rss_feedly_2018.opml"))
    assert "Pas Un Slug" in config.read_text(encoding="utf-8")


def test_dry_run_writes_nothing(config: Path) -> None:
    report = import_opml(config, _require(OPML / "oh-my-rss_feedly_2018.opml"), dry_run=True)
    assert len(report.added) == 2
    assert config.read_text(encoding="utf-8") == SMALL


@pytest.mark.parametrize("empty", ["feeds:\n", "feeds: []\n", "feeds: []  # vide\n"])
def test_import_into_an_empty_list(tmp_path: Path, empty: str) -> None:
    path = tmp_path / "feeds.yaml"
    path.write_text(f"# sources\n{empty}\ntags: {{}}\n", encoding="utf-8")
    report = import_opml(path, _require(OPML / "oh-my-rss_feedly_2018.opml"))
    assert len(report.added) == 2
    assert [f.tags for f in load_config(path).feeds] == [("twitter",), ("twitter",)]
    assert path.read_text(encoding="utf-8").startswith("# sources\nfeeds:")


def test_same_feed_in_two_folders_is_added_once_with_both_tags(
    config: Path, tmp_path: Path
) -> None:
    source = tmp_path / "two.opml"
    source.write_text(
        """<opml version="2.0"><body>
  <outline text="Éducation &amp; Numérique">
    <outline text="Ludomag" type="rss" xmlUrl="https://www.ludomag.com/feed/"/>
    <outline text="Vide" type="rss" xmlUrl="javascript:alert(1)"/>
  </outline>
  <outline text="Veille"><outline text="Sous-dossier">
    <outline text="Ludomag" type="rss" xmlUrl="http://WWW.ludomag.com/feed"/>
  </outline></outline>
  <outline text="资讯"><outline text="Sans titre" xmlUrl="feed://example.org/rss"/></outline>
</body></opml>""",
        encoding="utf-8",
    )
    report = import_opml(config, source)
    assert [(f.id, f.url, f.tags) for f in report.added] == [
        (
            "ludomag",
            "https://www.ludomag.com/feed/",
            ("education-numerique", "veille", "sous-dossier"),
        ),
        ("sans-titre", "http://example.org/rss", ()),
    ]
    assert [(s.url, s.reason) for s in report.skipped] == [
        ("javascript:alert(1)", "URL invalide (http:// ou https:// attendu)"),
        ("http://WWW.ludomag.com/feed", "en double dans le fichier, fusionnée avec « ludomag »"),
    ]
    assert any("« 资讯 »" in note for note in report.notes)
    assert validate_config(config) == []


def test_slugify_and_url_key() -> None:
    assert slugify("Éducation & Numérique") == "education-numerique"
    assert slugify("L’IA à l’école !") == "l-ia-a-l-ecole"
    assert slugify("喷嚏图卦") == ""
    assert len(slugify("mot " * 30)) <= 40 and not slugify("mot " * 30).endswith("-")
    same = ["https://a.fr/rss", "http://A.FR/rss/", "https://a.fr:443/rss", "http://a.fr:80/rss#x"]
    assert len({url_key(u) for u in same}) == 1
    assert url_key("https://a.fr/rss?x=1") != url_key("https://a.fr/rss?x=2")
    assert url_key("https://www.a.fr/rss") != url_key("https://a.fr/rss")


FEEDS = (
    FeedSpec("cafe", "https://www.cafepedagogique.net/feed/?a=1&b=2", "Le Café & co", ("actu",)),
    FeedSpec("ia", "https://ia.example/rss", None, ("ia", "actu")),
    FeedSpec("seule", "https://seule.example/atom", "Sans thème\x07"),
    FeedSpec("eduscol", "https://eduscol.education.fr/rss", "Éduscol", ("institutionnel",)),
    FeedSpec("boite", "imaps://mail.example/INBOX", "Lettres", type="imap"),
)


def test_render_opml() -> None:
    data = render_opml(
        FEEDS,
        "Sources <veille>",
        NOW,
        site_titles={"ia": "Le blog IA"},
        site_urls={"cafe": "https://www.cafepedagogique.net/?x=1&y=2"},
    )
    assert data.startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    assert b"?a=1&amp;b=2" in data and b"&y=" not in data
    root = ET.fromstring(data)  # strict parser
    assert root.get("version") == "2.0"
    assert root.findtext("head/title") == "Sources <veille>"
    assert parsedate_to_datetime(root.findtext("head/dateCreated") or "") == NOW
    body = root.find("body")
    assert body is not None
    folders = [(o.get("text"), [c.get("text") for c in o]) for o in body if not o.get("xmlUrl")]
    # Each source once, under its first tag; its tags in full in « category ».
    assert folders == [
        ("actu", ["Le Café & co"]),
        ("ia", ["Le blog IA"]),
        ("institutionnel", ["Éduscol"]),
    ]
    top = [o for o in body if o.get("xmlUrl")]
    assert [(o.get("text"), o.get("type")) for o in top] == [("Sans thème", "rss")]
    cafe = body.find("outline/outline[@text='Le Café & co']")
    assert cafe is not None
    assert cafe.get("htmlUrl") == "https://www.cafepedagogique.net/?x=1&y=2"
    blog = body.find("outline/outline[@text='Le blog IA']")
    assert blog is not None and blog.get("category") == "/ia,/actu"
    assert b"imaps://" not in data
    parsed = feedparser.parse(data)  # the OPML is also what feed readers expect to read
    assert not parsed.bozo


def test_export_import_round_trip(tmp_path: Path) -> None:
    source = tmp_path / "source.yaml"
    source.write_text(SMALL, encoding="utf-8")
    import_opml(source, _require(OPML / "oh-my-rss_inoreader.opml"))
    import_opml(source, _require(OPML / "plenary_France_with_category.opml"))
    config = load_config(source)
    exported = tmp_path / "export.opml"
    exported.write_bytes(export_opml(config, NOW))

    target = tmp_path / "feeds.yaml"
    target.write_text("feeds: []\n", encoding="utf-8")
    report = import_opml(target, exported)
    assert report.skipped == () and report.repairs == ()
    assert {(f.url, f.tags) for f in load_config(target).feeds} == {
        (f.url, f.tags) for f in config.feeds
    }
    again = tmp_path / "again.opml"
    again.write_bytes(export_opml(load_config(target), NOW))
    assert {(f.xml_url, f.tags) for f in read_opml(again.read_bytes())} == {
        (f.url, f.tags) for f in config.feeds
    }
