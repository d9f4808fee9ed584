"""A real Matrix homeserver on loopback: Synapse with SQLite, from ``.venv-synapse`` (``make
test`` installs it from the hashed ``requirements/synapse.txt``, apart from veille's own
dependencies). Without it, the tests that need it are skipped with the reason — a failure in
CI (``CI=true``, see conftest).

The homeserver listens on 127.0.0.1 only, federates with nobody (no key server, no
federation listener) and has generous rate limits; users are registered with its shared
secret (``/_synapse/admin/v1/register``). ``Client`` speaks the client-server API as another
user would (creating rooms, inviting, reading messages back).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[1]
SYNAPSE_PYTHON = ROOT / ".venv-synapse" / "bin" / "python"
MISSING = (
    f"Synapse absent ({SYNAPSE_PYTHON}) : « make test » l'installe "
    "(ou : make .venv-synapse/.installed)"
)
SHARED_SECRET = "secret-d-enregistrement-des-tests"
START_TIMEOUT = 60.0
LIMITS = "{per_second: 1000, burst_count: 1000}"

CONFIG = """\
server_name: localhost
pid_file: {d}/homeserver.pid
listeners:
  - port: {port}
    bind_addresses: ['127.0.0.1']
    type: http
    tls: false
    x_forwarded: false
    resources: [{{names: [client], compress: false}}]
database: {{name: sqlite3, args: {{database: {d}/homeserver.db}}}}
log_config: {d}/log.yaml
media_store_path: {d}/media
signing_key_path: {d}/localhost.signing.key
registration_shared_secret: {secret}
report_stats: false
macaroon_secret_key: macaroon-des-tests
form_secret: form-des-tests
trusted_key_servers: []
suppress_key_server_warning: true
federation_domain_whitelist: []
enable_metrics: false
url_preview_enabled: false
presence: {{enabled: false}}
rc_message: {limits}
rc_registration: {limits}
rc_login: {{address: {limits}, account: {limits}, failed_attempts: {limits}}}
rc_joins: {{local: {limits}, remote: {limits}}}
rc_invites: {{per_room: {limits}, per_user: {limits}}}
"""

LOG_CONFIG = """\
version: 1
formatters: {precise: {format: '%(asctime)s %(name)s %(levelname)s %(message)s'}}
handlers: {file: {class: logging.FileHandler, formatter: precise, filename: LOG_FILE}}
root: {level: WARNING, handlers: [file]}
disable_existing_loggers: false
"""


class Homeserver:
    """``with Homeserver(folder) as hs:``; ``stop()`` and ``start()`` again (same port and
    database) to be unreachable for a while."""

    def __init__(self, folder: Path) -> None:
        if not SYNAPSE_PYTHON.exists():
            pytest.skip(MISSING)
        self.folder = folder
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        config = CONFIG.format(d=folder, port=self.port, secret=SHARED_SECRET, limits=LIMITS)
        (folder / "hs.yaml").write_text(config, encoding="utf-8")
        log = LOG_CONFIG.replace("LOG_FILE", str(folder / "hs.log"))
        (folder / "log.yaml").write_text(log, encoding="utf-8")
        self._synapse("--generate-keys")

    def _command(self, *args: str) -> list[str]:
        config = str(self.folder / "hs.yaml")
        return [str(SYNAPSE_PYTHON), "-m", "synapse.app.homeserver", "-c", config, *args]

    def _synapse(self, *args: str) -> None:
        subprocess.run(
            self._command(*args), check=True, capture_output=True, timeout=60, cwd=self.folder
        )

    def start(self) -> Homeserver:
        out = (self.folder / "stdout.txt").open("ab")
        self.process = subprocess.Popen(
            self._command(), stdout=out, stderr=subprocess.STDOUT, cwd=self.folder
        )
        out.close()
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                with urllib.request.urlopen(f"{self.url}/_matrix/client/versions", timeout=1):
                    return self
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    log = (self.folder / "stdout.txt").read_text(errors="replace")[-2000:]
                    raise RuntimeError(f"Synapse n'a pas démarré :\n{log}") from None
                time.sleep(0.1)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
            self.process = None

    def __enter__(self) -> Homeserver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def register(self, user: str) -> Client:
        """A new user (shared-secret registration), logged in."""
        _, answer = call(self.url, "GET", "/_synapse/admin/v1/register")
        nonce, password = answer["nonce"], f"mot-de-passe-{user}"
        mac = hmac.new(SHARED_SECRET.encode(), digestmod=hashlib.sha1)
        mac.update(b"\x00".join([nonce.encode(), user.encode(), password.encode(), b"notadmin"]))
        body = {"nonce": nonce, "username": user, "password": password, "mac": mac.hexdigest()}
        status, answer = call(self.url, "POST", "/_synapse/admin/v1/register", body)
        assert status == 200, answer
        return Client(self.url, answer["user_id"], answer["access_token"])


def call(
    base: str, method: str, path: str, body: Any = None, token: str | None = None
) -> tuple[int, dict[str, Any]]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:
            return resp.status, json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


class Client:
    """A user of the homeserver, through the client-server API."""

    def __init__(self, base: str, user_id: str, token: str) -> None:
        self.base, self.user_id, self.token = base, user_id, token

    def call(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        status, answer = call(self.base, method, "/_matrix/client/v3" + path, body, self.token)
        assert status == 200, (status, answer)
        return answer

    def create_room(self, *, invite: str, encrypted: bool = False, alias: str = "") -> str:
        body: dict[str, Any] = {"preset": "private_chat", "invite": [invite], "name": "Veille"}
        if encrypted:
            body["initial_state"] = [
                {
                    "type": "m.room.encryption",
                    "state_key": "",
                    "content": {"algorithm": "m.megolm.v1.aes-sha2"},
                }
            ]
        if alias:
            body["room_alias_name"] = alias
        return str(self.call("POST", "/createRoom", body)["room_id"])

    def messages(self, room_id: str, sender: str) -> list[dict[str, Any]]:
        """The ``m.room.message`` events of ``sender`` in the room, oldest first."""
        path = f"/rooms/{quote(room_id, safe='')}/messages?dir=b&limit=100"
        events = self.call("GET", path)["chunk"]
        return [
            e for e in reversed(events) if e["type"] == "m.room.message" and e["sender"] == sender
        ]
