"""``feeds.yaml``: the keys of sources without a feed, checked for veille.config.load.

``type: html`` (a list page read with CSS selectors, see :mod:`veille.ingest.parse.htmllist`)::

    - id: canope
      type: html
      url: https://www.reseau-canope.fr/actualites.html
      selectors: {item: "article", title: "h3", link: "a@href",
                  date: "[itemprop=datePublished]@content", summary: "p"}
      date_format: iso            # or a strptime format with French names, or absent (guess)

``item`` and ``title`` are required; every selector is checked (CSS syntax, ``@attribute``).

``type: imap`` (newsletters received in a mailbox folder, see :mod:`veille.ingest.imap`)::

    - id: lettres
      type: imap
      url: imaps://veille%40ac-exemple.fr@imap.ac-exemple.fr/INBOX   # user@host[:port]/folder
      tls: ssl                    # imaps:// → ssl (port 993); imap:// → starttls (143) or none
      password_env: VEILLE_IMAP_PASSWORD_DANE   # optional; default VEILLE_IMAP_PASSWORD
      move_to: traité             # optional: processed messages are moved there

The URL follows RFC 5092 (``%40`` for an ``@`` in the user name, ``%20`` for a space in the
folder); without a user, ``VEILLE_IMAP_USER`` is used; without a folder, ``INBOX``. It never
carries a password: feeds.yaml is not a secret. ``tls: none`` sends the password in clear, so
it is accepted only towards the machine itself (127.0.0.1, ::1, localhost: a local relay, the
tests).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, cast
from urllib.parse import unquote, urlsplit

from ruamel.yaml.comments import CommentedMap

from veille.config.html_source import date_format_problem, selector_problem
from veille.models import ImapTLS, MailboxSpec, PageSpec

__all__ = ["HTML_KEYS", "IMAP_KEYS", "check_mailbox", "check_page", "misplaced_keys"]

HTML_KEYS = ("selectors", "date_format")
IMAP_KEYS = ("tls", "password_env", "move_to")
SELECTOR_KEYS = ("item", "title", "link", "date", "summary")
TLS_MODES = ("ssl", "starttls", "none")
LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})

Report = Callable[[int | None, str], None]
_ENV_NAME = re.compile(r"[A-Z_][A-Z0-9_]*\Z")


def _line(node: Any, key: Any = None) -> int | None:
    try:
        if key is not None:
            return int(node.lc.key(key)[0]) + 1
        return int(node.lc.line) + 1
    except (AttributeError, KeyError, TypeError):
        return None


def _text(node: CommentedMap, key: str, report: Report) -> str | None:
    if key not in node:
        return None
    value = node[key]
    if not isinstance(value, str) or not value.strip():
        report(_line(node, key), f"« {key} » doit être un texte non vide")
        return None
    return value.strip()


def misplaced_keys(node: CommentedMap, kind: str, report: Report) -> None:
    """Keys of one source type used on another (``selectors`` on an imap source…)."""
    for key in node:
        if key in HTML_KEYS and kind != "html":
            report(_line(node, key), f"« {key} » ne sert qu'aux sources « type: html »")
        elif key in IMAP_KEYS and kind != "imap":
            report(_line(node, key), f"« {key} » ne sert qu'aux sources « type: imap »")


def check_page(node: CommentedMap, report: Report) -> PageSpec | None:
    """The PageSpec of a ``type: html`` source, or None after reporting its errors."""
    if "selectors" not in node:
        report(_line(node), "type html : clé « selectors » obligatoire (item, title…)")
        return None
    selectors = node["selectors"]
    if not isinstance(selectors, CommentedMap):
        report(_line(node, "selectors"), "« selectors » doit être un dictionnaire (item: …)")
        return None
    errors = 0

    def fail(line: int | None, reason: str) -> None:
        nonlocal errors
        errors += 1
        report(line, reason)

    for key in selectors:
        if key not in SELECTOR_KEYS:
            fail(_line(selectors, key), f"sélecteur inconnu « {key} » ({', '.join(SELECTOR_KEYS)})")
    values: dict[str, str | None] = {}
    for key in SELECTOR_KEYS:
        value = _text(selectors, key, fail)
        if value is None and key in ("item", "title") and key not in selectors:
            fail(_line(selectors), f"sélecteur « {key} » obligatoire manquant")
        if value is not None:
            problem = selector_problem(value)
            if problem:
                fail(_line(selectors, key), f"sélecteur « {key} » : {problem}")
        values[key] = value
    date_format = _text(node, "date_format", fail)
    if date_format is not None:
        problem = date_format_problem(date_format)
        if problem:
            fail(_line(node, "date_format"), problem)
    if errors or values["item"] is None or values["title"] is None:
        return None
    return PageSpec(
        item=values["item"],
        title=values["title"],
        link=values["link"],
        date=values["date"],
        summary=values["summary"],
        date_format=date_format,
    )


def check_mailbox(node: CommentedMap, url: str, report: Report) -> MailboxSpec | None:
    """The MailboxSpec of a ``type: imap`` source (its URL already has an imap scheme and a
    host), or None after reporting its errors."""
    line = _line(node, "url")
    errors = 0

    def fail(at: int | None, reason: str) -> None:
        nonlocal errors
        errors += 1
        report(at, reason)

    parts = urlsplit(url)
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if parts.password is not None:
        fail(line, "pas de mot de passe dans feeds.yaml : VEILLE_IMAP_PASSWORD ou password_env")
    user = unquote(parts.username or "") or None  # None: VEILLE_IMAP_USER
    if parts.query or parts.fragment:
        fail(
            line, "l'adresse IMAP ne prend ni « ? » ni « # » : imaps://utilisateur@serveur/dossier"
        )
    folder = unquote(parts.path.lstrip("/")) or "INBOX"
    tls = _text(node, "tls", fail) or ("ssl" if scheme == "imaps" else "starttls")
    if tls not in TLS_MODES:
        fail(_line(node, "tls"), f"« tls » : {tls} inconnu (ssl, starttls ou none)")
    elif scheme == "imaps" and tls != "ssl":
        fail(_line(node, "tls"), f"imaps:// est toujours chiffré : « tls: {tls} » contradictoire")
    elif tls == "none" and host not in LOOPBACK:
        fail(
            _line(node, "tls"),
            "« tls: none » n'est permis que vers 127.0.0.1 ou localhost "
            "(le mot de passe circulerait en clair)",
        )
    password_env = _text(node, "password_env", fail)
    if password_env is not None and not _ENV_NAME.match(password_env):
        fail(
            _line(node, "password_env"),
            f"« password_env » : « {password_env} » n'est pas un nom de variable "
            "(majuscules, chiffres, _), ex. VEILLE_IMAP_PASSWORD_DANE",
        )
    elif password_env is not None and not password_env.startswith("VEILLE_IMAP_"):
        # The other secrets (VEILLE_SECRET_KEY, VEILLE_SMTP_PASSWORD…) must never be sent to
        # a server that feeds.yaml names.
        fail(
            _line(node, "password_env"),
            f"« password_env » : seules les variables VEILLE_IMAP_… sont lisibles "
            f"(« {password_env} » refusée), ex. VEILLE_IMAP_PASSWORD_DANE",
        )
    move_to = _text(node, "move_to", fail)
    if move_to is not None and move_to == folder:
        fail(_line(node, "move_to"), "« move_to » doit être un autre dossier que celui lu")
    if errors:
        return None
    return MailboxSpec(
        host=host,
        user=user,
        folder=folder,
        port=parts.port or (993 if scheme == "imaps" else 143),
        tls=cast(ImapTLS, tls),
        password_env=password_env,
        move_to=move_to,
    )
