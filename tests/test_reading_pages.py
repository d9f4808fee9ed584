"""A logged-in reader's state on the pages, in-process against a real store on each backend:
every form (read, unread, keep, stop keeping, « tout marquer comme lu » for a section and
for the page), the counts, « nouveaux depuis ma dernière visite », « Mes articles gardés »
and its private feed, two readers apart, CSRF, caching, retag."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from xml.etree import ElementTree as ET

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from veille.ingest.pipeline import retag_if_needed
from veille.models import Selection
from veille.passwords import hash_password
from veille.rules.ruleset import RuleSet
from veille.store import Store
from veille.store.tables import entry_t

from .browser import NOW, build_app
from .test_pages import Doc, Element, add_entries, words

SECRET = "clé-de-test-assez-longue-pour-signer-les-sessions-0123456789"
PASSWORD = "un mot de passe assez long"
MIN = timedelta(minutes=1)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Site:
    store: Store
    clock: Clock
    app: Any

    def client(self) -> TestClient:
        return TestClient(self.app, follow_redirects=False)

    def reader(self, name: str) -> TestClient:
        """A client logged in as ``name`` (a « lecteur » account created on first use)."""
        if self.store.account(name) is None:
            self.store.add_account(name, "lecteur", name.capitalize(), now=self.clock.now)
            self.store.set_password(name, hash_password(PASSWORD), now=self.clock.now)
        client = self.client()
        form = Doc(client.get("/connexion").text)
        csrf = next(i.attrs["value"] for i in form.all("input") if i.attrs.get("name") == "csrf")
        answer = client.post("/connexion", data={"csrf": csrf, "name": name, "password": PASSWORD})
        assert answer.status_code == 303, answer.text
        return client


@pytest.fixture
def site(tmp_path: Path, store: Store) -> Iterator[Site]:
    app, store = build_app(tmp_path, store=store, secret_key=SECRET)
    clock = Clock(NOW)
    app.state.clock = clock
    with TestClient(app):  # the lifespan
        yield Site(store, clock, app)


def ids_of(store: Store) -> dict[str, str]:
    """Entry id by title (every stored entry)."""
    return {e.title: e.id for e in store.list_entries(Selection(limit=500)).entries}


def get(client: TestClient, path: str) -> Doc:
    answer = client.get(path)
    assert answer.status_code == 200, answer.text
    return Doc(answer.text)


def heading(doc: Doc, entry_id: str) -> str:
    return words(doc.by_id(f"e-{entry_id}").text)


def entry_form(doc: Doc, entry_id: str) -> dict[str, str]:
    """The fields of an entry's reading form (its first button's action included)."""
    form = next(
        f
        for f in doc.all("form", class_="entry-actions")
        if any(i.attrs.get("value") == entry_id for i in f.children)
    )
    return {i.attrs["name"]: i.attrs["value"] for i in form.children if i.tag == "input"}


def post(client: TestClient, path: str, fields: dict[str, str]) -> str:
    answer = client.post(path, data=fields)
    assert answer.status_code == 303, answer.text
    return answer.headers["location"]


def mark_all_forms(doc: Doc) -> dict[str, dict[str, str]]:
    """« Tout marquer comme lu » forms by the anchor they come back to."""
    found = {}
    for f in doc.all("form", class_="mark-all"):
        fields = {i.attrs["name"]: i.attrs["value"] for i in f.children if i.tag == "input"}
        found[fields["retour"].rsplit("#", 1)[1]] = fields
    return found


def add(store: Store, feed: str, title: str, arrived: datetime, tags: tuple[str, ...]) -> None:
    """One entry of ``feed`` published and arrived at ``arrived``."""
    add_entries(store, feed, [(title, NOW - arrived, tags)], now=arrived)


def one_story(store: Store, *titles: str) -> None:
    ids = ids_of(store)
    first = int(ids[titles[0]])
    members = [int(ids[t]) for t in titles]
    with store.engine.begin() as conn:
        conn.execute(sa.update(entry_t).where(entry_t.c.id.in_(members)).values(cluster_id=first))


A1 = "L'IA générative au lycée : retour d'expérience"
A2 = "Des tablettes pour l'évaluation en classe"
A3 = "Une année de tablettes au collège"
A5 = "Évaluer avec l'IA ? Prudence"


# --- each action ---------------------------------------------------------------------------------


def test_read_unread_keep_and_stop_keeping(site: Site) -> None:
    marie, ids = site.reader("marie"), ids_of(site.store)
    a1 = ids[A1]
    doc = get(marie, "/")
    assert heading(doc, a1).startswith("●Non lu : ")  # a new account: last week unread
    fields = entry_form(doc, a1)
    assert fields["retour"] == f"/#e-{a1}"
    assert post(marie, "/lecture", fields | {"action": "lu"}) == f"/#e-{a1}"
    doc = get(marie, "/")
    assert heading(doc, a1) == A1
    assert "Marquer comme non lu" in words(
        next(
            f for f in doc.all("form", class_="entry-actions") if f.children[1].attrs["value"] == a1
        ).text
    )
    post(marie, "/lecture", entry_form(doc, a1) | {"action": "non-lu"})
    assert heading(get(marie, "/"), a1).startswith("●Non lu : ")

    post(marie, "/lecture", entry_form(get(marie, "/"), a1) | {"action": "garder"})
    doc = get(marie, "/")
    article = next(a for a in doc.all("article") if a.attrs.get("aria-labelledby") == f"e-{a1}")
    assert "gardé" in words(article.text)
    kept = get(marie, "/moi/gardes")
    assert [words(h.text) for h in kept.all("h3")] == ["●Non lu : " + A1]
    post(marie, "/lecture", entry_form(kept, a1) | {"action": "ne-plus-garder"})
    assert not get(marie, "/moi/gardes").all("h3")
    assert "Aucun article gardé" in get(marie, "/moi/gardes").all("p", class_="lead")[0].text


def test_a_story_read_marks_its_copies(site: Site) -> None:
    # A1 (Le Café) and A2 (Ludomag), made one story: the page shows A1 (the newest), and
    # reading it reads both.
    one_story(site.store, A1, A2)
    marie, ids = site.reader("marie"), ids_of(site.store)
    doc = get(marie, "/")  # relayed by two sources: « À la une », linked from its section
    assert words(doc.by_id(f"ut-{ids[A1]}").text).startswith("●Non lu : ")
    assert heading(doc, ids[A1]).startswith("●Non lu : ")
    assert not any(e.attrs.get("id") == f"e-{ids[A2]}" for e in doc.elements)
    fields = entry_form(doc, ids[A1])
    assert fields["retour"] == f"/#une-{ids[A1]}"
    post(marie, "/lecture", fields | {"action": "lu"})
    doc = get(marie, "/")
    assert words(doc.by_id(f"ut-{ids[A1]}").text) == A1 and heading(doc, ids[A1]) == A1
    account = site.store.account("marie")
    assert account is not None
    states = {
        e.title: e.read
        for e in site.store.list_entries(Selection(reader=account.reader, limit=50)).entries
    }
    assert states[A1] is True and states[A2] is True
    assert states[A3] is False  # nothing else
    assert heading(get(marie, "/?feed=ludo"), ids[A2]) == A2  # the copy, on its source's page


def test_section_and_page_mark_all_spare_what_arrived_since(site: Site) -> None:
    marie, ids = site.reader("marie"), ids_of(site.store)
    doc = get(marie, "/")
    forms = mark_all_forms(doc)
    assert set(forms) >= {"contenu", "s-tablettes", "s-ia"}
    section = forms["s-tablettes"]
    assert section["jusqua"] == NOW.isoformat()
    # Meanwhile an article arrives in that section, and a copy of a story the section shows.
    site.clock.now = NOW + 5 * MIN
    add(site.store, "ludo", "Tablettes : la suite", NOW + 2 * MIN, ("tablettes",))
    add(site.store, "ludo", "Une année de tablettes, l'autre regard", NOW + 3 * MIN, ("tablettes",))
    one_story(site.store, A3, "Une année de tablettes, l'autre regard")
    assert post(marie, "/lecture/tout", section) == "/#s-tablettes"
    doc = get(marie, "/")
    ids = ids_of(site.store)
    tablettes = doc.by_id("s-tablettes")
    unread = {words(h.text) for h in tablettes_headings(tablettes) if h.text.startswith("●")}
    # The late copy is news: its story is shown through it, unread; the section's own is read.
    assert unread == {
        "●Non lu : Tablettes : la suite",
        "●Non lu : Une année de tablettes, l'autre regard",
    }
    assert not any(e.attrs.get("id") == f"e-{ids[A3]}" for e in doc.elements)
    account = site.store.account("marie")
    assert account is not None
    late_copy = [
        e for e in site.store.list_entries(Selection(reader=account.reader, limit=50)).entries
        if e.title == "Une année de tablettes, l'autre regard"
    ]  # fmt: skip
    assert late_copy[0].read is False  # arrived after the page was made: still news
    assert heading(doc, ids[A1]).startswith("●Non lu")  # another section: untouched
    # The whole page: what it showed, not the article arriving after it.
    page_form = mark_all_forms(doc)["contenu"]
    site.clock.now = NOW + 10 * MIN
    add(site.store, "cafe", "L'IA au collège, dernière minute", NOW + 7 * MIN, ("ia",))
    assert post(marie, "/lecture/tout", page_form) == "/#contenu"
    doc = get(marie, "/")
    still = [words(h.text) for h in doc.all("h3") if h.text.startswith("●")]
    assert still == ["●Non lu : L'IA au collège, dernière minute"]
    assert words(doc.by_id("non-lus").text) == "1 article non lu sur cette page."


def tablettes_headings(section: Element) -> list[Element]:
    found: list[Element] = []
    for child in section.children:
        if child.tag == "h3":
            found.append(child)
        found += tablettes_headings(child)
    return found


def test_unread_counts_in_the_sommaire_and_the_bar(site: Site) -> None:
    marie, ids = site.reader("marie"), ids_of(site.store)
    doc = get(marie, "/")
    toc = [words(li.text) for li in doc.all("nav", class_="toc")[0].children[1].children]
    total = len(doc.all("form", class_="entry-actions"))
    assert words(doc.by_id("non-lus").text) == f"{total} articles non lus sur cette page."
    assert "Évaluation 2, dont 2 non lus" in toc and "Tablettes 1, dont 1 non lu" in toc
    post(marie, "/lecture", entry_form(doc, ids[A2]) | {"action": "lu"})
    doc = get(marie, "/")
    toc = [words(li.text) for li in doc.all("nav", class_="toc")[0].children[1].children]
    assert "Évaluation 2, dont 1 non lu" in toc and "Tablettes 1, dont 1 non lu" in toc
    assert words(doc.by_id("non-lus").text) == f"{total - 1} articles non lus sur cette page."
    assert words(doc.by_id("h-evaluation").text) == "Évaluation 2 articles, dont 1 non lu"
    post(marie, "/lecture", entry_form(doc, ids[A5]) | {"action": "lu"})
    doc = get(marie, "/")
    toc = [words(li.text) for li in doc.all("nav", class_="toc")[0].children[1].children]
    assert "Évaluation 2" in toc  # all read: the count alone
    assert "s-evaluation" not in mark_all_forms(doc)  # nothing left to mark there


def test_new_since_my_last_visit(site: Site) -> None:
    marie = site.reader("marie")
    first = get(marie, "/?vue=nouveaux")  # a first visit: the unread ones
    assert words(first.all("h1")[0].text) == "Nouveaux depuis ma dernière visite"
    assert words(first.all("p", class_="lead")[0].text).startswith("Première visite : ")
    get(marie, "/")  # the visit goes on…
    site.clock.now = NOW + 3 * timedelta(hours=1)  # …and a new one starts 3 h later
    add(site.store, "cafe", "Arrivé pendant l'absence", NOW + timedelta(hours=1), ("ia",))
    doc = get(marie, "/")
    links = [a.attrs["href"] for a in doc.all("a") if "Nouveaux depuis" in a.text]
    assert links == ["/?vue=nouveaux"]
    new = get(marie, links[0])
    titles = [words(h.text) for h in new.all("h3")]
    assert titles == ["●Non lu : Arrivé pendant l'absence"]
    assert words(new.all("p", class_="lead")[0].text) == (
        "1 article arrivé depuis le 29 nov. 2026 à 09:00, moins d'une minute de lecture."
    )
    back = [a.attrs["href"] for a in new.all("a") if "Tous les articles" in a.text]
    assert back == ["/"]
    # Anonymous: that view needs an account.
    anonymous = site.client().get("/?vue=nouveaux")
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/connexion?suite=/")


def test_starred_page_and_private_feed(site: Site) -> None:
    marie, ids = site.reader("marie"), ids_of(site.store)
    post(marie, "/lecture", entry_form(get(marie, "/"), ids[A2]) | {"action": "garder"})
    kept = get(marie, "/moi/gardes")
    feeds = [a.attrs["href"] for a in kept.all("a") if a.attrs["href"].startswith("/moi/gardes.")]
    assert [f.split("?")[0] for f in feeds] == [
        "/moi/gardes.rss",
        "/moi/gardes.atom",
        "/moi/gardes.json",
    ]
    account = site.store.account("marie")
    assert account is not None
    token = site.store.feed_token(account.id)
    assert token and feeds[0] == f"/moi/gardes.rss?jeton={token}"
    anonymous = site.client()  # a feed reader has no session: the token is enough
    answer = anonymous.get(feeds[0])
    assert answer.status_code == 200 and answer.headers["cache-control"].startswith("private")
    items = [t.text for t in ET.fromstring(answer.content).iter("title")]
    assert A2 in items and A1 not in items
    assert (
        anonymous.get(feeds[0], headers={"If-None-Match": answer.headers["etag"]}).status_code
        == 304
    )
    for wrong in (
        "/moi/gardes.rss?jeton=" + "x" * len(token),
        "/moi/gardes.atom",
        "/moi/gardes.json?jeton=",
    ):
        refused = anonymous.get(wrong)
        assert refused.status_code == 404 and "Flux introuvable" in refused.text
    # Keeping one more changes the document (its ETag), not only a date.
    post(marie, "/lecture", entry_form(get(marie, "/"), ids[A1]) | {"action": "garder"})
    again = anonymous.get(feeds[0], headers={"If-None-Match": answer.headers["etag"]})
    assert again.status_code == 200 and A1 in again.text
    # The pages themselves need the session.
    assert anonymous.get("/moi/gardes").status_code == 303
    assert anonymous.get("/moi").status_code == 303


def test_account_page(site: Site) -> None:
    marie = site.reader("marie")
    answer = marie.get("/moi")
    assert answer.headers["cache-control"] == "private, no-store"
    doc = Doc(answer.text)
    assert words(doc.all("dl", class_="account")[0].text).startswith(
        "Nom Marie Identifiant marie Rôle lecteur"
    )
    assert "veille users api-password marie" in doc.all("pre")[0].text
    # the server address given to apps is the API's: a login there is answered by it
    server = next(c.text for c in doc.all("code") if "/api/greader" in c.text)
    assert server.endswith("/api/greader"), server
    path = urlsplit(server).path + "/accounts/ClientLogin"
    refused = marie.post(path, data={"Email": "marie", "Passwd": "pas le bon"})
    assert refused.status_code == 401 and refused.text.strip() == "Error=BadAuthentication"
    account = site.store.account("marie")
    assert account is not None
    token = site.store.feed_token(account.id)
    assert f"/moi/gardes.rss?jeton={token}" in words(doc.all("ul", class_="private-feeds")[0].text)
    logout = doc.all("form")[-1]
    fields = {i.attrs["name"]: i.attrs["value"] for i in logout.children if i.tag == "input"}
    assert logout.attrs["action"] == "/deconnexion"
    assert post(marie, "/deconnexion", fields)
    assert marie.get("/moi").status_code == 303  # logged out


def test_two_readers_never_see_each_other(site: Site) -> None:
    marie, paul, ids = site.reader("marie"), site.reader("paul"), ids_of(site.store)
    doc = get(marie, "/")
    post(marie, "/lecture", entry_form(doc, ids[A1]) | {"action": "lu"})
    post(marie, "/lecture", entry_form(doc, ids[A2]) | {"action": "garder"})
    theirs = get(paul, "/")
    assert heading(theirs, ids[A1]).startswith("●Non lu")
    assert not get(paul, "/moi/gardes").all("h3")
    # Paul's token in Marie's form: refused; Marie's form reaches only Marie's state.
    stolen = entry_form(theirs, ids[A3]) | {"action": "lu"}
    assert marie.post("/lecture", data=stolen).status_code == 403
    assert heading(get(paul, "/"), ids[A3]).startswith("●Non lu")


def test_csrf_and_session_are_required(site: Site) -> None:
    marie, ids = site.reader("marie"), ids_of(site.store)
    fields = entry_form(get(marie, "/"), ids[A1]) | {"action": "lu"}
    for path in ("/lecture", "/lecture/tout"):
        refused = marie.post(path, data={k: v for k, v in fields.items() if k != "csrf"})
        assert refused.status_code == 403 and "Action refusée" in refused.text
        assert '<html lang="fr">' in refused.text
    anonymous = site.client().post("/lecture", data=fields)
    assert anonymous.status_code == 403 and "reconnectez-vous" in anonymous.text
    assert heading(get(marie, "/"), ids[A1]).startswith("●Non lu")  # nothing changed


@pytest.mark.parametrize(
    ("path", "change", "status"),
    [
        ("/lecture", {"action": "effacer"}, 400),
        ("/lecture", {"id": "abc"}, 400),
        ("/lecture", {"id": "99999999999999999999999"}, 400),
        ("/lecture", {"id": "987654"}, 303),  # no such entry: nothing to mark
        ("/lecture/tout", {"ids": "1,deux,3"}, 400),
        ("/lecture/tout", {"ids": ",".join(["1"] * 1001)}, 400),
        ("/lecture/tout", {"jusqua": "hier"}, 400),
        ("/lecture/tout", {"jusqua": "9999-01-01T00:00:00+00:00"}, 400),
    ],
)
def test_bad_forms_are_french_4xx(
    site: Site, path: str, change: dict[str, str], status: int
) -> None:
    marie, ids = site.reader("marie"), ids_of(site.store)
    doc = get(marie, "/")
    fields = entry_form(doc, ids[A1]) | {"action": "lu", "ids": ids[A1], "jusqua": ""}
    answer = marie.post(path, data=fields | change)
    assert answer.status_code == status, answer.text
    if status == 400:
        assert "Action impossible" in answer.text


@pytest.mark.parametrize(
    "back", ["//ailleurs.example/", "https://ailleurs.example/", "/\\ailleurs", "moi"]
)
def test_forms_come_back_to_this_site_only(site: Site, back: str) -> None:
    marie, ids = site.reader("marie"), ids_of(site.store)
    fields = entry_form(get(marie, "/"), ids[A1]) | {"action": "lu", "retour": back}
    assert post(marie, "/lecture", fields) == "/"


def test_public_pages_stay_public_and_reader_pages_private(site: Site) -> None:
    anonymous = site.client().get("/")
    assert "cache-control" not in anonymous.headers
    assert "entry-actions" not in anonymous.text and "Non lu" not in anonymous.text
    marie = site.reader("marie")
    for path in ("/", "/?vue=titres", "/digests/hebdo", "/?vue=nouveaux", "/moi/gardes", "/moi"):
        answer = marie.get(path)
        assert (
            answer.status_code == 200 and answer.headers["cache-control"] == "private, no-store"
        ), path
    again = site.client().get("/")
    assert again.text == anonymous.text  # a reader's visit changes nothing for the public


def test_state_survives_retag(site: Site) -> None:
    marie, ids = site.reader("marie"), ids_of(site.store)
    doc = get(marie, "/")
    post(marie, "/lecture", entry_form(doc, ids[A1]) | {"action": "lu"})
    post(marie, "/lecture", entry_form(doc, ids[A3]) | {"action": "garder"})
    assert retag_if_needed(site.store, RuleSet.from_config(site.app.state.config)) is not None
    doc = get(marie, "/")
    assert heading(doc, ids[A1]) == A1 and heading(doc, ids[A3]).startswith("●Non lu")
    assert [words(h.text) for h in get(marie, "/moi/gardes").all("h3")] == ["●Non lu : " + A3]


def test_logged_in_page_keeps_the_public_content(site: Site) -> None:
    """Same entries, same sections: the reader's page adds state, it hides nothing."""
    anonymous = Doc(site.client().get("/").text)
    mine = get(site.reader("marie"), "/")
    strip = re.compile(r"^●Non lu : ")
    assert [strip.sub("", words(h.text)) for h in mine.all("h3")] == [
        words(h.text) for h in anonymous.all("h3")
    ]


def test_the_feed_token_stays_out_of_the_logs(
    tmp_path: Path, sqlite_store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    """Served as ``veille serve`` serves (uvicorn's access log, our format): the private
    feed's address is logged without its token."""
    import logging
    import urllib.request

    from veille.logs import setup_logging
    from veille.web.server import server_config

    from .browser import LiveServer

    app, store = build_app(tmp_path, store=sqlite_store, secret_key=SECRET)
    account = store.add_account("marie", "lecteur", "Marie", now=NOW)
    token = store.feed_token(account.id)
    assert token
    root = logging.getLogger()
    ours = [logging.getLogger(n) for n in ("uvicorn", "uvicorn.access")]
    # A server started earlier with uvicorn's own logging config (other tests' LiveServer)
    # gave its loggers handlers, levels and no propagation; `veille serve` gives them none.
    saved = [(g, g.handlers[:], g.propagate, g.level) for g in [root, *ours]]
    for g in ours:
        g.handlers[:], g.propagate = [], True
        g.setLevel(logging.NOTSET)
    setup_logging()
    try:
        with (
            LiveServer(app, server_config(app)) as server,
            urllib.request.urlopen(server.url(f"/moi/gardes.rss?jeton={token}"), timeout=10) as r,
        ):
            assert r.status == 200
    finally:
        for g, handlers, propagate, level in saved:
            g.handlers[:], g.propagate = handlers, propagate
            g.setLevel(level)
    logged = capsys.readouterr().err
    assert "/moi/gardes.rss?jeton=…" in logged, logged
    assert token not in logged


def test_in_a_private_site_the_kept_feed_needs_its_token_only(
    tmp_path: Path, sqlite_store: Store
) -> None:
    """``VEILLE_PRIVATE=true``: the pages need the session, the private feed its token (a
    feed reader has no cookie)."""
    app, store = build_app(tmp_path, store=sqlite_store, secret_key=SECRET, private=True)
    app.state.clock = Clock(NOW)
    site = Site(store, app.state.clock, app)
    with TestClient(app):
        marie, ids = site.reader("marie"), ids_of(store)
        post(marie, "/lecture", entry_form(get(marie, "/"), ids[A2]) | {"action": "garder"})
        account = store.account("marie")
        assert account is not None
        token = store.feed_token(account.id)
        anonymous = site.client()
        assert anonymous.get("/moi/gardes").status_code == 303
        answer = anonymous.get(f"/moi/gardes.atom?jeton={token}")
        assert answer.status_code == 200 and A2 in answer.text
        assert anonymous.get("/moi/gardes.atom?jeton=faux").status_code == 401


def test_an_editors_pick_from_outside_the_period_has_its_reading_form(site: Site) -> None:
    """« Coups de cœur » may hold an article older than the page's period: it is read, kept
    and counted like the others (its state is read with it)."""
    old = ids_of(site.store)["Un vieil article"]
    assert site.store.set_highlight("quotidien", old, "À relire", now=site.clock.now)
    marie = site.reader("marie")
    doc = get(marie, "/")
    picks = doc.by_id("coups-de-coeur")
    assert "Un vieil article" in words(picks.text)
    assert heading(doc, old).startswith("●Non lu : ")
    post(marie, "/lecture", entry_form(doc, old) | {"action": "lu"})
    assert heading(get(marie, "/"), old) == "Un vieil article"
