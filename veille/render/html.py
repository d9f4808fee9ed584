"""HTML pages (digest, sources, subscription, errors): pure, data in, ``str`` out.

Routes (``veille.web.pages``) select the data, then build one page object here and render it::

    page = build_digest_page(entries, taxonomy=config.tags, now=now, tz=tz, ...)
    html = render_page(page)

Nothing here touches the database, the network or the clock: ``now`` and ``tz`` are passed
in. Templates live in ``templates/`` (Jinja2, autoescape on: every string coming from a feed
is escaped); the stylesheet is ``static/veille.css``. Pages carry no script and no inline
style, so the strict Content-Security-Policy of ``CSP`` holds.

Grouping rule: sections follow the taxonomy (``tags:`` of feeds.yaml, in file
order); an entry appears once, under its first theme in that order — a theme the reader
filtered on wins over the others — and entries without a declared theme go to "Autres", last.
Tags that are not declared (free feed tags) are shown on entries but make no section.

French dates and text (``french_datetime``, ``relative_time``, ``plural`` — also the Jinja
filter —, ``summary_text``) live in :mod:`veille.render.french` and are re-exported here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import jinja2

from veille import PROJECT_URL
from veille.models import EntryView, FeedState, RefusedEdit, TagRule
from veille.render.french import (
    SUMMARY_CHARS,
    date_only,
    french_date,
    french_datetime,
    plural,
    relative_time,
    summary_text,
)
from veille.text import readable

__all__ = [
    "CSP", "SECURITY_HEADERS", "SUMMARY_CHARS", "Chrome", "ConfigNotice", "DigestPage",
    "EntryItem", "ErrorPage", "FeedRow", "FeedsPage", "FilterBar", "Link", "Option", "Section",
    "SubscribeGroup",
    "SubscribePage", "build_digest_page", "build_feeds_page", "explain_error", "french_datetime",
    "plural", "query_string", "relative_time", "render_page", "summary_text",
]  # fmt: skip

# No script at all; styles and images only from this origin (feeds' images are not shown).
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}

SILENT_AFTER = timedelta(days=30)
OTHERS = "autres"


# --- page data ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Link:
    href: str
    label: str
    current: bool = False


@dataclass(frozen=True, slots=True)
class Chrome:
    """What every page shares: the site navigation and ``<link rel="alternate">`` feeds."""

    nav: tuple[Link, ...] = ()
    alternates: tuple[tuple[str, str, str], ...] = ()  # (type, title, href)
    site_title: str = "veille"


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


@dataclass(frozen=True, slots=True)
class FeedRow:
    id: str
    title: str
    url: str
    site_url: str | None
    status: str  # "ok", "error", "disabled", "pending"
    status_label: str  # plain French
    last_fetch: str  # "il y a 12 min (29 nov. 2026 à 08:30)" or "jamais"
    next_fetch: str
    entries: int
    problem: str | None = None  # plain French explanation of the last error
    detail: str | None = None  # the stored (technical) message
    silent: str | None = None  # warning when no new article for SILENT_AFTER


@dataclass(frozen=True, slots=True)
class ConfigNotice:
    """A refused edit of feeds.yaml, told on the sources page."""

    file: str
    line: int | None
    reason: str
    refused: str  # "il y a 3 min (29 nov. 2026 à 08:30)"
    in_force_since: str


@dataclass(frozen=True, slots=True)
class FeedsPage:
    title: str
    chrome: Chrome
    rows: tuple[FeedRow, ...]
    template: str = "feeds.html"
    config_refused: ConfigNotice | None = None

    @property
    def problems(self) -> int:
        return sum(1 for r in self.rows if r.problem or r.silent)


@dataclass(frozen=True, slots=True)
class SubscribeGroup:
    heading: str
    items: tuple[tuple[str, tuple[Link, ...]], ...]  # (label, links)


@dataclass(frozen=True, slots=True)
class SubscribePage:
    title: str
    chrome: Chrome
    groups: tuple[SubscribeGroup, ...]
    opml_href: str = "/opml"
    template: str = "subscribe.html"


@dataclass(frozen=True, slots=True)
class ErrorPage:
    title: str
    message: str
    chrome: Chrome = field(default_factory=Chrome)
    back_href: str = "/"
    links: tuple[Link, ...] = ()  # pages the reader probably wanted
    template: str = "error.html"


Page = DigestPage | FeedsPage | SubscribePage | ErrorPage


# --- rendering -------------------------------------------------------------------------------


def jinja_environment(*folders: str) -> jinja2.Environment:
    """Templates of ``veille/render/<folder>`` (the first folder that has a name wins):
    autoescaped, strict, French filters."""
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader([jinja2.PackageLoader("veille.render", f) for f in folders]),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["plural"] = plural
    # AGPL §13: users of the service are offered its source, on every page.
    env.globals["source_url"] = PROJECT_URL
    return env


@cache
def _environment() -> jinja2.Environment:
    return jinja_environment("templates")


def render_page(page: Page) -> str:
    """The whole HTML document of ``page``."""
    return _environment().get_template(page.template).render(page=page)


def query_string(params: Iterable[tuple[str, str]]) -> str:
    """``?a=1&b=2`` without empty values ("" when nothing is left)."""
    kept = [(k, v) for k, v in params if v]
    return "?" + urlencode(kept) if kept else ""


# --- the digest -------------------------------------------------------------------------------


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


# --- sources ----------------------------------------------------------------------------------

_STATUS = {
    "ok": "Fonctionne",
    "error": "En erreur",
    "disabled": "Désactivée",
    "pending": "Pas encore consultée",
}

# (substring of the stored message, plain explanation); first match wins.
_PROBLEMS: tuple[tuple[str, str], ...] = (
    ("HTTP 410", "L'éditeur a supprimé ce flux : retirez-le de feeds.yaml ou changez d'adresse."),
    ("HTTP 404", "L'adresse du flux n'existe plus (page introuvable) : vérifiez-la."),
    ("HTTP 401", "Le site demande un identifiant pour lire ce flux."),
    ("HTTP 403", "Le site refuse de nous laisser lire ce flux."),
    ("HTTP 429", "Le site demande de ralentir : nouvel essai automatique plus tard."),
    ("HTTP 5", "Le site est en panne ou surchargé : nouvel essai automatique plus tard."),
    ("HTTP 4", "Le site refuse la demande."),
    ("délai", "Le site met trop de temps à répondre."),
    ("réseau", "Le site est injoignable (connexion ou nom de domaine)."),
    ("volumineu", "Le flux est trop volumineux pour être lu."),
    ("redirection", "Le site renvoie vers une adresse incorrecte."),
    ("ni un flux", "L'adresse ne mène pas à un flux RSS, Atom ou JSON lisible."),
    ("sans flux", "L'adresse mène à une page web qui n'annonce aucun flux."),
    ("privé", "Adresse refusée : elle mène à un réseau privé (voir VEILLE_ALLOW_HOSTS)."),
    ("refus", "Adresse refusée par les règles de sécurité."),
)


def explain_error(message: str) -> str:
    """A plain-French sentence for a stored fetch/parse error (the detail is shown beside)."""
    for needle, text in _PROBLEMS:
        if needle in message:
            return text
    return "La dernière mise à jour a échoué."


def build_feeds_page(
    states: Sequence[FeedState],
    *,
    last_entries: dict[str, datetime],
    now: datetime,
    tz: ZoneInfo,
    chrome: Chrome,
    refused: RefusedEdit | None = None,
) -> FeedsPage:
    """One row per source (in the given order); ``last_entries`` maps a feed to its newest
    article date, for the "silent for 30 days" warning; ``refused``: the last edit of
    feeds.yaml, when it was refused (the page says so first)."""

    def when(d: datetime | None, never: str) -> str:
        if d is None:
            return never
        return f"{relative_time(d, now)} ({french_datetime(d, tz)})"

    notice = None
    if refused is not None:
        notice = ConfigNotice(
            refused.path,
            refused.line,
            refused.reason,
            when(refused.at, ""),
            when(refused.in_force_since, ""),
        )

    rows = []
    for s in states:
        latest = last_entries.get(s.id)
        silent = None
        if latest is not None and now - latest >= SILENT_AFTER:
            days = (now - latest).days
            silent = (
                f"Aucun nouvel article depuis {days} jours ({french_datetime(latest, tz)}) : "
                "la source est peut-être abandonnée ou a changé d'adresse."
            )
        next_fetch = "aucune (source désactivée)" if s.status == "disabled" else "dès que possible"
        if s.status != "disabled" and s.next_fetch_at and s.next_fetch_at > now:
            next_fetch = when(s.next_fetch_at, next_fetch)
        rows.append(
            FeedRow(
                id=s.id,
                title=s.title,
                url=s.url,
                site_url=s.site_url,
                status=s.status,
                status_label=_STATUS.get(s.status, s.status),
                last_fetch=when(s.last_fetched_at, "jamais"),
                next_fetch=next_fetch,
                entries=s.entries,
                problem=explain_error(s.last_error) if s.last_error else None,
                detail=s.last_error,
                silent=silent,
            )
        )
    return FeedsPage("État des sources", chrome, tuple(rows), config_refused=notice)
