"""Turn untrusted feed text into safe values: HTML through nh3, text without markup, clean URLs.

Every field of a :class:`~veille.models.ParsedEntry` goes through this module, whatever the
format it came from (RSS, Atom, RDF, JSON Feed), so the rules are written once:

* HTML (summaries, contents) keeps an allow-list of tags; links and images keep only
  ``http``, ``https`` and ``mailto`` URLs, made absolute against the entry's base URL;
  links get ``rel="noopener noreferrer"``.
* Text (titles, authors, categories, feed titles) goes through :func:`plain_text` alone: its
  tags go, its entities are decoded once, its whitespace is collapsed. Markup that decoding
  reveals (a double-escaped ``&amp;lt;b&amp;gt;``) goes too: no title carries a tag, since many
  readers render RSS titles as HTML.
* Control characters go from every field, HTML and URLs included (:func:`strip_controls`):
  C0 but tab/newline/carriage return, DEL, C1, U+FFFE, U+FFFF and lone surrogates. The XML
  we render cannot carry most of them, and the others (DEL, C1) are invisible or garbage in
  every output, JSON Feed included. A C1 character that windows-1252 defines is that
  character mis-decoded (``\x92`` for ``’``): it becomes the character, as in feedparser.
* Canonical links are absolute ``http(s)`` URLs without tracking parameters.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urljoin, urlsplit, urlunsplit

import nh3

from veille.ingest.parse.dates import clamp
from veille.models import ParsedEntry

# --- control characters -------------------------------------------------------------------

_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff]")


def _cp1252(c: int) -> str:
    try:
        return bytes([c]).decode("cp1252")
    except UnicodeDecodeError:  # the five bytes windows-1252 leaves undefined
        return ""


_C1_REPAIRS = {chr(c): _cp1252(c) for c in range(0x80, 0xA0)}


def _repair(match: re.Match[str]) -> str:
    return _C1_REPAIRS.get(match[0], "")


def strip_controls(s: str) -> str:
    """``s`` without control characters (C0 but tab/newline/CR, DEL, C1), U+FFFE, U+FFFF and
    lone surrogates; a C1 character windows-1252 defines becomes that character."""
    return _CONTROLS.sub(_repair, s)


# --- plain text ---------------------------------------------------------------------------

# ASCII whitespace only: a non-breaking space is French typography (« … », « : »), kept.
_SPACES = re.compile(r"[ \t\n\r\f\v]+")


def plain_text(s: str) -> str:
    """Text without markup: tags removed, entities decoded once, whitespace collapsed,
    controls removed — the one rule for titles, authors and categories of every source.

    Titles often arrive as escaped HTML (``Caf&amp;eacute;``, ``<b>Nouveau</b>``): the tags go
    (with the content of ``<script>``/``<style>``), the entities are decoded. If decoding
    reveals tags (``&amp;lt;b&amp;gt;``, escaped twice), those go too, without decoding the
    rest a second time: the result never contains a tag.
    """
    if "<" in s:
        s = _without_tags(s)
    elif "&" in s:
        s = html.unescape(s)
    if _TAG.search(s):
        s = _without_tags(s.replace("&", "&amp;"))
    # Last: a character reference ("&#27;") decodes to a control character.
    return _SPACES.sub(" ", strip_controls(s)).strip()


# What an HTML parser takes for markup: a start or end tag, a comment, a declaration.
_TAG = re.compile(r"<[A-Za-z/!?]")


def _without_tags(fragment: str) -> str:
    # nh3 with no allowed tag keeps the text and drops script/style content; its output
    # escapes &, < and > again, hence the unescape. No "<x" can remain: nh3 parsed it.
    return html.unescape(nh3.clean(fragment, tags=set(), attributes={}, strip_comments=True))


# --- HTML ---------------------------------------------------------------------------------

ALLOWED_TAGS = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "dd", "del", "details",
        "dfn", "div", "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5",
        "h6", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "picture", "pre", "q",
        "s", "samp", "small", "span", "strong", "sub", "summary", "sup", "table", "tbody", "td",
        "tfoot", "th", "thead", "time", "tr", "u", "ul",
    }
)  # fmt: skip

ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    "a": {"href", "title", "hreflang"},
    "img": {"src", "alt", "title", "width", "height"},
    "abbr": {"title"},
    "blockquote": {"cite"},
    "q": {"cite"},
    "del": {"cite", "datetime"},
    "ins": {"cite", "datetime"},
    "time": {"datetime"},
    "td": {"colspan", "rowspan", "headers"},
    "th": {"colspan", "rowspan", "headers", "scope"},
    "ol": {"start", "reversed", "type"},
    "li": {"value"},
    "*": {"lang", "dir"},
}

URL_SCHEMES = frozenset({"http", "https", "mailto"})

# Removed with their content, not just unwrapped (nh3 keeps the text of other dropped tags).
_DROP_WITH_CONTENT = {"script", "style", "iframe", "object", "embed", "form", "noscript", "svg"}
_DROP_WITH_CONTENT |= {"math", "template", "textarea", "select", "button", "title"}


def sanitize_html(fragment: str, base_url: str | None) -> str:
    """Safe HTML: allow-listed tags and attributes, absolute http(s)/mailto URLs only.

    Relative ``href``/``src`` are resolved against ``base_url`` (the entry's ``xml:base`` or
    the feed URL); without a usable base they are dropped rather than left dangling.
    """
    fragment = strip_controls(fragment).strip()
    if not fragment:
        return ""
    relative: object = "deny"
    if base_url and urlsplit(base_url).scheme in ("http", "https"):
        relative = ("rewrite_with_base", base_url)
    try:
        cleaned = _clean(fragment, relative)
    except ValueError:  # a base nh3 refuses (e.g. an invalid host): drop relative URLs
        cleaned = _clean(fragment, "deny")
    # Again: nh3 decodes character references ("&#27;") into the characters themselves.
    return strip_controls(cleaned).strip()


def _clean(fragment: str, relative: object) -> str:
    return nh3.clean(
        fragment,
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(_DROP_WITH_CONTENT),
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer",
        strip_comments=True,
        url_relative=relative,  # type: ignore[arg-type]
    )


def text_to_html(text: str) -> str:
    """A plain-text body (JSON Feed ``content_text``, Atom ``type="text"``) as safe HTML."""
    text = strip_controls(text).strip()
    if not text:
        return ""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    return "".join(f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in paragraphs)


# --- URLs ---------------------------------------------------------------------------------

# Query parameters that only say where a click came from. Prefixes, then exact names.
_TRACKING_PREFIXES = ("utm_", "at_", "pk_", "mtm_", "_hs")
_TRACKING_NAMES = frozenset(
    {
        "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid", "igshid",
        "mc_cid", "mc_eid", "xtor", "xts", "xtref", "ncid", "oly_enc_id", "oly_anon_id",
        "vero_id", "wickedid", "_ga", "_gl", "ref_src",
    }
)  # fmt: skip


def _is_tracking(name: str) -> bool:
    name = name.lower()
    return name in _TRACKING_NAMES or name.startswith(_TRACKING_PREFIXES)


def _strip_tracking(query: str) -> str:
    # Filter the raw "a=1&b=2" pairs instead of parse_qsl/urlencode: the URL keeps its
    # exact bytes (encoding, order, blank values), only tracking pairs go.
    pairs = [p for p in query.split("&") if p and not _is_tracking(p.split("=", 1)[0])]
    return "&".join(pairs)


def _fragment_is_tracking(fragment: str) -> bool:
    # "#xtor=RSS-3" (Le Monde, AT Internet) or "#utm_source=…": a query-like fragment made
    # only of tracking parameters. Other fragments are kept: an anchor can be the only
    # thing that tells two entries apart (one page, one anchor per news item).
    pairs = [p for p in re.split("[&;]", fragment) if p]
    return bool(pairs) and all("=" in p and _is_tracking(p.split("=", 1)[0]) for p in pairs)


def canonical_url(url: str | None, base: str | None = None) -> str | None:
    """An absolute http(s) URL without tracking parameters, or None if there is none.

    The scheme and host are lower-cased; the path and the remaining query are kept as is.
    """
    if not url:
        return None
    url = _SPACES.sub("", strip_controls(url))
    if not url:
        return None
    try:
        absolute = urljoin(base, url) if base else url
        parts = urlsplit(absolute)
        port = parts.port  # raises ValueError on a bad port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname.lower()
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    if port is not None and (scheme, port) not in (("http", 80), ("https", 443)):
        host = f"{host}:{port}"
    if parts.username or parts.password:
        userinfo = parts.username or ""
        if parts.password:
            userinfo += f":{parts.password}"
        host = f"{userinfo}@{host}"
    fragment = "" if _fragment_is_tracking(parts.fragment) else parts.fragment
    return urlunsplit((scheme, host, parts.path or "/", _strip_tracking(parts.query), fragment))


# --- entries ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RawEntry:
    """An entry as a format reader found it: untrusted text, HTML and URLs."""

    guid: str | None
    link: str | None
    title: str = ""
    author: str | None = None
    summary_html: str = ""
    content_html: str = ""
    base: str | None = None  # base URL of the entry's HTML and link
    published: datetime | None = None
    updated: datetime | None = None
    categories: Iterable[str] = ()


def build_entry(raw: RawEntry, now: datetime) -> ParsedEntry:
    """A :class:`ParsedEntry` with every field made safe and its identity computed.

    Identity: the guid if there is one, else the canonical link, else a hash of title and
    content (see :func:`veille.ingest.parse.feed.dedupe` for guids repeated inside one document).
    A missing published date falls back to the updated one.
    """
    guid = _SPACES.sub(" ", strip_controls(raw.guid or "")).strip() or None
    url = canonical_url(raw.link, raw.base)
    title = plain_text(raw.title or "")
    summary = sanitize_html(raw.summary_html, raw.base)
    content = sanitize_html(raw.content_html, raw.base)
    categories = tuple(dict.fromkeys(c for c in map(plain_text, raw.categories) if c))
    if guid:
        key = guid
    elif url:
        key = url
    else:
        digest = hashlib.blake2b(digest_size=16)
        digest.update(f"{title}\x1f{content or summary}".encode("utf-8", "surrogatepass"))
        key = f"hash:{digest.hexdigest()}"
    updated = clamp(raw.updated, now)
    return ParsedEntry(
        key=key,
        guid=guid,
        url=url,
        title=title,
        author=plain_text(raw.author) or None if raw.author else None,
        summary_html=summary,
        content_html=content,
        published=clamp(raw.published, now) or updated,
        updated=updated,
        categories=categories,
    )
