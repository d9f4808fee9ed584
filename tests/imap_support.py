"""A real IMAP server for tests: Debian's Dovecot with a throwaway configuration.

::

    with DovecotServer() as server:                 # 127.0.0.1, a free port, no TLS
        server.empty()                               # a new mailbox, as on a fresh server
        server.append(b"From: …\\r\\n\\r\\n…")        # over IMAP (imaplib APPEND)
        server.uids("traité")                        # what a folder holds
        server.set_uidvalidity(4242)                 # doveadm: as after a server migration

Everything lives in a private temporary directory (configuration, users file, maildirs, logs):
one user ``veille`` (password ``PASSWORD``), passwords in clear in a ``passwd-file``, mail in
Maildir. Run as root (CI), Dovecot's own ``dovecot``/``dovenull`` users run its processes and
the mail belongs to ``nobody``; run as another user, everything runs as that user. Startup is
bounded (the greeting must come within ``STARTUP_TIMEOUT``), and ``stop()`` terminates, then
kills, the master process. Dovecot missing is a failure with the command to install it, never
a skip: ``make test`` installs it (``SYSTEM_DEPS``).
"""

from __future__ import annotations

import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.conftest import free_port, wait_until
from veille.ingest.imap import imap_utf7

DOVECOT = "/usr/sbin/dovecot"
DOVEADM = "/usr/bin/doveadm"
IMAP = "/usr/lib/dovecot/imap"  # dovecot-imapd (dovecot-core alone has no IMAP)
USER, PASSWORD = "veille", "mot-de-passe-de-test"
STARTUP_TIMEOUT = 15.0
MISSING = (
    "Dovecot est absent : les tests IMAP ont besoin d'un vrai serveur "
    "(apt-get install -y dovecot-imapd, ou make test qui l'installe)"
)

CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
# No wait after a refused login (the default is 2 s); Dovecot's growing penalty for an address
# that keeps failing stays: a test of bad credentials has a server of its own.
auth_failure_delay = 0
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{root}/mail/%u
default_internal_user = {internal_user}
default_login_user = {login_user}
first_valid_uid = 1
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/mail/%u
}}
namespace inbox {{
  inbox = yes
  separator = /
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0666
  }}
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
"""


class DovecotServer:
    """One Dovecot master on 127.0.0.1; use as a context manager."""

    def __init__(self) -> None:
        if not all(os.access(path, os.X_OK) for path in (DOVECOT, DOVEADM, IMAP)):
            pytest.fail(MISSING, pytrace=False)
        # As root, Dovecot's unprivileged processes must traverse every parent: /tmp, not a
        # private TMPDIR.
        parent = "/tmp" if os.geteuid() == 0 else None
        self.root = Path(tempfile.mkdtemp(prefix="veille-dovecot-", dir=parent))
        self.port = free_port()
        self.host = "127.0.0.1"
        self._process: subprocess.Popen[bytes] | None = None

    # --- lifecycle ------------------------------------------------------------------------------

    def start(self) -> DovecotServer:
        root = self.root
        root.chmod(0o755)  # Dovecot's unprivileged processes must reach their files
        for sub in ("run", "state", "mail"):
            (root / sub).mkdir()
        if os.geteuid() == 0:
            internal, login = "dovecot", "dovenull"
            owner = pwd.getpwnam("nobody")
            uid, gid = owner.pw_uid, owner.pw_gid
            os.chown(root / "mail", uid, gid)
        else:
            internal = login = pwd.getpwuid(os.geteuid()).pw_name
            uid, gid = os.geteuid(), os.getegid()
        (root / "users").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n", encoding="utf-8")
        (root / "dovecot.conf").write_text(
            CONFIG.format(
                root=root,
                port=self.port,
                internal_user=internal,
                login_user=login,
                uid=uid,
                gid=gid,
            ),
            encoding="utf-8",
        )
        self._process = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(root / "dovecot.conf")],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        self._wait_until_ready()
        return self

    def _wait_until_ready(self) -> None:
        def greeted() -> bool:
            assert self._process is not None
            if self._process.poll() is not None:
                output = self._process.stdout.read().decode() if self._process.stdout else ""
                self.stop()
                pytest.fail(f"Dovecot s'est arrêté au démarrage :\n{output}\n{self.log()}")
            with socket.create_connection((self.host, self.port), timeout=1) as conn:
                return conn.recv(100).startswith(b"* OK")

        try:
            wait_until(greeted, STARTUP_TIMEOUT, "Dovecot's greeting", interval=0.1)
        except AssertionError:
            self.stop()
            pytest.fail(f"Dovecot n'a pas répondu en {STARTUP_TIMEOUT:g} s :\n{self.log()}")

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
            if process.stdout:
                process.stdout.close()
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> DovecotServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def empty(self) -> None:
        """Remove the user's whole mailbox (folders, messages, UID lists): the next login starts
        a new one, UIDs from 1, as on a fresh server. Cheaper than a restart (~1 s to stop)."""
        shutil.rmtree(self.root / "mail" / USER, ignore_errors=True)

    # --- what the tests do to the mailbox -------------------------------------------------------

    def url(self, folder: str = "INBOX") -> str:
        """The feed URL of a folder (``imap://`` on loopback, for ``tls: none``)."""
        return f"imap://{USER}@{self.host}:{self.port}/{folder}"

    def client(self) -> imaplib.IMAP4:
        imap = imaplib.IMAP4(self.host, self.port, timeout=10)
        imap.login(USER, PASSWORD)
        return imap

    def append(self, message: bytes, folder: str = "INBOX") -> None:
        imap = self.client()
        try:
            status, data = imap.append(f'"{imap_utf7(folder)}"', None, None, message)
            assert status == "OK", data
        finally:
            imap.logout()

    def create(self, folder: str) -> None:
        imap = self.client()
        try:
            imap.create(f'"{imap_utf7(folder)}"')
        finally:
            imap.logout()

    def uids(self, folder: str = "INBOX") -> list[int]:
        imap = self.client()
        try:
            status, data = imap.select(f'"{imap_utf7(folder)}"', readonly=True)
            assert status == "OK", data
            _, data = imap.uid("SEARCH", "ALL")
            return [int(u) for u in (data[0] or b"").split()]
        finally:
            imap.logout()

    def set_uidvalidity(self, value: int, folder: str = "INBOX") -> None:
        """Change the folder's UIDVALIDITY, as a server migration or a rebuilt index does."""
        config = str(self.root / "dovecot.conf")
        command = [DOVEADM, "-c", config, "mailbox", "update", "-u", USER]
        command += ["--uid-validity", str(value), folder]
        subprocess.run(
            command,
            check=True,
            capture_output=True,
            timeout=30,
        )
