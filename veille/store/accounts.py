"""Accounts: who logs in, with which role, secrets (hashes only) and reading horizon.

The store never hashes nor verifies a password (``veille.passwords`` does, above it): it
keeps the hashes and ``secret_version``, which goes up whenever a secret changes or the
account is disabled — web sessions and API tokens carry it, so they end at once without a
hash being verified on each request.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from veille.errors import StoreError
from veille.models import FIRST_HORIZON, Account, Role, account_name, parse_role
from veille.store.base import StoreBase
from veille.store.tables import account_t

VISIT_GAP = timedelta(minutes=30)  # longer without a page view: the next one starts a visit


def _account(r: Any) -> Account:
    return Account(
        id=r.id,
        name=r.name,
        display_name=r.display_name,
        role=parse_role(r.role),
        disabled=r.disabled,
        created_at=r.created_at,
        read_before=r.read_before,
        previous_visit_at=r.previous_visit_at,
    )


def _where(name_or_id: str | int) -> Any:
    """The condition selecting one account by id (an int) or by login (a string)."""
    if isinstance(name_or_id, int):
        return account_t.c.id == name_or_id
    return account_t.c.name == name_or_id.strip().lower()


class AccountsMixin(StoreBase):
    def add_account(
        self, name: str, role: Role, display_name: str = "", now: datetime | None = None
    ) -> Account:
        """A new account, without a password yet; ValueError (French) for an invalid or
        taken name. Its reading horizon starts a week back (``models.FIRST_HORIZON``).
        ``now`` is required (positional or keyword; the default only lets ``display_name``
        be left out)."""
        if now is None:
            raise TypeError("add_account needs now")
        login = account_name(name)
        values = {
            "name": login,
            "display_name": display_name.strip(),
            "role": parse_role(role),
            "feed_token": secrets.token_urlsafe(24),
            "disabled": False,
            "secret_version": 0,
            "created_at": now,
            "read_before": now - FIRST_HORIZON,
        }
        with self._write() as conn:
            if conn.execute(sa.select(account_t.c.id).where(_where(login))).first():
                raise ValueError(f"le compte « {login} » existe déjà")
            conn.execute(sa.insert(account_t).values(**values))
        found = self.account(login)
        if found is None:  # pragma: no cover - just written
            raise StoreError(f"compte « {login} » introuvable après sa création")
        return found

    def accounts(self) -> list[Account]:
        with self._read() as conn:
            rows = conn.execute(sa.select(account_t).order_by(account_t.c.name)).all()
        return [_account(r) for r in rows]

    def account(self, name_or_id: str | int) -> Account | None:
        """One account by id (an int) or login (a string, any case)."""
        with self._read() as conn:
            row = conn.execute(sa.select(account_t).where(_where(name_or_id))).first()
        return _account(row) if row else None

    def has_editor(self) -> bool:
        """Whether an enabled editor account exists (then the admin token no longer opens
        the web login: ``web/login.py``)."""
        query = sa.select(account_t.c.id).where(
            account_t.c.role == "editeur", account_t.c.disabled.is_(False)
        )
        with self._read() as conn:
            return conn.execute(query.limit(1)).first() is not None

    def credentials(self, name: str) -> tuple[Account, str | None, str | None, int] | None:
        """``(account, web password hash, API password hash, secret_version)``, for a login."""
        with self._read() as conn:
            row = conn.execute(sa.select(account_t).where(_where(name))).first()
        if row is None:
            return None
        return _account(row), row.password_hash, row.api_password_hash, row.secret_version

    def secret_version(self, account_id: int) -> int | None:
        """The account's current secret version (None: no such account, or disabled): what
        a session or an API token must carry to be valid."""
        query = sa.select(account_t.c.secret_version).where(
            account_t.c.id == account_id, account_t.c.disabled.is_(False)
        )
        with self._read() as conn:
            found = conn.execute(query).scalar()
        return None if found is None else int(found)

    def active_account(self, account_id: int) -> tuple[Account, int] | None:
        """An enabled account by id, with its ``secret_version``: what checking a session or
        an API token needs, in one query (None: unknown or disabled)."""
        query = sa.select(account_t).where(
            account_t.c.id == account_id, account_t.c.disabled.is_(False)
        )
        with self._read() as conn:
            row = conn.execute(query).first()
        return (_account(row), int(row.secret_version)) if row else None

    def _change(self, name: str, values: dict[str, Any], *, bump: bool) -> None:
        """Update one account by login; ValueError (French) when it does not exist."""
        if bump:
            values = values | {"secret_version": account_t.c.secret_version + 1}
        done = self._write_one(sa.update(account_t).where(_where(name)).values(**values))
        if not done:
            raise ValueError(f"compte inconnu : « {name} »")

    def set_password(self, name: str, password_hash: str, now: datetime) -> None:
        """A new web password hash: the account's sessions and API tokens end."""
        self._change(name, {"password_hash": password_hash}, bump=True)

    def set_api_password(self, name: str, api_hash: str, now: datetime) -> None:
        """A new API password hash: API tokens made with the old one end (web sessions too:
        they share ``secret_version``)."""
        self._change(name, {"api_password_hash": api_hash}, bump=True)

    def disable_account(self, name: str, now: datetime) -> None:
        """No more logins; its sessions and tokens end at once. Its data is kept."""
        self._change(name, {"disabled": True}, bump=True)

    def enable_account(self, name: str, now: datetime) -> None:
        self._change(name, {"disabled": False}, bump=False)

    def feed_token(self, account_id: int) -> str | None:
        """The token of an account's private output feed URLs (``?jeton=``)."""
        query = sa.select(account_t.c.feed_token).where(account_t.c.id == account_id)
        with self._read() as conn:
            return conn.execute(query).scalar()

    def account_by_feed_token(self, token: str) -> Account | None:
        """The enabled account whose feed token this is."""
        if not token:
            return None
        query = sa.select(account_t).where(
            account_t.c.feed_token == token, account_t.c.disabled.is_(False)
        )
        with self._read() as conn:
            row = conn.execute(query).first()
        return _account(row) if row else None

    def record_visit(
        self, account_id: int, now: datetime, gap: timedelta = VISIT_GAP
    ) -> datetime | None:
        """Record a page view. A visit is a run of page views with no gap longer than
        ``gap``; returns where « nouveaux depuis ma dernière visite » starts — the end of
        the previous visit — or None during a first visit."""
        with self._write() as conn:
            row = conn.execute(
                sa.select(account_t.c.last_visit_at, account_t.c.previous_visit_at).where(
                    account_t.c.id == account_id
                )
            ).first()
            if row is None:
                return None
            previous = row.previous_visit_at
            if row.last_visit_at is not None and now - row.last_visit_at > gap:
                previous = row.last_visit_at  # a new visit: the last one ended there
            conn.execute(
                sa.update(account_t)
                .where(account_t.c.id == account_id)
                .values(last_visit_at=now, previous_visit_at=previous)
            )
        return previous
