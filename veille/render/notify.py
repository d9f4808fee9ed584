"""Announcements of a digest for chat rooms and webhooks: pure, data in, JSON out.

::

    notice = issue_notice(content)                   # a letter that went out (IssueContent)
    notice = daily_notice(sections, title=…, …)      # the day's new articles, by theme
    matrix_content(notice)     → the m.room.message content: ``body`` (plain text) and
                                 ``formatted_body`` (HTML)
    webhook_payload(notice, …) → {"text": Markdown, "veille": {…}, "items": [JSON Feed items]}

A ``Notice`` says the same thing in three forms: plain text (Matrix clients without HTML),
Markdown (the ``text`` Mattermost, Rocket.Chat or Slack incoming webhooks show as is) and
HTML restricted to the tags the Matrix specification lists for ``formatted_body``
(``MATRIX_TAGS``; clients drop the others). Every string from a feed is escaped; links are
http(s) only. No image: nothing is loaded from anywhere when the message is read.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from typing import Any
from urllib.parse import urlsplit

from veille.render.email import IssueContent, MailEntry, MailSection, one_line
from veille.render.feeds import clean_json
from veille.text import plural

__all__ = [
    "MATRIX_TAGS", "Notice", "NoticeGroup", "NoticeItem", "daily_notice", "issue_notice",
    "markdown", "matrix_content", "matrix_html", "plain_text", "webhook_payload",
]  # fmt: skip

# The tags the Matrix client-server specification (m.room.message, org.matrix.custom.html)
# asks clients to keep; anything else may be dropped.
MATRIX_TAGS = frozenset({
    "font", "del", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "p", "a", "ul", "ol", "sup",
    "sub", "li", "b", "i", "u", "strong", "em", "strike", "s", "code", "hr", "br", "div",
    "table", "thead", "tbody", "tr", "th", "td", "caption", "pre", "span", "img", "details",
    "summary",
})  # fmt: skip
PICKS = 3  # without highlights, an issue's notice names the top story of this many themes
PAYLOAD_VERSION = 1


@dataclass(frozen=True, slots=True)
class NoticeItem:
    id: str  # the entry's
    title: str
    url: str | None
    source: str
    note: str = ""  # the editors' note on a highlight


@dataclass(frozen=True, slots=True)
class NoticeGroup:
    label: str
    items: tuple[NoticeItem, ...]
    total: int  # articles of the group; ``items`` are those shown


@dataclass(frozen=True, slots=True)
class Notice:
    heading: str  # "La semaine du numérique éducatif — n° 12"
    lead: str  # "42 articles publiés du 23 au 30 nov. 2026."
    groups: tuple[NoticeGroup, ...]
    link_label: str
    link_url: str
    introduction: str = ""
    counts: tuple[tuple[str, int], ...] = ()  # articles per theme (an issue's summary)
    more: int = 0  # articles not listed


# --- what is said ----------------------------------------------------------------------------


def _item(e: MailEntry) -> NoticeItem:
    return NoticeItem(e.id, e.title, e.url, e.source, e.note)


def issue_notice(content: IssueContent) -> Notice:
    """A letter that went out: its highlights with their notes (without any, its « À la
    une », else the top story of the first themes), the number of articles per theme, the
    link to its archived page."""
    total = len(content.highlights) + len(content.une) + sum(s.total for s in content.sections)
    if content.highlights:
        picks = NoticeGroup(
            "Coups de cœur", tuple(_item(e) for e in content.highlights), len(content.highlights)
        )
    elif content.une:
        picks = NoticeGroup(
            content.une_title, tuple(_item(e) for e in content.une), len(content.une)
        )
    else:
        tops = tuple(_item(s.entries[0]) for s in content.sections[:PICKS] if s.entries)
        picks = NoticeGroup("À lire", tops, len(tops))
    published = "publié" if total == 1 else "publiés"
    counts = tuple((s.label, s.total) for s in content.sections)
    if content.une:
        counts = (("À la une", len(content.une)), *counts)
    return Notice(
        heading=f"{content.title} — n° {content.number}",
        lead=f"{plural(total, 'article')} {published} {content.period_label}.",
        introduction=content.introduction,
        groups=(picks,) if picks.items else (),
        counts=counts,
        link_label=f"Lire le n° {content.number}",
        link_url=content.archive_url,
    )


def daily_notice(
    sections: Sequence[MailSection], *, title: str, day_label: str, web_url: str, max_entries: int
) -> Notice:
    """The day's new articles by theme, ``max_entries`` lines at most, shared among the themes
    (each theme's top story first), then how many more and the link to the digest."""
    shown = _allot([len(s.entries) for s in sections], max_entries)
    groups = tuple(
        NoticeGroup(s.label, tuple(_item(e) for e in s.entries[:n]), s.total)
        for s, n in zip(sections, shown, strict=True)
        if n
    )
    total = sum(s.total for s in sections)
    return Notice(
        heading=f"{one_line(title)} — {day_label}",
        lead=f"{plural(total, 'nouvel article', 'nouveaux articles')} en 24 heures.",
        groups=groups,
        more=total - sum(shown),
        link_label="Voir la sélection",
        link_url=web_url,
    )


def _allot(sizes: list[int], budget: int) -> list[int]:
    """Lines per group, round by round: every group's first line before any second one."""
    shown = [0] * len(sizes)
    while budget > 0 and any(n < size for n, size in zip(shown, sizes, strict=True)):
        for i, size in enumerate(sizes):
            if budget > 0 and shown[i] < size:
                shown[i] += 1
                budget -= 1
    return shown


# --- how it is said --------------------------------------------------------------------------


def _link(url: str | None) -> str | None:
    """``url`` if it is an http(s) link, else None (the title is then plain text)."""
    return url if url and urlsplit(url).scheme in ("http", "https") else None


def _counts(n: Notice) -> str:
    return "Par thème : " + ", ".join(f"{label} ({count})" for label, count in n.counts) + "."


def _more(n: Notice) -> str:
    return f"… et {plural(n.more, 'autre article', 'autres articles')}."


def plain_text(n: Notice) -> str:
    lines = [n.heading, n.lead]
    if n.introduction:
        lines += ["", n.introduction]
    for g in n.groups:
        lines += ["", f"{g.label} :"]
        for item in g.items:
            lines.append(f"• {item.title} — {item.source}")
            if _link(item.url):
                lines.append(f"  {item.url}")
            if item.note:
                lines.append(f"  « {item.note} »")
    lines.append("")
    if n.counts:
        lines.append(_counts(n))
    if n.more:
        lines.append(_more(n))
    lines.append(f"{n.link_label} : {n.link_url}")
    return "\n".join(lines)


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~])")


def _md(text: str) -> str:
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def markdown(n: Notice) -> str:
    lines = [f"**{_md(n.heading)}**", _md(n.lead)]
    if n.introduction:
        lines += ["", _md(n.introduction)]
    for g in n.groups:
        lines += ["", f"**{_md(g.label)}**"]
        for item in g.items:
            url = _link(item.url)
            title = f"[{_md(item.title)}](<{url}>)" if url else _md(item.title)
            lines.append(f"- {title} — {_md(item.source)}")
            if item.note:
                lines.append(f"  _{_md(item.note)}_")
    lines.append("")
    if n.counts:
        lines.append(_md(_counts(n)))
    if n.more:
        lines.append(_md(_more(n)))
    lines.append(f"[{_md(n.link_label)}](<{n.link_url}>)")
    return "\n".join(lines)


def matrix_html(n: Notice) -> str:
    """HTML of ``MATRIX_TAGS`` only: h4, p, strong, em, ul, li, a, br."""
    parts = [f"<h4>{escape(n.heading)}</h4>", f"<p>{escape(n.lead)}</p>"]
    if n.introduction:
        parts.append(f"<p>{escape(n.introduction)}</p>")
    for g in n.groups:
        count = f" ({g.total})" if g.total > len(g.items) else ""
        parts.append(f"<p><strong>{escape(g.label)}</strong>{count}</p>")
        items = []
        for item in g.items:
            url = _link(item.url)
            title = escape(item.title)
            if url:
                title = f'<a href="{escape(url)}">{title}</a>'
            note = f"<br><em>{escape(item.note)}</em>" if item.note else ""
            items.append(f"<li>{title} — {escape(item.source)}{note}</li>")
        parts.append("<ul>" + "".join(items) + "</ul>")
    if n.counts:
        parts.append(f"<p>{escape(_counts(n))}</p>")
    if n.more:
        parts.append(f"<p>{escape(_more(n))}</p>")
    parts.append(f'<p><a href="{escape(n.link_url)}">{escape(n.link_label)}</a></p>')
    return "".join(parts)


def matrix_content(n: Notice) -> dict[str, Any]:
    """The content of the ``m.room.message`` event: an ``m.notice`` (what the specification
    asks of bots: no bot answers a notice) with its plain and HTML bodies."""
    return clean_json(
        {
            "msgtype": "m.notice",
            "body": plain_text(n),
            "format": "org.matrix.custom.html",
            "formatted_body": matrix_html(n),
        }
    )  # type: ignore[no-any-return]


def webhook_payload(
    n: Notice, *, digest: str, title: str, event: str, items: Sequence[dict[str, Any]]
) -> dict[str, Any]:
    """The JSON posted to a webhook: ``text`` (Markdown) for chat incoming webhooks, the
    event under ``veille`` and the articles as JSON Feed 1.1 items."""
    return clean_json(
        {
            "text": markdown(n),
            "veille": {
                "version": PAYLOAD_VERSION,
                "digest": digest,
                "title": title,
                "event": event,
                "heading": n.heading,
                "url": n.link_url,
                "themes": [{"label": label, "count": count} for label, count in n.counts]
                or [{"label": g.label, "count": g.total} for g in n.groups],
            },
            "items": list(items),
        }
    )  # type: ignore[no-any-return]
