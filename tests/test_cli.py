"""The command line in-process (Typer's runner) on real files: exit codes and French output."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.browser import THEMES_AND_DAILY
from tests.servers import FeedServer
from veille.cli.app import app
from veille.models import FeedSpec, ParsedEntry
from veille.store import Store

FEEDS_YAML = (
    """\
feeds:
  - id: cafe
    url: https://cafe.example/feed
    title: Le Café
tags:
"""
    + THEMES_AND_DAILY
)


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "feeds.yaml").write_text(FEEDS_YAML, encoding="utf-8")
    monkeypatch.setenv("VEILLE_CONFIG", str(tmp_path / "feeds.yaml"))
    monkeypatch.setenv("VEILLE_DATABASE_URL", f"sqlite:///{tmp_path / 'v.db'}")
    monkeypatch.setenv("COLUMNS", "200")
    return tmp_path


def seed(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'v.db'}")
    store.migrate()
    store.sync_feeds([FeedSpec("cafe", "https://cafe.example/feed")])
    now = datetime.now(UTC)
    titles = ["L'IA au lycée", "Des tablettes en 6e", "La réforme du bac"]
    store.save_entries(
        "cafe",
        [
            ParsedEntry(key=t, guid=t, url=None, title=t, published=now - timedelta(hours=1))
            for t in titles
        ],
        now=now,
    )
    store.close()


runner = CliRunner()


def test_check_valid(env: Path) -> None:
    result = runner.invoke(app, ["check"])
    assert result.exit_code == 0, result.output
    assert "valide — 1 source, 2 thèmes, 1 sélection" in result.output


def test_check_lists_every_error_with_its_line(env: Path) -> None:
    (env / "feeds.yaml").write_text(
        "feeds:\n  - id: a\n    url: ftp://x\n  - id: a\n    url: https://b.example/\n"
        "    every: 3 ans\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["check"])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if "feeds.yaml:" in line]
    assert len(lines) >= 3
    assert any(":3:" in line for line in lines) and any(":6:" in line for line in lines)


def test_update_unknown_feed_is_usage_error(env: Path) -> None:
    result = runner.invoke(app, ["update", "inconnue"])
    assert result.exit_code == 2 and "inconnue" in result.output


def test_feeds_json_has_the_api_shape(env: Path) -> None:
    seed(env)
    result = runner.invoke(app, ["feeds", "--json"])
    assert result.exit_code == 0, result.output
    (feed,) = json.loads(result.output)["feeds"]
    assert feed["id"] == "cafe" and feed["entries"] == 3 and feed["status"] == "pending"


def test_tags_test_is_a_dry_run_then_retag_writes(env: Path) -> None:
    seed(env)
    result = runner.invoke(app, ["tags", "test"])
    assert result.exit_code == 0, result.output
    assert "3 articles des 30 derniers jours" in result.output
    assert "Sans thème : 1 article." in result.output
    assert "L'IA au lycée" in result.output
    store = Store(f"sqlite:///{env / 'v.db'}")
    assert store.tag_counts() == {}
    result = runner.invoke(app, ["retag"])
    assert result.exit_code == 0 and "3 articles relus, 2 avec des thèmes modifiés" in result.output
    assert store.tag_counts() == {"ia": 1, "tablettes": 1}
    store.close()


def test_opml_import_then_export(env: Path) -> None:
    from tests.corpus_files import corpus_root

    inoreader = corpus_root() / "opml" / "oh-my-rss_inoreader.opml"
    result = runner.invoke(app, ["opml", "import", str(inoreader)])
    assert result.exit_code == 0, result.output
    assert "17 sources ajoutées, 0 ignorée" in result.output
    assert runner.invoke(app, ["check"]).exit_code == 0
    text = (env / "feeds.yaml").read_text(encoding="utf-8")
    assert text.startswith(FEEDS_YAML.split("tags:")[0].rstrip())  # the user's lines are kept
    again = runner.invoke(app, ["opml", "import", str(inoreader)])
    assert "0 source ajoutée, 17 ignorées" in again.output
    result = runner.invoke(app, ["opml", "export", "--out", str(env / "out.opml")])
    assert result.exit_code == 0
    exported = (env / "out.opml").read_text(encoding="utf-8")
    assert exported.count("xmlUrl=") == 18 and 'version="2.0"' in exported


def test_opml_import_refuses_a_broken_file(env: Path) -> None:
    broken = env / "broken.opml"
    broken.write_text('<opml version="2.0"><body><outline text="a">\n<outline', encoding="utf-8")
    before = (env / "feeds.yaml").read_text(encoding="utf-8")
    result = runner.invoke(app, ["opml", "import", str(broken)])
    assert result.exit_code == 2 and "broken.opml:" in result.output
    assert (env / "feeds.yaml").read_text(encoding="utf-8") == before


@pytest.mark.parametrize("fmt", ["html", "text", "json", "rss", "atom", "jsonfeed"])
def test_digest_in_every_format(env: Path, fmt: str) -> None:
    import feedparser

    seed(env)
    out = env / f"digest.{fmt}"
    result = runner.invoke(app, ["digest", "quotidien", "--format", fmt, "--out", str(out)])
    assert result.exit_code == 0, result.output
    body = out.read_bytes()
    if fmt in ("rss", "atom"):
        parsed = feedparser.parse(body)
        assert not parsed.bozo and len(parsed.entries) == 3
    elif fmt in ("json", "jsonfeed"):
        data = json.loads(body)
        assert len(data.get("entries", data.get("items", []))) == 3
    else:
        text = body.decode("utf-8")
        assert "La veille du jour" in text and "Des tablettes en 6e" in text


def test_digest_refuses_unknown_names_and_formats(env: Path) -> None:
    assert runner.invoke(app, ["digest", "inconnue"]).exit_code == 2
    result = runner.invoke(app, ["digest", "quotidien", "--format", "pdf"])
    assert result.exit_code == 2 and "format inconnu" in result.output


# --- veille check --fetch -----------------------------------------------------------------------

BLOG_PAGE = """<!DOCTYPE html><html lang="fr"><head><title>Le blog de Léa</title>
<link rel="alternate" type="application/atom+xml" title="Articles" href="/blog/feed.atom">
<link rel="alternate" type="application/rss+xml" title="Commentaires" href="/blog/comments.rss">
</head><body><h1>Le blog de Léa</h1><p>Des articles sur le numérique éducatif.</p></body></html>
"""


def _blog_feed(count: int) -> bytes:
    entries = "".join(
        f"<entry><id>urn:lea:{i}</id><title>Billet {i} : l'IA en classe</title>"
        f'<link href="/blog/{i}.html"/><updated>2026-11-{28 - i:02d}T08:30:00Z</updated></entry>'
        for i in range(count)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>Le blog de Léa</title><id>urn:lea</id>{entries}</feed>"
    ).encode()


def test_check_fetch_follows_a_web_page_to_its_feed_like_update(
    env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with FeedServer() as server:
        server.set("/blog/", BLOG_PAGE.encode(), content_type="text/html; charset=utf-8")
        server.set("/blog/feed.atom", _blog_feed(12), content_type="application/atom+xml")
        (env / "feeds.yaml").write_text(
            FEEDS_YAML.replace("https://cafe.example/feed", server.url("/blog/")),
            encoding="utf-8",
        )
        monkeypatch.setenv("VEILLE_ALLOW_HOSTS", server.host_port)
        result = runner.invoke(app, ["check", "--fetch", "cafe"])
        base = server.url("")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert f"Page web {base}/blog/ : elle annonce 2 flux ; veille update lit le premier" in lines[1]
    assert lines[2].strip() == f"{base}/blog/feed.atom"
    assert f"(autre flux annoncé : {base}/blog/comments.rss)" in lines[3]
    heading = r"Flux Atom « Le blog de Léa » — 12 articles \(téléchargé en \d+,\d s\)"
    assert re.fullmatch(heading, lines[4])
    # Dates in Europe/Paris (08:30 UTC is 09:30 in November), themes by their label.
    assert lines[5] == (
        f"  - 28/11/2026 09:30  Billet 0 : l'IA en classe  <{base}/blog/0.html>"
        "  [Intelligence artificielle]"
    )
    assert "+00:00" not in result.output and "08:30" not in result.output
    assert lines[-1] == "  … et 2 autres articles"
