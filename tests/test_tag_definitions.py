"""The shipped taxonomy against the written theme definitions: each notion a definition names
is recognised, in French and in English, and its false friends are not.

The headlines are written for this test (one per notion, in the words of the definitions that
the labelled headlines follow: BENCHMARKS.md, « Relevance »). They test what the rules were
written from, not how they score: a term dropped or a false friend let in fails here before
it shows (or not) on the labelled splits.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from veille.config.load import load_config
from veille.rules.tagging import CompiledRules, EntryText, compile_rules, tag

ROOT = Path(__file__).resolve().parents[1]

COVERED = [  # (title, themes among those given)
    # evaluation: assessment of pupils, its exams and tools
    ("Évaluations repères de seconde : les résultats", {"evaluation"}),
    ("Les évaluations diagnostiques de début de 6e", {"evaluation"}),
    ("Évaluation formative : trois outils en classe", {"evaluation"}),
    ("Le livret scolaire unique passe en ligne", {"evaluation"}),
    ("Épreuves du CAP : le calendrier", {"evaluation"}),
    ("BTS : les examens décalés", {"evaluation"}),
    ("Plickers pour interroger toute la classe", {"evaluation"}),
    ("Triche au brevet : des sanctions", {"evaluation"}),
    ("Faut-il supprimer les notes au collège ?", {"evaluation"}),
    # differenciation
    ("Pédagogie différenciée en CM2", {"differenciation"}),
    ("Gérer l'hétérogénéité des classes", {"differenciation"}),
    ("Les groupes de besoins en 6e", {"differenciation"}),
    ("Élèves à haut potentiel : adapter son enseignement", {"differenciation"}),
    # accessibilite
    ("Scolarisation des élèves en situation de handicap", {"accessibilite"}),
    ("Un ordinateur pour les élèves dys", {"accessibilite"}),
    ("Une vidéo en LSF pour les élèves sourds", {"accessibilite"}),
    # rgpd
    ("La CNIL sanctionne une application", {"rgpd"}),
    ("Droit à l'image des élèves : ce qu'il faut savoir", {"rgpd"}),
    ("Rançongiciel : un collège paralysé", {"rgpd"}),
    ("Les applications qui pistent les élèves", {"rgpd"}),
    # pix, ent, tablettes, moodle
    ("Le CRCN expliqué aux enseignants", {"pix"}),
    ("École Directe : nouvelle application", {"ent"}),
    ("Le cahier de textes numérique obligatoire", {"ent"}),
    ("Des iPad pour les élèves de maternelle", {"tablettes"}),
    ("Le portable interdit au collège dès septembre", {"tablettes"}),
    ("AVEC : apportez votre équipement personnel de communication", {"tablettes"}),
    ("Utiliser Google Classroom avec sa classe", {"moodle"}),
    ("M@gistere : les nouveaux parcours", {"moodle", "formation"}),
    # classe-inversee, ludification, hybridation, emi, ia
    ("Classe inversé en 3e : un bilan", {"classe-inversee"}),
    ("Minecraft Education en classe", {"ludification"}),
    ("Demi-jauge au lycée : comment faire cours", {"hybridation"}),
    ("Une webradio au collège", {"emi"}),
    ("Les fakenews expliquées aux collégiens", {"emi"}),
    ("L'I.A au lycée : le guide", {"ia"}),
    # formation
    ("Concours enseignants : le nombre de candidats s'effondre", {"formation"}),
    ("Formation continue : les constellations en maths", {"formation"}),
    # ressources: official texts, and announcements of every minister and head of government
    ("Paru au Bulletin officiel : les programmes de cycle 3", {"ressources"}),
    ("Note d'information de la DEPP sur les effectifs", {"ressources"}),
    ("Jack Lang annonce un plan pour les arts à l'école", {"ressources"}),
    ("Nicolas Sarkozy annonce la suppression du samedi matin", {"ressources"}),
    ("Le ministère confirme le calendrier des vacances", {"ressources"}),
    # equipement
    ("Fibre optique dans les écoles de la commune", {"equipement"}),
    ("Des TBI dans toutes les classes", {"equipement"}),
    ("Prime d'équipement informatique revalorisée", {"equipement"}),
    # English headlines are read like French ones
    ("Formative assessment in primary classrooms", {"evaluation"}),
    ("Differentiated instruction in mixed-ability classes", {"differenciation"}),
    ("Inclusive education for students with disabilities", {"accessibilite"}),
    ("Student data privacy and edtech", {"rgpd"}),
    ("Digital skills certification for pupils", {"pix"}),
    ("Smartphones banned from classrooms", {"tablettes"}),
    ("Inverted classroom and student engagement", {"classe-inversee"}),
    ("Online learning during the pandemic", {"hybridation"}),
    ("Teaching students to spot disinformation", {"emi"}),
    ("AI tutors in the classroom", {"ia"}),
    ("Teacher shortage and recruitment", {"formation"}),
    ("Interactive whiteboards in every classroom", {"equipement"}),
]

NOT_COVERED = [  # (title, link, themes that must not be given)
    ("Le Conseil d'évaluation de l'école publie son rapport", "", {"evaluation"}),
    ("Rendez-vous de carrière : l'inspection des enseignants", "", {"evaluation"}),
    ("Passation de pouvoirs rue de Grenelle", "", {"evaluation"}),
    ("Barème des mutations : ce qui change", "", {"evaluation"}),
    ("Les élèves allophones en UPE2A", "", {"accessibilite"}),
    ("Le concours est accessible à tous les élèves", "", {"accessibilite"}),
    ("Cyberharcèlement : un numéro pour les élèves", "", {"rgpd"}),
    ("Pixar sort un film", "", {"pix"}),
    ("Les écrans numériques interactifs au collège", "", {"ent"}),
    ("Tablette de chocolat : les prix flambent", "", {"tablettes"}),
    ("Les Jeux olympiques à l'école", "", {"ludification"}),
    ("Instruction en famille : le Conseil d'État valide le régime", "", {"hybridation"}),
    ("Les IA-IPR en visite", "", {"ia"}),
    ("Parcoursup : l'algorithme mis en cause", "", {"ia"}),
    ("Formation du gouvernement : les noms", "", {"formation"}),
    ("Les syndicats dénoncent la réforme du ministre", "", {"ressources"}),
    ("La Cour des comptes épingle le numérique éducatif", "", {"ressources"}),
    ("Prime d'équipement informatique revalorisée", "", {"tablettes"}),
    ("Rénovation énergétique des écoles", "", {"equipement"}),
    # a school's own site on an académie's domain is not the académie speaking
    (
        "Le rectorat publie le programme académique Pix",
        "https://clg-exemple.ac-lyon.fr/a",
        {"ressources"},
    ),
    (
        "Le rectorat publie le programme académique Pix",
        "https://lycee-exemple.ac-nantes.fr/a",
        {"ressources"},
    ),
]


@pytest.fixture(scope="module")
def shipped() -> CompiledRules:
    return compile_rules(load_config(ROOT / "feeds.yaml").tags)


@pytest.mark.parametrize(("title", "themes"), COVERED)
def test_each_notion_of_the_definitions_is_recognised(
    shipped: CompiledRules, title: str, themes: set[str]
) -> None:
    got = tag(EntryText(title=title), shipped)
    assert themes <= got.keys(), sorted(got)
    assert all(got[t].term for t in themes)  # each with its reason


@pytest.mark.parametrize(("title", "url", "themes"), NOT_COVERED)
def test_false_friends_and_other_publishers_are_not(
    shipped: CompiledRules, title: str, url: str, themes: set[str]
) -> None:
    got = tag(EntryText(title=title, url=url or None), shipped)
    assert not themes & got.keys(), {t: got[t] for t in themes & got.keys()}


def test_overseas_academies_are_state_sites(shipped: CompiledRules) -> None:
    for url in ("https://www.ac-noumea.nc/spip.php?article1", "https://ac-polynesie.pf/a"):
        got = tag(EntryText(title="Lettre aux familles", url=url), shipped)
        assert got.get("ressources") is not None and got["ressources"].field == "link", got
