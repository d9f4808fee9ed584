"""OPML in and out: read an export of Inoreader, Feedly, NetNewsWire…; merge it into
feeds.yaml (``veille opml import FILE``); export the sources (``veille opml export``).

**Reading** (``read_opml``) goes through expat (the standard library's XML parser) with every
DTD entity declaration refused (no "billion laughs", no external entities). Only the
``<outline>`` elements of ``<body>`` count: one with an ``xmlUrl`` is a feed (title: its
``title``, else ``text``, else the URL's host), one without is a folder. Nested folder names
all become tags of the feeds inside, slugified (« Éducation & Numérique » →
``education-numerique``; a name without Latin letters or digits gives no tag), and so do the
parts of an OPML 2.0 ``category`` attribute (``"/actualite,/ia"``, what our export writes).

**Malformed OPML** is repaired only when the repair is unambiguous, then parsed again:

* a raw ``&`` (very common in URLs: ``…?page=backend&lang=en``) not followed by an entity or
  character reference becomes ``&amp;`` (comments and CDATA sections are left alone);
* an HTML entity that XML does not define (``&eacute;``, ``&nbsp;``) becomes its character.

Anything else (an unknown ``&name;``, a raw ``<`` in an attribute, an unclosed tag, bytes that
are not in the declared encoding) is refused with ``ConfigError(file, line, raison)``; for an
unclosed tag the reason names the line where it was opened.

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
* the result is written to a temporary file next to feeds.yaml, checked with
  ``validate_config``, and only then moved over the original (``os.replace``, atomic); on any
  error feeds.yaml is untouched.

``export_opml(config)`` renders the sources with ``veille.render.opml.render_opml``.
"""

from __future__ import annotations

import html.entities
import io
import os
import re
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from xml.parsers import expat

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from .config import load_config, read_document, round_trip_yaml, validate_config
from .errors import ConfigError
from .models import Config
from .render.opml import render_opml
from .text import fold

__all__ = [
    "ImportReport",
    "ImportedFeed",
    "OpmlDocument",
    "OpmlFeed",
    "SkippedFeed",
    "export_opml",
    "import_opml",
    "read_opml",
    "read_opml_document",
    "slugify",
    "url_key",
]

MAX_ID_LENGTH = 40


@dataclass(frozen=True, slots=True)
class OpmlFeed:
    """One subscription of an OPML file."""

    title: str
    xml_url: str
    html_url: str | None = None
    folders: tuple[str, ...] = ()  # enclosing folder names, outermost first
    categories: tuple[str, ...] = ()  # parts of the OPML 2.0 ``category`` attribute

    @property
    def tags(self) -> tuple[str, ...]:
        """Folder names and categories as feed tags (slugs), without duplicates."""
        slugs = (slugify(name) for name in (*self.folders, *self.categories))
        return tuple(dict.fromkeys(s for s in slugs if s))


@dataclass(frozen=True, slots=True)
class OpmlDocument:
    title: str
    feeds: tuple[OpmlFeed, ...]
    repairs: tuple[str, ...] = ()  # what was repaired, in French, with lines


# --- reading ----------------------------------------------------------------------------------


def read_opml(data: bytes, name: str = "<opml>") -> list[OpmlFeed]:
    """The feeds of an OPML document; raises ConfigError(name, line, raison)."""
    return list(read_opml_document(data, name).feeds)


def read_opml_document(data: bytes, name: str = "<opml>") -> OpmlDocument:
    """The OPML document, repaired when unambiguous (see the module docstring)."""
    try:
        return _parse(data, name)
    except expat.ExpatError as first:
        repaired, repairs = _repair(data)
        if not repairs:
            raise _error(name, data, first) from None
        try:
            return _parse(repaired, name, tuple(repairs))
        except expat.ExpatError as e:
            raise _error(name, repaired, e) from None


_FRENCH = {  # expat's messages, for referents
    "not well-formed (invalid token)": "XML mal formé (caractère interdit à cet endroit, "
    "par exemple « < » non échappé)",
    "mismatched tag": "balise fermante qui ne correspond pas à la balise ouverte",
    "unclosed token": "balise non terminée",
    "no element found": "document incomplet (balise non fermée ou fichier vide)",
    "junk after document element": "contenu après la fin du document",
    "duplicate attribute": "attribut en double",
    "unknown encoding": "encodage inconnu",
}
_DECLARED = re.compile(rb"""^(?:\xef\xbb\xbf)?<\?xml[^>]*encoding\s*=\s*["']([\w.-]+)""")


def _error(name: str, data: bytes, e: expat.ExpatError) -> ConfigError:
    message = expat.errors.messages[e.code]
    reason = getattr(e, "reason_fr", None) or _FRENCH.get(message, f"XML mal formé ({message})")
    line = data.split(b"\n")[e.lineno - 1] if e.lineno else b""
    if message == expat.errors.XML_ERROR_UNDEFINED_ENTITY:
        ref = re.match(rb"&[\w.-]*;?", line[e.offset :])
        shown = ref.group().decode("ascii", "replace") if ref else "&…;"
        reason = f"entité « {shown} » inconnue en XML (écrivez « &amp; » pour un « & »)"
    elif message == expat.errors.XML_ERROR_INVALID_TOKEN:
        m = _DECLARED.match(data)
        declared = m.group(1).decode("ascii") if m else "UTF-8"
        try:
            line.decode(declared)
        except (UnicodeDecodeError, LookupError):
            reason = f"octets invalides pour l'encodage déclaré ({declared})"
    return ConfigError(name, e.lineno or None, reason)


def _fail(parser: Any, reason: str, line: int | None = None) -> expat.ExpatError:
    """An ExpatError of ours, raised from a handler (expat stops and re-raises it)."""
    e = expat.ExpatError(reason)
    e.code = expat.errors.codes[expat.errors.XML_ERROR_INVALID_ARGUMENT]
    e.lineno, e.offset = line or parser.CurrentLineNumber, parser.CurrentColumnNumber
    e.reason_fr = reason  # type: ignore[attr-defined]
    return e


def _parse(data: bytes, name: str, repairs: tuple[str, ...] = ()) -> OpmlDocument:
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    stack: list[tuple[str, int]] = []  # open elements and their lines
    folders: list[str] = []  # one per open <outline>: its name if a folder, else ""
    feeds: list[OpmlFeed] = []
    title: list[str] = []

    def refuse(*_: Any) -> None:
        raise _fail(parser, "déclaration d'entité (DTD) refusée, par sécurité")

    def start(tag: str, attrs: dict[str, str]) -> None:
        path = [t for t, _ in stack]
        stack.append((tag, parser.CurrentLineNumber))
        if not path and tag != "opml":
            raise _fail(parser, f"pas un document OPML (élément racine <{tag}>)")
        if tag != "outline":
            return
        url = (attrs.get("xmlUrl") or attrs.get("xmlurl") or "").strip()
        label = " ".join((attrs.get("title") or attrs.get("text") or "").split())
        in_body = path[:2] == ["opml", "body"] and set(path[2:]) <= {"outline"}
        folders.append("" if url or not in_body else label)
        if url and in_body:
            categories = attrs.get("category", "").replace(",", "/").split("/")
            feeds.append(
                OpmlFeed(
                    title=label or urlsplit(url).hostname or url,
                    xml_url=url,
                    html_url=(attrs.get("htmlUrl") or "").strip() or None,
                    folders=tuple(f for f in folders[:-1] if f),
                    categories=tuple(c.strip() for c in categories if c.strip()),
                )
            )

    def end(tag: str) -> None:
        stack.pop()
        if tag == "outline":
            folders.pop()

    def text(data: str) -> None:
        if [t for t, _ in stack] == ["opml", "head", "title"]:
            title.append(data)

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    parser.EntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse  # type: ignore[assignment]
    try:
        parser.Parse(data, True)
    except expat.ExpatError as e:
        message = expat.errors.messages[e.code]
        if stack and message in (expat.errors.XML_ERROR_TAG_MISMATCH, "no element found"):
            tag, line = stack[-1]
            reason = _FRENCH.get(message, message)
            closed = f"{reason} : <{tag}> ouverte ligne {line} n'est pas fermée"
            raise _fail(parser, closed, e.lineno) from e
        raise
    return OpmlDocument(" ".join("".join(title).split()), tuple(feeds), repairs)


# A comment, a CDATA section, or an "&" with what follows it.
_AMP = re.compile(
    rb"<!--.*?-->|<!\[CDATA\[.*?\]\]>|&(#[0-9]+;|#x[0-9A-Fa-f]+;|[A-Za-z][\w.-]*;)?", re.S
)
_XML_ENTITIES = {b"amp;", b"lt;", b"gt;", b"quot;", b"apos;"}


def _repair(data: bytes) -> tuple[bytes, list[str]]:
    """``data`` with raw ``&`` escaped and HTML entities replaced; what was done, by line."""
    repairs: list[str] = []

    def fix(m: re.Match[bytes]) -> bytes:
        if m.group().startswith(b"<"):
            return m.group()
        ref = m.group(1)
        line = data.count(b"\n", 0, m.start()) + 1
        if ref is None:
            repairs.append(f"ligne {line} : « & » non échappé remplacé par « &amp; »")
            return b"&amp;"
        if ref.startswith(b"#") or ref in _XML_ENTITIES:
            return m.group()
        char = html.entities.html5.get(ref.decode("ascii"))
        if char is None:
            return m.group()  # an unknown entity is ambiguous: left for expat to refuse
        repairs.append(f"ligne {line} : entité HTML « &{ref.decode()} » remplacée par « {char} »")
        return b"".join(b"&#%d;" % ord(c) for c in char)

    return _AMP.sub(fix, data), repairs


# --- importing --------------------------------------------------------------------------------


def slugify(text: str, max_length: int = MAX_ID_LENGTH) -> str:
    """« Éducation & Numérique » → ``education-numerique`` (empty without Latin letters)."""
    slug = "-".join(re.findall(r"[a-z0-9]+", fold(text)))
    if len(slug) > max_length:
        cut = slug[: max_length + 1]
        slug = cut.rsplit("-", 1)[0] if "-" in cut else slug[:max_length]
    return slug


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

    def lines_fr(self) -> list[str]:
        """One line per source, for the CLI: « ajoutée : … », « ignorée (…) : … »."""
        lines = [f"OPML réparé, {r}" for r in self.repairs] + list(self.notes)
        for f in self.added:
            tags = f" [{', '.join(f.tags)}]" if f.tags else ""
            lines.append(f"ajoutée : {f.id} — {f.title} <{f.url}>{tags}")
        lines += [f"ignorée ({s.reason}) : {s.title} <{s.url}>" for s in self.skipped]
        a, s = len(self.added), len(self.skipped)
        lines.append(
            f"{a} source{'s' if a > 1 else ''} ajoutée{'s' if a > 1 else ''}, "
            f"{s} ignorée{'s' if s > 1 else ''}"
        )
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
        str(opml_path), tuple(added.values()), tuple(skipped), document.repairs, tuple(notes)
    )
    if report.added and not dry_run:
        _write(config_path, _insert(config_path, report.added, opml_path.name))
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
    raw = config_path.read_bytes().decode("utf-8")
    newline = "\r\n" if "\r\n" in raw else "\n"
    lines = raw.splitlines(keepends=True)
    doc = read_document(config_path)
    seq = doc["feeds"]
    keys = list(doc)
    feeds_line = int(doc.lc.key("feeds")[0])
    if isinstance(seq, CommentedSeq) and seq and not seq.fa.flow_style():
        last_line, key_col = (int(x) for x in seq.lc.item(len(seq) - 1))
        dash_col = lines[last_line].rfind("-", 0, key_col)
        after = keys.index("feeds") + 1
        end = int(doc.lc.key(keys[after])[0]) if after < len(keys) else len(lines)
        at = end
        while at - 1 > last_line and (not lines[at - 1].strip() or lines[at - 1][0] == "#"):
            at -= 1  # before the blank lines and top-level comments that precede the next key
        # Blank lines between items if the last one has one before it (or is alone).
        spaced = len(seq) == 1 or not lines[last_line - 1].strip()
    elif not seq:  # « feeds: » or « feeds: [] »
        lines[feeds_line] = re.sub(r"^(\s*feeds:)\s*\[\s*\]", r"\1", lines[feeds_line])
        at, dash_col, key_col, spaced = feeds_line + 1, 2, 4, True
    else:
        raise ConfigError(
            str(config_path),
            feeds_line + 1,
            "« feeds » est écrit en liste [ … ] : écrivez-le en lignes « - id: … » pour importer",
        )
    block = _yaml_block(feeds, source, dash_col, key_col, spaced)
    if at > 0 and not lines[at - 1].endswith(("\n", "\r")):
        lines[at - 1] += newline
    return "".join(lines[:at]) + block.replace("\n", newline) + "".join(lines[at:])


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


def _write(config_path: Path, text: str) -> None:
    """Validate ``text`` as feeds.yaml in a temporary file, then replace the original."""
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
                f"{first.reason} (après import ; {config_path.name} n'a pas été modifié)",
            )
        shutil.copymode(config_path, tmp)
        os.replace(tmp, config_path)
    finally:
        tmp.unlink(missing_ok=True)


# --- exporting --------------------------------------------------------------------------------


def export_opml(
    config: Config,
    *,
    now: datetime | None = None,
    site_titles: Mapping[str, str] | None = None,
    site_urls: Mapping[str, str] | None = None,
    title: str = "Sources de veille",
) -> bytes:
    """The sources of ``config`` as OPML 2.0 (``now``: the current time when not given)."""
    return render_opml(config.feeds, title, now or datetime.now(UTC), site_titles, site_urls)
