"""No input is a server error, on SQLite and PostgreSQL: every GET route, with generated path
segments and query parameters (huge numbers, dates at the ends of the calendar, Unicode
digits, malformed cursors, control characters), answers below 500. Property-based
(Hypothesis), bounded."""

from __future__ import annotations

import base64
import html
import json
import re
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.routing import Route

from tests.mail_support import ADMIN, CONFIG, SECRET, populate
from tests.stores import postgres_schema
from veille.settings import Settings
from veille.store import Store
from veille.web import create_app

PARAMS = ("tag", "exclude_tag", "feed", "q", "since", "until", "limit", "cursor", "period",
          "vue", "page")  # fmt: skip


def _cursor(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


numbers = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.sampled_from(["0", "-1", "²", "١٢", "9" * 30, "1e9", "0x10", " 1", "1.5"]),
)
dates = st.one_of(
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)).map(
        lambda d: d.isoformat()
    ),
    st.sampled_from(["0001-01-01", "9999-12-31T23:59:59-05:00", "2026-02-30", "2026-11-29T25:00"]),
)
cursors = st.tuples(dates, numbers).map(lambda t: _cursor(f"{t[0]}+00:00|{t[1]}"))
durations = st.from_regex(r"\A[0-9]{1,14}[dhms]\Z").map(str)
values = st.one_of(numbers, dates, cursors, durations, st.text(max_size=30), st.just(""))
segments = st.one_of(numbers, st.text(min_size=1, max_size=20), st.sampled_from(["hebdo", "ia"]))


@contextmanager
def filled_store(request: pytest.FixtureRequest, tmp: Path) -> Iterator[Store]:
    """A populated store on the fixture's backend: values a backend cannot hold (an id past
    64 bits, year 1) must be refused before the database sees them, on both."""
    with ExitStack() as stack:
        if request.param == "sqlite":
            url = f"sqlite:///{tmp / 'v.db'}"
        else:
            url = stack.enter_context(postgres_schema())
        store = Store(url)
        stack.callback(store.close)
        store.migrate()
        populate(store, datetime.now(UTC) - timedelta(hours=1))
        yield store


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def client(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TestClient]:
    with filled_store(request, tmp_path_factory.mktemp("no5xx")) as store:
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None, database_url=store.url, admin_token=ADMIN, secret_key=SECRET
        )  # configured as deployed: curation and unsubscribe links work
        app = create_app(settings, store, CONFIG)
        with TestClient(app, raise_server_exceptions=False) as c:
            yield c


def routes_of(client: TestClient) -> list[Route]:
    """Every route of the app, those of included routers too (FastAPI wraps them)."""
    found: list[Route] = []
    pending = list(client.app.routes)  # type: ignore[attr-defined]
    while pending:
        route = pending.pop()
        if isinstance(route, Route):
            found.append(route)
        elif (router := getattr(route, "original_router", None)) is not None:
            pending += router.routes
    return found


def get_paths(client: TestClient) -> list[str]:
    paths = sorted({r.path for r in routes_of(client) if "GET" in (r.methods or ())})
    assert len(paths) > 20, paths  # the included routers were walked
    return paths


def fill(path: str, segment: str) -> str:
    return re.sub(r"\{[^}]+\}", lambda _: quote(segment, safe=""), path)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=st.data(),
    segment=segments,
    query=st.dictionaries(st.sampled_from(PARAMS), values, max_size=4),
)
def test_no_get_route_answers_5xx(
    client: TestClient, data: st.DataObject, segment: str, query: dict[str, str]
) -> None:
    path = data.draw(st.sampled_from(get_paths(client)))
    url = fill(path, segment)
    response = client.get(url, params=query)
    assert response.status_code < 500, (url, query, response.text[:300])


@pytest.mark.parametrize(
    ("url", "status", "said"),
    [
        ("/api/v1/entries?since=0001-01-01", 400, "since : date hors limites « 0001-01-01 »"),
        ("/api/v1/entries?until=9999-12-31T23:59:59-05:00", 400, "until : date hors limites"),
        (
            f"/api/v1/entries?cursor={_cursor('2026-01-01T00:00:00+00:00|' + str(2**70))}",
            400,
            "curseur invalide",
        ),
        (
            f"/api/v1/entries?cursor={_cursor('0001-01-01T00:00:00+00:00|1')}",
            400,
            "curseur : date hors limites",
        ),
        (f"/api/v1/entries/{2**70}", 400, "doit être inférieur ou égal à 2147483647"),
        (f"/api/v1/entries/{2**32}", 400, "doit être inférieur ou égal à 2147483647"),
        ("/digests/hebdo/archive/²", 404, "Aucun numéro ² de « hebdo »."),
        ("/?period=99999999999d", 400, "période : durée trop longue « 99999999999d »"),
        ("/feed.rss?since=0001-01-01", 400, "since : date hors limites"),
    ],
)
def test_extreme_values_are_a_french_400_or_404(
    client: TestClient, url: str, status: int, said: str
) -> None:
    response = client.get(url, headers={"accept": "text/html"})
    assert response.status_code == status, (url, response.text[:300])
    if response.headers["content-type"].startswith("application/json"):
        assert said in response.json()["detail"], response.text
    else:
        assert said in html.unescape(response.text), response.text[:600]


def test_every_response_carries_the_security_headers(client: TestClient) -> None:
    for url in ["/api/v1/entries", "/api/v1/nothing", "/feed.rss", "/feed.json", "/opml",
                "/healthz", "/api/v1/entries?limit=0", "/", "/static/veille.css"]:  # fmt: skip
        headers = client.get(url).headers
        assert headers["x-content-type-options"] == "nosniff", url
        assert headers["referrer-policy"] == "same-origin", url
        assert "frame-ancestors 'none'" in headers["content-security-policy"], url
    # A page keeps its own policy (styles from this origin).
    assert "style-src 'self'" in client.get("/").headers["content-security-policy"]


def test_every_page_offers_the_source_code(client: TestClient) -> None:
    """AGPL §13: a network service offers its users its source."""
    from veille import PROJECT_URL

    for url in ["/", "/feeds", "/abonnement", "/nulle-part", "/curation/connexion"]:
        page = client.get(url, headers={"accept": "text/html"}).text
        assert f'<a href="{PROJECT_URL}">Code source (licence AGPL)</a>' in page, url


# --- writes: with the admin token and a logged-in editor -----------------------------------------


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def writer(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[TestClient, str]]:
    """A client with the admin token and a curation session; yields it and the session's CSRF."""
    with filled_store(request, tmp_path_factory.mktemp("no5xx-w")) as store:
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None, database_url=store.url, admin_token=ADMIN, secret_key=SECRET
        )
        app = create_app(settings, store, CONFIG)
        with TestClient(app, raise_server_exceptions=False, base_url="https://testserver") as c:
            page = c.get("/curation/connexion").text
            token = re.search(r'name="csrf" value="([^"]+)"', page)
            assert token
            c.post("/curation/connexion", data={"csrf": token.group(1), "password": ADMIN})
            csrf = re.search(r'name="csrf" value="([^"]+)"', c.get("/curation/hebdo").text)
            assert csrf
            yield c, csrf.group(1)


def write_routes(client: TestClient) -> list[tuple[str, str]]:
    routes = routes_of(client)
    found = sorted({(m, r.path) for r in routes for m in (r.methods or ()) if m not in READS})
    assert len(found) > 8, found
    return found


READS = {"GET", "HEAD", "OPTIONS"}
json_values = st.one_of(st.text(max_size=50), st.integers(), st.none())
FIELDS = ("action", "entry", "note", "text", "password", "csrf", "tag", "entries", "back", "name")
ACTIONS = st.sampled_from(
    ["highlight", "unhighlight", "hide", "unhide", "introduction", "tag", "untag", "undo",
     "review", "x"]
)  # fmt: skip
form_values = st.one_of(values, ACTIONS)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=st.data(),
    segment=segments,
    form=st.dictionaries(st.sampled_from(FIELDS), form_values, max_size=5),
    body=st.one_of(
        st.dictionaries(
            st.sampled_from(["note", "text", "added", "editor"]),
            st.one_of(st.text(max_size=50), st.integers(), st.none(), st.booleans()),
        ),
        st.text(max_size=40),
    ),
    with_csrf=st.booleans(),
)
def test_no_write_route_answers_5xx(
    writer: tuple[TestClient, str],
    data: st.DataObject,
    segment: str,
    form: dict[str, str],
    body: object,
    with_csrf: bool,
) -> None:
    client, csrf = writer
    method, path = data.draw(st.sampled_from(write_routes(client)))
    url = fill(path, segment)
    if path.startswith("/api/"):
        response = client.request(
            method,
            url,
            content=json.dumps(body) if not isinstance(body, str) else body,
            headers={"authorization": f"Bearer {ADMIN}", "content-type": "application/json"},
        )
    else:
        fields = form | ({"csrf": csrf} if with_csrf else {})
        response = client.request(method, url, data=fields, follow_redirects=False)
    assert response.status_code < 500, (method, url, form, body, response.text[:300])


# --- the Google Reader API: logged in, every endpoint, hostile parameters -----------------------

GREADER_PARAMS = ("s", "n", "c", "r", "ot", "nt", "xt", "it", "i", "a", "ts", "T", "output",
                  "Email", "Passwd")  # fmt: skip
streams = st.one_of(
    st.sampled_from(
        [
            "user/-/state/com.google/reading-list",
            "user/-/state/com.google/read",
            "user/-/state/com.google/starred",
            "user/-/state/com.google/kept-unread",
            "user/7/state/com.google/read",
            "user/-/label/Évaluation",
            "user/-/label/hebdo",
            "user/-/label/",
            "feed/cafe",
            "feed/https://cafe.example/feed",
            "feed/",
            "feed",
        ]
    ),
    st.text(max_size=30).map(lambda t: "user/-/label/" + t),
    st.text(max_size=30).map(lambda t: "feed/" + t),
)
item_ids = st.one_of(
    numbers,
    st.integers(min_value=-(2**70), max_value=2**70).map(
        lambda n: f"tag:google.com,2005:reader/item/{n:016x}"
    ),
    st.from_regex(r"\A[0-9a-fA-F]{16}\Z"),
)
greader_values = st.one_of(values, streams, item_ids)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def greader_client(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[TestClient, dict[str, str]]]:
    """A client logged in to the Google Reader API (and the headers that carry its token)."""
    from tests.greader_support import LOGIN, PASSWORDS, add_reader

    with filled_store(request, tmp_path_factory.mktemp("no5xx-gr")) as store:
        add_reader(store, "ana", datetime.now(UTC))
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None, database_url=store.url, secret_key=SECRET
        )
        with TestClient(create_app(settings, store, CONFIG), raise_server_exceptions=False) as c:
            answer = c.post(LOGIN, data={"Email": "ana", "Passwd": PASSWORDS["ana"]})
            token = dict(line.split("=", 1) for line in answer.text.split())["Auth"]
            yield c, {"Authorization": f"GoogleLogin auth={token}"}


def greader_paths() -> list[str]:
    from veille.web.greader import ENDPOINTS, PREFIX, STREAM_IN_PATH

    paths = [f"{PREFIX}/{p}" for p in ENDPOINTS] + [f"{PREFIX}/accounts/ClientLogin"]
    return paths + [f"{PREFIX}/{p}/{{stream}}" for p in STREAM_IN_PATH]


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=st.data(),
    method=st.sampled_from(["GET", "POST"]),
    stream=streams,
    query=st.lists(st.tuples(st.sampled_from(GREADER_PARAMS), greader_values), max_size=5),
    form=st.lists(st.tuples(st.sampled_from(GREADER_PARAMS), greader_values), max_size=5),
)
def test_no_greader_call_answers_5xx(
    greader_client: tuple[TestClient, dict[str, str]],
    data: st.DataObject,
    method: str,
    stream: str,
    query: list[tuple[str, str]],
    form: list[tuple[str, str]],
) -> None:
    client, headers = greader_client
    path = data.draw(st.sampled_from(greader_paths()))
    url = path.replace("{stream}", quote(stream, safe="/"))
    form_headers = {"content-type": "application/x-www-form-urlencoded"} if form else {}
    response = client.request(
        method, url, params=query, headers=headers | form_headers, content=urlencode(form)
    )
    assert response.status_code < 500, (method, url, query, form, response.text[:300])
