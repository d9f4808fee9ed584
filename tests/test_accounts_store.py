"""Accounts and their reading state in the store, on SQLite and PostgreSQL: the horizon rule
(an explicit row wins, else ``first_seen_at <= read_before``), stories marked as a whole,
visits, « tout marquer comme lu », counts, and the selection's new fields."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from argon2 import extract_parameters, profiles

from veille.models import Account, FeedSpec, ParsedEntry, Reader, Selection, parse_role
from veille.passwords import PROFILE, hash_password, password_problem, verify_password
from veille.rules.tagging import TagReason
from veille.store import Store
from veille.store.tables import entry_t, state_t, tag_t

H = timedelta(hours=1)


def parsed(i: int, published: datetime) -> ParsedEntry:
    return ParsedEntry(
        key=f"k{i}", guid=f"k{i}", url=f"https://a.example/{i}", title=f"Article {i}",
        published=published,
    )  # fmt: skip


def fill(store: Store, now: datetime) -> dict[str, int]:
    """Feeds a and b; entries first seen 10 days ago (old1, old2), 2 days ago (mid) and
    1 hour ago (new1 in a, new2 in b: one story with mid), published in that order."""
    store.sync_feeds([FeedSpec("a", "https://a.example/f"), FeedSpec("b", "https://b.example/f")])
    store.save_entries("a", [parsed(1, now - 240 * H), parsed(2, now - 239 * H)], now=now - 240 * H)
    store.save_entries("a", [parsed(3, now - 48 * H)], now=now - 48 * H)
    store.save_entries("a", [parsed(4, now - 2 * H)], now=now - H)
    store.save_entries("b", [parsed(5, now - H)], now=now - H)
    with store.engine.begin() as conn:
        ids = {r.key: r.id for r in conn.execute(sa.select(entry_t.c.key, entry_t.c.id))}
        story = [ids["k3"], ids["k4"], ids["k5"]]
        conn.execute(sa.update(entry_t).where(entry_t.c.id.in_(story)).values(cluster_id=ids["k3"]))
        conn.execute(
            sa.insert(tag_t),
            [
                {"entry_id": ids["k1"], "tag": "ia", "field": "title", "term": "x"},
                {"entry_id": ids["k4"], "tag": "ia", "field": "title", "term": "x"},
                {"entry_id": ids["k5"], "tag": "ent", "field": "title", "term": "x"},
            ],
        )
    names = {"k1": "old1", "k2": "old2", "k3": "mid", "k4": "new1", "k5": "new2"}
    return {names[k]: v for k, v in ids.items()}


def states(store: Store, reader: Reader, **kw: object) -> dict[str, tuple[bool | None, bool]]:
    page = store.list_entries(Selection(reader=reader, limit=50, **kw))  # type: ignore[arg-type]
    return {e.title: (e.read, e.starred) for e in page.entries}


def test_accounts_are_created_listed_and_found(store: Store, now: datetime) -> None:
    alice = store.add_account("Alice.Martin@ac-exemple.fr", "lecteur", "Alice", now=now)
    assert alice.name == "alice.martin@ac-exemple.fr" and alice.role == "lecteur"
    assert alice.created_at == now and alice.read_before == now - timedelta(days=7)
    assert alice.previous_visit_at is None and not alice.disabled
    bob = store.add_account("bob", parse_role("Éditeur"), now=now)
    assert bob.role == "editeur" and bob.editor
    with pytest.raises(ValueError, match="existe déjà"):
        store.add_account("BOB", "lecteur", now=now)
    with pytest.raises(ValueError, match="nom de compte invalide"):
        store.add_account("-bob", "lecteur", now=now)
    with pytest.raises(ValueError, match="rôle inconnu"):
        parse_role("admin")
    assert [a.name for a in store.accounts()] == ["alice.martin@ac-exemple.fr", "bob"]
    assert store.account("ALICE.martin@ac-exemple.fr") == alice
    assert store.account(bob.id) == bob
    assert store.account("personne") is None and store.account(10**6) is None


def test_secrets_and_their_version(store: Store, now: datetime) -> None:
    assert not store.has_editor()
    a = store.add_account("claire", "editeur", now=now)
    assert store.has_editor()
    found = store.credentials("claire")
    assert found == (a, None, None, 0)
    store.set_password("claire", hash_password("un mot de passe"), now)
    found = store.credentials("Claire")
    assert found is not None and found[3] == 1 == store.secret_version(a.id)
    assert verify_password(found[1], "un mot de passe")
    assert not verify_password(found[1], "un autre mot")
    store.set_api_password("claire", hash_password("api"), now)
    assert store.secret_version(a.id) == 2
    store.disable_account("claire", now)
    assert store.secret_version(a.id) is None  # a disabled account opens nothing
    assert not store.has_editor() and store.account(a.id).disabled  # type: ignore[union-attr]
    assert store.account_by_feed_token(store.feed_token(a.id) or "") is None
    store.enable_account("claire", now)
    assert store.secret_version(a.id) == 3  # disabling ended the sessions for good
    assert store.account_by_feed_token(store.feed_token(a.id) or "") == store.account(a.id)
    assert store.account_by_feed_token("") is None
    with pytest.raises(ValueError, match="compte inconnu"):
        store.set_password("personne", "x", now)


def test_passwords_are_argon2id_and_bounded() -> None:
    stored = hash_password("correct horse")  # at the tests' low cost (conftest.py)
    assert stored.startswith("$argon2id$")
    assert verify_password(stored, "correct horse")
    assert not verify_password(None, "correct horse")  # no password set
    assert not verify_password("pas un hash", "correct horse")
    assert password_problem("court") is not None and password_problem("x" * 2000) is not None
    assert password_problem("assez long !") is None


def test_production_hashes_cost_rfc_9106s_profile(production_hashing: tuple[Any, str]) -> None:
    """What veille hashes with outside the tests: 64 MiB, 3 passes, 4 lanes; the dummy hash
    (an unknown account) costs the same, so a missing account answers as slowly."""
    hasher, dummy = production_hashing
    assert PROFILE == profiles.RFC_9106_LOW_MEMORY
    assert (PROFILE.memory_cost, PROFILE.time_cost, PROFILE.parallelism) == (65536, 3, 4)
    assert extract_parameters(hasher.hash("correct horse")) == PROFILE
    assert extract_parameters(dummy) == PROFILE


def test_feed_tokens_are_distinct(store: Store, now: datetime) -> None:
    a = store.add_account("a", "lecteur", now=now)
    b = store.add_account("b", "lecteur", now=now)
    ta, tb = store.feed_token(a.id), store.feed_token(b.id)
    assert ta and tb and ta != tb and len(ta) >= 32
    assert store.account_by_feed_token(tb) == b


def test_visits(store: Store, now: datetime) -> None:
    a = store.add_account("a", "lecteur", now=now)
    minute = timedelta(minutes=1)
    assert store.record_visit(a.id, now) is None  # first visit
    assert store.record_visit(a.id, now + 20 * minute) is None  # same visit
    assert store.record_visit(a.id, now + 45 * minute) is None  # 25 min later: same visit
    # 31 minutes without a page: a new visit, new since the end of the previous one.
    assert store.record_visit(a.id, now + 76 * minute) == now + 45 * minute
    assert store.record_visit(a.id, now + 80 * minute) == now + 45 * minute
    assert store.account(a.id).previous_visit_at == now + 45 * minute  # type: ignore[union-attr]
    assert store.record_visit(a.id, now + 200 * minute) == now + 80 * minute
    assert store.record_visit(10**6, now) is None


def test_the_horizon_and_explicit_rows(store: Store, now: datetime) -> None:
    ids = fill(store, now)
    a = store.add_account("a", "lecteur", now=now)
    reader = a.reader
    assert states(store, reader) == {
        "Article 1": (True, False),  # first seen 10 days ago: before the horizon
        "Article 2": (True, False),
        "Article 3": (False, False),
        "Article 4": (False, False),
        "Article 5": (False, False),
    }
    page = store.list_entries(Selection(reader=reader))
    assert {e.arrived for e in page.entries} >= {now - H, now - 240 * H}
    # Without a reader nothing is said.
    assert {e.read for e in store.list_entries(Selection()).entries} == {None}
    # An old entry marked unread: the explicit row wins over the horizon.
    assert store.mark(a.id, [str(ids["old1"])], read=False, now=now) == 1
    assert states(store, reader)["Article 1"] == (False, False)
    # Reading one copy reads the whole story (3, 4, 5); 5 and 4 change, 3 too.
    assert store.mark(a.id, [ids["new2"]], read=True, now=now) == 3
    assert states(store, reader)["Article 3"] == (True, False)
    # Starring is the entry's own; unknown ids are left out.
    assert store.mark(a.id, [ids["mid"], "999999", "x"], starred=True, now=now) == 1
    assert store.mark(a.id, [ids["mid"]], starred=True, now=now) == 0  # nothing changed
    got = states(store, reader, unread_only=True)
    assert got == {"Article 1": (False, False)}
    assert states(store, reader, starred_only=True) == {"Article 3": (True, True)}
    # Back to what the horizon says: the rows that say nothing more are gone.
    store.mark(a.id, [ids["old1"]], read=True, now=now)
    store.mark(a.id, [ids["mid"]], read=False, starred=False, now=now)
    with store.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(state_t)).scalar() == 0
    # Another account's state is its own.
    b = store.add_account("b", "lecteur", now=now)
    assert store.mark(b.id, [ids["new1"]], read=True, now=now) == 3
    assert states(store, reader)["Article 4"] == (False, False)


def test_selection_fields(store: Store, now: datetime) -> None:
    ids = fill(store, now)
    reader = store.add_account("a", "lecteur", now=now).reader
    arrived = store.list_entries(Selection(arrived_since=now - 3 * H))
    assert [e.title for e in arrived.entries] == ["Article 5", "Article 4"]
    # Oldest first, page by page, in both directions, nothing lost or repeated.
    seen: list[str] = []
    cursor = None
    for _ in range(5):
        page = store.list_entries(Selection(oldest_first=True, limit=2, cursor=cursor))
        seen += [e.title for e in page.entries]
        if (cursor := page.next_cursor) is None:
            break
    assert seen == [f"Article {i}" for i in (1, 2, 3, 4, 5)]
    newest = store.list_entries(Selection(limit=2))
    rest = store.list_entries(Selection(limit=10, cursor=newest.next_cursor))
    assert [e.title for e in newest.entries + rest.entries] == seen[::-1]
    # Collapsed and unread: one line per story, its newest unread copy.
    story = store.list_entries(Selection(reader=reader, unread_only=True, collapse=True))
    assert [e.title for e in story.entries] == ["Article 5"]
    store.mark(reader.account_id, [ids["new2"]], starred=True, now=now)
    assert store.count_selected(Selection(reader=reader, starred_only=True)) == 1
    got = store.get_entries([ids["new2"], ids["old1"]], reader=reader)
    assert [(e.title, e.read, e.starred) for e in got] == [
        ("Article 5", False, True),
        ("Article 1", True, False),
    ]


def test_counts(store: Store, now: datetime) -> None:
    ids = fill(store, now)
    reader = store.add_account("a", "lecteur", now=now).reader
    # Entries: 3, 4 (ia), 5 (ent) unread; stories: one (3-4-5), shown by 5 (ent).
    assert store.unread_counts(reader, Selection()) == {"": 3, "ia": 1, "ent": 1}
    assert store.unread_counts(reader, Selection(collapse=True)) == {"": 1, "ent": 1}
    assert store.unread_counts(reader, Selection(feeds=("a",))) == {"": 2, "ia": 1}
    by_feed = store.unread_by_feed(reader)
    assert by_feed == {"a": (2, now - 2 * H), "b": (1, now - H)}
    store.mark(reader.account_id, [ids["old2"]], read=False, now=now)
    assert store.unread_counts(reader, Selection())[""] == 4
    assert store.unread_by_feed(reader)["a"][0] == 3


def test_cached_counts_follow_marks_new_entries_and_retags(store: Store, now: datetime) -> None:
    """The counts of what arrived after a horizon are cached (``Store.unread_summary``): a
    mark, a new entry, a rewritten entry, a retag and an editor's correction each change the
    next answer, and two readers of one horizon keep their own marks."""
    ids = fill(store, now)
    a = store.add_account("a", "lecteur", now=now)
    b = store.add_account("b", "lecteur", now=now)
    assert a.read_before == b.read_before  # one cached entry serves both

    def summary(account: Account) -> tuple[dict[str, int], dict[str, int], int]:
        found = store.unread_summary(account.reader)
        by_feed = {f: n for f, (n, _) in found.by_feed.items()}
        return by_feed, found.by_tag, found.total

    assert summary(a) == ({"a": 2, "b": 1}, {"ia": 1, "ent": 1}, 3)
    store.mark(a.id, [ids["new2"]], read=True, now=now)  # its story (mid, new1) with it
    assert summary(a) == ({}, {}, 0)
    assert summary(b) == ({"a": 2, "b": 1}, {"ia": 1, "ent": 1}, 3)
    store.mark(a.id, [ids["old1"]], read=False, now=now)  # kept unread, from before
    assert summary(a) == ({"a": 1}, {"ia": 1}, 1)
    # A feed's newest date is an upper bound: new1 (read) arrived after the horizon.
    assert store.unread_by_feed(a.reader) == {"a": (1, now - 2 * H)}
    store.save_entries("b", [parsed(6, now)], now=now)
    assert summary(b) == ({"a": 2, "b": 2}, {"ia": 1, "ent": 1}, 4)
    assert summary(a) == ({"a": 1, "b": 1}, {"ia": 1}, 2)
    title = {"ia": "Article 5", "ent": "Article 6"}

    def tag_fields(feed: str, title_: str, *_: object) -> dict[str, TagReason]:
        return {t: TagReason("title", "x") for t, wanted in title.items() if title_ == wanted}

    store.retag(tag_fields, "fingerprint-1", now=now)
    assert summary(b)[1] == {"ia": 1, "ent": 1}  # 5 (ia), 6 (ent)
    assert summary(a)[1] == {"ent": 1}  # 6; 5 is read
    store.correct_tag(ids["new1"], "evaluation", added=True, editor="Maud", now=now)
    assert summary(b)[1] == {"ia": 1, "ent": 1, "evaluation": 1}
    changed = replace(parsed(6, now), title="Article 6 corrigé")
    store.save_entries(
        "b", [changed], now=now + H, tagger=lambda e: {"ia": TagReason("title", "x")}
    )
    assert summary(b)[1] == {"ia": 2, "evaluation": 1}


def test_oldest_first_unread_pages_start_at_the_oldest_unread(store: Store, now: datetime) -> None:
    """The oldest-first unread page starts its walk at the earliest unread date
    (``states.earliest_unread``): an old entry kept unread and a late arrival with an old
    date are both on it, in date order; nothing unread, an empty page."""
    ids = fill(store, now)
    a = store.add_account("a", "lecteur", now=now)

    def oldest_first(limit: int = 50) -> list[str]:
        reader = store.account(a.id).reader  # type: ignore[union-attr]
        chosen = Selection(reader=reader, unread_only=True, oldest_first=True, limit=limit)
        return [e.title for e in store.list_entries(chosen).entries]

    assert oldest_first() == ["Article 3", "Article 4", "Article 5"]
    store.mark(a.id, [ids["old2"]], read=False, now=now)
    store.save_entries("b", [parsed(6, now - 300 * H)], now=now)  # arrives late, dated old
    assert oldest_first() == ["Article 6", "Article 2", "Article 3", "Article 4", "Article 5"]
    assert oldest_first(limit=2) == ["Article 6", "Article 2"]
    store.mark_all_read(a.id, Selection(), up_to=now, now=now)
    store.mark(a.id, [ids["old2"]], read=True, now=now)
    assert oldest_first() == []


def test_mark_all_read_with_a_filter_writes_rows(store: Store, now: datetime) -> None:
    ids = fill(store, now)
    a = store.add_account("a", "lecteur", now=now)
    reader = a.reader
    # Feed b only, up to now: entry 5, and its story (3, 4) with it.
    assert store.mark_all_read(a.id, Selection(feeds=("b",)), up_to=now, now=now) == 3
    assert store.account(a.id).read_before == a.read_before  # type: ignore[union-attr]
    assert store.unread_counts(reader, Selection())[""] == 0
    # An entry, or a copy of its story, arriving after ``up_to`` stays unread (Google
    # Reader's ``ts``: what the client had shown).
    store.mark(a.id, [ids["new1"]], read=False, now=now)
    changed = store.mark_all_read(a.id, Selection(feeds=("a",)), up_to=now - 2 * H, now=now)
    assert changed == 1  # entry 3; not 4 nor 5
    assert store.unread_counts(reader, Selection()) == {"": 2, "ia": 1, "ent": 1}


def test_mark_all_read_without_a_filter_moves_the_horizon(store: Store, now: datetime) -> None:
    ids = fill(store, now)
    a = store.add_account("a", "lecteur", now=now)
    store.mark(a.id, [ids["old1"]], read=False, starred=True, now=now)
    store.mark(a.id, [ids["mid"]], read=True, now=now)  # the story 3-4-5 read explicitly
    store.mark(a.id, [ids["new1"]], read=False, now=now)  # … then unread again
    # Up to 3 hours ago: entries 1 (explicitly unread) and 3 become read.
    changed = store.mark_all_read(a.id, Selection(collapse=True), up_to=now - 3 * H, now=now)
    assert changed == 2
    moved = store.account(a.id)
    assert moved is not None and moved.read_before == now - 3 * H
    assert states(store, moved.reader) == {
        "Article 1": (True, True),  # starred stays
        "Article 2": (True, False),
        "Article 3": (True, False),
        "Article 4": (False, False),
        "Article 5": (False, False),
    }
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(state_t.c.entry_id, state_t.c.read)).all()
    assert rows == [(ids["old1"], None)]  # only the star is left to say
    # The horizon never moves back.
    assert store.mark_all_read(a.id, Selection(), up_to=now - 100 * H, now=now) == 0
    assert store.account(a.id).read_before == now - 3 * H  # type: ignore[union-attr]
    assert store.mark_all_read(a.id, Selection(), up_to=now, now=now) == 2
    assert store.unread_counts(replace(moved.reader, read_before=now), Selection())[""] == 0


def test_entry_states_go_with_their_account_and_entry(store: Store, now: datetime) -> None:
    ids = fill(store, now)
    a: Account = store.add_account("a", "lecteur", now=now)
    store.mark(a.id, [ids["old1"], ids["new1"]], starred=True, now=now)
    with store.engine.begin() as conn:
        conn.execute(sa.delete(entry_t).where(entry_t.c.id == ids["old1"]))
        assert conn.execute(sa.select(state_t.c.entry_id)).scalars().all() == [ids["new1"]]
        conn.execute(sa.text("DELETE FROM account"))
        assert conn.execute(sa.select(sa.func.count()).select_from(state_t)).scalar() == 0


def test_add_account_takes_the_interface_order(store: Store, now: datetime) -> None:
    made = store.add_account("ines", "lecteur", "Inès", now)  # name, role, display_name, now
    assert made.display_name == "Inès" and made.created_at == now
    with pytest.raises(TypeError):
        store.add_account("jules", "lecteur")
