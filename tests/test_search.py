"""Full-text search: index text, query compilation (FTS5 and tsquery), and a real FTS5 table."""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Iterator

import pytest

from veille.errors import QueryError
from veille.rules.search import (
    BM25_WEIGHTS,
    FTS_COLUMNS,
    FTS_PREFIX,
    FTS_TOKENIZE,
    MAX_BODY_CHARS,
    MAX_QUERY_CHARS,
    IndexedText,
    Term,
    compile_query,
    index_text,
    to_tsquery,
)
from veille.text import tokens

# --- compile_query: exact MATCH strings ---------------------------------------------------


@pytest.mark.parametrize(
    ("query", "match"),
    [
        ("tablette", '"tablette"'),
        ("Tablettes", '"tablette"'),
        ("Évaluations", '"evaluation"'),
        ("EVALUATION", '"evaluation"'),
        ("l'IA", '"ia"'),
        ("l’IA", '"ia"'),
        ("L' IA", '"ia"'),  # a lone elision is dropped
        ("jeux", '"jeu"'),
        ("journaux", '"journal"'),
        ("M@gistère", '"magistere"'),
        ("IA tablette", '"ia" AND "tablette"'),
        ("IA AND tablette", '"ia" AND "tablette"'),
        ("ia ia IA", '"ia"'),
        ('"classe inversée"', '"classe inversee"'),
        ("« classe inversée »", '"classe inversee"'),
        ("“classe inversée”", '"classe inversee"'),
        ('"classe inversée', '"classe inversee"'),  # an unclosed quote runs to the end
        ("auto-évaluation", '"auto evaluation"'),
        ("title:x", '"title x"'),
        ("ia -moodle", '"ia" NOT "moodle"'),
        ("ia NOT moodle", '"ia" NOT "moodle"'),
        ("ia tablette -moodle", '("ia" AND "tablette") NOT "moodle"'),
        ('ia -moodle -"jeux sérieux"', '"ia" NOT ("moodle" OR "jeu serieu")'),
        ("ENT OR Pix", '("ent" OR "pix")'),
        ("ENT OR Pix OR ENT", '("ent" OR "pix")'),
        ("ENT OR Pix tablette", '("ent" OR "pix") AND "tablette"'),
        ('tablette ENT OR "classe inversée"', '"tablette" AND ("ent" OR "classe inversee")'),
        ("ENT or Pix", '"ent" AND "or" AND "pix"'),  # lowercase "or" is a word
        ("OR ia", '"ia"'),  # dangling operators are ignored
        ("ia OR", '"ia"'),
        ("ia NOT", '"ia"'),
        ("tablet*", '"tablet"*'),
        ("évalu*", '"evalu"*'),
        ("tablettes*", '("tablettes"* OR "tablette")'),
        ("journau*", '("journau"* OR "journal")'),
        ("tablet*)", '"tablet"*'),
        ('"classe invers*"', '("classe invers"* OR "classe inver")'),
        ('"jeux d’évas*"', '("jeu evas"* OR "jeu eva")'),
        ('"jeux d’évasi*"', '"jeu evasi"*'),
        ("ta*ble", '"ta ble"'),  # a star inside a word separates
        ("-tablet* ia", '"ia" NOT "tablet"*'),
        ('") OR 1=1--', '"or 1 1"'),
        ("NEAR(", '"near"'),
        ("^x", '"x"'),
        ("a\x00b\x07c", '"a b c"'),
        ("IA 🙂", '"ia"'),
    ],
)
def test_compile_match(query: str, match: str) -> None:
    assert compile_query(query).match == match


def test_compiled_structure() -> None:
    compiled = compile_query('ENT OR "classe inversée" tablet* -moodle')
    assert compiled.groups == (
        (Term(("ent",)), Term(("classe", "inversee"))),
        (Term(("tablet",), prefix=True),),
    )
    assert compiled.excluded == (Term(("moodle",)),)


@pytest.mark.parametrize(
    ("query", "tsquery"),
    [
        ("tablette", "'tablette'"),
        ("Évaluations l'IA", "'evaluation' & 'ia'"),
        ('"classe inversée"', "('classe' <-> 'inversee')"),
        ("ENT OR Pix tablette", "('ent' | 'pix') & 'tablette'"),
        ("tablet*", "'tablet':*"),
        ("tablettes*", "('tablettes':* | 'tablette')"),
        ('"classe invers*"', "(('classe' <-> 'invers':*) | ('classe' <-> 'inver'))"),
        ("ia -moodle", "'ia' & !'moodle'"),
        ('ia -moodle -"jeu sérieux"', "'ia' & !('moodle' | ('jeu' <-> 'serieu'))"),
    ],
)
def test_to_tsquery(query: str, tsquery: str) -> None:
    assert to_tsquery(compile_query(query)) == tsquery


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "recherche vide"),
        ("   ", "recherche vide"),
        ('"', "recherche vide"),
        ('""', "recherche vide"),
        ("*", "recherche vide"),
        ("-", "recherche vide"),
        ("((", "recherche vide"),
        ("l'", "recherche vide"),
        ("l’ qu' d'", "recherche vide"),
        ("AND", "recherche vide"),
        ("OR", "recherche vide"),
        ("NOT", "recherche vide"),
        ("🙂", "recherche vide"),
        ("-moodle", "que des exclusions"),
        ('-moodle -"jeu sérieux"', "que des exclusions"),
        ("NOT moodle", "que des exclusions"),
        ("ia OR -moodle", "« OR »"),
        ("-moodle OR ia", "« OR »"),
        ("a*", "au moins 2 lettres"),
        ("x" * (MAX_QUERY_CHARS + 1), "trop longue"),
        (" ".join(f"mot{i}" for i in range(31)), "trop complexe"),
    ],
)
def test_compile_errors(query: str, message: str) -> None:
    with pytest.raises(QueryError, match=message):
        compile_query(query)


def test_prefix_alternatives() -> None:
    assert Term(("tablet",), prefix=True).alternatives() == [Term(("tablet",), prefix=True)]
    assert Term(("bureaux",), prefix=True).alternatives() == [
        Term(("bureaux",), prefix=True),
        Term(("bureau",)),
    ]
    assert Term(("tablette",)).alternatives() == [Term(("tablette",))]


# --- index_text -------------------------------------------------------------------------


def test_index_text() -> None:
    indexed = index_text(
        "L’IA générative : des Tablettes à l'école",
        "<p>Les évaluations</p>",
        "<p>Les <b>é</b>valuations nationales des élèves&nbsp;!</p>",
        "Jean Dupont",
        ["Numérique", "Jeux d'évasion"],
    )
    assert indexed == IndexedText(
        title="ia generative des tablette a ecole",
        # the summary is left out: the content repeats it
        body="numerique jeu evasion jean dupont les evaluation nationale des eleve",
    )


def test_index_text_summary_repeated_or_not() -> None:
    indexed = index_text("", "Résumé court", "<p>Contenu</p>")
    assert indexed == IndexedText(title="", body="resume court contenu")
    cut = index_text(
        "", "Les évaluations nationales des él…", "Les évaluations nationales des élèves"
    )
    assert cut.body == "les evaluation nationale des eleve"
    # the summary is compared word by word: "IA" is not repeated by "via"
    assert index_text("", "IA", "Accès via le portail").body == "ia acce via le portail"


def test_index_text_is_bounded() -> None:
    content = "<p>" + "évaluations " * 50_000 + "</p>"
    body = index_text("x" * 5000, "", content).body
    assert len(body) <= MAX_BODY_CHARS
    assert set(body.split()) == {"evaluation"}  # cut between words
    assert len(index_text("mot " * 1000, "", "").title) <= 1_000


# --- a real FTS5 table --------------------------------------------------------------------

# (title, summary, content, categories)
ENTRIES: dict[int, tuple[str, str, str, tuple[str, ...]]] = {
    1: ("L’IA générative arrive en classe", "ChatGPT et les devoirs.", "", ("Numérique",)),
    2: ("Des tablettes pour les élèves de 6e", "", "<p>Le département équipe.</p>", ()),
    3: ("Évaluations nationales : les résultats", "", "<p>En CP et en CE1.</p>", ()),
    4: ("Classe inversée : un retour d'expérience", "", "<p>En SVT, au lycée.</p>", ()),
    5: ("Moodle 4.5 : les nouveautés", "", "<p>Pour les enseignants.</p>", ("Moodle",)),
    6: ("Jeux d'évasion pédagogiques", "", "<p>Un escape game sur la Révolution.</p>", ()),
    7: ("Le jeu sérieux au service des apprentissages", "", "<p>Différencier.</p>", ()),
    8: ("Semaine de la presse et des médias", "", "<p>Éducation aux médias.</p>", ()),
    9: ("Accès via le portail académique", "", "<p>Connexion unique.</p>", ()),
    10: ("L'ENT régional change de prestataire", "", "<p>Migration en juin.</p>", ()),
    11: ("L'enseignement à distance en question", "", "<p>Bilan.</p>", ()),
    12: ("Une tablette graphique en arts plastiques", "", "<p>Dessin.</p>", ()),
    13: ("Auto-évaluation : des QCM avec Plickers", "", "<p>Des cartes.</p>", ()),
    14: ("Pix : certifier les compétences numériques", "", "<p>En 3e.</p>", ()),
    15: ("RGPD et données des élèves", "", "<p>Les ENT et la CNIL.</p>", ()),
    16: ("Parcours M@gistère", "", "<p>Former à l’intelligence artificielle (IA).</p>", ()),
    17: ("Classe inversée et Moodle", "", "<p>Un dispositif hybride.</p>", ()),
    18: ("L'évaluation par compétences au collège", "", "<p>Sans notes.</p>", ()),
    19: ("Les parents et le numérique", "", "<p>Réunion.</p>", ()),
    20: ("Lumni : des vidéos pour réviser", "", "<p>Ressources.</p>", ()),
    21: ("Journaux scolaires : créer un média", "", "<p>En classe.</p>", ()),
    22: ("Renouvellement des vidéoprojecteurs", "", "<p>Équipement.</p>", ()),
    23: ("Kahoot ou Quizinière ?", "", "<p>Comparatif des outils de quiz.</p>", ()),
    24: ("Désinformation : vérifier une image", "", "<p>Avec les élèves.</p>", ()),
    25: ("Accessibilité numérique et RGAA", "", "<p>Pour les équipes.</p>", ()),
    26: ("Hybridation des enseignements", "", "<p>Bilan de l'année.</p>", ()),
    27: ("ÉVALUATION DIAGNOSTIQUE EN MATHÉMATIQUES", "", "<p>Seconde.</p>", ()),
    28: ("Tablettes interdites en maternelle ?", "", "<p>Un rapport.</p>", ()),
    29: ("Un journal scolaire en ligne", "", "<p>Un jeu de piste.</p>", ()),
    30: ("Le wifi dans les lycées", "", "<p>Déploiement. Le Moodle académique.</p>", ()),
    31: ("Classe renversée, pédagogie inversée", "", "<p>Deux mots.</p>", ()),
}


@pytest.fixture(scope="module")
def fts() -> Iterator[sqlite3.Connection]:
    db = sqlite3.connect(":memory:")
    db.execute(
        f"CREATE VIRTUAL TABLE entry_fts USING fts5({', '.join(FTS_COLUMNS)}, "
        f"tokenize = '{FTS_TOKENIZE}', prefix = '{FTS_PREFIX}')"
    )
    for rowid, (title, summary, content, categories) in ENTRIES.items():
        row = index_text(title, summary, content, None, categories)
        db.execute(
            "INSERT INTO entry_fts(rowid, title, body) VALUES (?, ?, ?)",
            (rowid, row.title, row.body),
        )
    yield db
    db.close()


def search(db: sqlite3.Connection, query: str) -> list[int]:
    weights = ", ".join(map(str, BM25_WEIGHTS))
    sql = f"SELECT rowid FROM entry_fts WHERE entry_fts MATCH ? ORDER BY bm25(entry_fts, {weights})"
    return [r[0] for r in db.execute(sql, (compile_query(query).match,))]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # accents and case
        ("évaluation", {3, 13, 18, 27}),
        ("evaluation", {3, 13, 18, 27}),
        ("EVALUATION", {3, 13, 18, 27}),
        ("Évaluations", {3, 13, 18, 27}),
        ("magistère", {16}),
        ("M@gistère", {16}),
        # elisions, and the whole-word traps
        ("IA", {1, 16}),
        ("l'IA", {1, 16}),
        ("l’IA", {1, 16}),
        ("ENT", {10, 15}),
        ("l'ENT", {10, 15}),
        ("média", {8, 21}),
        # plurals
        ("tablette", {2, 12, 28}),
        ("Tablettes", {2, 12, 28}),
        ("jeux", {6, 7, 29}),
        ("jeu", {6, 7, 29}),
        ("journal", {21, 29}),
        ("journaux", {21, 29}),
        # phrases
        ('"classe inversée"', {4, 17}),
        ("classe inversée", {4, 17, 31}),
        ('"jeux d’évasion"', {6}),
        ('"jeu d\'évasion"', {6}),
        ('"évasion jeux"', set()),
        # exclusion, OR, prefix
        ('"classe inversée" -moodle', {4}),
        ("classe -moodle -renversée", {1, 4, 21}),
        ("ENT OR Pix", {10, 14, 15}),
        ("ENT OR Pix -RGPD", {10, 14}),
        ("tablet*", {2, 12, 28}),
        ("tablettes*", {2, 12, 28}),
        ("évalu*", {3, 13, 18, 27}),
        ("journau*", {21, 29}),  # the index holds stems: journaux is journal
        ('"classe invers*"', {4, 17}),
        ("vidéo*", {20, 22}),
        ("certif*", {14}),
        # categories are searchable
        ("numérique", {1, 14, 19, 25}),
    ],
)
def test_search(fts: sqlite3.Connection, query: str, expected: set[int]) -> None:
    assert set(search(fts, query)) == expected


def test_title_ranks_first(fts: sqlite3.Connection) -> None:
    # "moodle" is in the titles of 5 and 17, in the body of 30 only
    assert set(search(fts, "moodle")[:2]) == {5, 17}
    assert search(fts, "moodle")[-1] == 30


def test_prefix_finds_every_word_starting_with_it(fts: sqlite3.Connection) -> None:
    """`p*` finds at least every entry with a word (unstemmed) starting with ``p``."""
    words: dict[int, set[str]] = {}
    for rowid, (title, summary, content, categories) in ENTRIES.items():
        words[rowid] = set(tokens(" ".join((title, summary, content, *categories))))
    prefixes = {w[:n] for ws in words.values() for w in ws for n in range(2, len(w) + 1)}
    for prefix in sorted(prefixes):
        wanted = {r for r, ws in words.items() if any(w.startswith(prefix) for w in ws)}
        assert wanted <= set(search(fts, prefix + "*")), prefix


HOSTILE = [
    '") OR 1=1--',
    '"',
    '""',
    "*",
    "**",
    "NEAR(",
    "NEAR(ia tablette, 2)",
    "l'",
    "AND",
    "OR",
    "NOT",
    "-",
    "--",
    "((",
    "))",
    "(ia",
    "title:x",
    "body:ia",
    "^x",
    "^",
    "{title body}: ia",
    "ia +tablette",
    "ia AND OR NOT tablette",
    "ia OR OR tablette",
    "ia NOT NOT tablette",
    '"ia" "',
    "'; DROP TABLE entry_fts; --",
    "x" * 10_000,
    "ia " * 200,
    "ia\x00tablette",
    "\x00",
    "\x01\x02\x1f\x7f",
    "ia\ud800",
    "🙂🎓📚",
    "IA 🤖 tablette",
    "ﷺ ꟊ ۝",
    "Ǆ ǅ ﬁ ẞ",
    "\u200b\u200d\ufeff",
    "٣٤ ١٢*",
]


def assert_safe(db: sqlite3.Connection, query: str) -> bool:
    """Either results, or a QueryError: never an sqlite3 error. True if the query ran."""
    try:
        search(db, query)
    except QueryError as e:
        assert str(e)
        return False
    return True


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_queries(fts: sqlite3.Connection, query: str) -> None:
    assert_safe(fts, query)


def test_fuzz(fts: sqlite3.Connection) -> None:
    rng = random.Random(20261129)
    alphabet = [
        *"abcdeéèàçIAENT \"'’*-()^:+{},.;!?@«»\t\n\x00\x1f",
        *("OR", "AND", "NOT", "NEAR", "l'", "IA", "🙂", "\ud800", "\u0301", "ﬁ", "œ"),
    ]
    ran = 0
    for _ in range(2000):
        query = "".join(rng.choices(alphabet, k=rng.randint(0, 40)))
        ran += assert_safe(fts, query)
    assert ran > 1000  # most queries reach SQLite: the property is not vacuous


def test_fuzz_any_character(fts: sqlite3.Connection) -> None:
    # Letters Python knows and SQLite's unicode61 tables may not (and the reverse).
    rng = random.Random(7)
    for _ in range(2000):
        chars = [chr(rng.randrange(0x20, 0x2FFFF)) for _ in range(rng.randint(1, 12))]
        assert_safe(fts, " ".join(["ia", *chars]) if rng.random() < 0.5 else "".join(chars))


def test_index_text_of_hostile_fields(fts: sqlite3.Connection) -> None:
    row = index_text("IA\x00\ud800🙂", "<p>\x07l'</p>", "<script>x</script>ENT", "\x1f", ["\ud800"])
    assert row == IndexedText(title="ia", body="l ent")  # `l'` alone is the word l (text.tokens)
    fts.execute(
        "INSERT INTO entry_fts(rowid, title, body) VALUES (999, ?, ?)", (row.title, row.body)
    )
    try:
        assert 999 in search(fts, "IA ENT")
    finally:
        fts.execute("DELETE FROM entry_fts WHERE rowid = 999")
