"""Same-story grouping measured on every pair set, each against the floor it reached: the set
the rules were tuned on (tests/data/story_pairs.json) and the sets written after
(tests/data/story_pairs_heldout.json, tests/data/story_pairs_fresh3.json). The floors are the
figures reached, rounded down, so a change that loses precision or recall on any set fails
here; the held-out figures are the ones to expect on news the rules have not met
(tests/data/README.md)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from veille.rules.clustering import ClusterItem, assign_clusters, same_story
from veille.rules.story import CONTEXT_W, story
from veille.rules.story_compare import compare, discord
from veille.rules.story_words import AMOUNT_W, WORD_W

from .story_pairs import FRESH_3, HELD_OUT, TUNED, measure_items, story_pairs

# (set, split): (precision floor, recall floor), as reached (BENCHMARKS.md, « Story pairs »).
FLOORS = {
    ("tuned", "tuning"): (0.96, 0.91),
    ("tuned", "held-out"): (1.00, 0.81),
    ("tuned", "fresh"): (1.00, 0.96),
    ("tuned", "dev"): (0.96, 0.64),
    ("tuned", None): (0.97, 0.84),
    # Written after the rules were tuned. held-out-2 was measured before any change of its
    # round (0.92 / 0.82), then looked at; fresh-2 was written last and measured once (0.76 /
    # 0.89), then looked at in the next round (numbers as names, recalled context).
    ("held-out", "held-out-2"): (0.97, 0.80),
    ("held-out", "fresh-2"): (0.93, 0.80),
    # Written before any change of the next round and measured once before it (0.74 / 0.54),
    # then twice after: with these rules, and without the « one-kind » discord (0.86 / 0.54).
    ("fresh-3", "fresh-3"): (0.87, 0.51),
}
SETS = {"tuned": TUNED, "held-out": HELD_OUT, "fresh-3": FRESH_3}


@pytest.mark.parametrize(("name", "split"), list(FLOORS))
def test_story_pairs_floors(name: str, split: str | None) -> None:
    same, different = story_pairs(split, SETS[name])
    precision, recall = measure_items(same, different)
    print(
        f"\n{name} {split or 'all'}: {len(same)} same-story pairs, {len(different)} "
        f"different: precision {precision:.3f}, recall {recall:.3f}"
    )
    assert len(same) >= 28 and len(different) >= 44
    floor_precision, floor_recall = FLOORS[name, split]
    assert precision >= floor_precision
    assert recall >= floor_recall


def test_held_out_index_misses_no_pair() -> None:
    """``assign_clusters`` finds every pair of the held-out sets that the rules accept (its
    index files names apart for the rule of a title alone)."""
    same, different = story_pairs(None, HELD_OUT)
    fresh_same, fresh_different = story_pairs(None, FRESH_3)
    for a, b in same + different + fresh_same + fresh_different:
        grouped = assign_clusters([b], [a])[b.key] == a.key
        assert grouped == same_story(a, b), (a.title, b.title)


def test_held_out_sets_are_apart_from_the_tuned_one() -> None:
    """No telling of the held-out sets is one of the tuned set (titles are what differ first)."""

    def titles(data: Any) -> set[str]:
        stories = [s for topic in data["topics"] for s in topic["stories"]]
        return {t["title"] for s in stories for t in s["tellings"]}

    assert titles(HELD_OUT).isdisjoint(titles(TUNED))
    assert titles(FRESH_3).isdisjoint(titles(TUNED) | titles(HELD_OUT))
    assert {topic["split"] for topic in HELD_OUT["topics"]} == {"held-out-2", "fresh-2"}
    assert {topic["split"] for topic in FRESH_3["topics"]} == {"fresh-3"}


def test_a_title_alone_needs_two_names() -> None:
    """A telling without summary is grouped with a summary that covers its title and shares two
    of its names, not with one that shares a single name and a word (an outage and a new login
    rule of one service)."""
    when = datetime(2027, 5, 26, 10, 0, tzinfo=UTC)
    alone = ClusterItem("a", "f1", "« Ma classe à l'hôpital » : un nouveau service du CNED", when)
    told = ClusterItem(
        "b",
        "f2",
        "Le CNED ouvre « Ma classe à l'hôpital »",
        when,
        summary="Des classes virtuelles relient les enfants hospitalisés à leur classe : un "
        "service du CNED pour les élèves malades, à l'hôpital.",
    )
    assert same_story(alone, told)
    one_name = ClusterItem("c", "f1", "Double authentification sur EduConnect à la rentrée", when)
    outage = ClusterItem(
        "d",
        "f2",
        "EduConnect en panne pendant la saisie des vœux",
        when,
        summary="Le service d'authentification des parents est indisponible depuis mardi.",
    )
    assert not same_story(one_name, outage)


def test_a_number_after_a_singular_article_is_a_name() -> None:
    """« le 3018 » names a helpline: shared by two news of it, it is a name, not a figure they
    agree on; « les 1 200 élèves » and « du 16 au 18 juin » stay figures and dates."""
    helpline = story("Le 3018 a traité 52 000 signalements", "Appels au 3018 : en hausse.")
    assert "n:3018" in helpline.entities and "n:3018" not in helpline.amounts
    assert "n:52000" in helpline.amounts
    assert "n:1200" in story("Les 1 200 élèves privés d'ENT").amounts
    assert {"d:16/6", "d:18/6"} <= story("Épreuves du 16 au 18 juin").amounts
    partner = story("Snapchat s'engage auprès du 3018", "Les contenus signalés au 3018 retirés.")
    shared = compare(helpline, partner)
    assert shared.names == 1 and shared.events <= 1  # the name, and « signal » at most


def test_recalled_context_counts_little() -> None:
    """What a lead recalls as context (« alors que… », « deux jours après… ») is most often the
    other news of its topic: it weighs little and tells no figure nor kind of event."""
    empty = story(
        "Internat : pourquoi tant de lits vides ?",
        "Alors que le ministère promet 10 000 places de plus, l'inspection générale relève "
        "qu'un lit sur quatre est inoccupé.",
    )
    assert empty.weights["n:10000"] == AMOUNT_W * CONTEXT_W
    # the clause after the comma is its own: « un lit sur quatre » is its figure
    assert empty.weights["inspection"] == WORD_W and empty.amounts == {"%~25"}
    leak = story(
        "Fuite de données sur la plateforme",
        "Deux jours après la panne de lundi, un défaut rendait visibles les notes d'autres élèves.",
    )
    assert "~panne" not in leak.kinds and leak.weights["~panne"] < WORD_W
    # « à la veille de » looks ahead, most often to the story's own event: not context.
    strike = story("Les AESH racontent", "À la veille de leur grève du 8 décembre, elles parlent.")
    assert "~greve" in strike.kinds and "d:8/12" in strike.amounts
    plan = ClusterItem(
        "a",
        "f1",
        "Plan internat : 10 000 nouvelles places promises",
        datetime(2027, 6, 1, 8, tzinfo=UTC),
        summary="Le ministère veut doubler l'offre de places en internat dans les collèges ruraux.",
    )
    report = ClusterItem(
        "b",
        "f2",
        "Internat : pourquoi tant de lits vides ?",
        datetime(2027, 6, 2, 8, tzinfo=UTC),
        summary="Alors que le ministère promet 10 000 places de plus en internat, l'inspection "
        "générale relève qu'un lit sur quatre est inoccupé.",
    )
    assert not same_story(plan, report)


def test_proportions_are_percentages() -> None:
    """« un élève sur cinq », « deux tiers » are figures; a near percentage is no discord (outlets
    round one proportion their own way) but shares no weight (two notes of one office quote
    near percentages too)."""
    assert story("Un élève sur cinq sans stage").weights["%:20"] == AMOUNT_W
    assert "~eleve" in story("Un élève sur cinq sans stage").weights  # the pupils are read too
    assert "%:67" in story("Deux tiers des écoles").weights
    assert "%:50" in story("La moitié des collèges").weights
    assert "%:33" not in story("Une réforme qui porte sur trois axes").weights
    rounded, told = story("28 % des élèves en difficulté"), story("Plus d'un élève sur quatre")
    assert discord(rounded, told) == discord(told, rounded) == ()
    assert compare(rounded, told).shared < AMOUNT_W
    assert discord(rounded, story("12 % des élèves en difficulté")) == ("amounts",)
