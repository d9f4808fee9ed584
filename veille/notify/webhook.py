"""A JSON POST to a webhook, signed.

The body is the row's payload as queued (``render.notify.webhook_payload``: ``text`` in
Markdown, the event under ``veille``, the articles as JSON Feed items), the same bytes on
every try. Headers:

- ``X-Veille-Delivery``: the row's id, the same on every try (also in the body, as
  ``veille.delivery``, so it is signed): a receiver that keeps it ignores a repeat;
- ``X-Veille-Event``: ``issue:12``, ``daily:2026-11-30``;
- ``X-Veille-Signature: sha256=<hex>``: HMAC-SHA256 of the body with the secret of
  ``secret_env`` (when set). Check it with a constant-time comparison.

A 2xx is delivered; 408, 429 and 5xx are tried again later (after ``Retry-After``, if
given); another 4xx is a refusal (the URL or the secret is wrong), not retried.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from datetime import datetime

from veille.errors import NotifyError
from veille.ingest.fetch import Fetcher, parse_retry_after

RETRY_STATUSES = frozenset({408, 429})


def signature(secret: str, body: bytes) -> str:
    """The ``X-Veille-Signature`` value of ``body``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


async def post(
    fetcher: Fetcher,
    url: str,
    body: bytes,
    *,
    delivery: str,
    event: str,
    secret: str,
    now: Callable[[], datetime],
) -> None:
    """POST ``body``; NotifyError for a refusal (permanent) or a status to retry."""
    headers = {
        "Content-Type": "application/json",
        "Accept": "application/json, */*;q=0.5",
        "X-Veille-Delivery": delivery,
        "X-Veille-Event": event,
    }
    if secret:
        headers["X-Veille-Signature"] = signature(secret, body)
    reply = await fetcher.request("POST", url, body=body, headers=headers)
    if 200 <= reply.status < 300:
        return
    message = f"le webhook a répondu {reply.status}"
    if reply.status in RETRY_STATUSES or reply.status >= 500:
        header = reply.headers.get("retry-after")
        after = parse_retry_after(header, now()) if header else None
        raise NotifyError(message, retry_after=after)
    raise NotifyError(f"{message} : adresse ou secret à vérifier", permanent=True)
