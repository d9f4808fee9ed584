"""A logged-in reader's own pages: « Mes articles gardés » (the entries kept « à lire plus
tard », with their private feeds) and « Mon compte ». Pure: data in, page out
(``veille.render.html.render_page`` writes it). The reading state on the digest pages
themselves is ``digest_page.ReaderBar``; the routes are ``veille.web.reading``."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from veille.models import EntryView
from veille.render.digest_page import EntryItem, ReaderBar, entry_item, unread_ids
from veille.render.html import Chrome, Link

__all__ = ["API_PASSWORD_COMMAND", "AccountPage", "StarredPage", "build_starred_page"]

# How an administrator gives a reader the password of their phone or desktop apps.
API_PASSWORD_COMMAND = "veille users api-password {name}"


@dataclass(frozen=True, slots=True)
class StarredPage:
    """« Mes articles gardés »: newest first, a page at a time, with their private feeds."""

    chrome: Chrome
    reader: ReaderBar
    entries: tuple[EntryItem, ...]
    total: int  # every kept entry, all pages
    feeds: tuple[Link, ...] = ()  # the private RSS / Atom / JSON feed of them (token inside)
    next_href: str | None = None
    first_href: str | None = None
    title: str = "Mes articles gardés"
    template: str = "starred.html"

    @property
    def unread(self) -> tuple[str, ...]:
        return unread_ids(self.entries)


@dataclass(frozen=True, slots=True)
class AccountPage:
    """« Mon compte »: who is logged in, the private feed, apps, logging out."""

    chrome: Chrome
    name: str  # the login
    display_name: str
    role: str  # « lecteur », « éditeur »
    csrf: str
    feeds: tuple[Link, ...]  # absolute addresses of the private feed (token inside)
    starred: int  # entries kept
    starred_href: str = "/moi/gardes"
    logout_action: str = "/deconnexion"
    curation_href: str | None = None  # an editor's way to the curation
    api_url: str = ""  # what apps are given as the server's address (the Google Reader API)
    title: str = "Mon compte"
    template: str = "account.html"

    @property
    def api_command(self) -> str:
        return API_PASSWORD_COMMAND.format(name=self.name)


def build_starred_page(
    entries: Sequence[EntryView],
    *,
    total: int,
    labels: Mapping[str, str],
    now: datetime,
    tz: ZoneInfo,
    tag_href: Callable[[str], str],
    chrome: Chrome,
    reader: ReaderBar,
    feeds: Sequence[Link] = (),
    next_href: str | None = None,
    first_href: str | None = None,
) -> StarredPage:
    return StarredPage(
        chrome=chrome,
        reader=reader,
        entries=tuple(
            entry_item(e, labels=labels, now=now, tz=tz, tag_href=tag_href) for e in entries
        ),
        total=total,
        feeds=tuple(feeds),
        next_href=next_href,
        first_href=first_href,
    )
