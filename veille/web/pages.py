"""HTML page routes: parse the query, select once, build a page of ``render.digest_page`` or
``render.site_pages`` and render it with ``render.html``.

::

    GET /                     the default digest (the first of feeds.yaml)
    GET /digests/{name}       a digest; filters ?q=&tag=&feed=&period=&cursor= (a GET form),
                              ?vue=titres: titles only
    GET /feeds                sources' health, for a non-technical admin
    GET /abonnement           how to subscribe (RSS, Atom, JSON Feed, OPML)

What a digest page holds: the digest's window, or a reader's filter over at most a week, is a
period shown whole (every section complete, up to ``WHOLE_MAX`` entries); a search, or a
longer period, is an open-ended list shown ``PAGE_SIZE`` at a time, and says so. A search
without a chosen period looks at every date. Every count is a count of the whole view.

Every HTML answer carries ``SECURITY_HEADERS`` (strict CSP: no script, no inline style). Bad
parameters are a French page with status 400, an unknown digest a page with status 404; errors
raised elsewhere reach a browser as a French page too (``web.error_pages``).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from urllib.parse import quote

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from veille.config.durations import format_duration, parse_duration
from veille.errors import QueryError
from veille.models import Config, DigestSpec, FeedState, Selection
from veille.render import digest_page, headline, html, site_pages
from veille.render.french import duration_label
from veille.selection import build_selection, digest_selection, select_entries, une_lines
from veille.store import Store
from veille.web import feed_links, reading_state, state
from veille.web.accounts import require_account
from veille.web.chrome import site_chrome
from veille.web.private import personal_feeds

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50  # entries per page of an open-ended list (a search, a long period)
WHOLE_MAX = 500  # a period is shown whole up to this many entries (the store's page maximum)
WHOLE_PERIOD = timedelta(days=7)  # a filtered view over at most this is a period, shown whole
ALL_DATES = "tout"  # ?period=tout: every date
VUE_TITRES = "titres"  # ?vue=titres: titles only, grouped by theme
PERIODS = (timedelta(days=1), timedelta(days=7), timedelta(days=30), timedelta(days=365))
MAX_PERIOD = timedelta(days=366)


# --- routes -------------------------------------------------------------------------------


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> Response:
    config = state.config(request)
    if not config.digests:
        return error_page(request, 404, "Aucune sélection", "feeds.yaml ne déclare aucun digest.")
    return _digest(request, config.digests[0], "/")


@router.get("/digests/{name}", response_class=HTMLResponse)
def digest(request: Request, name: str) -> Response:
    spec = state.config(request).digest(name)
    if spec is None:
        return error_page(request, 404, "Sélection introuvable", f"Aucune sélection « {name} ».")
    return _digest(request, spec, f"/digests/{quote(name, safe='')}")


@router.get("/feeds", response_class=HTMLResponse)
def feeds_page(request: Request) -> Response:
    config, store = state.config(request), state.store(request)
    states = _in_config_order(config, store.feed_states())
    page = site_pages.build_feeds_page(
        states,
        last_entries=_last_entries(store, states),
        now=state.now(request),
        tz=request.app.state.tz,
        chrome=site_chrome(request, "/feeds"),
        refused=live.refused if (live := request.app.state.live_config) else None,
    )
    return _html(html.render_page(page))


@router.get("/abonnement", response_class=HTMLResponse)
def subscribe_page(request: Request) -> Response:
    config, own = state.config(request), personal_feeds(request)
    digests = tuple(
        (d.title, feed_links.links("digest", d.name, d.title, own)) for d in config.digests
    )
    digests += tuple(
        (f"{d.title} — À la une", feed_links.links("une", d.name, f"{d.title} — À la une", own))
        for d in config.digests
        if d.une
    )
    themes = tuple(
        (label, feed_links.links("tag", name, label, own)) for name, label in _labels(config)
    )
    titles = _feed_titles(request, config)
    sources = tuple(
        (titles[f.id], feed_links.links("filter", [("feed", f.id)], titles[f.id], own))
        for f in config.feeds
    )
    page = site_pages.SubscribePage(
        title="S'abonner à la veille",
        chrome=site_chrome(request, "/abonnement"),
        groups=(
            site_pages.SubscribeGroup("Les sélections", digests),
            site_pages.SubscribeGroup("Un thème", themes),
            site_pages.SubscribeGroup("Une source", sources),
        ),
    )
    return _html(html.render_page(page))


# --- the digest ------------------------------------------------------------------------------


def _digest(request: Request, spec: DigestSpec, path: str) -> Response:
    config, tz, now = state.config(request), request.app.state.tz, state.now(request)
    params = request.query_params
    tags = [t for t in params.getlist("tag") if t]
    feeds = [f for f in params.getlist("feed") if f]
    query = params.get("q", "").strip()
    period_text = params.get("period", "").strip()
    cursor = params.get("cursor") or None
    compact = params.get("vue", "") == VUE_TITRES
    new = params.get("vue", "") == reading_state.VUE_NOUVEAUX  # a reader's « nouveaux »
    reader = reading_state.reader_of(request)
    if new and reader is None and (login := require_account(request)) is not None:
        return login
    store = state.store(request)
    try:
        if params.get("vue", "") not in ("", VUE_TITRES, reading_state.VUE_NOUVEAUX):
            raise QueryError(f"vue inconnue « {params['vue'][:40]} » (possible : {VUE_TITRES})")
        period = _period_of(period_text, spec, query)
        user = build_selection(
            tz=tz, config=config, tags=tags, feeds=feeds, query=query, cursor=cursor
        )
        selection = narrow(digest_selection(spec, now, limit=WHOLE_MAX), user, period, now)
        if reader is not None:
            selection = reader.selection(selection, new)
            period = None if new else period
        total = store.count_selected(replace(selection, cursor=None))
        paged = not _whole(spec, query, period) or total > WHOLE_MAX
        if paged:
            selection = replace(selection, limit=PAGE_SIZE)
            first = total - store.count_selected(selection) + 1 if cursor else 1
        else:  # the whole period on one page, whatever the address says
            selection, first = replace(selection, cursor=None), 1
        result = select_entries(store, selection)
    except QueryError as e:
        return error_page(request, 400, "Filtre invalide", str(e), back=path)
    entries = list(result.entries)
    narrowed = bool(tags or feeds or query or period_text or new)
    picks = store.highlights(spec.name) if not narrowed and first == 1 else []
    highlights = store.get_entries([int(h.entry_id) for h in picks], reader=selection.reader)
    notes = {h.entry_id: h.note for h in picks}
    # « À la une »: the digest itself, first page (a reader's filter is a search, not news)
    une = (
        une_lines(store, config, spec, selection, now, leave_out={h.story for h in highlights})
        if not narrowed and first == 1
        else None
    )

    kept = [("q", query), *(("tag", t) for t in tags), *(("feed", f) for f in feeds)]
    kept.append(("period", period_text))
    view_href = path + html.query_string([*kept, ("vue", "" if compact else VUE_TITRES)])
    kept.append(("vue", VUE_TITRES if compact else reading_state.VUE_NOUVEAUX if new else ""))
    labels = dict(_labels(config))
    titles = _feed_titles(request, config)
    shown = headline.Shown(
        title=spec.title,
        total=total,
        shown=len(entries),
        first=first,
        query=query,
        themes=tuple(labels.get(t, t) for t in tags),
        sources=tuple(titles.get(f, f) for f in feeds),
        period=duration_label(period) if period else "",
        since=selection.since,
        narrowed=narrowed,
        paged=paged and total > PAGE_SIZE,
        arrived_since=reader.arrived_since if new and reader else None,
        first_visit=bool(new and reader and reader.visit_start is None),
        new=new,
    )
    own = personal_feeds(request)
    feeds_of_view = feed_links.owned(
        feed_links.of_view(spec, selection, bool(tags or feeds or query), shown), own
    )
    page = digest_page.build_digest_page(
        entries,
        title=headline.heading(shown),
        taxonomy=config.tags,
        labels=labels,
        now=now,
        tz=tz,
        tag_href=lambda tag: path + html.query_string([("tag", tag)]),
        chrome=site_chrome(
            request,
            path,
            list(
                dict.fromkeys(
                    feeds_of_view + feed_links.owned(feed_links.alternates(spec, tags, labels), own)
                )
            ),
        ),
        filters=_filter_bar(config, titles, spec, path, tags, feeds, query, period_text, period),
        prefer=tags,
        description=headline.lead(shown, tz),
        next_href=path + html.query_string([*kept, ("cursor", result.next_cursor or "")])
        if paged and result.next_cursor
        else None,
        first_href=path + html.query_string(kept) if paged and cursor else None,
        highlights=highlights,
        notes=notes,
        archive_href=f"/digests/{quote(spec.name, safe='')}/archive" if spec.mail else None,
        curation_href=f"/curation/{quote(spec.name, safe='')}" if spec.mail else None,
        subscribe=tuple(feed_links.visible(feeds_of_view)),
        une=une.lines if une else (),
        une_feeds=feed_links.links("une", spec.name, f"{spec.title} — À la une", own)
        if une
        else (),
        compact=compact,
        view_href=None if new else view_href,
        reader=reader.bar(request, path, new) if reader else None,
    )
    answer = _html(html.render_page(page))
    return reading_state.private(answer) if reader else answer


def narrow(base: Selection, user: Selection, period: timedelta | None, now: datetime) -> Selection:
    """The digest's selection narrowed by the reader's filters: a chosen theme or source
    replaces the digest's own list, a search is added to the digest's query, the period
    (None: every date) replaces its window. (Candidate for ``veille.selection`` when e-mails
    need it too.)"""
    query = " ".join(q for q in (base.query, user.query) if q)
    return replace(
        base,
        tags=user.tags or base.tags,
        feeds=user.feeds or base.feeds,
        query=query,
        since=now - period if period is not None else None,
        cursor=user.cursor,
    )


def _period_of(text: str, spec: DigestSpec, query: str) -> timedelta | None:
    """The period a view covers (None: every date): the reader's choice, else the digest's
    window — except for a search, which looks everywhere unless told otherwise."""
    if text == ALL_DATES:
        return None
    if text:
        return _period(text)
    return None if query else spec.window


def _whole(spec: DigestSpec, query: str, period: timedelta | None) -> bool:
    """Whether a view is a period to show whole (up to ``WHOLE_MAX`` entries): the digest's
    window, or any filter over at most ``WHOLE_PERIOD``. A search, or a long period, is an
    open-ended list shown ``PAGE_SIZE`` at a time."""
    return not query and period is not None and period <= max(spec.window, WHOLE_PERIOD)


def _period(text: str) -> timedelta:
    try:
        period = parse_duration(text)
    except ValueError as e:
        raise QueryError(f"période : {e}") from e
    if not timedelta(minutes=1) <= period <= MAX_PERIOD:
        raise QueryError(f"période « {text} » hors limites (de 1m à 366d)")
    return period


def _filter_bar(
    config: Config,
    titles: dict[str, str],
    spec: DigestSpec,
    path: str,
    tags: list[str],
    feeds: list[str],
    query: str,
    period_text: str,
    period: timedelta | None,
) -> digest_page.FilterBar:
    # Without a search, "" is the digest's window; a search without a period looks at
    # every date, so there the window is one choice among the others.
    if query:
        choices, periods = {*PERIODS, spec.window}, []
    else:
        choices = {p for p in PERIODS if p != spec.window}
        label = f"{duration_label(spec.window)} (par défaut)"
        periods = [digest_page.Option("", label, period == spec.window)]
    if period is not None and (query or period != spec.window):
        choices.add(period)
    periods += [
        digest_page.Option(format_duration(p), duration_label(p), p == period)
        for p in sorted(choices)
    ]
    periods.append(digest_page.Option(ALL_DATES, "Toutes les dates", period is None))
    return digest_page.FilterBar(
        action=path,
        tags=tuple(digest_page.Option(n, label, n in tags) for n, label in _labels(config)),
        feeds=tuple(digest_page.Option(f.id, titles[f.id], f.id in feeds) for f in config.feeds),
        periods=tuple(periods),
        query=query,
        active=bool(tags or feeds or query or period_text),
    )


# --- shared steps ----------------------------------------------------------------------------


def _labels(config: Config) -> list[tuple[str, str]]:
    """Every theme a reader can pick: the taxonomy's, then the sources' own tags."""
    return list(config.tag_labels().items())


def _feed_titles(request: Request, config: Config) -> dict[str, str]:
    """Each source's title: feeds.yaml's, else the feed's own, else its id."""
    stored = state.store(request).feed_titles()
    return {f.id: f.title or stored.get(f.id, f.id) for f in config.feeds}


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


def _html(body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(body, status_code=status, headers=html.SECURITY_HEADERS)


def error_page(
    request: Request,
    status: int,
    title: str,
    message: str,
    back: str = "/",
    links: tuple[html.Link, ...] = (),
) -> Response:
    page = site_pages.ErrorPage(
        title, message, chrome=site_chrome(request, ""), back_href=back, links=links
    )
    return _html(html.render_page(page), status)


def theme_label(config: Config, tag: str) -> str | None:
    """The label of a theme a reader can pick (None: not one)."""
    return dict(_labels(config)).get(tag)
