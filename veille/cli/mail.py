"""``veille mail …``: preview, send, status and resend of the e-mailed digests.

Exit codes: 0 success, 1 some delivery failed or is waiting for a retry,
2 bad usage or configuration (unknown digest, no recipients, no VEILLE_SECRET_KEY).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated
from zoneinfo import ZoneInfo

import typer
from rich.table import Table

from veille.cli.common import DELIVERY_STATUS_FR, _fail, _open, _out, err, out
from veille.errors import MailError
from veille.ingest.service import utcnow
from veille.mailing.delivery import SendReport, recover, retry_pending, send_issue
from veille.mailing.issues import Prepared, digest_spec, next_issue, prepared_issue, require_secret
from veille.render.email import issue_subject, render_html, render_text
from veille.text import plural

if TYPE_CHECKING:
    from veille.models import Config
    from veille.settings import Settings
    from veille.store import Store

mail_app = typer.Typer(
    help="Lettre par e-mail : aperçu, envoi, état des envois.", no_args_is_help=True
)


@mail_app.command("preview")
def preview(
    name: Annotated[str, typer.Argument(help="Nom de la sélection (digests: de feeds.yaml).")],
    out_file: Annotated[
        Path | None,
        typer.Option("--out", help="Écrit le numéro dans FICHIER (.html, .txt ou .eml)."),
    ] = None,
) -> None:
    """Montre le prochain numéro (texte à l'écran, ou HTML/texte/e-mail dans FICHIER)."""
    settings, config, store = _open()
    try:
        content, prepared = next_issue(store, settings, config, name, utcnow())
    except MailError as e:
        _fail(str(e))
    finally:
        store.close()
    example = f"{settings.base_url.rstrip('/')}/desabonnement/exemple"
    if out_file is None:
        _out(render_text(content, example))
        err.print(_sentence(_schedule_line(settings, prepared)), highlight=False, markup=False)
        return
    suffix = out_file.suffix.lower()
    if suffix == ".txt":
        out_file.write_text(render_text(content, example), encoding="utf-8")
    elif suffix == ".eml":
        out_file.write_bytes(_example_message(settings, content, example))
    else:
        out_file.write_text(render_html(content, example), encoding="utf-8")
    _out(f"{issue_subject(content)} → {out_file}")
    _out(_sentence(_schedule_line(settings, prepared)))


def _schedule_line(settings: Settings, prepared: Prepared) -> str:
    """``le n° 2 (articles publiés du 30 nov. au 7 déc. 2026) partira le 7 déc. 2026 à 07:30``"""
    tz = _tz(settings)
    label = prepared.period.label(tz)
    if prepared.due:
        return f"le n° {prepared.number} (articles publiés {label}) est à envoyer maintenant"
    return f"le n° {prepared.number} (articles publiés {label}) partira {prepared.when(tz)}"


def _tz(settings: Settings) -> ZoneInfo:
    return ZoneInfo(settings.timezone)


def _sentence(text: str) -> str:
    return text[0].upper() + text[1:] + "."


def _example_message(settings: Settings, content: object, example: str) -> bytes:
    from veille.render.email import Envelope, IssueContent, render_message

    assert isinstance(content, IssueContent)
    envelope = Envelope(
        sender=settings.mail_from,
        recipient="exemple@example.org",
        message_id="<apercu@veille>",
        date=utcnow(),
        list_id=f"{content.digest}.apercu",
        unsubscribe_url=example,
        unsubscribe_mailto="mailto:exemple@example.org",
    )
    return render_message(content, envelope).as_bytes()


@mail_app.command("send")
def send(
    name: Annotated[str, typer.Argument(help="Nom de la sélection.")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Montre ce qui serait envoyé, sans rien écrire.")
    ] = False,
) -> None:
    """Envoie le numéro dont l'heure est venue (jamais deux fois le même) et réessaie tout de
    suite les envois en attente du dernier numéro."""
    settings, config, store = _open()
    try:
        if dry_run:
            _dry_run(settings, config, store, name)
            return
        report = send_issue(store, settings, config, name, utcnow, explicit=True)
        after = prepared_issue(store, digest_spec(config, name), utcnow(), _tz(settings))
    except MailError as e:
        _fail(str(e))
    finally:
        store.close()
    if report is None:
        _out(f"Aucun numéro à envoyer maintenant : {_schedule_line(settings, after)}.")
    else:
        _print_report(report)
        _out(f"Numéro suivant : {_schedule_line(settings, after)}.")
    if report is not None and not report.ok:
        raise typer.Exit(1)


def _dry_run(settings: Settings, config: Config, store: Store, name: str) -> None:
    spec = digest_spec(config, name)
    require_secret(settings)
    if spec.mail is None or not spec.mail.to:
        raise MailError(f"la sélection « {name} » n'a pas de destinataires (mail: dans feeds.yaml)")
    content, prepared = next_issue(store, settings, config, name, utcnow())
    _out("Essai à blanc : rien n'est écrit ni envoyé.")
    last = store.get_issue(name, prepared.number - 1)
    pending = store.deliveries(name, last.number, ["pending"]) if last else []
    if last is not None and pending:
        _out(
            f"« veille mail send » réessaierait maintenant {plural(len(pending), 'envoi')} "
            f"en attente du n° {last.number}."
        )
    if prepared.due:
        _out(f"Partirait maintenant : {issue_subject(content)}, articles publiés "
             f"{prepared.period.label(_tz(settings))}.")  # fmt: skip
    else:
        _out(f"Aucun numéro ne partirait maintenant : {_schedule_line(settings, prepared)}.")
        _out(f"Son contenu à cette heure : {issue_subject(content)}.")
    gone = store.unsubscribed(name)
    active = [a for a in spec.mail.to if a.strip().lower() not in gone]
    gone_text = plural(len(spec.mail.to) - len(active), "désabonné")
    _out(f"{plural(len(active), 'destinataire')}, {gone_text} :")
    for address in active:
        _out(f"  {address}")
    shown = len(content.highlights) + sum(len(s.entries) for s in content.sections)
    picks = plural(len(content.highlights), "coup de cœur", "coups de cœur")
    _out(f"{plural(shown, 'article')}, dont {picks}.")


def _print_report(report: SendReport) -> None:
    head = "nouveau numéro" if report.new_issue else "numéro déjà préparé"
    _out(f"{report.subject} ({head})")
    parts = [
        plural(report.sent, "envoyé") if report.sent else "",
        f"{report.retry} à réessayer" if report.retry else "",
        f"{report.failed} en échec" if report.failed else "",
        plural(report.unknown, "incertain") if report.unknown else "",
        f"{plural(report.skipped, 'ignoré')} (désabonnés)" if report.skipped else "",
    ]
    summary = ", ".join(p for p in parts if p) or "rien de nouveau à envoyer"
    _out(summary + ".")
    if report.error:
        _out(
            f"Problème : {report.error} — nouvel essai automatique plus tard, ou tout de suite "
            f"avec « veille mail send {report.digest} »."
        )


@mail_app.command("status")
def status(
    name: Annotated[str | None, typer.Argument(help="Une sélection (toutes sinon).")] = None,
) -> None:
    """Liste les numéros et l'état de leurs envois (échecs et incertains détaillés)."""
    settings, _, store = _open()
    try:
        recover(store, utcnow())
        issues = store.list_issues(name)
        deliveries = store.deliveries(name)
    finally:
        store.close()
    if not issues:
        _out("Aucun numéro envoyé pour l'instant.")
        return
    tz = ZoneInfo(settings.timezone)
    table = Table("sélection", "n°", "sujet", *DELIVERY_STATUS_FR.values())
    for issue in issues:
        mine = [d for d in deliveries if (d.digest, d.number) == (issue.digest, issue.number)]
        counts = [str(sum(d.status == s for d in mine) or "") for s in DELIVERY_STATUS_FR]
        table.add_row(issue.digest, str(issue.number), issue.subject, *counts)
    out.print(table)
    problems = [d for d in deliveries if d.status not in {"sent", "skipped"}]
    if problems:
        detail = Table(
            "sélection", "n°", "destinataire", "état", "essais", "prochain essai", "erreur"
        )
        for d in problems:
            when = (
                d.next_attempt_at.astimezone(tz).strftime("%d/%m %H:%M")
                if d.next_attempt_at
                else ""
            )
            detail.add_row(
                d.digest, str(d.number), d.recipient, DELIVERY_STATUS_FR.get(d.status, d.status),
                str(d.attempts), when, d.last_error or "",
            )  # fmt: skip
        out.print(detail)
    if any(d.status == "unknown" for d in deliveries):
        _out(
            "« incertain » : l'envoi a été interrompu ; le message a pu arriver. Pour le renvoyer "
            "malgré tout : veille mail resend NOM --issue N [--to ADRESSE]."
        )


@mail_app.command("resend")
def resend(
    name: Annotated[str, typer.Argument(help="Nom de la sélection.")],
    issue: Annotated[int, typer.Option("--issue", help="Numéro à renvoyer.", min=1)],
    to: Annotated[
        str | None, typer.Option("--to", help="Une adresse seulement (toutes sinon).")
    ] = None,
) -> None:
    """Renvoie un numéro aux destinataires « incertain » ou « échec » (décision explicite)."""
    settings, config, store = _open()
    try:
        require_secret(settings)
        digest_spec(config, name)
        if store.get_issue(name, issue) is None:
            raise MailError(f"aucun numéro {issue} pour « {name} »")
        queued = store.requeue(name, issue, to)
        reports = retry_pending(store, settings, utcnow) if queued else []
    except MailError as e:
        _fail(str(e))
    finally:
        store.close()
    if not queued:
        _out("Aucun envoi incertain ou en échec à renvoyer.")
        return
    for report in reports:
        _print_report(report)
    if not all(r.ok for r in reports):
        raise typer.Exit(1)
