"""Which stories matter first (« À la une »): an open score over the stories of a period, each
with its reason in plain French. Pure: stories in, ranked stories out.

A story is what the digest shows as one line: the entries of several sources that tell the
same news (a same-story cluster), or one entry alone. Its score adds, with the weights of the
digest (``une.weights`` in feeds.yaml):

- ``sources`` × the number of distinct outlets beyond the first: what others chose to relay is
  the best signal of what matters, and the one a reader can check;
- ``institution`` when at least one source is institutional (the ministry, Éduscol, an
  académie…: a State education authority announcing or publishing);
- ``themes`` × the digest's themes the story carries (at most ``MAX_THEMES`` count: a story is
  not more important for being tagged everything);
- ``recency`` × how fresh the story's latest copy is: 1 now, 0 at the start of the window.

Only a *news* story is ranked (``newsworthy``): one relayed by two outlets or more, or carried
by an institutional source. A post no one relayed is told in its section, never « à la une »,
however fresh. With the default weights a story from one non-institutional source never
outranks one relayed by three outlets or more (its best is themes + recency = 2, theirs
starts at 4). Ties are broken by the earliest publication (who had it first), then by the
story's key, so the order is stable from one page view to the next.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from veille.models import UNE_SIZE, StoryCopy, Weights
from veille.text import plural

__all__ = [
    "DEFAULT_SIZE",
    "MAX_THEMES",
    "RankedStory",
    "Source",
    "Story",
    "Weights",
    "is_news",
    "join_french",
    "newsworthy",
    "rank_stories",
    "score",
    "stories_of",
]

DEFAULT_SIZE = UNE_SIZE
MAX_THEMES = 2
NAMED_SOURCES = 3  # sources named in a reason before « … »


@dataclass(frozen=True, slots=True)
class Source:
    """One copy of a story: the entry of one feed."""

    feed: str
    title: str  # the source's name, as readers know it
    published: datetime
    institutional: bool = False


@dataclass(frozen=True, slots=True)
class Story:
    """One line of a digest: its copies across sources (the shown entry's first)."""

    key: str  # stable: the cluster's id, else the entry's id
    title: str
    sources: tuple[Source, ...]
    themes: tuple[str, ...] = ()
    shown: str = ""  # id of the entry shown for the story (its newest copy)

    @property
    def outlets(self) -> tuple[Source, ...]:
        """One copy per feed (the earliest), in order of publication."""
        first: dict[str, Source] = {}
        for source in sorted(self.sources, key=lambda s: (s.published, s.feed)):
            first.setdefault(source.feed, source)
        return tuple(first.values())

    @property
    def first_published(self) -> datetime:
        return min(s.published for s in self.sources)

    @property
    def last_published(self) -> datetime:
        return max(s.published for s in self.sources)


@dataclass(frozen=True, slots=True)
class RankedStory:
    story: Story
    score: float
    reason: str  # plain French: « repris par 4 sources, dont Éduscol »


def stories_of(
    copies: Iterable[StoryCopy], *, institutions: Collection[str], themes: Collection[str]
) -> list[Story]:
    """Copies (``Store.story_copies``) grouped into stories, each shown by its newest copy
    (as the digest's collapsed line is). ``institutions``: ids of the institutional feeds;
    ``themes``: the taxonomy's themes (a feed's own tags are not themes)."""
    by_story: dict[str, list[StoryCopy]] = {}
    for c in copies:
        by_story.setdefault(c.story, []).append(c)
    stories = []
    for key, group in by_story.items():
        newest = max(group, key=lambda c: (c.published, int(c.id) if c.id.isdigit() else 0))
        tags = dict.fromkeys(t for c in group for t in c.tags if t in themes)
        sources = tuple(
            Source(c.feed, c.feed_title, c.published, c.feed in institutions) for c in group
        )
        stories.append(Story(key, newest.title, sources, tuple(tags), newest.id))
    return stories


def newsworthy(story: Story) -> bool:
    """Whether a story may be « à la une »: relayed by two outlets or more, or carried by an
    institutional source (what others chose to relay, or what the authority announced)."""
    outlets = story.outlets
    return is_news(len(outlets), any(s.institutional for s in outlets))


def is_news(outlets: int, institutional: bool) -> bool:
    """``newsworthy`` from counts (``StoryStats``: a story summed up by the store)."""
    return outlets >= 2 or institutional


def rank_stories(
    stories: Iterable[Story],
    *,
    now: datetime,
    window: timedelta,
    themes: Collection[str] = (),
    weights: Weights = Weights(),
    size: int = DEFAULT_SIZE,
) -> tuple[RankedStory, ...]:
    """The ``size`` most important ``stories``, best first.

    ``themes`` are the digest's themes (empty: every theme counts); ``window`` is the period
    the digest covers, over which freshness goes from 1 to 0.
    """
    ranked = [
        RankedStory(story, _score(story, now, window, themes, weights), reason(story))
        for story in stories
        if story.sources
    ]
    ranked.sort(key=lambda r: (-r.score, r.story.first_published, r.story.key))
    return tuple(ranked[: max(size, 0)])


def _score(
    story: Story, now: datetime, window: timedelta, themes: Collection[str], weights: Weights
) -> float:
    outlets = story.outlets
    return score(
        outlets=len(outlets),
        institutional=any(s.institutional for s in outlets),
        themes=sum(1 for t in story.themes if not themes or t in themes),
        last_published=story.last_published,
        now=now,
        window=window,
        weights=weights,
    )


def score(
    *,
    outlets: int,
    institutional: bool,
    themes: int,
    last_published: datetime,
    now: datetime,
    window: timedelta,
    weights: Weights,
) -> float:
    """The score of a story from its signals: distinct ``outlets``, an ``institutional``
    one among them, the digest's ``themes`` it carries, its latest copy (the module
    docstring says how each weighs). Also what the store's summary of a story is ranked
    with (``StoryStats``), so both orders are one."""
    age = max(now - last_published, timedelta(0))
    freshness = max(0.0, 1.0 - age / window) if window > timedelta(0) else 0.0
    total = (
        weights.sources * (outlets - 1)
        + weights.institution * institutional
        + weights.themes * min(themes, MAX_THEMES)
        + weights.recency * freshness
    )
    return round(total, 6)  # equal signals give equal scores, whatever the float order


def reason(story: Story) -> str:
    """Why a story ranks where it does, in the words a reader checks: who carried it."""
    outlets = story.outlets
    institutions = [s.title for s in outlets if s.institutional]
    if len(outlets) == 1:
        only = outlets[0].title
        return f"publié par {only}" + (" (source institutionnelle)" if institutions else "")
    count = f"repris par {plural(len(outlets), 'source')}"
    if institutions:
        return f"{count}, dont {join_french(institutions)}"
    names = [s.title for s in outlets]
    shown = names[:NAMED_SOURCES] if len(names) <= NAMED_SOURCES else names[: NAMED_SOURCES - 1]
    rest = len(names) - len(shown)
    if rest:
        return f"{count} : {', '.join(shown)} et {plural(rest, 'autre', 'autres')}"
    return f"{count} : {join_french(shown)}"


def join_french(items: Sequence[str]) -> str:
    """``a``, ``a et b``, ``a, b et c``."""
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} et {items[-1]}"
