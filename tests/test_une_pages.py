"""« À la une » on the digest pages, in-process: when the block is shown (the digest itself,
its first page), what it leaves out (the editors' highlights), what turns it off (``une:
false``), and a bad ``vue`` refused in French."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from html import unescape
from typing import Any

import pytest
from fastapi.testclient import TestClient

from veille.store import Store

from .une_week import NOW, build_une_app


@pytest.fixture(scope="module")
def week(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Store]]:
    app, store = build_une_app(tmp_path_factory.mktemp("une-pages"))
    yield app, store
    store.close()


def une_titles(html: str) -> list[str]:
    return [unescape(t) for t in re.findall(r'<p class="une-title"><a [^>]*>(.*?)</a>', html)]


def test_the_block_is_the_digests_own(week: tuple[Any, Store]) -> None:
    app, _ = week
    with TestClient(app) as client:
        whole = client.get("/digests/hebdo").text
        themed = client.get("/digests/hebdo?tag=ia").text
        searched = client.get("/digests/hebdo?q=bac").text
        daily = client.get("/").text
    assert len(une_titles(whole)) == 5
    assert 'class="une"' not in themed and 'class="une"' not in searched  # a reader's filter
    # The day counts only the copies published in it: the grand oral's other copy came out
    # 29 h ago, nothing else was relayed today: no « À la une », every line told.
    assert 'class="une"' not in daily and "entry-une" not in daily
    assert "Grand oral : une épreuve raccourcie dès 2027" in unescape(daily)


def test_a_highlighted_story_stays_in_the_highlights(week: tuple[Any, Store]) -> None:
    app, store = week
    with TestClient(app) as client:
        before = client.get("/digests/hebdo").text
    first = une_titles(before)[0]
    shown = re.findall(r'<li id="une-(\d+)">', before)[0]
    store.set_highlight("hebdo", shown, "À lire en priorité", NOW)
    try:
        with TestClient(app) as client:
            page = client.get("/digests/hebdo").text
    finally:
        store.remove_highlight("hebdo", shown)
    assert first not in une_titles(page)
    assert len(une_titles(page)) == 5  # the next story took its place
    picks = page.split('<section class="highlights"')[1].split("</section>")[0]
    assert first in unescape(picks)


def test_une_false_turns_it_off(week: tuple[Any, Store]) -> None:
    app, _ = week
    config = app.state.config
    off = [replace(d, une=None) if d.name == "hebdo" else d for d in config.digests]
    app.state.config = replace(config, digests=tuple(off))
    try:
        with TestClient(app) as client:
            page = client.get("/digests/hebdo").text
    finally:
        app.state.config = config
    assert 'class="une"' not in page and "entry-une" not in page
    assert "Les dates du bac 2027 sont connues" in unescape(page)  # told in its section


def test_an_unknown_view_is_a_french_400(week: tuple[Any, Store]) -> None:
    app, _ = week
    with TestClient(app) as client:
        answer = client.get("/digests/hebdo?vue=colonnes")
    assert answer.status_code == 400
    assert "vue inconnue « colonnes » (possible : titres)" in unescape(answer.text)


def test_the_block_and_the_subscribe_page_link_to_its_feeds(week: tuple[Any, Store]) -> None:
    app, _ = week
    with TestClient(app) as client:
        page = client.get("/digests/hebdo").text
        subscribe = unescape(client.get("/abonnement").text)
        block = page.split('id="a-la-une"')[1].split("</section>")[0]
        hrefs = re.findall(r'<p class="une-feeds">.*?</p>', block, re.S)[0]
        links = re.findall(r'href="([^"]+)"', hrefs)
        assert links == [
            "/digests/hebdo/une.rss",
            "/digests/hebdo/une.atom",
            "/digests/hebdo/une.json",
        ]
        assert all(client.get(link).status_code == 200 for link in links)
    assert "La semaine du numérique éducatif — À la une" in subscribe
    assert 'href="/digests/hebdo/une.atom"' in subscribe
