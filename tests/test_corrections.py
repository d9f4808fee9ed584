"""Editors' corrections of themes in the store, on SQLite and PostgreSQL: they win over the
rules at once, survive a retag, a change of rules and a changed entry, come undone back to
the rules, move with ``db copy``, and give the outputs new validators."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tests.stores import postgres_schema
from veille.ingest.pipeline import retag_all
from veille.models import Config, FeedSpec, ParsedEntry, Selection, TagRule
from veille.rules.ruleset import RuleSet
from veille.store import Store

TITLES = {
    "tab": "Les tablettes entrent au collège",
    "choc": "Une tablette de chocolat pour la fête de l'école",
    "qcm": "Un QCM sur Plickers en 6e",
    "bac": "Le bac de français change de forme",
}
TABLETTES = TagRule("tablettes", "Tablettes", match=("tablette*",))
EVALUATION = TagRule("evaluation", "Évaluation", match=("QCM",))


def config(*rules: TagRule) -> Config:
    return Config(path="feeds.yaml", feeds=(FeedSpec("a", "https://a.example/f"),), tags=rules)


def entry(key: str, now: datetime, summary: str = "") -> ParsedEntry:
    return ParsedEntry(
        key=key,
        guid=key,
        url=f"https://a.example/{key}",
        title=TITLES[key],
        summary_html=summary,
        published=now - timedelta(hours=len(key)),
    )


def tags_by_key(store: Store, **filters: object) -> dict[str, tuple[str, ...]]:
    page = store.list_entries(Selection(limit=50, **filters))  # type: ignore[arg-type]
    return {e.key: e.tags for e in page.entries}


@pytest.fixture
def filled(store: Store, now: datetime) -> tuple[Store, dict[str, str], RuleSet]:
    """Four entries tagged by the rules (tablettes, evaluation); their ids by key."""
    rules = RuleSet.from_config(config(TABLETTES, EVALUATION))
    store.sync_feeds(config().feeds)
    store.save_entries(
        "a", [entry(k, now) for k in TITLES], now=now, tagger=lambda e: rules.tag_entry("a", e)
    )
    store.set_meta("rules_fingerprint", rules.fingerprint)
    ids = {e.key: e.id for e in store.list_entries(Selection(limit=50)).entries}
    return store, ids, rules


def test_a_correction_wins_at_once_and_is_kept_with_who_and_when(
    filled: tuple[Store, dict[str, str], RuleSet], now: datetime
) -> None:
    store, ids, _ = filled
    assert tags_by_key(store, tags=("tablettes",)).keys() == {"tab", "choc"}
    later = now + timedelta(minutes=5)
    assert store.correct_tag(ids["choc"], "tablettes", added=False, editor="Maud", now=later)
    assert store.correct_tag(ids["bac"], "evaluation", added=True, editor="Yann", now=later)
    assert not store.correct_tag("999999", "evaluation", added=True, editor="Yann", now=later)
    assert not store.correct_tag("pas-un-id", "evaluation", added=True, editor="Yann", now=later)

    # The one query of every output (pages, feeds, e-mail, API) sees them: filters and tags.
    assert tags_by_key(store, tags=("tablettes",)).keys() == {"tab"}
    assert tags_by_key(store, tags=("evaluation",)).keys() == {"qcm", "bac"}
    assert tags_by_key(store, exclude_tags=("evaluation",)).keys() == {"tab", "choc"}
    assert tags_by_key(store)["choc"] == ()
    assert store.tag_counts() == {"tablettes": 1, "evaluation": 2}
    assert store.tag_reasons(int(ids["bac"])) == {"evaluation": ("editor", "")}
    assert store.outputs_changed_at() == later  # new validators for every output

    found = {(c.entry_id, c.tag): c for c in store.corrections()}
    assert found.keys() == {(ids["choc"], "tablettes"), (ids["bac"], "evaluation")}
    choc = found[(ids["choc"], "tablettes")]
    assert (choc.added, choc.editor, choc.created_at, choc.title) == (
        False,
        "Maud",
        later,
        TITLES["choc"],
    )
    # A second verdict on the same theme replaces the first.
    assert store.correct_tag(ids["choc"], "tablettes", added=True, editor="Léa", now=later)
    assert [(c.added, c.editor) for c in store.corrections([ids["choc"]])] == [(True, "Léa")]
    assert tags_by_key(store, tags=("tablettes",)).keys() == {"tab", "choc"}


def test_corrections_survive_retag_rule_changes_and_changed_entries(
    filled: tuple[Store, dict[str, str], RuleSet], now: datetime
) -> None:
    store, ids, rules = filled
    store.correct_tag(ids["choc"], "tablettes", added=False, editor="Maud", now=now)
    store.correct_tag(ids["bac"], "evaluation", added=True, editor="Yann", now=now)
    store.correct_tag(ids["qcm"], "evaluation", added=False, editor="Yann", now=now)

    # The same rules again: nothing to rewrite, the corrections hold.
    assert store.retag(rules.tag_fields, rules.fingerprint, now=now) == (4, 0)
    # New rules that tag every entry « evaluation » and drop « tablettes »: the corrected
    # themes do not move, the others follow the rules (in worker processes, as deployed).
    everything = TagRule("evaluation", "Évaluation", match=("QCM", "bac", "tablette*"))
    seen, changed = retag_all(store, RuleSet.from_config(config(everything)), workers=1)
    assert (seen, changed) == (4, 2)  # « tab » loses tablettes and gains evaluation; « choc »
    assert tags_by_key(store) == {
        "tab": ("evaluation",),
        "choc": ("evaluation",),
        "qcm": (),
        "bac": ("evaluation",),
    }
    assert store.tag_reasons(int(ids["bac"])) == {"evaluation": ("editor", "")}

    # An entry whose content changes is rewritten with its tags: the corrections hold there too.
    changed_rules = RuleSet.from_config(config(everything))
    store.save_entries(
        "a",
        [entry("qcm", now, "<p>Un QCM de plus</p>"), entry("bac", now, "<p>Nouveau</p>")],
        now=now + timedelta(hours=1),
        tagger=lambda e: changed_rules.tag_entry("a", e),
    )
    assert tags_by_key(store)["qcm"] == () and tags_by_key(store)["bac"] == ("evaluation",)
    assert store.tag_reasons(int(ids["bac"])) == {"evaluation": ("editor", "")}


def test_undoing_a_correction_gives_the_theme_back_to_the_rules(
    filled: tuple[Store, dict[str, str], RuleSet], now: datetime
) -> None:
    store, ids, rules = filled
    store.correct_tag(ids["choc"], "tablettes", added=False, editor="Maud", now=now)
    store.correct_tag(ids["bac"], "evaluation", added=True, editor="Yann", now=now)
    later = now + timedelta(hours=2)

    def by_rules(key: str, tag: str) -> object:
        fields = store.entry_fields(ids[key])
        assert fields is not None
        return rules.tag_fields(*fields).get(tag)

    assert store.undo_correction(ids["choc"], "tablettes", by_rules("choc", "tablettes"), later)
    assert store.undo_correction(ids["bac"], "evaluation", by_rules("bac", "evaluation"), later)
    assert not store.undo_correction(ids["bac"], "evaluation", None, later)  # nothing left
    assert store.corrections() == []
    assert tags_by_key(store)["choc"] == ("tablettes",)
    assert store.tag_reasons(int(ids["choc"])) == {"tablettes": ("title", "tablette*")}
    assert tags_by_key(store)["bac"] == ()
    assert store.outputs_changed_at() == later


def test_entries_gone_through_per_digest(
    filled: tuple[Store, dict[str, str], RuleSet], now: datetime
) -> None:
    store, ids, _ = filled
    assert store.mark_reviewed("hebdo", [ids["tab"], ids["qcm"], "42424242", "x"], "Maud", now)
    assert store.mark_reviewed("hebdo", [ids["tab"], ids["bac"]], "Yann", now) == 1
    assert store.reviewed_entries("hebdo") == {ids["tab"], ids["qcm"], ids["bac"]}
    assert store.reviewed_entries("quotidien") == frozenset()


def test_db_copy_keeps_the_corrections(
    filled: tuple[Store, dict[str, str], RuleSet], now: datetime
) -> None:
    store, ids, rules = filled
    store.correct_tag(ids["choc"], "tablettes", added=False, editor="Maud", now=now)
    store.correct_tag(ids["bac"], "evaluation", added=True, editor="Yann", now=now)
    store.mark_reviewed("hebdo", [ids["tab"]], "Maud", now)
    with postgres_schema() as url:
        target = Store(url)
        try:
            copied = store.copy_to(target)
            assert copied["tag_correction"] == 2 and copied["mail_reviewed"] == 1
            assert [(c.entry_id, c.tag, c.added, c.editor) for c in target.corrections()] == [
                (ids["bac"], "evaluation", True, "Yann"),
                (ids["choc"], "tablettes", False, "Maud"),
            ]
            assert tags_by_key(target) == tags_by_key(store)
            # ... and the copy keeps applying them.
            target.retag(rules.tag_fields, "another-fingerprint", now=now)
            assert tags_by_key(target)["choc"] == () and tags_by_key(target)["bac"] == (
                "evaluation",
            )
        finally:
            target.close()
