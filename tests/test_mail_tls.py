"""SMTP over TLS against a real aiosmtpd on loopback with a self-signed certificate:
STARTTLS with authentication, implicit TLS (``ssl``), and an untrusted certificate refused."""

from __future__ import annotations

import ssl
import subprocess
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.mail_support import CONFIG, NOW, RECIPIENTS, Clock, MailServer, populate, settings
from veille.mailing.delivery import send_issue
from veille.store import Store


def certificate(tmp: Path) -> tuple[Path, Path]:
    cert, key = tmp / "cert.pem", tmp / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return cert, key


def server_context(cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


class Accounts:
    """aiosmtpd authenticator: one account."""

    def __call__(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (b"rupn", b"s3cret")
        return AuthResult(success=ok, handled=False)


@pytest.fixture
def store_with_issue(store: Store) -> Store:
    from datetime import timedelta

    populate(store, NOW - timedelta(minutes=30))
    return store


def test_starttls_with_login(tmp_path: Path, store_with_issue: Store) -> None:
    cert, key = certificate(tmp_path)
    with MailServer(
        tls_context=server_context(cert, key),
        require_starttls=True,
        authenticator=Accounts(),
        auth_required=True,
    ) as smtp:
        s = settings(
            smtp.port,
            smtp_tls="starttls",
            smtp_user="rupn",
            smtp_password="s3cret",
            smtp_ca_file=str(cert),
        )
        report = send_issue(store_with_issue, s, CONFIG, "hebdo", Clock())
        assert report.ok, report
        assert [smtp.count(r) for r in RECIPIENTS] == [1, 1, 1, 1]


def test_implicit_tls(tmp_path: Path, store_with_issue: Store) -> None:
    cert, key = certificate(tmp_path)
    with MailServer(ssl_context=server_context(cert, key)) as smtp:
        s = settings(smtp.port, smtp_tls="ssl", smtp_ca_file=str(cert))
        report = send_issue(store_with_issue, s, CONFIG, "hebdo", Clock())
        assert report.ok, report
        assert [smtp.count(r) for r in RECIPIENTS] == [1, 1, 1, 1]


def test_untrusted_certificate_is_refused_and_retried(
    tmp_path: Path, store_with_issue: Store
) -> None:
    cert, key = certificate(tmp_path)
    with MailServer(tls_context=server_context(cert, key), require_starttls=True) as smtp:
        s = settings(smtp.port, smtp_tls="starttls")  # system CAs only: the certificate fails
        report = send_issue(store_with_issue, s, CONFIG, "hebdo", Clock())
        assert not report.ok and report.sent == 0
        assert [smtp.count(r) for r in RECIPIENTS] == [0, 0, 0, 0]
        assert report.retry == len(RECIPIENTS)  # kept for a later attempt, not lost
