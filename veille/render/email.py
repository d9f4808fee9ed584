"""The e-mailed digest: pure composition, data in, message out.

::

    content = compose_issue(entries, digest=spec, number=12, period=(start, end), ...)
    message = render_message(content, envelope)      # an EmailMessage, ready for SMTP
    archive = render_archive_html(content, "/mail/email.css")  # the archive page

``compose_issue`` decides *what* is in an issue: the editors' highlights first (with their
notes), then « À la une cette semaine » (the stories most relayed, each with its reason:
``rules.importance``), then sections in taxonomy order ("Autres" last), each with its top
``per_section`` stories — the ones carried by most sources first, then the newest. A story
« À la une » is not repeated in its section. Hidden entries are left out by the caller.
``IssueContent`` is frozen and JSON-serialisable: the store keeps it, so every recipient's
message and the archive page are rendered from the same snapshot.

The message is ``multipart/alternative`` (text, then HTML with its CSS inlined by
css-inline), in French, with ``List-Unsubscribe`` (https + mailto) and
``List-Unsubscribe-Post: List-Unsubscribe=One-Click`` (RFC 8058). No image, so no tracking
pixel and nothing to describe. Header values are built by ``email.message.EmailMessage``
(policy SMTP), after every run of whitespace — CR and LF included — is collapsed to one space,
so a title can never add a header.
"""

from __future__ import annotations

import json
import textwrap
from base64 import b64encode
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from functools import cache
from urllib.parse import quote
from zoneinfo import ZoneInfo

import css_inline
import jinja2

from veille.models import DigestSpec, EntryView, TagRule, UneLine
from veille.render.digest_page import OTHERS, first_theme
from veille.render.french import french_date, period_label, plural, summary_text
from veille.render.html import jinja_environment
from veille.text import first_upper

__all__ = [
    "Envelope", "IssueContent", "MailEntry", "MailSection", "compose_issue", "french_date",
    "issue_subject", "render_archive_html", "render_html", "render_message", "render_text",
    "theme_sections",
]  # fmt: skip

PER_SECTION = 5
SUMMARY_CHARS = 220
WEEKLY = timedelta(days=6)  # a window this long or longer is « cette semaine »


@dataclass(frozen=True, slots=True)
class MailEntry:
    id: str
    title: str
    url: str | None
    source: str
    date: str  # "29 nov. 2026"
    summary: str = ""
    also_in: tuple[str, ...] = ()
    note: str = ""  # the editor's one-line note (highlights)
    reason: str = ""  # why it is « À la une »: « Repris par 4 sources, dont Éduscol »


@dataclass(frozen=True, slots=True)
class MailSection:
    id: str
    label: str
    entries: tuple[MailEntry, ...]
    total: int  # stories of the theme in the period (``entries`` are the top ones)

    @property
    def more(self) -> int:
        return self.total - len(self.entries)


@dataclass(frozen=True, slots=True)
class IssueContent:
    digest: str
    title: str
    number: int
    date_label: str  # "30 nov. 2026": the day of the scheduled send
    period_label: str  # "du 23 au 30 nov. 2026"
    introduction: str
    highlights: tuple[MailEntry, ...]
    sections: tuple[MailSection, ...]
    web_url: str  # the digest's page
    archive_url: str  # this issue's permanent page
    archives_url: str  # the list of issues
    # « À la une » (issues allocated before it existed have none)
    une: tuple[MailEntry, ...] = ()
    une_title: str = "À la une"  # « À la une cette semaine » for a weekly letter

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> IssueContent:
        data = json.loads(text)

        def entry(d: dict) -> MailEntry:  # type: ignore[type-arg]
            return MailEntry(**{**d, "also_in": tuple(d["also_in"])})

        return cls(
            **{
                **data,
                "highlights": tuple(entry(e) for e in data["highlights"]),
                "une": tuple(entry(e) for e in data.get("une", ())),
                "sections": tuple(
                    MailSection(
                        s["id"], s["label"], tuple(entry(e) for e in s["entries"]), s["total"]
                    )
                    for s in data["sections"]
                ),
            }
        )


@dataclass(frozen=True, slots=True)
class Envelope:
    """Who and how: everything of a message that is not the issue's content."""

    sender: str  # VEILLE_MAIL_FROM: "veille@college.fr" or "Nom <veille@college.fr>"
    recipient: str
    message_id: str  # "<…@…>", deterministic per (digest, issue, recipient)
    date: datetime
    list_id: str  # "hebdo.veille.college.fr"
    unsubscribe_url: str  # https link with a signed token
    unsubscribe_mailto: str  # "mailto:…?subject=…"


# --- composition ------------------------------------------------------------------------------


def one_line(text: str) -> str:
    """Every run of whitespace (CR, LF, tabs…) as one space: safe in a header or a list."""
    return " ".join(text.split())


def _mail_entry(e: EntryView, tz: ZoneInfo, note: str = "", reason: str = "") -> MailEntry:
    return MailEntry(
        id=e.id,
        title=one_line(e.title) or "(sans titre)",
        url=e.url,
        source=one_line(e.feed_title),
        date=french_date(e.published, tz),
        summary=summary_text(e.summary or e.content_html, SUMMARY_CHARS),
        also_in=tuple(one_line(t) for t in e.also_in),
        note=one_line(note),
        reason=first_upper(one_line(reason)),
    )


def theme_sections(
    entries: Sequence[EntryView],
    taxonomy: Sequence[TagRule],
    tz: ZoneInfo,
    per_section: int,
    *,
    leave_out: frozenset[str] = frozenset(),
) -> tuple[MailSection, ...]:
    """``entries`` by theme, in taxonomy order ("Autres" last), each section with its top
    ``per_section`` stories — the ones carried by most sources first, then the newest —
    and its total. An entry goes under its first theme; ``leave_out`` (ids) are not shown."""
    order = {r.name: i for i, r in enumerate(taxonomy)}
    labels = {r.name: r.label for r in taxonomy}
    groups: dict[str, list[EntryView]] = {}
    for e in entries:
        if e.id not in leave_out:
            groups.setdefault(first_theme(e.tags, order, frozenset()), []).append(e)

    def top(group: list[EntryView]) -> tuple[MailEntry, ...]:
        ranked = sorted(group, key=lambda e: (-len(e.also_in), -e.published.timestamp()))
        return tuple(_mail_entry(e, tz) for e in ranked[:per_section])

    names = [r.name for r in taxonomy if r.name in groups]
    if OTHERS in groups:
        names.append(OTHERS)
    return tuple(
        MailSection(n, labels.get(n, "Autres"), top(groups[n]), len(groups[n])) for n in names
    )


def compose_issue(
    entries: Sequence[EntryView],
    *,
    digest: DigestSpec,
    number: int,
    period: tuple[datetime, datetime],
    taxonomy: Sequence[TagRule],
    tz: ZoneInfo,
    base_url: str,
    introduction: str = "",
    highlights: Sequence[tuple[EntryView, str]] = (),
    per_section: int = PER_SECTION,
    une: Sequence[UneLine] = (),
) -> IssueContent:
    """What issue ``number`` carries. ``entries`` are the digest's selection for the period
    (clusters collapsed, hidden entries removed); ``highlights`` are ``(entry, note)``;
    ``une``, the period's top stories (their lines are left out of the sections)."""
    top = {line.key for line in une}
    picked = frozenset(e.id for e, _ in highlights) | {e.id for e in entries if e.story in top}
    sections = theme_sections(entries, taxonomy, tz, per_section, leave_out=picked)
    base = base_url.rstrip("/")
    start, end = period
    return IssueContent(
        digest=digest.name,
        title=one_line(digest.title),
        number=number,
        date_label=french_date(end, tz),
        period_label=period_label(start, end, tz),
        introduction=introduction.strip(),
        highlights=tuple(_mail_entry(e, tz, note) for e, note in highlights),
        une=tuple(_mail_entry(line.entry, tz, reason=line.reason) for line in une),
        une_title="À la une cette semaine" if digest.window >= WEEKLY else "À la une",
        sections=sections,
        web_url=f"{base}/digests/{digest.name}",
        archive_url=f"{base}/digests/{digest.name}/archive/{number}",
        archives_url=f"{base}/digests/{digest.name}/archive",
    )


def issue_subject(content: IssueContent) -> str:
    """``La semaine du numérique éducatif — n° 12 — 30 nov. 2026``."""
    return one_line(f"{content.title} — n° {content.number} — {content.date_label}")


# --- rendering --------------------------------------------------------------------------------


@cache
def _environment() -> jinja2.Environment:
    return jinja_environment("mail_templates")


@cache
def stylesheet() -> str:
    """The e-mail's CSS (also served with the archive pages)."""
    return _environment().loader.get_source(_environment(), "email.css")[0]  # type: ignore[union-attr]


@cache
def _inliner() -> css_inline.CSSInliner:
    # Never fetch anything while rendering: the HTML only links to the archive's stylesheet.
    return css_inline.CSSInliner(load_remote_stylesheets=False, keep_link_tags=False)


def _render(content: IssueContent, unsubscribe_url: str | None, link: str | None) -> str:
    return (
        _environment()
        .get_template("email.html")
        .render(
            c=content,
            subject=issue_subject(content),
            unsubscribe_url=unsubscribe_url,
            css=stylesheet(),
            stylesheet=link,
        )
    )


def render_html(content: IssueContent, unsubscribe_url: str | None) -> str:
    """The HTML part: every style inlined into ``style=""`` (mail clients drop ``<style>``)."""
    return _inliner().inline(_render(content, unsubscribe_url, None))


def render_archive_html(content: IssueContent, stylesheet_href: str) -> str:
    """The archive page: the same document, styled by a stylesheet link (strict CSP)."""
    return _render(content, None, stylesheet_href)


def _wrap(text: str, indent: str = "") -> list[str]:
    return textwrap.wrap(text, 72, initial_indent=indent, subsequent_indent=indent) or [""]


def _text_entry(e: MailEntry) -> list[str]:
    lines = _wrap(e.title, "  ")
    lines[0] = "- " + lines[0][2:]
    meta = f"{e.source} · {e.date}" + (f" · aussi dans {', '.join(e.also_in)}" if e.also_in else "")
    lines += _wrap(meta, "  ")
    if e.reason:
        lines += _wrap(f"{e.reason}.", "  ")
    if e.note:
        lines += _wrap(f"Notre avis : {e.note}", "  ")
    if e.summary:
        lines += _wrap(e.summary, "  ")
    if e.url:
        lines.append(f"  {e.url}")
    return [*lines, ""]


def render_text(content: IssueContent, unsubscribe_url: str | None) -> str:
    """The plain-text part (72 columns, links in full)."""
    heading = f"{content.title} — n° {content.number} — {content.date_label}"
    lines = [heading, f"Articles publiés {content.period_label}", ""]
    for paragraph in content.introduction.split("\n\n"):
        if paragraph.strip():
            lines += [*_wrap(one_line(paragraph)), ""]
    if content.highlights:
        lines += ["COUPS DE CŒUR DE LA RÉDACTION", ""]
        for e in content.highlights:
            lines += _text_entry(e)
    if content.une:
        lines += [content.une_title.upper(), ""]
        for e in content.une:
            lines += _text_entry(e)
    for s in content.sections:
        lines += [f"{s.label.upper()} ({plural(s.total, 'article')})", ""]
        for e in s.entries:
            lines += _text_entry(e)
        if s.more:
            more = plural(s.more, "autre article", "autres articles")
            lines += [f"  {more} sur le site : {content.web_url}", ""]
    if not content.sections and not content.highlights and not content.une:
        lines += ["Aucun article publié sur cette période.", ""]
    lines += ["-- ", f"Lire ce numéro en ligne : {content.archive_url}"]
    if unsubscribe_url:
        lines.append(f"Se désabonner : {unsubscribe_url}")
    return "\n".join(lines) + "\n"


def _sender(sender: str, title: str) -> Address:
    name, address = parseaddr(one_line(sender))
    username, _, domain = address.partition("@")
    return Address(display_name=name or title, username=username, domain=domain)


def encoded_words(text: str, room: int = 42) -> str:
    """``text`` as RFC 2047 encoded words (base64, at most ``room`` bytes each: 68 columns
    for 42), one per line, spaces kept inside the words (whitespace *between* encoded words
    is ignored by readers). Python's header folder (3.11) loses that space in some subjects
    ("n° 2— 7 déc.") and adds one inside display names ("Coll ège"): non-ASCII headers are
    encoded here, stored with ``set_raw`` and emitted as is; a test round-trips many."""
    words, chunk = [], ""
    for char in one_line(text):
        if chunk and len((chunk + char).encode()) > room:
            words.append(chunk)
            chunk = ""
        chunk += char
    words.append(chunk)
    return "\n ".join(f"=?utf-8?b?{b64encode(w.encode()).decode()}?=" for w in words)


def _set_text(msg: EmailMessage, name: str, text: str, suffix: str = "", room: int = 42) -> None:
    """A header of free text (plus an ASCII ``suffix`` such as ``<list-id>``). A display name
    gets one encoded word when it fits (``room=45``): Python's address parser, unlike the RFC,
    keeps the whitespace between two encoded words of a phrase."""
    text = one_line(text)
    if text.isascii():
        msg[name] = text + suffix
    else:
        words = encoded_words(text, room)
        msg.set_raw(name, words + ("\n " + suffix.strip() if suffix else ""))


URL_SAFE = "!#$%&'()*+,/:;=?@[]~-._"  # everything an ASCII URL may already carry


def _set_urls(msg: EmailMessage, name: str, *urls: str) -> None:
    """An RFC 2369 header of ``<URL>`` entries, verbatim: the library's folder turns a line
    over 78 characters into RFC 2047 encoded words, which no mailbox decodes there (one-click
    unsubscribe then silently fails). Folded between entries only; a non-ASCII character
    (an accented path in ``VEILLE_BASE_URL``) is percent-encoded, as a browser would."""
    entries = [f"<{quote(one_line(u), safe=URL_SAFE)}>" for u in urls]
    msg.set_raw(name, ",\n ".join(entries))


def render_message(content: IssueContent, envelope: Envelope) -> EmailMessage:
    """One recipient's message (``multipart/alternative``: text, then HTML)."""
    msg = EmailMessage(policy=policy.SMTP.clone(refold_source="none"))  # see encoded_words
    _set_text(msg, "Subject", issue_subject(content))
    sender = _sender(envelope.sender, content.title)
    if sender.display_name.isascii():
        msg["From"] = sender
    else:  # the structured folder has its own bug: "Collège" folded as "Coll ège"
        _set_text(msg, "From", sender.display_name, f" <{sender.addr_spec}>", 45)
    msg["To"] = one_line(envelope.recipient)
    msg["Date"] = format_datetime(envelope.date)
    msg["Message-ID"] = one_line(envelope.message_id)
    _set_text(msg, "List-Id", content.title, f" <{one_line(envelope.list_id)}>", 45)
    _set_urls(msg, "List-Unsubscribe", envelope.unsubscribe_url, envelope.unsubscribe_mailto)
    msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    _set_urls(msg, "List-Archive", content.archives_url)
    msg["Auto-Submitted"] = "auto-generated"
    msg["Content-Language"] = "fr"
    msg.set_content(render_text(content, envelope.unsubscribe_url))
    msg.add_alternative(render_html(content, envelope.unsubscribe_url), subtype="html")
    return msg
