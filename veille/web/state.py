"""What every route reads from the application, in one place: the store, the configuration in
force (``LiveConfig`` swaps it when feeds.yaml changes) and its tag rules, the clock
(``app.state.clock``, which tests replace: every route uses it, never ``datetime.now``), the
settings, and a digest by its name (a 404 without one)."""

from __future__ import annotations

from datetime import datetime

from fastapi import HTTPException, Request

from veille.models import Config, DigestSpec
from veille.rules.ruleset import RuleSet
from veille.settings import Settings
from veille.store import Store


def store(request: Request) -> Store:
    return request.app.state.store  # type: ignore[no-any-return]


def config(request: Request) -> Config:
    return request.app.state.config  # type: ignore[no-any-return]


def digest(request: Request, name: str) -> DigestSpec:
    """The digest ``name`` of the configuration in force; a 404 (in French) without one."""
    spec = config(request).digest(name)
    if spec is None:
        raise HTTPException(404, f"sélection inconnue : {name}")
    return spec


def now(request: Request) -> datetime:
    return request.app.state.clock()  # type: ignore[no-any-return]


def settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


def rules(request: Request) -> RuleSet:
    """The tag rules of the configuration in force, compiled once per configuration."""
    current = config(request)
    cached = getattr(request.app.state, "rules", None)
    if cached is None or cached[0] is not current:
        cached = request.app.state.rules = (current, RuleSet.from_config(current))
    return cached[1]  # type: ignore[no-any-return]
