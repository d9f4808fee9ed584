"""French normalisation: folding, elisions, word boundaries, light stemming, HTML to text."""

from __future__ import annotations

import pytest

from veille.text import fold, normalize, stem, strip_html, tokens


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Évaluation", "evaluation"),
        ("ÉLÈVES À L'ÉCOLE", "eleves a l'ecole"),
        ("Œuvre, cœur, Æsope", "oeuvre, coeur, aesope"),
        ("ﬁche 1ᵉʳ", "fiche 1er"),
        ("ça, où, naïf, Noël", "ca, ou, naif, noel"),
        ("plain ASCII", "plain ascii"),
    ],
)
def test_fold(text: str, expected: str) -> None:
    assert fold(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("L'IA", ["ia"]),
        ("l’IA générative", ["ia", "generative"]),
        ("d'évaluation", ["evaluation"]),
        ("qu’il", ["il"]),
        ("jusqu'à lorsqu'on puisqu'elle", ["a", "on", "elle"]),
        ("j'ai m'a n'est s'il t'es c'est", ["ai", "a", "est", "il", "es", "est"]),
        ("aujourd'hui", ["aujourd", "hui"]),  # not an elision: the apostrophe separates
        ("L' IA", ["l", "ia"]),  # no word right after the apostrophe: not elided
        ("M@gistère", ["magistere"]),
        ("contact@example.org", ["contactaexample", "org"]),
        ("@veille", ["veille"]),
        ("auto-évaluation", ["auto", "evaluation"]),
        ("Wi-Fi", ["wi", "fi"]),
        ("apps.education.fr", ["apps", "education", "fr"]),
        ("CM1-CM2, 3e", ["cm1", "cm2", "3e"]),
        ("snake_case", ["snake", "case"]),
        ("« Quiz ! »… (QCM)", ["quiz", "qcm"]),
        ("", []),
    ],
)
def test_tokens(text: str, expected: list[str]) -> None:
    assert tokens(text) == expected


def test_normalize() -> None:
    assert normalize("Jeux d’évasion, QCM…") == "jeux evasion qcm"
    assert normalize("  L'IA   à l’École  ") == "ia a ecole"


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("tablettes", "tablette"),
        ("evaluations", "evaluation"),
        ("jeux", "jeu"),
        ("jeu", "jeu"),
        ("journaux", "journal"),
        ("reseaux", "reseau"),
        ("tableaux", "tableau"),
        ("bijoux", "bijou"),
        ("eaux", "eau"),
        ("faux", "faux"),  # too short for -aux → -al
        ("stress", "stress"),
        ("ents", "ent"),
        ("dys", "dys"),  # three letters or fewer: unchanged
        ("ia", "ia"),
        ("3es", "3es"),  # digits: unchanged
        ("donnees", "donnee"),
    ],
)
def test_stem(word: str, expected: str) -> None:
    assert stem(word) == expected


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("<p>Un</p><p>deux</p>", "Un deux"),
        ("<b>é</b>valuation", "évaluation"),
        ("a<br/>b", "a b"),
        ("l&#8217;IA &amp; l&rsquo;école", "l’IA & l’école"),
        ("<script>x()</script>texte", "texte"),
        ("sans balise", "sans balise"),
    ],
)
def test_strip_html(html: str, expected: str) -> None:
    assert strip_html(html) == expected
