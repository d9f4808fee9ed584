"""The text editor of feeds.yaml (``config/yamledit.py``, shared by ``opml import`` and
``tags suggest --apply``): a text added to or removed from a list of terms, in flow or block
style, and nothing else of the file changes — checked on written cases and on every list of
the shipped feeds.yaml; the validated write leaves the file untouched when the result is
refused."""

from __future__ import annotations

import difflib
import re
import tempfile
from dataclasses import replace
from pathlib import Path

import pytest

from veille.config.load import load_config
from veille.config.yamledit import YamlText, append_scalar, remove_scalar, write_validated
from veille.errors import ConfigError
from veille.models import TagRule

ROOT = Path(__file__).resolve().parent.parent

THEMES = """\
feeds: []
tags:
  a:
    label: A   # le thème A
    match: ["x", 'y''z', plain w,
            "last"]   # fin de liste
    weak:
      - one
      - "two"   # deux

    # avant ignore
    ignore: []
  b:
    label: B
    exclude:   # rien encore
  # le thème C
  c:
    label: C

# les lettres
digests: {}
"""


def changed(before: str, after: str) -> tuple[list[str], list[str]]:
    """(lines removed, lines added) between two texts."""
    diff = list(difflib.ndiff(before.splitlines(keepends=True), after.splitlines(keepends=True)))
    return [d[2:] for d in diff if d[0] == "-"], [d[2:] for d in diff if d[0] == "+"]


@pytest.mark.parametrize(
    ("path", "value", "removed", "added"),
    [
        (
            "a.match",
            "nouveau",
            ['            "last"]   # fin de liste\n'],
            ['            "last", "nouveau"]   # fin de liste\n'],
        ),
        ("a.weak", "trois", [], ['      - "trois"\n']),
        (
            "a.ignore",
            "tablette de chocolat",
            ["    ignore: []\n"],
            ['    ignore: ["tablette de chocolat"]\n'],
        ),
        (
            "b.exclude",
            "zz",
            ["    exclude:   # rien encore\n"],
            ['    exclude: ["zz"] # rien encore\n'],
        ),
        (
            "b.match",
            '« guillemets » "doubles"',
            [],
            ['    match: ["« guillemets » \\"doubles\\""]\n'],
        ),
        ("c.hosts", "ac-*.fr", [], ['    hosts: ["ac-*.fr"]\n']),
    ],
)
def test_append_changes_only_its_lines(
    path: str, value: str, removed: list[str], added: list[str]
) -> None:
    src = YamlText.parse(THEMES, "feeds.yaml")
    theme, key = path.split(".")
    after = append_scalar(src, ("tags", theme, key), value)
    assert changed(THEMES, after) == (removed, added)
    # The result is YAML whose list now ends with the value (read back, not compared as text).
    assert list(YamlText.parse(after, "x").doc["tags"][theme][key])[-1] == value


def test_the_new_key_goes_before_the_comment_of_the_next_theme() -> None:
    after = append_scalar(YamlText.parse(THEMES, "f"), ("tags", "b", "match"), "mm")
    assert '    exclude:   # rien encore\n    match: ["mm"]\n  # le thème C\n' in after


@pytest.mark.parametrize(
    ("key", "value", "removed", "added"),
    [
        (
            "match",
            "x",
            ["    match: [\"x\", 'y''z', plain w,\n"],
            ["    match: ['y''z', plain w,\n"],
        ),
        (
            "match",
            "y'z",
            ["    match: [\"x\", 'y''z', plain w,\n"],
            ['    match: ["x", plain w,\n'],
        ),
        (
            "match",
            "plain w",
            ["    match: [\"x\", 'y''z', plain w,\n"],
            ["    match: [\"x\", 'y''z',\n"],
        ),
        (
            "match",
            "last",
            ["    match: [\"x\", 'y''z', plain w,\n", '            "last"]   # fin de liste\n'],
            ["    match: [\"x\", 'y''z', plain w]   # fin de liste\n"],
        ),
        ("weak", "two", ['      - "two"   # deux\n'], []),
        ("weak", "one", ["      - one\n"], []),
    ],
)
def test_remove_changes_only_its_lines(
    key: str, value: str, removed: list[str], added: list[str]
) -> None:
    after = remove_scalar(YamlText.parse(THEMES, "feeds.yaml"), ("tags", "a", key), value)
    assert changed(THEMES, after) == (removed, added)
    assert value not in list(YamlText.parse(after, "x").doc["tags"]["a"][key])


def test_a_line_holding_one_item_goes_away_whole() -> None:
    text = 'tags:\n  a:\n    match: ["x",\n            "y",\n            "z"]\n'
    after = remove_scalar(YamlText.parse(text, "f"), ("tags", "a", "match"), "y")
    assert after == 'tags:\n  a:\n    match: ["x",\n            "z"]\n'


def test_long_flow_lists_go_on_with_a_new_line_aligned_on_the_first_item() -> None:
    text = "tags:\n  a:\n    match: [" + ", ".join(f'"terme{i:02}"' for i in range(8)) + "]\n"
    assert len(text.splitlines()[-1]) > 90
    after = append_scalar(YamlText.parse(text, "f"), ("tags", "a", "match"), "un terme assez long")
    assert after.endswith('"terme07",\n            "un terme assez long"]\n')


def test_crlf_files_keep_their_line_endings() -> None:
    text = THEMES.replace("\n", "\r\n")
    after = append_scalar(YamlText.parse(text, "f"), ("tags", "c", "weak"), "w")
    assert "\n" not in after.replace("\r\n", "")
    assert after.replace('    weak: ["w"]\r\n', "") == text


def test_refusals_name_the_place() -> None:
    src = YamlText.parse(THEMES, "f")
    with pytest.raises(ConfigError, match="introuvable"):
        append_scalar(src, ("tags", "inconnu", "match"), "t")
    with pytest.raises(ConfigError, match="absent"):
        remove_scalar(src, ("tags", "a", "match"), "pas là")
    flow = YamlText.parse("tags:\n  d: {label: D, match: [q]}\n", "feeds.yaml")
    with pytest.raises(ConfigError, match=re.escape("écrit entre { … }")) as e:
        append_scalar(flow, ("tags", "d", "match"), "t")
    assert (e.value.path, e.value.line) == ("feeds.yaml", 2)


def test_every_list_of_the_shipped_feeds_yaml() -> None:
    """On the real file (multi-line flow lists, comments between themes): adding a term to
    each list and removing its first term change that list only, and one or two lines."""
    path = ROOT / "feeds.yaml"
    text = path.read_text(encoding="utf-8")
    src = YamlText.read(path)
    config = load_config(path)
    tried = 0
    for rule in config.tags:
        for key in ("match", "weak", "ignore"):
            terms = getattr(rule, key)
            for edit in ("append", "remove"):
                if edit == "append":
                    after = append_scalar(src, ("tags", rule.name, key), "terme ajouté")
                    wanted = (*terms, "terme ajouté")
                elif terms:
                    after = remove_scalar(src, ("tags", rule.name, key), terms[0])
                    wanted = terms[1:]
                else:
                    continue
                removed, added = changed(text, after)
                assert len(removed) <= 2 and len(added) <= 2, (rule.name, key, edit)
                new = themes_of(after)
                expected = tuple(
                    replace(r, **{key: wanted}) if r is rule else r for r in config.tags
                )
                assert new == expected, (rule.name, key, edit)
                tried += 1
    assert tried > 40


def themes_of(text: str) -> tuple[TagRule, ...]:
    """The themes of ``text`` as the normal loader reads them."""
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "feeds.yaml"
        p.write_text(text, encoding="utf-8")
        return load_config(p).tags


def test_a_refused_result_leaves_the_file_untouched(tmp_path: Path) -> None:
    config = tmp_path / "feeds.yaml"
    good = "feeds: []\ntags:\n  a:\n    match: [x]\n"
    config.write_text(good, encoding="utf-8")
    bad = good.replace("match: [x]", "match: [x]\n    nimporte: 1")
    with pytest.raises(ConfigError, match="n'a pas été modifié") as e:
        write_validated(config, bad, "après la modification")
    assert e.value.line == 5 and "nimporte" in e.value.reason
    assert config.read_text(encoding="utf-8") == good
    assert sorted(p.name for p in tmp_path.iterdir()) == ["feeds.yaml"]  # no temp file left
    write_validated(config, good.replace("[x]", "[x, y]"), "après la modification")
    assert load_config(config).tags[0].match == ("x", "y")
