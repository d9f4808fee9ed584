"""``veille tags suggest``: rule changes learnt from editors' corrections.

The pure measure (``rules/suggest.py``) on a small set written for these tests, with its
counts; the command on a real store (SQLite and PostgreSQL) in-process; and end to end in a
subprocess: the listing, ``--apply`` that keeps every other byte of feeds.yaml, ``--retag``
that moves the stored themes, and an apply that cannot be written leaving the file as it was.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import veille_env
from veille.cli.app import app
from veille.config.load import load_config
from veille.models import ParsedEntry, Selection, TagRule
from veille.rules.candidates import contexts, phrases
from veille.rules.ruleset import RuleSet
from veille.rules.suggest import Proposal, RuleChange, Verdict, suggest
from veille.rules.tagging import EntryText, entry_words
from veille.store import Store

TABLETTES = TagRule("tablettes", "Tablettes", match=("tablette*", "iPad"))
EVALUATION = TagRule("evaluation", "Évaluation", match=("QCM",), weak=("brevet", "épreuve*"))

TITLES = {
    "choc": "Une tablette de chocolat pour la fête de l'école",
    "tab": "Les tablettes entrent au collège",
    "noel": "La tablette de chocolat noir de Noël",
    "ipad": "Des iPad en maternelle",
    "formule": "Le brevet des collèges change de formule",
    "juin": "Le brevet des collèges arrive en juin",
    "blanc": "Le brevet blanc en mai",
    "qcm": "Un QCM sur Plickers",
}


def texts(**extra: EntryText) -> dict[str, EntryText]:
    return {k: EntryText(title=t) for k, t in TITLES.items()} | extra


def run(verdicts: list[Verdict], rules: tuple[TagRule, ...], **extra: EntryText) -> list[Proposal]:
    entries = texts(**extra)
    corrected = {v.entry_id: entries[v.entry_id] for v in verdicts}
    return list(suggest(verdicts, corrected, entries.items(), rules).proposals)


def by_term(proposals: list[Proposal]) -> dict[tuple[str, bool, str], Proposal]:
    return {(p.change.key, p.change.add, p.change.term): p for p in proposals}


VERDICTS = [
    Verdict("choc", "tablettes", False),  # chocolate, not devices
    Verdict("tab", "tablettes", True),  # the rules agree already
    Verdict("formule", "evaluation", True),
    Verdict("juin", "evaluation", True),
]


def test_proposals_and_their_counts() -> None:
    proposals = run(VERDICTS, (TABLETTES, EVALUATION))
    found = by_term(proposals)
    counts = {k: (p.satisfied, p.broken, p.gained, p.lost, p.examples) for k, p in found.items()}
    assert counts == {
        ("match", True, "brevet des collèges"): (("formule", "juin"), (), 0, 0, ()),
        ("match", True, "brevet"): (("formule", "juin"), (), 1, 0, (TITLES["blanc"],)),
        ("match", True, "collèges"): (("formule", "juin"), (), 1, 0, (TITLES["tab"],)),
        ("ignore", True, "tablette de chocolat"): (("choc",), (), 0, 1, (TITLES["noel"],)),
    }
    # Satisfied − broken first, then the fewest entries changed.
    assert [p.change.term for p in proposals] == [
        "brevet des collèges",
        "brevet",
        "collèges",
        "tablette de chocolat",
    ]
    assert found[("ignore", True, "tablette de chocolat")].change.about == "tablette*"
    # « arrive », « change »… satisfy one verdict where « brevet des collèges » satisfies
    # both and changes no more: plainly beaten, they are not shown. So is removing
    # « tablette* », which the ignore beats (it would break the verdict on « tab »).
    assert not {"arrive", "change", "formule", "tablette*"} & {p.change.term for p in proposals}


def test_a_proposal_that_breaks_a_correction_is_shown_with_that_count() -> None:
    """« Tablettes » alone: no context to ignore; removing the term satisfies the verdict
    but breaks the one on « tab », and says so."""
    alone = EntryText(title="Tablettes")
    proposals = run(
        [Verdict("seule", "tablettes", False), Verdict("tab", "tablettes", True)],
        (TABLETTES, EVALUATION),
        seule=alone,
    )
    assert [(p.change, p.satisfied, p.broken, p.lost) for p in proposals] == [
        (RuleChange("tablettes", "match", False, "tablette*"), ("seule",), ("tab",), 2)
    ]  # « choc » and « noel » lose it too; « tab » has a verdict: counted as broken only


def test_a_veto_to_lift_and_a_host_to_remove() -> None:
    vetoed = TagRule("tablettes", "Tablettes", match=("tablette*",), exclude=("chocolat",))
    proposals = run([Verdict("choc", "tablettes", True)], (vetoed,))
    lift = by_term(proposals)[("exclude", False, "chocolat")]
    assert (lift.satisfied, lift.gained, lift.examples) == (("choc",), 1, (TITLES["noel"],))

    official = TagRule("ressources", "Ressources", hosts=("*.education.gouv.fr",))
    bo = EntryText(title="Calendrier scolaire", url="https://www.education.gouv.fr/cal")
    proposals = run([Verdict("bo", "ressources", False)], (official,), bo=bo)
    assert [(p.change.key, p.change.add, p.change.term) for p in proposals] == [
        ("hosts", False, "*.education.gouv.fr")
    ]


def test_a_veto_is_proposed_when_one_word_explains_several_corrections() -> None:
    """Two entries wrongly given « Tablettes », each in its own context: no context to ignore
    covers both, the word they share does — as a veto (« chocolat »). The other words of
    one entry (« fête », « bio »…) are not proposed: one correction says nothing of which
    word misled the rules."""
    bio = EntryText(title="Chocolat bio : une tablette à cinq euros")
    proposals = run(
        [
            Verdict("choc", "tablettes", False),
            Verdict("bio", "tablettes", False),
            Verdict("tab", "tablettes", True),
        ],
        (TABLETTES, EVALUATION),
        bio=bio,
    )
    found = by_term(proposals)
    veto = found[("exclude", True, "chocolat")]
    assert (veto.satisfied, veto.broken, veto.lost) == (("choc", "bio"), (), 1)
    assert veto.examples == (TITLES["noel"],)  # it would also take « noel »'s theme
    assert proposals[0] is veto  # two verdicts for one change: first
    vetoes = {p.change.term for p in proposals if p.change.key == "exclude"}
    assert vetoes == {"chocolat"}
    # One correction alone: no veto proposed (« fête », « école » would each satisfy it).
    alone = run([Verdict("choc", "tablettes", False)], (TABLETTES, EVALUATION))
    assert not [p for p in alone if p.change.key == "exclude"]
    assert by_term(alone)[("ignore", True, "tablette de chocolat")].satisfied == ("choc",)


def test_what_cannot_be_explained_is_said() -> None:
    from_source = EntryText(title="Un article", feed_tags=("tablettes",))
    entries = texts(src=from_source)
    found = suggest(
        [Verdict("src", "tablettes", False), Verdict("inconnu", "tablettes", True)],
        {"src": from_source},
        entries.items(),
        (TABLETTES,),
    )
    assert found.proposals == ()
    assert found.verdicts == 1  # the entry « inconnu » is not stored any more
    assert found.unexplained == (
        (Verdict("src", "tablettes", False), "thème donné par la source elle-même (ses « tags »)"),
    )
    assert found.entries == len(TITLES) + 1


def test_too_broad_changes_are_left_out_unless_asked_for() -> None:
    """« collèges » would give the theme to 30 more entries: more than 20 and than 2 %."""
    many = {f"c{i}": EntryText(title=f"Le collège numéro {i} ouvre") for i in range(30)}
    verdicts = VERDICTS[2:]
    entries = texts(**many)
    corrected = {v.entry_id: entries[v.entry_id] for v in verdicts}
    narrow = suggest(verdicts, corrected, entries.items(), (TABLETTES, EVALUATION))
    assert "collèges" not in {p.change.term for p in narrow.proposals}
    assert narrow.too_broad == 1
    wide = suggest(verdicts, corrected, entries.items(), (TABLETTES, EVALUATION), broad=True)
    colleges = by_term(list(wide.proposals))[("match", True, "collèges")]
    assert (colleges.gained, wide.too_broad) == (31, 0)  # and « tab »


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        (
            "Un jeu d'évasion sur l'IA pour la Note de service",
            ["évasion", "IA", "note", "service", "jeu d'évasion", "note de service"],
        ),
        ("Le 3e plan numérique de 2026", ["plan", "numérique", "plan numérique"]),
        (
            "Des élèves d’Éducation prioritaire",
            ["élèves", "éducation", "prioritaire", "élèves d’éducation", "d’éducation prioritaire"],
        ),
    ],
)
def test_candidate_terms_are_written_as_a_referent_would(title: str, expected: list[str]) -> None:
    assert list(phrases(title)) == expected


def test_contexts_reach_past_linking_words_only() -> None:
    e = EntryText(
        title="À l’épreuve du feu : la tablette de chocolat et l’IA", summary="Une mise à l'épreuve"
    )
    fields, texts_ = entry_words(e), (e.title, e.summary, e.content)
    assert contexts("tablette*", fields, texts_) == ["tablette de chocolat"]
    assert contexts("épreuve", fields, texts_) == ["l’épreuve du feu", "mise à l'épreuve"]
    assert contexts("IA", fields, texts_) == []  # « et » ends it; nothing comes after
    assert contexts("/épreuve/", fields, texts_) == []  # a regex has no position


def test_the_code_of_a_change_is_stable() -> None:
    change = RuleChange("evaluation", "match", True, "brevet")
    assert change.code == RuleChange("evaluation", "match", True, "brevet").code
    assert re.fullmatch(r"[0-9a-f]{6}", change.code)
    assert change.code != RuleChange("evaluation", "match", False, "brevet").code


# --- the command, on a real store ---------------------------------------------------------

FEEDS_YAML = """\
# Veille de test : chaque commentaire doit survivre
feeds:
  - id: cafe
    url: https://cafe.example/feed
    title: Le Café   # la source

tags:
  # Les appareils en classe
  tablettes:
    label: Tablettes
    match: ["tablette*", "iPad"]   # les appareils

  evaluation:
    label: Évaluation
    match: ["QCM"]
    weak:
      - "brevet"   # seul, il ne suffit pas
      - "épreuve*"

  ia: {label: IA, match: ["IA"]}

# Les lettres
digests:
  quotidien:
    title: La veille du jour
    window: 1d
"""


def seed(store: Store, config_path: Path) -> dict[str, str]:
    """The entries of TITLES (plus one about AI, of a theme written in { … }), tagged by
    the rules of ``config_path``, and the editors' verdicts of VERDICTS; ids by key."""
    config = load_config(config_path)
    rules = RuleSet.from_config(config)
    store.sync_feeds(config.feeds)
    now = datetime.now(UTC)  # the command measures the entries of the last days
    titles = TITLES | {"ia": "Le tableau numérique et l'IA"}
    store.save_entries(
        "cafe",
        [
            ParsedEntry(key=k, guid=k, url=None, title=t, published=now - timedelta(hours=i))
            for i, (k, t) in enumerate(titles.items())
        ],
        now=now,
        tagger=lambda e: rules.tag_entry("cafe", e),
    )
    store.set_meta("rules_fingerprint", rules.fingerprint)
    ids = {e.key: e.id for e in store.list_entries(Selection(limit=50)).entries}
    for v in [*VERDICTS, Verdict("ia", "ia", False)]:
        store.correct_tag(ids[v.entry_id], v.tag, added=v.added, editor="Maud", now=now)
    return ids


def test_the_command_on_each_store(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "feeds.yaml"
    config.write_text(FEEDS_YAML, encoding="utf-8")
    ids = seed(store, config)
    monkeypatch.setenv("VEILLE_CONFIG", str(config))
    monkeypatch.setenv("VEILLE_DATABASE_URL", store.engine.url.render_as_string(False))
    result = CliRunner().invoke(app, ["tags", "suggest", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert (data["corrections"], data["agreeing"], data["entries"]) == (5, 1, 9)
    rows = {
        (p["key"], p["term"]): (
            p["number"],
            sorted(p["satisfied"], key=int),
            p["broken"],
            p["gained"],
            p["lost"],
        )
        for p in data["proposals"]
    }
    f, j, c, ia = ids["formule"], ids["juin"], ids["choc"], ids["ia"]
    assert rows == {
        ("match", "brevet des collèges"): (1, [f, j], [], 0, 0),
        ("match", "brevet"): (2, [f, j], [], 1, 0),
        ("match", "collèges"): (3, [f, j], [], 1, 0),
        ("match", "IA"): (4, [ia], [], 0, 0),
        ("ignore", "tablette de chocolat"): (5, [c], [], 0, 1),
    }
    ignore = next(p for p in data["proposals"] if p["term"] == "tablette de chocolat")
    assert ignore["diff"] == [
        {"op": "+", "line": 12, "text": '    ignore: ["tablette de chocolat"]'}
    ]
    ia = next(p for p in data["proposals"] if p["theme"] == "ia")
    assert ia["diff"] is None and "écrit entre { … }" in ia["refused"]
    assert config.read_text(encoding="utf-8") == FEEDS_YAML  # a listing writes nothing


# --- end to end: a subprocess on a SQLite file ----------------------------------------------


def veille(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = veille_env(
        VEILLE_CONFIG=str(tmp_path / "feeds.yaml"),
        VEILLE_DATABASE_URL=f"sqlite:///{tmp_path / 'v.db'}",
        COLUMNS="200",
    )
    return subprocess.run(
        [sys.executable, "-m", "veille", "tags", "suggest", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def seeded_files(tmp_path: Path) -> Path:
    """feeds.yaml and a seeded SQLite file in ``tmp_path``; the path of feeds.yaml."""
    config = tmp_path / "feeds.yaml"
    config.write_bytes(FEEDS_YAML.encode())
    store = Store(f"sqlite:///{tmp_path / 'v.db'}")
    store.migrate()
    seed(store, config)
    store.close()
    return config


def test_list_apply_and_retag_end_to_end(tmp_path: Path) -> None:
    config = seeded_files(tmp_path)

    listing = veille(tmp_path)
    assert listing.returncode == 0, listing.stderr
    out = listing.stdout
    assert "5 corrections de thèmes (1 déjà en accord avec les règles)" in out
    assert "1. [" in out and "Ajouter « brevet des collèges » aux termes du thème Évaluation" in out
    assert "2 corrections satisfaites, 0 contredite · aucun autre article changé" in out
    assert (
        "Ne plus compter « tablette* » dans « tablette de chocolat » (thème Tablettes, ignore)"
        in out
    )
    assert f"1 article le perdrait\n   Par exemple : « {TITLES['noel']} »" in out
    assert '     +   12     ignore: ["tablette de chocolat"]' in out
    assert "Impossible à écrire" in out and "écrit entre { … }" in out
    codes = dict(re.findall(r"^(\d+)\. \[([0-9a-f]{6})\]", out, re.MULTILINE))

    # The ignore by its code, « brevet » by its number: the lines each writes, nothing else.
    applied = veille(tmp_path, "--apply", f"{codes['5']},2", "--retag")
    assert applied.returncode == 0, applied.stderr
    after = config.read_bytes()
    inserted = b'    ignore: ["tablette de chocolat"]\n'
    assert after.count(inserted) == 1
    old_match, new_match = b'    match: ["QCM"]\n', b'    match: ["QCM", "brevet"]\n'
    assert after.replace(inserted, b"").replace(new_match, old_match) == FEEDS_YAML.encode()
    assert applied.stdout.startswith(
        f"[{codes['5']}] Ne plus compter « tablette* » dans « tablette de chocolat » (thème "
        f"Tablettes, ignore)\n[{codes['2']}] Ajouter « brevet » aux termes du thème Évaluation "
        "(match)\nfeeds.yaml modifié (2 propositions appliquées) :\n"
    )
    assert "9 articles relus, 2 avec des thèmes modifiés." in applied.stdout

    store = Store(f"sqlite:///{tmp_path / 'v.db'}")
    tags = {e.key: e.tags for e in store.list_entries(Selection(limit=50)).entries}
    store.close()
    assert tags["noel"] == () and tags["blanc"] == ("evaluation",)  # what was announced
    assert tags["choc"] == () and tags["tab"] == ("tablettes",)  # the verdicts still hold

    # Now the rules agree with the verdicts they were taught.
    again = veille(tmp_path, "--json")
    data = json.loads(again.stdout)
    assert data["agreeing"] == 4 and {p["term"] for p in data["proposals"]} == {"IA"}


def test_an_apply_that_cannot_be_written_leaves_feeds_yaml_untouched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = seeded_files(tmp_path)
    code = RuleChange("ia", "match", False, "IA").code  # the theme written in { … }

    refused = veille(tmp_path, "--apply", f"1,{code}")
    assert refused.returncode == 2
    assert re.search(
        r"Modification refusée — .*feeds\.yaml:20: .*écrit entre \{ … \}", refused.stderr
    )
    assert config.read_bytes() == FEEDS_YAML.encode()  # not even proposal 1 was written

    monkeypatch.setenv("VEILLE_CONFIG", str(config))
    monkeypatch.setenv("VEILLE_DATABASE_URL", f"sqlite:///{tmp_path / 'v.db'}")
    unknown = CliRunner().invoke(app, ["tags", "suggest", "--apply", "99"])
    assert unknown.exit_code == 2 and "proposition inconnue : « 99 »" in unknown.output
    assert config.read_bytes() == FEEDS_YAML.encode()
