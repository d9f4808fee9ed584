"""Slowing down password and token guessing: per client and for the whole process.

- Per client (its address): the first ``FREE`` failures cost nothing, each further one
  doubles the wait before the next attempt (1 s, 2 s, 4 s … up to ``CAP``); a success clears
  it. An attempt during the wait is refused (429 with ``Retry-After``) without being checked
  — even with the right secret, or waiting would be pointless.
- For everyone: at most ``GLOBAL`` failures per ``WINDOW``; beyond that every client waits
  until the oldest failure leaves the window (guessing spread over many addresses).

State is in memory, per process: replicas behind a proxy each count on their own (the limit
is multiplied by their number), and a restart forgets the waits. Memory is bounded
(``MAX_CLIENTS``, the oldest forgotten first). The clock is injected.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import HTTPException
from starlette.datastructures import Headers
from starlette.types import Scope

from veille.signing import same
from veille.text import plural

FREE = 3
BASE = 1.0
CAP = 15 * 60.0
GLOBAL = 60
WINDOW = 60.0
MAX_CLIENTS = 10_000


@dataclass
class _Client:
    failures: int = 0
    until: float = 0.0  # no attempt before this time


class Guard:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._clients: OrderedDict[str, _Client] = OrderedDict()
        self._recent: deque[float] = deque()

    def wait(self, client: str) -> int:
        """Seconds (rounded up) before ``client`` may try again; 0: now."""
        now = self._clock()
        while self._recent and self._recent[0] <= now - WINDOW:
            self._recent.popleft()
        waits = [0.0]
        if len(self._recent) >= GLOBAL:
            waits.append(self._recent[0] + WINDOW - now)
        if (state := self._clients.get(client)) is not None:
            waits.append(state.until - now)
        return max(0, math.ceil(max(waits)))

    def failed(self, client: str) -> None:
        now = self._clock()
        self._recent.append(now)
        state = self._clients.pop(client, None) or _Client()
        state.failures += 1
        if state.failures > FREE:
            state.until = now + min(CAP, BASE * 2 ** (state.failures - FREE - 1))
        self._clients[client] = state  # most recent last
        while len(self._clients) > MAX_CLIENTS:
            self._clients.popitem(last=False)

    def succeeded(self, client: str) -> None:
        self._clients.pop(client, None)


def too_many(wait: int) -> str:
    return f"trop d'essais : réessayez dans {plural(wait, 'seconde')}"


def bearer_refusal(
    configured: str, authorization: str, guard: Guard, client: str, what: str
) -> HTTPException | None:
    """Why a request may not go on with ``Authorization: Bearer`` (401 without, 429 while
    the client waits, 403 when wrong: ``what`` names the token), or None; constant-time
    comparison, wrong tokens slowed down per client."""
    scheme, _, given = authorization.partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        return HTTPException(
            401,
            "authentification requise (Authorization: Bearer …)",
            {"WWW-Authenticate": "Bearer"},
        )
    if wait := guard.wait(client):
        return HTTPException(429, too_many(wait), {"Retry-After": str(wait)})
    if not same(given.strip(), configured):
        guard.failed(client)
        return HTTPException(403, f"{what} invalide")
    guard.succeeded(client)
    return None


def client_of(scope: Scope) -> str:
    """The client's address (the proxy's, behind one that uvicorn does not trust)."""
    client = scope.get("client")
    return str(client[0]) if client else "?"


BearerCheck = Callable[[str, str, Guard, str], HTTPException | None]


def refusal_of(scope: Scope, check: BearerCheck, configured: str) -> HTTPException | None:
    """``check`` (``bearer_refusal`` with its own rule for an unset token) applied to a
    request: the ``configured`` token, its ``Authorization`` header, the app's guard, its
    client."""
    authorization = Headers(scope=scope).get("authorization", "")
    return check(configured, authorization, scope["app"].state.guard, client_of(scope))


class Once:
    """Tokens that may be used once (a login form's CSRF token), remembered until they
    expire; bounded like ``Guard``."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock  # the app's (the tokens' expiry is written with it), in seconds
        self._used: OrderedDict[str, float] = OrderedDict()

    def spend(self, token: str, expires: float) -> bool:
        """True the first time ``token`` is spent, False afterwards."""
        now = self._clock()
        while self._used and next(iter(self._used.values())) < now:
            self._used.popitem(last=False)
        if token in self._used:
            return False
        self._used[token] = expires
        while len(self._used) > MAX_CLIENTS:
            self._used.popitem(last=False)
        return True
