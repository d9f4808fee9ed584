"""``une:`` of a digest and ``institution:`` of a source in feeds.yaml: defaults, what a valid
value gives, and each mistake refused at its line with a French reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from veille.config.load import load_config, validate_config
from veille.models import UneSpec, Weights

HEAD = """\
feeds:
  - id: a
    url: https://example.org/feed
  - id: eduscol
    url: https://eduscol.example/rss
    institution: true
digests:
  hebdo:
    window: 7d
"""


def write(tmp_path: Path, une: str, head: str = HEAD) -> Path:
    path = tmp_path / "feeds.yaml"
    path.write_text(head + une, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("une", "expected"),
    [
        ("", UneSpec()),
        ("    une: true\n", UneSpec()),
        ("    une: false\n", None),
        ("    une: {size: 0}\n", None),
        ("    une: {size: 3}\n", UneSpec(3, Weights())),
        (
            "    une:\n      size: 8\n      weights: {sources: 3, recency: 0.25}\n",
            UneSpec(8, Weights(sources=3.0, recency=0.25)),
        ),
        (
            "    une: {weights: {institution: 0, themes: 0}}\n",
            UneSpec(5, Weights(institution=0.0, themes=0.0)),
        ),
    ],
)
def test_valid_une(tmp_path: Path, une: str, expected: UneSpec | None) -> None:
    assert load_config(write(tmp_path, une)).digests[0].une == expected


def test_institution_flag_of_sources(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, ""))
    assert {f.id: f.institution for f in config.feeds} == {"a": False, "eduscol": True}


def test_shipped_feeds_yaml_marks_the_institutional_sources() -> None:
    config = load_config(Path(__file__).parent.parent / "feeds.yaml")
    assert {f.id for f in config.feeds if f.institution} == {"eduscol", "canope"}


@pytest.mark.parametrize(
    ("une", "line", "reason"),
    [
        ("    une: 5\n", 10, "« une » doit être un dictionnaire"),
        ("    une: {size: -1}\n", 10, "« size » : nombre entier d'articles de 0 à 20"),
        ("    une: {size: 21}\n", 10, "de 0 à 20"),
        ("    une: {size: trois}\n", 10, "nombre entier"),
        ("    une:\n      taille: 3\n", 11, "clé inconnue « taille » dans « une » de « hebdo »"),
        ("    une:\n      weights: {sources: -1}\n", 11, "« sources » : nombre de 0 à 100"),
        ("    une:\n      weights: {recency: oui}\n", 11, "« recency » : nombre"),
        ("    une:\n      weights: {source: 2}\n", 11, "clé inconnue « source »"),
        ("    une:\n      weights: [1, 2]\n", 11, "« weights » doit être un dictionnaire"),
        ("    unes: {size: 3}\n", 10, "clé inconnue « unes »"),
    ],
)
def test_une_mistakes_are_refused_at_their_line(
    tmp_path: Path, une: str, line: int, reason: str
) -> None:
    errors = validate_config(write(tmp_path, une))
    assert [e.line for e in errors] == [line], errors
    assert reason in errors[0].reason


def test_institution_must_be_a_boolean(tmp_path: Path) -> None:
    head = HEAD.replace("institution: true", 'institution: "oui"')
    (error,) = validate_config(write(tmp_path, "", head))
    assert error.line == 6
    assert "« institution » : true ou false attendu" in error.reason
