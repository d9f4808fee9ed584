"""``feeds.yaml`` as a YAML document: round-trip reading, lines, and typed node checks.

The file is read with ruamel.yaml's *round-trip* loader: every mapping and sequence remembers
the line of each key and item (``key_line``, ``item_line``, ``node_line``: 1-based, falling back
to the line of the enclosing node), and the same document can later be modified and written back
with its comments intact (``read_document`` + ``round_trip_yaml().dump(doc, stream)``, for the
OPML import). YAML syntax errors, a missing file or bytes that are not UTF-8 become
``ConfigError(file, line, raison)``.

``NodeChecker`` holds the generic checks of a node's values (a mapping, known keys, a text, a
list of texts, a bounded duration), each *recording* a French error with its line instead of
raising, so that validation reports every problem. The schema itself (which keys, which
sections, what they mean) is :mod:`veille.config.load`'s ``_Checker``, built on it.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from veille.config.durations import parse_duration
from veille.errors import ConfigError
from veille.text import plural

__all__ = [
    "NodeChecker",
    "item_line",
    "key_line",
    "node_line",
    "read_document",
    "round_trip_yaml",
    "suggest",
]


# --- reading ----------------------------------------------------------------------------------


def round_trip_yaml() -> YAML:
    """The ruamel configuration used to read (and, later, write back) feeds.yaml."""
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 100
    return yaml


def read_document(path: Path) -> Any:
    """The round-trip document (comments kept); YAML syntax errors become ConfigError."""
    where = str(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise ConfigError(where, None, "fichier introuvable") from None
    except UnicodeDecodeError as e:
        raise ConfigError(where, None, f"le fichier n'est pas en UTF-8 ({e.reason})") from e
    except OSError as e:
        raise ConfigError(where, None, f"lecture impossible : {e.strerror}") from e
    try:
        return round_trip_yaml().load(text)
    except MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark is not None else None
        raise ConfigError(where, line, _yaml_reason(e)) from e
    except YAMLError as e:
        raise ConfigError(where, None, f"YAML invalide : {e}") from e


def _yaml_reason(e: MarkedYAMLError) -> str:
    problem = e.problem or str(e)
    if isinstance(e, DuplicateKeyError):
        m = re.search(r'duplicate key "([^"]*)"', problem)
        return f"clé « {m.group(1) if m else '?'} » en double dans le même bloc"
    if "'\\t'" in problem:
        return "tabulation interdite : indentez avec des espaces"
    return f"syntaxe YAML invalide : {problem}"


# --- lines and checks -------------------------------------------------------------------------


def key_line(node: Any, key: Any) -> int | None:
    try:
        return int(node.lc.key(key)[0]) + 1
    except (AttributeError, KeyError, TypeError):
        return node_line(node)


def item_line(node: Any, index: int) -> int | None:
    try:
        return int(node.lc.item(index)[0]) + 1
    except (AttributeError, KeyError, IndexError, TypeError):
        return node_line(node)


def node_line(node: Any) -> int | None:
    lc = getattr(node, "lc", None)
    return lc.line + 1 if lc is not None and lc.line is not None else None


def suggest(key: str, valid: Iterable[str]) -> str:
    close = difflib.get_close_matches(key, list(valid), n=1, cutoff=0.6)
    return f" (vouliez-vous dire « {close[0]} » ?)" if close else ""


class NodeChecker:
    """Generic checks of YAML nodes, recording errors instead of raising."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.errors: list[ConfigError] = []

    def error(self, line: int | None, reason: str) -> None:
        self.errors.append(ConfigError(self.path, line, reason))

    def mapping(self, node: Any, line: int | None, what: str) -> CommentedMap | None:
        if isinstance(node, CommentedMap):
            return node
        self.error(line, f"{what} doit être un dictionnaire (clé: valeur)")
        return None

    def known_keys(self, node: CommentedMap, valid: tuple[str, ...], where: str) -> None:
        for key in node:
            if key not in valid:
                hint = suggest(str(key), valid) or f" ; clés possibles : {', '.join(valid)}"
                self.error(key_line(node, key), f"clé inconnue « {key} » {where}{hint}")

    def text(self, node: CommentedMap, key: str, *, required: bool = False) -> str | None:
        if key not in node:
            if required:
                self.error(node_line(node), f"clé « {key} » obligatoire manquante")
            return None
        value = node[key]
        if not isinstance(value, str):
            shown = "vide" if value is None else f"« {value} »"
            self.error(key_line(node, key), f"« {key} » doit être un texte (valeur {shown})")
            return None
        if required and not value.strip():
            self.error(key_line(node, key), f"« {key} » ne doit pas être vide")
            return None
        return str(value).strip()

    def strings(self, node: CommentedMap, key: str) -> list[tuple[str, int | None]]:
        """A list of strings (each with its line); a lone string is refused."""
        if key not in node or node[key] is None:
            return []
        value = node[key]
        if not isinstance(value, CommentedSeq):
            self.error(key_line(node, key), f"« {key} » doit être une liste, ex. [a, b]")
            return []
        out = []
        for i, item in enumerate(value):
            line = item_line(value, i)
            if isinstance(item, str) and item.strip():
                out.append((str(item).strip(), line))
            else:
                self.error(line, f"élément de « {key} » invalide : texte non vide attendu")
        return out

    def duration(
        self, node: CommentedMap, key: str, low: timedelta, high: timedelta
    ) -> timedelta | None:
        if key not in node:
            return None
        line, value = key_line(node, key), node[key]
        if not isinstance(value, str):
            self.error(line, f"« {key} » : durée avec unité attendue (ex. 30m, 1h, 1d)")
            return None
        try:
            td = parse_duration(value)
        except ValueError as e:
            self.error(line, f"« {key} » : {e}")
            return None
        if not low <= td <= high:
            self.error(line, f"« {key} » : {value} hors limites ({_fmt(low)} à {_fmt(high)})")
            return None
        return td


def _fmt(td: timedelta) -> str:
    if td % timedelta(days=1) == timedelta(0):
        return plural(td.days, "jour")
    return plural(int(td.total_seconds() // 60), "minute")
