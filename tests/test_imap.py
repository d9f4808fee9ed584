"""Newsletters by e-mail, ``type: imap``.

The message reader is pure and tested on crafted messages; the mailbox side runs against a
real Dovecot on 127.0.0.1 (``tests.imap_support``), through the real Updater (parser processes,
store on each backend): ingestion, a second run after a reconnect, a UIDVALIDITY change, a
malformed message among good ones, the move to « traité », bad credentials, ``veille check``.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from textwrap import dedent

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from tests.conftest import free_port, run_updater
from tests.imap_support import PASSWORD, USER, DovecotServer
from veille.cli.app import app
from veille.config.load import load_config, validate_config
from veille.errors import FetchError, ParseError
from veille.ingest.imap import ImapReader, imap_utf7
from veille.ingest.parse.newsletter import read_message
from veille.ingest.workers import ParserPool
from veille.models import Config, FeedSpec, MailboxSpec, Selection, UpdateResult
from veille.store import Store

pytestmark = pytest.mark.slow  # end to end: `-m 'not slow'` for a quick loop

NOW = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
SOURCE = "imap://veille@127.0.0.1/INBOX;UID=1"

LETTER_HTML = """\
<!DOCTYPE html><html><head><title>Édu_Num</title>
<style>.x { color: red }</style></head>
<body>
<div style="display:none;font-size:1px;max-height:0;overflow:hidden">Texte d'aperçu caché</div>
<p><a href="https://eduscol.education.fr/lettre/42?utm_source=newsletter">Voir la version
en ligne</a></p>
<h1>Édu_Num n° 42 : l'IA en classe</h1>
<p>Bonjour à toutes et à tous,
<a href="https://r.emailing.education.gouv.fr/mk/cl/f/AbC123">lire le dossier</a>.</p>
<img src="https://eduscol.education.fr/logo.png" alt="Éduscol" width="200">
<img src="https://r.emailing.education.gouv.fr/mk/op/XyZ" width="1" height="1" alt="">
<img src="https://eduscol.education.fr/p.gif" style="width:1px;height:1px;border:0">
<img src="https://x.list-manage.com/track/open.php?u=1&id=2" alt="">
<img src="cid:logo@local" alt="logo joint">
<p hidden>caché aussi</p>
<script>alert("xss")</script>
<p><a href="javascript:alert(1)">piège</a></p>
</body></html>
"""


def letter(
    subject: str = "Édu_Num n° 42 : l'IA en classe",
    *,
    sender: str = "Édu_Num <lettre@education.gouv.fr>",
    message_id: str | None = "<edunum-42@education.gouv.fr>",
    date: datetime | None = datetime(2026, 11, 28, 9, 15, tzinfo=UTC),
    html: str | None = LETTER_HTML,
    text: str | None = "Bonjour à tous,\n\nLe texte brut.",
) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "veille@ac-exemple.fr"
    msg["Subject"] = subject
    if message_id:
        msg["Message-ID"] = message_id
    if date:
        msg["Date"] = format_datetime(date)
    if text is not None:
        msg.set_content(text)
    if html is not None:
        if text is None:
            msg.set_content(html, subtype="html")
        else:
            msg.add_alternative(html, subtype="html")
    return msg.as_bytes()


MALFORMED = (
    b"From: DANE <dane@ac-exemple.fr>\r\nSubject: Lettre cass\xc3\xa9e\r\n"
    b"Message-ID: <cassee@ac-exemple.fr>\r\nMIME-Version: 1.0\r\n"
    b'Content-Type: multipart/alternative; boundary="FRONTIERE"\r\n\r\n'
    b"Le corps ne contient jamais la fronti\xc3\xa8re annonc\xc3\xa9e.\r\n"
)


# --- the message, pure --------------------------------------------------------------------------


def test_html_letter_becomes_a_clean_entry() -> None:
    entry = read_message(SOURCE, letter(), None, NOW)
    assert entry.key == entry.guid == "edunum-42@education.gouv.fr"
    assert (entry.title, entry.author) == ("Édu_Num n° 42 : l'IA en classe", "Édu_Num")
    assert entry.published == datetime(2026, 11, 28, 9, 15, tzinfo=UTC)
    assert entry.url == "https://eduscol.education.fr/lettre/42"  # the "version en ligne"
    html = entry.content_html
    assert "https://eduscol.education.fr/logo.png" in html  # a real image stays
    for gone in ("mk/op", "p.gif", "list-manage", "cid:", "caché", "aperçu", "alert", "script"):
        assert gone not in html, gone
    # a tracking redirect stays a plain link, never resolved
    assert '<a href="https://r.emailing.education.gouv.fr/mk/cl/f/AbC123"' in html
    assert "javascript" not in html
    assert entry.summary_html.startswith("<p>Voir la version en ligne Édu_Num n° 42")
    assert "caché" not in entry.summary_html


def test_text_only_letter_is_escaped_paragraphs() -> None:
    raw = letter(html=None, text="Bonjour <b>à</b> tous,\n\nDeuxième paragraphe & fin.")
    entry = read_message(SOURCE, raw, None, NOW)
    assert entry.content_html == (
        "<p>Bonjour &lt;b&gt;à&lt;/b&gt; tous,</p><p>Deuxième paragraphe &amp; fin.</p>"
    )


@pytest.mark.parametrize(
    ("kwargs", "received", "expected"),
    [
        ({}, None, datetime(2026, 11, 28, 9, 15, tzinfo=UTC)),  # the Date header
        (
            {"date": None},
            datetime(2026, 11, 29, 7, 0, tzinfo=UTC),
            datetime(2026, 11, 29, 7, 0, tzinfo=UTC),
        ),
        ({"date": None}, None, None),  # the store then uses the first-seen time
        ({"date": datetime(2031, 1, 1, tzinfo=UTC)}, None, NOW),  # future: clamped
    ],
)
def test_date_from_header_else_internaldate(
    kwargs: dict[str, object], received: datetime | None, expected: datetime | None
) -> None:
    entry = read_message(SOURCE, letter(**kwargs), received, NOW)  # type: ignore[arg-type]
    assert entry.published == expected


def test_subject_is_text_and_controls_are_removed() -> None:
    # Header values arrive RFC 2047-encoded: a control character survives the transport.
    raw = letter(
        "Le <b>numérique</b> & l'école\x1b",
        sender="=?utf-8?q?=C3=89du=5FNum=7F?= <lettre@education.gouv.fr>",
        html="<p>Corps\x0b\x7f du message</p>",
        text=None,
    )
    entry = read_message(SOURCE, raw, None, NOW)
    assert (entry.title, entry.author) == ("Le numérique & l'école", "Édu_Num")
    assert entry.content_html == "<p>Corps du message</p>"


def test_without_message_id_or_subject() -> None:
    entry = read_message(SOURCE, letter(subject="", message_id=None, html=None), None, NOW)
    assert entry.guid is None and entry.key.startswith("hash:")
    assert entry.title == "(sans objet)"
    sender = read_message(SOURCE, letter(sender="lettre@dane.ac-exemple.fr"), None, NOW)
    assert sender.author == "lettre@dane.ac-exemple.fr"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (MALFORMED, "délimiteur multipart introuvable"),
        (
            b"From: a@b.fr\r\nSubject: x\r\nContent-Type: multipart/mixed\r\n\r\ncorps\r\n",
            "multipart sans délimiteur",
        ),
        (b"\x00\x01 ce n'est pas un message \xff", "pas d'en-têtes"),
    ],
)
def test_malformed_mime_is_a_parse_error(raw: bytes, reason: str) -> None:
    with pytest.raises(ParseError, match=reason):
        read_message(SOURCE, raw, None, NOW)


def test_unknown_charset_is_read_anyway() -> None:
    raw = (
        b"From: a@b.fr\r\nSubject: x\r\nContent-Type: text/plain; charset=x-inconnu\r\n"
        b"\r\nCaf\xc3\xa9\r\n"
    )
    assert read_message(SOURCE, raw, None, NOW).content_html == "<p>Café</p>"


@pytest.mark.parametrize(
    ("name", "encoded"),
    [
        ("INBOX", "INBOX"),
        ("traité", "trait&AOk-"),
        ("R&D", "R&-D"),
        ("Équipe/Été", "&AMk-quipe/&AMk-t&AOk-"),
    ],
)
def test_imap_utf7(name: str, encoded: str) -> None:
    assert imap_utf7(name) == encoded
    assert imap_utf7(name).encode("ascii")  # what goes on the wire is ASCII


# --- feeds.yaml ---------------------------------------------------------------------------------


def _config(tmp_path: Path, feed: str) -> Path:
    path = tmp_path / "feeds.yaml"
    path.write_text("feeds:\n" + dedent(feed), encoding="utf-8")
    return path


def test_imap_source_in_feeds_yaml(tmp_path: Path) -> None:
    path = _config(
        tmp_path,
        """\
          - id: lettres
            type: imap
            url: imaps://veille%40ac-exemple.fr@imap.ac-exemple.fr/Lettres%20DANE
            password_env: VEILLE_IMAP_PASSWORD_DANE
            move_to: traité
          - id: locale
            type: imap
            url: imap://127.0.0.1:1143
            tls: none
        """,
    )
    first, second = load_config(path).feeds
    assert first.mailbox == MailboxSpec(
        host="imap.ac-exemple.fr",
        user="veille@ac-exemple.fr",
        folder="Lettres DANE",
        port=993,
        tls="ssl",
        password_env="VEILLE_IMAP_PASSWORD_DANE",
        move_to="traité",
    )
    assert second.mailbox == MailboxSpec(host="127.0.0.1", port=1143, tls="none")


@pytest.mark.parametrize(
    ("feed", "line", "reason"),
    [
        ("url: imaps://u:secret@h.fr/INBOX", 4, "pas de mot de passe dans feeds.yaml"),
        ("url: imap://u@mail.ac-exemple.fr/INBOX\n    tls: none", 5, "que vers 127.0.0.1"),
        ("url: imaps://u@h.fr/INBOX\n    tls: starttls", 5, "contradictoire"),
        ("url: imap://u@h.fr/INBOX\n    tls: tls1.3", 5, "inconnu"),
        ("url: imaps://u@h.fr/INBOX\n    password_env: mot de passe", 5, "nom de variable"),
        ("url: imaps://u@h.fr/INBOX\n    move_to: INBOX", 5, "un autre dossier"),
    ],
)
def test_imap_source_errors(tmp_path: Path, feed: str, line: int, reason: str) -> None:
    path = _config(tmp_path, f"  - id: l\n    type: imap\n    {feed}\n")
    errors = validate_config(path)
    assert [e.line for e in errors if reason in e.reason] == [line], errors


# --- a real IMAP server -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def _dovecot_server() -> Iterator[DovecotServer]:
    with DovecotServer() as server:
        yield server


@pytest.fixture
def dovecot(_dovecot_server: DovecotServer) -> DovecotServer:
    """The module's Dovecot with an empty mailbox (a restart per test cost ~1 s to stop)."""
    _dovecot_server.empty()
    return _dovecot_server


def _spec(server: DovecotServer | int, **kw: object) -> FeedSpec:
    """The source of ``server``'s INBOX (or of a port, as a server there would be)."""
    port = server if isinstance(server, int) else server.port
    mailbox = MailboxSpec(host="127.0.0.1", user=USER, port=port, tls="none", **kw)  # type: ignore[arg-type]
    return FeedSpec(
        "lettres", f"imap://{USER}@127.0.0.1:{port}/INBOX", type="imap", mailbox=mailbox
    )


def allowed(spec: FeedSpec) -> frozenset[str]:
    """The test server is on loopback: allowed as VEILLE_ALLOW_HOSTS would."""
    assert spec.mailbox is not None
    return frozenset({f"{spec.mailbox.host}:{spec.mailbox.port}"})


def _update(
    store: Store, pool: ParserPool, spec: FeedSpec, password: str = PASSWORD
) -> UpdateResult:
    imap = ImapReader(password, timeout=10, allowed_hosts=allowed(spec))
    config = Config(path="feeds.yaml", feeds=(spec,))
    (result,) = run_updater(store, pool, lambda: NOW, config=config, imap=imap).values()
    return result


def _titles(store: Store) -> list[str]:
    page = store.list_entries(Selection(since=NOW - timedelta(days=60)))
    return sorted(e.title for e in page.entries)


def _remembered(store: Store) -> list[tuple[int, int, bool]]:
    with store.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT uidvalidity, uid, error FROM imap_message"))
        return sorted((int(r[0]), int(r[1]), r[2] is None) for r in rows)


def test_messages_are_ingested_once(store: Store, pool: ParserPool, dovecot: DovecotServer) -> None:
    dovecot.append(letter())
    dovecot.append(
        letter("Lettre de la DANE", sender="DANE <dane@ac-exemple.fr>", message_id="<d1@ac>")
    )
    spec = _spec(dovecot)
    result = _update(store, pool, spec)
    assert (result.status, result.new, result.error) == ("ok", 2, None)
    assert _titles(store) == ["Lettre de la DANE", "Édu_Num n° 42 : l'IA en classe"]
    (state,) = store.feed_states()
    assert (state.status, state.entries, state.title) == ("ok", 2, "Lettres d'information — INBOX")
    entry = next(e for e in store.list_entries(Selection()).entries if e.author == "Édu_Num")
    assert "list-manage" not in entry.content_html and "logo.png" in entry.content_html

    # a new connection, nothing new: nothing read again, nothing duplicated
    assert (_update(store, pool, spec).status, store.feed_states()[0].entries) == ("ok", 2)
    dovecot.append(
        letter("Bulletin Canopé", sender="Canopé <info@reseau-canope.fr>", message_id="<c1@canope>")
    )
    result = _update(store, pool, spec)
    assert (result.status, result.new) == ("ok", 1)
    assert len(_titles(store)) == 3
    assert dovecot.uids() == [1, 2, 3]  # read with BODY.PEEK, left in place without move_to


def test_uidvalidity_change_reads_again_without_duplicates(
    store: Store, pool: ParserPool, dovecot: DovecotServer
) -> None:
    dovecot.append(letter())
    dovecot.append(letter("Lettre de la DANE", message_id="<d1@ac>"))
    spec = _spec(dovecot)
    assert _update(store, pool, spec).new == 2
    before = _remembered(store)
    dovecot.set_uidvalidity(4242)
    result = _update(store, pool, spec)
    assert (result.status, result.new, result.updated) == ("ok", 0, 0)
    assert len(_titles(store)) == 2
    after = _remembered(store)
    assert [v for v, _, _ in after] == [4242, 4242] and before[0][0] != 4242


def test_malformed_message_is_recorded_and_does_not_block_the_others(
    store: Store, pool: ParserPool, dovecot: DovecotServer
) -> None:
    dovecot.append(letter())
    dovecot.append(MALFORMED)
    dovecot.append(letter("Lettre de la DANE", message_id="<d1@ac>"))
    spec = _spec(dovecot)
    result = _update(store, pool, spec)
    assert (result.status, result.new) == ("error", 2)
    (state,) = store.feed_states()
    assert state.status == "error" and state.entries == 2
    assert state.last_error is not None
    assert "1 message illisible" in state.last_error
    assert ";UID=2 : message MIME mal formé : délimiteur multipart introuvable" in state.last_error
    assert _remembered(store)[1][1:] == (2, False)

    # reported once: the next update is clean, and still reads nothing twice
    result = _update(store, pool, spec)
    assert (result.status, result.new) == ("ok", 0)
    assert store.feed_states()[0].status == "ok"


def test_processed_messages_move_to_traite(
    store: Store, pool: ParserPool, dovecot: DovecotServer
) -> None:
    dovecot.append(letter())
    dovecot.append(MALFORMED)
    spec = _spec(dovecot, move_to="traité")
    assert _update(store, pool, spec).new == 1
    assert dovecot.uids() == [2]  # the unreadable one stays for a human to look at
    assert len(dovecot.uids("traité")) == 1
    dovecot.append(letter("Lettre de la DANE", message_id="<d1@ac>"))
    result = _update(store, pool, spec)
    assert (result.status, result.new) == ("ok", 1)
    assert dovecot.uids() == [2] and len(dovecot.uids("traité")) == 2
    assert len(_titles(store)) == 2


def test_bad_credentials_are_a_feed_error(store: Store, pool: ParserPool) -> None:
    # A server of its own: Dovecot delays every later login from an address that failed one
    # (seconds, growing), and the good login comes first for the same reason.
    with DovecotServer() as dovecot:
        missing = _update(store, pool, _spec(dovecot, folder="Inexistant"))
        result = _update(store, pool, _spec(dovecot), password="faux")
    assert missing.error is not None and "dossier IMAP « Inexistant » introuvable" in missing.error
    assert result.status == "error"
    assert result.error == f"identifiants IMAP refusés pour « {USER} »"
    absent = _update(store, pool, _spec(dovecot), password="")
    assert absent.error == "mot de passe IMAP absent : définissez la variable VEILLE_IMAP_PASSWORD"


def test_password_env_and_check_fetch(
    tmp_path: Path, dovecot: DovecotServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    dovecot.append(letter())
    dovecot.append(MALFORMED)
    path = _config(
        tmp_path,
        f"""\
          - id: lettres
            type: imap
            url: {dovecot.url()}
            tls: none
            password_env: VEILLE_IMAP_LETTRES
        """,
    )
    monkeypatch.setenv("VEILLE_CONFIG", str(path))
    monkeypatch.setenv("VEILLE_IMAP_LETTRES", PASSWORD)
    monkeypatch.setenv("VEILLE_ALLOW_HOSTS", f"{dovecot.host}:{dovecot.port}")
    monkeypatch.setenv("COLUMNS", "200")
    result = CliRunner().invoke(app, ["check", "--fetch", "lettres"])
    assert result.exit_code == 1, result.output  # one message is unreadable
    assert "Dossier IMAP « INBOX » — 2 messages" in result.output
    # sent at 09:15 UTC, shown in Europe/Paris
    assert "  - 28/11/2026 10:15  Édu_Num n° 42 : l'IA en classe  (Édu_Num)" in result.output
    assert "UID 2 illisible : message MIME mal formé" in result.output
    assert dovecot.uids() == [1, 2]  # check reads, it neither remembers nor moves


def test_server_down_is_a_feed_error(store: Store, pool: ParserPool) -> None:
    port = free_port()  # nobody listens there, as on a server that is down
    result = _update(store, pool, _spec(port))
    assert result.status == "error"
    assert result.error == f"connexion IMAP refusée par 127.0.0.1:{port}"


# --- the same network rules as HTTP -------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["VEILLE_SECRET_KEY", "VEILLE_ADMIN_TOKEN", "VEILLE_SMTP_PASSWORD", "HOME"]
)
def test_password_env_reads_only_imap_variables(tmp_path: Path, name: str) -> None:
    path = _config(
        tmp_path,
        f"""\
          - id: lettres
            type: imap
            url: imaps://veille@imap.ac-exemple.fr/INBOX
            password_env: {name}
        """,
    )
    errors = validate_config(path)
    assert [(e.line, "VEILLE_IMAP_" in e.reason) for e in errors] == [(5, True)], errors
    # And the reader itself never holds another secret, whatever the spec says.
    reader = ImapReader(environ={name: "secret", "VEILLE_IMAP_X": "ok"})
    spec = MailboxSpec(host="imap.ac-exemple.fr", user="veille", password_env=name)
    with pytest.raises(FetchError, match="VEILLE_IMAP_"):
        reader.password_for("imaps://imap.ac-exemple.fr/INBOX", spec)


def test_a_private_imap_server_is_refused_unless_allowed(
    store: Store, pool: ParserPool, dovecot: DovecotServer
) -> None:
    dovecot.append(letter())
    spec = _spec(dovecot)
    session = ImapReader(PASSWORD, timeout=5).session(spec.url, spec.mailbox)  # type: ignore[arg-type]
    logins = dovecot.log().count("imap-login:")
    with pytest.raises(FetchError, match=r"adresse privée refusée : 127\.0\.0\.1\Z"):
        session.open()
    assert dovecot.log().count("imap-login:") == logins  # refused before connecting
    assert _update(store, pool, spec).status == "ok"  # allowed: read as before


class TricklingImap:
    """An IMAP server on loopback that greets, then answers any command one byte every 0.2 s:
    each read succeeds within the per-operation timeout, the session never ends."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        self.listener.settimeout(0.2)
        while not self.stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            with conn:
                conn.sendall(b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] pret\r\n")
                for _ in range(300):  # bounded: 60 s at most
                    if self.stop.wait(0.2):
                        break
                    with contextlib.suppress(OSError):
                        conn.sendall(b"*")

    def __enter__(self) -> TricklingImap:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(5)
        self.listener.close()


def test_a_trickling_imap_server_is_cut_at_the_total_deadline() -> None:
    with TricklingImap() as server:
        spec = MailboxSpec(host="127.0.0.1", user=USER, port=server.port, tls="none")
        reader = ImapReader(
            PASSWORD, timeout=5, deadline=1.5, allowed_hosts=frozenset({f"127.0.0.1:{server.port}"})
        )
        session = reader.session("imap://127.0.0.1/INBOX", spec)
        started = time.monotonic()
        with pytest.raises(FetchError, match=r"délai total de 1\.5 s dépassé"):
            session.open()
        session.close()
        assert time.monotonic() - started < 5


class TlsImap:
    """A minimal IMAP server over TLS on 127.0.0.1 (certificate for ``localhost``): greets,
    answers CAPABILITY, refuses every login. Enough to prove the TLS connection made to the
    checked address verifies the certificate against the server's name."""

    def __init__(self, tmp_path: Path) -> None:
        self.cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
             "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
             "-keyout", str(key), "-out", str(self.cert)],
            check=True, capture_output=True, timeout=60,
        )  # fmt: skip
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(self.cert, key)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        self.listener.settimeout(10)
        with contextlib.suppress(OSError), self.listener.accept()[0] as raw:
            raw.settimeout(10)
            with self.context.wrap_socket(raw, server_side=True) as conn:
                conn.sendall(b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] pret\r\n")
                reader = conn.makefile("rb")
                for _ in range(5):  # bounded
                    line = reader.readline()
                    if not line:
                        break
                    tag, command = line.split()[:2]
                    if command.upper() == b"CAPABILITY":
                        conn.sendall(
                            b"* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n" + tag + b" OK fait\r\n"
                        )
                    else:
                        conn.sendall(tag + b" NO [AUTHENTICATIONFAILED] refuse\r\n")

    def __enter__(self) -> TlsImap:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.listener.close()
        self.thread.join(5)


@pytest.mark.parametrize(("host", "expected"), [("localhost", "identifiants IMAP refusés"),
                                                ("127.0.0.1", "certificat TLS")])  # fmt: skip
def test_imaps_goes_to_the_checked_address_and_verifies_the_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, host: str, expected: str
) -> None:
    with TlsImap(tmp_path) as server:
        monkeypatch.setenv("SSL_CERT_FILE", str(server.cert))  # the test's own authority
        spec = MailboxSpec(host=host, user=USER, port=server.port, tls="ssl")
        allowed = frozenset({f"{host}:{server.port}"})
        session = ImapReader(PASSWORD, timeout=5, allowed_hosts=allowed).session(
            f"imaps://{host}/INBOX", spec
        )
        with pytest.raises(FetchError, match=expected):
            session.open()
        session.close()
