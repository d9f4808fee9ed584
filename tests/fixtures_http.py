"""pytest fixtures around ``tests.servers``; load with ``pytest_plugins = ["tests.fixtures_http"]``.

- ``feed_server``: a started ``FeedServer`` on 127.0.0.1, stopped after the test;
- ``feed_server_factory``: ``feed_server_factory()`` starts one more (another port);
- ``fetch_policy``: a short-deadline ``FetchPolicy`` allowing ``feed_server`` (and nothing else);
- ``fetch``: ``fetch(url, validators=None, policy=None)`` runs one fetch synchronously.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator

import pytest

from tests.servers import FeedServer
from veille.ingest.fetch import Fetcher, FetchPolicy
from veille.models import FetchResult, Validators


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    with FeedServer() as server:
        yield server


@pytest.fixture
def feed_server_factory() -> Iterator[Callable[[], FeedServer]]:
    servers: list[FeedServer] = []

    def start() -> FeedServer:
        server = FeedServer().start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def fetch_policy(feed_server: FeedServer) -> FetchPolicy:
    return FetchPolicy(timeout=5.0, allowed_hosts=frozenset({feed_server.host_port}))


FetchFn = Callable[..., FetchResult]


@pytest.fixture
def fetch(fetch_policy: FetchPolicy) -> FetchFn:
    """Fetch one URL with a fresh ``Fetcher`` (``fetch_policy`` unless ``policy`` is given)."""

    def run(
        url: str, validators: Validators | None = None, policy: FetchPolicy | None = None
    ) -> FetchResult:
        async def go() -> FetchResult:
            async with Fetcher(policy or fetch_policy) as fetcher:
                return await fetcher.fetch(url, validators or Validators())

        return asyncio.run(go())

    return run
