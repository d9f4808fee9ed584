"""A store with two accounts and their API passwords, and helpers to speak the Google Reader
API to the app (in-process) the way clients do."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from tests.mail_support import CONFIG, SECRET, populate
from veille.models import Config, FeedSpec
from veille.passwords import hash_password
from veille.settings import Settings
from veille.store import Store
from veille.web import create_app

API = "/api/greader/reader/api/0/"
LOGIN = "/api/greader/accounts/ClientLogin"
PASSWORDS = {"ana": "api-ana-0123456789", "ben": "api-ben-0123456789"}

# The mail tests' sources, one of them with configured tags (a folder for clients), and the
# name of that tag under ``labels:``.
GR_CONFIG: Config = replace(
    CONFIG,
    feeds=(
        FeedSpec("cafe", "https://cafe.example/feed", title="Le Café pédagogique"),
        FeedSpec("ludo", "https://ludo.example/feed", title="Ludomag", tags=("jeux",)),
    ),
    labels=(("jeux", "Jeux sérieux"),),
)


def add_reader(store: Store, name: str, now: datetime) -> int:
    """An account ``name`` whose API password is ``PASSWORDS[name]``; returns its id."""
    account = store.add_account(name, "lecteur", name.capitalize(), now=now)
    store.set_api_password(name, hash_password(PASSWORDS[name]), now)
    return account.id


def fill(store: Store, now: datetime) -> dict[str, str]:
    """Entries seen an hour ago (unread for accounts made now), and accounts ana and ben;
    returns {entry key: entry id}."""
    ids = populate(store, now - timedelta(hours=1), GR_CONFIG)
    for name in PASSWORDS:
        add_reader(store, name, now)
    return ids


@contextmanager
def greader_client(store: Store, now: datetime, **more: Any) -> Iterator[TestClient]:
    """The app in-process (``more``: other settings)."""
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, database_url=store.url, secret_key=SECRET, **more
    )
    app = create_app(settings, store, GR_CONFIG, clock=lambda: now)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def login(client: TestClient, name: str, password: str | None = None) -> dict[str, str]:
    """The headers of a logged-in client (``Authorization: GoogleLogin auth=…``)."""
    response = client.post(LOGIN, data={"Email": name, "Passwd": password or PASSWORDS[name]})
    assert response.status_code == 200, response.text
    token = dict(line.split("=", 1) for line in response.text.split())["Auth"]
    return {"Authorization": f"GoogleLogin auth={token}"}


def ids_of(client: TestClient, headers: dict[str, str], **params: Any) -> list[str]:
    """Every item id of a stream, following continuations (bounded)."""
    found: list[str] = []
    for _ in range(100):
        body = client.get(API + "stream/items/ids", params=params, headers=headers).json()
        found += [ref["id"] for ref in body["itemRefs"]]
        if "continuation" not in body:
            return found
        params = params | {"c": body["continuation"]}
    raise AssertionError("continuations without end")
