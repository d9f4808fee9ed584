"""Tag rules beyond plain terms: weak terms and field points, context exclusions, « a | b »,
« a + b » and « a ~ b », vetoes and their field, dotted acronyms, hosts and « site: »
(table-driven, on project-written text)."""

from __future__ import annotations

from pathlib import Path

import pytest

from veille.config.load import validate_config
from veille.models import ParsedEntry, TagRule
from veille.rules.hosts import HostPatterns, host_of
from veille.rules.ruleset import RuleSet
from veille.rules.tagging import EntryText, TagReason, compile_rules, tag

RULES = compile_rules(
    [
        TagRule(
            "tablettes",
            "Tablettes",
            match=("tablette*",),
            weak=("portable", "smartphone"),
            ignore=("tablette de chocolat",),
        ),
        TagRule("ia", "IA", match=("IA",), ignore=("IA-IPR",)),
        TagRule("ent", "ENT", match=("ENT", "Pronote | École directe")),
        TagRule("jeux", "Jeux", weak=("jeu", "jeux", "ludique")),  # « jeu », « jeux »: one word
        TagRule(
            "annonces",
            "Annonces",
            match=("ministre | rectorat + annonce* | dévoile*", "site:ac-*.fr + Pix | ENT"),
            hosts=("*.education.gouv.fr", "eduscol.education.fr"),
            exclude=("témoignage",),
        ),
    ]
)


def tags_of(title: str = "", summary: str = "", content: str = "", url: str | None = None) -> set:
    return set(tag(EntryText(title=title, summary=summary, content=content, url=url), RULES))


CASES = [
    # (title, summary, content, url, expected)
    # weak terms: never enough alone; a title counts 3, a summary 2, a content 1; 4 needed
    ("Le portable au collège", "", "", None, set()),
    ("Le portable au collège", "Un smartphone par élève.", "", None, {"tablettes"}),
    ("", "Portable et smartphone en classe.", "", None, {"tablettes"}),
    ("", "Un portable en classe.", "", None, set()),
    ("", "", "portable et smartphone", None, set()),  # a long text: passing mentions
    ("Jeux de cour", "Le jeu du loup.", "", None, set()),  # « jeu » and « jeux » count once
    ("Un jeu ludique", "", "", None, {"jeux"}),  # two different weak words in a title
    # strong terms: anywhere
    ("", "", "Des tablettes en maternelle.", None, {"tablettes"}),
    # context exclusions: the occurrence inside the phrase does not count, another one does
    ("La tablette de chocolat", "", "", None, set()),
    ("Tablettes de chocolat et tablettes tactiles", "", "", None, {"tablettes"}),
    ("Les IA-IPR de lettres", "", "", None, set()),
    ("L'IA vue par les IA-IPR", "", "", None, {"ia"}),
    # dotted acronyms are words
    ("L'I.A. au lycée", "", "", None, {"ia"}),
    ("Les I.A.-I.P.R. en visite", "", "", None, set()),
    ("Panne de l'E.N.T.", "", "", None, {"ent"}),
    ("Une I.A.", "", "", None, {"ia"}),
    ("Les i.a. et le e.n.t.", "", "", None, {"ia", "ent"}),
    ("L'I.A au lycée", "", "", None, {"ia"}),  # the last dot left out
    ("Les I.A.-I.P.R en visite", "", "", None, set()),
    ("Voir www.i.a.exemple.fr", "", "", None, set()),  # not inside a host name
    # a | b
    ("École directe en panne", "", "", None, {"ent"}),
    # a + b: in one field, or across the title and the summary
    ("Le ministre annonce un plan", "", "", None, {"annonces"}),
    ("Le rectorat", "Il dévoile le calendrier.", "", None, {"annonces"}),
    ("Le ministre en visite", "", "", None, set()),
    ("", "", "Le ministre en visite. Il annonce un plan.", None, {"annonces"}),
    ("Le ministre en visite", "", "Un plan est annoncé.", None, set()),  # not title + content
    # hosts and site:
    ("Note de service", "", "", "https://www.education.gouv.fr/bo/x", {"annonces"}),
    ("Note de service", "", "", "https://eduscol.education.fr/x", {"annonces"}),
    ("Note de service", "", "", "https://education.gouv.fr.example.net/x", set()),
    ("Pix en 6e", "", "", "https://www.ac-lyon.fr/pix", {"annonces"}),
    ("Pix en 6e", "", "", "https://dane.ac-lyon.fr/pix", set()),  # ac-*.fr: no label below
    ("Les sorties scolaires", "", "", "https://www.ac-lyon.fr/x", set()),
    ("Mon témoignage", "", "", "https://www.education.gouv.fr/x", set()),  # the veto wins
]


@pytest.mark.parametrize(("title", "summary", "content", "url", "expected"), CASES)
def test_rule_semantics(
    title: str, summary: str, content: str, url: str | None, expected: set[str]
) -> None:
    assert tags_of(title, summary, content, url) == expected


def test_an_exclusion_can_be_limited_to_some_hosts() -> None:
    # An académie's own pages are official, its teachers' sequences there are not; the same
    # word elsewhere (a ministry page about sequences) vetoes nothing.
    rules = compile_rules(
        [
            TagRule(
                "officiel",
                "Officiel",
                match=("circulaire",),
                hosts=("ac-*.fr", "*.education.gouv.fr"),
                exclude=("site:*.ac-*.fr + séquence | je",),
            )
        ]
    )

    def given(title: str, url: str) -> set[str]:
        return set(tag(EntryText(title=title, url=url), rules))

    assert given("Calendrier des examens", "https://www.ac-lyon.fr/a") == {"officiel"}
    assert given("Ma séquence sur Pix", "https://www.ac-lyon.fr/a") == set()
    assert given("La circulaire : ma séquence", "https://histoire.ac-lyon.fr/a") == set()
    assert given("La circulaire : ma séquence", "https://blog.example.org/a") == {"officiel"}
    assert given("Une séquence type", "https://www.education.gouv.fr/a") == {"officiel"}


def test_reasons_say_which_words_which_field_which_rule() -> None:
    got = tag(
        EntryText(
            title="Le portable en classe",
            summary="Un smartphone par élève ; le rectorat annonce un plan.",
            url="https://www.education.gouv.fr/x",
        ),
        RULES,
    )
    assert got == {
        "tablettes": TagReason("title", "portable + smartphone"),  # weak terms adding up
        # the term as written (what ``tags suggest`` edits) and what was found of it
        "annonces": TagReason(
            "summary", "ministre | rectorat + annonce* | dévoile*", "rectorat + annonce*"
        ),
    }
    by_link = tag(EntryText(title="Sans mots", url="https://eduscol.education.fr/x"), RULES)
    assert by_link == {"annonces": TagReason("link", "eduscol.education.fr")}
    site = tag(EntryText(title="L'ENT", url="https://ac-nice.fr/a"), RULES)
    assert site["annonces"] == TagReason("summary", "site:ac-*.fr + Pix | ENT", "ac-*.fr + ENT")
    assert site["annonces"].shown == "ac-*.fr + ENT"
    assert by_link["annonces"].shown == "eduscol.education.fr"  # nothing to narrow down


def test_categories_are_read_one_by_one_for_phrases_together_for_combinations() -> None:
    assert "tablettes" in tag(EntryText(title="Rentrée", categories=("Tablettes",)), RULES)
    phrase = compile_rules([TagRule("x", "X", match=("classe inversée",))])
    assert tag(EntryText(title="R", categories=("classe", "inversée")), phrase) == {}
    entry = EntryText(title="Rentrée", categories=("ministre", "annonce"))
    reason = TagReason(
        "category", "ministre | rectorat + annonce* | dévoile*", "ministre + annonce*"
    )
    assert tag(entry, RULES)["annonces"] == reason


HOSTS = [
    # (pattern, host, matches)
    ("education.gouv.fr", "education.gouv.fr", True),
    ("education.gouv.fr", "www.education.gouv.fr", True),  # www. is ignored
    ("education.gouv.fr", "eduscol.education.gouv.fr", False),
    ("*.education.gouv.fr", "education.gouv.fr", True),
    ("*.education.gouv.fr", "a.b.education.gouv.fr", True),
    ("*.education.gouv.fr", "education.gouv.fr.evil.example", False),
    ("*.education.gouv.fr", "noteducation.gouv.fr", False),
    ("ac-*.fr", "ac-versailles.fr", True),
    ("ac-*.fr", "www.ac-versailles.fr", True),
    ("ac-*.fr", "dane.ac-versailles.fr", False),
    ("dane.ac-*.fr", "dane.ac-versailles.fr", True),
    ("*.ac-*.fr", "histoire.ac-versailles.fr", True),
    ("*.ac-*.fr", "ac-versailles.fr.example.com", False),
]


@pytest.mark.parametrize(("pattern", "host", "matches"), HOSTS)
def test_host_patterns(pattern: str, host: str, matches: bool) -> None:
    patterns = HostPatterns.build([(0, pattern)])
    assert bool(patterns.matches(f"https://{host}/page?x=1")) is matches


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("https://WWW.Education.Gouv.FR./x", "education.gouv.fr"),
        ("http://user@ac-lyon.fr:8080/x", "ac-lyon.fr"),
        ("pas une adresse", None),
        ("", None),
        (None, None),
        ("http://[::1/", None),
    ],
)
def test_host_of(url: str | None, host: str | None) -> None:
    assert host_of(url) == host


def test_the_pipeline_applies_hosts_to_each_entry_link() -> None:
    from veille.ingest.parse.prepare import extras_for

    rules = RuleSet.build(RULES.rules, {"f": ("actualite",)})
    entries = [
        ParsedEntry(key="a", guid=None, url="https://www.education.gouv.fr/a", title="Rentrée"),
        ParsedEntry(key="b", guid=None, url="https://example.org/b", title="Rentrée"),
        ParsedEntry(key="c", guid=None, url=None, title="L'I.A. au collège"),
    ]
    extras = extras_for("f", entries, rules.spec)
    assert extras["a"].tags["annonces"] == TagReason("link", "*.education.gouv.fr")
    assert set(extras["b"].tags) == {"actualite"}
    assert extras["c"].tags["ia"] == TagReason("title", "IA")
    # the same tags outside the workers (IMAP letters, retag)
    assert rules.tag_entry("f", entries[0]) == extras["a"].tags
    assert rules.tag_fields("f", "Rentrée", "", "", (), "https://www.education.gouv.fr/a") == (
        extras["a"].tags
    )


def test_fingerprint_changes_with_every_key() -> None:
    base = TagRule("t", "T", match=("a",))
    prints = {
        RuleSet.build([rule], {}).fingerprint
        for rule in (
            base,
            TagRule("t", "T", match=("a",), weak=("b",)),
            TagRule("t", "T", match=("a",), ignore=("a b",)),
            TagRule("t", "T", match=("a",), hosts=("x.fr",)),
            TagRule("t", "T", match=("a",), exclude=("b",)),
        )
    }
    assert len(prints) == 5


FEEDS = "feeds:\n  - id: a\n    url: https://a.example/feed\ntags:\n  t:\n    label: T\n"


@pytest.mark.parametrize(
    ("lines", "line", "reason"),
    [
        ('    hosts: ["https://eduscol.education.fr/"]\n', 7, "hôte « https://eduscol"),
        ('    hosts: ["Eduscol.fr"]\n', 7, "en minuscules"),
        ('    hosts: ["ac-lyon.*"]\n', 7, "ni dans la terminaison"),
        ('    hosts: ["fr"]\n', 7, "invalide"),
        ('    match: ["a + "]\n', 7, "sans rien à côté"),
        ('    match: ["a | | b"]\n', 7, "sans rien à côté"),
        ('    match: ["a ~ "]\n', 7, "sans rien à côté"),
        ('    match: ["a + b ~ c"]\n', 7, "ne se mélangent pas"),
        ('    match: ["site:ac-*.fr ~ Pix"]\n', 7, "pas un site"),
        ('    weak: ["x", "site:Ac-*.fr + Pix"]\n', 7, "hôte « Ac-*.fr »"),
        ('    ignore: ["tab*lette"]\n', 7, "fin de terme"),
        ('    match: ["a"]\n    weak: 3\n', 8, "liste"),
    ],
)
def test_bad_rules_are_refused_at_their_line(
    tmp_path: Path, lines: str, line: int, reason: str
) -> None:
    path = tmp_path / "feeds.yaml"
    path.write_text(FEEDS + lines, encoding="utf-8")
    errors = validate_config(path)
    assert errors, lines
    assert errors[0].line == line and reason in str(errors[0]), str(errors[0])


def test_good_rules_load(tmp_path: Path) -> None:
    path = tmp_path / "feeds.yaml"
    path.write_text(
        FEEDS + '    match: ["a | b + c", "site:*.ac-*.fr + d", "a ~ b | c ~ d*"]\n'
        '    weak: ["e"]\n    ignore: ["a f"]\n    hosts: ["*.education.gouv.fr", "ac-*.fr"]\n',
        encoding="utf-8",
    )
    assert validate_config(path) == []


NEAR_RULES = compile_rules(
    [
        TagRule(
            "annonces",
            "Annonces",
            match=("ministre | rectorat ~ annonce* | dévoile*",),
            weak=("décret", "officiel"),
            hosts=("*.education.gouv.fr",),
            exclude=("dénoncent", "mes élèves"),
        ),
        TagRule(
            "evaluation",
            "Évaluation",
            match=("évaluation* ~ élèves | CP ~ mathématiques",),
            ignore=("évaluation des politiques",),
        ),
    ]
)


def near_tags(title: str = "", summary: str = "", url: str | None = None) -> dict[str, TagReason]:
    return tag(EntryText(title=title, summary=summary, url=url), NEAR_RULES)


@pytest.mark.parametrize(
    ("title", "summary", "expected"),
    [
        # « a ~ b »: both in one field, at most five words between them, in either order
        ("Le ministre annonce un plan numérique", "", {"annonces"}),
        ("Le ministre de l'Éducation nationale annonce un plan", "", {"annonces"}),
        ("Plan numérique annoncé par le rectorat", "", {"annonces"}),
        ("", "Le rectorat dévoile son calendrier.", {"annonces"}),
        # too far apart: two clauses, not one act
        (
            "",
            "Le ministre était hier à Lyon, dans une école où une association de parents "
            "annonce un projet.",
            set(),
        ),
        # never across the title and the summary (« a + b » would be)
        ("Le ministre en visite à Lyon", "Une association annonce un projet.", set()),
        # a chain: each part within five words of the next
        ("Évaluations des élèves de CP en mathématiques", "", {"evaluation"}),
        ("Évaluations de CP", "", set()),  # a part missing
        (
            "Évaluations des élèves : les résultats sont publiés, on attend ceux de CP et la "
            "suite en mathématiques",
            "",
            set(),  # « CP » far from « élèves »: the chain breaks
        ),
        # an ignored phrase still masks the occurrence it holds
        ("Évaluation des politiques pour les élèves de CP en mathématiques", "", set()),
    ],
)
def test_near_terms_need_their_parts_close_together(
    title: str, summary: str, expected: set[str]
) -> None:
    assert set(near_tags(title, summary)) == expected


def test_a_near_reason_names_the_words_that_stand_close() -> None:
    """Of a ``~`` term whose alternatives occur in several places, the reason names the pair
    that stands close (the one that gave the theme), not merely the first alternatives found."""
    title = "Le ministre était absent ce jour-là, mais hier le rectorat annonce un plan"
    reason = near_tags(title, "")["annonces"]
    assert (reason.field, reason.shown) == ("title", "rectorat ~ annonce*")
    assert reason.term == "ministre | rectorat ~ annonce* | dévoile*"


def test_a_veto_counts_from_the_field_of_the_evidence_or_a_more_prominent_one() -> None:
    reaction = "Les syndicats dénoncent une réforme précipitée."
    # the title reports the act; the reaction in the summary does not undo it
    given = near_tags("Le ministre annonce la fin des notes", reaction)
    near = "ministre | rectorat ~ annonce* | dévoile*"
    assert given == {"annonces": TagReason("title", near, "ministre ~ annonce*")}
    # the title is the reaction: vetoed, wherever the act is
    assert near_tags("Les syndicats dénoncent la réforme", "Le ministre l'a annoncée hier.") == {}
    # evidence and veto in the same field: vetoed
    assert near_tags("Réforme", "Le ministre annonce la réforme ; les syndicats dénoncent.") == {}
    # weak terms adding up in the title, veto in the summary: kept
    assert set(near_tags("Un décret officiel", reaction)) == {"annonces"}
    # the link is the least prominent field: a veto anywhere cancels what the host gave
    page = "https://eduscol.education.gouv.fr/page"
    assert set(near_tags("Séquence de lecture", "Une séance.", page)) == {"annonces"}
    assert near_tags("Séquence de lecture", "Ce que font mes élèves.", page) == {}
