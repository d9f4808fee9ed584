"""``feeds.yaml``: the ``notify:`` list of a digest, checked for veille.config.load.

Where a digest is announced besides e-mail (delivered by :mod:`veille.notify`)::

    digests:
      hebdo:
        notify:
          - matrix: {homeserver: https://matrix.agent.education.tchap.gouv.fr,
                     room: "!abc:agent.education.tchap.gouv.fr",
                     token_env: VEILLE_MATRIX_TOKEN, when: issue}
          - matrix: {homeserver: …, room: …, token_env: …, when: daily, at: "08:00",
                     min_entries: 1, max_entries: 10}
          - webhook: {url: https://chat.example.org/hooks/…, secret_env: VEILLE_WEBHOOK_SECRET,
                      when: issue}

``when: issue`` announces each numbered letter when it goes out (the digest needs ``mail:``);
``when: daily`` announces the day's new articles at ``at`` (``HH:MM``, Europe/Paris), unless
there are fewer than ``min_entries`` (default 1), with at most ``max_entries`` lines (default
10, up to 50). Secrets are never written here: ``token_env`` (required) and ``secret_env``
(optional, signs webhook bodies) name environment variables. ``http://`` sends the token and
the messages in clear: it is accepted only towards the machine itself (a local relay, the
tests), like ``tls: none`` of IMAP sources.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from veille.config.durations import parse_mail_at
from veille.config.yamldoc import NodeChecker, item_line, key_line, node_line, suggest
from veille.models import NotifyTarget

__all__ = ["KINDS", "check_notify"]

KINDS = ("matrix", "webhook")
WHEN = ("issue", "daily")
KEYS = {
    "matrix": ("homeserver", "room", "token_env", "when", "at", "min_entries", "max_entries"),
    "webhook": ("url", "secret_env", "when", "at", "min_entries", "max_entries"),
}
DAILY_KEYS = ("at", "min_entries", "max_entries")
MAX_ENTRIES = 50
LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})

_ENV_NAME = re.compile(r"[A-Z_][A-Z0-9_]*\Z")
_ROOM = re.compile(r"[!#][^\s:]+:\S+\Z")


def check_notify(
    checker: NodeChecker, parent: CommentedMap, digest: str, mailed: bool
) -> tuple[NotifyTarget, ...]:
    """The targets of ``parent["notify"]``; errors go to ``checker`` (then none is returned
    for the faulty item)."""
    seq = parent["notify"]
    if seq is None:
        return ()
    if not isinstance(seq, CommentedSeq):
        checker.error(key_line(parent, "notify"), "« notify » doit être une liste (- matrix: …)")
        return ()
    targets: list[NotifyTarget] = []
    seen: dict[str, int | None] = {}
    for i, item in enumerate(seq):
        line = item_line(seq, i)
        target = _target(checker, item, line, digest, mailed)
        if target is None:
            continue
        if target.key in seen:
            checker.error(line, f"destination déjà déclarée ligne {seen[target.key]}")
            continue
        seen[target.key] = line
        targets.append(target)
    return tuple(targets)


def _target(
    checker: NodeChecker, item: Any, line: int | None, digest: str, mailed: bool
) -> NotifyTarget | None:
    if not isinstance(item, CommentedMap) or len(item) != 1:
        checker.error(line, "chaque élément de « notify » est « matrix: {…} » ou « webhook: {…} »")
        return None
    kind = next(iter(item))
    if kind not in KINDS:
        hint = suggest(str(kind), KINDS) or f" ; possibles : {', '.join(KINDS)}"
        checker.error(key_line(item, kind), f"destination « {kind} » inconnue{hint}")
        return None
    node = checker.mapping(item[kind], key_line(item, kind), f"« {kind} »")
    if node is None:
        return None
    checker.known_keys(node, KEYS[kind], f"dans « {kind} » de « {digest} »")
    before = len(checker.errors)
    url_key = "homeserver" if kind == "matrix" else "url"
    url = checker.text(node, url_key, required=True)
    if url is not None:
        problem = _url_problem(url, kind == "matrix")
        if problem:
            checker.error(key_line(node, url_key), f"« {url_key} » : {problem}")
    room = ""
    if kind == "matrix":
        room = checker.text(node, "room", required=True) or ""
        if room and not _ROOM.match(room):
            checker.error(
                key_line(node, "room"),
                f"salon « {room} » invalide : identifiant « !…:serveur » ou alias « #…:serveur »",
            )
    secret_key = "token_env" if kind == "matrix" else "secret_env"
    secret_env = checker.text(node, secret_key, required=kind == "matrix") or ""
    if secret_env and not _ENV_NAME.match(secret_env):
        checker.error(
            key_line(node, secret_key),
            f"« {secret_key} » : nom de variable d'environnement attendu (ex. VEILLE_MATRIX_TOKEN)",
        )
    when = checker.text(node, "when", required=True)
    at, limits = "", (1, 10)
    if when is not None and when not in WHEN:
        hint = suggest(when, WHEN) or " ; valeurs : issue (à chaque numéro), daily (chaque jour)"
        checker.error(key_line(node, "when"), f"« when » : « {when} » inconnu{hint}")
    elif when == "issue":
        if not mailed:
            checker.error(
                key_line(node, "when"),
                f"« when: issue » annonce les numéros de la lettre : « {digest} » n'a pas de "
                "« mail: » (utilisez « when: daily »)",
            )
        for key in DAILY_KEYS:
            if key in node:
                checker.error(key_line(node, key), f"« {key} » ne sert qu'avec « when: daily »")
    elif when == "daily":
        at = _daily_at(checker, node)
        limits = (
            _count(checker, node, "min_entries", 1, 0, 1000),
            _count(checker, node, "max_entries", 10, 1, MAX_ENTRIES),
        )
    if len(checker.errors) > before or url is None or when is None:
        return None
    return NotifyTarget(
        kind=kind,
        url=url.rstrip("/") if kind == "matrix" else url,
        when=when,  # type: ignore[arg-type]  # checked against WHEN above
        room=room,
        secret_env=secret_env,
        at=at,
        min_entries=limits[0],
        max_entries=limits[1],
    )


def _daily_at(checker: NodeChecker, node: CommentedMap) -> str:
    text = checker.text(node, "at")
    if text is None:
        if "at" not in node:
            checker.error(
                node_line(node), "« when: daily » : clé « at » obligatoire (ex. « 08:00 »)"
            )
        return ""
    try:
        day, at = parse_mail_at(text)
    except ValueError as e:
        checker.error(key_line(node, "at"), f"« at » : {e}")
        return ""
    if day is not None:
        checker.error(key_line(node, "at"), "« at » : une heure seule (ex. « 08:00 »), sans jour")
        return ""
    return f"{at:%H:%M}"


def _count(
    checker: NodeChecker, node: CommentedMap, key: str, default: int, low: int, high: int
) -> int:
    if key not in node:
        return default
    value = node[key]
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        checker.error(key_line(node, key), f"« {key} » : nombre entier de {low} à {high} attendu")
        return default
    return int(value)


def _url_problem(url: str, homeserver: bool) -> str | None:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  # raises ValueError on a bad port
    except ValueError:
        return f"adresse « {url} » invalide"
    if any(c.isspace() for c in url) or parts.scheme not in ("http", "https"):
        return f"adresse « {url} » : elle doit commencer par https://"
    if not parts.hostname:
        return f"adresse « {url} » : nom de serveur manquant"
    if parts.scheme == "http" and parts.hostname not in LOOPBACK:
        return (
            f"« {url} » : https:// obligatoire (http:// n'est permis que vers la machine elle-même)"
        )
    if homeserver and (parts.path.strip("/") or parts.query or parts.fragment):
        return f"« {url} » : l'adresse du serveur seule est attendue (sans chemin)"
    return None
