"""``/metrics`` (Prometheus text format) and the HTTP timing middleware.

A scrape returns this process's counters and histograms (``veille.metrics``: fetches by
outcome, parse and update times, entries stored, HTTP latency), then gauges read from the
store at that moment, the same from every replica: last success and consecutive errors per
feed, feeds by status, feeds due (the queue), the outbox's undelivered messages, the
scheduler's last tick.

Access: public unless ``VEILLE_METRICS_TOKEN`` is set (then ``Authorization: Bearer``, as
Prometheus' ``authorization`` setting sends it). Public by default because it tells nothing
that ``/feeds`` and ``/api/v1/feeds`` do not already show (feed ids, statuses, dates).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime

from fastapi import APIRouter, HTTPException, Request, Response
from prometheus_client import REGISTRY, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from starlette.types import Message, Receive, Scope, Send

from veille.ingest.heartbeat import last_tick
from veille.metrics import HTTP_SECONDS
from veille.store import Store
from veille.store.mail import DeliveryStatus
from veille.web import state
from veille.web.asgi import HttpMiddleware
from veille.web.guard import Guard, bearer_refusal, refusal_of

router = APIRouter()

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# Anything else (uvicorn accepts any token as a method) is counted as "other": bounded labels.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Outbox rows not settled yet (sent, failed and skipped ones only grow: not counted).
UNDELIVERED: tuple[DeliveryStatus, ...] = ("pending", "sending", "unknown")


class HttpTiming(HttpMiddleware):
    """Times each HTTP request (the app's outermost middleware: errors and refusals too),
    labelled by the template of the route that answered (``/api/v1/entries/{entry_id}``,
    never the raw path: bounded cardinality), ``unmatched`` for a 404 outside every route."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        status = 500  # an exception that escaped every handler

        async def timed_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, timed_send)
        finally:
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            method = scope["method"] if scope["method"] in METHODS else "other"
            HTTP_SECONDS.labels(method, route, str(status)).observe(time.perf_counter() - started)


@router.get("/metrics", tags=["service"], include_in_schema=False)
def metrics(request: Request) -> Response:
    """Prometheus text format: this process's metrics, then the store's gauges."""
    refusal = refusal_of(request.scope, metrics_refusal, request.app.state.settings.metrics_token)
    if refusal is not None:
        raise refusal
    store_part = StoreGauges(state.store(request), state.now(request))
    return Response(
        generate_latest(REGISTRY) + generate_latest(store_part), media_type=CONTENT_TYPE
    )


def metrics_refusal(
    configured: str, authorization: str, guard: Guard, client: str
) -> HTTPException | None:
    """None when ``/metrics`` is public or the bearer token is right; wrong tokens are slowed
    down per client like the admin token's."""
    if not configured:
        return None
    return bearer_refusal(configured, authorization, guard, client, "jeton de supervision")


class StoreGauges:
    """The store's gauges, read when collected (a handful of small queries: the feed table,
    the undelivered outbox rows, one meta row)."""

    def __init__(self, store: Store, now: datetime) -> None:
        self.store = store
        self.now = now

    def collect(self) -> Iterator[Metric]:
        states = self.store.feed_states()
        last_success = GaugeMetricFamily(
            "veille_feed_last_success_timestamp_seconds",
            "Dernière mise à jour réussie de chaque source (horodatage Unix).",
            labels=["feed"],
        )
        errors = GaugeMetricFamily(
            "veille_feed_consecutive_errors",
            "Échecs consécutifs de chaque source depuis sa dernière réussite.",
            labels=["feed"],
        )
        by_status: dict[str, int] = dict.fromkeys(("ok", "error", "disabled", "pending"), 0)
        for f in states:
            if f.last_success_at is not None:
                last_success.add_metric([f.id], f.last_success_at.timestamp())
            errors.add_metric([f.id], f.error_count)
            by_status[f.status] = by_status.get(f.status, 0) + 1
        yield last_success
        yield errors
        feeds = GaugeMetricFamily(
            "veille_feeds", "Sources configurées, par état.", labels=["status"]
        )
        for status, count in sorted(by_status.items()):
            feeds.add_metric([status], count)
        yield feeds
        yield GaugeMetricFamily(
            "veille_entries",
            "Articles enregistrés des sources configurées.",
            value=sum(f.entries for f in states),
        )
        yield GaugeMetricFamily(
            "veille_feeds_due",
            "Sources à mettre à jour dès maintenant (file d'attente du planificateur).",
            value=len(self.store.targets(due_at=self.now)),
        )
        outbox = GaugeMetricFamily(
            "veille_outbox_messages", "E-mails pas encore remis, par état.", labels=["status"]
        )
        undelivered = self.store.deliveries(statuses=UNDELIVERED)
        for status in UNDELIVERED:
            outbox.add_metric([status], sum(d.status == status for d in undelivered))
        yield outbox
        tick = last_tick(self.store)
        if tick is not None:
            yield GaugeMetricFamily(
                "veille_scheduler_last_tick_timestamp_seconds",
                "Début du dernier passage du planificateur (horodatage Unix).",
                value=tick.at.timestamp(),
            )
