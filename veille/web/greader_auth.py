"""Who calls the Google Reader API: ``ClientLogin`` and the tokens it issues.

- ``ClientLogin`` (``Email`` + ``Passwd``, in the query or a form) checks the account's API
  password — its own, distinct from the web password — against its argon2 hash: the only
  hash of the API, slowed down per client and per account name by the guard
  (``web/guard.py``). It answers ``SID=…``, ``LSID=null`` (Vienna RSS wants the line),
  ``Auth=…`` as text, or as JSON with ``output=json``.
- The token is signed (``signing.py``, purpose ``greader``) and carries the account's id,
  name and ``secret_version``: checking it costs one indexed read, never a hash. A new API
  or web password, or a disabled account, bumps the version: every token dies at once. It
  does not expire otherwise (clients keep it for months and log in again on a 401).
- Calls carry it as ``Authorization: GoogleLogin auth=…``, or — Miniflux's clients and a
  few others — as ``T`` (query or form). ``/token`` gives the same token back as ``T``.
  Since no cookie authenticates the API, ``T`` protects nothing more: a request with the
  header does not check it (Reeder sends ``T=x``, FeedMe an empty one).
- A refusal is what clients expect: 401, ``text/plain`` body ``Unauthorized``, header
  ``X-Reader-Google-Bad-Token: true``.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from veille.models import Account, account_name
from veille.passwords import verify_password
from veille.signing import TokenError, secret_problem, signer_for
from veille.web import state
from veille.web.guard import client_of, too_many

PURPOSE = "greader"
_HEADER = re.compile(r"\s*GoogleLogin\s+auth\s*=\s*(\S+)\s*", re.IGNORECASE)
MAX_TOKEN = 512


def unauthorized() -> Response:
    return PlainTextResponse(
        "Unauthorized", status_code=401, headers={"X-Reader-Google-Bad-Token": "true"}
    )


def make_token(request: Request, account: Account, version: int) -> str:
    data = {"a": account.id, "n": account.name, "v": version}
    return signer_for(state.settings(request), PURPOSE).sign(data)


def given_token(request: Request, form: dict[str, str]) -> str:
    """The token a request carries: the header first, else ``T``."""
    found = _HEADER.fullmatch(request.headers.get("authorization", ""))
    if found:
        return found.group(1)
    return (form.get("T") or request.query_params.get("T") or "").strip()


def account_of(request: Request, token: str) -> tuple[Account, int] | None:
    """The enabled account a token was issued to and its secret version, while it holds."""
    if not token or len(token) > MAX_TOKEN or secret_problem(state.settings(request).secret_key):
        return None
    try:
        data: Any = signer_for(state.settings(request), PURPOSE).unsign(token)
    except TokenError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("n"), str):
        return None
    found = state.store(request).credentials(data["n"])
    if found is None:
        return None
    account, _, api_hash, version = found
    if account.disabled or api_hash is None or account.id != data.get("a"):
        return None
    return (account, version) if version == data.get("v") else None


def client_login(request: Request, fields: dict[str, str]) -> Response:
    """``accounts/ClientLogin``: the API password checked once, a token issued."""
    if secret_problem(state.settings(request).secret_key):
        return PlainTextResponse(
            "Error=ServiceUnavailable\n", status_code=503
        )  # no key to sign tokens: said at start-up too
    try:
        name = account_name(fields.get("Email", ""))
    except ValueError:
        name = ""  # no such account: checked against a dummy hash all the same
    guard, keys = request.app.state.guard, [client_of(request.scope)]
    keys += [f"greader:{name}"] if name else []
    if wait := max(guard.wait(key) for key in keys):
        return PlainTextResponse(
            f"Error=TooManyRequests\nInfo={too_many(wait)}\n",
            status_code=429,
            headers={"Retry-After": str(wait)},
        )
    found = state.store(request).credentials(name) if name else None
    account, api_hash, version = (found[0], found[2], found[3]) if found else (None, None, 0)
    # Always one verification (a dummy hash without an account): no name found by timing.
    matches = verify_password(api_hash, fields.get("Passwd", ""))
    if not matches or account is None or account.disabled:
        for key in keys:
            guard.failed(key)
        return PlainTextResponse("Error=BadAuthentication\n", status_code=401)
    for key in keys:
        guard.succeeded(key)
    token = make_token(request, account, version)
    if fields.get("output") == "json":
        return JSONResponse({"SID": token, "LSID": "null", "Auth": token})
    return PlainTextResponse(f"SID={token}\nLSID=null\nAuth={token}\n")
