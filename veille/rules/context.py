"""Where in an entry a term was found, when that decides whether it counts.

Words alone cannot tell what a headline is about; *where* they stand often can. This module
holds the positional checks of ``veille.rules.tagging``:

* **proximity** — ``a ~ b`` (``veille.rules.terms``): the parts must occur in the same field
  with at most ``NEAR_WORDS`` words between two consecutive ones. « Le ministre annonce un
  plan » is one act; « le ministre » in one clause and « lance » three clauses later are not.
  The same holds for a context: « évaluation des élèves » is about pupils, « évaluation … du
  dispositif qui concerne 300 élèves » is not;
* **the field of a veto** — an ``exclude`` term cancels a theme only when it stands in a
  field at least as prominent as the evidence for the theme (title, then summary, content,
  categories, link: ``tagging.TEXT_FIELDS``). The title says what an item is mainly about:
  « Le ministre annonce… » with unions protesting in the summary stays an announcement;
  « Les syndicats dénoncent… » is a reaction; a page given ``ressources`` by its host is
  vetoed by a teacher's « mes élèves » anywhere. A veto that names the link (``site:``) or
  joins the title and the summary (``a + b``) concerns the whole entry: it counts as in the
  title.

Pure functions over ``veille.text.Words``; ``AtomIndex.positions`` gives positions, computed only
for the few terms that need them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from veille.rules.terms import AtomIndex, Positions
from veille.text import Words

__all__ = ["NEAR_WORDS", "chain", "close", "near", "vetoes"]

# At most this many words between two parts of a ``~`` term: a clause (« le ministre de
# l'Éducation nationale annonce », « évaluation en CP des élèves »), not a paragraph.
NEAR_WORDS = 5


def close(
    found: Mapping[int, Sequence[Iterable[int]]],
    present: set[int],
    field_words: Words,
    index: AtomIndex,
) -> set[int]:
    """The terms of ``found`` (term -> its parts, empty unless it is ``a ~ b``) that count in
    this field: all but the ``~`` terms whose parts do not stand close."""
    positions = index.positions(field_words)
    return {t for t, parts in found.items() if not parts or near(parts, present, positions)}


def vetoes(veto_field: int | None, evidence_field: int) -> bool:
    """Whether a veto found in ``veto_field`` (None: no veto) cancels a theme whose evidence is
    in ``evidence_field`` (indices in ``tagging.TEXT_FIELDS``): from the same field or a more
    prominent one only."""
    return veto_field is not None and veto_field <= evidence_field


def near(parts: Sequence[Iterable[int]], present: set[int], positions: Positions) -> bool:
    """Whether the parts of a ``~`` term (each a set of alternative atoms, all ``present``
    somewhere in the field) stand close: each within ``NEAR_WORDS`` words of the next, before
    or after it (a chain: « a ~ b ~ c » is one clause)."""
    return chain(parts, present, positions) is not None


def chain(
    parts: Sequence[Iterable[int]], present: set[int], positions: Positions
) -> list[int] | None:
    """One atom of each part of a ``~`` term that stand close (``near``), in the parts'
    order, or None: what a tag's reason names."""
    spans = [[(s, a) for a in part if a in present for s in positions.spans(a)] for part in parts]
    if not all(spans):
        return None
    # each reached span keeps the atoms of the chain that led to it
    reached = [(span, [a]) for span, a in spans[0]]
    for following in spans[1:]:
        reached = [
            ((s2, e2), [*path, a])
            for (s2, e2), a in following
            for path in (
                next(
                    (
                        p
                        for (s1, e1), p in reached
                        if s2 - e1 <= NEAR_WORDS and s1 - e2 <= NEAR_WORDS
                    ),
                    None,
                ),
            )
            if path is not None
        ]
        if not reached:
            return None
    return reached[0][1]
