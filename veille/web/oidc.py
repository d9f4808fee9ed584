"""Login through the school's identity provider (OpenID Connect, authorization code flow
with PKCE), when ``VEILLE_OIDC_ISSUER``, ``VEILLE_OIDC_CLIENT_ID`` and
``VEILLE_OIDC_CLIENT_SECRET`` are set::

    GET /connexion/oidc          → the provider's authorization endpoint (?suite= kept)
    GET /connexion/oidc/retour   the provider sends the browser back: code → tokens → session

The provider's metadata and keys are read at each login (discovery, JWKS: a few requests,
no stale keys), through the fetcher's policy (``ingest/fetch.py``: private networks need
``VEILLE_ALLOW_HOSTS``). The ID token is checked with joserfc (signature, issuer,
audience, nonce, expiry on the app's clock). The account is the one whose name is the
``VEILLE_OIDC_CLAIM`` claim (``preferred_username`` by default, or ``email``); it is created
as a ``lecteur`` the first time. Authlib builds the authorization request and PKCE.
"""

from __future__ import annotations

import json
import secrets
from base64 import b64encode
from contextlib import suppress
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from veille.errors import FetchError
from veille.models import account_name
from veille.web import state
from veille.web.accounts import (
    expiry,
    open_session,
    safe_suite,
    signer,
    unavailable,
    unsign,
)
from veille.web.mail_pages import error

router = APIRouter(include_in_schema=False)
START, BACK = "/connexion/oidc", "/connexion/oidc/retour"
COOKIE = "veille_oidc"
SCOPE = "openid profile email"
ANSWER_MAX = 512 * 1024  # bytes of a provider's JSON answer
LEEWAY = 60  # seconds of clock difference with the provider
FLOW_TTL = timedelta(minutes=10)  # from the provider's page back here


def configured(request: Request) -> bool:
    s = state.settings(request)
    return bool(s.oidc_issuer and s.oidc_client_id and s.oidc_client_secret)


@router.get(START)
async def start(request: Request) -> Response:
    if (refused := _refusal(request)) is not None:
        return refused
    from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
    from authlib.oauth2.rfc7636 import create_s256_code_challenge

    try:
        metadata = await _metadata(request)
    except FetchError as e:
        return _provider_down(request, e)
    flow = {
        "state": secrets.token_urlsafe(24),
        "nonce": secrets.token_urlsafe(24),
        "verifier": secrets.token_urlsafe(48),
        "suite": safe_suite(request.query_params.get("suite", "")) or "/",
        "exp": expiry(request, FLOW_TTL),
    }
    uri = prepare_grant_uri(
        str(metadata.get("authorization_endpoint", "")),
        client_id=state.settings(request).oidc_client_id,
        response_type="code",
        redirect_uri=_redirect_uri(request),
        scope=SCOPE,
        state=flow["state"],
        nonce=flow["nonce"],
        code_challenge=create_s256_code_challenge(flow["verifier"]),
        code_challenge_method="S256",
    )
    response = RedirectResponse(uri, status_code=303)
    response.set_cookie(
        COOKIE,
        signer(request, "oidc").sign(flow),
        max_age=int(FLOW_TTL.total_seconds()),
        path=START,
        httponly=True,
        samesite="lax",  # the provider sends the browser back with a top-level GET
        secure=state.settings(request).base_url.startswith("https://"),
    )
    return response


@router.get(BACK)
async def back(request: Request) -> Response:
    if (refused := _refusal(request)) is not None:
        return refused
    flow = unsign(request, "oidc", request.cookies.get(COOKIE, ""))
    params = request.query_params
    if params.get("error"):
        reason = params.get("error_description") or params["error"]
        return error(request, 403, "Connexion refusée", f"Le fournisseur d'identité : {reason}.")
    if (
        flow is None
        or not secrets.compare_digest(params.get("state", ""), str(flow.get("state", "")))
        or not request.app.state.once.spend("oidc:" + flow["state"], float(flow["exp"]))
    ):
        return error(request, 403, "Connexion expirée", "Recommencez la connexion.")
    try:
        claims = await _claims(request, params.get("code", ""), flow)
    except FetchError as e:
        return _provider_down(request, e)
    except ValueError as e:
        return error(request, 403, "Connexion refusée", str(e))
    return _log_in(request, claims, str(flow["suite"]))


def _log_in(request: Request, claims: dict[str, Any], suite: str) -> Response:
    """The session of the account named by the configured claim (created as a reader the
    first time)."""
    claim = state.settings(request).oidc_claim
    try:
        name = account_name(str(claims.get(claim) or ""))
    except ValueError:
        return error(
            request,
            403,
            "Connexion refusée",
            f"Le fournisseur d'identité ne donne pas de « {claim} » utilisable comme nom "
            "de compte.",
        )
    store, now = state.store(request), state.now(request)
    if store.account(name) is None:
        shown = str(claims.get("name") or "")[:60]
        with suppress(ValueError):  # created meanwhile by another request: use it
            store.add_account(name, "lecteur", shown, now=now)
    found = store.credentials(name)
    if found is None or found[0].disabled:
        return error(request, 403, "Connexion refusée", "Ce compte est désactivé.")
    account, _, _, version = found
    response = RedirectResponse(suite, status_code=303)
    open_session(request, response, account, version, account.shown_name)
    response.delete_cookie(COOKIE, path=START)
    return response


async def _claims(request: Request, code: str, flow: dict[str, Any]) -> dict[str, Any]:
    """The checked claims of the ID token for ``code``; ValueError (French) when the
    provider's answer cannot be trusted."""
    from joserfc import jwt
    from joserfc.errors import JoseError
    from joserfc.jwk import KeySet

    settings = state.settings(request)
    metadata = await _metadata(request)
    basic = f"{settings.oidc_client_id}:{settings.oidc_client_secret}".encode()
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": _redirect_uri(request),
        "code_verifier": flow["verifier"],
    }
    tokens = await _json(
        request,
        "POST",
        str(metadata.get("token_endpoint", "")),
        body=urlencode(form).encode(),
        headers={
            "Authorization": "Basic " + b64encode(basic).decode(),
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    if not isinstance(tokens.get("id_token"), str):
        raise ValueError("le fournisseur d'identité n'a pas donné de jeton d'identité")
    keys = await _json(request, "GET", str(metadata.get("jwks_uri", "")))
    checks = jwt.JWTClaimsRegistry(
        now=int(state.now(request).timestamp()),
        leeway=LEEWAY,
        iss={"essential": True, "value": settings.oidc_issuer.rstrip("/")},
        aud={"essential": True, "value": settings.oidc_client_id},
        nonce={"essential": True, "value": flow["nonce"]},
        exp={"essential": True},
        sub={"essential": True},
    )
    try:
        token = jwt.decode(tokens["id_token"], KeySet.import_key_set(keys))  # type: ignore[arg-type]
        checks.validate(token.claims)
    except (JoseError, ValueError, TypeError, KeyError) as e:
        raise ValueError(f"jeton d'identité refusé ({e})") from e
    return dict(token.claims)


async def _json(request: Request, method: str, url: str, **kw: Any) -> dict[str, Any]:
    """A JSON object from the provider, under the fetcher's policy; FetchError otherwise."""
    from veille.ingest.fetch import Fetcher
    from veille.ingest.service import fetch_policy

    async with Fetcher(fetch_policy(state.settings(request))) as fetcher:
        answer = await fetcher.request(method, url, max_bytes=ANSWER_MAX, **kw)
    try:
        data = json.loads(answer.body or b"")
    except ValueError:
        data = None
    if answer.status != 200 or not isinstance(data, dict):
        raise FetchError(url, f"réponse inattendue du fournisseur d'identité ({answer.status})")
    return data


async def _metadata(request: Request) -> dict[str, Any]:
    """The provider's discovery document, with the endpoints a login needs; FetchError when
    it is not one (another issuer, an endpoint missing)."""
    issuer = state.settings(request).oidc_issuer.rstrip("/")
    url = f"{issuer}/.well-known/openid-configuration"
    metadata = await _json(request, "GET", url)
    endpoints = ("authorization_endpoint", "token_endpoint", "jwks_uri")
    if str(metadata.get("issuer", "")).rstrip("/") != issuer or not all(
        str(metadata.get(k, "")).startswith(("https://", "http://")) for k in endpoints
    ):
        raise FetchError(url, "ce n'est pas le document de découverte de cet émetteur")
    return metadata


def _redirect_uri(request: Request) -> str:
    return state.settings(request).base_url.rstrip("/") + BACK


def _refusal(request: Request) -> Response | None:
    if not configured(request):
        return error(
            request, 404, "Connexion externe absente", "Ce site n'utilise pas OpenID Connect."
        )
    return unavailable(request)


def _provider_down(request: Request, e: FetchError) -> Response:
    return error(
        request,
        502,
        "Fournisseur d'identité injoignable",  # or answering what no login can use
        f"La connexion par l'établissement est indisponible pour l'instant ({e}).",
    )
