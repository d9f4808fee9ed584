"""Read the messages of an IMAP folder (``type: imap``): the network edge for newsletters.

Blocking (stdlib :mod:`imaplib`): the pipeline runs each call in a thread. One session::

    session = reader.session(url, spec)      # nothing sent yet
    uidvalidity, uids = session.open()       # connect, TLS, login, SELECT, UID SEARCH ALL
    messages = session.fetch(new_uids)       # sizes and INTERNALDATE, then BODY.PEEK[] each
    session.move(done_uids)                  # to ``move_to`` (UID MOVE, else COPY + UID EXPUNGE)
    session.close()

Messages are read with ``BODY.PEEK[]``: their ``\\Seen`` flag is left alone (people may read
the same mailbox). The password never comes from feeds.yaml: :class:`ImapReader` gets
``VEILLE_IMAP_USER``, ``VEILLE_IMAP_PASSWORD`` and the environment, and ``password_env``
names the variable of a feed that needs another one. Folder names are sent in IMAP's
modified UTF-7 (``traité`` is ``trait&AOk-``). Errors become :class:`~veille.errors.FetchError`
with a French message.

The same network rules as HTTP fetching: only ``VEILLE_IMAP_*`` variables are readable (a
feed cannot send ``VEILLE_SECRET_KEY`` to a server of its choice), the server's resolved
address must be public unless ``host:port`` is in ``VEILLE_ALLOW_HOSTS`` (the connection goes
to the address checked, so a second DNS answer cannot redirect it), and a session has a total
deadline besides the per-operation timeout: a server trickling bytes is cut off.
"""

from __future__ import annotations

import base64
import contextlib
import imaplib
import ipaddress
import logging
import re
import socket
import ssl
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from veille.errors import FetchError
from veille.ingest.policy import host_key, is_forbidden_address
from veille.models import MailboxSpec

__all__ = ["ImapReader", "ImapSession", "MailMessage", "imap_utf7", "message_source"]
log = logging.getLogger(__name__)


DEFAULT_TIMEOUT = 30.0
DEFAULT_DEADLINE = 300.0  # a whole session: connect, log in, list, read, move
ENV_PREFIX = "VEILLE_IMAP_"  # the only variables a feed's ``password_env`` may name
MAX_MESSAGE_BYTES = 10 * 1024 * 1024
_FETCH_ITEM = re.compile(rb"UID (\d+)|RFC822\.SIZE (\d+)|INTERNALDATE \"([^\"]+)\"")


@dataclass(frozen=True, slots=True)
class MailMessage:
    """One message of the folder; ``raw`` is None when it exceeds the size limit."""

    uid: int
    raw: bytes | None
    received: datetime | None  # INTERNALDATE: when the server received it
    size: int


def imap_utf7(name: str) -> str:
    """A folder name in IMAP's modified UTF-7 (RFC 3501 §5.1.3)."""
    out: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            encoded = base64.b64encode("".join(pending).encode("utf-16-be")).decode("ascii")
            out.append("&" + encoded.rstrip("=").replace("/", ",") + "-")
            pending.clear()

    for char in name:
        if 0x20 <= ord(char) <= 0x7E:
            flush()
            out.append("&-" if char == "&" else char)
        else:
            pending.append(char)
    flush()
    return "".join(out)


def _quoted(name: str) -> str:
    escaped = imap_utf7(name).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def message_source(url: str, uid: int) -> str:
    """How a message is named in errors: the RFC 5092 form ``imaps://…/INBOX;UID=42``."""
    return f"{url.rstrip('/')};UID={uid}"


def _uid_set(uids: Iterable[int]) -> str:
    return ",".join(str(u) for u in uids)


def _internaldate(raw: bytes) -> datetime | None:
    try:
        return datetime.strptime(raw.decode("ascii").strip(), "%d-%b-%Y %H:%M:%S %z")
    except (UnicodeDecodeError, ValueError):
        return None


class ImapReader:
    """Opens sessions; holds the credentials and limits (built at the edge from settings)."""

    def __init__(
        self,
        password: str = "",
        *,
        user: str = "",
        environ: Mapping[str, str] | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        max_bytes: int = MAX_MESSAGE_BYTES,
        allowed_hosts: frozenset[str] = frozenset(),
        deadline: float = DEFAULT_DEADLINE,
    ) -> None:
        self._password = password
        self._user = user
        # Only what a feed may name: the other secrets are never in reach of feeds.yaml.
        self._environ = {k: v for k, v in (environ or {}).items() if k.startswith(ENV_PREFIX)}
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.allowed_hosts = allowed_hosts
        self.deadline = deadline

    def password_for(self, url: str, spec: MailboxSpec) -> str:
        name = spec.password_env or "VEILLE_IMAP_PASSWORD"
        if not name.startswith(ENV_PREFIX):
            raise FetchError(url, f"password_env : seules les variables {ENV_PREFIX}… sont lues")
        password = self._environ.get(spec.password_env) if spec.password_env else self._password
        if not password:
            raise FetchError(url, f"mot de passe IMAP absent : définissez la variable {name}")
        return password

    def user_for(self, url: str, spec: MailboxSpec) -> str:
        user = spec.user or self._user
        if not user:
            raise FetchError(
                url,
                "utilisateur IMAP absent : imaps://utilisateur@serveur/dossier ou VEILLE_IMAP_USER",
            )
        return user

    def session(self, url: str, spec: MailboxSpec) -> ImapSession:
        user, password = self.user_for(url, spec), self.password_for(url, spec)
        limits = _Limits(self.timeout, self.max_bytes, self.allowed_hosts, self.deadline)
        return ImapSession(url, spec, user, password, limits)


@dataclass(frozen=True, slots=True)
class _Limits:
    timeout: float  # per operation
    max_bytes: int
    allowed_hosts: frozenset[str]
    deadline: float  # the whole session


class ImapSession:
    """One connection to one folder. Every method blocks: call it from a thread."""

    def __init__(
        self,
        url: str,
        spec: MailboxSpec,
        user: str,
        password: str,
        limits: _Limits,
    ) -> None:
        self.url, self.spec, self.user = url, spec, user
        self._password, self._limits = password, limits
        self._timeout, self._max_bytes = limits.timeout, limits.max_bytes
        self._imap: imaplib.IMAP4 | None = None
        self._watchdog: threading.Timer | None = None
        self._sockets: list[socket.socket] = []  # what the watchdog cuts
        self.expired = False  # the total deadline cut the session

    # --- the session ---------------------------------------------------------------------------

    def open(self) -> tuple[int, list[int]]:
        """Connect, log in, select the folder: ``(UIDVALIDITY, UIDs present)``."""
        with self._errors("connexion"):
            addresses = self._addresses()
            self._start_watchdog()
            self._imap = self._connect(addresses)
            self._login(self._imap)
            status, data = self._imap.select(_quoted(self.spec.folder))
            if status != "OK":
                raise FetchError(
                    self.url, f"dossier IMAP « {self.spec.folder} » introuvable ({_text(data)})"
                )
            _, validity = self._imap.response("UIDVALIDITY")
            if not validity or not validity[0]:
                raise FetchError(self.url, "le serveur IMAP n'indique pas d'UIDVALIDITY")
            uidvalidity = int(validity[0])
            status, data = self._imap.uid("SEARCH", "ALL")
            self._check(status, data, "recherche des messages")
            uids = sorted(int(u) for u in b" ".join(d for d in data if d).split())
        return uidvalidity, uids

    def fetch(self, uids: Sequence[int]) -> list[MailMessage]:
        """The messages of these UIDs (in UID order); those over the size limit without body."""
        imap = self._session()
        if not uids:
            return []
        messages = []
        with self._errors("lecture des messages"):
            status, data = imap.uid("FETCH", _uid_set(uids), "(UID RFC822.SIZE INTERNALDATE)")
            self._check(status, data, "lecture des messages")
            sizes: dict[int, tuple[int, datetime | None]] = {}
            for line in data:
                if isinstance(line, bytes):
                    uid, size, received = _fetch_items(line)
                    if uid is not None:
                        sizes[uid] = (size, received)
            for uid in sorted(sizes):
                size, received = sizes[uid]
                raw = self._body(imap, uid) if size <= self._max_bytes else None
                messages.append(MailMessage(uid, raw, received, size))
        return messages

    def move(self, uids: Sequence[int]) -> None:
        """Move these messages to ``move_to`` (created when missing)."""
        target = self.spec.move_to
        imap = self._session()
        if not uids or not target:
            return
        with self._errors("déplacement des messages"):
            imap.create(_quoted(target))  # "already exists" is fine
            _, data = imap.capability()  # after login: the greeting's list may be shorter
            capabilities = set(_text(data).upper().split()) | set(imap.capabilities)
            if "MOVE" in capabilities:
                status, data = imap.uid("MOVE", _uid_set(uids), _quoted(target))
                self._check(status, data, f"déplacement vers « {target} »")
            elif "UIDPLUS" in capabilities:
                status, data = imap.uid("COPY", _uid_set(uids), _quoted(target))
                self._check(status, data, f"copie vers « {target} »")
                imap.uid("STORE", _uid_set(uids), "+FLAGS.SILENT", r"(\Deleted)")
                imap.uid("EXPUNGE", _uid_set(uids))
            else:
                raise FetchError(
                    self.url,
                    "ce serveur IMAP ne sait pas déplacer un message (ni MOVE ni UIDPLUS) : "
                    "retirez « move_to » de la source",
                )

    def close(self) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
        imap, self._imap = self._imap, None
        if imap is None:
            return
        with contextlib.suppress(imaplib.IMAP4.error, OSError):  # going away anyway
            imap.logout()

    # --- helpers ------------------------------------------------------------------------------

    def _session(self) -> imaplib.IMAP4:
        if self._imap is None:
            raise RuntimeError("ImapSession.open() must be called first")
        return self._imap

    def _addresses(self) -> list[str]:
        """The server's addresses, checked like an HTTP fetch's (private networks refused
        unless ``host:port`` is allowed)."""
        host, port = self.spec.host, self.spec.port
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        addresses = list(dict.fromkeys(str(info[4][0]) for info in found))
        if host_key(host, port) in self._limits.allowed_hosts:
            return addresses
        public = [a for a in addresses if not is_forbidden_address(ipaddress.ip_address(a))]
        if not public:  # the address stays in the log (see fetch: internal DNS is private)
            log.warning("private address refused: %s resolves to %s", host, addresses[0])
            raise FetchError(self.url, f"adresse privée refusée : {host}")
        return public

    def _connect(self, addresses: list[str]) -> imaplib.IMAP4:
        host, port, timeout = self.spec.host, self.spec.port, self._timeout
        pin = _Pin(addresses, self._sockets.append)
        if self.spec.tls == "ssl":
            context = ssl.create_default_context()
            return _PinnedIMAP4SSL(pin, host, port, ssl_context=context, timeout=timeout)
        imap = _PinnedIMAP4(pin, host, port, timeout=timeout)
        if self.spec.tls == "starttls":
            try:
                imap.starttls(ssl_context=ssl.create_default_context())
            except imaplib.IMAP4.error as e:
                imap.shutdown()
                raise FetchError(self.url, f"le serveur IMAP refuse STARTTLS ({e})") from e
        return imap

    def _start_watchdog(self) -> None:
        """Cut the connection when the session's total deadline passes (from the connection
        on, greeting included): a blocked read then fails at once, whatever the
        per-operation timeout."""

        def expire() -> None:
            self.expired = True
            for sock in self._sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

        self._watchdog = threading.Timer(self._limits.deadline, expire)
        self._watchdog.daemon = True
        self._watchdog.start()

    def _login(self, imap: imaplib.IMAP4) -> None:
        user, password = self.user, self._password
        try:
            if user.isascii() and password.isascii():
                imap.login(user, password)
            else:  # LOGIN is ASCII only; AUTHENTICATE PLAIN carries UTF-8
                credentials = f"\0{user}\0{password}".encode()
                imap.authenticate("PLAIN", lambda _: credentials)
        except imaplib.IMAP4.error as e:
            raise FetchError(self.url, f"identifiants IMAP refusés pour « {user} »") from e

    def _body(self, imap: imaplib.IMAP4, uid: int) -> bytes | None:
        status, data = imap.uid("FETCH", str(uid), "(BODY.PEEK[])")
        self._check(status, data, f"lecture du message {uid}")
        for item in data:
            if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
                return item[1]
        return None  # expunged meanwhile

    def _check(self, status: str, data: Sequence[object], what: str) -> None:
        if status != "OK":
            raise FetchError(self.url, f"IMAP : échec de la {what} ({_text(data)})")

    def _errors(self, what: str) -> _ImapErrors:
        return _ImapErrors(self, what)


class _ImapErrors:
    """Turns the network and protocol errors of a block into French :class:`FetchError`."""

    def __init__(self, session: ImapSession, what: str) -> None:
        self.session, self.what = session, what

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, _: object
    ) -> None:
        if error is None or isinstance(error, FetchError):
            return
        url, spec = self.session.url, self.session.spec
        where = f"{spec.host}:{spec.port}"
        if self.session.expired:
            deadline = self.session._limits.deadline
            message = (
                f"le serveur IMAP {where} est trop lent : délai total de {deadline:g} s dépassé"
            )
        elif isinstance(error, socket.gaierror):
            message = f"serveur IMAP introuvable : {spec.host}"
        elif isinstance(error, ConnectionRefusedError):
            message = f"connexion IMAP refusée par {where}"
        elif isinstance(error, TimeoutError):
            message = f"le serveur IMAP {where} ne répond pas ({self.session._timeout:g} s)"
        elif isinstance(error, ssl.SSLCertVerificationError):
            message = f"certificat TLS du serveur IMAP {where} refusé ({error.verify_message})"
        elif isinstance(error, ssl.SSLError | OSError):
            message = f"erreur réseau IMAP ({self.what}) : {error}"
        elif isinstance(error, imaplib.IMAP4.error):
            message = f"erreur IMAP ({self.what}) : {error}"
        else:
            return
        raise FetchError(url, message) from error


@dataclass(frozen=True, slots=True)
class _Pin:
    """Where to connect (the addresses checked beforehand, tried in order) and who must know
    each socket."""

    addresses: list[str]
    register: Callable[[socket.socket], None]

    def connect(self, port: int, timeout: float | None) -> socket.socket:
        error: OSError | None = None
        for address in self.addresses:
            try:
                sock = socket.create_connection((address, port), timeout)
            except OSError as e:
                error = e
                continue
            self.register(sock)
            return sock
        assert error is not None  # at least one address was checked
        raise error


class _PinnedIMAP4(imaplib.IMAP4):
    """IMAP connected to the pinned address (``host`` stays the server's name)."""

    def __init__(self, pin: _Pin, host: str, port: int, **kw: Any) -> None:
        self._pin = pin
        super().__init__(host, port, **kw)

    def _create_socket(self, timeout: float | None) -> socket.socket:
        return self._pin.connect(self.port, timeout)


class _PinnedIMAP4SSL(imaplib.IMAP4_SSL):
    """IMAP over TLS to the pinned address; the certificate is checked against the name."""

    def __init__(self, pin: _Pin, host: str, port: int, **kw: Any) -> None:
        self._pin = pin
        super().__init__(host, port, **kw)

    def _create_socket(self, timeout: float | None) -> socket.socket:
        wrapped = self.ssl_context.wrap_socket(
            self._pin.connect(self.port, timeout), server_hostname=self.host
        )
        self._pin.register(wrapped)
        return wrapped


def _fetch_items(line: bytes) -> tuple[int | None, int, datetime | None]:
    uid, size, received = None, 0, None
    for m in _FETCH_ITEM.finditer(line):
        if m.group(1):
            uid = int(m.group(1))
        elif m.group(2):
            size = int(m.group(2))
        else:
            received = _internaldate(m.group(3))
    return uid, size, received


def _text(data: Sequence[object]) -> str:
    parts = [d.decode("utf-8", "replace") if isinstance(d, bytes) else str(d) for d in data]
    return " ".join(p for p in parts if p) or "sans détail"
