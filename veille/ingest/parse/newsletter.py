"""A newsletter received by e-mail → one :class:`ParsedEntry` (``type: imap``) — pure.

Issue 9: the institutional letters (Édu_Num, the DANE letters, Canopé bulletins) arrive by
e-mail only. Each message becomes an entry:

* **identity**: its ``Message-ID`` (the same letter read again after a UIDVALIDITY change, or
  from a copy in another folder, is the same entry); without one, a hash of title and body;
* **title**: the subject (RFC 2047 decoded), plain text; **author**: the sender's name (else
  address) — one mailbox collects several newsletters, the sender tells them apart;
* **date**: the ``Date`` header, else the server's INTERNALDATE (``received``);
* **content**: the HTML part, with tracking pixels removed (1×1 images, images from known
  tracking hosts, elements hidden by ``display:none``/``visibility:hidden``, the invisible
  "preheader" text), then sanitised like any feed HTML
  (:func:`veille.ingest.parse.sanitize.build_entry`).
  Links are kept as they are: a tracking redirect stays a plain link, never resolved (that
  would tell the sender who read it). Without an HTML part, the text part as escaped
  paragraphs. The "version en ligne" link, when there is one, becomes the entry's link.

A message the MIME parser cannot make sense of (multipart without its boundary, no headers,
no readable text part) raises :class:`ParseError`; the caller records it and goes on.
"""

from __future__ import annotations

import email
import email.errors
import email.policy
import re
from datetime import UTC, datetime
from email.message import EmailMessage, Message
from email.utils import getaddresses, parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

from selectolax.lexbor import LexborHTMLParser

from veille.errors import ParseError
from veille.ingest.parse.charset import decode
from veille.ingest.parse.sanitize import RawEntry, build_entry, plain_text, text_to_html
from veille.models import ParsedEntry

__all__ = ["TRACKING_HOSTS", "clean_newsletter_html", "read_message"]

SUMMARY_CHARS = 300
NO_SUBJECT = "(sans objet)"

# Hosts (and their subdomains) serving open-tracking pixels for the usual mailing services.
TRACKING_HOSTS = (
    "list-manage.com", "mailchimp.com", "mjt.lu", "mailjet.com", "sendibt2.com", "sendibt3.com",
    "sendibm1.com", "brevo.com", "sendinblue.com", "sparkpostmail.com", "mandrillapp.com",
    "sendgrid.net", "mailgun.org", "hubspotlinks.com", "hubspotemail.net", "exacttarget.com",
    "cmail19.com", "cmail20.com", "createsend1.com", "doubleclick.net", "google-analytics.com",
    "dolist.net", "splio.com", "actito.be", "emsecure.net", "mailperformance.com", "mailpro.com",
)  # fmt: skip
_TRACKING_PATH = re.compile(
    r"/(?:track/open|trk/open|open\.(?:php|aspx?|gif)|pixel|beacon)\b", re.I
)
_HIDDEN_STYLE = re.compile(
    r"display\s*:\s*none|visibility\s*:\s*hidden|max-height\s*:\s*0(?:px)?\s*(?:;|$|!)"
    r"|mso-hide\s*:\s*all|opacity\s*:\s*0(?:\.0*)?\s*(?:;|$|!)",
    re.I,
)
_TINY = re.compile(r"(?:^|;)\s*(?:width|height)\s*:\s*[01](?:px)?\s*(?:;|$|!)", re.I)
_ONLINE = re.compile(
    r"version\s+(?:en\s+ligne|web|navigateur)|voir\s+(?:ce|le|la)\s+\w+\s+(?:en\s+ligne|dans"
    r"\s+(?:votre|un|le)\s+navigateur)|afficher\s+dans\s+(?:votre|le)\s+navigateur"
    r"|view\s+(?:it\s+|this\s+\w+\s+)?(?:online|in\s+(?:your\s+)?browser)",
    re.I,
)

# Defects after which the structure of the message is unknown: its parts cannot be trusted.
_FATAL = {
    email.errors.StartBoundaryNotFoundDefect: "délimiteur multipart introuvable",
    email.errors.NoBoundaryInMultipartDefect: "message multipart sans délimiteur",
    email.errors.MultipartInvariantViolationDefect: "structure multipart incohérente",
}


# --- HTML ---------------------------------------------------------------------------------------


def _is_tracker(src: str) -> bool:
    try:
        parts = urlsplit(src.strip())
    except ValueError:
        return True
    host = (parts.hostname or "").lower()
    if any(host == h or host.endswith("." + h) for h in TRACKING_HOSTS):
        return True
    return bool(_TRACKING_PATH.search(parts.path))


def _is_tiny(attributes: dict[str, str | None]) -> bool:
    for name in ("width", "height"):
        value = (attributes.get(name) or "").strip().removesuffix("px")
        if value in ("0", "1"):
            return True
    return bool(_TINY.search(attributes.get("style") or ""))


def clean_newsletter_html(html: str) -> tuple[str, str | None, str]:
    """``(html, online_link, text)``: the letter without tracking pixels and hidden elements
    (still to be sanitised), its "version en ligne" link if it has one, and its visible text."""
    tree = LexborHTMLParser(html)
    for node in tree.css("script, style, title"):
        node.decompose()
    for node in tree.css("[hidden], [style]"):
        style = node.attributes.get("style") or ""
        if "hidden" in node.attributes or _HIDDEN_STYLE.search(style):
            node.decompose()
    for img in tree.css("img"):
        src = img.attributes.get("src") or ""
        if not src.lower().startswith(("http://", "https://")):
            img.decompose()  # cid: and data: images cannot be shown from the archive anyway
        elif _is_tiny(img.attributes) or _is_tracker(src):
            img.decompose()
    online = None
    for link in tree.css("a[href]"):
        if _ONLINE.search(link.text(separator=" ")):
            online = link.attributes.get("href")
            break
    body = tree.body
    if body is None:
        return tree.html or "", online, ""
    return body.inner_html or "", online, " ".join(body.text(separator=" ").split())


# --- MIME ---------------------------------------------------------------------------------------


def _check_structure(source: str, msg: Message) -> None:
    for part in msg.walk():
        for defect in part.defects:
            reason = _FATAL.get(type(defect))  # type: ignore[call-overload]
            if reason:
                raise ParseError(source, f"message MIME mal formé : {reason}")
    headless = any(
        isinstance(d, email.errors.MissingHeaderBodySeparatorDefect) for d in msg.defects
    )
    if headless and not (msg.get("from") or msg.get("subject")):
        raise ParseError(source, "message MIME mal formé : pas d'en-têtes")


def _header(msg: Message, name: str) -> str:
    try:
        value = msg.get(name)
    except (ValueError, IndexError, TypeError, LookupError, email.errors.MessageError):
        # a header the parser chokes on: as if it were absent
        return ""
    return str(value) if value is not None else ""


def _sender(msg: Message) -> str | None:
    raw = _header(msg, "from")
    try:
        pairs = getaddresses([raw])
    except (ValueError, IndexError, TypeError):
        pairs = []
    # Made plain text once, by build_entry (like every author).
    for name, address in pairs:
        if plain_text(name or address):
            return name or address
    return raw or None


def _date(msg: Message, received: datetime | None) -> datetime | None:
    raw = _header(msg, "date")
    if raw:
        try:
            value = parsedate_to_datetime(raw)
        except (TypeError, ValueError, IndexError):
            value = None
        if value is not None:  # "-0000" (zone unknown) comes back naive: read it as UTC
            return value if value.tzinfo else value.replace(tzinfo=UTC)
    return received


def _message_id(msg: Message) -> str | None:
    raw = _header(msg, "message-id").strip()
    return raw.strip("<>").strip() or None if raw else None


def _decoded(part: Message, html: bool) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    charset = part.get_content_charset()
    headers = {"content-type": f"text/plain; charset={charset}"} if charset else {}
    text, _ = decode(payload, headers, html=html)
    return text


def _body(source: str, msg: Message) -> tuple[str, str]:
    """``(html, text)`` of the message; one of them is empty."""
    body: Any = None
    if isinstance(msg, EmailMessage):
        try:
            body = msg.get_body(preferencelist=("html", "plain"))
        except (KeyError, ValueError, LookupError):
            body = None
    if body is None:
        raise ParseError(source, "message MIME mal formé : aucune partie texte lisible")
    if body.get_content_type() == "text/html":
        return _decoded(body, html=True), ""
    return "", _decoded(body, html=False)


def read_message(source: str, raw: bytes, received: datetime | None, now: datetime) -> ParsedEntry:
    """The entry of one message. ``source`` names it in errors (mailbox URL and UID);
    ``received`` is the server's INTERNALDATE, the date when the message has none."""
    try:
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        _check_structure(source, msg)
        html, text = _body(source, msg)
    except ParseError:
        raise
    except (ValueError, LookupError, IndexError, TypeError, email.errors.MessageError) as e:
        raise ParseError(source, f"message MIME illisible ({type(e).__name__})") from e
    online = None
    if html:
        html, online, excerpt = clean_newsletter_html(html)
    else:
        excerpt = " ".join(text.split())
        html = text_to_html(text)
    if len(excerpt) > SUMMARY_CHARS:
        excerpt = excerpt[:SUMMARY_CHARS].rsplit(" ", 1)[0] + " …"
    entry = RawEntry(
        guid=_message_id(msg),
        link=online,
        title=_header(msg, "subject") or NO_SUBJECT,
        author=_sender(msg),
        summary_html=text_to_html(excerpt),
        content_html=html,
        published=_date(msg, received),
    )
    return build_entry(entry, now)
