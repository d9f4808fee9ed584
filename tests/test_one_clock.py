"""One clock in every route: whatever a route dates or bounds by time — a digest's window,
« il y a … », the next fetch, a silent source, the letter being prepared, an editor's session
and login form, the scheduler's lateness, the feeds due, OPML's ``dateCreated``, a refused
edit of feeds.yaml, the ``Last-Modified`` that curation moves — comes from the app's clock
(``veille.web.state.now``), never from the system's.

The app's clock and its data are put far from the real present, in the past and in the
future: a route that read the system clock would show another window, another « il y a »,
expire a session or keep it, move ``Last-Modified`` to today. Every route of the app is
listed below as dated (checked by the sweep) or undated (with the reason), so a new route
cannot escape the rule unnoticed; a static check finds no system clock in the web, render
and output code beyond the app's one default.
"""

from __future__ import annotations

import ast
import html
import re
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from starlette.routing import Route

from tests.conftest import wait_until
from tests.greader_support import API as GREADER
from tests.greader_support import add_reader
from tests.greader_support import login as greader_login
from veille.ingest.heartbeat import record_tick
from veille.models import FeedSpec, ParsedEntry, Validators
from veille.render.french import french_datetime, period_label
from veille.rules.tagging import TagReason
from veille.settings import Settings
from veille.store import Store
from veille.web import create_app
from veille.web.login import LOGIN

from .mail_support import FEEDS_YAML  # hebdo (7 days, mailed on Mondays): the first digest

PARIS = ZoneInfo("Europe/Paris")
ADMIN = "jeton-admin-de-l-horloge"
AUTH = {"Authorization": f"Bearer {ADMIN}"}
# Wednesdays mid-morning (the letter goes out on Mondays): far before and far after today.
READING_LIST = "user/-/state/com.google/reading-list"
ANCHORS = {
    "past": datetime(2011, 5, 4, 9, 0, tzinfo=UTC),
    "future": datetime(2041, 5, 8, 9, 0, tzinfo=UTC),
}


# Every route of the app: dated ones are checked by the sweep, undated ones say why not.
FEEDS = {
    ("GET", f"{path}.{ext}")
    for path in ("/digests/{name}", "/digests/{name}/une", "/tags/{tag}", "/feed")
    for ext in ("rss", "atom", "json")
}
DATED = FEEDS | {
    ("GET", "/"),
    ("GET", "/digests/{name}"),
    ("GET", "/digests/{name}/widget"),
    ("GET", "/feeds"),
    ("GET", "/opml"),
    ("GET", "/healthz"),
    ("GET", "/metrics"),
    ("GET", "/api/v1/digests/{name}/curation"),
    ("PUT", "/api/v1/digests/{name}/highlights/{entry}"),
    ("PUT", "/api/v1/digests/{name}/hidden/{entry}"),
    ("DELETE", "/api/v1/digests/{name}/hidden/{entry}"),
    ("PUT", "/api/v1/digests/{name}/une/dropped/{entry}"),
    ("DELETE", "/api/v1/digests/{name}/une/dropped/{entry}"),
    ("PUT", "/api/v1/corrections/{entry}/{tag}"),
    ("DELETE", "/api/v1/corrections/{entry}/{tag}"),
    ("GET", "/connexion"),
    ("POST", "/connexion"),
    ("POST", "/curation/connexion"),
    ("GET", "/curation"),
    ("GET", "/curation/{name}"),
    ("POST", "/curation/{name}"),
    ("GET", "/moi/gardes"),
    ("POST", "/lecture/tout"),
    ("GET", "/api/greader/{path:path}"),
    ("POST", "/api/greader/{path:path}"),
}
UNDATED = {
    ("GET", "/openapi.json"): "the API's description",
    ("GET", "/docs"): "documentation page",
    ("GET", "/redoc"): "documentation page",
    ("GET", "/docs/assets/{name}"): "packaged files",
    ("GET", "/static/{name}"): "packaged files",
    ("GET", "/mail/email.css"): "packaged file",
    ("GET", "/abonnement"): "links to the feeds, no date",
    ("GET", "/api/v1/feeds"): "stored times only, no window",
    ("GET", "/api/v1/entries"): "stored times; since/until are absolute dates",
    ("GET", "/api/v1/entries/{entry_id}"): "stored times only",
    ("GET", "/api/v1/tags"): "counts",
    ("GET", "/api/v1/digests"): "window lengths, not dates",
    ("GET", "/api/v1/corrections"): "stored times only",
    ("GET", "/digests/{name}/archive"): "dates of the issues as stored",
    ("GET", "/digests/{name}/archive/{number}"): "an issue as stored",
    ("GET", "/desabonnement/{token}"): "a confirmation form",
    ("POST", "/desabonnement/{token}"): "records state.now (static check); shows no date",
    ("POST", "/curation/deconnexion"): "records state.now (static check); shows no date",
    ("POST", "/deconnexion"): "records state.now (static check); shows no date",
    ("GET", "/curation/connexion"): "a redirection to /connexion",
    ("POST", "/lecture"): "records state.now (static check); shows no date",
    ("GET", "/moi"): "the account's names and addresses, no date",
    **{
        ("GET", f"/moi/gardes.{ext}"): "stored times only (its validator is the ETag alone)"
        for ext in ("rss", "atom", "json")
    },
    ("GET", "/connexion/oidc"): "no OpenID provider here (404); its flow's expiry and the ID "
    "token's on the app's clock: tests/test_oidc.py",
    ("GET", "/connexion/oidc/retour"): "the same",
    ("DELETE", "/api/v1/digests/{name}/highlights/{entry}"): "removes a pick: no time at all",
    ("PUT", "/api/v1/digests/{name}/introduction"): "records state.now (static check); the "
    "issue it goes to is numbered, whatever the date",
}


def app_routes(app: Any) -> set[tuple[str, str]]:
    """(method, path) of every route, through the routers included in one another."""
    found: set[tuple[str, str]] = set()

    def walk(routes: Iterable[Any]) -> None:
        for r in routes:
            inner = getattr(r, "original_router", None)  # a router included whole (recent FastAPI)
            if inner is not None:
                walk(inner.routes)
            elif isinstance(r, Route):
                found.update((m, r.path) for m in r.methods or () if m != "HEAD")

    walk(app.routes)
    return found


# --- a world far from today ---------------------------------------------------------------------


class World:
    """feeds.yaml, a SQLite store filled at ``anchor`` and the app whose clock says ``anchor``
    (``clock.now`` moves it)."""

    def __init__(self, tmp: Path, anchor: datetime) -> None:
        self.anchor, self.now = anchor, anchor
        self.config = tmp / "feeds.yaml"
        # cafe is institutional: its articles are « À la une » though nobody relays them
        cafe = "    title: Le Café pédagogique\n"
        self.config.write_text(
            FEEDS_YAML.replace(cafe, cafe + "    institution: true\n"), encoding="utf-8"
        )
        self.store = Store(f"sqlite:///{tmp / 'veille.db'}")
        self.store.migrate()
        fill(self.store, anchor)
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            config=self.config,
            database_url=self.store.url,
            base_url="https://veille.example.org",
            secret_key="une-clé-secrète-de-l-horloge-assez-longue",
            admin_token=ADMIN,
        )
        self.app = create_app(settings, self.store, clock=lambda: self.now)

    def client(self) -> TestClient:
        return TestClient(self.app, base_url="https://testserver", follow_redirects=False)


def fill(store: Store, anchor: datetime) -> None:
    """On cafe, ``frais`` (an hour old, tagged ia), ``hier`` (30 h) and ``passee`` (8 days);
    on ludo, ``ancien`` (45 days). cafe is next due in 30 min, ludo was an hour ago; the
    scheduler ticked a minute ago."""
    store.sync_feeds(
        [
            FeedSpec("cafe", "https://cafe.example/feed", title="Le Café pédagogique"),
            FeedSpec("ludo", "https://ludo.example/feed", title="Ludomag"),
        ]
    )

    def entry(key: str, title: str, age: timedelta) -> ParsedEntry:
        return ParsedEntry(
            key=key,
            guid=key,
            url=f"https://x.example/{key}",
            title=title,
            summary_html="<p>Résumé.</p>",
            published=anchor - age,
        )

    store.save_entries(
        "cafe",
        [
            entry("frais", "L'IA au collège, article frais", timedelta(hours=1)),
            entry("hier", "Un article de la veille", timedelta(hours=30)),
            entry("passee", "Un article de la semaine passée", timedelta(days=8)),
        ],
        now=anchor,
        tagger=lambda e: {"ia": TagReason("title", "IA")} if "IA" in e.title else {},
    )
    store.save_entries(
        "ludo", [entry("ancien", "Un vieil article", timedelta(days=45))], now=anchor
    )
    for feed, due in (("cafe", timedelta(minutes=30)), ("ludo", -timedelta(hours=1))):
        store.record_success(feed, now=anchor, next_fetch_at=anchor + due, validators=Validators())
    record_tick(store, anchor - timedelta(minutes=1))


@pytest.fixture(params=sorted(ANCHORS))
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    w = World(tmp_path, ANCHORS[request.param])
    yield w
    w.store.close()


def text(response: Any) -> str:
    """A page's text as a reader sees it (``l&#39;instant`` is « l'instant »)."""
    return html.unescape(response.text)


def last_modified(response: Any) -> datetime:
    return parsedate_to_datetime(response.headers["last-modified"])


def entry_id(client: TestClient, key: str) -> str:
    entries = client.get("/api/v1/entries", params={"limit": 100}).json()["entries"]
    return next(e["id"] for e in entries if e["url"].endswith(f"/{key}"))


def login(client: TestClient) -> tuple[str, str]:
    """Log in through the form; the form's token and cookie (to replay them)."""
    form = client.get("/connexion")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert form.status_code == 200 and csrf is not None
    cookie = client.cookies[LOGIN]
    r = client.post("/connexion", data={"csrf": csrf[1], "password": ADMIN})
    assert r.status_code == 303 and r.headers["location"] == "/curation", r.text
    return csrf[1], cookie


# --- the sweep ----------------------------------------------------------------------------------


def test_every_route_is_dated_or_says_why_not(world: World) -> None:
    assert app_routes(world.app) == DATED | set(UNDATED)
    assert not DATED & set(UNDATED)


def test_every_dated_route_reads_the_apps_clock(world: World) -> None:
    anchor, checked = world.anchor, set[tuple[str, str]]()

    def check(route: tuple[str, str]) -> None:
        assert route in DATED, route
        checked.add(route)

    with world.client() as c:
        # Pages: the window ends at the app's now, times are counted from it.
        for url, route in (("/", "/"), ("/digests/hebdo", "/digests/{name}")):
            page = text(c.get(url))
            assert "de la veille" in page and "semaine passée" not in page, url
            assert "il y a 1 h" in page, url
            since = french_datetime(anchor - timedelta(days=7), PARIS)
            assert f"depuis le {since}" in page, url
            check(("GET", route))
        page = text(c.get("/digests/hebdo", params={"period": "1d"}))
        assert "article frais" in page and "de la veille" not in page
        widget = text(c.get("/digests/hebdo/widget"))  # the digest's window, from the app's now
        assert "de la veille" in widget and "semaine passée" not in widget
        check(("GET", "/digests/{name}/widget"))

        page = text(c.get("/feeds"))
        assert f"à l'instant ({french_datetime(anchor, PARIS)})" in page  # last fetch of cafe
        assert "dans 30 min" in page  # its next one; ludo's is overdue:
        assert "dès que possible" in page
        ancien = french_datetime(anchor - timedelta(days=45), PARIS)
        assert f"Aucun nouvel article depuis 45 jours ({ancien})" in page
        check(("GET", "/feeds"))

        # Output feeds: the same window; Last-Modified is the data's, never today.
        for ext in ("rss", "atom", "json"):
            r = c.get(f"/digests/hebdo.{ext}")
            assert "de la veille" in r.text and "semaine passée" not in r.text, ext
            assert last_modified(r) == anchor, ext
            check(("GET", f"/digests/{{name}}.{ext}"))
            # « À la une »: the same window, ranked (cafe is institutional: its lines are
            # news, where nobody relays anything)
            r = c.get(f"/digests/hebdo/une.{ext}")
            assert "de la veille" in r.text and "semaine passée" not in r.text, ext
            assert last_modified(r) == anchor, ext
            check(("GET", f"/digests/{{name}}/une.{ext}"))
            for url, route in ((f"/tags/ia.{ext}", "/tags/{tag}"), (f"/feed.{ext}", "/feed")):
                r = c.get(url)
                assert r.status_code == 200 and last_modified(r) == anchor, url
                check(("GET", f"{route}.{ext}"))

        opml = c.get("/opml").text
        assert f"<dateCreated>{format_datetime(anchor, usegmt=True)}</dateCreated>" in opml
        check(("GET", "/opml"))

        # The scheduler ticked a minute before the app's now: on time; an hour: late.
        scheduler = c.get("/healthz").json()["scheduler"]
        assert scheduler["status"] == "ok"
        assert scheduler["last_tick"] == (anchor - timedelta(minutes=1)).isoformat()
        record_tick(world.store, anchor - timedelta(hours=1))
        assert c.get("/healthz").json()["scheduler"]["status"] == "late"
        check(("GET", "/healthz"))

        due = len(world.store.targets(due_at=anchor))  # ludo, not cafe
        assert due != len(world.store.targets(due_at=datetime.now(UTC)))  # a telling world
        assert f"veille_feeds_due {float(due)}" in c.get("/metrics").text
        check(("GET", "/metrics"))

        # Curation by API: the letter being prepared is the one around the app's now, and
        # every choice moves Last-Modified to the app's now (which is when it was made).
        curation = c.get("/api/v1/digests/hebdo/curation", headers=AUTH).json()
        start = datetime.fromisoformat(curation["period"]["start"])
        end = datetime.fromisoformat(curation["period"]["end"])
        assert start <= anchor - timedelta(hours=1) < anchor < end <= anchor + timedelta(days=7)
        check(("GET", "/api/v1/digests/{name}/curation"))
        frais, hier = entry_id(c, "frais"), entry_id(c, "hier")
        # A highlight must belong to that letter: another clock's letter would refuse it (409).
        r = c.put(
            f"/api/v1/digests/hebdo/highlights/{frais}", json={"note": "À lire"}, headers=AUTH
        )
        assert r.status_code == 200, r.text
        check(("PUT", "/api/v1/digests/{name}/highlights/{entry}"))
        for step, method in enumerate(("PUT", "DELETE"), start=1):
            world.now = anchor + timedelta(minutes=step)
            r = c.request(method, f"/api/v1/digests/hebdo/hidden/{hier}", headers=AUTH)
            assert r.status_code == 204, (method, r.text)
            assert last_modified(c.get("/digests/hebdo.rss")) == world.now, method
            check((method, "/api/v1/digests/{name}/hidden/{entry}"))
        # Dropping a story from « À la une » (and putting it back) too, for its feeds.
        for step, method in enumerate(("PUT", "DELETE"), start=1):
            world.now = anchor + timedelta(minutes=step, seconds=30)
            r = c.request(method, f"/api/v1/digests/hebdo/une/dropped/{hier}", headers=AUTH)
            assert r.status_code == 204, (method, r.text)
            assert last_modified(c.get("/digests/hebdo/une.rss")) == world.now, method
            check((method, "/api/v1/digests/{name}/une/dropped/{entry}"))
        # A correction of a theme is dated by the app's clock, and so are the theme's feeds.
        for step, method in enumerate(("PUT", "DELETE"), start=3):
            world.now = anchor + timedelta(minutes=step)
            r = c.request(
                method, f"/api/v1/corrections/{hier}/ia", json={"added": True}, headers=AUTH
            )
            assert r.status_code in (200, 204), (method, r.text)
            assert last_modified(c.get("/tags/ia.rss")) == world.now, method
            check((method, "/api/v1/corrections/{entry}/{tag}"))
        world.now = anchor

        # A reader: « il y a » of the kept articles, the visits and « tout marquer comme lu »
        # (up to the app's now) on the app's clock.
        reader = reader_client(world)
        page = reader.get("/")
        found = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert found is not None
        csrf_reader = found[1]
        keep = {"csrf": csrf_reader, "id": entry_id(c, "frais"), "action": "garder", "retour": "/"}
        assert reader.post("/lecture", data=keep).status_code == 303
        assert "il y a 1 h" in text(reader.get("/moi/gardes"))
        check(("GET", "/moi/gardes"))
        world.now = anchor + timedelta(hours=2)  # a new visit: the last one ended at anchor
        new = text(reader.get("/?vue=nouveaux"))
        assert f"Aucun article arrivé depuis le {french_datetime(anchor, PARIS)}" in new
        ids = ",".join(entry_id(c, k) for k in ("frais", "hier"))
        assert "Non lu :" in text(reader.get("/"))
        r = reader.post("/lecture/tout", data={"csrf": csrf_reader, "ids": ids, "retour": "/"})
        assert r.status_code == 303
        assert "Non lu :" not in text(reader.get("/"))  # both first seen before the app's now
        check(("POST", "/lecture/tout"))
        world.now = anchor
        # The Google Reader API: a digest's label is its window up to the app's now, a
        # stream's « updated » is that now, « mark all as read » goes up to it.
        add_reader(world.store, "ana", anchor)
        reader = greader_login(c, "ana")
        body = c.get(GREADER + "stream/contents/user/-/label/hebdo", headers=reader).json()
        titles = [item["title"] for item in body["items"]]
        assert (
            "Un article de la veille" in titles and "Un article de la semaine passée" not in titles
        )
        assert body["updated"] == int(anchor.timestamp())
        check(("GET", "/api/greader/{path:path}"))
        done = c.post(GREADER + "mark-all-as-read", data={"s": "feed/cafe"}, headers=reader)
        assert done.text == "OK"
        counts = c.get(GREADER + "unread-count", headers=reader).json()["unreadcounts"]
        assert [n["id"] for n in counts if n["count"]] == ["feed/ludo", READING_LIST]
        check(("POST", "/api/greader/{path:path}"))

        # Curation pages: the session and the login form live on the app's clock.
        csrf, cookie = login(c)
        check(("GET", "/connexion"))
        check(("POST", "/connexion"))
        check(("POST", "/curation/connexion"))  # the former form's address: the same login
        replay = c.post(
            "/curation/connexion",
            data={"csrf": csrf, "password": ADMIN},
            headers={"cookie": f"{LOGIN}={cookie}"},  # the form's cookie, as before
        )
        assert replay.status_code == 403 and "Formulaire expiré" in replay.text
        assert c.get("/curation").status_code == 200
        check(("GET", "/curation"))
        page = c.get("/curation/hebdo")
        assert page.status_code == 200 and period_label(start, end, PARIS) in page.text
        check(("GET", "/curation/{name}"))
        csrf_page = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert csrf_page is not None
        world.now = anchor + timedelta(minutes=10)
        r = c.post("/curation/hebdo", data={"csrf": csrf_page[1], "action": "hide", "entry": hier})
        assert r.status_code == 303
        assert last_modified(c.get("/digests/hebdo.rss")) == world.now
        check(("POST", "/curation/{name}"))
        world.now = anchor + timedelta(hours=13)  # the 12-hour session is over
        r = c.get("/curation/hebdo")
        assert r.status_code == 303 and r.headers["location"] == "/connexion?suite=/curation/hebdo"

    assert checked == DATED


def reader_client(world: World) -> TestClient:
    """A client logged in as a reader (an account created at the world's anchor)."""
    from veille.passwords import hash_password

    world.store.add_account("lectrice", "lecteur", "Lectrice", now=world.now)
    world.store.set_password("lectrice", hash_password("mot de passe de lectrice"), now=world.now)
    client = world.client()
    form = client.get("/connexion")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert csrf is not None
    data = {"csrf": csrf[1], "name": "lectrice", "password": "mot de passe de lectrice"}
    assert client.post("/connexion", data=data).status_code == 303
    return client


def test_a_login_form_expires_on_the_apps_clock(world: World) -> None:
    with world.client() as c:
        form = c.get("/connexion")
        csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
        assert csrf is not None
        world.now = world.anchor + timedelta(minutes=31)  # the form is good for 30
        r = c.post("/connexion", data={"csrf": csrf[1], "password": ADMIN})
        assert r.status_code == 403 and "Formulaire expiré" in r.text


def test_a_refused_edit_is_dated_by_the_apps_clock(world: World) -> None:
    """The app reads feeds.yaml itself: the refusal and « in force since » are its times."""
    anchor = world.anchor
    with world.client() as c:
        world.now = anchor + timedelta(minutes=5)
        world.config.write_text(FEEDS_YAML + "  cassé: [\n", encoding="utf-8")

        def refused_page() -> str:
            page = text(c.get("/feeds"))
            return page if "refusée" in page else ""

        page = wait_until(refused_page, 10, "the refused edit shown")  # looked at every 2 s
        refused = f"à l'instant ({french_datetime(world.now, PARIS)})"
        loaded = f"il y a 5 min ({french_datetime(anchor, PARIS)})"
        assert f"refusée</strong> {refused}" in page and f"(chargée {loaded})" in page
        config = c.get("/healthz").json()["config"]
        assert config["status"] == "refused"
        assert config["refused_at"] == world.now.isoformat()
        assert config["in_force_since"] == anchor.isoformat()


# --- no other clock in the code -----------------------------------------------------------------

VEILLE = Path(__file__).parents[1] / "veille"
# What the routes and what they call to render are made of.
CLOCK_FREE = [
    *sorted((VEILLE / "web").glob("*.py")),
    *sorted((VEILLE / "render").glob("*.py")),
    VEILLE / "outputs.py",
    VEILLE / "selection.py",
]
SYSTEM_CLOCKS = {"now", "utcnow", "today", "time", "time_ns"}  # datetime.now, time.time…
CLOCK_OWNERS = {"datetime", "date", "time"}


def system_clock_lines(source: str) -> list[int]:
    """Lines naming ``datetime.now``, ``date.today``, ``time.time``… (called or passed)."""
    return [
        node.lineno
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Attribute)
        and node.attr in SYSTEM_CLOCKS
        and isinstance(node.value, ast.Name)
        and node.value.id in CLOCK_OWNERS
    ]


def test_no_system_clock_beside_the_apps_default() -> None:
    uses = [
        f"{path.relative_to(VEILLE.parent)}:{line}"
        for path in CLOCK_FREE
        for line in system_clock_lines(path.read_text(encoding="utf-8"))
    ]
    # The one default of app.state.clock (tests and callers give their own).
    assert len(uses) == 1 and uses[0].startswith("veille/web/app.py:"), uses


@pytest.mark.parametrize(
    "source",
    ["x = datetime.now(UTC)", "f(clock=time.time)", "d = date.today()", "datetime.utcnow()"],
)
def test_the_static_check_sees_a_system_clock(source: str) -> None:
    assert system_clock_lines(f"import time\n{source}\n") == [2]
    assert system_clock_lines("clock = time.monotonic  # durations, not dates\n") == []
