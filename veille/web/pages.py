"""HTML page routes (issue 4): parse the query, select once, render with ``render.html``.

::

    GET /                     the default digest (the first of feeds.yaml)
    GET /digests/{name}       a digest; filters ?q=&tag=&feed=&period=&cursor= (a GET form)
    GET /feeds                sources' health, for a non-technical admin
    GET /abonnement           how to subscribe (RSS, Atom, JSON Feed, OPML)
    GET /static/{file}        the stylesheet and the icon (no external resource anywhere)

Every HTML answer carries ``SECURITY_HEADERS`` (strict CSP: no script, no inline style). Bad
parameters are a French page with status 400, an unknown digest a page with status 404: the
app's JSON error handlers are for the API, so page handlers never raise them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import cache
from importlib import resources
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from .. import select
from ..config import parse_duration
from ..errors import QueryError
from ..models import Config, DigestSpec, FeedState, Selection
from ..render import html
from ..render.feeds import alternate_links
from ..store import Store

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50
PERIODS = (timedelta(days=1), timedelta(days=7), timedelta(days=30), timedelta(days=365))
MAX_PERIOD = timedelta(days=366)
STATIC = {"veille.css": "text/css; charset=utf-8", "favicon.svg": "image/svg+xml"}


# --- routes -------------------------------------------------------------------------------


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> Response:
    config = _config(request)
    if not config.digests:
        return _error(request, 404, "Aucune sélection", "feeds.yaml ne déclare aucun digest.")
    return _digest(request, config.digests[0], "/")


@router.get("/digests/{name}", response_class=HTMLResponse)
def digest(request: Request, name: str) -> Response:
    spec = next((d for d in _config(request).digests if d.name == name), None)
    if spec is None:
        return _error(request, 404, "Sélection introuvable", f"Aucune sélection « {name} ».")
    return _digest(request, spec, f"/digests/{quote(name, safe='')}")


@router.get("/feeds", response_class=HTMLResponse)
def feeds_page(request: Request) -> Response:
    config, store = _config(request), _store(request)
    states = _in_config_order(config, store.feed_states())
    page = html.build_feeds_page(
        states,
        last_entries=_last_entries(store, states),
        now=_now(request),
        tz=request.app.state.tz,
        chrome=_chrome(request, "/feeds"),
        refused=live.refused if (live := request.app.state.live_config) else None,
    )
    return _html(html.render_page(page))


@router.get("/abonnement", response_class=HTMLResponse)
def subscribe_page(request: Request) -> Response:
    config = _config(request)
    routes = {getattr(r, "path", "") for r in request.app.routes}
    digests = tuple((d.title, _feed_links("digest", d.name, d.title)) for d in config.digests)
    themes = tuple((label, _feed_links("tag", name, label)) for name, label in _labels(config))
    page = html.SubscribePage(
        title="S'abonner à la veille",
        chrome=_chrome(request, "/abonnement"),
        groups=(
            html.SubscribeGroup("Les sélections", digests),
            html.SubscribeGroup("Un thème", themes),
        ),
        available={"/digests/{name}.rss", "/tags/{tag}.rss"} <= routes,
        opml_available="/opml" in routes,
    )
    return _html(html.render_page(page))


@router.get("/static/{name}")
def static(name: str) -> Response:
    return file_response(name, STATIC, _static_bytes)


def file_response(
    name: str, types: dict[str, str], read: Callable[[str], bytes], max_age: int = 3600
) -> Response:
    """One of a fixed set of packaged files (``types``: name → media type), else a 404."""
    if name not in types:
        return Response("introuvable", status_code=404, media_type="text/plain; charset=utf-8")
    return Response(
        read(name),
        media_type=types[name],
        headers={
            "Cache-Control": f"public, max-age={max_age}",
            "X-Content-Type-Options": "nosniff",
        },
    )


# --- the digest ------------------------------------------------------------------------------


def _digest(request: Request, spec: DigestSpec, path: str) -> Response:
    config, tz, now = _config(request), request.app.state.tz, _now(request)
    params = request.query_params
    tags = [t for t in params.getlist("tag") if t]
    feeds = [f for f in params.getlist("feed") if f]
    query = params.get("q", "").strip()
    period_text = params.get("period", "").strip()
    cursor = params.get("cursor") or None
    try:
        period = _period(period_text) if period_text else spec.window
        user = select.build_selection(
            tz=tz, config=config, tags=tags, feeds=feeds, query=query, cursor=cursor
        )
        selection = narrow(select.digest_selection(spec, now, limit=PAGE_SIZE), user, period, now)
        result = select.select_entries(_store(request), selection)
    except QueryError as e:
        return _error(request, 400, "Filtre invalide", str(e), back=path)
    store = _store(request)
    hidden = store.hidden_entries(spec.name)
    entries = [e for e in result.entries if e.id not in hidden]
    picks = store.highlights(spec.name) if cursor is None else []
    highlights = [v for h in picks if (v := store.get_entry(int(h.entry_id)))]
    notes = {h.entry_id: h.note for h in picks}

    kept = [("q", query), *(("tag", t) for t in tags), *(("feed", f) for f in feeds)]
    kept.append(("period", period_text))
    labels = dict(_labels(config))
    page = html.build_digest_page(
        entries,
        title=spec.title,
        taxonomy=config.tags,
        labels=labels,
        now=now,
        tz=tz,
        tag_href=lambda tag: path + html.query_string([("tag", tag)]),
        chrome=_chrome(request, path, alternates=_alternates(spec, tags, labels)),
        filters=_filter_bar(request, config, spec, path, tags, feeds, query, period_text),
        prefer=tags,
        description=_description(selection, now, tz, cursor is not None),
        next_href=path + html.query_string([*kept, ("cursor", result.next_cursor or "")])
        if result.next_cursor
        else None,
        first_href=path + html.query_string(kept) if cursor else None,
        highlights=highlights,
        notes=notes,
        archive_href=f"/digests/{quote(spec.name, safe='')}/archive" if spec.mail else None,
    )
    return _html(html.render_page(page))


def narrow(base: Selection, user: Selection, period: timedelta, now: datetime) -> Selection:
    """The digest's selection narrowed by the reader's filters: a chosen theme or source
    replaces the digest's own list, a search is added to the digest's query, the period
    replaces its window. (Candidate for ``veille.select`` when e-mails need it too.)"""
    query = " ".join(q for q in (base.query, user.query) if q)
    return replace(
        base,
        tags=user.tags or base.tags,
        feeds=user.feeds or base.feeds,
        query=query,
        since=now - period,
        cursor=user.cursor,
    )


def _period(text: str) -> timedelta:
    try:
        period = parse_duration(text)
    except ValueError as e:
        raise QueryError(f"période : {e}") from e
    if not timedelta(minutes=1) <= period <= MAX_PERIOD:
        raise QueryError(f"période « {text} » hors limites (de 1m à 366d)")
    return period


def _filter_bar(
    request: Request,
    config: Config,
    spec: DigestSpec,
    path: str,
    tags: list[str],
    feeds: list[str],
    query: str,
    period_text: str,
) -> html.FilterBar:
    titles = _store(request).feed_titles()
    sources = [(f.id, f.title or titles.get(f.id, f.id)) for f in config.feeds]
    chosen = parse_duration(period_text) if period_text else spec.window  # validated before
    default = html.Option("", f"{_duration_label(spec.window)} (par défaut)", chosen == spec.window)
    periods = [default]
    choices = [p for p in PERIODS if p != spec.window]
    if chosen not in choices and chosen != spec.window:
        choices.append(chosen)
    periods += [
        html.Option(_duration_text(p), _duration_label(p), p == chosen) for p in sorted(choices)
    ]
    return html.FilterBar(
        action=path,
        tags=tuple(html.Option(n, label, n in tags) for n, label in _labels(config)),
        feeds=tuple(html.Option(i, t, i in feeds) for i, t in sources),
        periods=tuple(periods),
        query=query,
        active=bool(tags or feeds or query or period_text),
    )


def _description(selection: Selection, now: datetime, tz: Any, paginated: bool) -> str:
    since = selection.since or now
    text = f"Articles publiés depuis le {html.french_datetime(since, tz)}"
    return text + (", suite de la liste." if paginated else ".")


def _duration_text(d: timedelta) -> str:
    """``timedelta(days=7)`` → ``"7d"`` (what ``parse_duration`` reads back)."""
    seconds = int(d.total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [(days, "d"), (hours, "h"), (minutes, "m"), (secs, "s")]
    return "".join(f"{n}{unit}" for n, unit in parts if n)


def _duration_label(d: timedelta) -> str:
    seconds = int(d.total_seconds())
    if seconds % 86400 == 0:
        days = seconds // 86400
        if days == 1:
            return "24 heures"
        if days in (365, 366):
            return "12 mois"
        return f"{days} jours"
    if seconds % 3600 == 0:
        hours = seconds // 3600
        return html.plural(hours, "heure")
    return f"{seconds // 60} min"


# --- shared steps ----------------------------------------------------------------------------


def _store(request: Request) -> Store:
    return request.app.state.store  # type: ignore[no-any-return]


def _config(request: Request) -> Config:
    return request.app.state.config  # type: ignore[no-any-return]


def _now(request: Request) -> datetime:
    """The clock, injectable for tests: ``app.state.clock`` (a callable) when set."""
    clock: Callable[[], datetime] | None = getattr(request.app.state, "clock", None)
    return clock() if clock else datetime.now(UTC)


def _labels(config: Config) -> list[tuple[str, str]]:
    """Every theme a reader can pick: the taxonomy's, then the sources' own tags."""
    return list(config.tag_labels().items())


def _chrome(
    request: Request, current: str, alternates: list[tuple[str, str, str]] | None = None
) -> html.Chrome:
    """Navigation: every digest (the first one is ``/``), the sources, subscribing."""
    nav = []
    for i, d in enumerate(_config(request).digests):
        href = f"/digests/{quote(d.name, safe='')}"
        here = current == href or (i == 0 and current == "/")
        nav.append(html.Link("/" if i == 0 else href, d.title, here))
    for href, label in (("/feeds", "Sources"), ("/abonnement", "S'abonner")):
        nav.append(html.Link(href, label, current == href))
    return html.Chrome(nav=tuple(nav), alternates=tuple(alternates or ()))


def _alternates(
    spec: DigestSpec, tags: list[str], labels: dict[str, str]
) -> list[tuple[str, str, str]]:
    links = alternate_links("digest", spec.name, title=spec.title)
    for tag in tags:
        links += alternate_links("tag", tag, title=labels.get(tag, tag))
    return links


def _feed_links(kind: str, name: str, title: str) -> tuple[html.Link, ...]:
    names = {"application/rss+xml": "RSS", "application/atom+xml": "Atom"}
    return tuple(
        html.Link(href, names.get(mime, "JSON"))
        for mime, _, href in alternate_links(kind, name, title=title)  # type: ignore[arg-type]
    )


def _in_config_order(config: Config, states: list[FeedState]) -> list[FeedState]:
    order = {f.id: i for i, f in enumerate(config.feeds)}
    return sorted(states, key=lambda s: (order.get(s.id, len(order)), s.id))


def _last_entries(store: Store, states: list[FeedState]) -> dict[str, datetime]:
    """Newest article date per feed (one indexed query each; a column of FeedState later)."""
    newest: dict[str, datetime] = {}
    for s in states:
        page = store.list_entries(Selection(feeds=(s.id,), limit=1))
        if page.entries:
            newest[s.id] = page.entries[0].published
    return newest


@cache
def _static_bytes(name: str) -> bytes:
    return (resources.files("veille.render") / "static" / name).read_bytes()


def _html(body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(body, status_code=status, headers=html.SECURITY_HEADERS)


def _error(request: Request, status: int, title: str, message: str, back: str = "/") -> Response:
    page = html.ErrorPage(title, message, chrome=_chrome(request, ""), back_href=back)
    return _html(html.render_page(page), status)
