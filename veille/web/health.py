"""``/healthz``: what a container's health check and an administrator need, answered fast.

It reads two small things from the store — the scheduler's heartbeat (a primary-key lookup)
and the feeds' entry counters (the feed table, a row per source) — never a count over the
entries, on threads of its own (``PROBE_THREADS``), so that it does not queue behind the
pages being rendered: under 150 heavy requests it still answers well within Docker's 5 s.
A database that does not answer within ``PROBE_TIMEOUT`` is an error, like one that refuses.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import anyio
import anyio.to_thread
from sqlalchemy.exc import SQLAlchemyError

from veille.ingest.heartbeat import Tick, last_tick
from veille.store import Store

log = logging.getLogger(__name__)

# Threads running the synchronous routes (anyio's default: 40). Rendering a page is Python
# work holding the GIL: 40 such threads starve the event loop, which then waits up to 40
# switch intervals each time it needs the GIL — under heavy requests even this async route
# answered late; with 8 threads it answers at once and the pages come out as fast (measured:
# BENCHMARKS.md, "Figures behind the code"). More threads than the database pool's 5
# connections (plus overflow) would only wait for a connection anyway.
REQUEST_THREADS = 8
PROBE_TIMEOUT = 2.0  # seconds: well within Docker's 5 s, with room for the rest of the answer
PROBE_THREADS = 2


@dataclass(frozen=True, slots=True)
class Reading:
    entries: int
    tick: Tick | None


def read(store: Store) -> Reading:
    """The store's part of the health report: two cheap queries."""
    entries = sum(f.entries for f in store.feed_states())
    return Reading(entries, last_tick(store))


def bound_request_threads() -> None:
    """Run the synchronous routes on ``REQUEST_THREADS`` threads (call within the app's loop:
    the limit belongs to it)."""
    anyio.to_thread.current_default_thread_limiter().total_tokens = REQUEST_THREADS


class Probe:
    """Reads the store for ``/healthz`` on its own threads, within ``PROBE_TIMEOUT``."""

    def __init__(self) -> None:
        self._limiter = anyio.CapacityLimiter(PROBE_THREADS)

    async def read(self, store: Store) -> Reading | str:
        """The reading, or why the database did not give it (said in French)."""
        try:
            with anyio.fail_after(PROBE_TIMEOUT):
                # A hung database keeps its thread; the answer does not wait for it.
                return await anyio.to_thread.run_sync(
                    read, store, abandon_on_cancel=True, limiter=self._limiter
                )
        except TimeoutError:
            log.warning("healthz: database did not answer within %g s", PROBE_TIMEOUT)
            return f"pas de réponse en {PROBE_TIMEOUT:g} s"
        except SQLAlchemyError as e:
            # The cause (host, port, file) goes to the log, not to a public page.
            log.warning("healthz: database error: %s", e)
            return "base de données injoignable"
