"""A fast loopback feed server for the benchmark: aiohttp.web in its own process.

It serves the corpus files from memory (gzip-encoded when the client accepts it, as
WordPress hosts do) with ``ETag`` and ``Last-Modified``, and answers a matching
``If-None-Match`` / ``If-Modified-Since`` with 304 and no body. It binds 127.0.0.1 only, on a
port the OS picks, and stops by itself after ``lifetime`` seconds if nobody stops it.

::

    with CorpusServer(corpus_dir, feeds) as server:
        server.url(feed)                  # http://127.0.0.1:PORT/0042/feed/
        server.requests()                 # {"200": n, "304": n}
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import multiprocessing
from email.utils import formatdate
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from . import corpus

HOST = "127.0.0.1"
DEFAULT_LIFETIME = 3600.0  # seconds: the server exits by itself after this


def _load(root: Path, feeds: int) -> dict[str, tuple[bytes, bytes, str, str, str]]:
    """path → (body, gzip body, etag, last-modified, content type)."""
    files = {}
    modified = formatdate(1_700_000_000, usegmt=True)
    for feed in range(feeds):
        body = (root / corpus.file_name(feed)).read_bytes()
        packed = gzip.compress(body, compresslevel=1, mtime=0)
        etag = '"' + hashlib.blake2b(body, digest_size=8).hexdigest() + '"'
        kind = "application/atom+xml" if corpus.is_atom(feed) else "application/rss+xml"
        files[corpus.feed_path(feed)] = (body, packed, etag, modified, f"{kind}; charset=UTF-8")
    return files


def _serve(root: str, feeds: int, lifetime: float, conn: Any) -> None:  # child process
    from aiohttp import web

    files = _load(Path(root), feeds)
    counts = {"200": 0, "304": 0, "404": 0}

    async def handle(request: web.Request) -> web.StreamResponse:
        if request.path == "/_stats":
            return web.json_response(counts)
        found = files.get(request.path)
        if found is None:
            counts["404"] += 1
            return web.Response(status=404, text="introuvable")
        body, packed, etag, modified, kind = found
        validators = {"ETag": etag, "Last-Modified": modified}
        inm = request.headers.get("If-None-Match")
        if (inm is not None and etag in inm) or (
            inm is None and request.headers.get("If-Modified-Since") == modified
        ):
            counts["304"] += 1
            return web.Response(status=304, headers=validators)
        counts["200"] += 1
        headers = validators | {"Content-Type": kind, "Vary": "Accept-Encoding"}
        if "gzip" in request.headers.get("Accept-Encoding", ""):
            headers["Content-Encoding"] = "gzip"
            return web.Response(body=packed, headers=headers)
        return web.Response(body=body, headers=headers)

    async def main() -> None:
        app = web.Application()
        app.router.add_get("/{tail:.*}", handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, HOST, 0, backlog=1024)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        conn.send(port)
        try:
            await asyncio.sleep(lifetime)
        finally:
            await runner.cleanup()

    asyncio.run(main())


class CorpusServer:
    """The corpus served on 127.0.0.1 by a child process (bounded lifetime)."""

    def __init__(self, root: Path, feeds: int, lifetime: float = DEFAULT_LIFETIME) -> None:
        self.root, self.feeds, self.lifetime = root, feeds, lifetime
        self.port = 0
        self._process: multiprocessing.process.BaseProcess | None = None

    def start(self) -> None:
        ctx = multiprocessing.get_context("spawn")
        parent, child = ctx.Pipe()
        self._process = ctx.Process(
            target=_serve, args=(str(self.root), self.feeds, self.lifetime, child), daemon=True
        )
        self._process.start()
        if not parent.poll(120):
            self.stop()
            raise RuntimeError("le serveur du corpus n'a pas démarré")
        self.port = parent.recv()

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.join(10)
            if self._process.is_alive():
                self._process.kill()
            self._process = None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    @property
    def host_port(self) -> str:
        return f"{HOST}:{self.port}"

    def url(self, feed: int) -> str:
        return f"http://{self.host_port}{corpus.feed_path(feed)}"

    def requests(self) -> dict[str, int]:
        import json
        import urllib.request

        with urllib.request.urlopen(f"http://{self.host_port}/_stats", timeout=10) as r:
            return json.loads(r.read())  # type: ignore[no-any-return]

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
