"""Signed tokens (stdlib ``hmac``) for unsubscribe links, editor sessions and CSRF.

A token is ``base64url(payload).base64url(mac)``; the MAC is HMAC-SHA256 with a key derived
from ``VEILLE_SECRET_KEY`` *and the token's purpose*, so a token made for one use (an
unsubscribe link) is worthless for another (a session cookie). Comparison is constant-time.
Unsubscribe tokens never expire: an e-mail read a year later must still unsubscribe.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from typing import Any

from veille.settings import MIN_SECRET_LENGTH, Settings

MIN_SECRET = MIN_SECRET_LENGTH


class TokenError(ValueError):
    """A token that was tampered with, truncated, or made for another purpose."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def secret_problem(secret: str) -> str | None:
    """A French sentence when ``secret`` cannot protect the mail features, else None."""
    if not secret:
        return (
            "VEILLE_SECRET_KEY est vide : les liens de désabonnement et la curation ont besoin "
            "d'une clé secrète (par exemple : python -c 'import secrets; "
            "print(secrets.token_urlsafe(32))')."
        )
    if len(secret) < MIN_SECRET:
        return f"VEILLE_SECRET_KEY est trop courte (au moins {MIN_SECRET} caractères)."
    return None


class Signer:
    """Signs with ``secret``; verifies with it and with ``old_secrets`` (the keys used before
    a rotation: links already sent keep working, new ones use the new key)."""

    def __init__(self, secret: str, purpose: str, old_secrets: tuple[str, ...] = ()) -> None:
        problem = secret_problem(secret)
        if problem:
            raise TokenError(problem)
        self._keys = [_derive(s, purpose) for s in (secret, *old_secrets) if s]

    def _mac(self, payload: bytes, key: bytes | None = None) -> bytes:
        return hmac.new(key or self._keys[0], payload, hashlib.sha256).digest()[:20]

    def sign(self, data: Any) -> str:
        """A token carrying ``data`` (anything JSON can hold)."""
        payload = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()
        return f"{_b64(payload)}.{_b64(self._mac(payload))}"

    def unsign(self, token: str) -> Any:
        """The data of a token made by this signer; TokenError otherwise."""
        try:
            payload_text, mac_text = token.split(".")
            payload, mac = _unb64(payload_text), _unb64(mac_text)
        except (ValueError, binascii.Error) as e:
            raise TokenError("jeton illisible") from e
        if not any(hmac.compare_digest(mac, self._mac(payload, key)) for key in self._keys):
            raise TokenError("jeton invalide")
        try:
            return json.loads(payload)
        except ValueError as e:  # pragma: no cover - only reachable with a valid MAC
            raise TokenError("jeton illisible") from e


def _derive(secret: str, purpose: str) -> bytes:
    return hmac.new(secret.encode(), b"veille:" + purpose.encode(), "sha256").digest()


def signer_for(settings: Settings, purpose: str) -> Signer:
    """The signer of ``purpose`` with the deployment's key and its old keys."""
    return Signer(settings.secret_key, purpose, settings.old_secrets)


def fingerprint(secret: str) -> str:
    """A short digest of a secret, to tell whether it changed without storing it."""
    return hashlib.blake2b(secret.encode(), digest_size=8, person=b"veille-pw").hexdigest()


def same(a: str, b: str) -> bool:
    """Constant-time comparison of two secrets (admin token, CSRF token)."""
    return hmac.compare_digest(a.encode(), b.encode())
