"""The network step against a real loopback server (tests.servers): no mocks.

Addresses that must be refused are refused *before* any network contact: the tests that use
them spy on ``socket`` (connect and getaddrinfo) and assert that nothing was called. No test
ever points at a non-loopback address that could be reached.
"""

from __future__ import annotations

import asyncio
import gc
import ipaddress
import socket
import threading
import time
import zlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import TYPE_CHECKING

import psutil
import pytest
from yarl import URL

from tests.conftest import free_port, wait_until
from tests.servers import FeedServer, MiB, Response, zlib_gzip
from veille import PROJECT_URL
from veille.errors import (
    BlockedURLError,
    FetchError,
    FetchTimeoutError,
    GoneError,
    HTTPStatusError,
    TooLargeError,
    TooManyRedirectsError,
)
from veille.ingest.fetch import Fetcher, parse_retry_after
from veille.ingest.policy import (
    DEFAULT_USER_AGENT,
    FetchPolicy,
    is_forbidden_address,
    url_refusal,
)
from veille.models import Validators

if TYPE_CHECKING:
    from tests.conftest import FetchFn

RSS = b'<?xml version="1.0"?><rss version="2.0"><channel><title>Caf\xc3\xa9</title></channel></rss>'
NOW = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)


def allowing(*servers: FeedServer, **overrides: object) -> FetchPolicy:
    hosts = frozenset(s.host_port for s in servers)
    return FetchPolicy(**{"timeout": 5.0, "allowed_hosts": hosts, **overrides})  # type: ignore[arg-type]


@pytest.fixture
def network_spy(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Records every outgoing connect() and getaddrinfo() (and still performs them)."""
    calls: list[object] = []
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def connect(self: socket.socket, address: object) -> None:
        calls.append(("connect", address))
        real_connect(self, address)  # type: ignore[arg-type]

    def connect_ex(self: socket.socket, address: object) -> int:
        calls.append(("connect_ex", address))
        return real_connect_ex(self, address)  # type: ignore[arg-type]

    def getaddrinfo(*args: object, **kwargs: object) -> object:
        calls.append(("getaddrinfo", args))
        return real_getaddrinfo(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return calls


# --- success, validators, conditional GET ---------------------------------------------------


def test_200_returns_body_headers_and_validators(feed_server: FeedServer, fetch: FetchFn) -> None:
    lm = "Sun, 29 Nov 2026 07:00:00 GMT"
    feed_server.set("/feed.xml", RSS, etag='"v1"', last_modified=lm)
    result = fetch(feed_server.url("/feed.xml"))
    assert result.status == 200 and not result.not_modified
    assert result.body == RSS
    assert result.url == feed_server.url("/feed.xml")
    assert result.validators == Validators(etag='"v1"', last_modified=lm)
    assert result.headers["content-type"] == "application/rss+xml; charset=utf-8"
    assert all(name == name.lower() for name in result.headers)
    assert result.permanent_url is None


def test_second_fetch_is_conditional_and_gets_304(feed_server: FeedServer, fetch: FetchFn) -> None:
    feed_server.set("/feed.xml", RSS, etag='"v1"', last_modified="Sun, 29 Nov 2026 07:00:00 GMT")
    first = fetch(feed_server.url("/feed.xml"))
    second = fetch(feed_server.url("/feed.xml"), first.validators)
    assert second.status == 304 and second.not_modified and second.body is None
    assert second.validators == first.validators
    sent = feed_server.requests[1].headers
    assert sent["If-None-Match"] == '"v1"'
    assert sent["If-Modified-Since"] == "Sun, 29 Nov 2026 07:00:00 GMT"
    # The content changes: a full answer with the new validators.
    feed_server.set("/feed.xml", RSS + b" ", etag='"v2"')
    third = fetch(feed_server.url("/feed.xml"), first.validators)
    assert third.status == 200 and third.body == RSS + b" " and third.validators.etag == '"v2"'


def test_304_on_last_modified_only(feed_server: FeedServer, fetch: FetchFn) -> None:
    feed_server.set("/feed.xml", RSS, etag="", last_modified="Sun, 29 Nov 2026 07:00:00 GMT")
    first = fetch(feed_server.url("/feed.xml"))
    assert first.validators == Validators(None, "Sun, 29 Nov 2026 07:00:00 GMT")
    second = fetch(feed_server.url("/feed.xml"), first.validators)
    assert second.status == 304 and second.validators == first.validators
    assert "if-none-match" not in feed_server.requests[1].headers


def test_user_agent_and_accept_encoding_are_sent(feed_server: FeedServer, fetch: FetchFn) -> None:
    feed_server.set("/feed.xml", RSS)
    fetch(feed_server.url("/feed.xml"))
    (request,) = feed_server.requests
    assert request.method == "GET"
    assert request.headers["User-Agent"] == DEFAULT_USER_AGENT
    assert PROJECT_URL in DEFAULT_USER_AGENT and DEFAULT_USER_AGENT.startswith("veille/")
    assert request.headers["Accept-Encoding"] == "gzip, deflate"


def test_html_page_is_fetched_as_is(feed_server: FeedServer, fetch: FetchFn) -> None:
    feed_server.html_page("/", "/feed.xml")
    result = fetch(feed_server.url("/"))
    assert result.headers["content-type"].startswith("text/html")
    assert result.body is not None and b'rel="alternate"' in result.body


# --- compression and size caps --------------------------------------------------------------


def test_gzip_body_is_decompressed(feed_server: FeedServer, fetch: FetchFn) -> None:
    feed_server.gzip("/feed.xml", RSS * 100)
    result = fetch(feed_server.url("/feed.xml"))
    assert result.body == RSS * 100
    assert result.headers["content-encoding"] == "gzip"


@pytest.mark.parametrize("wbits", [zlib.MAX_WBITS, -zlib.MAX_WBITS], ids=["zlib", "raw"])
def test_deflate_body_is_decompressed(feed_server: FeedServer, fetch: FetchFn, wbits: int) -> None:
    c = zlib.compressobj(6, zlib.DEFLATED, wbits)
    body = c.compress(RSS * 50) + c.flush()
    feed_server.route("/feed.xml", Response(body=body, headers={"Content-Encoding": "deflate"}))
    assert fetch(feed_server.url("/feed.xml")).body == RSS * 50


@pytest.mark.parametrize("gzipped", [False, True])
def test_cap_is_on_decompressed_size(
    feed_server: FeedServer, fetch: FetchFn, gzipped: bool
) -> None:
    for path, size in (("/at-cap", 1000), ("/over-cap", 1001)):
        body = b"a" * size
        if gzipped:
            feed_server.gzip(path, body)
        else:
            feed_server.set(path, body)
    policy = allowing(feed_server, max_bytes=1000)
    assert fetch(feed_server.url("/at-cap"), policy=policy).body == b"a" * 1000
    with pytest.raises(TooLargeError, match="trop volumineuse"):
        fetch(feed_server.url("/over-cap"), policy=policy)


@pytest.mark.parametrize("content_length", [True, False], ids=["announced", "streamed"])
def test_oversized_body(feed_server: FeedServer, fetch: FetchFn, content_length: bool) -> None:
    feed_server.oversized("/big.xml", 50 * MiB, content_length=content_length)
    start = time.monotonic()
    with pytest.raises(TooLargeError) as err:
        fetch(feed_server.url("/big.xml"))
    assert time.monotonic() - start < 3  # the behaviour: cut at the cap, not read to the end
    assert err.value.url == feed_server.url("/big.xml")
    assert str(err.value) == "réponse trop volumineuse (plus de 10 Mio après décompression)"


def test_gzip_bomb_is_stopped_with_bounded_memory(feed_server: FeedServer, fetch: FetchFn) -> None:
    wire = feed_server.gzip_bomb("/bomb.xml", 1024 * MiB)  # 1 GiB inflated
    assert wire < 2 * MiB
    process = psutil.Process()
    gc.collect()
    baseline = process.memory_info().rss
    peak = baseline
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.wait(0.005):
            peak = max(peak, process.memory_info().rss)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        with pytest.raises(TooLargeError):
            fetch(feed_server.url("/bomb.xml"))
    finally:
        done.set()
        sampler.join(5)
    peak = max(peak, process.memory_info().rss)
    # ~12 MiB in practice (the 10 MiB cap); inflating whole 64 KiB chunks would give ~66 MiB.
    assert peak - baseline < 40 * MiB


def test_small_bomb_is_a_valid_gzip_stream(feed_server: FeedServer, fetch: FetchFn) -> None:
    feed_server.gzip_bomb("/bomb.xml", 4 * MiB)
    result = fetch(feed_server.url("/bomb.xml"), policy=allowing(feed_server, max_bytes=8 * MiB))
    assert result.body == bytes(4 * MiB)


@pytest.mark.parametrize(
    ("encoding", "body", "message"),
    [
        ("br", b"\x0b\x02\x80hello\x03", "encodage de contenu non pris en charge : br"),
        ("gzip", zlib_gzip(RSS)[:-12], "contenu compressé (gzip) invalide"),
        ("gzip", b"not gzip at all", "contenu compressé (gzip) invalide"),
    ],
)
def test_bad_encoding(
    feed_server: FeedServer, fetch: FetchFn, encoding: str, body: bytes, message: str
) -> None:
    feed_server.route("/feed.xml", Response(body=body, headers={"Content-Encoding": encoding}))
    with pytest.raises(FetchError, match=message.replace("(", r"\(").replace(")", r"\)")):
        fetch(feed_server.url("/feed.xml"))


# --- deadline ---------------------------------------------------------------------------------


def test_trickling_server_is_cut_at_total_deadline(feed_server: FeedServer, fetch: FetchFn) -> None:
    feed_server.trickle("/slow.xml", size=3600, interval=1.0)
    start = time.monotonic()
    with pytest.raises(FetchTimeoutError) as err:
        fetch(feed_server.url("/slow.xml"), policy=allowing(feed_server, timeout=1.5))
    elapsed = time.monotonic() - start
    assert 1.4 <= elapsed < 3.0
    assert str(err.value) == "délai total dépassé (1,5 s)"
    assert err.value.url == feed_server.url("/slow.xml")


def test_deadline_covers_waiting_for_headers(feed_server: FeedServer, fetch: FetchFn) -> None:
    feed_server.slow("/slow.xml", delay=30)
    start = time.monotonic()
    with pytest.raises(FetchTimeoutError, match=r"délai total dépassé \(1 s\)"):
        fetch(feed_server.url("/slow.xml"), policy=allowing(feed_server, timeout=1))
    assert time.monotonic() - start < 2.5


def test_deadline_covers_redirect_hops(feed_server: FeedServer, fetch: FetchFn) -> None:
    for i in range(5):
        feed_server.route(
            f"/hop{i}", Response(status=302, headers={"Location": f"/hop{i + 1}"}, delay=0.4)
        )
    start = time.monotonic()
    with pytest.raises(FetchTimeoutError):
        fetch(feed_server.url("/hop0"), policy=allowing(feed_server, timeout=1))
    assert time.monotonic() - start < 2.0


# --- redirects ------------------------------------------------------------------------------


def test_301_308_chain_sets_permanent_url(feed_server: FeedServer, fetch: FetchFn) -> None:
    feed_server.set("/new.xml", RSS)
    feed_server.redirect("/a", "/b", 301)
    feed_server.redirect("/b", feed_server.url("/c"), 308)
    feed_server.redirect("/c", "new.xml", 301)  # relative reference
    result = fetch(feed_server.url("/a"))
    assert result.status == 200 and result.body == RSS
    assert result.url == feed_server.url("/new.xml")
    assert result.permanent_url == feed_server.url("/new.xml")


@pytest.mark.parametrize("temporary", [302, 303, 307])
def test_a_temporary_hop_means_no_permanent_url(
    feed_server: FeedServer, fetch: FetchFn, temporary: int
) -> None:
    feed_server.set("/new.xml", RSS)
    feed_server.redirect("/a", "/b", 301)
    feed_server.redirect("/b", "/new.xml", temporary)
    result = fetch(feed_server.url("/a"))
    assert result.url == feed_server.url("/new.xml") and result.permanent_url is None


def test_redirect_then_304_keeps_validators(feed_server: FeedServer, fetch: FetchFn) -> None:
    feed_server.set("/new.xml", RSS, etag='"v1"')
    feed_server.redirect("/old.xml", "/new.xml", 301)
    first = fetch(feed_server.url("/old.xml"))
    second = fetch(feed_server.url("/old.xml"), first.validators)
    assert second.status == 304 and second.permanent_url == feed_server.url("/new.xml")
    assert second.validators.etag == '"v1"'


def test_five_redirects_are_followed_six_are_not(feed_server: FeedServer, fetch: FetchFn) -> None:
    feed_server.set("/feed.xml", RSS)
    five = feed_server.redirect_chain("/five", 5, "/feed.xml")
    six = feed_server.redirect_chain("/six", 6, "/feed.xml")
    assert fetch(feed_server.url(five)).body == RSS
    feed_server.clear_requests()
    with pytest.raises(TooManyRedirectsError, match=r"trop de redirections \(plus de 5\)"):
        fetch(feed_server.url(six))
    assert len(feed_server.requests) == 6  # the target is never requested


def test_redirect_loop(feed_server: FeedServer, fetch: FetchFn) -> None:
    feed_server.redirect("/a", "/b", 302)
    feed_server.redirect("/b", "/a", 302)
    with pytest.raises(TooManyRedirectsError, match="boucle de redirections"):
        fetch(feed_server.url("/a"))
    assert [r.path for r in feed_server.requests] == ["/a", "/b"]


def test_redirect_to_file_scheme_is_blocked(feed_server: FeedServer, fetch: FetchFn) -> None:
    feed_server.redirect("/feed.xml", "file:///etc/passwd", 302)
    with pytest.raises(BlockedURLError, match="schéma refusé : file") as err:
        fetch(feed_server.url("/feed.xml"))
    assert err.value.url == feed_server.url("/feed.xml")


def test_redirect_to_a_port_not_allowed_is_blocked(
    feed_server: FeedServer, feed_server_factory: Callable[[], FeedServer], fetch: FetchFn
) -> None:
    internal = feed_server_factory()
    internal.set("/admin", b"secret")
    feed_server.redirect("/feed.xml", internal.url("/admin"), 302)
    with pytest.raises(BlockedURLError, match=r"adresse privée refusée : 127\.0\.0\.1"):
        fetch(feed_server.url("/feed.xml"))
    assert internal.requests == []
    # Allowed explicitly, the same redirect is followed.
    result = fetch(feed_server.url("/feed.xml"), policy=allowing(feed_server, internal))
    assert result.body == b"secret"


# --- private networks -----------------------------------------------------------------------


def test_loopback_not_allowed_is_refused_without_connecting(
    feed_server: FeedServer, fetch: FetchFn, network_spy: list[object]
) -> None:
    feed_server.set("/feed.xml", RSS)
    with pytest.raises(BlockedURLError, match=r"adresse privée refusée : 127\.0\.0\.1"):
        fetch(feed_server.url("/feed.xml"), policy=FetchPolicy(timeout=5))
    assert network_spy == []
    assert feed_server.requests == []
    # The spy does see connections: allowed, the same URL is connected to and fetched.
    assert fetch(feed_server.url("/feed.xml")).body == RSS
    assert [call for call in network_spy if call[0] == "connect"]  # type: ignore[index]


def test_name_resolving_to_loopback_is_refused(
    feed_server: FeedServer, fetch: FetchFn, network_spy: list[object]
) -> None:
    feed_server.set("/feed.xml", RSS)
    url = f"http://localhost:{feed_server.port}/feed.xml"
    with pytest.raises(BlockedURLError) as refused:
        fetch(url, policy=FetchPolicy(timeout=5))
    # The public message names the host, never the internal address it resolved to.
    assert refused.value.message == "adresse privée refusée : localhost"
    # Resolved (that is how the address is known) but never connected to.
    assert network_spy and all(call[0] == "getaddrinfo" for call in network_spy)  # type: ignore[index]
    assert feed_server.requests == []
    # Allowed by name, it is fetched.
    policy = FetchPolicy(timeout=5, allowed_hosts=frozenset({f"localhost:{feed_server.port}"}))
    assert fetch(url, policy=policy).body == RSS


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.1/feed.xml",
        "http://172.16.5.4:8080/feed.xml",
        "http://192.168.1.1/feed.xml",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:8080/feed.xml",
        "http://0.0.0.0/feed.xml",
        "https://[fe80::1]/feed.xml",
        "http://[::ffff:10.0.0.1]/feed.xml",
        "http://100.64.0.1/feed.xml",
        "http://224.0.0.1/feed.xml",
        "http://2130706433/feed.xml",  # 127.0.0.1 in the legacy numeric form
        "http://0177.0.0.1/feed.xml",
    ],
)
def test_private_literals_are_refused_before_any_network_contact(
    url: str, fetch: FetchFn, network_spy: list[object]
) -> None:
    with pytest.raises(BlockedURLError, match="refusée") as err:
        fetch(url, policy=FetchPolicy(timeout=5))
    assert err.value.url == url
    assert network_spy == []


def test_non_http_scheme_is_refused(fetch: FetchFn, network_spy: list[object]) -> None:
    for url in ("file:///etc/passwd", "ftp://example.org/feed.xml", "gopher://x/"):
        with pytest.raises(BlockedURLError, match="schéma refusé"):
            fetch(url)
    assert network_spy == []


@pytest.mark.parametrize(
    ("address", "forbidden"),
    [
        ("10.0.0.1", True),
        ("172.31.255.255", True),
        ("192.168.0.10", True),
        ("127.0.0.1", True),
        ("127.255.0.1", True),
        ("169.254.169.254", True),
        ("0.0.0.0", True),
        ("100.64.0.1", True),
        ("224.0.0.251", True),
        ("240.0.0.1", True),
        ("255.255.255.255", True),
        ("::1", True),
        ("::", True),
        ("fe80::1", True),
        ("fc00::1", True),
        ("ff02::1", True),
        ("::ffff:127.0.0.1", True),
        ("::ffff:192.168.1.1", True),
        ("2002:c0a8:101::1", True),  # 6to4 around 192.168.1.1
        ("93.184.215.14", False),
        ("8.8.8.8", False),
        ("::ffff:8.8.8.8", False),
        ("2606:4700:4700::1111", False),
        ("2a01:e0a:1::1", False),
    ],
)
def test_address_policy(address: str, forbidden: bool) -> None:
    assert is_forbidden_address(ipaddress.ip_address(address)) is forbidden


@pytest.mark.parametrize(
    ("url", "allowed", "refusal"),
    [
        ("https://www.cafepedagogique.net/feed/", set(), None),
        ("http://intranet.lycee.local/rss", set(), None),  # names: checked after resolution
        ("HTTP://EXAMPLE.ORG/feed", set(), None),
        ("file:///etc/passwd", set(), "schéma refusé : file"),
        ("javascript:alert(1)", set(), "schéma refusé : javascript"),
        ("http:///nohost", set(), "URL sans hôte"),
        ("http://10.0.0.1/", set(), "adresse privée refusée : 10.0.0.1"),
        ("http://10.0.0.1/", {"10.0.0.1:80"}, None),
        ("https://10.0.0.1/", {"10.0.0.1:80"}, "adresse privée refusée : 10.0.0.1"),
        ("http://10.0.0.1:8080/", {"10.0.0.1:8080"}, None),
        ("http://[::1]:8080/", set(), "adresse privée refusée : ::1"),
        ("http://[::1]:8080/", {"[::1]:8080"}, None),
        ("http://127.1/", set(), "adresse IP non canonique refusée : 127.1"),
        ("http://93.184.215.14/", set(), None),
    ],
)
def test_url_refusal(url: str, allowed: set[str], refusal: str | None) -> None:
    policy = FetchPolicy(allowed_hosts=frozenset(allowed))
    found = url_refusal(URL(url), policy.allowed_hosts)
    assert (found if refusal is None else (found or "")[: len(refusal)]) == refusal


def test_allowed_hosts_are_normalised() -> None:
    policy = FetchPolicy(allowed_hosts=frozenset({"LocalHost:8080", "[::1]:80", " é.fr:443 "}))
    assert policy.allowed_hosts == {"localhost:8080", "[::1]:80", "xn--9ca.fr:443"}
    with pytest.raises(ValueError, match="host:port"):
        FetchPolicy(allowed_hosts=frozenset({"localhost"}))


# --- HTTP errors ------------------------------------------------------------------------------


def test_410_is_gone(feed_server: FeedServer, fetch: FetchFn) -> None:
    feed_server.error("/feed.xml", 410)
    with pytest.raises(GoneError) as err:
        fetch(feed_server.url("/feed.xml"))
    assert err.value.status == 410
    assert str(err.value).startswith("réponse HTTP 410 (Gone)")


@pytest.mark.parametrize(
    ("status", "retry_after", "expected"),
    [
        (429, "120", timedelta(seconds=120)),
        (503, format_datetime(NOW + timedelta(minutes=5), usegmt=True), timedelta(minutes=5)),
        (503, "604800", timedelta(hours=24)),
        (503, "garbage", None),
        (429, None, None),
        (500, "120", None),  # only 429 and 503 carry a meaningful Retry-After
    ],
)
def test_retry_after(
    feed_server: FeedServer, status: int, retry_after: str | None, expected: timedelta | None
) -> None:
    feed_server.error("/feed.xml", status, retry_after=retry_after)

    async def go() -> None:
        async with Fetcher(allowing(feed_server), now=lambda: NOW) as fetcher:
            await fetcher.fetch(feed_server.url("/feed.xml"))

    with pytest.raises(HTTPStatusError) as err:
        asyncio.run(go())
    assert type(err.value) is HTTPStatusError
    assert err.value.status == status and err.value.retry_after == expected


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (500, "réponse HTTP 500 (Internal Server Error)"),
        (503, "réponse HTTP 503 (Service Unavailable)"),
        (404, "réponse HTTP 404 (Not Found)"),
        (403, "réponse HTTP 403 (Forbidden)"),
    ],
)
def test_error_statuses(feed_server: FeedServer, fetch: FetchFn, status: int, message: str) -> None:
    feed_server.error("/feed.xml", status)
    with pytest.raises(HTTPStatusError) as err:
        fetch(feed_server.url("/feed.xml"))
    assert str(err.value) == message and err.value.url == feed_server.url("/feed.xml")


def test_connection_refused(fetch: FetchFn) -> None:
    port = free_port()  # nobody listens there
    policy = FetchPolicy(timeout=5, allowed_hosts=frozenset({f"127.0.0.1:{port}"}))
    with pytest.raises(FetchError, match=r"connexion impossible à 127\.0\.0\.1"):
        fetch(f"http://127.0.0.1:{port}/feed.xml", policy=policy)


def test_fetcher_must_be_entered() -> None:
    with pytest.raises(RuntimeError):
        asyncio.run(Fetcher().fetch("http://example.org/"))


# --- concurrency ------------------------------------------------------------------------------


@pytest.mark.parametrize(("per_host", "total", "expected"), [(2, 32, 2), (8, 3, 3)])
def test_concurrency_limits(
    feed_server: FeedServer, per_host: int, total: int, expected: int
) -> None:
    feed_server.slow("/feed.xml", delay=0.3, body=RSS)
    policy = allowing(feed_server, per_host_concurrency=per_host, total_concurrency=total)

    async def go() -> list[bytes | None]:
        async with Fetcher(policy) as fetcher:
            urls = [feed_server.url(f"/feed.xml?n={i}") for i in range(7)]
            results = await asyncio.gather(*(fetcher.fetch(u) for u in urls))
        return [r.body for r in results]

    assert asyncio.run(go()) == [RSS] * 7
    assert feed_server.max_concurrent == expected


# --- parse_retry_after (pure) -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", timedelta(seconds=120)),
        ("  120 ", timedelta(seconds=120)),
        ("0", timedelta(0)),
        ("86400", timedelta(hours=24)),
        ("999999", timedelta(hours=24)),
        ("99999999999999999999999", timedelta(hours=24)),
        ("-5", None),
        ("1.5", None),
        ("", None),
        ("soon", None),
        ("١٢", None),  # non-ASCII digits
        ("Sun, 29 Nov 2026 08:05:00 GMT", timedelta(minutes=5)),
        ("Sun, 29 Nov 2026 09:05:00 +0100", timedelta(minutes=5)),
        ("Sunday, 29-Nov-26 08:01:00 GMT", timedelta(minutes=1)),  # RFC 850
        ("Sun Nov 29 08:01:00 2026", timedelta(minutes=1)),  # asctime
        ("Sun, 29 Nov 2026 07:00:00 GMT", None),  # in the past
        ("Mon, 07 Dec 2026 08:00:00 GMT", timedelta(hours=24)),
        ("Sun, 31 Feb 2026 08:05:00 GMT", None),
    ],
)
def test_parse_retry_after(value: str, expected: timedelta | None) -> None:
    assert parse_retry_after(value, NOW) == expected


# --- the server itself ----------------------------------------------------------------------


def test_server_stops_promptly_during_a_trickle(fetch: FetchFn) -> None:
    server = FeedServer().start()
    server.trickle("/slow.xml")
    result: list[BaseException] = []

    def client() -> None:
        try:
            fetch(server.url("/slow.xml"), policy=allowing(server, timeout=10))
        except BaseException as e:
            result.append(e)

    thread = threading.Thread(target=client, daemon=True)
    thread.start()
    wait_until(lambda: server.requests_for("/slow.xml"), 5, "the trickle started")
    start = time.monotonic()
    server.stop()
    assert time.monotonic() - start < 2
    thread.join(5)
    assert result and isinstance(result[0], FetchError)
