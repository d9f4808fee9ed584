"""What is to be announced now, to whom: one outbox row per (digest, target, event).

::

    queue_due(store, settings, config, now)
      for each target of each digest (``notify:`` of feeds.yaml):
        when: issue   the digest's last letter, allocated less than SEND_GRACE ago
                      → event "issue:12", its content read from the issue's snapshot
        when: daily   the last ``at`` slot, passed less than SEND_GRACE ago
                      → event "daily:2026-11-30", the digest's articles published in the
                        24 hours before the slot (fewer than ``min_entries``: a 'skipped' row)
      a row is composed only when the event was never queued for the target, and rendered
      once (``render.notify``): every try sends the same bytes with the same transaction id

The grace is the letter's (``mailing.issues.SEND_GRACE``): a scheduler stopped for longer
does not announce stale news when it starts again; adding a target never announces the past
beyond it. Nothing here talks to the network.
"""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from veille.config.durations import parse_mail_at
from veille.mailing.issues import SELECTION_LIMIT, SEND_GRACE
from veille.models import Config, DigestSpec, EntryView, NotifyTarget
from veille.render.email import IssueContent, theme_sections
from veille.render.feeds import authority_of, jsonfeed_item
from veille.render.french import french_date
from veille.render.notify import (
    Notice,
    daily_notice,
    issue_notice,
    matrix_content,
    webhook_payload,
)
from veille.selection import digest_selection, select_entries
from veille.settings import Settings
from veille.store import Store
from veille.store.notify import NotificationDraft
from veille.text import plural

log = logging.getLogger(__name__)

DAY = timedelta(days=1)


def txn_id(digest: str, event: str, target: NotifyTarget) -> str:
    """The Matrix transaction id / webhook delivery id of an event for a target: derived
    from them alone, so every try — and a second run — carries the same one."""
    return f"veille.{digest}.{event.replace(':', '.')}.{target.key.partition(':')[2][:12]}"


def destination(target: NotifyTarget) -> str:
    """What ``veille notify status`` shows of a target: the room, or the webhook's host (a
    webhook URL may carry a secret in its path)."""
    if target.kind == "matrix":
        return target.room
    return "webhook " + (target.url.split("/")[2] if "//" in target.url else target.url)


def daily_slot(at: str, now: datetime, tz: ZoneInfo) -> datetime:
    """The last ``at`` (``HH:MM`` local time) at or before ``now``."""
    _, hhmm = parse_mail_at(at)
    local = now.astimezone(tz)
    slot = datetime.combine(local.date(), hhmm, tz)
    return slot if slot <= local else datetime.combine(local.date() - DAY, hhmm, tz)


def queue_due(store: Store, settings: Settings, config: Config, now: datetime) -> int:
    """Queue every event due now for every target; the number of rows queued to send."""
    queued = 0
    for spec in config.digests:
        for target in spec.notify:
            draft = _due(store, settings, config, spec, target, now)
            if draft is not None:
                queued += _queue(store, draft, now)
    return queued


def _due(
    store: Store,
    settings: Settings,
    config: Config,
    spec: DigestSpec,
    target: NotifyTarget,
    now: datetime,
) -> tuple[NotificationDraft, str | None] | None:
    """The row of the event due now for ``target`` (with the reason to skip it, if any),
    or None: nothing due, or already queued."""
    if target.when == "issue":
        number = store.last_issue_number(spec.name)
        issue = store.get_issue(spec.name, number) if number else None
        if issue is None or now - issue.created_at > SEND_GRACE:
            return None
        event = f"issue:{number}"
        if store.notification_queued(spec.name, target.key, event):
            return None
        content = IssueContent.from_json(issue.content)
        # The webhook's items: the articles the letter shows (a Matrix message has none).
        ids = _issue_ids(content) if target.kind == "webhook" else []
        entries = [e for id_ in ids if (e := store.get_entry(int(id_)))]
        return _draft(store, settings, spec, target, event, issue_notice(content), entries), None
    tz = ZoneInfo(settings.timezone)
    slot = daily_slot(target.at, now, tz)
    event = f"daily:{slot.date().isoformat()}"
    if now - slot > SEND_GRACE or store.notification_queued(spec.name, target.key, event):
        return None
    selection = digest_selection(spec, slot, limit=SELECTION_LIMIT)
    selection = replace(selection, since=slot - DAY, until=slot)
    found = list(select_entries(store, selection).entries)
    notice = daily_notice(
        theme_sections(found, config.tags, tz, target.max_entries),
        title=spec.title,
        day_label=french_date(slot, tz),
        web_url=f"{settings.base_url.rstrip('/')}/digests/{spec.name}",
        max_entries=target.max_entries,
    )
    listed = {i.id for g in notice.groups for i in g.items}
    draft = _draft(
        store, settings, spec, target, event, notice, [e for e in found if e.id in listed]
    )
    if len(found) < target.min_entries:
        new = plural(len(found), "nouvel article", "nouveaux articles")
        return draft, f"{new}, moins que min_entries ({target.min_entries}) : rien à annoncer"
    return draft, None


def _issue_ids(content: IssueContent) -> list[str]:
    return [e.id for e in content.highlights] + [e.id for s in content.sections for e in s.entries]


def _draft(
    store: Store,
    settings: Settings,
    spec: DigestSpec,
    target: NotifyTarget,
    event: str,
    notice: Notice,
    entries: list[EntryView],
) -> NotificationDraft:
    txn = txn_id(spec.name, event, target)
    if target.kind == "matrix":
        payload = matrix_content(notice)
    else:
        authority = store.id_authority(authority_of(settings.base_url))
        payload = webhook_payload(
            notice,
            digest=spec.name,
            title=spec.title,
            event=event,
            items=[jsonfeed_item(authority, e) for e in entries],
        )
        payload["veille"]["delivery"] = txn
    return NotificationDraft(
        digest=spec.name,
        target=target.key,
        kind=target.kind,
        destination=destination(target),
        event=event,
        txn_id=txn,
        payload=json.dumps(payload, ensure_ascii=False, separators=(",", ":")),
    )


def _queue(store: Store, due: tuple[NotificationDraft, str | None], now: datetime) -> int:
    draft, skip = due
    if skip is not None:
        store.queue_notification(draft, now, status="skipped", note=skip)
        return 0
    if not store.queue_notification(draft, now):
        return 0  # queued meanwhile by another process
    log.info("notification queued", extra={"feed": draft.digest, "status": draft.event})
    return 1
