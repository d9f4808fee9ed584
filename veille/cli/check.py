"""``veille check --fetch ID``: what ``veille update`` would read from one source, stored nowhere.

A feed or a web page goes through :func:`veille.ingest.retrieve.retrieve`, the very steps of an
update
(same fetch policy, parse and tagging in a worker process, a web page followed to the feed it
announces); an IMAP folder is read without remembering or moving its messages. Dates are shown
in the configured time zone (``VEILLE_TIMEZONE``), durations with a decimal comma.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from veille.cli.common import err, out
from veille.errors import FeedError
from veille.ingest.retrieve import FetcherLike, Retrieved, retrieve
from veille.models import Config, FeedSpec, FetchResult, Validators
from veille.render.french import summary_text
from veille.rules.ruleset import RuleSet
from veille.settings import Settings
from veille.text import number, plural

if TYPE_CHECKING:
    from veille.ingest.imap import ImapReader
    from veille.ingest.workers import ParserPool

__all__ = ["check_fetch", "describe"]

SHOWN = 10  # entries listed
FORMATS = {
    "rss": "Flux RSS",
    "atom": "Flux Atom",
    "rdf": "Flux RSS 1.0 (RDF)",
    "json": "JSON Feed",
    "page": "Page lue par ses sélecteurs",
}


def _when(value: datetime | None, zone: tzinfo) -> str:
    return value.astimezone(zone).strftime("%d/%m/%Y %H:%M") if value else "sans date"


def describe(
    got: Retrieved,
    *,
    seconds: float,
    zone: tzinfo,
    labels: Mapping[str, str],
    summaries: bool = False,
) -> list[str]:
    """The lines that tell what was read: the page followed, the format, the entries (first
    ones, with their date in ``zone`` and their themes), the warnings. ``seconds``: the time
    spent downloading."""
    parsed = got.parsed
    assert parsed is not None  # fetched without validators: never "not modified"
    lines = []
    if got.page_url:
        lines.append(
            f"Page web {got.page_url} : elle annonce {plural(len(got.discovered), 'flux')} ; "
            "veille update lit le premier, à sa place :"
        )
        lines.append(f"  {got.fetched.url}")
        lines += [f"  (autre flux annoncé : {url})" for url in got.discovered[1:]]
    title = f"« {parsed.title} »" if parsed.title else "sans titre"
    lines.append(
        f"{FORMATS.get(parsed.kind, parsed.kind)} {title} — "
        f"{plural(len(parsed.entries), 'article')} (téléchargé en {number(seconds, 1)} s)"
    )
    lines += [f"  attention : {warning}" for warning in parsed.warnings]
    for entry in parsed.entries[:SHOWN]:
        extras = got.extras.get(entry.key)
        themes = sorted(labels.get(t, t) for t in (extras.tags if extras else ()))
        line = f"  - {_when(entry.published, zone)}  {entry.title or '(sans titre)'}"
        line += f"  <{entry.url}>" if entry.url else ""
        line += f"  [{', '.join(themes)}]" if themes else ""
        lines.append(line)
        if summaries and entry.summary_html:
            lines.append(f"      {summary_text(entry.summary_html, 160)}")
    hidden = len(parsed.entries) - SHOWN
    if hidden > 0:
        lines.append(f"  … et {plural(hidden, 'autre article', 'autres articles')}")
    return lines


class _TimedFetcher:
    """A fetcher that adds up the time spent downloading (parsing has its own process, whose
    start-up would blur the figure)."""

    def __init__(self, fetcher: FetcherLike) -> None:
        self.fetcher = fetcher
        self.seconds = 0.0

    async def fetch(self, url: str, validators: Validators = Validators()) -> FetchResult:
        started = time.monotonic()
        try:
            return await self.fetcher.fetch(url, validators)
        finally:
            self.seconds += time.monotonic() - started


async def check_fetch(settings: Settings, config: Config, spec: FeedSpec) -> int:
    """Fetch one source and show what an update would take from it; nothing is stored."""
    from veille.ingest.fetch import Fetcher
    from veille.ingest.service import fetch_policy, imap_reader, utcnow
    from veille.ingest.workers import ParserPool

    zone = ZoneInfo(settings.timezone)
    pool = ParserPool(max_workers=1, timeout=settings.parse_timeout)
    try:
        if spec.mailbox is not None:
            return await _check_mailbox(imap_reader(settings), pool, spec, zone)
        rules = RuleSet.from_config(config).spec
        async with Fetcher(fetch_policy(settings), now=utcnow) as fetcher:
            timed = _TimedFetcher(fetcher)
            got = await retrieve(
                timed, pool, spec.id, spec.url, Validators(), now=utcnow, page=spec.page,
                rules=rules,
            )  # fmt: skip
    except FeedError as e:
        err.print(f"Échec : {e}", highlight=False, markup=False)
        return 1
    finally:
        pool.close()
    labels = {rule.name: rule.label for rule in config.tags}
    seconds = timed.seconds
    summaries = spec.page is not None  # what the summary selector extracts is worth seeing
    for line in describe(got, seconds=seconds, zone=zone, labels=labels, summaries=summaries):
        out.print(line, highlight=False, markup=False)
    return 0


async def _check_mailbox(reader: ImapReader, pool: ParserPool, spec: FeedSpec, zone: tzinfo) -> int:
    """The 10 most recent messages of an IMAP source, read but neither remembered nor moved."""
    from veille.ingest.imap import message_source
    from veille.ingest.service import utcnow

    assert spec.mailbox is not None
    session = reader.session(spec.url, spec.mailbox)
    try:
        uidvalidity, uids = await asyncio.to_thread(session.open)
        messages = await asyncio.to_thread(session.fetch, uids[-SHOWN:])
    finally:
        await asyncio.to_thread(session.close)
    out.print(
        f"Dossier IMAP « {spec.mailbox.folder} » — {plural(len(uids), 'message')} "
        f"(UIDVALIDITY {uidvalidity})",
        highlight=False,
        markup=False,
    )
    failed = 0
    for message in reversed(messages):
        source = message_source(spec.url, message.uid)
        try:
            if message.raw is None:
                raise FeedError(source, f"message trop gros ({message.size} octets)")
            entry = await pool.read_message(source, message.raw, message.received, utcnow())
        except FeedError as e:
            failed += 1
            out.print(f"  - UID {message.uid} illisible : {e}", highlight=False, markup=False)
            continue
        line = f"  - {_when(entry.published, zone)}  {entry.title}"
        line += f"  ({entry.author or 'expéditeur inconnu'})"
        out.print(line, highlight=False, markup=False)
    return 1 if failed else 0
