"""The Google Reader API in-process, on SQLite and PostgreSQL: logins and tokens, the shapes
clients parse, streams and their options, states written both ways, two readers kept apart,
errors clients understand (401 ``Unauthorized``) and French 4xx for bad input."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from tests.greader_support import API, LOGIN, PASSWORDS, fill, greader_client, ids_of, login
from veille.models import Selection
from veille.passwords import hash_password
from veille.render.greader import long_id
from veille.store import Store

NOW = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)
READ = "user/-/state/com.google/read"
STARRED = "user/-/state/com.google/starred"
READING_LIST = "user/-/state/com.google/reading-list"


Setup = tuple[TestClient, Store, dict[str, str]]


@pytest.fixture
def setup(store: Store) -> Iterator[Setup]:
    ids = fill(store, NOW)
    with greader_client(store, NOW) as client:
        yield client, store, ids


# --- logins and tokens -------------------------------------------------------------------------


def test_client_login_answers_text_or_json_and_the_token_works_as_header_or_t(setup: Setup) -> None:
    client, _, _ = setup
    text = client.post(LOGIN, data={"Email": "Ana", "Passwd": PASSWORDS["ana"]})
    assert text.status_code == 200
    lines = dict(line.split("=", 1) for line in text.text.split())
    assert lines["LSID"] == "null" and lines["SID"] == lines["Auth"]  # Vienna RSS wants LSID
    as_json = client.get(
        LOGIN, params={"Email": "ana", "Passwd": PASSWORDS["ana"], "output": "json"}
    )
    assert as_json.json()["Auth"] == lines["Auth"]
    header = {"Authorization": f"GoogleLogin auth={lines['Auth']}"}
    assert client.get(API + "user-info", headers=header).json()["userName"] == "Ana"
    assert client.get(API + "user-info", params={"T": lines["Auth"]}).status_code == 200
    t = client.get(API + "token", headers=header).text
    assert t == lines["Auth"]  # no line break: newsboat posts it back as is
    posted = client.post(API + "edit-tag", data={"i": "1", "a": STARRED, "T": t})
    assert posted.text == "OK"


@pytest.mark.parametrize(
    ("fields", "why"),
    [
        ({"Email": "ana", "Passwd": "mauvais"}, "wrong password"),
        ({"Email": "personne", "Passwd": PASSWORDS["ana"]}, "no such account"),
        ({"Email": "ben", "Passwd": PASSWORDS["ana"]}, "another's password"),
        ({"Email": "x" * 500, "Passwd": "y"}, "not a name"),
        ({}, "nothing"),
    ],
)
def test_a_bad_login_is_401(setup: Setup, fields: dict[str, str], why: str) -> None:
    client, _, _ = setup
    response = client.post(LOGIN, data=fields)
    assert response.status_code == 401, why
    assert "Auth=" not in response.text


def test_logins_are_slowed_down_after_three_failures(setup: Setup) -> None:
    client, _, _ = setup
    for _ in range(4):
        assert client.post(LOGIN, data={"Email": "ana", "Passwd": "non"}).status_code == 401
    refused = client.post(LOGIN, data={"Email": "ana", "Passwd": PASSWORDS["ana"]})
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
    assert "Auth=" not in refused.text  # even the right password waits


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "GoogleLogin auth=n'importe.quoi"},
        {"Authorization": "Bearer x"},
        {"Authorization": "GoogleLogin auth=" + "a" * 5000},
    ],
)
def test_no_valid_token_is_the_401_clients_expect(setup: Setup, headers: dict[str, str]) -> None:
    client, _, _ = setup
    for method, path in [("GET", "unread-count"), ("POST", "edit-tag"), ("GET", "token")]:
        response = client.request(method, API + path, headers=headers)
        assert response.status_code == 401, (path, response.text)
        assert response.text == "Unauthorized"
        assert response.headers["x-reader-google-bad-token"] == "true"


def test_disabling_an_account_or_a_new_api_password_ends_its_tokens(setup: Setup) -> None:
    client, store, _ = setup
    ana, ben = login(client, "ana"), login(client, "ben")
    store.set_api_password("ana", hash_password("nouveau-mot-de-passe-api"), NOW)
    assert client.get(API + "user-info", headers=ana).status_code == 401
    assert client.post(LOGIN, data={"Email": "ana", "Passwd": PASSWORDS["ana"]}).status_code == 401
    assert client.get(API + "user-info", headers=login(client, "ana", "nouveau-mot-de-passe-api"))
    store.disable_account("ben", NOW)
    assert client.get(API + "user-info", headers=ben).status_code == 401
    assert client.post(LOGIN, data={"Email": "ben", "Passwd": PASSWORDS["ben"]}).status_code == 401
    store.enable_account("ben", NOW)  # back, but the old token stays dead
    assert client.get(API + "user-info", headers=ben).status_code == 401
    assert client.get(API + "user-info", headers=login(client, "ben")).status_code == 200


# --- lists ----------------------------------------------------------------------------------------


def test_subscriptions_and_labels_name_sources_themes_and_digests(setup: Setup) -> None:
    client, _, _ = setup
    h = login(client, "ana")
    subs = client.get(API + "subscription/list", params={"output": "json"}, headers=h).json()
    by_id = {s["id"]: s for s in subs["subscriptions"]}
    assert set(by_id) == {"feed/cafe", "feed/ludo"}
    assert by_id["feed/ludo"]["categories"] == [
        {"id": "user/-/label/Jeux sérieux", "label": "Jeux sérieux", "type": "folder"}
    ]
    assert by_id["feed/cafe"]["categories"] == [] and by_id["feed/cafe"]["title"]
    assert by_id["feed/cafe"]["url"] == "https://cafe.example/feed"
    tags = client.get(API + "tag/list", params={"output": "json"}, headers=h).json()["tags"]
    assert tags[0] == {"id": STARRED}
    # Exactly id, label, type: a client library builds an object from these keys only.
    assert all(set(t) == {"id", "label", "type"} for t in tags[1:])
    labels = {t["label"]: t["type"] for t in tags[1:]}
    assert labels["Évaluation"] == "tag" and labels["Jeux sérieux"] == "folder"
    assert labels["La veille du jour"] == "tag"  # a digest


def test_unread_counts_follow_marks(setup: Setup) -> None:
    client, _, ids = setup
    h = login(client, "ana")

    def counts() -> dict[str, int]:
        body = client.get(API + "unread-count", params={"output": "json"}, headers=h).json()
        return {c["id"]: c["count"] for c in body["unreadcounts"]}

    before = counts()
    assert before[READING_LIST] == 8 and before["feed/ludo"] == 2
    assert before["user/-/label/Évaluation"] == 3
    assert "user/-/label/La veille du jour" not in before  # a digest: a query each, left out
    client.post(API + "edit-tag", data={"i": [ids["l1"], long_id(ids["c1"])], "a": READ}, headers=h)
    after = counts()
    assert after[READING_LIST] == 6 and after["feed/ludo"] == 1
    assert after["user/-/label/Évaluation"] == 1  # l1 and c1 are both « Évaluation »


# --- streams --------------------------------------------------------------------------------------


def test_continuations_walk_a_stream_once_in_either_order(setup: Setup) -> None:
    client, _, ids = setup
    h = login(client, "ana")
    newest = ids_of(client, h, s=READING_LIST, n=3)
    assert sorted(newest, key=int) == sorted(ids.values(), key=int)  # all, once
    oldest = ids_of(client, h, s=READING_LIST, n=2, r="o")
    assert oldest == newest[::-1]
    big = client.get(API + "stream/items/ids", params={"s": READING_LIST, "n": 10000}, headers=h)
    assert big.status_code == 200 and len(big.json()["itemRefs"]) == 8  # capped, not refused


@pytest.mark.parametrize(
    "params",
    [
        {"s": READING_LIST, "n": 3},
        {"s": READING_LIST, "n": 2, "r": "o"},
        {"s": READING_LIST, "n": 3, "xt": READ},
        {"s": READING_LIST, "n": 2, "xt": READ, "r": "o"},
        {"s": "feed/ludo", "n": 1},
        {"s": "user/-/label/Évaluation", "n": 1, "xt": READ},
        {"s": STARRED, "n": 1},
    ],
)
def test_ids_and_contents_pages_agree(setup: Setup, params: dict[str, object]) -> None:
    """``stream/items/ids`` (ids only, ``Store.list_entry_refs``) gives the page of
    ``stream/contents`` for the same stream and continuation: ids, dates, continuation."""
    client, _, ids = setup
    h = login(client, "ana")
    client.post(API + "edit-tag", data={"i": [ids["l1"]], "a": READ}, headers=h)
    client.post(API + "edit-tag", data={"i": [ids["c1"], ids["l2"]], "a": STARRED}, headers=h)
    pages = 0
    for _ in range(20):
        refs = client.get(API + "stream/items/ids", params=params, headers=h).json()
        contents = client.get(API + "stream/contents", params=params, headers=h).json()
        assert [r["id"] for r in refs["itemRefs"]] == [
            str(int(i["id"].rsplit("/", 1)[1], 16)) for i in contents["items"]
        ]
        assert [r["timestampUsec"] for r in refs["itemRefs"]] == [
            i["timestampUsec"] for i in contents["items"]
        ]
        assert refs.get("continuation") == contents.get("continuation")
        pages += 1
        if "continuation" not in refs:
            break
        params = params | {"c": refs["continuation"]}
    assert pages >= 2  # a continuation followed


def test_stream_contents_by_path_by_s_and_by_feed_url(setup: Setup) -> None:
    client, _, ids = setup
    h = login(client, "ana")
    by_path = client.get(API + "stream/contents/feed/ludo", headers=h).json()
    by_s = client.get(API + "stream/contents", params={"s": "feed/ludo"}, headers=h).json()
    by_url = client.get(
        API + "stream/contents/feed/https%3A%2F%2Fludo.example%2Ffeed", headers=h
    ).json()
    assert [i["id"] for i in by_path["items"]] == [i["id"] for i in by_url["items"]]
    assert [i["id"] for i in by_s["items"]] == [long_id(ids["l1"]), long_id(ids["l2"])]
    item = by_path["items"][0]
    assert item["origin"] == {"streamId": "feed/ludo", "title": "Ludomag", "htmlUrl": ""}
    assert item["alternate"][0]["href"].startswith("https://") and item["summary"]["content"]
    assert int(item["timestampUsec"]) // 1000 == int(item["crawlTimeMsec"])
    assert "user/-/label/Évaluation" in item["categories"]
    everything = client.get(API + "stream/contents", headers=h).json()  # FeedMe, EasyRSS
    assert len(everything["items"]) == 8


def test_labels_themes_and_digests_as_streams(setup: Setup) -> None:
    client, _, ids = setup
    h = login(client, "ana")
    theme = client.get(API + "stream/contents/user/-/label/Évaluation", headers=h).json()
    assert {i["id"] for i in theme["items"]} == {long_id(ids[k]) for k in ("c1", "c4", "l1")}
    by_name = client.get(API + "stream/contents/user/-/label/evaluation", headers=h).json()
    assert by_name["items"] == theme["items"]
    daily = ids_of(client, h, s="user/-/label/La veille du jour")
    assert ids["c4"] not in daily and ids["c1"] in daily  # its window: one day


def test_filters_xt_it_ot_nt(setup: Setup) -> None:
    client, _, ids = setup
    h = login(client, "ana")
    client.post(API + "edit-tag", data={"i": [ids["c1"], ids["c2"]], "a": READ}, headers=h)
    client.post(API + "edit-tag", data={"i": ids["l2"], "a": STARRED}, headers=h)
    unread = ids_of(client, h, s=READING_LIST, xt=READ)
    assert ids["c1"] not in unread and ids["c3"] in unread and len(unread) == 6
    assert ids_of(client, h, s=READ) == [ids["c1"], ids["c2"]]
    assert ids_of(client, h, s=STARRED) == [ids["l2"]]
    assert ids_of(client, h, s="feed/cafe", it=READ) == [ids["c1"], ids["c2"]]
    not_games = ids_of(client, h, s=READING_LIST, xt="user/-/label/Jeux sérieux")
    assert ids["l1"] not in not_games and len(not_games) == 6
    arrived = int((NOW - timedelta(hours=1)).timestamp())
    assert ids_of(client, h, s=READING_LIST, ot=arrived) == []  # seen at that very time
    assert len(ids_of(client, h, s=READING_LIST, ot=arrived - 1)) == 8
    two_days = int((NOW - timedelta(hours=49)).timestamp() * 1_000_000)  # microseconds
    older = ids_of(client, h, s=READING_LIST, nt=two_days)
    assert set(older) == {ids["c4"], ids["old"]}


def test_items_by_id_in_every_form(setup: Setup) -> None:
    client, _, ids = setup
    h = login(client, "ana")
    n = int(ids["c3"])
    forms = [str(n), long_id(n), f"tag:google.com,2005:reader/item/{n:x}", f"{n:016x}"]
    body = client.post(API + "stream/items/contents", data={"i": forms}, headers=h).json()
    assert [i["id"] for i in body["items"]] == [long_id(n)] * 4


# --- states ---------------------------------------------------------------------------------------


def test_edit_tag_read_unread_starred_both_ways(setup: Setup) -> None:
    client, store, ids = setup
    h = login(client, "ana")
    account = store.account("ana")
    assert account is not None
    ana = account.reader

    def item(key: str) -> list[str]:
        found = client.post(API + "stream/items/contents", data={"i": ids[key]}, headers=h)
        return found.json()["items"][0]["categories"]

    # newsboat's way: a=read with r=kept-unread, then the reverse.
    kept = "user/-/state/com.google/kept-unread"
    read = {"i": long_id(ids["c3"]), "a": READ, "r": kept, "ac": "edit", "T": "x"}
    done = client.post(API + "edit-tag", data=read, headers=h)
    assert done.text == "OK" and READ in item("c3")
    seen = store.list_entries(Selection(reader=ana, limit=50))
    assert next(e for e in seen.entries if e.id == ids["c3"]).read is True
    tracking = "user/-/state/com.google/tracking-kept-unread"
    unread = {"i": ids["c3"], "r": READ, "a": [kept, tracking]}
    client.post(API + "edit-tag", data=unread, headers=h)
    assert READ not in item("c3")
    client.post(API + "edit-tag", data={"i": ids["c4"], "a": STARRED}, headers=h)
    assert STARRED in item("c4")
    # And the other way: the store's marks are what clients read.
    store.mark(ana.account_id, [ids["c4"]], read=True, starred=False, now=NOW)
    assert READ in item("c4") and STARRED not in item("c4")


def test_mark_all_as_read_up_to_ts(setup: Setup) -> None:
    client = setup[0]
    h = login(client, "ana")
    before = int((NOW - timedelta(hours=2)).timestamp() * 1_000_000)
    assert client.post(API + "mark-all-as-read", data={"s": "feed/cafe", "ts": before}, headers=h)
    assert len(ids_of(client, h, s="feed/cafe", xt=READ)) == 6  # seen after ts: kept unread
    done = client.post(API + "mark-all-as-read", data={"s": "feed/cafe"}, headers=h)
    assert done.text == "OK"
    assert ids_of(client, h, s="feed/cafe", xt=READ) == []
    assert len(ids_of(client, h, s="feed/ludo", xt=READ)) == 2


def test_two_readers_never_see_each_others_state(setup: Setup) -> None:
    client, _, ids = setup
    ana, ben = login(client, "ana"), login(client, "ben")
    client.post(API + "edit-tag", data={"i": [ids["c1"], ids["l1"]], "a": READ}, headers=ana)
    client.post(API + "edit-tag", data={"i": ids["c2"], "a": STARRED}, headers=ana)
    client.post(API + "mark-all-as-read", data={"s": "feed/ludo"}, headers=ben)
    assert len(ids_of(client, ben, s=READING_LIST, xt=READ)) == 6  # ben: ludo read only
    assert ids["c1"] in ids_of(client, ben, s=READING_LIST, xt=READ)
    assert ids_of(client, ben, s=STARRED) == []
    assert ids_of(client, ana, s=STARRED) == [ids["c2"]]
    assert ids["l2"] in ids_of(client, ana, s=READING_LIST, xt=READ)


# --- refusals -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "data", "status", "said"),
    [
        ("POST", "edit-tag", {"i": "zz", "a": READ}, 400, "identifiant d'article invalide"),
        ("POST", "edit-tag", {"i": str(2**64), "a": READ}, 400, "identifiant d'article invalide"),
        # beyond PostgreSQL's INTEGER keys: refused, not a 500 (``limits.MAX_ID``)
        ("POST", "stream/items/contents", {"i": "0000000100000000"}, 400, "identifiant"),
        ("POST", "edit-tag", {"i": str(2**32), "a": READ}, 400, "identifiant d'article invalide"),
        ("POST", "edit-tag", {"a": READ}, 400, "au moins un article"),
        ("POST", "edit-tag", {"i": "1", "a": READ, "r": READ}, 400, "lu et non lu"),
        ("POST", "edit-tag", {"i": "1", "a": "user/-/label/X"}, 400, "thèmes sont calculés"),
        ("GET", "edit-tag?i=1&a=" + READ, None, 405, "POST"),
        ("GET", "stream/items/ids?s=user/-/state/com.google/broadcast", None, 400, "flux inconnu"),
        ("GET", "stream/items/ids?s=feed/nulle-part", None, 404, "source inconnue"),
        ("GET", "stream/contents/user/-/label/Rien", None, 404, "libellé inconnu"),
        ("GET", "stream/items/ids?n=beaucoup", None, 400, "nombre entier attendu"),
        ("GET", "stream/items/ids?c=pas-un-curseur", None, 400, "curseur invalide"),
        ("GET", "stream/items/ids?ot=99999999999999999999", None, 400, "hors limites"),
        ("GET", "stream/items/ids?xt=feed/cafe", None, 400, "exclusion non prise en charge"),
        ("POST", "subscription/quickadd", {"quickadd": "https://x.example/"}, 403, "feeds.yaml"),
        ("POST", "subscription/edit", {"ac": "unsubscribe", "s": "feed/cafe"}, 403, "feeds.yaml"),
        ("POST", "rename-tag", {"s": "user/-/label/Tablettes"}, 403, "feeds.yaml"),
        ("GET", "nulle/part", None, 404, "point d'accès inconnu"),
    ],
)
def test_bad_input_is_a_french_4xx(
    setup: Setup, method: str, path: str, data: dict[str, str] | None, status: int, said: str
) -> None:
    client, _, _ = setup
    response = client.request(method, API + path, data=data, headers=login(client, "ana"))
    assert response.status_code == status, response.text
    assert said in response.json()["detail"]


def test_a_slash_too_many_after_the_server_url_is_forgiven(setup: Setup) -> None:
    client = setup[0]
    login_twice = client.post(
        "/api/greader//accounts/ClientLogin", data={"Email": "ana", "Passwd": PASSWORDS["ana"]}
    )
    token = dict(line.split("=", 1) for line in login_twice.text.split())["Auth"]
    h = {"Authorization": f"GoogleLogin auth={token}"}
    assert client.get("/api/greader//reader/api/0/user-info", headers=h).status_code == 200


def test_a_private_site_leaves_the_api_to_its_tokens(sqlite_store: Store) -> None:
    """``VEILLE_PRIVATE``: the pages want a session, the Google Reader API its own token
    (apps have no cookie)."""
    fill(sqlite_store, NOW)
    with greader_client(sqlite_store, NOW, private=True) as client:
        assert client.get("/api/v1/entries").status_code == 401
        assert client.get(API + "unread-count").text == "Unauthorized"
        counts = client.get(API + "unread-count", headers=login(client, "ana"))
        assert counts.status_code == 200 and counts.json()["max"] == 8
