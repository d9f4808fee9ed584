"""The digest page: a digest's entries (or a reader's filter over them) in sections, the
editors' highlights first, then « À la une » (the stories most relayed, with their reason),
the filter bar, links to the feeds of the view. Pure: data in, page out
(``veille.render.html.render_page`` writes it).

A story « À la une » is not told twice: its line in its section is a link to it.
``?vue=titres`` shows the same page with titles only (``compact``), for a one-minute scan;
the full page says how long it takes to read (``french.reading_time``: the words of every
title and summary shown).

Grouping rule: sections follow the taxonomy (``tags:`` of feeds.yaml, in file
order); an entry appears once, under its first theme in that order — a theme the reader
filtered on wins over the others — and entries without a declared theme go to "Autres", last.
Tags that are not declared (free feed tags) are shown on entries but make no section.

A logged-in reader's page (``reader``: a ``ReaderBar``) carries their state: unread entries
are marked (a visible sign and a hidden « Non lu » for screen readers, not a colour alone),
each entry has its small forms (« Marquer comme lu / non lu », « Garder / Ne plus garder »),
each section and the page « Tout marquer comme lu » — the ids the page showed, no more: an
article arriving after the page was made stays unread. Without a reader the page is the
public one, byte for byte.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from veille.models import EntryView, TagRule, UneLine
from veille.render.french import (
    date_only,
    french_date,
    french_datetime,
    reading_duration,
    reading_time,
    relative_time,
    summary_text,
    word_count,
)
from veille.render.html import Chrome, Link
from veille.rules.importance import join_french
from veille.text import first_upper, readable

__all__ = [
    "OTHERS", "DigestPage", "EntryItem", "FilterBar", "Option", "ReaderBar", "Section", "UneItem",
    "build_digest_page", "entry_item", "first_theme", "une_item", "unread_ids",
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
    une: str = ""  # its story is « À la une » (this anchor): the section links there instead
    read: bool | None = None  # a logged-in reader's state (None: no reader)
    starred: bool = False  # kept « à lire plus tard » by that reader

    @property
    def words(self) -> int:
        return word_count(self.title) + word_count(self.summary)


@dataclass(frozen=True, slots=True)
class UneItem:
    """One line of « À la une »: its shown entry (anchor ``une-<id>``), why, who."""

    entry: EntryItem
    reason: str  # « Repris par 4 sources, dont Éduscol »
    sources: str = ""  # « (avec L'Étudiant et franceinfo) »: the outlets the reason leaves out


@dataclass(frozen=True, slots=True)
class Section:
    id: str  # anchor (also the tag name, or "autres")
    label: str
    entries: tuple[EntryItem, ...]

    @property
    def count(self) -> int:
        return len(self.entries)

    @property
    def unread(self) -> tuple[str, ...]:
        return unread_ids(self.entries)


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
class ReaderBar:
    """What a logged-in reader's page adds: the forms' token and way back, the reader's own
    views. Routes: ``veille.web.reading``."""

    csrf: str
    back: str  # this page's address (path and query): where every form comes back to
    mark_action: str = "/lecture"
    mark_all_action: str = "/lecture/tout"
    new_href: str | None = None  # « Nouveaux depuis ma dernière visite » (None: this is it)
    all_href: str | None = None  # from that view, back to the whole digest
    starred_href: str = "/moi/gardes"
    account_href: str = "/moi"
    rendered: str = ""  # when the page was made (ISO): « tout marquer comme lu » stops there


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
    une: tuple[UneItem, ...] = ()  # « À la une »: above the sections
    une_feeds: tuple[Link, ...] = ()  # its output feeds (RSS, Atom, JSON)
    compact: bool = False  # ``?vue=titres``: titles only, grouped by theme
    view_href: str | None = None  # the other view (titles only ↔ full)
    reading: str = ""  # « 12 articles, environ 6 min de lecture »
    # « environ 6 min de lecture »: said after a description that already counts the articles
    duration: str = ""
    reader: ReaderBar | None = None  # a logged-in reader's state and forms
    template: str = "digest.html"

    @property
    def count(self) -> int:
        # The editors' picks are told above the sections, not in them: counted here so that
        # the table of contents and the lead say the same number.
        return sum(s.count for s in self.sections) + len(self.highlights)

    @property
    def unread(self) -> tuple[str, ...]:
        """The unread entries the page shows (what « Tout marquer comme lu » marks)."""
        return unread_ids((*self.highlights, *(i for s in self.sections for i in s.entries)))


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
        read=e.read,
        starred=e.starred,
    )


def with_state(
    e: EntryView, known: Mapping[str, EntryView], stories: Mapping[str, EntryView]
) -> EntryView:
    """``e`` with a reader's state taken from the page's entries (``known`` by id, their
    ``stories`` by story) when it has none — the editors' picks and « À la une » are looked
    up without a reader: its own state, else its story's read state (reading applies to a
    whole story; keeping, to one entry)."""
    if e.read is not None:
        return e
    if (k := known.get(e.id)) is not None:
        return replace(e, read=k.read, starred=k.starred)
    if (k := stories.get(e.story)) is not None:
        return replace(e, read=k.read)
    return e


def unread_ids(items: Iterable[EntryItem]) -> tuple[str, ...]:
    """The ids of the unread ``items`` (a reader's; none without one)."""
    return tuple(i.id for i in items if i.read is False)


def une_item(line: UneLine, entry: EntryItem) -> UneItem:
    return UneItem(entry=entry, reason=first_upper(line.reason), sources=other_sources(line))


def other_sources(line: UneLine) -> str:
    """The outlets a story's reason does not name, in parentheses: « (avec L'Étudiant et
    franceinfo) » after « repris par 3 sources, dont Éduscol »; empty when it names them all."""
    others = [s for s in line.sources if s not in line.reason]
    if not others:
        return ""
    named_some = len(others) < len(line.sources)
    return f"({'avec ' if named_some else ''}{join_french(others)})"


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
    une: Sequence[UneLine] = (),
    une_feeds: Sequence[Link] = (),
    compact: bool = False,
    view_href: str | None = None,
    reader: ReaderBar | None = None,
) -> DigestPage:
    """Group ``entries`` (newest first) into sections in taxonomy order, "Autres" last.
    ``labels`` names every tag shown on an entry (``Config.tag_labels``; default: the
    taxonomy's, other tags made readable). The lines of ``une``'s stories link to it."""
    labels = dict(labels) if labels is not None else {r.name: r.label for r in taxonomy}
    order = {r.name: i for i, r in enumerate(taxonomy)}
    wanted = frozenset(prefer)
    shown = {e.id for e in highlights}
    top = {line.key: line.entry.id for line in une}
    groups: dict[str, list[EntryItem]] = {}
    known = {e.id: e for e in entries if e.read is not None}  # a reader's page
    stories = {e.story: e for e in known.values()}
    highlights = [with_state(e, known, stories) for e in highlights]
    une = [replace(line, entry=with_state(line.entry, known, stories)) for line in une]
    for e in entries:
        if e.id in shown:
            continue
        item = entry_item(e, labels=labels, now=now, tz=tz, tag_href=tag_href)
        if e.story in top:  # linked to its line « À la une » (the anchor of its shown entry)
            item = replace(item, une=f"une-{top[e.story]}")
        groups.setdefault(first_theme(e.tags, order, wanted), []).append(item)
    sections = tuple(
        Section(r.name, r.label, tuple(groups[r.name])) for r in taxonomy if r.name in groups
    )
    if OTHERS in groups:
        sections += (Section(OTHERS, "Autres", tuple(groups[OTHERS])),)
    picks = tuple(
        entry_item(
            e, labels=labels, now=now, tz=tz, tag_href=tag_href, note=(notes or {}).get(e.id, "")
        )
        for e in highlights
    )
    une_items = tuple(
        une_item(line, entry_item(line.entry, labels=labels, now=now, tz=tz, tag_href=tag_href))
        for line in une
    )
    told = [i for i in (*picks, *(i for s in sections for i in s.entries)) if not i.une]
    words = sum(i.words for i in told) + sum(word_count(u.entry.title) for u in une_items)
    return DigestPage(
        title=title,
        chrome=chrome,
        filters=filters,
        sections=sections,
        highlights=picks,
        une=une_items,
        une_feeds=tuple(une_feeds) if une_items else (),
        compact=compact,
        view_href=view_href,
        reader=reader,
        reading=reading_time(len(told) + len(une_items), words) if told or une_items else "",
        # Said after a description that counts the articles (« 82 articles depuis … »).
        duration=reading_duration(words) if description[:1].isdigit() and words else "",
        archive_href=archive_href,
        curation_href=curation_href,
        subscribe=tuple(subscribe),
        description=description,
        next_href=next_href,
        first_href=first_href,
    )
