"""feeds.yaml: the shipped file loads; every invalid file is refused at the right line."""

from __future__ import annotations

import textwrap
from datetime import time, timedelta
from pathlib import Path

import pytest

from veille.config.durations import parse_duration, parse_mail_at
from veille.config.load import (
    load_config,
    validate_config,
)
from veille.config.yamldoc import read_document, round_trip_yaml
from veille.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]

MINIMAL = """\
feeds:
  - id: a
    url: https://example.org/feed
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "feeds.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


# --- the shipped file ----------------------------------------------------------------------------


def test_shipped_feeds_yaml_loads() -> None:
    config = load_config(ROOT / "feeds.yaml")
    ids = {f.id for f in config.feeds}
    assert {"cafe-pedagogique", "eduscol", "ludomag", "the-conversation-education"} <= ids
    assert config.feed("cafe-pedagogique").url == "https://www.cafepedagogique.net/feed/"  # type: ignore[union-attr]
    assert all(f.line for f in config.feeds)
    tags = {t.name: t for t in config.tags}
    assert {"evaluation", "ia", "ent", "pix", "accessibilite", "formation"} <= set(tags)
    assert "Kahoot" in tags["ludification"].match  # a game; an assessment only when said so
    assert "IA-IPR" in tags["ia"].ignore  # inspectors: « IA » there does not count
    assert "*.education.gouv.fr" in tags["ressources"].hosts
    digests = {d.name: d for d in config.digests}
    assert digests["quotidien"].window == timedelta(days=1)
    assert digests["hebdo"].window == timedelta(days=7)
    assert digests["hebdo"].mail is not None
    assert digests["hebdo"].mail.at == "mon 07:30"
    assert validate_config(ROOT / "feeds.yaml") == []


def test_minimal_file_and_defaults(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, MINIMAL))
    (feed,) = config.feeds
    assert (feed.id, feed.type, feed.every, feed.title, feed.tags, feed.line) == (
        "a",
        "feed",
        timedelta(minutes=30),
        None,
        (),
        2,
    )
    assert config.tags == () and config.digests == ()


def test_full_valid_file(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        feeds:
          - {id: a, url: "https://example.org/feed", tags: [actu], every: 2h30m}
          - id: b
            url: imaps://mail.example.org/INBOX
            type: imap
        tags:
          ia: {match: ["IA", "/\\\\bgpt ?\\\\d/"], exclude: ["IA-IPR"]}
          vide:
        digests:
          d:
            window: 12h
            tags: [ia, actu]
            exclude_tags: [vide]
            feeds: [a]
            query: "moodle"
            mail: {to: [x@example.org, y@example.org], at: "Wed  18:05"}
        """,
    )
    config = load_config(path)
    assert config.feeds[0].every == timedelta(hours=2, minutes=30)
    assert config.feeds[1].type == "imap"
    assert config.tags[0].match == ("IA", r"/\bgpt ?\d/")
    assert config.tags[1].label == "vide"
    (digest,) = config.digests
    assert digest.title == "d" and digest.window == timedelta(hours=12)
    assert digest.tags == ("ia", "actu") and digest.feeds == ("a",)
    assert digest.mail is not None and digest.mail.at == "wed 18:05"


# --- invalid files: (name, yaml, line, fragment of the reason) ----------------------------------

INVALID = [
    ("yaml syntax", "feeds:\n  - id: a\n    url: [x\n  - id: b\n", 4, "syntaxe YAML"),
    ("tab", "feeds:\n\t- id: a\n", 2, "tabulation"),
    ("duplicate key", "feeds:\n  - id: a\n    url: https://x.org/\n    id: b\n", 4, "en double"),
    ("empty file", "", 1, "vide"),
    ("top level list", "- a\n- b\n", 1, "dictionnaire"),
    ("missing feeds", "tags: {}\n", 1, "« feeds: » obligatoire"),
    ("feeds not a list", "feeds:\n  a: 1\n", 1, "liste"),
    ("unknown top key", MINIMAL + "digest: {}\n", 4, "« digest » au premier niveau (vouliez"),
    (
        "typo in feed",
        MINIMAL + "    titel: X\n",
        4,
        "clé inconnue « titel » dans une source (vouliez-vous dire « title » ?)",
    ),
    ("feed not a mapping", "feeds:\n  - https://x.org/\n", 2, "dictionnaire"),
    ("missing id", "feeds:\n  - url: https://x.org/\n", 2, "« id » obligatoire"),
    ("missing url", "feeds:\n  - title: x\n    id: a\n", 2, "« url » obligatoire"),
    ("id not a slug", "feeds:\n  - id: Café\n    url: https://x.org/\n", 2, "identifiant « Café »"),
    ("id with underscore", "feeds:\n  - url: https://x.org/\n    id: a_b\n", 3, "identifiant"),
    ("id a number", "feeds:\n  - id: 12\n    url: https://x.org/\n", 2, "doit être un texte"),
    ("duplicate id", MINIMAL + "  - id: a\n    url: https://y.org/\n", 4, "déjà utilisé ligne 2"),
    ("duplicate url", MINIMAL + "  - id: b\n    url: https://example.org/feed\n", 5, "« a »"),
    ("ftp url", "feeds:\n  - id: a\n    url: ftp://x.org/f\n", 3, "http:// ou https://"),
    ("url without host", "feeds:\n  - id: a\n    url: https:///feed\n", 3, "serveur"),
    ("url with spaces", "feeds:\n  - id: a\n    url: https://x.org/a b\n", 3, "espaces"),
    ("url bad port", "feeds:\n  - id: a\n    url: https://x.org:99999/\n", 3, "invalide"),
    (
        "imap needs imap url",
        "feeds:\n  - id: a\n    type: imap\n    url: https://x.org/\n",
        4,
        "imap://",
    ),
    ("bad type", MINIMAL + "    type: rss\n", 4, "type « rss » inconnu"),
    ("type typo", MINIMAL + "    type: fede\n", 4, "« feed »"),
    ("every no unit", MINIMAL + "    every: 30\n", 4, "unité"),
    ("every bad", MINIMAL + "    every: 30 min\n", 4, "durée invalide"),
    ("every upper", MINIMAL + "    every: 1H\n", 4, "durée invalide"),
    ("every too short", MINIMAL + "    every: 30s\n", 4, "hors limites"),
    ("every too long", MINIMAL + "    every: 8d\n", 4, "hors limites"),
    ("every zero", MINIMAL + "    every: 0m\n", 4, "hors limites"),
    ("feed tags not list", MINIMAL + "    tags: actu\n", 4, "liste"),
    ("feed tag not slug", MINIMAL + "    tags:\n      - ok\n      - Pas Ok\n", 6, "« Pas Ok »"),
    ("title not text", MINIMAL + "    title:\n", 4, "doit être un texte (valeur vide)"),
    ("tags not mapping", MINIMAL + "tags: [a]\n", 4, "dictionnaire"),
    ("tag name", MINIMAL + "tags:\n  Évaluation: {}\n", 5, "nom de thème"),
    ("tag unknown key", MINIMAL + "tags:\n  a:\n    matches: [x]\n", 6, "« match »"),
    ("match a string", MINIMAL + "tags:\n  a:\n    match: QCM\n", 6, "liste"),
    (
        "match item number",
        MINIMAL + "tags:\n  a:\n    match:\n      - QCM\n      - 12\n",
        8,
        "texte non vide",
    ),
    (
        "bad regex",
        MINIMAL + "tags:\n  a:\n    match:\n      - x\n      - /(ab/\n",
        8,
        "expression régulière « /(ab/ » invalide",
    ),
    ("regex matches empty", MINIMAL + "tags:\n  a:\n    exclude: [/x*/]\n", 6, "texte vide"),
    ("star inside", MINIMAL + 'tags:\n  a:\n    match: ["tab*lette"]\n', 6, "fin de terme"),
    ("no letters", MINIMAL + 'tags:\n  a:\n    match: ["!!"]\n', 6, "sans lettre"),
    ("digests not mapping", MINIMAL + "digests: []\n", 4, "dictionnaire"),
    ("digest name", MINIMAL + "digests:\n  La semaine: {}\n", 5, "nom de sélection"),
    ("digest not mapping", MINIMAL + "digests:\n  d: 1d\n", 5, "dictionnaire"),
    ("digest typo", MINIMAL + "digests:\n  d:\n    windows: 1d\n", 6, "« window »"),
    ("window bad", MINIMAL + "digests:\n  d:\n    window: une semaine\n", 6, "durée invalide"),
    ("window too long", MINIMAL + "digests:\n  d:\n    window: 400d\n", 6, "hors limites"),
    ("unknown digest tag", MINIMAL + "digests:\n  d:\n    tags: [ia]\n", 6, "thème « ia » inconnu"),
    (
        "unknown exclude tag",
        MINIMAL + "tags:\n  ia: {}\ndigests:\n  d:\n    exclude_tags:\n      - ia\n      - iaa\n",
        10,
        "« iaa » inconnu",
    ),
    ("unknown digest feed", MINIMAL + "digests:\n  d:\n    feeds: [b]\n", 6, "source « b »"),
    ("query not text", MINIMAL + "digests:\n  d:\n    query: [x]\n", 6, "texte"),
    ("mail not mapping", MINIMAL + "digests:\n  d:\n    mail: x@example.org\n", 6, "dictionnaire"),
    ("mail without to", MINIMAL + "digests:\n  d:\n    mail:\n      at: '07:30'\n", 7, "« to »"),
    (
        "mail empty to",
        MINIMAL + "digests:\n  d:\n    mail:\n      to: []\n      at: '07:30'\n",
        7,
        "au moins un",
    ),
    (
        "mail bad address",
        MINIMAL + "digests:\n  d:\n    mail:\n      to:\n        - a@b.org\n"
        "        - equipe.example.org\n      at: '07:30'\n",
        9,
        "adresse e-mail invalide",
    ),
    ("mail without at", MINIMAL + "digests:\n  d:\n    mail:\n      to: [a@b.org]\n", 7, "« at »"),
    (
        "mail french day",
        MINIMAL + "digests:\n  d:\n    mail:\n      to: [a@b.org]\n      at: lundi 07:30\n",
        8,
        "« lundi » s'écrit « mon »",
    ),
    (
        "mail bad hour",
        MINIMAL + "digests:\n  d:\n    mail:\n      to: [a@b.org]\n      at: mon 25:00\n",
        8,
        "heure invalide",
    ),
    (
        "mail unknown key",
        MINIMAL + "digests:\n  d:\n    mail:\n      to: [a@b.org]\n"
        "      at: '07:30'\n      cc: [c@b.org]\n",
        9,
        "clé inconnue « cc »",
    ),
    ("labels not mapping", MINIMAL + "labels: [a]\n", 4, "dictionnaire"),
    ("label name", MINIMAL + "    tags: [actu]\nlabels:\n  Actu: Actualité\n", 6, "nom de thème"),
    (
        "label of no feed tag",
        MINIMAL + "    tags: [actu]\nlabels:\n  actus: Actualité\n",
        6,
        "« actus » : aucune source n'a ce thème dans ses « tags » (vouliez-vous dire « actu » ?)",
    ),
    (
        "label of a theme",
        MINIMAL + "tags:\n  ia: {}\nlabels:\n  ia: IA\n",
        7,
        "« ia » est un thème : son nom se donne par « label: » sous « tags: »",
    ),
    ("label empty", MINIMAL + "    tags: [actu]\nlabels:\n  actu: ''\n", 6, "texte non vide"),
    ("label a list", MINIMAL + "    tags: [actu]\nlabels:\n  actu: [a]\n", 6, "texte non vide"),
]


@pytest.mark.parametrize(
    ("text", "line", "fragment"), [c[1:] for c in INVALID], ids=[c[0] for c in INVALID]
)
def test_invalid_file_is_refused_at_its_line(
    tmp_path: Path, text: str, line: int, fragment: str
) -> None:
    path = write(tmp_path, text)
    errors = validate_config(path)
    assert errors, "the file should be refused"
    assert any(e.line == line and fragment in e.reason for e in errors), [str(e) for e in errors]
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.path == str(path)
    assert str(info.value).startswith(f"{path}:")


def test_all_errors_are_collected_in_line_order(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        feeds:
          - id: Mauvais
            url: https://x.org/
            every: 1 heure
          - id: b
            url: gopher://x.org/
          - id: b
            url: https://y.org/
            titel: Y
        tags:
          ia:
            match: ["/(/"]
        digests:
          d:
            window: 9999d
            tags: [inconnu]
            feeds: [nope]
            mail: {to: [pas-une-adresse], at: "dim 07:00"}
        """,
    )
    errors = validate_config(path)
    lines = [e.line or 0 for e in errors]
    assert lines == sorted(lines)
    assert lines == [2, 4, 6, 7, 9, 12, 15, 16, 17, 18, 18]
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.line == 2
    assert "(+10 autres erreurs : lancez « veille check »)" in info.value.reason


def test_single_error_is_raised_as_is(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL + "    every: 2x\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.line == 4
    assert "autre" not in info.value.reason


def test_missing_and_non_utf8_files(tmp_path: Path) -> None:
    (missing,) = validate_config(tmp_path / "absent.yaml")
    assert missing.line is None and "introuvable" in missing.reason
    path = tmp_path / "latin1.yaml"
    path.write_bytes("feeds:\n  - id: café\n".encode("latin-1"))
    (error,) = validate_config(path)
    assert "UTF-8" in error.reason


def test_document_round_trips_with_comments(tmp_path: Path) -> None:
    """The OPML import will append feeds to this document and write it back."""
    import io

    path = write(
        tmp_path, "# en-tête\nfeeds:\n  - id: a   # la source A\n    url: https://x.org/\n"
    )
    doc = read_document(path)
    doc["feeds"].append({"id": "b", "url": "https://y.org/"})
    out = io.StringIO()
    round_trip_yaml().dump(doc, out)
    assert "# en-tête" in out.getvalue() and "# la source A" in out.getvalue()
    path.write_text(out.getvalue(), encoding="utf-8")
    assert [f.id for f in load_config(path).feeds] == ["a", "b"]


# --- parse_duration / parse_mail_at --------------------------------------------------------------

DURATIONS = [
    ("45s", timedelta(seconds=45)),
    ("30m", timedelta(minutes=30)),
    ("1h", timedelta(hours=1)),
    ("2h30m", timedelta(hours=2, minutes=30)),
    ("1d", timedelta(days=1)),
    ("7d", timedelta(days=7)),
    ("1d12h", timedelta(days=1, hours=12)),
    ("1h0m30s", timedelta(hours=1, seconds=30)),
    ("90m", timedelta(minutes=90)),
    (" 15m ", timedelta(minutes=15)),
    ("0s", timedelta(0)),
]


@pytest.mark.parametrize(("text", "expected"), DURATIONS)
def test_parse_duration(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    "text", ["", "30", "m", "1H", "30 min", "1h 30m", "30m1h", "1w", "-1h", "1.5h", "1hh", "h1"]
)
def test_parse_duration_refuses(text: str) -> None:
    with pytest.raises(ValueError, match="durée invalide"):
        parse_duration(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mon 07:30", (0, time(7, 30))),
        ("SUN 7:05", (6, time(7, 5))),
        ("07:30", (None, time(7, 30))),
        ("fri   18:00", (4, time(18, 0))),
    ],
)
def test_parse_mail_at(text: str, expected: tuple[int | None, time]) -> None:
    assert parse_mail_at(text) == expected


@pytest.mark.parametrize("text", ["lun 07:30", "monday 07:30", "mon 7h30", "mon 24:00", "mon"])
def test_parse_mail_at_refuses(text: str) -> None:
    with pytest.raises(ValueError):
        parse_mail_at(text)
