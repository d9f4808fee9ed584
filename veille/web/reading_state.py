"""A logged-in reader on the digest pages: who reads (``web.accounts.current_account``),
where their « nouveaux depuis ma dernière visite » starts (``Store.record_visit``, one per
page view), the selection with their state, the bar their page carries, and answers that
are never cached shared (``private, no-store``). Anonymous pages go through none of it.
The forms' routes are ``web.reading``."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from urllib.parse import quote

from fastapi import Request, Response

from veille.models import Account, Selection
from veille.render.digest_page import ReaderBar
from veille.web import state
from veille.web.accounts import current_account

__all__ = ["PRIVATE", "VUE_NOUVEAUX", "ReaderContext", "back_of", "private", "reader_of"]

VUE_NOUVEAUX = "nouveaux"  # ?vue=nouveaux: what arrived since the reader's last visit
PRIVATE = "private, no-store"  # a page with a reader's state: never kept by a shared cache


@dataclass(frozen=True, slots=True)
class ReaderContext:
    account: Account
    csrf: str
    visit_start: datetime | None  # end of the previous visit (None: a first visit)
    now: datetime

    def selection(self, base: Selection, new: bool) -> Selection:
        """``base`` with the reader's state; the « nouveaux » view: every date, entries
        that arrived since the last visit (``arrived_since``)."""
        chosen = replace(base, reader=self.account.reader)
        return replace(chosen, since=None, arrived_since=self.arrived_since) if new else chosen

    @property
    def arrived_since(self) -> datetime:
        """Where « nouveaux » starts: the end of the last visit; for a first visit, the
        account's reading horizon (an indexed range of arrival times either way)."""
        return self.visit_start or self.account.read_before

    def bar(self, request: Request, path: str, new: bool) -> ReaderBar:
        return ReaderBar(
            csrf=self.csrf,
            back=back_of(request),
            new_href=None if new else f"{path}?vue={VUE_NOUVEAUX}",
            all_href=path if new else None,
            rendered=self.now.isoformat(),
        )


def reader_of(request: Request) -> ReaderContext | None:
    """The logged-in reader of this page view (recorded as a visit), None when anonymous."""
    found = current_account(request)
    if found is None:
        return None
    account, session = found
    now = state.now(request)
    start = state.store(request).record_visit(account.id, now)
    return ReaderContext(account, session["csrf"], start, now)


def back_of(request: Request) -> str:
    """This page's own address (path and query): where its forms come back."""
    query = request.url.query
    return quote(request.url.path, safe="/@:") + (f"?{query}" if query else "")


def private(response: Response) -> Response:
    response.headers["Cache-Control"] = PRIVATE
    return response
