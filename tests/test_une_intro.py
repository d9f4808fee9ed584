"""The introduction drafted from « À la une » (``curation_page.draft_introduction``): only the
stories' own sentences, each with its source, table-driven; and end to end, nothing sent the
editor did not accept, the accepted draft sent as written (a real SMTP server on loopback)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from veille.mailing.delivery import send_issue
from veille.models import EntryView, UneLine
from veille.render.curation_page import draft_introduction
from veille.store import Store
from veille.text import strip_html

from .mail_support import MailServer
from .test_curation_page import log_in
from .une_week import NOW, mail_app

WHEN = datetime(2026, 12, 1, 9, tzinfo=UTC)


def line(title: str, summary: str, source: str = "Éduscol") -> UneLine:
    entry = EntryView("1", "eduscol", source, title, None, WHEN, summary, "")
    return UneLine(entry, "repris par 3 sources", (source,), "1")


@pytest.mark.parametrize(
    ("title", "summary", "expected"),
    [
        (  # the first sentence of the summary, quoted, with its source
            "Pix : la certification en 3e",
            "<p>Tous les élèves de 3e passeront Pix en 2027. Les inscriptions ouvrent lundi.</p>",
            "Éduscol : « Tous les élèves de 3e passeront Pix en 2027. »",
        ),
        (  # a summary cut by the feed (« … »): the title
            "Pix : la certification en 3e",
            "<p>Tous les élèves de 3e passeront la certification Pix dans leur…</p>",
            "Éduscol : « Pix : la certification en 3e »",
        ),
        ("Pix : la certification en 3e", "", "Éduscol : « Pix : la certification en 3e »"),
        (  # no whole sentence (no final stop): the title
            "Le calendrier du bac",
            "<p>Philosophie le 15 juin, spécialités du 16 au 18 juin</p>",
            "Éduscol : « Le calendrier du bac »",
        ),
        (  # a sentence ending with « ? », then another
            "Question",
            "<p>Faut-il interdire l'IA en classe ? Le ministère répond.</p>",
            "Éduscol : « Faut-il interdire l'IA en classe ? »",
        ),
    ],
)
def test_draft_quotes_one_sentence_per_story(title: str, summary: str, expected: str) -> None:
    assert draft_introduction([line(title, summary)]) == expected


def test_draft_takes_the_first_three_stories_and_invents_nothing() -> None:
    lines = [
        line(f"Titre {i}", f"<p>Phrase numéro {i} du résumé. Suite {i}.</p>", f"Source {i}")
        for i in range(5)
    ]
    draft = draft_introduction(lines)
    paragraphs = draft.split("\n\n")
    assert len(paragraphs) == 3
    for p, ln in zip(paragraphs, lines, strict=False):
        source, quoted = re.fullmatch(r"(.+) : « (.+) »", p).groups()  # type: ignore[union-attr]
        assert source == ln.entry.feed_title
        assert quoted in strip_html(ln.entry.summary) or quoted == ln.entry.title
    assert draft_introduction([]) == ""


def test_the_editor_accepts_the_draft_and_it_is_sent_as_written(
    store: Store, tmp_path: Path, smtp: MailServer
) -> None:
    app, config, mail_settings = mail_app(store, tmp_path, smtp.port)
    with TestClient(app, base_url="https://testserver") as client:
        csrf = log_in(client)
        page = client.get("/curation/hebdo").text
        found = re.search(r'<textarea id="brouillon" name="text"[^>]*>(.*?)</textarea>', page, re.S)
        assert found is not None
        draft = unescape(found[1])
        # Quoted from the first story, the bac calendar, as VousNousIls told it.
        assert draft.startswith("VousNousIls : « Philosophie le 15 juin, épreuves de spécialité")
        assert draft.count("\n\n") == 2
        assert store.introduction("hebdo", 1) == ""  # shown, not saved
        # The editor shortens it and saves it.
        kept = draft.split("\n\n")[0]
        form = {"action": "introduction", "text": kept, "csrf": csrf}
        assert client.post("/curation/hebdo", data=form, follow_redirects=False).status_code == 303
    assert store.introduction("hebdo", 1) == kept
    report = send_issue(
        store,
        mail_settings,
        config,
        "hebdo",
        lambda: NOW + timedelta(minutes=1),
    )
    assert report is not None and report.ok
    (received,) = smtp.received
    text = received.message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    flat = " ".join(text.split())
    assert " ".join(kept.split()) in flat
    assert " ".join(draft.split("\n\n")[1].split()) not in flat  # what the editor cut
    html = received.message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert 'class="intro"' in html
