"""French wording: numbers, plurals, dates — the helpers, then what pages, e-mails and the CLI
actually print with them."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from tests.conftest import veille_env
from veille.models import ParsedEntry, Validators
from veille.render import french
from veille.text import number, plural

from .browser import NOW, build_app

PARIS = ZoneInfo("Europe/Paris")
NNBSP = "\u202f"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((0,), "0"),
        ((999,), "999"),
        ((1234,), f"1{NNBSP}234"),
        ((-1500,), f"-1{NNBSP}500"),
        ((1234567,), f"1{NNBSP}234{NNBSP}567"),
        ((1.1, 1), "1,1"),
        ((0.04, 1), "0,0"),
        ((1234.5, 2), f"1{NNBSP}234,50"),
        ((1.5,), "1,5"),
    ],
)
def test_number(args: tuple[float, ...], expected: str) -> None:
    assert number(*args) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((0, "article"), "0 article"),
        ((1, "article"), "1 article"),
        ((1.5, "jour"), "1,5 jour"),
        ((2, "article"), "2 articles"),
        ((2, "mois"), "2 mois"),  # already ends in s
        ((3, "prix"), "3 prix"),
        ((2, "autre article", "autres articles"), "2 autres articles"),
        ((1, "autre article", "autres articles"), "1 autre article"),
        ((4, "journal", "journaux"), "4 journaux"),
        ((1234, "source"), f"1{NNBSP}234 sources"),
    ],
)
def test_plural(args: tuple[object, ...], expected: str) -> None:
    assert plural(*args) == expected  # type: ignore[arg-type]


def test_the_pages_use_the_same_plural() -> None:
    assert french.plural is plural and french.number is number


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        (lambda: french.french_datetime(datetime(2026, 12, 1, 7, 30, tzinfo=UTC), PARIS),
         "1er déc. 2026 à 08:30"),
        (lambda: french.french_date(datetime(2026, 11, 30, 23, 30, tzinfo=UTC), PARIS),
         "1er déc. 2026"),
        (lambda: french.french_date(datetime(2026, 12, 2, 9, 0, tzinfo=UTC), PARIS),
         "2 déc. 2026"),
        (lambda: french.period_label(datetime(2026, 12, 1, 9, tzinfo=UTC),
                                     datetime(2026, 12, 7, 9, tzinfo=UTC), PARIS),
         "du 1er au 7 déc. 2026"),
        (lambda: french.period_label(datetime(2026, 11, 1, 9, tzinfo=UTC),
                                     datetime(2026, 12, 1, 9, tzinfo=UTC), PARIS),
         "du 1er nov. au 1er déc. 2026"),
    ],
)  # fmt: skip
def test_first_of_the_month_is_1er(call: object, expected: str) -> None:
    assert call() == expected  # type: ignore[operator]


@pytest.mark.parametrize(
    ("when", "day"),
    [
        (datetime(2026, 11, 28, 23, 0, tzinfo=UTC), "2026-11-29"),  # Paris midnight (winter)
        (datetime(2026, 6, 30, 22, 0, tzinfo=UTC), "2026-07-01"),  # Paris midnight (summer)
        (datetime(2026, 11, 29, 0, 0, tzinfo=UTC), "2026-11-29"),  # "00:00:00 GMT"
        (datetime(2026, 11, 28, 23, 0, 1, tzinfo=UTC), None),  # a second past: a real time
        (datetime(2026, 11, 29, 7, 30, tzinfo=UTC), None),
    ],
)
def test_date_only(when: datetime, day: str | None) -> None:
    found = french.date_only(when, PARIS)
    assert (found.isoformat() if found else None) == day


# --- what crosses the wire --------------------------------------------------------------------


@pytest.fixture
def client(tmp_path: Path):  # type: ignore[no-untyped-def]
    app, store = build_app(tmp_path)
    with TestClient(app) as c:
        yield c, store
    store.close()


def test_an_entry_with_a_day_only_shows_the_day(client) -> None:  # type: ignore[no-untyped-def]
    c, store = client
    midnight = datetime(2026, 11, 29, tzinfo=PARIS).astimezone(UTC)  # 8 h before NOW
    store.save_entries(
        "cafe",
        [ParsedEntry(key="d", guid="d", url="https://cafe.example/d", title="Daté du jour",
                     published=midnight)],
        now=NOW,
    )  # fmt: skip
    store.record_success("cafe", now=NOW, next_fetch_at=NOW, validators=Validators())
    body = c.get("/").text
    block = body[body.index("Daté du jour") :]
    when = re.search(r"<time [^>]*>.*?</time>", block, re.S)
    assert when is not None
    assert '<time datetime="2026-11-29">' in when.group(0)
    assert "29 nov. 2026" in when.group(0)
    assert "il y a" not in when.group(0) and "00:00" not in when.group(0)
    # a dated entry keeps its relative time and its hour
    assert re.search(r'class="relative">il y a 1 h</span> <span class="absolute">29 nov\. 2026 '
                     r"à 08:00", body)  # fmt: skip


def test_empty_filtered_digest_says_effacez(client) -> None:  # type: ignore[no-untyped-def]
    c, _ = client
    body = c.get("/?q=introuvablexyz").text
    assert "Effacez les filtres</a> ou choisissez" in body
    assert "Effacer les filtres</a> ou" not in body


def test_sources_page_counts_in_french(client) -> None:  # type: ignore[no-untyped-def]
    c, _ = client
    text = " ".join(c.get("/feeds").text.split())
    assert "4 sources suivies." in text
    assert "1 source à surveiller (signalée ci-dessous)" in text or "2 sources à surveiller" in text


def test_relative_days() -> None:
    assert french.relative_time(NOW - timedelta(days=1, hours=1), NOW) == "il y a 1 jour"
    assert french.relative_time(NOW - timedelta(days=2), NOW) == "il y a 2 jours"


def test_the_letter_says_autres_articles() -> None:
    from email import message_from_bytes, policy

    from veille.models import DigestSpec, EntryView, TagRule
    from veille.render.email import Envelope, compose_issue, render_message

    entries = [
        EntryView(id=str(i), feed="cafe", feed_title="Le Café", title=f"Article {i}",
                  url=f"https://cafe.example/{i}", published=NOW - timedelta(hours=i),
                  summary="", content_html="", tags=("ia",))
        for i in range(1, 4)
    ]  # fmt: skip
    content = compose_issue(
        entries,
        digest=DigestSpec("hebdo", "La semaine"),
        number=1,
        period=(NOW - timedelta(days=7), NOW),
        taxonomy=(TagRule("ia", "Intelligence artificielle"),),
        tz=PARIS,
        base_url="https://veille.example",
        per_section=1,
    )
    envelope = Envelope(
        "veille@example.org",
        "ana@example.org",
        "<1@example.org>",
        NOW,
        "hebdo.example.org",
        "https://veille.example/u",
        "mailto:u@example.org",
    )
    raw = render_message(content, envelope).as_bytes()
    message = message_from_bytes(raw, policy=policy.default)
    text, html_part = (p.get_content() for p in message.iter_parts())  # type: ignore[attr-defined]
    for body in (text, html_part):
        assert "2 autres articles sur le site" in body
        assert "autre articles" not in body


# --- the CLI -----------------------------------------------------------------------------------

OPML_ONE = """<?xml version="1.0"?>
<opml version="2.0"><head><title>Export</title></head><body>
<outline text="Ludomag" type="rss" xmlUrl="https://www.ludomag.com/feed/"/>
</body></opml>
"""


def test_opml_dry_run_says_serait_ajoutee(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from veille.cli.app import app

    config = tmp_path / "feeds.yaml"
    config.write_text("feeds:\n  - id: cafe\n    url: https://cafe.example/feed\n", "utf-8")
    (tmp_path / "export.opml").write_text(OPML_ONE, "utf-8")
    monkeypatch.setenv("VEILLE_CONFIG", str(config))
    monkeypatch.setenv("COLUMNS", "200")
    before = config.read_bytes()
    dry = CliRunner().invoke(app, ["opml", "import", str(tmp_path / "export.opml"), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "1 source serait ajoutée, 0 ignorée" in dry.output
    assert "serait ajoutée : ludomag" in dry.output and config.read_bytes() == before
    real = CliRunner().invoke(app, ["opml", "import", str(tmp_path / "export.opml")])
    assert "1 source ajoutée, 0 ignorée" in real.output and "ajoutée : ludomag" in real.output


def test_update_durations_have_a_decimal_comma(capsys: pytest.CaptureFixture[str]) -> None:
    from veille.cli.app import _print_results
    from veille.models import UpdateResult

    _print_results([UpdateResult("cafe", "ok", new=1, duration_ms=1100)])
    printed = capsys.readouterr().out
    assert "1,1 s" in printed and "1.1 s" not in printed
    assert "1 source, 1 nouvel article, 0 en erreur." in printed


# --- the CLI's own texts (Typer's help and usage errors), as a user runs it -----------------------

ENGLISH = (
    "Show this message", "No such command", "Usage:", "<bool>", "<str>", "<int>", "<path>",
    "<list", "Error", "Missing argument", "Try '", "Commands", "[default:", "[required]",
    "No such option", "Invalid value", "Traceback",
)  # fmt: skip


CLI_CASES = [
        (["--help"], 0, ["Utilisation : veille [OPTIONS] COMMANDE", "Affiche cette aide et quitte.",
                         "Commandes", "Options"]),
        (["update", "--help"], 0, ["Utilisation : veille update [OPTIONS] [SOURCE]...",
                                   "Toutes les sources, même pas dues."]),
        (["digest", "--help"], 0, ["--format", "TEXTE", "--out", "FICHIER", "[par défaut : html]",
                                   "[obligatoire]"]),
        (["nosuch"], 2, ["Erreur : commande inconnue : « nosuch »", "Aide : veille --help"]),
        (["digest"], 2, ["Erreur : argument obligatoire manquant : NOM"]),
        (["serve", "--port", "abc"], 2, ["Erreur : valeur invalide pour --port : nombre entier"]),
        (["update", "--bogus"], 2, ["Erreur : option inconnue : --bogus"]),
        (["tags", "test", "--days"], 2, ["Erreur : l'option --days attend une valeur"]),
        (["opml", "import", "a", "b"], 2, ["Erreur : argument en trop : b"]),
    ]  # fmt: skip


@pytest.fixture(scope="module")
def cli_runs(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[int, str]]:
    """Every case of ``CLI_CASES`` (each in its own folder), as many at once as there are
    cores: a ``veille`` process spends most of its ~1 s starting. (exit code, output) each."""

    def run(case: tuple[list[str], int, list[str]]) -> tuple[int, str]:
        folder = tmp_path_factory.mktemp("cli")
        done = subprocess.run(
            [sys.executable, "-m", "veille", *case[0]],
            cwd=folder,
            env=veille_env(COLUMNS="120", LANG="C.UTF-8", VEILLE_CONFIG=str(folder / "feeds.yaml")),
            capture_output=True,
            text=True,
            timeout=60,
        )
        return done.returncode, done.stdout + done.stderr

    with ThreadPoolExecutor(os.cpu_count() or 2) as pool:
        return list(pool.map(run, CLI_CASES))


@pytest.mark.parametrize("case", range(len(CLI_CASES)), ids=lambda i: " ".join(CLI_CASES[i][0]))
def test_cli_own_texts_are_french(cli_runs: list[tuple[int, str]], case: int) -> None:
    _, code, expected = CLI_CASES[case]
    returncode, shown = cli_runs[case]
    assert returncode == code, shown
    flat = " ".join(shown.split())
    for text in expected:
        assert text in flat, (text, shown)
    for english in ENGLISH:
        assert english not in shown, (english, shown)
