"""``notify:`` of a digest in feeds.yaml: what a valid list gives, and each mistake refused at
its line with a French reason."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from veille.config.load import load_config, validate_config
from veille.models import NotifyTarget

HEAD = """\
feeds:
  - id: a
    url: https://example.org/feed
digests:
  hebdo:
    mail: {to: [equipe@example.org], at: "mon 07:30"}
    notify:
"""


def write(tmp_path: Path, notify: str, head: str = HEAD) -> Path:
    path = tmp_path / "feeds.yaml"
    path.write_text(head + textwrap.indent(textwrap.dedent(notify), "      "), encoding="utf-8")
    return path


def test_valid_targets(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        - matrix: {homeserver: "https://matrix.agent.education.tchap.gouv.fr/",
                   room: "!abc:agent.education.tchap.gouv.fr", token_env: VEILLE_MATRIX_TOKEN,
                   when: issue}
        - matrix: {homeserver: "http://127.0.0.1:8008", room: "#veille:localhost",
                   token_env: TOKEN, when: daily, at: "8:05", min_entries: 3, max_entries: 20}
        - webhook: {url: "https://chat.example.org/hooks/xyz", secret_env: HOOK_KEY, when: issue}
        - webhook: {url: "https://chat.example.org/hooks/abc", when: daily, at: "18:00"}
        """,
    )
    targets = load_config(path).digests[0].notify
    assert targets == (
        NotifyTarget(
            "matrix",
            "https://matrix.agent.education.tchap.gouv.fr",
            "issue",
            room="!abc:agent.education.tchap.gouv.fr",
            secret_env="VEILLE_MATRIX_TOKEN",
        ),
        NotifyTarget(
            "matrix",
            "http://127.0.0.1:8008",
            "daily",
            room="#veille:localhost",
            secret_env="TOKEN",
            at="08:05",
            min_entries=3,
            max_entries=20,
        ),
        NotifyTarget(
            "webhook", "https://chat.example.org/hooks/xyz", "issue", secret_env="HOOK_KEY"
        ),
        NotifyTarget("webhook", "https://chat.example.org/hooks/abc", "daily", at="18:00"),
    )
    # The outbox's identity of a target: stable, distinct, never the secret's name.
    keys = [t.key for t in targets]
    assert len(set(keys)) == 4 and keys[0].startswith("matrix:") and "TOKEN" not in keys[0]


@pytest.mark.parametrize(
    ("notify", "line", "reason"),
    [
        ("- telegram: {url: https://x.org}\n", 8, "destination « telegram » inconnue"),
        ("- {matrix: {}, webhook: {}}\n", 8, "chaque élément de « notify »"),
        (
            '- matrix: {homeserver: "https://m.org", room: "salon", token_env: T, when: issue}\n',
            8,
            "salon « salon » invalide",
        ),
        (
            '- matrix: {homeserver: "https://m.org", room: "!a:m.org", when: issue}\n',
            8,
            "clé « token_env » obligatoire manquante",
        ),
        (
            '- matrix: {homeserver: "https://m.org", room: "!a:m.org", token_env: "mon jeton",'
            " when: issue}\n",
            8,
            "nom de variable d'environnement attendu",
        ),
        (
            '- matrix: {homeserver: "http://tchap.example.fr", room: "!a:m", token_env: T,'
            " when: issue}\n",
            8,
            "https:// obligatoire",
        ),
        (
            '- matrix: {homeserver: "https://m.org/_matrix", room: "!a:m", token_env: T,'
            " when: issue}\n",
            8,
            "sans chemin",
        ),
        ('- webhook: {url: "ftp://x.org/h", when: issue}\n', 8, "doit commencer par https://"),
        ('- webhook: {url: "https://x.org/h", when: weekly}\n', 8, "« weekly » inconnu"),
        ('- webhook: {url: "https://x.org/h", when: daily}\n', 8, "clé « at » obligatoire"),
        (
            '- webhook: {url: "https://x.org/h", when: daily, at: "mon 08:00"}\n',
            8,
            "une heure seule",
        ),
        (
            '- webhook: {url: "https://x.org/h", when: daily, at: "08:00", max_entries: 500}\n',
            8,
            "« max_entries » : nombre entier de 1 à 50",
        ),
        (
            '- webhook: {url: "https://x.org/h", when: issue, at: "08:00"}\n',
            8,
            "« at » ne sert qu'avec « when: daily »",
        ),
        (
            '- webhook: {url: "https://x.org/h", when: issue, tokn: x}\n',
            8,
            "clé inconnue « tokn »",
        ),
        (
            '- webhook: {url: "https://x.org/h", when: issue}\n'
            '- webhook: {url: "https://x.org/h", when: issue}\n',
            9,
            "destination déjà déclarée ligne 8",
        ),
    ],
)
def test_mistakes_are_refused_at_their_line(
    tmp_path: Path, notify: str, line: int, reason: str
) -> None:
    errors = validate_config(write(tmp_path, notify))
    assert [e.line for e in errors] == [line], errors
    assert reason in errors[0].reason


def test_issue_notifications_need_a_mailed_digest(tmp_path: Path) -> None:
    head = HEAD.replace('    mail: {to: [equipe@example.org], at: "mon 07:30"}\n', "")
    path = write(tmp_path, '- webhook: {url: "https://x.org/h", when: issue}\n', head)
    (error,) = validate_config(path)
    assert error.line == 7
    assert "« hebdo » n'a pas de « mail: »" in error.reason
    assert "when: daily" in error.reason
