"""Sub-commands that work on stored data and files: ``retag``, ``digest``, ``opml
import|export`` and ``db copy``. Registered on the main app by ``cli/app.py`` (``tags …``:
``cli/tags.py``)."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from veille.cli.common import _config, _fail, _open_store, _settings, err, out
from veille.errors import ConfigError, StoreError
from veille.store import Store
from veille.text import plural


def retag() -> None:
    """Ré-applique les règles de thèmes à tous les articles enregistrés."""
    from veille.ingest.pipeline import retag_all
    from veille.rules.ruleset import RuleSet

    settings = _settings()
    config = _config(settings)
    store = _open_store(settings, config)
    rules = RuleSet.from_config(config)
    try:
        seen, changed = retag_all(store, rules)
    finally:
        store.close()
    seen_text = plural(seen, "article relu", "articles relus")
    out.print(f"{seen_text}, {changed} avec des thèmes modifiés.")


opml_app = typer.Typer(help="Import et export OPML des sources.", no_args_is_help=True)


@opml_app.command("import")
def opml_import(
    file: Annotated[Path, typer.Argument(help="Fichier OPML (Inoreader, Feedly, NetNewsWire…).")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Montre ce qui serait ajouté sans rien écrire.")
    ] = False,
) -> None:
    """Ajoute à feeds.yaml les sources d'un export OPML (commentaires et ordre conservés)."""
    from veille.config.opml import import_opml

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
    from veille.render.opml import export_opml

    settings = _settings()
    body = export_opml(_config(settings), datetime.now(UTC))
    if out_file is None:
        sys.stdout.buffer.write(body)
    else:
        out_file.write_bytes(body)
        err.print(f"OPML écrit dans {out_file}.", highlight=False)


DIGEST_FORMATS = ("html", "text", "json", "rss", "atom", "jsonfeed")


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
    from veille import __version__
    from veille.ingest.service import utcnow
    from veille.mailing.issues import next_issue
    from veille.outputs import FEED_LIMIT, feed_document
    from veille.render.email import render_html, render_text
    from veille.render.feeds import FeedMeta, authority_of
    from veille.render.json import entry_json
    from veille.selection import digest_selection

    if fmt not in DIGEST_FORMATS:
        _fail(f"format inconnu « {fmt} » (attendu : {', '.join(DIGEST_FORMATS)})")
    settings = _settings()
    config = _config(settings)
    spec = config.digest(name)
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
        elif fmt == "json":
            selection = digest_selection(spec, now, limit=FEED_LIMIT)
            payload = {
                "digest": name,
                "title": spec.title,
                "entries": [entry_json(e) for e in store.list_entries(selection).entries],
            }
            body = json.dumps(payload, ensure_ascii=False, indent=2).encode("utf-8")
        else:
            base = settings.base_url.rstrip("/")
            suffix = {"rss": "rss", "atom": "atom", "jsonfeed": "json"}[fmt]
            meta = FeedMeta(
                title=spec.title,
                home_url=f"{base}/digests/{name}",
                self_url=f"{base}/digests/{name}.{suffix}",
                id_authority=store.id_authority(authority_of(base)),
                description=f"Sélection « {spec.title} »",
                generator=f"veille {__version__}",
                labels=config.tag_labels(),
            )
            selection = digest_selection(spec, now, limit=FEED_LIMIT)
            body = feed_document(store, suffix, meta, selection).body
    finally:
        store.close()
    if out_file is None:
        sys.stdout.buffer.write(body)
    else:
        out_file.write_bytes(body)
        err.print(f"{spec.title} écrite dans {out_file}.", highlight=False)


db_app = typer.Typer(help="Base de données.", no_args_is_help=True)


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
