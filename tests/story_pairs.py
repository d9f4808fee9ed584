"""The pair sets of same-story grouping (tests/data/story_pairs.json, the set the rules were
tuned on, and tests/data/story_pairs_heldout.json and story_pairs_fresh3.json, written after:
tests/data/README.md):
their tellings as cluster items, their pairs, and what ``same_story`` makes of them."""

from __future__ import annotations

import itertools
import json
from datetime import datetime
from pathlib import Path
from typing import Any

from veille.rules.clustering import ClusterItem, same_story

DATA = Path(__file__).parent / "data"
TUNED = json.loads((DATA / "story_pairs.json").read_text("utf-8"))
HELD_OUT = json.loads((DATA / "story_pairs_heldout.json").read_text("utf-8"))
FRESH_3 = json.loads((DATA / "story_pairs_fresh3.json").read_text("utf-8"))

Pair = tuple[ClusterItem, ClusterItem]


def telling(key: str, t: dict[str, str]) -> ClusterItem:
    return ClusterItem(
        key, t["feed"], t["title"], datetime.fromisoformat(t["published"]), summary=t["summary"]
    )


def story_pairs(split: str | None = None, data: Any = TUNED) -> tuple[list[Pair], list[Pair]]:
    """(same-story pairs, different-story pairs) of one split (all when ``None``): tellings of
    one story, and tellings of two stories of one topic, from different outlets."""
    same: list[Pair] = []
    different: list[Pair] = []
    for topic in data["topics"]:
        if split is not None and topic["split"] != split:
            continue
        stories = [
            [telling(f"{s['story']}/{i}", t) for i, t in enumerate(s["tellings"])]
            for s in topic["stories"]
        ]
        for tellings in stories:
            same += [(a, b) for a, b in itertools.combinations(tellings, 2) if a.feed != b.feed]
        for one, other in itertools.combinations(stories, 2):
            different += [(a, b) for a in one for b in other if a.feed != b.feed]
    return same, different


def measure_items(same: list[Pair], different: list[Pair]) -> tuple[float, float]:
    """(precision, recall) of ``same_story`` on item pairs."""
    found = sum(same_story(a, b) for a, b in same)
    false = sum(same_story(a, b) for a, b in different)
    return (found / (found + false) if found + false else 1.0), found / len(same)
