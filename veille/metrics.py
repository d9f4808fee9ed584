"""Process metrics (Prometheus): what this process did since it started.

Counters and histograms live in prometheus-client's default registry, one set per process,
as Prometheus expects: ``/metrics`` shows those of the process that serves it (``veille
serve``: the web requests, and the fetches when its scheduler is the active one). What the
store knows — last success per feed, feeds due, outbox, the scheduler's last tick — is read
at scrape time by ``web.metrics`` and is the same whichever process answers.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

# Outcomes of ``UpdateResult.status``; listed so that each series exists (at 0) from the start.
FETCH_OUTCOMES = ("ok", "not_modified", "error", "disabled")

FETCHES = Counter("veille_fetches", "Mises à jour de sources, par résultat.", ["outcome"])
FEED_UPDATE_SECONDS = Histogram(
    "veille_feed_update_seconds",
    "Durée de la mise à jour d'une source (téléchargement, analyse, enregistrement).",
    buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 40, 80),
)
PARSE_SECONDS = Histogram(
    "veille_parse_seconds",
    "Durée d'une analyse dans un processus d'analyse (attente d'un processus libre comprise).",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
ENTRIES_STORED = Counter(
    "veille_entries_stored", "Articles enregistrés, nouveaux ou modifiés.", ["kind"]
)
SCHEDULER_ACTIVE = Gauge(
    "veille_scheduler_active", "1 si ce processus est le planificateur actif, sinon 0."
)
HTTP_SECONDS = Histogram(
    "veille_http_request_seconds",
    "Durée des requêtes HTTP, par méthode, modèle de route et code de réponse.",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)

for _outcome in FETCH_OUTCOMES:
    FETCHES.labels(outcome=_outcome)
for _kind in ("new", "updated"):
    ENTRIES_STORED.labels(kind=_kind)
