"""« À la une cette semaine » in the weekly letter, received by a real SMTP server on loopback
(aiosmtpd): in both parts, after the editors' highlights and before the sections, each story
with its reason, none repeated in its section; no introduction the editor did not write."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

from veille.config.load import load_config
from veille.mailing.delivery import send_issue
from veille.models import Selection
from veille.render.email import IssueContent, MailEntry, render_text
from veille.render.notify import issue_notice
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


def test_an_issue_before_a_la_une_still_reads_and_its_notice_names_the_top_stories() -> None:
    """An issue archived before « À la une » existed (no ``une`` nor ``reason`` in its
    snapshot) reads as before; a letter with « À la une » and no highlights is announced
    (Tchap, webhooks) with its top stories, counted in its total."""
    entry = {
        "id": "1", "title": "Pix en 3e", "url": "https://x.example/1", "source": "Éduscol",
        "date": "1er déc. 2026", "summary": "", "also_in": [], "note": "",
    }  # fmt: skip
    old = {
        "digest": "hebdo", "title": "La semaine", "number": 3, "date_label": "7 déc. 2026",
        "period_label": "du 30 nov. au 7 déc. 2026", "introduction": "", "highlights": [],
        "sections": [{"id": "pix", "label": "Pix", "entries": [entry], "total": 4}],
        "web_url": "https://v.example/digests/hebdo",
        "archive_url": "https://v.example/digests/hebdo/archive/3",
        "archives_url": "https://v.example/digests/hebdo/archive",
    }  # fmt: skip
    content = IssueContent.from_json(json.dumps(old))
    assert content.une == () and content.sections[0].entries[0].reason == ""
    assert "À LA UNE" not in render_text(content, None)
    top = MailEntry("2", "Le bac 2027", None, "VousNousIls", "1er déc. 2026", reason="Repris")
    notice = issue_notice(replace(content, une=(top,), une_title="À la une cette semaine"))
    (group,) = notice.groups
    assert group.label == "À la une cette semaine" and [i.title for i in group.items] == [
        "Le bac 2027"
    ]
    assert notice.lead.startswith("5 articles publiés")
    assert notice.counts == (("À la une", 1), ("Pix", 4))
