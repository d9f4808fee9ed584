"""Run the pure parsers in worker processes, with a per-document time limit.

Three parsers run there: :func:`veille.ingest.parse.feed.parse` (feeds),
:func:`veille.ingest.parse.htmllist.parse_page`
(list pages read with CSS selectors, ``type: html``) and
:func:`veille.ingest.parse.newsletter.read_message`
(one e-mail, ``type: imap``). They share the pool, the limit and the error handling
(:meth:`ParserPool.call`).

Why processes: feedparser has catastrophic regexes (one crafted ``<author>`` of 30 000 characters
takes seconds in its e-mail pattern) and holds the GIL meanwhile, so a thread could neither be
stopped nor let the event loop breathe. A pebble pool kills a worker that exceeds the limit and
starts a fresh one, so the other feeds go on; it also parses on both cores. Each worker caps its
address space (``RLIMIT_AS``) so that a pathological document dies with a MemoryError instead of
taking the machine with it.

The parent never imports the parsers: the functions the workers run are named by
:class:`WorkerFunction` (``"module:function"``), which pickles as that name and unpickles in the
worker as the function itself. feedparser, nh3 and selectolax live in the fork server and its
workers only (~6 MB less in the parent, which holds the database and the HTTP client).

Exceptions do not cross the process boundary as such: :class:`~veille.errors.FeedError` takes two
constructor arguments and does not unpickle, so the worker returns a :class:`_Failure` that the
parent turns back into the exception.
"""

from __future__ import annotations

import asyncio
import gc
import importlib
import multiprocessing
from collections.abc import Callable, Mapping
from concurrent.futures import TimeoutError as FutureTimeoutError
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, Self, TypeVar

from pebble import ProcessExpired, ProcessPool

from veille.errors import ParseError, ParseTimeoutError
from veille.models import ParsedEntry, ParsedFeed

if TYPE_CHECKING:
    from veille.ingest.extras import EntryExtras
    from veille.rules.tagging import TagReason

ParseFunction = Callable[[str, bytes, Mapping[str, str], datetime], ParsedFeed]
T = TypeVar("T")


def _resolve(path: str) -> Callable[..., Any]:
    module, _, name = path.partition(":")
    function: Callable[..., Any] = getattr(importlib.import_module(module), name)
    return function


class WorkerFunction(Generic[T]):
    """A module-level function named ``"module:function"``, to be run in a worker.

    Pickled as its name, unpickled (in the worker) as the function itself: whoever schedules
    it does not import its module. ``T`` is what the function returns.
    """

    __slots__ = ("path",)

    def __init__(self, path: str) -> None:
        self.path = path

    def __call__(self, *args: Any, **kwargs: Any) -> T:
        """Run it here (imports its module): for code that calls it in-process."""
        result: T = _resolve(self.path)(*args, **kwargs)
        return result

    def __reduce__(self) -> tuple[Callable[[str], Callable[..., Any]], tuple[str]]:
        return _resolve, (self.path,)

    def __repr__(self) -> str:
        return f"WorkerFunction({self.path!r})"


Prepared = tuple[ParsedFeed, dict[str, "EntryExtras"]]
PARSE: WorkerFunction[ParsedFeed] = WorkerFunction("veille.ingest.parse.feed:parse")
READ_MESSAGE: WorkerFunction[ParsedEntry] = WorkerFunction(
    "veille.ingest.parse.newsletter:read_message"
)
PARSE_PREPARED: WorkerFunction[Prepared] = WorkerFunction(
    "veille.ingest.parse.prepare:parse_prepared"
)
PARSE_PAGE_PREPARED: WorkerFunction[Prepared] = WorkerFunction(
    "veille.ingest.parse.prepare:parse_page_prepared"
)
TAG_MANY: WorkerFunction[list[dict[str, TagReason]]] = WorkerFunction(
    "veille.ingest.parse.prepare:tag_many"
)

DEFAULT_TIMEOUT = 10.0
DEFAULT_MEMORY_LIMIT = 1 << 30  # 1 GiB of address space per worker


@dataclass(frozen=True, slots=True)
class _Failure:
    timeout: bool
    message: str


def _init_worker(memory_limit: int | None) -> None:
    """Runs in each new worker: cap its address space, freeze what it inherited."""
    _limit_memory(memory_limit)
    # The modules imported by the fork server are shared copy-on-write; the garbage
    # collector would write to every object's header while scanning them and so copy their
    # pages into this worker. Frozen, they are never scanned (less memory per worker:
    # BENCHMARKS.md, item 3).
    gc.freeze()


def _limit_memory(limit: int | None) -> None:
    """Cap the address space (POSIX only; a no-op elsewhere)."""
    if not limit:
        return
    try:
        import resource
    except ImportError:  # Windows
        return
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _run(function: Callable[..., T], url: str, *args: Any) -> T | _Failure:
    """Runs in the worker: call the parse function, return errors as values."""
    try:
        return function(url, *args)
    except ParseTimeoutError as e:
        return _Failure(timeout=True, message=e.message)
    except ParseError as e:
        return _Failure(timeout=False, message=e.message)
    except MemoryError:
        return _Failure(False, "document trop gros à analyser (limite de mémoire atteinte)")
    except RecursionError:
        return _Failure(False, "document trop profondément imbriqué pour être analysé")


# Imported by the fork server before it forks workers (shared, copy-on-write).
PRELOAD = (
    "veille.ingest.parse.feed",
    "veille.ingest.parse.htmllist",
    "veille.ingest.parse.newsletter",
    "veille.ingest.parse.prepare",
)


class ParserPool:
    """A pool of parsing processes; use as ``async with ParserPool() as pool:``.

    ``function`` is what :meth:`parse` runs (:func:`veille.ingest.parse.feed.parse` by default);
    tests
    pass a slow one to check time limits.
    """

    def __init__(
        self,
        max_workers: int = 2,
        timeout: float = DEFAULT_TIMEOUT,
        memory_limit: int | None = DEFAULT_MEMORY_LIMIT,
        function: ParseFunction = PARSE,
    ) -> None:
        self.timeout = timeout
        self._function = function
        # forkserver: workers never inherit the parent's threads, sockets or database
        # connections (fork from a threaded asyncio process can deadlock). The parsing
        # modules are imported once in the fork server, so the workers share those pages.
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(list(PRELOAD))
        self._pool = ProcessPool(
            max_workers=max_workers,
            initializer=_init_worker,
            initargs=(memory_limit,),
            context=context,
        )

    async def parse(
        self, url: str, body: bytes, headers: Mapping[str, str], now: datetime
    ) -> ParsedFeed:
        """Parse a feed in a worker (see :meth:`call` for the errors)."""
        return await self.call(self._function, url, body, dict(headers), now)

    async def read_message(
        self, source: str, raw: bytes, received: datetime | None, now: datetime
    ) -> ParsedEntry:
        """Read one e-mail in a worker (``type: imap``); ``source`` names it in errors."""
        return await self.call(READ_MESSAGE, source, raw, received, now)

    async def call(self, function: Callable[..., T], url: str, *args: Any) -> T:
        """``function(url, *args)`` in a worker (a picklable module-level function, or a
        :class:`WorkerFunction` naming one);
        :class:`ParseTimeoutError` past the limit, :class:`ParseError` if the document is
        unreadable or the worker died."""
        future = self._pool.schedule(_run, args=(function, url, *args), timeout=self.timeout)
        try:
            result = await asyncio.wrap_future(future)
        except (FutureTimeoutError, TimeoutError) as e:
            limit = f"{self.timeout:g}"
            raise ParseTimeoutError(
                url, f"analyse trop longue (plus de {limit} s) : flux abandonné"
            ) from e
        except ProcessExpired as e:
            raise ParseError(
                url, f"l'analyseur s'est arrêté brutalement (code {e.exitcode}) : flux abandonné"
            ) from e
        except asyncio.CancelledError:
            future.cancel()  # pebble stops the worker running it
            raise
        except Exception as e:  # a bug of ours: this feed fails, the others go on
            raise ParseError(url, f"erreur interne de l'analyseur ({type(e).__name__})") from e
        if isinstance(result, _Failure):
            error = ParseTimeoutError if result.timeout else ParseError
            raise error(url, result.message)
        return result

    def close(self) -> None:
        """Stop the workers (running parses are abandoned) and wait for them."""
        self._pool.stop()
        self._pool.join()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await asyncio.to_thread(self.close)
