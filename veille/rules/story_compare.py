"""How two stories (``story.Story``: the features of a title and the lead of its summary)
compare, and what sets them apart. Pure.

``compare(a, b)`` measures what two stories share: the weight ``shared`` of their common
features (each counted at the lower of its two weights), its ``cosine`` (shared weight over
the geometric mean of their total weights: how much of what each says is shared), and the
``events``: common features that are neither names nor places, i.e. *what happened* (two
news of one product in one region share who and where, not what happened).
``discord(a, b)`` names what two stories disagree on without being set apart: both give
figures (``Story.amounts``: dates, percentages, amounts) and none in common, or both name
kinds of event (``Story.kinds``, ``story_terms.EVENT_KINDS``: an outage, a strike, a
closure…) and none in common, or one's title names a kind of event and the other names none.
``conflict(a, b)`` names the sign of two different news of one topic, whatever else they
share: each has exactly one date and they differ (« grève le 10 décembre » / « le 8
décembre »), or both name school levels and none in common (« résultats en CP et CE1 » /
« en 6e et 4e »), or both name regions, or académies, and none in common.

The rule that decides (``clustering``) reads these; ``evidence(a, b)`` lists the common
features for a person checking why two entries were grouped."""

from __future__ import annotations

import math
from dataclasses import dataclass

from veille.rules.story import Story
from veille.rules.story_words import WORD_W

__all__ = ["Comparison", "compare", "conflict", "discord", "evidence"]


@dataclass(frozen=True, slots=True)
class Comparison:
    shared: float  # weight of the common features
    cosine: float  # shared weight over the geometric mean of the two totals
    events: int  # common features that tell what happened: neither names nor places
    names: int  # common features that both write as names (or places)


def conflict(a: Story, b: Story) -> str | None:
    """Why two stories are two news of one topic, whatever else they share (``None``: no
    reason): each has one date and they differ, or their school levels, regions or
    académies have nothing in common."""
    if len(a.dates) == 1 and len(b.dates) == 1 and a.dates != b.dates:
        return "dates"
    if a.levels and b.levels and a.levels.isdisjoint(b.levels):
        return "levels"
    if a.regions and b.regions and a.regions.isdisjoint(b.regions):
        return "places"
    if a.academies and b.academies and a.academies.isdisjoint(b.academies):
        return "places"
    return None


def discord(a: Story, b: Story) -> tuple[str, ...]:
    """What two stories disagree on without being set apart (``conflict``): both give figures
    (dates, percentages, amounts) and none in common (``"amounts"``), both name kinds of event
    and none in common (``"kinds"``), or one title names a kind of event and the other telling
    names none (``"one-kind"``: an account migration and a phishing campaign about it, one
    académie). Tellings of one story quote different figures, call one event by two kinds or
    tell it without its kind's word often enough that these ask for more agreement, not for
    none."""
    found: tuple[str, ...] = ()
    if a.amounts and b.amounts and a.amounts.isdisjoint(b.amounts):
        found += ("amounts",)
    if a.kinds and b.kinds and a.kinds.isdisjoint(b.kinds):
        found += ("kinds",)
    elif (a.headline_kinds and not b.kinds) or (b.headline_kinds and not a.kinds):
        found += ("one-kind",)
    return found


def compare(a: Story, b: Story) -> Comparison:
    """What two stories share (one pass over the smaller one: it runs for every candidate)."""
    small, large = (
        (a.weights, b.weights) if len(a.weights) <= len(b.weights) else (b.weights, a.weights)
    )
    shared, events, names = 0.0, 0, 0
    for feature, weight in small.items():
        other = large.get(feature)
        if other is not None:
            common = weight if weight < other else other
            shared += common
            if feature in a.entities or feature in b.entities:
                names += feature in a.entities and feature in b.entities
            elif common >= WORD_W:
                events += 1
    cosine = shared / math.sqrt(a.total * b.total) if a.total and b.total else 0.0
    return Comparison(shared, cosine, events, names)


def evidence(a: Story, b: Story) -> tuple[str, ...]:
    """The common features, heaviest first: why two stories were found alike."""
    common = {f: min(w, b.weights[f]) for f, w in a.weights.items() if f in b.weights}
    return tuple(sorted(common, key=lambda f: (-common[f], f)))
