"""What may be fetched, and from where: the limits of every fetch (``FetchPolicy``) and the
address rules ``veille.ingest.fetch`` applies (its docstring says what they guarantee).

http/https only, and no private address (private, loopback, link-local, unspecified,
multicast, reserved) unless the URL's ``host:port`` is allow-listed: IP literals are refused
before any connection (``url_refusal``); names by ``PolicyResolver``, installed in the
connector, which filters the addresses it returns, so the address checked is the one
connected to (no DNS rebinding). The IMAP reader (``veille.ingest.imap``) applies the same
rules to its server.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from dataclasses import dataclass, field

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver
from yarl import URL

from veille import PROJECT_URL, __version__

__all__ = [
    "DEFAULT_USER_AGENT", "AddressRefused", "FetchPolicy", "IPAddress", "PolicyResolver",
    "host_key", "is_forbidden_address", "url_refusal",
]  # fmt: skip

log = logging.getLogger(__name__)

DEFAULT_USER_AGENT = f"veille/{__version__} (+{PROJECT_URL})"

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class FetchPolicy:
    """Limits applied to every fetch. ``allowed_hosts`` holds lower-case ``host:port``."""

    timeout: float = 20.0  # total deadline of one fetch, redirects and body included (s)
    max_bytes: int = 10 * 1024 * 1024  # cap on the decompressed body
    max_redirects: int = 5
    allowed_hosts: frozenset[str] = field(default_factory=frozenset)
    per_host_concurrency: int = 2
    total_concurrency: int = 32
    user_agent: str = DEFAULT_USER_AGENT

    def __post_init__(self) -> None:
        if (
            min(self.timeout, self.max_bytes, self.per_host_concurrency, self.total_concurrency)
            <= 0
        ):
            raise ValueError("timeout, max_bytes and concurrency limits must be positive")
        # Normalise entries the way URLs are keyed (case, IDNA, IPv6 brackets).
        object.__setattr__(
            self, "allowed_hosts", frozenset(_normalise_allowed(h) for h in self.allowed_hosts)
        )


def _normalise_allowed(entry: str) -> str:
    url = URL(f"http://{entry.strip()}")  # ValueError if malformed
    if url.raw_host is None or url.explicit_port is None:
        raise ValueError(f"invalid allowed host {entry!r}: expected host:port")
    return host_key(url.raw_host, url.explicit_port)


def host_key(host: str, port: int) -> str:
    """``host:port`` as written in allow-lists: lower-case, IPv6 in brackets."""
    host = host.lower().rstrip(".")
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def is_forbidden_address(ip: IPAddress) -> bool:
    """True for any address that is not a public unicast one."""
    if isinstance(ip, ipaddress.IPv6Address):
        # IPv4 inside IPv6 (::ffff:a.b.c.d, 6to4) is judged by the IPv4 address it carries.
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is not None:
            return is_forbidden_address(embedded)
    # ``not is_global`` also catches e.g. 100.64.0.0/10 (carrier-grade NAT).
    flags = (ip.is_private, ip.is_loopback, ip.is_link_local, ip.is_unspecified, ip.is_reserved)
    return not ip.is_global or ip.is_multicast or any(flags)


def url_refusal(url: URL, allowed_hosts: frozenset[str]) -> str | None:
    """Why ``url`` may not be fetched (French), or None. Pure: checks IP literals only.

    Host names are checked after resolution, by the connector's resolver.
    """
    if url.scheme not in ("http", "https"):
        return f"schéma refusé : {url.scheme or '(aucun)'} (seuls http et https sont acceptés)"
    host, port = url.host, url.port
    if not host or port is None:
        return "URL sans hôte"
    if host_key(url.raw_host or host, port) in allowed_hosts:
        return None
    # aiohttp treats any all-digit host as an IP literal and never resolves it.
    if ":" in host or host.replace(".", "").isdigit():
        try:
            ip = ipaddress.ip_address(host)
        except ValueError:
            return f"adresse IP non canonique refusée : {host}"
        if is_forbidden_address(ip):
            return f"adresse privée refusée : {host}"
    return None


class AddressRefused(OSError):
    """Raised by the resolver (French message); aiohttp wraps it in ClientConnectorDNSError."""


class PolicyResolver(AbstractResolver):
    """Resolves names, then drops forbidden addresses unless ``host:port`` is allowed."""

    def __init__(self, allowed_hosts: frozenset[str]) -> None:
        self._allowed = allowed_hosts
        self._inner = ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        if host_key(host, port) in self._allowed:
            return results
        kept = [r for r in results if not is_forbidden_address(ipaddress.ip_address(r["host"]))]
        if not kept:
            # The message is shown on public pages and the API: it names the host (from
            # feeds.yaml), never the address it resolved to (internal DNS is not public).
            address = results[0]["host"] if results else "?"
            log.warning("private address refused: %s resolves to %s", host, address)
            raise AddressRefused(f"adresse privée refusée : {host}")
        return kept

    async def close(self) -> None:
        await self._inner.close()
