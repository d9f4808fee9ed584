"""The curation page of a digest: where an editor prepares the next issue. Pure: data in, rows out
(``mail_pages.CurationPage`` carries them to ``mail_templates/curation.html``).

The entries of the issue being prepared are grouped by theme exactly as in the digest
(``digest_page.first_theme``: taxonomy order, « Autres » last), one compact row each with what
an editor does to it: highlight it with a note, hide it, correct its themes (remove one, add
one), mark it as gone through (« vu »). Highlighted entries come first, in their own block, as
in the digest; then « À la une », in rank order with each story's reason, from which the editor
may drop a story (``UneRow``), and a draft of the introduction made of its stories' own
sentences (``draft_introduction``), which the editor may use, edit or ignore. Filters keep the
rows of one theme (any of an entry's themes, or « Autres »: none declared), of one source, or
those nobody has gone through yet; every form of the page brings the editor back to the same
filtered view (``CurationFilters.query``)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from veille.models import EntryView, TagRule, UneLine
from veille.render.digest_page import OTHERS, Option, first_theme, other_sources
from veille.render.french import date_only, french_date, french_datetime, tag_reason
from veille.render.html import query_string
from veille.rules.tagging import EDITOR_FIELD
from veille.text import first_upper, readable, strip_html

__all__ = [
    "Chip", "CorrectionLine", "CurationFilters", "CurationRow", "CurationSection", "UneRow",
    "build_sections", "correction_line", "draft_introduction", "filter_rows", "une_rows",
]  # fmt: skip


@dataclass(frozen=True, slots=True)
class Chip:
    """A theme of an entry, which the editor may remove."""

    name: str
    label: str
    by_editor: bool = False  # an editor added it (the rules did not)
    why: str = ""  # « « IA » dans le titre » (``french.tag_reason``)


@dataclass(frozen=True, slots=True)
class CurationRow:
    id: str
    title: str
    url: str | None
    source: str
    feed: str
    datetime_iso: str
    date_label: str
    themes: tuple[Chip, ...]
    addable: tuple[Option, ...]  # declared themes the entry does not have
    section: str  # its theme in the digest (``first_theme``)
    tags: frozenset[str] = frozenset()
    highlighted: bool = False
    note: str = ""
    reviewed: bool = False
    also_in: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class UneRow:
    """A story of « À la une », in rank order, which the editor may drop (``key``: the
    story's, what the form sends)."""

    key: str
    id: str  # its shown entry
    title: str
    url: str | None
    reason: str  # « Repris par 4 sources, dont Éduscol »
    sources: str  # « (avec L'Étudiant et franceinfo) »: the outlets the reason leaves out


def une_rows(lines: Sequence[UneLine]) -> tuple[UneRow, ...]:
    return tuple(
        UneRow(
            key=line.key,
            id=line.entry.id,
            title=line.entry.title or "(sans titre)",
            url=line.entry.url,
            reason=first_upper(line.reason),
            sources=other_sources(line),
        )
        for line in lines
    )


@dataclass(frozen=True, slots=True)
class CurationSection:
    id: str
    label: str
    rows: tuple[CurationRow, ...]


@dataclass(frozen=True, slots=True)
class CurationFilters:
    """The view asked for (``tag``, ``feed``, ``unreviewed``) and the choices offered."""

    tag: str = ""
    feed: str = ""
    unreviewed: bool = False
    tags: tuple[Option, ...] = ()
    feeds: tuple[Option, ...] = ()

    @property
    def active(self) -> bool:
        return bool(self.tag or self.feed or self.unreviewed)

    @property
    def query(self) -> str:
        """``?tag=…&feed=…&revoir=1`` (empty without a filter): where forms come back to."""
        return query_string(
            [("tag", self.tag), ("feed", self.feed), ("revoir", "1" if self.unreviewed else "")]
        )

    def keep(self, row: CurationRow) -> bool:
        if self.tag and not (
            self.tag in row.tags or (self.tag == OTHERS and row.section == OTHERS)
        ):
            return False
        if self.feed and row.feed != self.feed:
            return False
        return not (self.unreviewed and row.reviewed)


@dataclass(frozen=True, slots=True)
class CorrectionLine:
    """One correction in the list of the latest ones."""

    entry: str
    tag: str
    label: str
    title: str
    added: bool
    editor: str
    date_label: str

    @property
    def text(self) -> str:
        """« Évaluation » retiré de « … », par Maud, le 3 déc. 2026 à 10:02."""
        verb = "ajouté à" if self.added else "retiré de"
        return f"« {self.label} » {verb} « {self.title} », par {self.editor}, le {self.date_label}"


def _row(
    e: EntryView,
    *,
    taxonomy: Sequence[TagRule],
    order: dict[str, int],
    labels: Mapping[str, str],
    reasons: Mapping[str, tuple[str, str]],
    note: str | None,
    reviewed: bool,
    tz: ZoneInfo,
) -> CurationRow:
    day = date_only(e.published, tz)
    tags = tuple(dict.fromkeys(e.tags))
    return CurationRow(
        id=e.id,
        title=e.title or "(sans titre)",
        url=e.url,
        source=e.feed_title,
        feed=e.feed,
        datetime_iso=e.published.astimezone(tz).isoformat(timespec="seconds"),
        date_label=french_date(day, tz) if day else french_datetime(e.published, tz),
        themes=tuple(
            Chip(
                t,
                labels.get(t) or readable(t),
                reasons.get(t, ("", ""))[0] == EDITOR_FIELD,
                tag_reason(*reasons[t]) if t in reasons else "",
            )
            for t in sorted(tags, key=lambda t: (order.get(t, len(order)), t))
        ),
        addable=tuple(Option(r.name, r.label) for r in taxonomy if r.name not in tags),
        section=first_theme(tags, order, frozenset()),
        tags=frozenset(tags),
        highlighted=note is not None,
        note=note or "",
        reviewed=reviewed,
        also_in=e.also_in,
    )


def build_sections(
    entries: Sequence[EntryView],
    highlights: Sequence[tuple[EntryView, str]],
    *,
    taxonomy: Sequence[TagRule],
    labels: Mapping[str, str],
    reasons: Mapping[str, Mapping[str, tuple[str, str]]],
    reviewed: frozenset[str],
    tz: ZoneInfo,
) -> tuple[tuple[CurationRow, ...], tuple[CurationSection, ...]]:
    """``(highlight rows, sections)`` of the issue, unfiltered: ``highlights`` first (the
    editor's order), then ``entries`` (newest first) under their theme, « Autres » last.
    ``reasons``: per entry id, each theme's stored reason ``(field, term)`` (an editor's:
    ``EDITOR_FIELD``), said beside the themes so that a correction is made knowing why."""
    order = {r.name: i for i, r in enumerate(taxonomy)}

    def row(e: EntryView, note: str | None) -> CurationRow:
        return _row(
            e,
            taxonomy=taxonomy,
            order=order,
            labels=labels,
            reasons=reasons.get(e.id, {}),
            note=note,
            reviewed=e.id in reviewed,
            tz=tz,
        )

    picked = tuple(row(e, note) for e, note in highlights)
    shown = {r.id for r in picked}
    groups: dict[str, list[CurationRow]] = {}
    for e in entries:
        if e.id not in shown:
            r = row(e, None)
            groups.setdefault(r.section, []).append(r)
    names = [r.name for r in taxonomy if r.name in groups]
    if OTHERS in groups:
        names.append(OTHERS)
    sections = tuple(CurationSection(n, labels.get(n) or "Autres", tuple(groups[n])) for n in names)
    return picked, sections


def filter_rows(
    highlights: tuple[CurationRow, ...],
    sections: tuple[CurationSection, ...],
    filters: CurationFilters,
) -> tuple[tuple[CurationRow, ...], tuple[CurationSection, ...]]:
    """The same, keeping the rows of the view asked for (sections left empty are dropped)."""
    kept = tuple(
        CurationSection(s.id, s.label, tuple(r for r in s.rows if filters.keep(r)))
        for s in sections
    )
    return tuple(r for r in highlights if filters.keep(r)), tuple(s for s in kept if s.rows)


def correction_line(
    entry: str,
    tag: str,
    *,
    title: str,
    added: bool,
    editor: str,
    when: datetime,
    labels: Mapping[str, str],
    tz: ZoneInfo,
) -> CorrectionLine:
    return CorrectionLine(
        entry=entry,
        tag=tag,
        label=labels.get(tag) or readable(tag),
        title=title or "(sans titre)",
        added=added,
        editor=editor,
        date_label=french_datetime(when, tz),
    )


DRAFT_STORIES = 3  # stories quoted in a drafted introduction
DRAFT_SENTENCE = 280  # a longer first sentence is not quoted: the title is
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-ZÀÂÉÈÊÎÔÛÇ«\"0-9])")


def draft_introduction(lines: Sequence[UneLine], stories: int = DRAFT_STORIES) -> str:
    """A draft of an issue's introduction, made only of what the top stories say: for each
    of the first ``stories``, its source and, quoted, the first sentence of its summary (or
    its title when the summary has no whole sentence short enough). Nothing is invented:
    every quoted sentence is the article's own; one paragraph per story."""
    paragraphs = []
    for line in lines[:stories]:
        e = line.entry
        quoted = _first_sentence(strip_html(e.summary or e.content_html)) or e.title.strip()
        if quoted:
            paragraphs.append(f"{e.feed_title} : « {quoted} »")
    return "\n\n".join(paragraphs)


def _first_sentence(text: str) -> str:
    """The first whole sentence of a plain text (not one cut by « … »), or ""."""
    first = _SENTENCE_END.split(" ".join(text.split()), maxsplit=1)[0].strip()
    if not first or first.endswith("…") or len(first) > DRAFT_SENTENCE:
        return ""
    return first if first[-1] in ".!?" else ""
