"""Feed tags have names: ``labels:`` in feeds.yaml, else a readable form of the id — shown on
every page, in the API, the feeds' titles and the OPML folders, never the raw id."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from veille.config.load import load_config
from veille.models import Config, FeedSpec, TagRule

from .browser import FEEDS_YAML, build_app

LABELLED = FEEDS_YAML.replace(
    "    tags: [actualite]\n", "    tags: [actualite, blogs-recherche]\n"
).replace("digests:\n", "labels:\n  actualite: Actualité\ndigests:\n")


def test_tag_labels_order_and_defaults() -> None:
    config = Config(
        path="feeds.yaml",
        feeds=(FeedSpec("a", "https://a.example/f", tags=("blogs-recherche", "ia", "actualite")),),
        tags=(TagRule("ia", "Intelligence artificielle"),),
        labels=(("actualite", "Actualité"),),
    )
    assert config.tag_labels() == {
        "ia": "Intelligence artificielle",
        "blogs-recherche": "Blogs recherche",
        "actualite": "Actualité",
    }
    assert config.tag_label("actualite") == "Actualité"
    assert config.tag_label("inconnu-ici") == "Inconnu ici"


def test_labels_load_from_feeds_yaml(tmp_path: Path) -> None:
    path = tmp_path / "feeds.yaml"
    path.write_text(LABELLED, encoding="utf-8")
    config = load_config(path)
    assert config.labels == (("actualite", "Actualité"),)
    assert config.tag_label("blogs-recherche") == "Blogs recherche"


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    app, store = build_app(tmp_path)
    path = tmp_path / "feeds.yaml"
    path.write_text(LABELLED, encoding="utf-8")
    app.state.config = load_config(path)
    with TestClient(app) as c:
        yield c
    store.close()


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_labels_on_pages(client: TestClient) -> None:
    home = client.get("/").text
    chips = re.findall(r'<ul class="tags"[^>]*>(.*?)</ul>', home, re.S)
    shown = {_text(a) for chip in chips for a in re.findall(r"<a [^>]*>.*?</a>", chip)}
    assert "Actualité" in shown and "actualite" not in shown
    options = dict(re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', home))
    assert options["actualite"] == "Actualité"
    assert options["blogs-recherche"] == "Blogs recherche"
    subscribe = _text(client.get("/abonnement").text)
    assert "Actualité" in subscribe and "Blogs recherche" in subscribe
    filtered = client.get("/?tag=actualite").text
    assert 'title="RSS — Actualité"' in filtered and '— actualite"' not in filtered


def test_labels_in_api_feeds_and_opml(client: TestClient) -> None:
    tags = {t["id"]: t["label"] for t in client.get("/api/v1/tags").json()["tags"]}
    assert tags["actualite"] == "Actualité" and tags["blogs-recherche"] == "Blogs recherche"
    rss = ET.fromstring(client.get("/tags/actualite.rss").content)
    assert rss.findtext("channel/title") == "Veille — Actualité"
    categories = {c.text for c in rss.iter("category")}
    assert "Actualité" in categories and "actualite" not in categories
    items = client.get("/tags/actualite.json").json()["items"]
    assert all("Actualité" in i["tags"] and "actualite" not in i["tags"] for i in items) and items
    opml: Any = ET.fromstring(client.get("/opml").content)
    folders = [o.get("text") for o in opml.find("body") if o.get("xmlUrl") is None]
    assert folders == ["Actualité"]
    cafe = opml.find("body/outline/outline")
    assert cafe.get("category") == "/actualite,/blogs-recherche"  # ids: import reads them back
