"""Host patterns: a theme given by where an article is published (``hosts:`` of a theme).

Some themes depend on the publisher rather than on words: an official text is official because
the ministry or an académie publishes it. A theme's ``hosts`` are matched against the host of
each entry's link (lower case; a leading ``www.`` is ignored on both sides)::

    education.gouv.fr      that host only (and www.education.gouv.fr)
    *.education.gouv.fr    that host and every host under it (eduscol.education.gouv.fr…)
    ac-*.fr                ``*`` inside a label: any letters, digits or hyphens, never a dot
                           (www.ac-lyon.fr, ac-nantes.fr; not dane.ac-lyon.fr)
    dane.ac-*.fr           the DANE sites of every académie

Pure: ``HostPatterns.build([(key, pattern), …])`` once, then ``matches(url)``. Patterns are
checked for form when feeds.yaml is loaded (``veille.config.rule_terms``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["HostPatterns", "host_of"]


def host_of(url: str | None) -> str | None:
    """The host of ``url``, lower case, without a leading ``www.`` (None if there is none)."""
    if not url:
        return None
    scheme, sep, rest = url.strip().partition("://")
    if not sep or not scheme.isalpha():
        return None
    # the authority, cut by hand: urlsplit costs ten times more, for every entry of every feed
    authority = rest.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0].rpartition("@")[2]
    if authority.startswith("["):  # an IPv6 address: no theme is given by those
        return None
    host = authority.partition(":")[0].lower().rstrip(".")
    if not host:
        return None
    return host[4:] if host.startswith("www.") else host


def _regex(pattern: str) -> re.Pattern[str]:
    any_below = pattern.startswith("*.")
    core = pattern[2:] if any_below else pattern
    core = core[4:] if core.startswith("www.") else core
    body = r"\.".join(re.escape(label).replace(r"\*", "[a-z0-9-]*") for label in core.split("."))
    return re.compile(rf"(?:[a-z0-9-]+\.)*{body}" if any_below else body)


@dataclass(frozen=True, slots=True)
class HostPatterns:
    """Patterns with a key each (a theme's index), matched against an entry's link."""

    patterns: tuple[tuple[int, str, re.Pattern[str]], ...] = ()

    @classmethod
    def build(cls, patterns: Sequence[tuple[int, str]]) -> HostPatterns:
        return cls(tuple((key, p, _regex(p)) for key, p in patterns))

    def matches(self, url: str | None) -> list[tuple[int, str]]:
        """``(key, pattern)`` of every pattern that the link's host matches, first one first."""
        if not self.patterns:
            return []
        host = host_of(url)
        if host is None:
            return []
        return [(key, p) for key, p, rx in self.patterns if rx.fullmatch(host)]
