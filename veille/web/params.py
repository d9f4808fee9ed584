"""Query parameters shared by every filtered output (the JSON API and the output feeds), so a
filter is spelled and documented once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Query


@dataclass(frozen=True)
class Filters:
    tags: list[str]
    exclude_tags: list[str]
    feeds: list[str]
    query: str | None
    since: str | None

    def selection_args(self) -> dict[str, Any]:
        """Keyword arguments of ``select.build_selection``."""
        return {
            "tags": self.tags,
            "exclude_tags": self.exclude_tags,
            "feeds": self.feeds,
            "query": self.query,
            "since": self.since,
        }


def filters(
    tag: Annotated[list[str], Query(description="Thème (répétable : l'un d'eux)")] = [],  # noqa: B006
    exclude_tag: Annotated[list[str], Query(description="Thème exclu (répétable)")] = [],  # noqa: B006
    feed: Annotated[list[str], Query(description="Identifiant de source (répétable)")] = [],  # noqa: B006
    q: Annotated[str | None, Query(description="Recherche plein texte")] = None,
    since: Annotated[
        str | None, Query(description="Publiés à partir de (RFC 3339 ou date)")
    ] = None,
) -> Filters:
    return Filters(tag, exclude_tag, feed, q, since)
