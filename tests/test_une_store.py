"""« À la une » through the store, on SQLite and PostgreSQL: the copies of a week's stories
(one query), grouped and ranked by ``selection.une_stories`` over a week in which outlets
relay the same stories under rephrased titles (``tests/une_week.py``)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from tests.une_week import NOW, TOP, fill_une_week, write_config
from veille.config.load import load_config
from veille.models import Config, DigestSpec, StoryCopy, UneSpec, Weights
from veille.selection import digest_selection, une_stories
from veille.store import Store

Week = tuple[Store, Config, DigestSpec, dict[str, str]]


@pytest.fixture
def week(store: Store, tmp_path: Path) -> Week:
    """The store holding the week, its configuration, the weekly digest and each title's
    story."""
    config = load_config(write_config(tmp_path))
    titles = fill_une_week(store, config)
    spec = config.digest("hebdo")
    assert spec is not None
    return store, config, spec, {t: story for story, ts in titles.items() for t in ts}


def test_copies_of_the_week_are_one_story_per_news(
    week: Week,
) -> None:
    store, _config, spec, story_of = week
    copies = store.story_copies(digest_selection(spec, NOW))
    assert len(copies) == len(story_of)  # every telling and post, once (tags folded in)
    news: dict[str, set[str]] = {}
    for c in copies:
        news.setdefault(c.story, set()).add(story_of[c.title])
    assert all(len(n) == 1 for n in news.values())  # the pair set's stories, not mixed
    assert len(news) == len(set(story_of.values()))
    (bac,) = [c for c in copies if c.feed == "education-gouv" and "Baccalauréat" in c.title]
    assert bac.tags == ("examens",)
    assert [c.published for c in copies] == sorted(c.published for c in copies)


def test_a_themed_digest_counts_every_copy_of_the_stories_it_matched(
    week: Week,
) -> None:
    store, _config, spec, story_of = week
    themed = digest_selection(replace(spec, tags=("ressources",)), NOW)
    stories: dict[str, set[str]] = {}
    for c in store.story_copies(themed):
        stories.setdefault(story_of[c.title], set()).add(c.feed)
    # cafe-pedagogique's telling of the Éduthèque closure has the theme « ressources », the
    # two others too; the blog post is the blog's alone; nothing about exams or the ENT attack.
    assert stories == {
        "edutheque-fermeture": {"eduscol", "cafe-pedagogique", "ludomag"},
        "apps-education-visio": {"touteduc", "vousnousils"},
        "blog-1": {"blog"},
    }


def test_the_most_relayed_stories_come_first_with_their_reasons(
    week: Week,
) -> None:
    store, config, spec, story_of = week
    ranked = une_stories(store, config, spec, digest_selection(spec, NOW), NOW)
    # Four outlets with the ministry (the bac calendar, fresher, first), three with Éduscol,
    # three without an institution, two.
    assert [(story_of[r.story.title], r.reason) for r in ranked] == TOP
    # Each story is shown by its newest copy, as the digest's line is.
    lines = {e.story: e.id for e in store.list_entries(digest_selection(spec, NOW)).entries}
    assert all(lines[r.story.key] == r.story.shown for r in ranked)
    # Stable from one page view to the next.
    again = une_stories(store, config, spec, digest_selection(spec, NOW), NOW)
    assert [r.story.key for r in again] == [r.story.key for r in ranked]


def test_a_blog_post_nobody_relayed_is_never_a_la_une(week: Week) -> None:
    store, config, spec, story_of = week
    everything = replace(spec, une=UneSpec(size=20))
    ranked = une_stories(store, config, everything, digest_selection(spec, NOW), NOW)
    # Every story two outlets or more carried, and nothing else: the blog's posts are the
    # freshest and carry the most themes, yet nobody relayed them.
    assert {story_of[r.story.title] for r in ranked} == {
        s for s in story_of.values() if not s.startswith("blog-")
    }
    assert all(len(r.story.outlets) >= 2 for r in ranked)


def test_weights_of_feeds_yaml_change_the_order(week: Week) -> None:
    """With only freshness weighing, the freshest relayed stories come first."""
    store, config, spec, _ = week
    fresh = replace(spec, une=UneSpec(3, Weights(sources=0, institution=0, themes=0, recency=1)))
    ranked = une_stories(store, config, fresh, digest_selection(spec, NOW), NOW)
    default = une_stories(store, config, spec, digest_selection(spec, NOW), NOW)
    assert [r.story.last_published for r in ranked] == sorted(
        (r.story.last_published for r in ranked), reverse=True
    )
    assert [r.story.key for r in ranked] != [r.story.key for r in default[:3]]


def test_a_hidden_story_is_not_ranked(week: Week) -> None:
    store, config, spec, _ = week
    ranked = une_stories(store, config, spec, digest_selection(spec, NOW), NOW)
    store.hide_entry(spec.name, ranked[0].story.shown, NOW)
    after = une_stories(store, config, spec, digest_selection(spec, NOW), NOW)
    assert [r.story.key for r in after][:4] == [r.story.key for r in ranked][1:5]


def test_the_stores_summary_agrees_with_the_copies(week: Week) -> None:
    """``story_stats`` (what ranking reads at scale) sums up exactly what ``story_copies``
    lists, for every story that may be news: relayed, or carried by an institution."""
    store, config, spec, _ = week
    selection = digest_selection(spec, NOW)
    themes = {t.name for t in config.tags}
    stats = {
        s.key: s for s in store.story_stats(selection, institutions={"eduscol"}, themes=themes)
    }
    by_story: dict[str, list[StoryCopy]] = {}
    for c in store.story_copies(selection):
        by_story.setdefault(c.story, []).append(c)
    news = {
        k: cs
        for k, cs in by_story.items()
        if len({c.feed for c in cs}) >= 2 or any(c.feed == "eduscol" for c in cs)
    }
    assert set(stats) == set(news)
    for key, copies in news.items():
        s = stats[key]
        assert s.outlets == len({c.feed for c in copies})
        assert s.institutional == any(c.feed == "eduscol" for c in copies)
        assert s.themes == len({t for c in copies for t in c.tags if t in themes})
        assert s.first_published == min(c.published for c in copies)
        assert s.last_published == max(c.published for c in copies)
        assert s.changed == max(c.changed for c in copies if c.changed)
