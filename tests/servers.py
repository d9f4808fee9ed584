"""Real loopback HTTP servers for tests (no mocks): feeds, redirects, errors, hostile servers.

::

    with FeedServer() as server:
        server.set("/feed.xml", b"<rss>…</rss>")          # ETag/Last-Modified, answers 304
        server.redirect("/old", server.url("/feed.xml"), status=301)
        server.error("/busy", 503, retry_after="120")
        server.trickle("/slow")                             # 1 byte per second
        server.gzip_bomb("/bomb")                           # 1 GiB of zeros, ~1 MiB on the wire
        server.route("/custom", lambda request: Response(status=418, body=b"teapot"))
        server.route("/hook", …)                            # POST and PUT too, body logged
        fetch(server.url("/feed.xml"))                      # allow server.host_port first
        assert server.requests[0].headers["user-agent"].startswith("veille/")

The server is a ``ThreadingHTTPServer`` on 127.0.0.1 (port 0: the OS picks a free port), with
daemon threads. ``stop()`` is bounded: it wakes every waiting handler (delays, trickles),
shuts down open connections and joins threads with a timeout, so a test never hangs on it.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import socket
import struct
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NamedTuple

MiB = 1024 * 1024
RSS = "application/rss+xml; charset=utf-8"
_DISCONNECTED = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, TimeoutError)


class Headers(dict[str, str]):
    """Request headers with lower-case keys, looked up case-insensitively."""

    def __getitem__(self, key: str) -> str:
        return super().__getitem__(key.lower())

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and super().__contains__(key.lower())

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        return super().get(key.lower(), default)


class Request(NamedTuple):
    """One request received, as logged in ``FeedServer.requests``."""

    method: str
    path: str  # with its query string
    headers: Headers
    body: bytes = b""  # a POST's or a PUT's (Content-Length)


@dataclass(frozen=True)
class Response:
    """What a route answers. ``stream`` (a factory, called per request) replaces ``body``."""

    status: int = 200
    body: bytes = b""
    content_type: str | None = RSS
    headers: Mapping[str, str] = field(default_factory=dict)
    stream: Callable[[], Iterable[bytes]] | None = None
    length: int | None = None  # Content-Length of ``stream``; None: close-delimited body
    delay: float = 0.0  # seconds before the answer (interrupted by stop())
    interval: float = 0.0  # seconds between the chunks of ``stream``


Handler = Callable[[Request], Response]


class _StaticRoute:
    """A fixed body with validators; answers 304 to matching conditional requests."""

    def __init__(
        self, body: bytes, content_type: str, etag: str | None, last_modified: str | None
    ) -> None:
        self.body, self.content_type = body, content_type
        if etag is None:  # derived from the body: changes whenever the content does
            etag = '"' + hashlib.blake2b(body, digest_size=8).hexdigest() + '"'
        self.etag = etag or None  # "" means: send no ETag
        if last_modified is None:
            last_modified = formatdate(usegmt=True)
        self.last_modified = last_modified or None  # "" means: send no Last-Modified

    def __call__(self, request: Request) -> Response:
        validators = {}
        if self.etag:
            validators["ETag"] = self.etag
        if self.last_modified:
            validators["Last-Modified"] = self.last_modified
        if self._not_modified(request.headers):
            return Response(status=304, content_type=None, headers=validators)
        return Response(body=self.body, content_type=self.content_type, headers=validators)

    def _not_modified(self, headers: Headers) -> bool:
        if "if-none-match" in headers:  # takes precedence over If-Modified-Since (RFC 9110)
            tags = [t.strip().removeprefix("W/") for t in headers["if-none-match"].split(",")]
            mine = (self.etag or "").removeprefix("W/")
            return "*" in tags or (bool(mine) and mine in tags)
        since = headers.get("if-modified-since")
        if since and self.last_modified:
            try:
                return parsedate_to_datetime(self.last_modified) <= parsedate_to_datetime(since)
            except (TypeError, ValueError):
                return False
        return False


@functools.cache
def _gzip_bomb_parts(size: int) -> tuple[bytes, bytes, int, bytes]:
    """(head, middle, repeat, tail): head + middle * repeat + tail gzips ``size`` zero bytes.

    After a full flush the compressor forgets its history, so every 1 MiB block of zeros
    compresses to the same bytes: we compress three blocks instead of ``size`` bytes.
    """
    block = bytes(MiB)
    blocks = max(size // MiB, 2)
    c = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    head = c.compress(block) + c.flush(zlib.Z_FULL_FLUSH)
    middle = c.compress(block) + c.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(blocks):
        crc = zlib.crc32(block, crc)
    tail = c.flush(zlib.Z_FINISH)[:-8] + struct.pack("<II", crc, (blocks * MiB) & 0xFFFFFFFF)
    return head, middle, blocks - 1, tail


def gzip_bomb_stream(size: int = 1024 * MiB) -> tuple[Callable[[], Iterator[bytes]], int]:
    """A lazy gzip stream inflating to ``size`` bytes (rounded to MiB) and its wire length."""
    head, middle, repeat, tail = _gzip_bomb_parts(size)

    def stream() -> Iterator[bytes]:
        yield head
        for _ in range(repeat):
            yield middle
        yield tail

    return stream, len(head) + len(middle) * repeat + len(tail)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # stop() joins handler threads itself, with a timeout
    owner: FeedServer

    def process_request(self, request: Any, client_address: Any) -> None:
        thread = threading.Thread(
            target=self.process_request_thread, args=(request, client_address), daemon=True
        )
        with self.owner._lock:
            self.owner._connections.add(request)
            self.owner._threads = [t for t in self.owner._threads if t.is_alive()] + [thread]
        thread.start()

    def shutdown_request(self, request: Any) -> None:
        with self.owner._lock:
            self.owner._connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that went away is normal here; real failures surface in the test


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like real servers
    timeout = 5  # an idle keep-alive connection frees its thread after 5 s
    server: _Server

    def do_GET(self) -> None:
        self._dispatch(head=False)

    def do_HEAD(self) -> None:
        self._dispatch(head=True)

    def do_POST(self) -> None:
        self._dispatch(head=False)

    do_PUT = do_POST

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _dispatch(self, head: bool) -> None:
        owner = self.server.owner
        headers = Headers((k.lower(), v) for k, v in self.headers.items())
        length = int(headers.get("content-length") or 0)
        request = Request(self.command, self.path, headers, self.rfile.read(length))
        with owner._track(request):
            handler = owner._handler_for(self.path)
            if handler is None:
                response = Response(status=404, body=b"not found", content_type="text/plain")
            else:
                response = handler(request)
            if response.delay and owner._stopping.wait(response.delay):
                self.close_connection = True
                return
            self._send(response, head)

    def _send(self, response: Response, head: bool) -> None:
        owner = self.server.owner
        no_body = response.status in (204, 304) or response.status < 200
        self.send_response(response.status)
        if response.content_type and not no_body:
            self.send_header("Content-Type", response.content_type)
        for name, value in response.headers.items():
            self.send_header(name, value)
        chunks: Iterable[bytes] = ()
        length: int | None = 0
        if not no_body:
            if response.stream is not None:
                chunks, length = response.stream(), response.length
            else:
                chunks, length = (response.body,), len(response.body)
        if length is None:
            self.send_header("Connection", "close")
            self.close_connection = True
        elif not no_body:
            self.send_header("Content-Length", str(length))
        self.end_headers()
        if head:
            return
        try:
            for chunk in chunks:
                if owner._stopping.is_set():
                    self.close_connection = True
                    return
                self.wfile.write(chunk)
                self.wfile.flush()
                if response.interval and owner._stopping.wait(response.interval):
                    self.close_connection = True
                    return
        except _DISCONNECTED:
            self.close_connection = True  # the client gave up: stop producing


class FeedServer:
    """A threaded HTTP server on 127.0.0.1 with routes registered per path."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self._routes: dict[str, Handler] = {}
        self._log: list[Request] = []
        self._lock = threading.Lock()
        self._in_flight = 0
        self._max_in_flight = 0
        self._stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._threads: list[threading.Thread] = []
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ---

    def start(self) -> FeedServer:
        httpd = _Server((self.host, 0), _RequestHandler)
        httpd.owner = self
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stops serving; bounded by ``timeout`` seconds whatever the handlers are doing."""
        if self._httpd is None:
            return
        deadline = time.monotonic() + timeout
        self._stopping.set()  # wakes delays and trickles
        self._httpd.shutdown()  # returns within poll_interval: serve_forever is running
        with self._lock:
            connections, threads = list(self._connections), list(self._threads)
        for conn in connections:  # idle keep-alive handlers wake up on EOF
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        self._httpd.server_close()
        for thread in [self._thread, *threads]:
            if thread is not None:
                thread.join(max(0.0, deadline - time.monotonic()))
        self._httpd = None

    def __enter__(self) -> FeedServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- addresses ---

    @property
    def port(self) -> int:
        assert self._httpd is not None, "server not started"
        return int(self._httpd.server_address[1])

    @property
    def host_port(self) -> str:
        """``127.0.0.1:PORT``, the entry to allow in ``FetchPolicy.allowed_hosts``."""
        return f"{self.host}:{self.port}"

    def url(self, path: str = "/") -> str:
        return f"http://{self.host_port}{path}"

    # --- request log and concurrency ---

    @property
    def requests(self) -> list[Request]:
        """A copy of the requests received so far, in order."""
        with self._lock:
            return list(self._log)

    def requests_for(self, path: str) -> list[Request]:
        return [r for r in self.requests if r.path == path]

    def clear_requests(self) -> None:
        with self._lock:
            self._log.clear()
            self._max_in_flight = 0

    @property
    def max_concurrent(self) -> int:
        """The most requests handled at the same time since start (or clear_requests())."""
        with self._lock:
            return self._max_in_flight

    @contextlib.contextmanager
    def _track(self, request: Request) -> Iterator[None]:
        with self._lock:
            self._log.append(request)
            self._in_flight += 1
            self._max_in_flight = max(self._max_in_flight, self._in_flight)
        try:
            yield
        finally:
            with self._lock:
                self._in_flight -= 1

    # --- routes ---

    def route(self, path: str, handler: Handler | Response) -> None:
        """Answers ``path`` (exact, or without its query string) with a handler or a Response."""
        if isinstance(handler, Response):
            response = handler
            handler = lambda request: response  # noqa: E731
        with self._lock:
            self._routes[path] = handler

    def _handler_for(self, path: str) -> Handler | None:
        with self._lock:
            return self._routes.get(path) or self._routes.get(path.partition("?")[0])

    def set(
        self,
        path: str,
        body: bytes,
        content_type: str = RSS,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> None:
        """Static content with validators (None: derived/now; "": not sent); answers 304."""
        self.route(path, _StaticRoute(body, content_type, etag, last_modified))

    static = set

    def redirect(self, path: str, location: str, status: int = 301) -> None:
        """Redirect to ``location`` (relative, another port, ``file:///etc/passwd``…)."""
        self.route(path, Response(status=status, headers={"Location": location}))

    def redirect_chain(self, prefix: str, hops: int, target: str, status: int = 301) -> str:
        """``prefix/0`` → ``prefix/1`` → … → ``target`` in ``hops`` redirects; returns the start."""
        for i in range(hops):
            nxt = f"{prefix}/{i + 1}" if i + 1 < hops else target
            self.redirect(f"{prefix}/{i}", nxt, status)
        return f"{prefix}/0"

    def error(
        self, path: str, status: int, retry_after: str | None = None, body: bytes = b"error"
    ) -> None:
        headers = {"Retry-After": retry_after} if retry_after is not None else {}
        self.route(path, Response(status, body, "text/plain", headers))

    def slow(self, path: str, delay: float, body: bytes = b"<rss/>") -> None:
        """Answers after ``delay`` seconds (for concurrency and deadline tests)."""
        self.route(path, Response(body=body, delay=delay))

    def trickle(self, path: str, size: int = 3600, interval: float = 1.0) -> None:
        """Headers at once, then one byte every ``interval`` s; stops when the client leaves."""
        stream = lambda: (b"x" for _ in range(size))  # noqa: E731
        self.route(path, Response(stream=stream, length=size, interval=interval))

    def oversized(self, path: str, size: int = 50 * MiB, content_length: bool = True) -> None:
        """``size`` bytes generated lazily; without Content-Length when asked (close-delimited)."""

        def stream() -> Iterator[bytes]:
            chunk = b"<" * (64 * 1024)
            for sent in range(0, size, len(chunk)):
                yield chunk[: size - sent]

        length = size if content_length else None
        self.route(path, Response(stream=stream, length=length, content_type="text/xml"))

    def gzip(self, path: str, body: bytes, content_type: str = RSS) -> None:
        """A normal gzip-encoded body."""
        headers = {"Content-Encoding": "gzip"}
        self.route(path, Response(body=zlib_gzip(body), content_type=content_type, headers=headers))

    def gzip_bomb(self, path: str, size: int = 1024 * MiB) -> int:
        """Content-Encoding: gzip, ~1/1000 on the wire; returns the compressed length."""
        stream, length = gzip_bomb_stream(size)
        headers = {"Content-Encoding": "gzip"}
        self.route(path, Response(stream=stream, length=length, headers=headers))
        return length

    def html_page(self, path: str, feed_href: str, title: str = "Le blog") -> None:
        """An HTML page advertising a feed with ``<link rel="alternate">``."""
        html = (
            f"<!doctype html><html lang=fr><head><meta charset=utf-8><title>{title}</title>"
            f'<link rel="alternate" type="application/rss+xml" title="{title}" href="{feed_href}">'
            f"</head><body><h1>{title}</h1></body></html>"
        )
        self.set(path, html.encode(), content_type="text/html; charset=utf-8")


def zlib_gzip(data: bytes) -> bytes:
    """gzip-encode ``data`` (deterministic: no timestamp)."""
    c = zlib.compressobj(6, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    return c.compress(data) + c.flush()
