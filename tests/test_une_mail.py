"""« À la une cette semaine » in the weekly letter, received by a real SMTP server on loopback
(aiosmtpd): in both parts, after the editors' highlights and before the sections, each story
with its reason, none repeated in its section; no introduction the editor did not write."""

from __future__ import annotations

import re
from datetime import timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

from veille.config.load import load_config
from veille.mailing.delivery import send_issue
from veille.models import Selection
from veille.store import Store

from .mail_support import MailServer, settings
from .une_week import NOW, SENTENCES, fill_une_week, write_config


def test_the_letter_opens_with_the_weeks_top_stories(tmp_path: Path, smtp: MailServer) -> None:
    config = load_config(write_config(tmp_path))  # sent on Thursdays at 08:30: due at NOW
    store = Store(f"sqlite:///{tmp_path / 'v.db'}")
    store.migrate()
    try:
        titles = fill_une_week(store, config)
        posts = store.list_entries(Selection(feeds=("blog",))).entries
        (pick,) = [e for e in posts if e.title == titles["blog-0"][0]]
        assert store.set_highlight("hebdo", pick.id, "Un essai honnête", NOW)
        report = send_issue(
            store,
            settings(smtp.port, tmp_path),
            config,
            "hebdo",
            lambda: NOW + timedelta(minutes=1),
        )
    finally:
        store.close()
    assert report is not None and report.ok and report.sent == 1
    (received,) = smtp.received
    raw = received.data
    assert b"multipart/alternative" in raw
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(msg, EmailMessage)
    text = msg.get_body(("plain",)).get_content().replace("\r\n", "\n")  # type: ignore[union-attr]
    html = msg.get_body(("html",)).get_content()  # type: ignore[union-attr]

    # Text part: highlights, then « À la une cette semaine », then the sections.
    picks = text.index("COUPS DE CŒUR DE LA RÉDACTION")
    une = text.index("À LA UNE CETTE SEMAINE")
    first_section = min(text.index(h) for h in ("INTELLIGENCE ARTIFICIELLE (", "ENT ET OUTILS ("))
    assert picks < une < first_section
    block = text[une:first_section]
    assert re.findall(r"^  (Repris par .*\.)$", block, re.M) == SENTENCES
    told = [t for story, ts in titles.items() for t in ts]
    une_titles = [t for t in told if f"- {t}" in block]
    assert len(une_titles) == 5
    for title in une_titles:  # each story once: not again in its section
        assert text.count(f"- {title}") == 1
    assert "Un essai honnête" in text[picks:une]  # the editor's pick stays first, alone
    assert titles["blog-0"][0] not in block
    assert "Notre avis" not in block

    # HTML part: the same order, the same reasons.
    h_picks = html.index("Coups de cœur")
    h_une = html.index("À la une cette semaine")
    h_toc = html.index("Au sommaire")
    assert h_picks < h_une < h_toc
    shown = [r.replace("&#39;", "'") for r in re.findall(r'<p class="reason"[^>]*>(.*?)</p>', html)]
    assert shown == SENTENCES
    # No introduction: the editor wrote none.
    assert 'class="intro"' not in html
    assert text.split("\n")[2:4] == ["", "COUPS DE CŒUR DE LA RÉDACTION"]
