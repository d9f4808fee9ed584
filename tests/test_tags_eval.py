"""``veille tags eval``: the scoring (table-driven), the command on project-written files (exit
codes, French output, JSON), and the shipped taxonomy measured on the shared labelled headlines."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from veille.cli.app import app
from veille.rules.evaluation import LabelledItem, evaluate, half, read_labelled
from veille.rules.tagging import TagReason

ROOT = Path(__file__).resolve().parents[1]
# The third-party labelled set lives beside the checkout (``VEILLE_HEADLINES`` elsewhere); it is
# read, never copied here.
HEADLINES = Path(
    os.environ.get("VEILLE_HEADLINES")
    or Path(__file__).parents[2] / "shared" / "corpus" / "headlines" / "headlines.json"
)

runner = CliRunner()


def item(title: str, *tags: str, split: str = "dev") -> LabelledItem:
    return LabelledItem(title=title, tags=frozenset(tags), split=split)


def fixed(given: dict[str, set[str]]):  # type: ignore[no-untyped-def]
    """A tagger that gives each title the themes listed for it."""
    return lambda i: {t: TagReason("title", t) for t in given.get(i.title, set())}


def test_scores_per_theme_micro_exact_and_untagged() -> None:
    items = [
        item("a", "ia"),  # exact
        item("b", "ia", "ent"),  # ent missed
        item("c"),  # nothing expected, ia given: a wrongly tagged no-theme item
        item("d"),  # exact (nothing)
        item("e", "pix"),  # pix missed, ent given instead
    ]
    tagger = fixed({"a": {"ia"}, "b": {"ia"}, "c": {"ia"}, "e": {"ent", "source-tag"}})
    report = evaluate(items, tagger, ["ia", "ent", "pix"])
    assert report.items == 5
    assert report.exact_accuracy == pytest.approx(2 / 5)
    scores = {t.theme: t for t in report.themes}
    ia, ent, pix = scores["ia"], scores["ent"], scores["pix"]
    assert (ia.true_positives, ia.false_positives, ia.false_negatives) == (2, 1, 0)
    assert ia.precision == pytest.approx(2 / 3) and ia.recall == 1.0
    assert ia.f1 == pytest.approx(0.8)
    assert (ent.precision, ent.recall, ent.labelled, ent.given) == (0.0, 0.0, 1, 1)
    assert (pix.precision, pix.recall, pix.given) == (0.0, 0.0, 0)
    micro = report.micro  # 2 tp, 2 fp, 2 fn
    assert (micro.precision, micro.recall, micro.f1) == (0.5, 0.5, 0.5)
    assert (report.untagged, report.untagged_given) == (2, 1)
    assert report.untagged_given_rate == 0.5
    assert "source-tag" not in report.results[4].given  # not a theme of the taxonomy
    assert report.confusions() == [("ent", None, 1), ("pix", "ent", 1), (None, "ia", 1)]
    assert [r.item.title for r in report.worst(2)] == ["e", "b"]  # equals: file order
    assert [r.item.title for r in report.worst()] == ["e", "b", "c"]


def test_labels_unknown_to_the_rules_are_reported() -> None:
    report = evaluate([item("a", "robotique")], fixed({}), ["ia"])
    assert [t.theme for t in report.themes] == ["ia", "robotique"]
    assert report.themes[1].recall == 0.0 and report.exact_accuracy == 0.0


def test_nothing_to_divide_is_zero() -> None:
    report = evaluate([], fixed({}), ["ia"])
    assert (report.exact_accuracy, report.micro.f1, report.untagged_given_rate) == (0, 0, 0)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ({"title": "x"}, "une liste d'articles"),
        ([1], "article n° 1 : un objet JSON est attendu"),
        ([{"tags": []}], "article n° 1 : « title » manquant"),
        ([{"title": " ", "tags": []}], "« title » manquant ou vide"),
        ([{"title": "ok", "tags": []}, {"title": "x"}], "article n° 2 (x) : « tags » doit"),
        ([{"title": "x", "tags": "ia"}], "« tags » doit être une liste"),
        ([{"title": "x", "tags": [""]}], "« tags » doit être une liste"),
        ([{"title": "x", "tags": [], "url": 3}], "« url » doit être un texte"),
    ],
)
def test_read_labelled_refuses_bad_shapes(data: Any, reason: str) -> None:
    with pytest.raises(ValueError, match=re.escape(reason)):
        read_labelled(data)


def test_read_labelled_accepts_missing_optional_fields() -> None:
    items = read_labelled([{"title": "Un titre", "tags": ["ia"], "summary": None}])
    assert items == [LabelledItem(title="Un titre", tags=frozenset({"ia"}))]


# --- the command ------------------------------------------------------------------------------

FEEDS_YAML = """\
feeds:
  - id: cafe
    url: https://cafe.example/feed
tags:
  ia:
    label: Intelligence artificielle
    match: ["IA"]
  ressources:
    label: Ressources
    hosts: ["*.education.gouv.fr"]
"""

SAMPLE = [  # written for this test
    {"title": "L'IA au lycée", "summary": "", "url": "", "tags": ["ia"], "split": "dev"},
    {"title": "Rentrée", "url": "https://www.education.gouv.fr/r", "tags": ["ressources"],
     "split": "dev"},
    {"title": "La cantine", "summary": "Une IA choisit le menu.", "tags": [], "split": "dev"},
    {"title": "Les via ferrata", "tags": ["ia"], "split": "train"},
]  # fmt: skip


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "feeds.yaml").write_text(FEEDS_YAML, encoding="utf-8")
    monkeypatch.setenv("VEILLE_CONFIG", str(tmp_path / "feeds.yaml"))
    (tmp_path / "sample.json").write_text(json.dumps(SAMPLE), encoding="utf-8")
    return tmp_path


def test_eval_prints_the_figures_in_french(env: Path) -> None:
    result = runner.invoke(app, ["tags", "eval", str(env / "sample.json"), "--split", "dev"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "3 articles étiquetés (partie « dev ») de sample.json" in out
    assert "Ensemble exact : 0,67 (2/3)" in out
    assert "Micro : précision 0,67 · rappel 1,00 · F1 0,80" in out
    assert "Sans thème mais étiquetés quand même : 1/1 (100,0 %)" in out
    assert "(aucun) → ia : 1" in out
    assert "• La cantine" in out and "donné : ia (IA → résumé)" in out


def test_eval_json_and_the_link_rule(env: Path) -> None:
    result = runner.invoke(app, ["tags", "eval", str(env / "sample.json"), "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["split"] == "all" and payload["items"] == 4
    assert payload["themes"]["ressources"] == {
        "precision": 1.0, "recall": 1.0, "f1": 1.0, "labelled": 1, "given": 1,
        "true_positives": 1,
    }  # fmt: skip
    assert payload["themes"]["ia"]["recall"] == 0.5  # « via » is not « IA »
    worst = {w["title"]: w for w in payload["worst"]}
    assert worst["La cantine"]["given"] == {"ia": {"field": "summary", "term": "IA", "rule": "IA"}}
    assert worst["Les via ferrata"]["missing"] == ["ia"]


def test_halves_are_fixed_by_the_link_and_balanced() -> None:
    items = [
        LabelledItem(title=f"Titre {n}", url=f"https://site{n % 7}.example/article-{n}")
        for n in range(400)
    ]
    halves = [half(i) for i in items]
    assert set(halves) == {"a", "b"}
    assert 150 <= halves.count("a") <= 250  # about half each
    # the link decides, not the title or the labels; the title stands in without a link
    moved = LabelledItem(title="Autre titre", url=items[0].url, tags=frozenset({"ia"}))
    assert half(moved) == halves[0]
    assert half(LabelledItem(title="Sans lien")) == half(LabelledItem(title="Sans lien"))


def test_eval_on_one_half(env: Path) -> None:
    counts = {}
    for h in ("a", "b"):
        args = ["tags", "eval", str(env / "sample.json"), "--half", h, "--json"]
        result = runner.invoke(app, args)
        if result.exit_code == 2:  # every item fell in the other half
            assert f"aucun article dans la moitié « {h} »" in result.output
            counts[h] = 0
            continue
        assert result.exit_code == 0, result.output
        payload = json.loads(result.stdout)
        assert payload["half"] == h
        counts[h] = payload["items"]
    assert counts["a"] + counts["b"] == 4  # the two halves cover the sample, once each
    bad = runner.invoke(app, ["tags", "eval", str(env / "sample.json"), "--half", "c"])
    assert bad.exit_code == 2 and "moitié inconnue « c » (attendu : a, b)" in bad.output


def test_eval_with_another_config(env: Path, tmp_path: Path) -> None:
    other = tmp_path / "autres.yaml"
    other.write_text(FEEDS_YAML.replace('["IA"]', '["cantine"]'), encoding="utf-8")
    args = ["tags", "eval", str(env / "sample.json"), "--config", str(other), "--json"]
    result = runner.invoke(app, args)
    assert json.loads(result.stdout)["themes"]["ia"]["given"] == 1


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        (None, [], "sample.json : lecture impossible"),
        ("[{", [], "sample.json, ligne 1 : JSON invalide"),
        (b"\xff\xfe", [], "pas en UTF-8"),
        ('{"a": 1}', [], "sample.json : le fichier doit contenir une liste"),
        ('[{"title": "x"}]', [], "article n° 1 (x) : « tags » doit être une liste"),
        ("[]", ["--split", "dev"], "aucun article de la partie « dev »"),
        ("[]", ["--split", "test"], "partie inconnue « test » (attendu : dev, train, all)"),
        ("[]", ["--config", "absent.yaml"], "fichier introuvable : absent.yaml"),
    ],
)
def test_eval_refuses_bad_input_with_exit_2(
    env: Path, content: str | bytes | None, args: list[str], message: str
) -> None:
    path = env / "sample.json"
    if content is None:
        path.unlink()
    elif isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    result = runner.invoke(app, ["tags", "eval", str(path), *args])
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split()), result.output


def test_eval_refuses_a_bad_config_with_exit_2(env: Path) -> None:
    (env / "feeds.yaml").write_text(FEEDS_YAML + '    match: ["a + "]\n', encoding="utf-8")
    result = runner.invoke(app, ["tags", "eval", str(env / "sample.json")])
    assert result.exit_code == 2 and "Configuration refusée" in result.output


# --- the shipped taxonomy on real headlines ---------------------------------------------------

# Measured on the « dev » split, which the taxonomy was never tuned on (BENCHMARKS.md,
# « Relevance »), rounded down; a change that makes any of these worse fails here. The targets
# of the project (exact set 0.90, micro-F1 0.95, each theme precision 0.90 and recall 0.85,
# no-theme items tagged at most 5 %) are not all reached yet: raise these floors as they are.
DEV_EXACT_SET = 0.80
DEV_MICRO_F1 = 0.885
DEV_MAX_UNTAGGED_GIVEN = 0.075
DEV_THEMES = {  # theme: (precision, recall)
    "evaluation": (0.75, 0.90),
    "differenciation": (1.00, 0.85),
    "accessibilite": (1.00, 0.87),
    "rgpd": (1.00, 0.88),
    "pix": (1.00, 1.00),
    "ent": (1.00, 0.87),
    "tablettes": (1.00, 0.87),
    "moodle": (0.83, 0.83),
    "classe-inversee": (1.00, 0.85),
    "ludification": (1.00, 0.87),
    "hybridation": (1.00, 0.85),
    "emi": (1.00, 1.00),
    "ia": (1.00, 1.00),
    "formation": (0.88, 0.88),
    "ressources": (0.75, 0.69),
    "equipement": (1.00, 0.77),
}


def test_shipped_taxonomy_on_the_dev_headlines(monkeypatch: pytest.MonkeyPatch) -> None:
    assert HEADLINES.is_file(), f"jeu étiqueté introuvable : {HEADLINES}"
    monkeypatch.setenv("VEILLE_CONFIG", str(ROOT / "feeds.yaml"))
    result = runner.invoke(app, ["tags", "eval", str(HEADLINES), "--split", "dev", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["items"] >= 100
    assert report["exact_set_accuracy"] >= DEV_EXACT_SET
    assert report["micro"]["f1"] >= DEV_MICRO_F1
    assert report["untagged_given_rate"] <= DEV_MAX_UNTAGGED_GIVEN
    themes = report["themes"]
    worse = {
        theme: (themes[theme]["precision"], themes[theme]["recall"])
        for theme, (precision, recall) in DEV_THEMES.items()
        if themes[theme]["precision"] < precision or themes[theme]["recall"] < recall
    }
    assert not worse, worse
