"""``veille notify …``: status, send and resend of the announcements to Matrix rooms (Tchap)
and webhooks (``notify:`` of a digest in feeds.yaml).

Exit codes: 0 success, 1 some notification failed or waits for a retry, 2 bad usage or
configuration (unknown digest, one without ``notify:``).
"""

from __future__ import annotations

import asyncio
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from rich.table import Table

from veille.cli.common import DELIVERY_STATUS_FR, _fail, _open, _out, out
from veille.ingest.service import utcnow
from veille.models import Config
from veille.notify import NotifyReport, notify_due, recover
from veille.text import plural

notify_app = typer.Typer(
    help="Annonces dans les salons Matrix (Tchap) et les webhooks : état, envoi.",
    no_args_is_help=True,
)

EVENT_FR = {"issue": "n°", "daily": "jour du"}


def _event(event: str) -> str:
    """``issue:12`` → « n° 12 »; ``daily:2026-11-30`` → « jour du 2026-11-30 »."""
    kind, _, value = event.partition(":")
    return f"{EVENT_FR.get(kind, kind)} {value}"


def _check_digest(config: Config, name: str | None) -> None:
    if name is None:
        return
    spec = config.digest(name)
    if spec is None:
        known = ", ".join(d.name for d in config.digests) or "aucune"
        _fail(f"sélection inconnue « {name} » (connues : {known})")
    if not spec.notify:
        _fail(f"la sélection « {name} » n'a pas de destinations (clé notify: de feeds.yaml)")


@notify_app.command("status")
def status(
    name: Annotated[str | None, typer.Argument(help="Une sélection (toutes sinon).")] = None,
    limit: Annotated[int, typer.Option("--limit", help="Annonces montrées.", min=1)] = 30,
) -> None:
    """Liste les dernières annonces et leur état (erreurs détaillées)."""
    settings, config, store = _open()
    try:
        _check_digest(config, name)
        recover(store, utcnow())
        rows = store.notifications(name)
    finally:
        store.close()
    if not rows:
        _out("Aucune annonce pour l'instant.")
        return
    tz = ZoneInfo(settings.timezone)
    table = Table("sélection", "annonce", "destination", "état", "essais", "prochain essai",
                  "erreur")  # fmt: skip
    for row in rows[:limit]:
        when = (
            row.next_attempt_at.astimezone(tz).strftime("%d/%m %H:%M")
            if row.next_attempt_at
            else ""
        )
        error = "" if row.status == "sent" else row.last_error or ""
        table.add_row(
            row.digest, _event(row.event), row.destination,
            DELIVERY_STATUS_FR.get(row.status, row.status), str(row.attempts), when, error,
        )  # fmt: skip
    out.print(table)
    if len(rows) > limit:
        _out(
            f"… et {plural(len(rows) - limit, 'annonce plus ancienne', 'annonces plus anciennes')}."
        )
    if any(r.status == "unknown" for r in rows):
        _out(
            "« incertain » : la réponse du webhook s'est perdue ; l'annonce a pu arriver. Pour "
            "la renvoyer malgré tout : veille notify resend NOM --event ANNONCE."
        )


@notify_app.command("send")
def send(
    name: Annotated[str | None, typer.Argument(help="Une sélection (toutes sinon).")] = None,
) -> None:
    """Annonce ce qui est dû et réessaie tout de suite les annonces en attente."""
    settings, config, store = _open()
    try:
        _check_digest(config, name)
        report = asyncio.run(
            notify_due(store, settings, config, utcnow, digest=name, explicit=True)
        )
    finally:
        store.close()
    _print_report(report)
    if not report.ok:
        raise typer.Exit(1)


@notify_app.command("resend")
def resend(
    name: Annotated[str, typer.Argument(help="Nom de la sélection.")],
    event: Annotated[
        str | None,
        typer.Option("--event", help="Une annonce seulement, ex. issue:12 ou daily:2026-11-30."),
    ] = None,
) -> None:
    """Renvoie les annonces « incertain » ou « échec » (décision explicite)."""
    settings, config, store = _open()
    try:
        _check_digest(config, name)
        queued = store.requeue_notifications(name, event)
        report = (
            asyncio.run(notify_due(store, settings, config, utcnow, digest=name, explicit=True))
            if queued
            else None
        )
    finally:
        store.close()
    if report is None:
        _out("Aucune annonce incertaine ou en échec à renvoyer.")
        return
    _print_report(report)
    if not report.ok:
        raise typer.Exit(1)


def _print_report(report: NotifyReport) -> None:
    parts = [
        f"{plural(report.queued, 'nouvelle annonce', 'nouvelles annonces')}"
        if report.queued
        else "",
        plural(report.sent, "envoyée") if report.sent else "",
        f"{report.retry} à réessayer" if report.retry else "",
        f"{report.failed} en échec" if report.failed else "",
        plural(report.unknown, "incertaine") if report.unknown else "",
    ]
    _out((", ".join(p for p in parts if p) or "Rien à annoncer") + ".")
    if not report.ok:
        _out("Détail : veille notify status.")
