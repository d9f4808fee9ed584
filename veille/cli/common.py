"""What every ``veille`` sub-command shares: consoles, failing with an exit code, loading the
settings, feeds.yaml and the store (each refusal is a French message and exit code 2)."""

from __future__ import annotations

import logging
from typing import NoReturn

import sqlalchemy as sa
import typer
from pydantic import ValidationError
from rich.console import Console

from veille.config.load import load_config
from veille.errors import ConfigError, StoreError
from veille.logs import json_logging
from veille.models import Config
from veille.settings import Settings
from veille.store import Store
from veille.store.base import explain, read_only

out = Console()
err = Console(stderr=True, soft_wrap=True)

FEED_STATUS_FR = {
    "ok": "ok",
    "not_modified": "inchangé",
    "error": "erreur",
    "disabled": "désactivé",
    "skipped": "ignoré",
    "pending": "en attente",
}
DELIVERY_STATUS_FR = {
    "pending": "en attente",
    "sending": "en cours",
    "sent": "envoyé",
    "failed": "échec",
    "unknown": "incertain",
    "skipped": "ignoré",
}
FIELD_FR = {
    "title": "titre",
    "summary": "résumé",
    "content": "contenu",
    "category": "catégorie",
    "link": "lien",
    "source": "source",
}


log = logging.getLogger(__name__)


def _tell(message: str, level: int = logging.INFO, style: str | None = None) -> None:
    """A message of ``serve`` or ``worker`` to whoever runs them: on the console, or a log
    record when logs are JSON (``VEILLE_LOG_FORMAT=json``: a collector reads every line)."""
    if json_logging():
        log.log(level, message)
    else:
        err.print(message, style=style, highlight=False, markup=False)


def _fail(message: str, code: int = 2) -> NoReturn:
    _tell(message, logging.ERROR, style="red")
    raise typer.Exit(code)


def _settings() -> Settings:
    try:
        return Settings()
    except ValidationError as e:
        lines = [
            f"  VEILLE_{'_'.join(map(str, x['loc'])).upper()} : "
            + str(x["msg"]).removeprefix("Value error, ")
            for x in e.errors()
        ]
        _fail("Réglages invalides :\n" + "\n".join(lines))


def _config(settings: Settings) -> Config:
    try:
        return load_config(settings.config)
    except ConfigError as e:
        _fail(f"Configuration refusée — {e}")


def _open_database(settings: Settings) -> Store:
    """The migrated store (feeds.yaml not read); a French message and exit 2 when it cannot
    be used."""
    try:
        store = Store(settings.database_url)
        store.migrate()
    except StoreError as e:
        _fail(f"Base de données inutilisable : {e}")
    except sa.exc.DBAPIError as e:
        _fail(f"Base de données inutilisable : {explain(e, settings.database_url)}")
    return store


def _open_store(settings: Settings, config: Config, *, read_only_ok: bool = False) -> Store:
    """The migrated store, its feeds in step with feeds.yaml; a French message and exit 2
    when it cannot be used. ``read_only_ok``: a base that cannot be written is still
    returned (``store.read_only``), for serving pages."""
    store = _open_database(settings)
    try:
        store.sync_feeds(config.feeds)
    except sa.exc.DBAPIError as e:
        if not (read_only_ok and read_only(e)):
            store.close()
            _fail(f"Base de données inutilisable : {explain(e, settings.database_url)}")
        store.read_only = True
    return store


def _open() -> tuple[Settings, Config, Store]:
    """Settings, feeds.yaml and the store (each refusal: a French message, exit 2)."""
    settings = _settings()
    config = _config(settings)
    return settings, config, _open_store(settings, config)


def _out(text: str) -> None:
    """A line of plain text (no Rich markup: titles may contain brackets)."""
    out.print(text, highlight=False, markup=False)
