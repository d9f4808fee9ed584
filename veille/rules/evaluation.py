"""How well the rules tag a labelled sample (``veille tags eval``): pure scoring.

A labelled set is a JSON list of items ``{"title", "summary", "url", "source", "tags",
"split"}`` (``summary``, ``url``, ``source`` and ``split`` may be missing or empty; ``tags``
lists the themes a person gave the item, ``[]`` for none). ``read_labelled`` checks the shape
(French errors naming the item), ``evaluate`` compares the rules' themes with the labels:

* **exact-set accuracy** — items whose themes are exactly the labelled ones;
* per theme, **precision** (of the items the rules gave it, how many were labelled with it),
  **recall** (of the items labelled with it, how many the rules found) and **F1**;
* **micro** precision / recall / F1 — the same over every (item, theme) pair;
* the share of items **labelled with no theme that the rules tagged anyway**;
* **confusions** — which theme was given instead of which (``(expected, given)`` counts,
  ``None`` on one side for a theme missed or added on an item without a counterpart);
* the **worst errors** — items with the most wrong themes, with the reason of each tag.

Only the taxonomy's themes count: a feed's own tags are not predictions.

``half`` splits items into two fixed halves (``a``, ``b``) by a hash of their link: rules are
designed on the errors of one half and a change is kept only if the other is not hurt
(BENCHMARKS.md, « Relevance »), so that a tuned split still says something about transfer.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from veille.rules.tagging import TagReason

__all__ = [
    "Evaluation",
    "ItemResult",
    "LabelledItem",
    "ThemeScore",
    "evaluate",
    "half",
    "read_labelled",
]

SPLITS = ("train", "dev")
HALVES = ("a", "b")
# Fixed: the halves must stay those of the figures in BENCHMARKS.md.
_HALF_SALT = "veille-r2:"


@dataclass(frozen=True, slots=True)
class LabelledItem:
    """One headline and the themes a person gave it."""

    title: str
    summary: str = ""
    url: str = ""
    source: str = ""
    tags: frozenset[str] = frozenset()
    split: str = ""


def half(item: LabelledItem) -> str:
    """``a`` or ``b``: the item's fixed half (SHA-256 of a salt and its link, or its title
    without one; first byte below 128: ``a``)."""
    digest = hashlib.sha256((_HALF_SALT + (item.url or item.title)).encode()).digest()
    return HALVES[digest[0] >= 128]


def read_labelled(data: Any) -> list[LabelledItem]:
    """The items of a parsed JSON document; ValueError (French, naming the item) otherwise."""
    if not isinstance(data, list):
        raise ValueError("le fichier doit contenir une liste d'articles (un tableau JSON)")
    items = []
    for n, raw in enumerate(data, start=1):
        where = f"article n° {n}"
        if not isinstance(raw, dict):
            raise ValueError(f"{where} : un objet JSON est attendu")
        title = raw.get("title")
        if not isinstance(title, str) or not title.strip():
            raise ValueError(f"{where} : « title » manquant ou vide")
        texts = {}
        for key in ("summary", "url", "source", "split"):
            value = raw.get(key) or ""
            if not isinstance(value, str):
                raise ValueError(f"{where} ({title[:60]}) : « {key} » doit être un texte")
            texts[key] = value
        tags = raw.get("tags")
        if not isinstance(tags, list) or not all(isinstance(t, str) and t for t in tags):
            raise ValueError(
                f"{where} ({title[:60]}) : « tags » doit être une liste de thèmes ([] si aucun)"
            )
        items.append(LabelledItem(title=title, tags=frozenset(tags), **texts))
    return items


@dataclass(frozen=True, slots=True)
class ThemeScore:
    theme: str
    true_positives: int
    false_positives: int
    false_negatives: int

    @property
    def labelled(self) -> int:
        """Items labelled with the theme."""
        return self.true_positives + self.false_negatives

    @property
    def given(self) -> int:
        """Items the rules gave the theme to."""
        return self.true_positives + self.false_positives

    @property
    def precision(self) -> float:
        return _ratio(self.true_positives, self.given)

    @property
    def recall(self) -> float:
        return _ratio(self.true_positives, self.labelled)

    @property
    def f1(self) -> float:
        return _ratio(2 * self.true_positives, self.given + self.labelled)


@dataclass(frozen=True, slots=True)
class ItemResult:
    item: LabelledItem
    given: Mapping[str, TagReason]  # the rules' themes with their reasons

    @property
    def missing(self) -> frozenset[str]:
        return self.item.tags - self.given.keys()

    @property
    def extra(self) -> frozenset[str]:
        return frozenset(self.given.keys() - self.item.tags)

    @property
    def exact(self) -> bool:
        return not self.missing and not self.extra


@dataclass(frozen=True, slots=True)
class Evaluation:
    results: tuple[ItemResult, ...]
    themes: tuple[ThemeScore, ...]  # the taxonomy's themes, then labels it does not know

    @property
    def items(self) -> int:
        return len(self.results)

    @property
    def exact_accuracy(self) -> float:
        return _ratio(sum(r.exact for r in self.results), self.items)

    @property
    def micro(self) -> ThemeScore:
        """Every (item, theme) pair together, as one theme."""
        return ThemeScore(
            "",
            sum(t.true_positives for t in self.themes),
            sum(t.false_positives for t in self.themes),
            sum(t.false_negatives for t in self.themes),
        )

    @property
    def untagged(self) -> int:
        """Items labelled with no theme."""
        return sum(not r.item.tags for r in self.results)

    @property
    def untagged_given(self) -> int:
        """Items labelled with no theme that the rules tagged anyway."""
        return sum(not r.item.tags and bool(r.given) for r in self.results)

    @property
    def untagged_given_rate(self) -> float:
        return _ratio(self.untagged_given, self.untagged)

    def confusions(self) -> list[tuple[str | None, str | None, int]]:
        """``(expected, given, items)``, most frequent first: on an item, each missed theme is
        paired with each theme added instead; ``None`` when the other side is empty."""
        counts: Counter[tuple[str | None, str | None]] = Counter()
        for r in self.results:
            if r.exact:
                continue
            missing: list[str | None] = [*sorted(r.missing)] or [None]
            extra: list[str | None] = [*sorted(r.extra)] or [None]
            counts.update((m, e) for m in missing for e in extra)
        return [(m, e, n) for (m, e), n in sorted(counts.items(), key=_confusion_order)]

    def worst(self, limit: int = 10) -> list[ItemResult]:
        """Items with the most wrong themes (missed + added), in file order among equals."""
        wrong = [r for r in self.results if not r.exact]
        wrong.sort(key=lambda r: -(len(r.missing) + len(r.extra)))
        return wrong[:limit]

    def as_json(self, worst: int = 10) -> dict[str, Any]:
        """The figures as a JSON-ready dict (``veille tags eval --json``)."""
        micro = self.micro
        return {
            "items": self.items,
            "exact_set_accuracy": round(self.exact_accuracy, 4),
            "micro": _score_json(micro),
            "untagged": self.untagged,
            "untagged_given": self.untagged_given,
            "untagged_given_rate": round(self.untagged_given_rate, 4),
            "themes": {t.theme: _score_json(t) for t in self.themes},
            "confusions": [
                {"expected": m, "given": e, "items": n} for m, e, n in self.confusions()
            ],
            "worst": [
                {
                    "title": r.item.title,
                    "url": r.item.url,
                    "expected": sorted(r.item.tags),
                    "given": {
                        name: {"field": reason.field, "term": reason.shown, "rule": reason.term}
                        for name, reason in sorted(r.given.items())
                    },
                    "missing": sorted(r.missing),
                    "extra": sorted(r.extra),
                }
                for r in self.worst(worst)
            ],
        }


def evaluate(
    items: Sequence[LabelledItem],
    tagger: Callable[[LabelledItem], Mapping[str, TagReason]],
    themes: Sequence[str],
) -> Evaluation:
    """Tag each item with ``tagger`` and compare with its labels; ``themes`` are the
    taxonomy's (anything else the tagger gives, such as a feed's own tags, is left out)."""
    known = set(themes)
    results = []
    for item in items:
        given = {name: reason for name, reason in tagger(item).items() if name in known}
        results.append(ItemResult(item, given))
    labelled_only = sorted({t for item in items for t in item.tags} - known)
    scores = []
    for theme in (*themes, *labelled_only):
        tp = fp = fn = 0
        for r in results:
            expected, found = theme in r.item.tags, theme in r.given
            tp += expected and found
            fp += found and not expected
            fn += expected and not found
        scores.append(ThemeScore(theme, tp, fp, fn))
    return Evaluation(tuple(results), tuple(scores))


def _confusion_order(kv: tuple[tuple[str | None, str | None], int]) -> tuple[Any, ...]:
    """Most frequent first, then by expected and given theme (``None``, nothing, last)."""
    (expected, given), n = kv
    return (-n, expected is None, expected or "", given is None, given or "")


def _ratio(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def _score_json(score: ThemeScore) -> dict[str, Any]:
    return {
        "precision": round(score.precision, 4),
        "recall": round(score.recall, 4),
        "f1": round(score.f1, 4),
        "labelled": score.labelled,
        "given": score.given,
        "true_positives": score.true_positives,
    }
