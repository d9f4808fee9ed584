"""The list headers as they cross the wire: the raw bytes a real SMTP server receives.

RFC 2369 and RFC 8058 want ``List-Unsubscribe`` as plain ``<URL>`` entries; a mailbox
provider does not decode an RFC 2047 encoded word there, so a header folded by the e-mail
library into ``=?utf-8?q?=3Chttps…?=`` silently disables one-click unsubscribe.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

import pytest

from veille.mailing.delivery import send_issue
from veille.store import Store

from .mail_support import CONFIG, NOW, RECIPIENTS, Clock, MailServer, populate, settings

# A realistic academy address: the signed unsubscribe link is well over 78 characters.
LONG_BASE = "https://veille-numerique.ac-poitiers.fr/etablissements/college-jean-moulin"
ACCENTED = "La lettre du numérique éducatif — collège Jean-Moulin, Niort"


def raw_header(data: bytes, name: str) -> tuple[list[bytes], str]:
    """The physical lines of header ``name`` in a raw message, and its unfolded value."""
    head = data.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
    for i, line in enumerate(head):
        if line.lower().startswith(name.lower().encode() + b":"):
            lines = [line]
            for more in head[i + 1 :]:
                if more[:1] not in (b" ", b"\t"):
                    break
                lines.append(more)
            value = b"".join(lines).decode("ascii").split(":", 1)[1]
            return lines, re.sub(r"\s+", " ", value).strip()
    raise AssertionError(f"no {name} header in {head!r}")


@pytest.mark.parametrize(
    "base", ["https://veille.example.org", LONG_BASE, "https://veille.example.org/collège"]
)
def test_list_headers_are_plain_urls_on_the_wire(store: Store, smtp: MailServer, base: str) -> None:
    digests = tuple(replace(d, title=ACCENTED) if d.name == "hebdo" else d for d in CONFIG.digests)
    config = replace(CONFIG, digests=digests)
    populate(store, NOW - timedelta(minutes=30), config)
    report = send_issue(store, settings(smtp.port, base_url=base), config, "hebdo", Clock())
    assert report.sent == len(RECIPIENTS)
    for received in smtp.received:
        lines, value = raw_header(received.data, "List-Unsubscribe")
        assert "=?" not in value, value  # never an encoded word
        url, mailto = re.fullmatch(r"<(https://[^<>\s]+)>, ?<(mailto:[^<>\s]+)>", value).groups()  # type: ignore[union-attr]
        assert url.startswith(base.replace("è", "%C3%A8") + "/desabonnement/")
        assert mailto == "mailto:veille@college.example?subject=desabonnement%20hebdo"
        # Folded between the entries only, never inside a URL.
        assert all(len(line) <= 998 for line in lines)
        assert all(b"<" in line and b">" in line for line in lines), lines
        assert raw_header(received.data, "List-Unsubscribe-Post")[1] == (
            "List-Unsubscribe=One-Click"
        )
        archive = raw_header(received.data, "List-Archive")[1]
        assert archive.startswith(f"<{base.replace('è', '%C3%A8')}/") and "=?" not in archive
        # The accented title travels encoded in List-Id, the id itself stays plain.
        host = base.split("/")[2]
        assert raw_header(received.data, "List-Id")[1].endswith(f"<hebdo.{host}>")
