"""The network step: one HTTP GET per feed, under a policy.

``Fetcher.fetch(url, validators) -> FetchResult`` sends a conditional GET and returns the
decompressed body (or "not modified"), or raises one of the ``FetchError`` family of
``veille.errors`` with a French message. ``Fetcher.request(method, url, body=…)`` sends any
other request (the notifications of ``veille.notify``: Matrix rooms, webhooks) under the same
policy, without following redirects, and returns every status. What the policy guarantees:

- a *total* deadline (``asyncio.timeout``) over connections, redirect hops and body: a server
  trickling one byte per second is cut at the deadline;
- a cap on the *decompressed* body: we send ``Accept-Encoding: gzip, deflate``, turn off the
  client's decompression and inflate with ``zlib`` ``max_length``, so a gzip bomb never grows
  past the cap in memory (the raw body is capped too);
- redirects followed by hand: at most ``max_redirects``, loops detected, every hop checked
  again; ``permanent_url`` is set when every hop was a 301/308;
- http/https only, and no private address (private, loopback, link-local, unspecified,
  multicast, reserved) unless the URL's ``host:port`` is allow-listed. IP literals are checked
  before any connection; names by a resolver installed in the connector that filters the
  addresses it returns, so the address checked is the one connected to (no DNS rebinding):
  ``veille.ingest.policy``;
- 410 → ``GoneError``; 429/503 → ``HTTPStatusError`` with ``retry_after``; a polite
  User-Agent; a per-host and a total concurrency limit.

Why aiohttp and not httpx: httpx's connection pool degrades badly under many concurrent
keep-alive requests (encode/httpx#3215: ~160 req/s where aiohttp does ~1,800), and aiohttp's
resolver hook (``AbstractResolver``) lets us check the address actually connected to, which
httpx offers no seam for.
"""

from __future__ import annotations

import asyncio
import logging
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from typing import Self

import aiohttp
from yarl import URL

from veille.errors import (
    BlockedURLError,
    ConnectError,
    FetchError,
    FetchTimeoutError,
    GoneError,
    HTTPStatusError,
    TooLargeError,
    TooManyRedirectsError,
)
from veille.ingest.policy import (
    AddressRefused,
    FetchPolicy,
    PolicyResolver,
    url_refusal,
)
from veille.models import FetchResult, Validators

log = logging.getLogger(__name__)

ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/rdf+xml, "
    "application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, text/html;q=0.5, */*;q=0.1"
)
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
PERMANENT_REDIRECTS = frozenset({301, 308})
RETRY_AFTER_STATUSES = frozenset({429, 503})
RETRY_AFTER_CAP = timedelta(hours=24)
_CHUNK = 64 * 1024
_RAW_SLACK = 64 * 1024  # incompressible data grows a little when "compressed"
ANSWER_MAX_BYTES = 1024 * 1024  # the answer to a ``request`` (a JSON acknowledgement)


def parse_retry_after(value: str, now: datetime) -> timedelta | None:
    """``Retry-After`` (delta-seconds or HTTP-date) as a delay from ``now``, capped at 24 h.

    Garbage, negative values and dates in the past give None.
    """
    value = value.strip()
    if value.isascii() and value.isdigit():
        seconds = value.lstrip("0")[:10]  # more than 10 digits is past the cap anyway
        return min(timedelta(seconds=int(seconds or 0)), RETRY_AFTER_CAP)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    delay = when.replace(tzinfo=when.tzinfo or UTC) - now.replace(tzinfo=now.tzinfo or UTC)
    return None if delay < timedelta(0) else min(delay, RETRY_AFTER_CAP)


def _size(n: int) -> str:
    for unit, scale in (("Gio", 1 << 30), ("Mio", 1 << 20), ("Kio", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.3g} {unit}".replace(".", ",")
    return f"{n} octets"


# --- body decoding ------------------------------------------------------------------------


class _TooLarge(Exception):
    pass


class _Decoder:
    """Collects a body chunk by chunk, inflating it, never holding more than ``limit`` bytes."""

    def __init__(self, encoding: str, limit: int) -> None:
        self._limit = limit
        self._parts: list[bytes] = []
        self._size = 0
        self._raw_deflate_fallback = encoding == "deflate"  # some servers omit the zlib header
        self._zlib: zlib._Decompress | None = None
        if encoding in ("gzip", "x-gzip"):
            self._zlib = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            self._zlib = zlib.decompressobj(zlib.MAX_WBITS)
        elif encoding not in ("", "identity"):
            raise ValueError(encoding)

    def feed(self, data: bytes) -> None:
        if self._zlib is None:
            self._add(data)
            return
        try:
            self._inflate(data)
        except zlib.error:
            if not (self._raw_deflate_fallback and self._size == 0):
                raise
            self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
            self._inflate(data)
        self._raw_deflate_fallback = False

    def _inflate(self, data: bytes) -> None:
        assert self._zlib is not None
        while data and not self._zlib.eof:  # bytes after the end of the stream are ignored
            # Ask for at most one byte more than the room left: enough to detect overflow.
            self._add(self._zlib.decompress(data, self._limit - self._size + 1))
            data = self._zlib.unconsumed_tail

    def _add(self, data: bytes) -> None:
        self._size += len(data)
        if self._size > self._limit:
            raise _TooLarge
        if data:
            self._parts.append(data)

    def finish(self) -> bytes:
        if self._zlib is not None and not self._zlib.eof:
            raise zlib.error("truncated compressed body")
        return b"".join(self._parts)


# --- address policy in the connector --------------------------------------------------------


def connection_error(url: str, current: URL, e: aiohttp.ClientError, after: str) -> FetchError:
    """The French error of a failed request to ``current`` (a hop of ``url``)."""
    if isinstance(e, aiohttp.ClientConnectorDNSError):
        if isinstance(e.os_error, AddressRefused):
            return BlockedURLError(url, f"{e.os_error}{after}")
        return ConnectError(url, f"nom d'hôte introuvable : {current.host}{after}")
    if isinstance(e, aiohttp.ClientConnectorError):  # refused, unreachable, TLS…
        reason = e.strerror or e.os_error
        return ConnectError(
            url, f"connexion impossible à {current.host}:{current.port} ({reason}){after}"
        )
    return FetchError(url, f"erreur réseau : {e or type(e).__name__}{after}")


def redirect_target(
    url: str, current: URL, status: int, location: str | None, seen: set[str], after: str
) -> URL:
    """The next hop of a redirect answered by ``current``; FetchError for a missing or invalid
    ``Location`` and for a loop. ``seen`` (the hops so far) gets the new one."""
    if not location:
        raise FetchError(url, f"redirection {status} sans en-tête Location{after}")
    try:
        target = current.join(URL(location)).with_fragment(None)
    except (ValueError, TypeError) as e:
        raise FetchError(url, f"redirection invalide : {location!r}") from e
    if str(target) in seen:
        raise TooManyRedirectsError(url, f"boucle de redirections : {target}")
    seen.add(str(target))
    return target


# --- the fetcher --------------------------------------------------------------------------


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _parse_url(url: str) -> URL:
    try:
        return URL(url).with_fragment(None)
    except (ValueError, TypeError) as e:
        raise FetchError(url, f"URL invalide : {url}") from e


def _headers(resp: aiohttp.ClientResponse) -> dict[str, str]:
    """The answer's headers, names in lower case, repeated ones joined."""
    headers: dict[str, str] = {}
    for name, value in resp.headers.items():
        key = name.lower()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    return headers


class Fetcher:
    """Fetches feeds under a ``FetchPolicy``; use as ``async with Fetcher(policy) as f``."""

    def __init__(
        self, policy: FetchPolicy = FetchPolicy(), *, now: Callable[[], datetime] = _utc_now
    ) -> None:
        self.policy = policy
        self._now = now
        self._session: aiohttp.ClientSession | None = None
        self._per_host: dict[str, asyncio.Semaphore] = {}  # one per host name ever fetched
        self._total = asyncio.Semaphore(policy.total_concurrency)

    async def __aenter__(self) -> Self:
        connector = aiohttp.TCPConnector(
            resolver=PolicyResolver(self.policy.allowed_hosts),
            limit=self.policy.total_concurrency,
            use_dns_cache=False,
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            auto_decompress=False,
            cookie_jar=aiohttp.DummyCookieJar(),  # no state shared between feeds
            timeout=aiohttp.ClientTimeout(total=None, sock_connect=None, sock_read=None),
            headers={
                "User-Agent": self.policy.user_agent,
                "Accept-Encoding": "gzip, deflate",
                "Accept": ACCEPT,
            },
        )
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def fetch(self, url: str, validators: Validators = Validators()) -> FetchResult:
        """GET ``url`` (conditionally), following redirects; raises ``FetchError``s."""
        return await self._within_deadline(
            url, lambda deadline: self._follow(url, validators, deadline)
        )

    async def request(
        self,
        method: str,
        url: str,
        *,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        max_bytes: int = ANSWER_MAX_BYTES,
    ) -> FetchResult:
        """One request of any method (the notifications: Matrix, webhooks) under the same
        policy — addresses checked, total deadline, answer capped at ``max_bytes`` — that
        never follows a redirect (a body goes only where it was addressed). Every status
        comes back, the caller reads the error body of a 4xx; the network and the policy
        raise ``FetchError``s."""

        async def exchange(deadline: asyncio.Timeout) -> FetchResult:
            current = _parse_url(url)
            async with self._hop(url, current, deadline, "", method, headers, body) as resp:
                data = await self._read_body(url, resp, max_bytes)
                return FetchResult(str(current), resp.status, data, _headers(resp))

        return await self._within_deadline(url, exchange)

    async def _within_deadline(
        self, url: str, work: Callable[[asyncio.Timeout], Awaitable[FetchResult]]
    ) -> FetchResult:
        """``work`` under the total deadline, which its first hop starts (see ``_hop``)."""
        if self._session is None:
            raise RuntimeError("use the Fetcher as 'async with Fetcher(...) as fetcher'")
        try:
            async with asyncio.timeout(None) as deadline:
                return await work(deadline)
        except TimeoutError as e:
            seconds = f"{self.policy.timeout:g}".replace(".", ",")
            raise FetchTimeoutError(url, f"délai total dépassé ({seconds} s)") from e

    @asynccontextmanager
    async def _hop(
        self,
        url: str,
        current: URL,
        deadline: asyncio.Timeout,
        after: str,
        method: str = "GET",
        headers: Mapping[str, str] | None = None,
        body: bytes | None = None,
    ) -> AsyncIterator[aiohttp.ClientResponse]:
        """One request to ``current`` (a hop of ``url``): its address checked first, its
        slots held while it lasts, client errors turned into French ``FetchError``s."""
        refusal = url_refusal(current, self.policy.allowed_hosts)
        if refusal:
            raise BlockedURLError(url, refusal + after)
        assert current.host is not None and self._session is not None
        # Slots are taken per hop, host first then total, and released between hops:
        # a fetch never holds one slot while waiting for another across hops (no deadlock).
        host_slots = self._per_host.setdefault(
            current.host, asyncio.Semaphore(self.policy.per_host_concurrency)
        )
        async with host_slots, self._total:
            if deadline.when() is None:  # the deadline starts once the first hop holds its slots
                deadline.reschedule(asyncio.get_running_loop().time() + self.policy.timeout)
            try:
                async with self._session.request(
                    method, current, headers=headers, data=body, allow_redirects=False
                ) as resp:
                    yield resp
            except aiohttp.ClientError as e:
                raise connection_error(url, current, e, after) from e

    async def _follow(
        self, url: str, validators: Validators, deadline: asyncio.Timeout
    ) -> FetchResult:
        """Requests ``url`` and each redirect target in turn, checking every hop."""
        current = _parse_url(url)
        conditions = {
            "If-None-Match": validators.etag,
            "If-Modified-Since": validators.last_modified,
        }
        headers = {name: value for name, value in conditions.items() if value}
        seen = {str(current)}
        all_permanent = True  # every hop so far was a 301/308
        for hop in range(self.policy.max_redirects + 1):
            after = f" (après redirection vers {current})" if hop else ""
            async with self._hop(url, current, deadline, after, headers=headers) as resp:
                if resp.status not in REDIRECT_STATUSES:
                    permanent = str(current) if hop and all_permanent else None
                    return await self._answer(url, current, resp, validators, permanent)
                status, location = resp.status, resp.headers.get("Location")
            all_permanent = all_permanent and status in PERMANENT_REDIRECTS
            current = redirect_target(url, current, status, location, seen, after)
        raise TooManyRedirectsError(
            url, f"trop de redirections (plus de {self.policy.max_redirects})"
        )

    async def _answer(
        self,
        url: str,
        final: URL,
        resp: aiohttp.ClientResponse,
        validators: Validators,
        permanent_url: str | None,
    ) -> FetchResult:
        """Turns the last (non-redirect) answer into a result, or raises."""
        status = resp.status
        headers = _headers(resp)
        etag, last_modified = headers.get("etag"), headers.get("last-modified")
        body: bytes | None = None
        if status == 304:
            # A 304 may omit the validators: the ones we sent still hold.
            validators = Validators(
                etag or validators.etag, last_modified or validators.last_modified
            )
        elif 200 <= status < 300:
            body = await self._read_body(url, resp)
            validators = Validators(etag, last_modified)
        else:
            raise self._status_error(url, status, resp.reason, headers)
        return FetchResult(
            url=str(final),
            status=status,
            body=body,
            headers=headers,
            validators=validators,
            permanent_url=permanent_url,
        )

    async def _read_body(
        self, url: str, resp: aiohttp.ClientResponse, limit: int | None = None
    ) -> bytes:
        limit = self.policy.max_bytes if limit is None else limit
        too_large = f"réponse trop volumineuse (plus de {_size(limit)} après décompression)"
        raw_limit = limit + _RAW_SLACK
        if resp.content_length is not None and resp.content_length > raw_limit:
            raise TooLargeError(url, too_large)
        encoding = resp.headers.get("Content-Encoding", "").strip().lower()
        try:
            decoder = _Decoder(encoding, limit)
        except ValueError as e:
            raise FetchError(url, f"encodage de contenu non pris en charge : {encoding}") from e
        raw = 0
        try:
            async for chunk in resp.content.iter_chunked(_CHUNK):
                raw += len(chunk)
                if raw > raw_limit:
                    raise _TooLarge
                decoder.feed(chunk)
            return decoder.finish()
        except _TooLarge as e:
            raise TooLargeError(url, too_large) from e
        except zlib.error as e:
            raise FetchError(url, f"contenu compressé ({encoding}) invalide : {e}") from e

    def _status_error(
        self, url: str, status: int, reason: str | None, headers: dict[str, str]
    ) -> HTTPStatusError:
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = reason or "?"
        message = f"réponse HTTP {status} ({phrase})"
        if status == 410:
            return GoneError(url, message + " : le flux a été supprimé par son éditeur", status)
        retry_after = None
        if status in RETRY_AFTER_STATUSES and "retry-after" in headers:
            retry_after = parse_retry_after(headers["retry-after"], self._now())
        return HTTPStatusError(url, message, status, retry_after)
