"""The one exception family of veille.

::

    VeilleError
    ├── ConfigError            feeds.yaml is invalid (file, line, reason)
    ├── FeedError              something went wrong with one feed (carries the feed URL)
    │   ├── FetchError         the network step failed
    │   │   ├── BlockedURLError        scheme or address refused by policy (private network…)
    │   │   ├── ConnectError           no connection could be made: nothing was sent
    │   │   ├── FetchTimeoutError      the total deadline passed
    │   │   ├── TooLargeError          the decompressed body exceeded the cap
    │   │   ├── TooManyRedirectsError  more than the allowed redirects, or a loop
    │   │   └── HTTPStatusError        a 4xx/5xx answer (status, optional Retry-After)
    │   │       └── GoneError          410: the publisher removed the feed
    │   └── ParseError         the body is not a feed we can read
    │       └── ParseTimeoutError      the parser exceeded its time limit (worker killed)
    ├── StoreError             the database refused an operation
    ├── QueryError             a user query/filter is invalid (mapped to HTTP 400)
    ├── MailError              e-mail cannot work (settings) or an issue cannot be prepared
    └── NotifyError            a notification target refused it (room, token), or cannot work

Messages (``str(error)``) are in French: they are shown to referents as is
(CLI tables, ``last_error`` in the API and on the sources page).
Third-party exceptions are wrapped at the boundary with ``raise … from e``.
"""

from __future__ import annotations

from datetime import timedelta


class VeilleError(Exception):
    """Base class of every error raised on purpose by veille."""


class ConfigError(VeilleError):
    """An invalid configuration file; ``str()`` is ``file:line: reason``."""

    def __init__(self, path: str, line: int | None, reason: str) -> None:
        self.path = path
        self.line = line
        self.reason = reason
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {reason}")


class FeedError(VeilleError):
    """An error concerning one feed."""

    def __init__(self, url: str, message: str) -> None:
        self.url = url
        self.message = message
        super().__init__(message)


class FetchError(FeedError):
    """The feed could not be fetched."""


class BlockedURLError(FetchError):
    """The URL (or one of its redirects) is refused by policy."""


class ConnectError(FetchError):
    """The server could not be reached (name unknown, connection refused, TLS refused): the
    request was not sent, so sending it again later is always safe."""


class FetchTimeoutError(FetchError):
    """The total deadline of the request passed."""


class TooLargeError(FetchError):
    """The (decompressed) body is larger than allowed."""


class TooManyRedirectsError(FetchError):
    """Too many redirects, or a redirect loop."""


class HTTPStatusError(FetchError):
    """The server answered with an error status."""

    def __init__(
        self, url: str, message: str, status: int, retry_after: timedelta | None = None
    ) -> None:
        super().__init__(url, message)
        self.status = status
        self.retry_after = retry_after


class GoneError(HTTPStatusError):
    """410 Gone: the feed was removed by its publisher; it gets disabled."""


class ParseError(FeedError):
    """The document is not a feed veille can read."""


class ParseTimeoutError(ParseError):
    """Parsing took longer than the per-feed limit; the worker was replaced."""


class StoreError(VeilleError):
    """The database refused an operation."""


class QueryError(VeilleError):
    """A user-supplied query or filter is invalid (HTTP 400)."""


class MailError(VeilleError):
    """The mail features cannot work (configuration), or an issue cannot be prepared."""


class NotifyError(VeilleError):
    """A Matrix room or a webhook cannot receive the digest (an encrypted room, a refused
    token, a missing secret), or a notification cannot be prepared. ``permanent``: trying
    again later cannot help (the row fails at once, instead of being retried);
    ``retry_after``: the server asked to wait that long (429)."""

    def __init__(
        self, message: str, *, permanent: bool = False, retry_after: timedelta | None = None
    ) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.retry_after = retry_after
