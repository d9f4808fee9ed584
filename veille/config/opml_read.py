"""OPML reading: an export of Inoreader, Feedly, NetNewsWire… as frozen ``OpmlFeed`` objects.

``read_opml`` goes through expat (the standard library's XML parser) with every DTD entity
declaration refused (no "billion laughs", no external entities). Only the ``<outline>``
elements of ``<body>`` count: one with an ``xmlUrl`` is a feed (title: its ``title``, else
``text``, else the URL's host), one without is a folder. Nested folder names all become tags of
the feeds inside, slugified (« Éducation & Numérique » → ``education-numerique``; a name
without Latin letters or digits gives no tag), and so do the parts of an OPML 2.0 ``category``
attribute (``"/actualite,/ia"``, what our export writes).

**Malformed OPML** is repaired only when the repair is unambiguous, then parsed again:

* a raw ``&`` (very common in URLs: ``…?page=backend&lang=en``) not followed by an entity or
  character reference becomes ``&amp;`` (comments and CDATA sections are left alone);
* an HTML entity that XML does not define (``&eacute;``, ``&nbsp;``) becomes its character.

Anything else (an unknown ``&name;``, a raw ``<`` in an attribute, an unclosed tag, bytes that
are not in the declared encoding) is refused with ``ConfigError(file, line, raison)``; for an
unclosed tag the reason names the line where it was opened.

``slugify`` (folder name → tag, title → feed id) lives here because ``OpmlFeed.tags`` needs it.
Merging into feeds.yaml lives in :mod:`veille.config.opml`; exporting is rendering
(:func:`veille.render.opml.export_opml`).
"""

from __future__ import annotations

import html.entities
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit
from xml.parsers import expat

from veille.errors import ConfigError
from veille.text import fold

__all__ = [
    "MAX_ID_LENGTH",
    "OpmlDocument",
    "OpmlFeed",
    "read_opml",
    "read_opml_document",
    "slugify",
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


def slugify(text: str, max_length: int = MAX_ID_LENGTH) -> str:
    """« Éducation & Numérique » → ``education-numerique`` (empty without Latin letters)."""
    slug = "-".join(re.findall(r"[a-z0-9]+", fold(text)))
    if len(slug) > max_length:
        cut = slug[: max_length + 1]
        slug = cut.rsplit("-", 1)[0] if "-" in cut else slug[:max_length]
    return slug


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
