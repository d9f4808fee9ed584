"""Bytes → text for feeds and pages: BOM, HTTP charset, declared charset, content — pure.

Order of evidence (RFC 7303 and what works in the wild):

1. a byte order mark, or the null-byte pattern of UTF-16/32 at the start;
2. the HTTP ``charset``, then the document's own declaration (``<?xml encoding>`` or
   ``<meta charset>``), then UTF-8 — the first that decodes the bytes without error wins;
3. a declared legacy charset loses to UTF-8 when the bytes are valid UTF-8 with non-ASCII
   characters (servers and CMSs keep saying ISO-8859-1 long after moving to UTF-8, while
   Latin-1 text that happens to be valid UTF-8 practically never occurs);
4. otherwise a guess (charset-normalizer), where any Western single-byte guess becomes
   windows-1252: French text undeclared is windows-1252 or Latin-1, and the guesser cannot
   tell cp1250 from cp1252 on a few accented letters.

``iso-8859-1`` and ``us-ascii`` labels are read as windows-1252, as browsers do (WHATWG).
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Mapping

import charset_normalizer

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_NULL_PATTERNS = (
    (b"\x00\x00\x00<", "utf-32-be"),
    (b"<\x00\x00\x00", "utf-32-le"),
    (b"\x00<\x00?", "utf-16-be"),
    (b"<\x00?\x00", "utf-16-le"),
)
_XML_DECLARATION = re.compile(rb"^\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._:-]+)[\"']")
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?([A-Za-z0-9._:-]+)", re.IGNORECASE)
_HTTP_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9._:-]+)", re.IGNORECASE)
_WESTERN = re.compile(r"^(cp125[02478]|latin_1|iso8859_(1|2|3|4|9|10|13|14|15|16)|mac_.*|cp8\d\d)$")


def http_charset(headers: Mapping[str, str]) -> str | None:
    """The ``charset`` parameter of the Content-Type header, if any."""
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    match = _HTTP_CHARSET.search(content_type or "")
    return match[1] if match else None


def _codec(label: str | None) -> str | None:
    """Python's name for a charset label, None if unknown."""
    if not label:
        return None
    try:
        name = codecs.lookup(label.strip()).name
    except LookupError:
        return None
    return "cp1252" if name in ("latin-1", "iso8859-1", "ascii") else name


def _sniff_unicode(body: bytes) -> tuple[str, int] | None:
    """(codec, bytes to skip) when a BOM or a UTF-16/32 null pattern gives the encoding."""
    for bom, name in _BOMS:
        if body.startswith(bom):
            return name, len(bom)
    start = body.lstrip(b" \t\r\n") if body[:1] in b" \t\r\n" else body
    for pattern, name in _NULL_PATTERNS:
        if start.startswith(pattern) or body.startswith(pattern):
            return name, 0
    return None


def _guess(body: bytes) -> str:
    if sum(b > 0x7F for b in body[:65536]) < 8:
        return "cp1252"  # too little evidence for a guesser: assume our publishers' charset
    matches = charset_normalizer.from_bytes(body)
    best = matches.best()
    if best is None:
        return "cp1252"
    if _WESTERN.match(best.encoding) or any(
        m.encoding == "cp1252" and m.chaos <= best.chaos + 0.05 for m in matches
    ):
        return "cp1252"
    return best.encoding


def decode(body: bytes, headers: Mapping[str, str], *, html: bool = False) -> tuple[str, str]:
    """``(text, codec)`` for an XML (or, with ``html``, an HTML) document; never fails."""
    sniffed = _sniff_unicode(body)
    if sniffed:
        name, skip = sniffed
        return body[skip:].decode(name, "replace"), name
    head = body[:2048]
    match = (_META_CHARSET if html else _XML_DECLARATION).search(head)
    declared = match[1].decode("ascii") if match else None
    has_non_ascii = not body.isascii()
    candidates = [_codec(http_charset(headers)), _codec(declared), "utf-8"]
    for name in dict.fromkeys(c for c in candidates if c):
        if name.startswith(("utf-16", "utf-32")):
            continue  # declared, but no BOM nor null bytes: a lie (the bytes are ASCII-based)
        if name != "utf-8" and has_non_ascii:
            try:
                return body.decode("utf-8"), "utf-8"
            except UnicodeDecodeError:
                pass
        try:
            return body.decode(name), name
        except UnicodeDecodeError:
            if name == "cp1252":  # five bytes cp1252 leaves undefined: Latin-1 has them all
                return body.decode("latin-1"), "latin-1"
    name = _guess(body)
    return body.decode(name, "replace"), name
