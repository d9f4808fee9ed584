"""One selection for every output: parse user filters into a ``Selection``, run it.

The API, the pages, the output feeds and the e-mail build their ``Selection`` here, so a
filter means the same thing everywhere. Digests (feeds.yaml) become selections here too.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import replace
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from veille.errors import QueryError
from veille.limits import MAX_ENTRIES, check_date
from veille.models import Config, DigestSpec, EntryPage, Selection, StoryStats, Une, UneLine
from veille.rules.importance import (
    RankedStory,
    is_news,
    newsworthy,
    rank_stories,
    score,
    stories_of,
)
from veille.store import Store

MAX_QUERY = 500


def parse_when(text: str, field: str, tz: ZoneInfo) -> datetime:
    """An RFC 3339 / ISO 8601 date or datetime; without an offset it is read in ``tz``
    (Europe/Paris by default: the users' local time). A date alone means its midnight."""
    value = text.strip()
    if "T" in value and " " in value:
        # An unencoded "+01:00" in a query string arrives as " 01:00".
        value = value.replace(" ", "+")
    try:
        if len(value) == 10:
            when = datetime.combine(date.fromisoformat(value), time(0), tz)
        else:
            when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as e:
        raise QueryError(
            f"{field} : date invalide « {text} » "
            "(attendu : 2026-11-29 ou 2026-11-29T07:30:00+01:00)"
        ) from e
    return check_date(when if when.tzinfo else when.replace(tzinfo=tz), field)


def known_tags(config: Config) -> set[str]:
    """Themes of the taxonomy plus the feeds' own tags."""
    return {t.name for t in config.tags} | {tag for f in config.feeds for tag in f.tags}


def build_selection(
    *,
    tz: ZoneInfo,
    config: Config | None = None,
    tags: Sequence[str] = (),
    exclude_tags: Sequence[str] = (),
    feeds: Sequence[str] = (),
    query: str | None = None,
    since: str | None = None,
    until: str | None = None,
    limit: int = 50,
    max_limit: int = MAX_ENTRIES,
    cursor: str | None = None,
    collapse: bool = False,
    known_feeds: Sequence[str] | None = None,
) -> Selection:
    """Validate user filters (French messages) and build the ``Selection``. With ``config``,
    unknown feeds and tags are refused."""
    if not 1 <= limit <= max_limit:
        raise QueryError(f"limit doit être compris entre 1 et {max_limit}")
    if config is not None and known_feeds is None:
        known_feeds = [f.id for f in config.feeds]
    if known_feeds is not None:
        unknown = sorted(set(feeds) - set(known_feeds))
        if unknown:
            raise QueryError(f"source inconnue : {', '.join(unknown)}")
    if config is not None:
        unknown = sorted((set(tags) | set(exclude_tags)) - known_tags(config))
        if unknown:
            raise QueryError(f"thème inconnu : {', '.join(unknown)}")
    query = (query or "").strip()
    if len(query) > MAX_QUERY:
        raise QueryError(f"recherche trop longue (plus de {MAX_QUERY} caractères)")
    start = parse_when(since, "since", tz) if since else None
    end = parse_when(until, "until", tz) if until else None
    if start and end and start >= end:
        raise QueryError("since doit précéder until")
    return Selection(
        tags=tuple(dict.fromkeys(tags)),
        exclude_tags=tuple(dict.fromkeys(exclude_tags)),
        feeds=tuple(dict.fromkeys(feeds)),
        query=query,
        since=start,
        until=end,
        limit=limit,
        cursor=cursor,
        collapse=collapse,
    )


def digest_selection(digest: DigestSpec, now: datetime, *, limit: int = 50) -> Selection:
    """The selection of a digest of feeds.yaml: its window up to ``now``, its filters, without
    the stories its editors hid."""
    return Selection(
        tags=digest.tags,
        exclude_tags=digest.exclude_tags,
        feeds=digest.feeds,
        query=digest.query,
        since=now - digest.window,
        limit=limit,
        collapse=True,
        hidden_from=digest.name,
    )


def select_entries(store: Store, selection: Selection) -> EntryPage:
    return store.list_entries(selection)


def une_stories(
    store: Store,
    config: Config,
    spec: DigestSpec,
    selection: Selection,
    now: datetime,
    *,
    leave_out: Collection[str] = (),
) -> tuple[RankedStory, ...]:
    """« À la une » of a digest over ``selection``'s period (its ``since`` up to its ``until``,
    else ``now``): the news stories (``rules.importance.newsworthy``) its editors did not drop
    nor leave out (``leave_out``: story keys, e.g. the highlights'), ranked by
    ``rules.importance`` with the digest's weights. Empty when the digest has no « À la
    une ». Three fixed queries whatever the period's size (``_ranked``)."""
    return _ranked(store, config, spec, selection, now, leave_out)[0]


def une_lines(
    store: Store,
    config: Config,
    spec: DigestSpec,
    selection: Selection,
    now: datetime,
    *,
    leave_out: Collection[str] = (),
) -> Une:
    """``une_stories`` with the entry shown for each story (one more query, by ids; with the
    selection's reader's state) and the last change of the period's copies."""
    ranked, changed = _ranked(store, config, spec, selection, now, leave_out)
    wanted = [int(r.story.shown) for r in ranked]
    shown = {e.id: e for e in store.get_entries(wanted, reader=selection.reader)}
    lines = tuple(
        UneLine(
            shown[r.story.shown], r.reason, tuple(s.title for s in r.story.outlets), r.story.key
        )
        for r in ranked
        if r.story.shown in shown
    )
    return Une(lines, changed)


def _ranked(
    store: Store,
    config: Config,
    spec: DigestSpec,
    selection: Selection,
    now: datetime,
    leave_out: Collection[str],
) -> tuple[tuple[RankedStory, ...], datetime | None]:
    """The ranked stories, and the last change of the candidates' copies: the candidates
    summed up by the store (``Store.story_stats``), ranked by their score; then the copies
    of the top ones only (``Store.story_copies``), ranked again with their reasons (the same
    order: ``rules.importance.score`` is the one formula); and the stories editors dropped."""
    if spec.une is None or selection.since is None:
        return (), None
    chosen = replace(selection, hidden_from=spec.name)
    window = (selection.until or now) - selection.since
    weights, size = spec.une.weights, spec.une.size
    institutions = {f.id for f in config.feeds if f.institution}
    taxonomy = {t.name for t in config.tags}
    counted = set(spec.tags) & taxonomy if spec.tags else taxonomy
    stats = store.story_stats(chosen, institutions=institutions, themes=counted)
    skipped = set(leave_out) | store.une_dropped(spec.name)

    def order(s: StoryStats) -> tuple[float, datetime, str]:
        signals = score(
            outlets=s.outlets,
            institutional=s.institutional,
            themes=s.themes,
            last_published=s.last_published,
            now=now,
            window=window,
            weights=weights,
        )
        return -signals, s.first_published, s.key

    news = [s for s in stats if s.key not in skipped and is_news(s.outlets, s.institutional)]
    top = sorted(news, key=order)[:size]
    copies = store.story_copies(chosen, stories=[s.key for s in top]) if top else []
    stories = stories_of(copies, institutions=institutions, themes=taxonomy)
    ranked = rank_stories(
        (s for s in stories if newsworthy(s)),
        now=now,
        window=window,
        themes=spec.tags,
        weights=weights,
        size=size,
    )
    return ranked, max((s.changed for s in stats if s.changed), default=None)
