"""The digest page: a digest's entries (or a reader's filter over them) in sections, the
editors' highlights first, the filter bar, links to the feeds of the view. Pure: data in,
page out (``veille.render.html.render_page`` writes it).

Grouping rule: sections follow the taxonomy (``tags:`` of feeds.yaml, in file
order); an entry appears once, under its first theme in that order — a theme the reader
filtered on wins over the others — and entries without a declared theme go to "Autres", last.
Tags that are not declared (free feed tags) are shown on entries but make no section.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from veille.models import EntryView, TagRule
from veille.render.french import (
    date_only,
    french_date,
    french_datetime,
    relative_time,
    summary_text,
)
from veille.render.html import Chrome, Link
from veille.text import readable

__all__ = [
    "OTHERS", "DigestPage", "EntryItem", "FilterBar", "Option", "Section", "build_digest_page",
    "entry_item", "first_theme",
]  # fmt: skip

OTHERS = "autres"


# --- page data ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EntryItem:
    id: str
    title: str
    url: str | None
    source: str
    datetime_iso: str  # for <time datetime>
    date_label: str  # "29 nov. 2026 à 08:30" (local time)
    relative: str  # "il y a 3 h"; "" for a date without a time (then date_label is the day)
    summary: str  # plain text, truncated
    tags: tuple[Link, ...] = ()
    also_in: tuple[str, ...] = ()
    note: str = ""  # the editors' one-line note on a highlight


@dataclass(frozen=True, slots=True)
class Section:
    id: str  # anchor (also the tag name, or "autres")
    label: str
    entries: tuple[EntryItem, ...]

    @property
    def count(self) -> int:
        return len(self.entries)


@dataclass(frozen=True, slots=True)
class Option:
    value: str
    label: str
    selected: bool = False


@dataclass(frozen=True, slots=True)
class FilterBar:
    action: str
    tags: tuple[Option, ...] = ()
    feeds: tuple[Option, ...] = ()
    periods: tuple[Option, ...] = ()
    query: str = ""
    active: bool = False  # some filter differs from the digest's defaults


@dataclass(frozen=True, slots=True)
class DigestPage:
    title: str
    chrome: Chrome
    filters: FilterBar
    sections: tuple[Section, ...] = ()
    highlights: tuple[EntryItem, ...] = ()  # the editors' picks ("coups de cœur"): shown first
    archive_href: str | None = None  # the issues already sent by e-mail
    description: str = ""  # "Articles publiés depuis le …"
    next_href: str | None = None  # "Articles plus anciens" (keyset cursor)
    first_href: str | None = None  # back to the newest page, when paginated
    subscribe: tuple[Link, ...] = ()  # the feeds of exactly this view (RSS, Atom, JSON)
    curation_href: str | None = None  # preparing the next letter (editors, after login)
    template: str = "digest.html"

    @property
    def count(self) -> int:
        return sum(s.count for s in self.sections)


# --- building the page ---------------------------------------------------------------------


def entry_item(
    e: EntryView,
    *,
    labels: Mapping[str, str],
    now: datetime,
    tz: ZoneInfo,
    tag_href: Callable[[str], str],
    note: str = "",
) -> EntryItem:
    day = date_only(e.published, tz)
    return EntryItem(
        id=e.id,
        title=e.title or "(sans titre)",
        url=e.url,
        source=e.feed_title,
        datetime_iso=day.isoformat()
        if day
        else e.published.astimezone(tz).isoformat(timespec="seconds"),
        date_label=french_date(day, tz) if day else french_datetime(e.published, tz),
        relative="" if day else relative_time(e.published, now),
        summary=summary_text(e.summary or e.content_html),
        tags=tuple(Link(tag_href(t), labels.get(t) or readable(t)) for t in dict.fromkeys(e.tags)),
        also_in=e.also_in,
        note=note,
    )


def first_theme(tags: Sequence[str], order: dict[str, int], prefer: frozenset[str]) -> str:
    """The section of an entry: its first declared theme (a preferred one first), or OTHERS."""
    declared = sorted((order[t], t) for t in tags if t in order)
    for _, tag in declared:
        if tag in prefer:
            return tag
    return declared[0][1] if declared else OTHERS


def build_digest_page(
    entries: Sequence[EntryView],
    *,
    title: str,
    taxonomy: Sequence[TagRule],
    now: datetime,
    tz: ZoneInfo,
    tag_href: Callable[[str], str],
    chrome: Chrome,
    filters: FilterBar,
    labels: Mapping[str, str] | None = None,
    prefer: Iterable[str] = (),
    description: str = "",
    next_href: str | None = None,
    first_href: str | None = None,
    highlights: Sequence[EntryView] = (),
    notes: Mapping[str, str] | None = None,
    archive_href: str | None = None,
    curation_href: str | None = None,
    subscribe: Sequence[Link] = (),
) -> DigestPage:
    """Group ``entries`` (newest first) into sections in taxonomy order, "Autres" last.
    ``labels`` names every tag shown on an entry (``Config.tag_labels``; default: the
    taxonomy's, other tags made readable)."""
    labels = dict(labels) if labels is not None else {r.name: r.label for r in taxonomy}
    order = {r.name: i for i, r in enumerate(taxonomy)}
    wanted = frozenset(prefer)
    shown = {e.id for e in highlights}
    groups: dict[str, list[EntryItem]] = {}
    for e in entries:
        if e.id in shown:
            continue
        item = entry_item(e, labels=labels, now=now, tz=tz, tag_href=tag_href)
        groups.setdefault(first_theme(e.tags, order, wanted), []).append(item)
    sections = tuple(
        Section(r.name, r.label, tuple(groups[r.name])) for r in taxonomy if r.name in groups
    )
    if OTHERS in groups:
        sections += (Section(OTHERS, "Autres", tuple(groups[OTHERS])),)
    return DigestPage(
        title=title,
        chrome=chrome,
        filters=filters,
        sections=sections,
        highlights=tuple(
            entry_item(
                e,
                labels=labels,
                now=now,
                tz=tz,
                tag_href=tag_href,
                note=(notes or {}).get(e.id, ""),
            )
            for e in highlights
        ),
        archive_href=archive_href,
        curation_href=curation_href,
        subscribe=tuple(subscribe),
        description=description,
        next_href=next_href,
        first_href=first_href,
    )
