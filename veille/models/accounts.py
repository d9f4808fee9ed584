"""Readers and their accounts: names, roles, reading horizons."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

# --- accounts -----------------------------------------------------------------------------------

Role = Literal["lecteur", "editeur"]
ROLES: tuple[Role, ...] = ("lecteur", "editeur")
ROLE_LABELS: dict[Role, str] = {"lecteur": "lecteur", "editeur": "éditeur"}
ACCOUNT_NAME = re.compile(r"[a-z0-9][a-z0-9._@-]{0,63}")
# A new account's reading horizon: its first page shows the last week as new, not the archive.
FIRST_HORIZON = timedelta(days=7)


def account_name(text: str) -> str:
    """A login as stored (lower-case); ValueError (French) when it is not one."""
    name = text.strip().lower()
    if not ACCOUNT_NAME.fullmatch(name):
        raise ValueError(
            f"nom de compte invalide : « {text} » (lettres minuscules sans accent, chiffres "
            "et . _ @ -, 64 caractères au plus, commençant par une lettre ou un chiffre)"
        )
    return name


def parse_role(text: str) -> Role:
    """« lecteur », « éditeur » (accent or not, any case); ValueError (French) otherwise."""
    folded = text.strip().lower().replace("é", "e")
    for role in ROLES:
        if folded == role:
            return role
    raise ValueError(f"rôle inconnu : « {text} » (lecteur ou éditeur)")


@dataclass(frozen=True, slots=True)
class Reader:
    """What a ``Selection`` needs to know of the account reading it."""

    account_id: int
    read_before: datetime  # entries first seen at or before it are read, unless marked


@dataclass(frozen=True, slots=True)
class Account:
    """A person who logs in: a ``lecteur`` reads (with their own read and starred state), an
    ``editeur`` also curates the digests."""

    id: int
    name: str  # the login: lower-case, ``ACCOUNT_NAME``
    display_name: str
    role: Role
    disabled: bool
    created_at: datetime
    # The reading horizon: every entry first seen at or before it is read for this account
    # unless a state row says otherwise (« tout marquer comme lu » moves it).
    read_before: datetime
    previous_visit_at: datetime | None  # start of « nouveaux depuis ma dernière visite »

    @property
    def reader(self) -> Reader:
        return Reader(self.id, self.read_before)

    @property
    def editor(self) -> bool:
        return self.role == "editeur"

    @property
    def shown_name(self) -> str:
        return self.display_name or self.name
