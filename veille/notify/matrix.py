"""A message in a Matrix room (Tchap is Matrix), through the client-server API.

::

    send(fetcher, homeserver, token, room, txn_id, content) -> event id
      = resolve      GET  /directory/room/{alias}                 an alias gives its room id
      │ unencrypted  GET  /rooms/{id}/state/m.room.encryption/    200: encrypted → refused
      │              POST /join/{id}                              403 (not a member yet): join
      │                                                           — accepts an invitation —
      │                                                           then look again
      │ send         PUT  /rooms/{id}/send/m.room.message/{txn}   → {"event_id": …}

Four calls of the client-server API over the project's own HTTP client (``Fetcher.request``:
the private-network policy, a total deadline, the answer capped), rather than matrix-nio,
which opens its own aiohttp session outside that policy, reads answers without a size cap
and retries forever by default.

**Never twice.** The transaction id is the same on every try of a row (``events.txn_id``):
the homeserver answers a repeated ``PUT`` with the event it already created (Synapse keeps
transaction ids for 24 hours, per access token), so a lost answer or a crash after the send
is simply tried again.

**Encrypted rooms are refused**, with a French message: veille would need its own device
keys to write in them (end-to-end encryption is a later step). An unencrypted room, or a
room of a Tchap bot account, works.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from veille.errors import NotifyError
from veille.ingest.fetch import RETRY_AFTER_CAP, Fetcher, parse_retry_after
from veille.models import FetchResult

API = "/_matrix/client/v3"


def encrypted_room(room: str) -> str:
    return (
        f"le salon {room} est chiffré de bout en bout : veille ne peut pas y écrire. "
        "Utilisez un salon non chiffré, ou un compte robot (voir le README, "
        "« Recevoir la veille dans Tchap »)"
    )


class MatrixClient:
    """The calls of one access token to one homeserver."""

    def __init__(
        self,
        fetcher: Fetcher,
        homeserver: str,
        token: str,
        token_env: str,
        now: Callable[[], datetime],
    ) -> None:
        self.fetcher = fetcher
        self.now = now
        self.base = homeserver.rstrip("/") + API
        self.token_env = token_env
        self.headers = {
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Accept": "application/json",
        }

    async def send(self, room: str, txn_id: str, content: dict[str, Any]) -> str:
        """Post ``content`` as an ``m.room.message`` in ``room`` (id or alias); the event id."""
        room_id = await self.room_id(room)
        await self.check_unencrypted(room_id, room)
        path = f"/rooms/{_q(room_id)}/send/m.room.message/{_q(txn_id)}"
        status, answer = await self.call("PUT", path, content)
        if status != 200 or not isinstance(answer.get("event_id"), str):
            raise self.refusal(status, answer, f"envoi dans le salon {room}")
        return str(answer["event_id"])

    async def room_id(self, room: str) -> str:
        if room.startswith("!"):
            return room
        status, answer = await self.call("GET", f"/directory/room/{_q(room)}")
        if status == 200 and isinstance(answer.get("room_id"), str):
            return str(answer["room_id"])
        raise self.refusal(status, answer, f"alias de salon {room}")

    async def check_unencrypted(self, room_id: str, room: str) -> None:
        """NotifyError (permanent) when ``m.room.encryption`` is set; joins the room first if
        the account is not a member yet (an invitation is accepted that way)."""
        for joined in (False, True):
            status, answer = await self.call(
                "GET", f"/rooms/{_q(room_id)}/state/m.room.encryption/"
            )
            if status == 200:
                raise NotifyError(encrypted_room(room), permanent=True)
            if status == 404:
                return
            if status != 403 or joined:
                raise self.refusal(status, answer, f"lecture du salon {room}")
            status, answer = await self.call("POST", f"/join/{_q(room_id)}", {})
            if status != 200:
                raise self.refusal(status, answer, f"entrée dans le salon {room}")

    async def call(
        self, method: str, path: str, body: dict[str, Any] | None = None
    ) -> tuple[int, dict[str, Any]]:
        """Status and JSON answer; 429 and 5xx raise a NotifyError to retry (after the
        delay the server asked for, if any)."""
        data = None if body is None else json.dumps(body, ensure_ascii=False).encode()
        reply = await self.fetcher.request(
            method, self.base + path, body=data, headers=self.headers
        )
        answer = _json(reply)
        if reply.status == 429 or reply.status >= 500:
            raise NotifyError(
                f"serveur Matrix indisponible ({reply.status}{_errcode(answer)})",
                retry_after=_retry_after(reply, answer, self.now),
            )
        return reply.status, answer

    def refusal(self, status: int, answer: dict[str, Any], what: str) -> NotifyError:
        """The French error of a refused call: permanent (a 4xx says what to fix)."""
        code = answer.get("errcode")
        if status == 401 or code in ("M_UNKNOWN_TOKEN", "M_MISSING_TOKEN"):
            message = f"jeton Matrix refusé{_errcode(answer)} : vérifiez {self.token_env}"
        elif code == "M_FORBIDDEN" or status == 403:
            message = (
                f"{what} refusée{_errcode(answer)} : invitez le compte de veille dans le "
                "salon et donnez-lui le droit d'écrire"
            )
        elif status == 404:
            message = f"{what} : introuvable{_errcode(answer)}"
        else:
            message = f"{what} : réponse {status}{_errcode(answer)}"
        detail = answer.get("error")
        if isinstance(detail, str) and detail:
            message += f" — {detail[:200]}"
        return NotifyError(message, permanent=True)


def _q(part: str) -> str:
    return quote(part, safe="")


def _json(reply: FetchResult) -> dict[str, Any]:
    try:
        value = json.loads(reply.body or b"{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _errcode(answer: dict[str, Any]) -> str:
    code = answer.get("errcode")
    return f", {code}" if isinstance(code, str) else ""


def _retry_after(
    reply: FetchResult, answer: dict[str, Any], now: Callable[[], datetime]
) -> timedelta | None:
    """The delay a 429 asks for: ``retry_after_ms`` of the Matrix error, else the
    ``Retry-After`` header; capped like the fetcher's."""
    ms = answer.get("retry_after_ms")
    if isinstance(ms, int) and not isinstance(ms, bool) and ms >= 0:
        return min(timedelta(milliseconds=ms), RETRY_AFTER_CAP)
    header = reply.headers.get("retry-after")
    return parse_retry_after(header, now()) if header else None
