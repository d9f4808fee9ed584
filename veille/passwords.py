"""Account passwords: argon2id hashes at argon2-cffi's default cost (its low-memory
profile: 64 MiB, 3 passes, 4 lanes), verified in constant time.

A verification costs ~50 ms by design: it happens at login (web form, API ClientLogin),
never per request — sessions and API tokens are signed and carry the account's
``secret_version`` instead (``store/accounts.py``; docs/ARCHITECTURE.md, accounts).
"""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 10  # characters of a web password
MAX_LENGTH = 1024  # a longer one is refused before it is hashed (a cheap denial of service)

# The cost of every hash (argon2-cffi's default). Only the in-process tests lower it
# (tests/conftest.py, ``_cheap_password_hashes``); no setting does.
PROFILE = profiles.RFC_9106_LOW_MEMORY
_hasher = PasswordHasher.from_parameters(PROFILE)
# Verified when the account does not exist, so that the answer takes as long as for a wrong
# password (names cannot be found by timing): a hash with PROFILE's cost, of a random
# password thrown away. A constant, not hashed at import: every ``veille`` command would pay
# ~0.1 s for it (tests/test_accounts_store.py checks its cost is PROFILE's).
_DUMMY = (
    "$argon2id$v=19$m=65536,t=3,p=4$GGGYwwaKhBUPeagGjY5GzA"
    "$HsrWRe67bxCTIwrvoXrBiayMjSimddwL44l1SK0js4U"
)


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
