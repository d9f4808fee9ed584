"""« À la une »: the open ranking of stories (``rules.importance``), table-driven."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from veille.rules.importance import (
    RankedStory,
    Source,
    Story,
    Weights,
    join_french,
    newsworthy,
    rank_stories,
    reason,
)

NOW = datetime(2026, 11, 30, 8, tzinfo=UTC)
WEEK = timedelta(days=7)


def src(feed: str, hours_ago: float = 24, *, title: str = "", inst: bool = False) -> Source:
    return Source(feed, title or feed.capitalize(), NOW - timedelta(hours=hours_ago), inst)


def story(key: str, *sources: Source, themes: tuple[str, ...] = ()) -> Story:
    return Story(key, f"Titre {key}", sources, themes)


def keys(ranked: tuple[RankedStory, ...]) -> list[str]:
    return [r.story.key for r in ranked]


def test_the_most_relayed_story_comes_first() -> None:
    stories = [
        story("blog", src("blog", 1), themes=("ia", "evaluation")),
        story("pix", src("cafe"), src("ludomag"), src("vousnousils"), src("educavox")),
        story("ent", src("cafe", 30), src("ludomag", 30)),
    ]
    assert keys(rank_stories(stories, now=NOW, window=WEEK)) == ["pix", "ent", "blog"]


def test_one_blog_never_outranks_three_outlets_with_the_default_weights() -> None:
    # The blog's best: every digest theme, published this very minute.
    blog = story("blog", src("blog", 0), themes=("ia", "evaluation", "pix"))
    # Three outlets, the freshest copy at the very start of the window, no theme.
    three = story("three", *(src(f"media{i}", 24 * 7) for i in range(3)))
    assert keys(rank_stories([blog, three], now=NOW, window=WEEK)) == ["three", "blog"]


def test_an_institutional_source_counts() -> None:
    plain = story("plain", src("cafe"), src("ludomag"))
    official = story("official", src("cafe"), src("eduscol", title="Éduscol", inst=True))
    assert keys(rank_stories([plain, official], now=NOW, window=WEEK)) == ["official", "plain"]


def test_copies_from_one_feed_count_once() -> None:
    twice = story("twice", src("cafe", 20), src("cafe", 10), src("cafe", 5))
    two = story("two", src("cafe", 20), src("ludomag", 20))
    ranked = rank_stories([twice, two], now=NOW, window=WEEK)
    assert keys(ranked) == ["two", "twice"]
    assert ranked[1].reason == "publié par Cafe"


@pytest.mark.parametrize(
    ("digest_themes", "expected"),
    [
        ((), ["two-themes", "one-theme", "none"]),  # every theme counts
        (("ia",), ["one-theme", "two-themes", "none"]),  # only the digest's
    ],
)
def test_themes_of_the_digest(digest_themes: tuple[str, ...], expected: list[str]) -> None:
    stories = [
        story("none", src("a", 13)),
        story("one-theme", src("b", 12), themes=("ia",)),
        story("two-themes", src("c", 11), themes=("pix", "ent")),
    ]
    ranked = rank_stories(stories, now=NOW, window=WEEK, themes=digest_themes)
    assert keys(ranked) == expected


def test_at_most_two_themes_count() -> None:
    many = story("many", src("a", 10), themes=("ia", "pix", "ent", "rgpd"))
    two = story("two", src("b", 10), themes=("ia", "pix"))
    ranked = rank_stories([many, two], now=NOW, window=WEEK)
    assert ranked[0].score == ranked[1].score


def test_fresher_first_when_all_else_is_equal() -> None:
    old = story("old", src("a", 100), src("b", 100))
    new = story("new", src("c", 2), src("d", 2))
    assert keys(rank_stories([old, new], now=NOW, window=WEEK)) == ["new", "old"]


def test_ties_go_to_the_earliest_publication_then_the_key() -> None:
    # Same score: same outlets count, same latest copy; "later" had its first copy later.
    first = story("zzz-first", src("a", 30), src("b", 5))
    later = story("aaa-later", src("c", 20), src("d", 5))
    same = story("aaa-same", src("e", 30), src("f", 5))
    recency_off = Weights(recency=0)
    ranked = rank_stories([later, first, same], now=NOW, window=WEEK, weights=recency_off)
    assert keys(ranked) == ["aaa-same", "zzz-first", "aaa-later"]
    # Stable from one call to the next, whatever the input order.
    again = rank_stories([same, first, later], now=NOW, window=WEEK, weights=recency_off)
    assert keys(again) == keys(ranked)


def test_weights_change_the_order() -> None:
    relayed = story("relayed", src("a"), src("b"), src("c"))
    official = story("official", src("edu", inst=True))
    default = rank_stories([relayed, official], now=NOW, window=WEEK)
    institution_first = rank_stories(
        [relayed, official], now=NOW, window=WEEK, weights=Weights(institution=5)
    )
    assert keys(default) == ["relayed", "official"]
    assert keys(institution_first) == ["official", "relayed"]


def test_size_and_empty_stories() -> None:
    stories = [story(str(i), src(f"f{i}", i)) for i in range(8)] + [story("empty")]
    assert len(rank_stories(stories, now=NOW, window=WEEK)) == 5
    assert len(rank_stories(stories, now=NOW, window=WEEK, size=2)) == 2
    assert rank_stories(stories, now=NOW, window=WEEK, size=0) == ()
    assert "empty" not in keys(rank_stories(stories, now=NOW, window=WEEK, size=20))


def test_a_future_date_counts_as_now_and_an_old_one_as_zero() -> None:
    future = story("future", src("a", -5))
    ancient = story("ancient", src("b", 24 * 30))
    ranked = {r.story.key: r.score for r in rank_stories([future, ancient], now=NOW, window=WEEK)}
    assert ranked == {"future": 1.0, "ancient": 0.0}


@pytest.mark.parametrize(
    ("sources", "expected"),
    [
        ([src("cafe", title="Café pédagogique")], "publié par Café pédagogique"),
        (
            [src("edu", title="Éduscol", inst=True)],
            "publié par Éduscol (source institutionnelle)",
        ),
        (
            [src("a", 3, title="A"), src("b", 2, title="B")],
            "repris par 2 sources : A et B",
        ),
        (
            [src("a", 3, title="A"), src("b", 2, title="B"), src("c", 1, title="C")],
            "repris par 3 sources : A, B et C",
        ),
        (
            [src(x, 9 - i, title=x.upper()) for i, x in enumerate("abcde")],
            "repris par 5 sources : A, B et 3 autres",
        ),
        (
            [src("a", title="A"), src("edu", title="Éduscol", inst=True), src("c", title="C")],
            "repris par 3 sources, dont Éduscol",
        ),
        (
            [src("m", 5, title="Ministère", inst=True), src("e", 4, title="Éduscol", inst=True)],
            "repris par 2 sources, dont Ministère et Éduscol",
        ),
    ],
)
def test_reasons_in_french(sources: list[Source], expected: str) -> None:
    assert reason(story("s", *sources)) == expected


@pytest.mark.parametrize(
    ("items", "expected"),
    [([], ""), (["a"], "a"), (["a", "b"], "a et b"), (["a", "b", "c"], "a, b et c")],
)
def test_join_french(items: list[str], expected: str) -> None:
    assert join_french(items) == expected


@pytest.mark.parametrize(
    ("sources", "expected"),
    [
        ((src("blog"),), False),  # nobody relayed it
        ((src("blog", 2), src("blog", 1)), False),  # one outlet, twice
        ((src("cafe"), src("ludomag")), True),  # relayed
        ((src("eduscol", title="Éduscol", inst=True),), True),  # the authority announced it
    ],
)
def test_newsworthy(sources: tuple[Source, ...], expected: bool) -> None:
    assert newsworthy(story("s", *sources)) is expected
