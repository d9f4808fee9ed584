"""The site's other pages: the sources' state (for a non-technical admin: each problem said
in plain French, silent sources, a refused edit of feeds.yaml), how to subscribe, and the
error page. Pure: data in, page out (``veille.render.html.render_page`` writes it)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from veille.models import FeedState, RefusedEdit
from veille.render.french import french_datetime, relative_time
from veille.render.html import Chrome, Link

__all__ = [
    "ConfigNotice", "ErrorPage", "FeedRow", "FeedsPage", "SubscribeGroup", "SubscribePage",
    "build_feeds_page", "explain_error",
]  # fmt: skip

SILENT_AFTER = timedelta(days=30)


# --- the sources ------------------------------------------------------------------------------


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


# --- subscribing and errors -------------------------------------------------------------------


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
