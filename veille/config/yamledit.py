"""Editing feeds.yaml as text: the rest of the file is kept **byte for byte**.

Commands that write feeds.yaml for the user (``veille opml import``, ``veille tags suggest
--apply``) never dump the whole document again: a round-trip dump re-wraps flow lists and
moves comments. Instead the file is parsed once with ruamel's round-trip loader, which
remembers the line and column of every key and item, and new text is inserted (or an item's
text removed) at those positions; every other byte stays as it was. Lines keep the file's own
ending (``\\r\\n`` or ``\\n``).

* ``YamlText`` — the text, its lines and the parsed document (``YamlText.read(path)``);
* ``block_end`` — where a block ends, before the blank lines and outer comments that
  introduce what follows (a new item or key goes there);
* ``append_scalar`` / ``remove_scalar`` — add a text to a list of texts at a path
  (``("tags", "evaluation", "match")``), in flow style (``[a, b]``, also over several lines)
  or block style (``- a``), creating the key when the mapping lacks it; or remove one;
* ``changed_lines`` — what an edit changes, line by line (shown before it is written);
* ``write_validated`` — the new text goes to a temporary file next to feeds.yaml, is checked
  by the normal loader (``validate_config``), and only then replaces the original
  (``os.replace``, atomic). On any error feeds.yaml is untouched and the error names the
  file, the line and the reason.
"""

from __future__ import annotations

import difflib
import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from veille.config.load import validate_config
from veille.config.yamldoc import key_line, node_line, read_document, round_trip_yaml
from veille.errors import ConfigError

__all__ = [
    "YamlText",
    "append_scalar",
    "block_end",
    "changed_lines",
    "quoted",
    "remove_scalar",
    "write_validated",
]

WIDTH = 100  # a flow list longer than this goes on with a new line


@dataclass(frozen=True, slots=True)
class YamlText:
    """feeds.yaml as text (``lines`` keep their endings) and as a round-trip document."""

    where: str
    text: str
    lines: list[str]
    newline: str
    doc: Any

    @classmethod
    def read(cls, path: Path) -> YamlText:
        doc = read_document(path)  # the errors (missing file, not UTF-8, bad YAML) first
        return cls.parse(path.read_bytes().decode("utf-8"), str(path), doc)

    @classmethod
    def parse(cls, text: str, where: str, doc: Any = None) -> YamlText:
        if doc is None:
            try:
                doc = round_trip_yaml().load(text.removeprefix("\ufeff"))
            except MarkedYAMLError as e:
                mark = e.problem_mark or e.context_mark
                line = mark.line + 1 if mark is not None else None
                raise ConfigError(where, line, f"syntaxe YAML invalide : {e.problem}") from e
            except YAMLError as e:
                raise ConfigError(where, None, f"YAML invalide : {e}") from e
        newline = "\r\n" if "\r\n" in text else "\n"
        return cls(where, text, text.splitlines(keepends=True), newline, doc)

    def insert(self, at: int, block: str) -> str:
        """The text with ``block`` (lines ending in ``\\n``) inserted before line ``at``."""
        lines = list(self.lines)
        if at > 0 and not lines[at - 1].endswith(("\n", "\r")):
            lines[at - 1] += self.newline
        return "".join(lines[:at]) + block.replace("\n", self.newline) + "".join(lines[at:])

    def offset(self, line: int, col: int) -> int:
        """The position in ``text`` of a (0-based) line and column."""
        return sum(len(x) for x in self.lines[:line]) + col


def quoted(value: str) -> str:
    """``value`` as a double-quoted YAML scalar (a JSON string is one), accents kept."""
    return json.dumps(value, ensure_ascii=False)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _is_note(line: str) -> bool:
    """A blank line or a comment line."""
    stripped = line.strip()
    return not stripped or stripped.startswith("#")


def block_end(lines: Sequence[str], last: int, end: int, outer: int) -> int:
    """Where to insert after a block whose last content line is ``last``, the next thing
    starting at line ``end``: before the blank lines and the comments indented less than
    ``outer`` (they introduce what follows) that lie between them."""
    at = end
    while at - 1 > last and (not lines[at - 1].strip() or _comment_below(lines[at - 1], outer)):
        at -= 1
    return at


def _comment_below(line: str, outer: int) -> bool:
    return line.lstrip().startswith("#") and _indent(line) < outer


def _next_content(lines: Sequence[str], start: int, col: int) -> int:
    """The first line from ``start`` on that is content indented at most ``col`` (or the end)."""
    at = start
    while at < len(lines) and (_is_note(lines[at]) or _indent(lines[at]) > col):
        at += 1
    return at


# --- lists of texts ------------------------------------------------------------------------


def _mapping_at(src: YamlText, path: Sequence[str]) -> CommentedMap:
    node = src.doc
    for depth, key in enumerate(path):
        child = node.get(key) if isinstance(node, CommentedMap) else None
        if not isinstance(child, CommentedMap):
            where = " › ".join(path[: depth + 1])
            raise ConfigError(src.where, key_line(node, key), f"« {where} » : bloc introuvable")
        node = child
    if node.fa.flow_style():
        raise ConfigError(
            src.where,
            node_line(node),
            f"« {' › '.join(path)} » est écrit entre {{ … }} : "
            "écrivez-le en lignes « clé: valeur » pour le modifier",
        )
    return node


def append_scalar(src: YamlText, path: Sequence[str], value: str) -> str:
    """The text with ``value`` appended to the list of texts at ``path`` (the key is added to
    its mapping when missing; an empty value ``key:`` or ``key: []`` is filled)."""
    parent, key = _mapping_at(src, path[:-1]), path[-1]
    item = quoted(value)
    if key not in parent:
        return _add_key(src, parent, key, f"[{item}]")
    seq = parent[key]
    line = int(parent.lc.value(key)[0])
    if seq is None or (isinstance(seq, CommentedSeq) and not seq):
        # « key: », « key: [] »: the value is rewritten on the key's own line.
        row = int(parent.lc.key(key)[0])
        text = src.lines[row]
        colon = text.index(":", int(parent.lc.key(key)[1])) + 1
        content = text.rstrip("\r\n")
        body = content[colon:].strip()
        if body.startswith("[]"):
            body = body[2:].strip()
        if body and not body.startswith("#"):
            raise ConfigError(src.where, row + 1, f"« {key} » : liste attendue")
        new = text[:colon] + f" [{item}]" + (f" {body}" if body else "") + text[len(content) :]
        return "".join(src.lines[:row]) + new + "".join(src.lines[row + 1 :])
    if not isinstance(seq, CommentedSeq):
        raise ConfigError(src.where, line + 1, f"« {key} » doit être une liste")
    last_line, last_col = (int(x) for x in seq.lc.item(len(seq) - 1))
    if seq.fa.flow_style():
        end_line, end_col = _flow_item_end(src, last_line, last_col)
        text = src.lines[end_line]
        tail = text[end_col:].rstrip("\r\n")
        if len(text.rstrip("\r\n")) + len(item) + 2 <= WIDTH:
            addition = f", {item}"
        else:  # a new line, aligned on the list's first item
            addition = f",{src.newline}{' ' * int(seq.lc.item(0)[1])}{item}"
        new = text[:end_col] + addition + tail + text[len(text.rstrip("\r\n")) :]
        return "".join(src.lines[:end_line]) + new + "".join(src.lines[end_line + 1 :])
    dash_col = src.lines[last_line].rfind("-", 0, last_col)
    at = _next_content(src.lines, last_line + 1, dash_col)
    at = block_end(src.lines, last_line, at, dash_col + 1)
    return src.insert(at, f"{' ' * dash_col}- {item}\n")


def _add_key(src: YamlText, parent: CommentedMap, key: str, value: str) -> str:
    keys = list(parent)
    if not keys:
        raise ConfigError(src.where, node_line(parent), "bloc vide : ajoutez la clé à la main")
    row, key_col = (int(x) for x in parent.lc.key(keys[-1]))
    at = _next_content(src.lines, row + 1, key_col - 1)
    at = block_end(src.lines, row, at, key_col)
    return src.insert(at, f"{' ' * key_col}{key}: {value}\n")


def remove_scalar(src: YamlText, path: Sequence[str], value: str) -> str:
    """The text with the item ``value`` of the list of texts at ``path`` removed."""
    parent, key = _mapping_at(src, path[:-1]), path[-1]
    seq = parent.get(key)
    where = " › ".join(path)
    if not isinstance(seq, CommentedSeq):
        raise ConfigError(src.where, key_line(parent, key), f"« {where} » : liste introuvable")
    found = [i for i, x in enumerate(seq) if isinstance(x, str) and x.strip() == value.strip()]
    if not found:
        raise ConfigError(src.where, key_line(parent, key), f"« {value} » absent de « {where} »")
    k = found[0]
    starts = [tuple(int(x) for x in seq.lc.item(i)) for i in range(len(seq))]
    if not seq.fa.flow_style():
        line, col = starts[k]
        dash_col = src.lines[line].rfind("-", 0, col)
        end = _next_content(src.lines, line + 1, dash_col)
        end = block_end(src.lines, line, end, dash_col + 1)
        return "".join(src.lines[:line]) + "".join(src.lines[end:])
    start = src.offset(*starts[k])
    end = src.offset(*_flow_item_end(src, *starts[k]))
    line = starts[k][0]
    has_next, has_previous = k + 1 < len(seq), k > 0
    if has_next and starts[k + 1][0] == line:  # « x, » up to the next item on its line
        cut = (start, src.offset(*starts[k + 1]))
    elif has_previous and (starts[k - 1][0] == line or not has_next):  # « , x » after one
        cut = (src.offset(*_flow_item_end(src, *starts[k - 1])), end)
    elif has_next and src.lines[line].strip() == src.text[start:end] + ",":  # alone: the line
        cut = (src.offset(line, 0), src.offset(line + 1, 0))
    elif has_next:
        cut = (start, src.offset(*starts[k + 1]))
    else:  # the only item: « [] » stays
        cut = (start, end)
    if "#" in src.text[cut[0] : cut[1]].replace(src.text[start:end], ""):
        raise ConfigError(
            src.where, starts[k][0] + 1, f"« {value} » : un commentaire suit, retirez-le à la main"
        )
    return src.text[: cut[0]] + src.text[cut[1] :]


def _flow_item_end(src: YamlText, line: int, col: int) -> tuple[int, int]:
    """Where the text item starting at (``line``, ``col``) of a flow list ends."""
    text = src.lines[line]
    quote = text[col] if col < len(text) else ""
    if quote == '"':
        i = col + 1
        while i < len(text) and text[i] != '"':
            i += 2 if text[i] == "\\" else 1
        if i < len(text):
            return line, i + 1
    elif quote == "'":
        i = col + 1
        while i < len(text):
            if text[i] == "'":
                if text[i + 1 : i + 2] != "'":
                    return line, i + 1
                i += 1
            i += 1
    else:
        i = col
        while i < len(text) and text[i] not in ",]\r\n" and text[i : i + 2] != " #":
            i += 1
        return line, len(text[:i].rstrip(" "))
    raise ConfigError(
        src.where, line + 1, "texte sur plusieurs lignes dans une liste : modifiez à la main"
    )


def changed_lines(before: str, after: str) -> list[tuple[str, int, str]]:
    """``(sign, line number, text)`` of the lines an edit removes (``-``, numbered in
    ``before``) and adds (``+``, numbered in ``after``), in order."""
    old, new = before.splitlines(), after.splitlines()
    out: list[tuple[str, int, str]] = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op != "equal":
            out += [("-", i + 1, old[i]) for i in range(i1, i2)]
            out += [("+", j + 1, new[j]) for j in range(j1, j2)]
    return out


# --- writing -------------------------------------------------------------------------------


def write_validated(config_path: Path, text: str, after: str) -> None:
    """Validate ``text`` as feeds.yaml in a temporary file, then replace the original.

    ``after`` names the change in the error (« après import »): ConfigError with the first
    problem's line, and feeds.yaml untouched."""
    fd, tmp_name = tempfile.mkstemp(
        dir=config_path.parent, prefix=f".{config_path.name}.", suffix=".tmp"
    )
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        errors = validate_config(tmp)
        if errors:
            first = errors[0]
            raise ConfigError(
                str(config_path),
                first.line,
                f"{first.reason} ({after} ; {config_path.name} n'a pas été modifié)",
            )
        shutil.copymode(config_path, tmp)
        os.replace(tmp, config_path)
    finally:
        tmp.unlink(missing_ok=True)
