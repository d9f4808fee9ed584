"""How ``veille serve`` runs the app under uvicorn: limits against slow and greedy clients.

- **Header deadline**: a client has ``HEADER_TIMEOUT`` seconds to send a request's line and
  headers (from connecting, or from the end of the previous response on a kept-alive
  connection). uvicorn has no such limit of its own: 150 connections sending a header byte
  now and then were held open for good (slowloris). A late client is disconnected.
- **Concurrency**: beyond ``MAX_CONCURRENCY`` open connections or running requests, uvicorn
  answers 503 at once instead of queueing without end.
- Idle kept-alive connections close after ``KEEP_ALIVE`` seconds; a stop waits at most
  ``GRACEFUL`` seconds for requests in flight.

Behind a reverse proxy (docker-compose's nginx), the proxy's own limits apply first.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

HEADER_TIMEOUT = 10.0
MAX_CONCURRENCY = 200
KEEP_ALIVE = 5
GRACEFUL = 10


class HeaderDeadlineH11(H11Protocol):
    """uvicorn's h11 protocol with a deadline on each request's headers."""

    header_timeout = HEADER_TIMEOUT
    _header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:  # the request line and headers are in
            self._disarm()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm()  # the next request on this connection gets the same deadline

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._disarm()
        self._header_timer = self.loop.call_later(self.header_timeout, self._too_slow)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _too_slow(self) -> None:
        self._header_timer = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.transport.close()


def server_config(
    app: Any,
    *,
    header_timeout: float = HEADER_TIMEOUT,
    trusted_proxies: Sequence[str] = ("127.0.0.1", "::1"),
) -> uvicorn.Config:
    """uvicorn as ``veille serve`` runs it. ``X-Forwarded-For`` is believed only from
    ``trusted_proxies`` (``VEILLE_TRUSTED_PROXIES``): the guessing guard counts per client, and
    behind a proxy it does not trust every client has the proxy's address."""
    protocol = type("HeaderDeadlineH11", (HeaderDeadlineH11,), {"header_timeout": header_timeout})
    return uvicorn.Config(
        app,
        http=protocol,
        proxy_headers=True,
        forwarded_allow_ips=list(trusted_proxies),
        limit_concurrency=MAX_CONCURRENCY,
        timeout_keep_alive=KEEP_ALIVE,
        timeout_graceful_shutdown=GRACEFUL,
        log_config=None,
    )
