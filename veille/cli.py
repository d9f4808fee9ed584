"""The ``veille`` command (Typer). Messages are in French.

Exit codes: 0 success, 1 some work failed (a feed, a delivery), 2 bad usage or configuration.
"""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import sys
from contextlib import suppress
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn
from zoneinfo import ZoneInfo

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from .cli_mail import mail_app
from .config import load_config, validate_config
from .errors import ConfigError, FeedError, StoreError
from .liveconfig import LiveConfig
from .logs import setup_logging
from .models import Config, FeedSpec, UpdateResult, Validators
from .sanitize import plain_text
from .settings import Settings
from .store import Store

if TYPE_CHECKING:
    from .imapsource import ImapReader
    from .workers import ParserPool

app = typer.Typer(
    help="veille — agrégateur de veille pour les référents numériques.",
    no_args_is_help=True,
    add_completion=False,
)
out = Console()
err = Console(stderr=True, soft_wrap=True)

STATUS_FR = {
    "ok": "ok",
    "not_modified": "inchangé",
    "error": "erreur",
    "disabled": "désactivé",
    "skipped": "ignoré",
    "pending": "en attente",
}


def main() -> None:
    app()


def _fail(message: str, code: int = 2) -> NoReturn:
    err.print(f"[red]{message}[/red]", highlight=False)
    raise typer.Exit(code)


def _settings() -> Settings:
    try:
        return Settings()
    except ValidationError as e:
        lines = [
            f"  VEILLE_{'_'.join(map(str, x['loc'])).upper()} : {x['msg']}" for x in e.errors()
        ]
        _fail("Réglages invalides :\n" + "\n".join(lines))


def _config(settings: Settings) -> Config:
    try:
        return load_config(settings.config)
    except ConfigError as e:
        _fail(f"Configuration refusée — {e}")


def _open_store(settings: Settings, config: Config) -> Store:
    try:
        store = Store(settings.database_url)
        store.migrate()
        store.sync_feeds(config.feeds)
    except StoreError as e:
        _fail(f"Base de données inutilisable : {e}")
    return store


@app.command()
def check(
    fetch: Annotated[
        str | None,
        typer.Option("--fetch", help="Récupère une source et montre ce qui en est extrait."),
    ] = None,
) -> None:
    """Valide feeds.yaml (toutes les erreurs, avec fichier et ligne)."""
    settings = _settings()
    errors = validate_config(settings.config)
    for error in errors:
        err.print(str(error), highlight=False, markup=False)
    if errors:
        _fail(f"{len(errors)} erreur(s) : configuration refusée.")
    config = load_config(settings.config)
    out.print(
        f"{settings.config} : valide — {len(config.feeds)} sources, {len(config.tags)} thèmes, "
        f"{len(config.digests)} sélections.",
        highlight=False,
    )
    if fetch:
        spec = config.feed(fetch)
        if spec is None:
            _fail(f"source inconnue : {fetch}")
        raise typer.Exit(asyncio.run(_check_fetch(settings, spec)))


async def _check_fetch(settings: Settings, spec: FeedSpec) -> int:
    """Fetch one source and show what is extracted from it; nothing is stored."""
    from .fetch import Fetcher
    from .service import fetch_policy, imap_reader, utcnow
    from .workers import ParserPool

    pool = ParserPool(max_workers=1, timeout=settings.parse_timeout)
    try:
        if spec.mailbox is not None:
            return await _check_mailbox(imap_reader(settings), pool, spec)
        async with Fetcher(fetch_policy(settings), now=utcnow) as fetcher:
            fetched = await fetcher.fetch(spec.url, Validators())
            assert fetched.body is not None
            if spec.page is not None:
                parsed = await pool.parse_page(
                    fetched.url, fetched.body, fetched.headers, utcnow(), spec.page
                )
            else:
                parsed = await pool.parse(fetched.url, fetched.body, fetched.headers, utcnow())
    except FeedError as e:
        err.print(f"Échec : {e}", highlight=False, markup=False)
        return 1
    finally:
        pool.close()
    out.print(f"{parsed.kind} « {parsed.title} » — {len(parsed.entries)} articles", highlight=False)
    for url_found in parsed.discovered:
        out.print(f"  flux annoncé : {url_found}", highlight=False)
    for entry in parsed.entries[:10]:
        when = entry.published.isoformat() if entry.published else "sans date"
        out.print(f"  - {when}  {entry.title}  <{entry.url}>", highlight=False, markup=False)
        if spec.page is not None and entry.summary_html:
            summary = plain_text(entry.summary_html)
            out.print(f"      {summary[:160]}", highlight=False, markup=False)
    return 0


async def _check_mailbox(reader: ImapReader, pool: ParserPool, spec: FeedSpec) -> int:
    """The 10 most recent messages of an IMAP source, read but neither remembered nor moved."""
    from .imapsource import message_source
    from .service import utcnow

    assert spec.mailbox is not None
    session = reader.session(spec.url, spec.mailbox)
    try:
        uidvalidity, uids = await asyncio.to_thread(session.open)
        messages = await asyncio.to_thread(session.fetch, uids[-10:])
    finally:
        await asyncio.to_thread(session.close)
    out.print(
        f"imap « {spec.mailbox.folder} » — {len(uids)} messages (UIDVALIDITY {uidvalidity})",
        highlight=False,
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
        when = entry.published.isoformat() if entry.published else "sans date"
        line = f"  - {when}  {entry.title}  ({entry.author or 'expéditeur inconnu'})"
        out.print(line, highlight=False, markup=False)
    return 1 if failed else 0


@app.command()
def update(
    feed_ids: Annotated[list[str] | None, typer.Argument(help="Sources à mettre à jour.")] = None,
    all_feeds: Annotated[
        bool, typer.Option("--all", help="Toutes les sources, même pas dues.")
    ] = False,
) -> None:
    """Met à jour les sources dues (ou toutes avec --all, ou celles nommées)."""
    settings = _settings()
    config = _config(settings)
    known = {f.id for f in config.feeds}
    unknown = [f for f in feed_ids or [] if f not in known]
    if unknown:
        _fail(f"source(s) inconnue(s) : {', '.join(unknown)}")
    store = _open_store(settings, config)
    try:
        results = asyncio.run(_run_update(settings, store, feed_ids or None, all_feeds))
    finally:
        store.close()
    _print_results(results)
    if any(r.status == "error" for r in results):
        raise typer.Exit(1)


async def _run_update(
    settings: Settings, store: Store, ids: list[str] | None, all_feeds: bool
) -> list[UpdateResult]:
    from .service import open_updater

    due_only = ids is None and not all_feeds
    async with open_updater(settings, store) as updater:
        await updater.apply_config(load_config(settings.config))
        if not out.is_terminal:
            return await updater.update(ids, due_only=due_only)
        total = len(store.targets(ids, due_at=updater.now() if due_only else None))
        with Progress(
            TextColumn("Mise à jour"),
            BarColumn(),
            MofNCompleteColumn(),
            console=out,
            transient=True,
        ) as progress:
            task = progress.add_task("", total=total)
            return await updater.update(
                ids, due_only=due_only, on_result=lambda _: progress.advance(task)
            )


def _print_results(results: list[UpdateResult]) -> None:
    if not results:
        out.print("Aucune source à mettre à jour.")
        return
    table = Table("source", "état", "nouveaux", "modifiés", "durée", "erreur")
    for r in sorted(results, key=lambda r: r.feed_id):
        table.add_row(
            r.feed_id,
            STATUS_FR.get(r.status, r.status),
            str(r.new),
            str(r.updated),
            f"{r.duration_ms / 1000:.1f} s",
            r.error or "",
        )
    out.print(table)
    failed = sum(r.status == "error" for r in results)
    new = sum(r.new for r in results)
    out.print(f"{len(results)} sources, {new} nouveaux articles, {failed} en erreur.")


@app.command()
def feeds(
    as_json: Annotated[bool, typer.Option("--json", help="Sortie JSON (comme l'API).")] = False,
) -> None:
    """Liste les sources et leur état."""
    from .web.api import feed_json

    settings = _settings()
    config = _config(settings)
    store = _open_store(settings, config)
    try:
        states = store.feed_states()
    finally:
        store.close()
    if as_json:
        sys.stdout.write(
            json.dumps({"feeds": [feed_json(f) for f in states]}, ensure_ascii=False, indent=2)
            + "\n"
        )
        return
    table = Table("source", "état", "articles", "dernière récupération", "erreur")
    for f in states:
        fetched = (
            f.last_fetched_at.astimezone(ZoneInfo(settings.timezone)).strftime("%d/%m %H:%M")
            if f.last_fetched_at
            else "jamais"
        )
        table.add_row(
            f.id, STATUS_FR.get(f.status, f.status), str(f.entries), fetched, f.last_error or ""
        )
    out.print(table)


@app.command()
def retag() -> None:
    """Ré-applique les règles de thèmes à tous les articles enregistrés."""
    from .tag import RuleSet

    settings = _settings()
    config = _config(settings)
    store = _open_store(settings, config)
    rules = RuleSet.from_config(config)
    try:
        seen, changed = store.retag(rules.tag_fields, rules.fingerprint)
    finally:
        store.close()
    out.print(f"{seen} articles relus, {changed} avec des thèmes modifiés.")


tags_app = typer.Typer(help="Thèmes : essai des règles.", no_args_is_help=True)
app.add_typer(tags_app, name="tags")
app.add_typer(mail_app, name="mail")


@tags_app.command("test")
def tags_test(
    days: Annotated[int, typer.Option(help="Période examinée (jours).", min=1)] = 30,
) -> None:
    """Essai à blanc des règles de feeds.yaml sur les articles récents (rien n'est écrit)."""
    from datetime import timedelta

    from .service import utcnow
    from .tag import RuleSet, preview

    settings = _settings()
    config = _config(settings)
    store = _open_store(settings, config)
    try:
        rules = RuleSet.from_config(config)
        since = utcnow() - timedelta(days=days)
        report = preview(store.tagging_fields(since), rules)
        stored = store.tag_counts(since)
    finally:
        store.close()
    out.print(f"{report.entries} articles des {days} derniers jours.", highlight=False)
    table = Table("thème", "articles", "actuellement", "exemples (terme → champ)")
    labels = {r.name: r.label for r in config.tags}
    for name, count in sorted(report.counts.items(), key=lambda kv: -kv[1]):
        examples = "\n".join(
            f"{title[:70]} ({reason.term} → {FIELD_FR.get(reason.field, reason.field)})"
            for title, reason in report.samples.get(name, [])
        )
        table.add_row(labels.get(name, name), str(count), str(stored.get(name, 0)), examples)
    out.print(table)
    out.print(f"Sans thème : {report.untagged} articles.", highlight=False)
    for title in report.untagged_samples:
        out.print(f"  - {title}", highlight=False, markup=False)


opml_app = typer.Typer(help="Import et export OPML des sources.", no_args_is_help=True)
app.add_typer(opml_app, name="opml")


@opml_app.command("import")
def opml_import(
    file: Annotated[Path, typer.Argument(help="Fichier OPML (Inoreader, Feedly, NetNewsWire…).")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Montre ce qui serait ajouté sans rien écrire.")
    ] = False,
) -> None:
    """Ajoute à feeds.yaml les sources d'un export OPML (commentaires et ordre conservés)."""
    from .opml import import_opml

    settings = _settings()
    if not file.is_file():
        _fail(f"fichier introuvable : {file}")
    try:
        report = import_opml(settings.config, file, dry_run=dry_run)
    except ConfigError as e:
        _fail(f"Import refusé — {e}")
    for line in report.lines_fr():
        out.print(line, highlight=False, markup=False)


@opml_app.command("export")
def opml_export(
    out_file: Annotated[
        Path | None, typer.Option("--out", help="Fichier de sortie (sinon la sortie standard).")
    ] = None,
) -> None:
    """Écrit les sources au format OPML 2.0, regroupées par thème."""
    from .opml import export_opml

    settings = _settings()
    body = export_opml(_config(settings))
    if out_file is None:
        sys.stdout.buffer.write(body)
    else:
        out_file.write_bytes(body)
        err.print(f"OPML écrit dans {out_file}.", highlight=False)


DIGEST_FORMATS = ("html", "text", "json", "rss", "atom", "jsonfeed")


@app.command()
def digest(
    name: Annotated[str, typer.Argument(help="Nom de la sélection (feeds.yaml, digests:).")],
    fmt: Annotated[
        str, typer.Option("--format", help="html, text, json, rss, atom ou jsonfeed.")
    ] = "html",
    out_file: Annotated[
        Path | None, typer.Option("--out", help="Fichier de sortie (sinon la sortie standard).")
    ] = None,
) -> None:
    """Écrit une sélection : html/text comme la lettre (styles intégrés), json comme l'API,
    rss/atom/jsonfeed comme les flux du site."""
    from .issues import next_issue
    from .render import feeds as feed_render
    from .render.email import render_html, render_text
    from .select import digest_selection
    from .service import utcnow
    from .web.api import entry_json

    if fmt not in DIGEST_FORMATS:
        _fail(f"format inconnu « {fmt} » (attendu : {', '.join(DIGEST_FORMATS)})")
    settings = _settings()
    config = _config(settings)
    spec = next((d for d in config.digests if d.name == name), None)
    if spec is None:
        known = ", ".join(d.name for d in config.digests) or "aucune"
        _fail(f"sélection inconnue : {name} (sélections : {known})")
    store = _open_store(settings, config)
    try:
        now = utcnow()
        if fmt in ("html", "text"):
            content, _ = next_issue(store, settings, config, name, now)
            text = render_html(content, None) if fmt == "html" else render_text(content, None)
            body = text.encode("utf-8")
        else:
            hidden = store.hidden_entries(name)
            entries = [
                e
                for e in store.list_entries(digest_selection(spec, now, limit=200)).entries
                if e.id not in hidden
            ]
            if fmt == "json":
                payload = {
                    "digest": name,
                    "title": spec.title,
                    "entries": [entry_json(e) for e in entries],
                }
                body = json.dumps(payload, ensure_ascii=False, indent=2).encode("utf-8")
            else:
                base = settings.base_url.rstrip("/")
                suffix = {"rss": "rss", "atom": "atom", "jsonfeed": "json"}[fmt]
                meta = feed_render.FeedMeta(
                    title=spec.title,
                    home_url=f"{base}/digests/{name}",
                    self_url=f"{base}/digests/{name}.{suffix}",
                    base_url=base,
                    description=spec.title,
                    updated=now,
                )
                render = {
                    "rss": feed_render.render_rss,
                    "atom": feed_render.render_atom,
                    "jsonfeed": feed_render.render_jsonfeed,
                }[fmt]
                body = render(meta, entries)
    finally:
        store.close()
    if out_file is None:
        sys.stdout.buffer.write(body)
    else:
        out_file.write_bytes(body)
        err.print(f"{spec.title} écrite dans {out_file}.", highlight=False)


db_app = typer.Typer(help="Base de données.", no_args_is_help=True)
app.add_typer(db_app, name="db")


@db_app.command("copy")
def db_copy(
    to: Annotated[str, typer.Option("--to", help="Base cible, ex. postgresql+psycopg://…")],
) -> None:
    """Copie la base actuelle vers une autre (reprend là où une copie interrompue s'est arrêtée)."""
    settings = _settings()
    if to == settings.database_url:
        _fail("la base cible est la base actuelle")
    source = Store(settings.database_url)
    try:
        target = Store(to)
    except Exception as e:  # bad URL, missing driver: a usage error, said plainly
        _fail(f"base cible inutilisable : {e}")
    try:
        source.migrate()
        copied = source.copy_to(target)
    except StoreError as e:
        _fail(f"copie impossible : {e}", 1)
    finally:
        source.close()
        target.close()
    for table, n in copied.items():
        out.print(f"{table} : {n} lignes copiées", highlight=False)
    out.print("Copie terminée. Pointez VEILLE_DATABASE_URL vers la nouvelle base.")


FIELD_FR = {
    "title": "titre",
    "summary": "résumé",
    "content": "contenu",
    "category": "catégorie",
    "source": "source",
}


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Adresse d'écoute.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port d'écoute.")] = 8000,
    no_scheduler: Annotated[
        bool, typer.Option("--no-scheduler", help="Sert les pages sans planificateur (réplique).")
    ] = False,
) -> None:
    """Lance le service web (et le planificateur, sauf --no-scheduler)."""
    setup_logging()
    settings = _settings()
    config = _config(settings)
    store = _open_store(settings, config)
    try:
        asyncio.run(_serve(settings, store, host, port, scheduler=not no_scheduler))
    except KeyboardInterrupt:
        pass  # uvicorn re-raises the Ctrl-C it handled once everything is stopped
    finally:
        store.close()
    err.print("Service arrêté.")


async def _serve(
    settings: Settings, store: Store, host: str, port: int, *, scheduler: bool
) -> None:
    import uvicorn

    from .web import create_app

    live = LiveConfig.load(settings.config)
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings, store, live), host=host, port=port, log_config=None)
    )
    if not scheduler:
        await server.serve()
        return
    from .scheduler import Scheduler
    from .service import open_updater

    async with open_updater(settings, store) as updater:
        sched = Scheduler(updater, live, ZoneInfo(settings.timezone), settings)
        stop = asyncio.Event()
        scheduling = asyncio.create_task(sched.run(stop, retry=settings.scheduler_lock_retry))
        try:
            await server.serve()
        finally:
            stop.set()
            await scheduling


@app.command()
def worker() -> None:
    """Lance le planificateur seul (sans service web)."""
    setup_logging()
    settings = _settings()
    config = _config(settings)
    store = _open_store(settings, config)
    try:
        asyncio.run(_work(settings, store))
    finally:
        store.close()


async def _work(settings: Settings, store: Store) -> None:
    from .scheduler import Scheduler
    from .service import open_updater

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    async with open_updater(settings, store) as updater:
        live = LiveConfig.load(settings.config)
        sched = Scheduler(updater, live, ZoneInfo(settings.timezone), settings)
        logging.getLogger(__name__).info("worker started")
        await sched.run(stop, retry=settings.scheduler_lock_retry)


if __name__ == "__main__":  # pragma: no cover
    main()
