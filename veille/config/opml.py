"""OPML import: merge an export of Inoreader, Feedly, NetNewsWire… into feeds.yaml
(``veille opml import FILE``). Exporting is rendering: :func:`veille.render.opml.export_opml`.

**Reading** the OPML (``read_opml``, ``read_opml_document``: expat with DTD entities refused,
folders as tags, unambiguous repairs of malformed files) lives in :mod:`veille.config.opml_read`.

**Importing** (``import_opml``) merges into feeds.yaml:

* duplicates are detected by *normalised* URL: ``http``/``https`` are the same feed, so are a
  different host case, a default port and a trailing slash; the query string is kept as is,
  the fragment dropped; ``www.`` is significant. ``feed://`` URLs are read as ``http://``;
* a source already in feeds.yaml is **left unchanged** (no tag added: the file is the user's,
  an import only appends) and reported as skipped; a feed present twice in the OPML (one
  subscription in two folders) is added once with the tags of both folders, the second
  occurrence reported as skipped (« en double dans le fichier »);
* new sources are appended at the end of the ``feeds:`` list under a comment naming the OPML
  file, with ``id`` (a slug of the title, else of the host, made unique with ``-2``, ``-3``…),
  ``url``, ``title`` and ``tags``. The rest of the file is kept **byte for byte** (comments,
  order, layout): the new block is inserted as text at the place ruamel's line information
  gives, which a round-trip dump cannot promise (it re-wraps flow lists);
* the result goes through the text editor of feeds.yaml shared with ``veille tags suggest
  --apply`` (:mod:`veille.config.yamledit`): written to a temporary file next to feeds.yaml,
  checked with ``validate_config``, and only then moved over the original (``os.replace``,
  atomic); on any error feeds.yaml is untouched.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from veille.config.load import load_config
from veille.config.opml_read import (
    MAX_ID_LENGTH,
    read_opml_document,
    slugify,
)
from veille.config.yamldoc import round_trip_yaml
from veille.config.yamledit import YamlText, block_end, write_validated
from veille.errors import ConfigError
from veille.text import plural

__all__ = [
    "ImportReport",
    "ImportedFeed",
    "SkippedFeed",
    "import_opml",
    "url_key",
]


# --- importing --------------------------------------------------------------------------------


def url_key(url: str) -> str:
    """A feed URL normalised for duplicate detection (see the module docstring)."""
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").lower()
        port = parts.port
    except ValueError:
        return url.strip()
    netloc = host if port in (None, 80, 443) else f"{host}:{port}"
    path = parts.path.rstrip("/") or "/"
    return f"{netloc}{path}?{parts.query}" if parts.query else f"{netloc}{path}"


def _feed_url(url: str) -> tuple[str | None, str | None]:
    """(usable http(s) URL, None) or (None, French reason)."""
    url = url.strip()
    if url.startswith("feed:"):  # feed://host/… and feed:https://host/…
        rest = url[5:]
        url = rest if rest.startswith(("http://", "https://")) else "http:" + rest
    if any(c.isspace() for c in url):
        return None, "URL invalide (espaces)"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  # raises ValueError on a bad port
    except ValueError:
        return None, "URL invalide"
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None, "URL invalide (http:// ou https:// attendu)"
    return url, None


@dataclass(frozen=True, slots=True)
class ImportedFeed:
    id: str
    url: str
    title: str
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SkippedFeed:
    url: str
    title: str
    reason: str  # French


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What ``import_opml`` did (or would do, with ``dry_run``)."""

    source: str
    added: tuple[ImportedFeed, ...] = ()
    skipped: tuple[SkippedFeed, ...] = ()
    repairs: tuple[str, ...] = ()  # what was repaired in the OPML (French, with lines)
    notes: tuple[str, ...] = ()  # e.g. folders that gave no tag
    dry_run: bool = False  # nothing was written: the lines say what *would* be added

    def lines_fr(self) -> list[str]:
        """One line per source, for the CLI: « ajoutée : … » (« serait ajoutée : … » in a dry
        run), « ignorée (…) : … »."""
        lines = [f"OPML réparé, {r}" for r in self.repairs] + list(self.notes)
        verb = "serait ajoutée" if self.dry_run else "ajoutée"
        for f in self.added:
            tags = f" [{', '.join(f.tags)}]" if f.tags else ""
            lines.append(f"{verb} : {f.id} — {f.title} <{f.url}>{tags}")
        lines += [f"ignorée ({s.reason}) : {s.title} <{s.url}>" for s in self.skipped]
        added = len(self.added)
        if self.dry_run:
            added_text = plural(added, "source serait ajoutée", "sources seraient ajoutées")
        else:
            added_text = plural(added, "source ajoutée", "sources ajoutées")
        lines.append(f"{added_text}, {plural(len(self.skipped), 'ignorée')}")
        return lines


def import_opml(config_path: Path, opml_path: Path, *, dry_run: bool = False) -> ImportReport:
    """Merge the feeds of ``opml_path`` into feeds.yaml (see the module docstring).

    Raises ConfigError when feeds.yaml is invalid before the import, when the OPML cannot be
    read, or when the result would not validate (feeds.yaml is then untouched).
    """
    config = load_config(config_path)
    try:
        data = opml_path.read_bytes()
    except OSError as e:
        raise ConfigError(str(opml_path), None, f"lecture impossible : {e.strerror}") from e
    document = read_opml_document(data, str(opml_path))
    known = {url_key(f.url): f.id for f in config.feeds}
    ids = {f.id for f in config.feeds}
    added: dict[str, ImportedFeed] = {}
    skipped: list[SkippedFeed] = []
    notes: list[str] = []
    for feed in document.feeds:
        url, problem = _feed_url(feed.xml_url)
        if url is None:
            skipped.append(SkippedFeed(feed.xml_url, feed.title, problem or ""))
            continue
        key = url_key(url)
        if key in known:
            reason = f"déjà présente sous « {known[key]} »"
            skipped.append(SkippedFeed(url, feed.title, reason))
        elif key in added:  # one subscription in two folders: one feed, both tags
            first = added[key]
            tags = tuple(dict.fromkeys((*first.tags, *feed.tags)))
            added[key] = ImportedFeed(first.id, first.url, first.title, tags)
            reason = f"en double dans le fichier, fusionnée avec « {first.id} »"
            skipped.append(SkippedFeed(url, feed.title, reason))
        else:
            feed_id = _unique_id(feed.title, url, ids)
            ids.add(feed_id)
            added[key] = ImportedFeed(feed_id, url, feed.title, feed.tags)
        for folder in feed.folders:
            note = f"dossier « {folder} » ignoré comme thème (aucune lettre latine ni chiffre)"
            if not slugify(folder) and note not in notes:
                notes.append(note)
    report = ImportReport(
        str(opml_path),
        tuple(added.values()),
        tuple(skipped),
        document.repairs,
        tuple(notes),
        dry_run=dry_run,
    )
    if report.added and not dry_run:
        write_validated(
            config_path, _insert(config_path, report.added, opml_path.name), "après import"
        )
    return report


def _unique_id(title: str, url: str, taken: set[str]) -> str:
    base = slugify(title)
    if len(base.replace("-", "")) * 2 < sum(c.isalnum() for c in title):
        # Mostly non-Latin (« 快讯 - 36氪 » would give « 36 »): the host says more.
        base = slugify((urlsplit(url).hostname or "").removeprefix("www."))
    base = base or "source"
    candidate, n = base, 2
    while candidate in taken:
        suffix = f"-{n}"
        candidate = base[: MAX_ID_LENGTH - len(suffix)].rstrip("-") + suffix
        n += 1
    return candidate


def _insert(config_path: Path, feeds: tuple[ImportedFeed, ...], source: str) -> str:
    """The text of feeds.yaml with ``feeds`` appended to its ``feeds:`` list, the rest kept."""
    src = YamlText.read(config_path)
    lines, doc = src.lines, src.doc
    seq = doc["feeds"]
    keys = list(doc)
    feeds_line = int(doc.lc.key("feeds")[0])
    if isinstance(seq, CommentedSeq) and seq and not seq.fa.flow_style():
        last_line, key_col = (int(x) for x in seq.lc.item(len(seq) - 1))
        dash_col = lines[last_line].rfind("-", 0, key_col)
        after = keys.index("feeds") + 1
        end = int(doc.lc.key(keys[after])[0]) if after < len(keys) else len(lines)
        # before the blank lines and top-level comments that precede the next key
        at = block_end(lines, last_line, end, 1)
        # Blank lines between items if the last one has one before it (or is alone).
        spaced = len(seq) == 1 or not lines[last_line - 1].strip()
    elif not seq:  # « feeds: » or « feeds: [] »
        emptied = re.sub(r"^(\s*feeds:)\s*\[\s*\]", r"\1", lines[feeds_line])
        src = YamlText.parse(
            "".join([*lines[:feeds_line], emptied, *lines[feeds_line + 1 :]]), src.where, doc
        )
        at, dash_col, key_col, spaced = feeds_line + 1, 2, 4, True
    else:
        raise ConfigError(
            str(config_path),
            feeds_line + 1,
            "« feeds » est écrit en liste [ … ] : écrivez-le en lignes « - id: … » pour importer",
        )
    return src.insert(at, _yaml_block(feeds, source, dash_col, key_col, spaced))


def _yaml_block(
    feeds: tuple[ImportedFeed, ...], source: str, dash_col: int, key_col: int, spaced: bool
) -> str:
    yaml = round_trip_yaml()
    yaml.width = 4096  # one line per value, however long the title
    dash = " " * dash_col + "-" + " " * (key_col - dash_col - 1)
    indent = " " * key_col
    out = ["\n"] if spaced else []
    out.append(f"{' ' * dash_col}# Importées de {' '.join(source.split())} (veille opml import)\n")
    for i, feed in enumerate(feeds):
        item = CommentedMap(id=feed.id, url=feed.url, title=feed.title)
        if feed.tags:
            tags = CommentedSeq(feed.tags)
            tags.fa.set_flow_style()
            item["tags"] = tags
        buf = io.StringIO()
        yaml.dump(item, buf)
        body = buf.getvalue().splitlines(keepends=True)
        if spaced and i:
            out.append("\n")
        out.append(dash + body[0])
        out.extend(indent + line for line in body[1:])
    return "".join(out)
