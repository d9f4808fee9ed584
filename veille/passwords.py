"""Account passwords: argon2id hashes (argon2-cffi's defaults, RFC 9106's second
recommended profile: 64 MiB, 3 passes), verified in constant time.

A verification costs ~50 ms by design: it happens at login (web form, API ClientLogin),
never per request — sessions and API tokens are signed and carry the account's
``secret_version`` instead (``store/accounts.py``; docs/ARCHITECTURE.md, accounts).
"""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 10  # characters of a web password
MAX_LENGTH = 1024  # a longer one is refused before it is hashed (a cheap denial of service)

_hasher = PasswordHasher()
# Verified when the account does not exist, so that the answer takes as long as for a
# wrong password (names cannot be found by timing).
_DUMMY = _hasher.hash(secrets.token_urlsafe(16))


def password_problem(password: str) -> str | None:
    """A French sentence when ``password`` cannot be an account's password, else None."""
    if len(password) < MIN_LENGTH:
        return f"mot de passe trop court ({MIN_LENGTH} caractères au moins)"
    if len(password) > MAX_LENGTH:
        return f"mot de passe trop long ({MAX_LENGTH} caractères au plus)"
    return None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """Whether ``password`` matches the ``stored`` hash (None: no password set, always
    false, in the same time as a mismatch)."""
    if len(password) > MAX_LENGTH:
        return False
    try:
        return _hasher.verify(stored or _DUMMY, password) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def new_api_password() -> str:
    """A random API password (shown once by ``veille users api-password``)."""
    return secrets.token_urlsafe(18)
