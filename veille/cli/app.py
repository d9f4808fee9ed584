"""The ``veille`` command (Typer). Messages are in French.

Exit codes: 0 success, 1 some work failed (a feed, a delivery), 2 bad usage or configuration.
"""

from __future__ import annotations

import asyncio
import errno
import json
import logging
import signal
import socket
import sys
from contextlib import suppress
from typing import Annotated
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from veille import __version__
from veille.cli import data as cli_data
from veille.cli.check import check_fetch
from veille.cli.common import (
    FEED_STATUS_FR,
    _config,
    _fail,
    _open_store,
    _settings,
    _tell,
    err,
    out,
)
from veille.cli.mail import mail_app
from veille.cli.notify import notify_app
from veille.cli.tags import tags_app
from veille.cli.users import users_app
from veille.config.live import LiveConfig
from veille.config.load import load_config, validate_config
from veille.errors import StoreError
from veille.logs import setup_logging
from veille.models import UpdateResult
from veille.settings import Settings
from veille.store import Store
from veille.store.base import explain
from veille.text import number, plural

app = typer.Typer(
    help="veille — agrégateur de veille pour les référents numériques.",
    no_args_is_help=True,
    add_completion=False,
)
app.command()(cli_data.retag)
app.command()(cli_data.digest)
app.add_typer(tags_app, name="tags")
app.add_typer(cli_data.opml_app, name="opml")
app.add_typer(cli_data.db_app, name="db")
app.add_typer(mail_app, name="mail")
app.add_typer(notify_app, name="notify")
app.add_typer(users_app, name="users")


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"veille {__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_print_version,
            is_eager=True,
            help="Affiche la version et quitte.",
        ),
    ] = False,
) -> None:
    """Options of ``veille`` itself (``--version``); the sub-commands do the work."""


def _database_url() -> str | None:
    with suppress(Exception):  # only to word an error: settings were valid to get here
        return Settings().database_url
    return None


def main() -> None:
    from veille.cli.french import run

    try:
        run(app)
    except (StoreError, sa.exc.DBAPIError) as e:  # a full disk, a base turned read-only…
        cause = str(e) if isinstance(e, StoreError) else explain(e, _database_url())
        err.print(f"Erreur de la base de données : {cause}", style="red", highlight=False)
        sys.exit(2)


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
        _fail(f"{plural(len(errors), 'erreur')} : configuration refusée.")
    config = load_config(settings.config)
    out.print(
        f"{settings.config} : valide — {plural(len(config.feeds), 'source')}, "
        f"{plural(len(config.tags), 'thème')}, {plural(len(config.digests), 'sélection')}.",
        highlight=False,
    )
    if fetch:
        spec = config.feed(fetch)
        if spec is None:
            _fail(f"source inconnue : {fetch}")
        raise typer.Exit(asyncio.run(check_fetch(settings, config, spec)))


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
        what = "source inconnue" if len(unknown) == 1 else "sources inconnues"
        _fail(f"{what} : {', '.join(unknown)}")
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
    from veille.ingest.service import open_updater

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
            FEED_STATUS_FR.get(r.status, r.status),
            str(r.new),
            str(r.updated),
            f"{number(r.duration_ms / 1000, 1)} s",
            r.error or "",
        )
    out.print(table)
    failed = sum(r.status == "error" for r in results)
    new = sum(r.new for r in results)
    new_text = plural(new, "nouvel article", "nouveaux articles")
    out.print(f"{plural(len(results), 'source')}, {new_text}, {failed} en erreur.")


@app.command()
def feeds(
    as_json: Annotated[bool, typer.Option("--json", help="Sortie JSON (comme l'API).")] = False,
) -> None:
    """Liste les sources et leur état."""
    from veille.render.json import feed_json

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
            f.id,
            FEED_STATUS_FR.get(f.status, f.status),
            str(f.entries),
            fetched,
            f.last_error or "",
        )
    out.print(table)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Adresse d'écoute.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port d'écoute.")] = 8000,
    no_scheduler: Annotated[
        bool, typer.Option("--no-scheduler", help="Sert les pages sans planificateur (réplique).")
    ] = False,
) -> None:
    """Lance le service web (et le planificateur, sauf --no-scheduler)."""
    settings = _settings()
    setup_logging(log_format=settings.log_format)
    config = _config(settings)
    sockets = _listen(host, port)  # before the store: a second instance touches nothing
    store = _open_store(settings, config, read_only_ok=True)
    if store.read_only:
        _tell(
            "Base de données en lecture seule : les pages et les flux sont servis, mais rien "
            "n'est mis à jour (ni planificateur, ni curation).",
            logging.WARNING,
            style="yellow",
        )
    try:
        scheduler = not (no_scheduler or store.read_only)
        asyncio.run(_serve(settings, store, sockets, scheduler=scheduler))
    except KeyboardInterrupt:
        pass  # uvicorn re-raises the Ctrl-C it handled once everything is stopped
    finally:
        store.close()
        for sock in sockets:
            sock.close()
    _tell("Service arrêté.")


def _listen(host: str, port: int) -> list[socket.socket]:
    """Listening sockets on every address of ``host``, bound here rather than by uvicorn so
    that a port already taken (a second ``make run``) is a French message and exit code 2,
    not a traceback; uvicorn then serves these very sockets (no window for another process)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror:
        _fail(f"Adresse d'écoute inconnue : {host}")
    sockets: list[socket.socket] = []
    for family, kind, proto, _, address in dict.fromkeys(infos):  # no address twice
        sock = socket.socket(family, kind, proto)
        sockets.append(sock)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn: TIME_WAIT is free
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        try:
            sock.bind(address)
            sock.listen(2048)
        except OSError as e:
            for s in sockets:
                s.close()
            if e.errno == errno.EADDRINUSE:
                _fail(
                    f"Le port {port} est déjà utilisé sur {host} : veille (ou un autre "
                    "programme) y répond déjà. Arrêtez-le, ou choisissez un autre port "
                    "avec --port."
                )
            if e.errno == errno.EACCES:
                _fail(f"Le port {port} est réservé à l'administrateur : choisissez-en un autre.")
            _fail(f"Impossible d'écouter sur {host}:{port} : {e.strerror or e}")
    return sockets


async def _serve(
    settings: Settings, store: Store, sockets: list[socket.socket], *, scheduler: bool
) -> None:
    import uvicorn

    from veille.web import create_app
    from veille.web.server import server_config

    live = LiveConfig.load(settings.config)
    app = create_app(settings, store, live)
    server = uvicorn.Server(server_config(app, trusted_proxies=settings.proxies))
    for sock in sockets:
        host, port = sock.getsockname()[:2]
        shown = f"[{host}]" if sock.family == socket.AF_INET6 else host
        _tell(f"Service en écoute sur http://{shown}:{port} (Ctrl-C pour arrêter)")
    if not scheduler:
        await server.serve(sockets=sockets)
        return
    from veille.ingest.service import open_updater
    from veille.scheduler import Scheduler

    async with open_updater(settings, store) as updater:
        sched = Scheduler(updater, live, ZoneInfo(settings.timezone), settings)
        stop = asyncio.Event()
        scheduling = asyncio.create_task(sched.run(stop, retry=settings.scheduler_lock_retry))
        try:
            await server.serve(sockets=sockets)
        finally:
            stop.set()
            await scheduling


@app.command()
def worker() -> None:
    """Lance le planificateur seul (sans service web)."""
    settings = _settings()
    setup_logging(log_format=settings.log_format)
    config = _config(settings)
    store = _open_store(settings, config)
    try:
        asyncio.run(_work(settings, store))
    finally:
        store.close()


async def _work(settings: Settings, store: Store) -> None:
    from veille.ingest.service import open_updater
    from veille.scheduler import Scheduler

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
