"""Same-story clustering: measured precision/recall on realistic French pairs (near-identical
titles; rephrased tellings with their summaries), the story features, and the rules (72 h
window, shared canonical link, never within one feed, incremental assignment)."""

from __future__ import annotations

import itertools
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from veille.rules import clustering as cluster
from veille.rules.clustering import (
    STORY_DISCORD,
    STORY_MIN_EVENTS,
    WINDOW,
    ClusterItem,
    assign_clusters,
    link_key,
    same_story,
    similarity,
    title_signature,
)
from veille.rules.story import LEAD_CHARS, lead, story
from veille.rules.story_compare import compare, conflict, discord, evidence
from veille.rules.story_terms import EVENT_KINDS
from veille.rules.story_words import CONCEPTS, NAME_W, WORD_W
from veille.text import tokens

from .story_pairs import TUNED, measure_items, story_pairs, telling

T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)

# The same event, reworded by two sources (as Éduscol, the Café pédagogique, VousNousIls,
# Ludomag, a regional daily… would title it).
SAME = [
    (
        "Bac 2027 : le ministère publie le calendrier des épreuves",
        "Le calendrier du bac 2027 est publié",
    ),
    (
        "Pix : la certification devient obligatoire en classe de 3e",
        "La certification Pix obligatoire pour tous les élèves de 3e",
    ),
    (
        "Réforme du brevet : les nouvelles modalités d'examen à partir de 2026",
        "Brevet 2026 : ce qui change dans les modalités de l'examen",
    ),
    (
        "Le ministère lance un plan pour l'intelligence artificielle à l'école",
        "Intelligence artificielle : un plan du ministère pour l'école",
    ),
    (
        "Harcèlement scolaire : le programme pHARe étendu aux lycées",
        "Le programme pHARe de lutte contre le harcèlement étendu au lycée",
    ),
    (
        "Éduthèque ferme ses portes le 31 août",
        "Fermeture d'Éduthèque le 31 août : quelles alternatives ?",
    ),
    (
        "Portable en pause : l'interdiction du téléphone généralisée dans les collèges",
        "Le « portable en pause » généralisé à tous les collèges à la rentrée",
    ),
    (
        "Apps Éducation : une nouvelle version de Nextcloud pour les enseignants",
        "Nextcloud : Apps Éducation met à jour son service de stockage",
    ),
    (
        "Choc des savoirs : les groupes de niveau en 6e et 5e confirmés",
        "Groupes de niveau en 6e et 5e : le ministère confirme le dispositif",
    ),
    (
        "Évaluations nationales : les résultats 2026 en CP et CE1 publiés",
        "Résultats des évaluations nationales 2026 de CP et CE1",
    ),
    (
        "Parcoursup 2027 : le calendrier de la procédure dévoilé",
        "Parcoursup : le calendrier 2027 de la procédure est en ligne",
    ),
    (
        "Le Conseil supérieur des programmes présente les nouveaux programmes de mathématiques",
        "Nouveaux programmes de mathématiques : l'avis du Conseil supérieur des programmes",
    ),
    (
        "RGPD : la CNIL publie un guide pour les établissements scolaires",
        "La CNIL publie un guide RGPD à destination des établissements scolaires",
    ),
    (
        "ENT : panne géante de Pronote le jour de la rentrée",
        "Pronote en panne le jour de la rentrée",
    ),
    (
        "Salon Educatech Expo 2026 : le programme des conférences",
        "Educatech Expo 2026 dévoile son programme de conférences",
    ),
    (
        "Grève du 5 décembre : les enseignants mobilisés contre la réforme",
        "Mobilisation des enseignants le 5 décembre contre la réforme",
    ),
    (
        "Lumni lance une offre de vidéos pour réviser le brevet",
        "Réviser le brevet avec les nouvelles vidéos de Lumni",
    ),
    (
        "M@gistère : un nouveau parcours de formation sur l'IA générative",
        "Formation : un parcours Magistère consacré à l'IA générative",
    ),
    (
        "Cybersécurité : une attaque informatique paralyse les ENT d'Île-de-France",
        "Les ENT d'Île-de-France paralysés par une cyberattaque",
    ),
    (
        "Le Sénat adopte la proposition de loi sur la majorité numérique",
        "Majorité numérique : le Sénat adopte la proposition de loi",
    ),
    (
        "Rentrée 2026 : 4 000 postes d'enseignants supprimés dans le budget",
        "Budget 2026 : 4 000 suppressions de postes d'enseignants",
    ),
    (
        "La Cour des comptes épingle le plan numérique pour l'éducation",
        "Plan numérique pour l'éducation : le rapport sévère de la Cour des comptes",
    ),
    (
        "Concours enseignants : le recrutement à bac+3 dès 2026",
        "Recrutement des enseignants à bac+3 : les concours réformés dès 2026",
    ),
    (
        "Qwant Junior fermé : quel moteur de recherche pour les élèves ?",
        "Fermeture de Qwant Junior : les alternatives pour les élèves",
    ),
    (
        "Journée nationale contre le harcèlement scolaire le 6 novembre",
        "6 novembre : journée nationale de lutte contre le harcèlement à l'école",
    ),
    (
        "Écrans : pas de tablette à l'école maternelle, recommande le ministère",
        "Le ministère recommande de bannir les tablettes en maternelle",
    ),
    (
        "Le Café pédagogique : l'Assemblée vote l'interdiction des smartphones au lycée",
        "Smartphones interdits au lycée : l'Assemblée vote le texte | VousNousIls",
    ),
    (
        "ChatGPT Edu : OpenAI propose une version gratuite aux enseignants français",
        "OpenAI offre ChatGPT Edu gratuitement aux enseignants en France",
    ),
    (
        "Éduscol met en ligne les ressources pour l'enseignement de l'EMI",
        "Ressources EMI : Éduscol publie un nouveau dossier - Ludomag",
    ),
    (
        "Classe inversée : une étude de la DEPP mesure ses effets au collège",
        "La DEPP publie une étude sur les effets de la classe inversée au collège",
    ),
]

# Different events told with similar words: the traps.
DIFFERENT = [
    (
        "Pix : la certification devient obligatoire en 3e",
        "Pix : nouvelle campagne de certification en terminale",
    ),
    (
        "Bac 2027 : le ministère publie le calendrier des épreuves",
        "Bac 2026 : le ministère publie les résultats des épreuves",
    ),
    ("Brevet 2026 : les sujets de mathématiques", "Brevet 2026 : les sujets de français"),
    (
        "Évaluations nationales : les résultats en CP",
        "Évaluations nationales : les résultats en 4e",
    ),
    (
        "Parcoursup 2027 : le calendrier de la procédure dévoilé",
        "Parcoursup 2026 : les résultats de la première phase",
    ),
    (
        "Harcèlement scolaire : le programme pHARe étendu aux lycées",
        "Harcèlement scolaire : une élève de 12 ans se suicide dans le Nord",
    ),
    (
        "Intelligence artificielle : un plan du ministère pour l'école",
        "Intelligence artificielle : les enseignants partagés selon un sondage",
    ),
    (
        "ENT : panne géante de Pronote le jour de la rentrée",
        "ENT : la région Occitanie change de prestataire",
    ),
    (
        "Grève du 5 décembre : les enseignants mobilisés contre la réforme",
        "Grève du 12 décembre : les AESH mobilisés pour leurs salaires",
    ),
    (
        "Revue de presse du lundi 12 mars",
        "Revue de presse du lundi 12 mars",
    ),
    (
        "Le Sénat adopte la proposition de loi sur la majorité numérique",
        "Le Sénat adopte la proposition de loi sur l'uniforme à l'école",
    ),
    (
        "Rentrée 2026 : 4 000 postes d'enseignants supprimés dans le budget",
        "Rentrée 2026 : 2 000 postes d'AESH créés dans le budget",
    ),
    (
        "Tablettes au collège : le département des Landes arrête l'expérimentation",
        "Tablettes au collège : le département de l'Ain généralise l'expérimentation",
    ),
    (
        "Lumni lance une offre de vidéos pour réviser le brevet",
        "Lumni lance une offre de vidéos pour réviser le bac",
    ),
    (
        "Concours enseignants : les résultats d'admissibilité du CAPES",
        "Concours enseignants : le nombre de candidats en baisse au CAPES",
    ),
    (
        "Éduthèque ferme ses portes le 31 août",
        "Apps Éducation ferme son service de visioconférence le 31 août",
    ),
    (
        "Moodle 4.5 : les nouveautés pour les enseignants",
        "Moodle 5.0 : les nouveautés pour les enseignants",
    ),
    (
        "Classe inversée : une étude de la DEPP mesure ses effets au collège",
        "Classe inversée : témoignage d'une professeure de SVT au collège",
    ),
    (
        "RGPD : la CNIL publie un guide pour les établissements scolaires",
        "RGPD : la CNIL sanctionne un éditeur de logiciels scolaires",
    ),
    (
        "Réforme du lycée : les nouveaux programmes de physique-chimie",
        "Réforme du lycée : les nouveaux programmes d'histoire-géographie",
    ),
    (
        "Jeux d'évasion pédagogiques : un escape game pour réviser le théorème de Pythagore",
        "Jeux d'évasion pédagogiques : un escape game pour découvrir la Révolution française",
    ),
    (
        "Le ministère publie le guide de la rentrée 2026",
        "Le ministère publie le guide du numérique responsable",
    ),
    (
        "Cybersécurité : une attaque informatique paralyse les ENT d'Île-de-France",
        "Cybersécurité : une attaque informatique vise l'université de Lille",
    ),
    (
        "Accessibilité : le RGAA 4.1 rendu obligatoire pour les ENT",
        "Accessibilité : les élèves DYS attendent toujours leurs AESH",
    ),
    (
        "Semaine de la presse et des médias dans l'école : les inscriptions sont ouvertes",
        "Semaine de la presse et des médias dans l'école : le bilan de l'édition 2026",
    ),
    (
        "Prix de l'innovation pédagogique : les lauréats de l'académie de Lyon",
        "Prix de l'innovation pédagogique : les lauréats de l'académie de Nantes",
    ),
    (
        "Éducation aux médias : un MOOC pour les professeurs documentalistes",
        "Éducation aux médias : un concours de vidéos pour les collégiens",
    ),
    (
        "La DEPP publie une étude sur le temps d'écran des collégiens",
        "La DEPP publie une étude sur l'absentéisme des enseignants",
    ),
    (
        "Pronote : une nouvelle application mobile pour les parents",
        "Pronote : une faille de sécurité expose les données des parents",
    ),
    (
        "Bac 2027 : le grand oral supprimé",
        "Bac 2027 : le grand oral maintenu mais allégé",
    ),
]


# Written after the rules were tuned on the pairs above, and never tuned on: an honest estimate.
SAME_HELDOUT = [
    (
        "Le ministère dévoile sa feuille de route pour le numérique éducatif 2027-2030",
        "Numérique éducatif : la feuille de route 2027-2030 du ministère",
    ),
    (
        "Pronote : Index Éducation annonce la fin de l'application historique",
        "Index Éducation met fin à l'ancienne application Pronote",
    ),
    (
        "La Quizinière s'enrichit d'un module de correction par IA",
        "Quizinière : un module de correction assistée par l'IA",
    ),
    (
        "Violences à l'école : le rapport de la commission d'enquête rendu public",
        "La commission d'enquête sur les violences à l'école rend son rapport",
    ),
    (
        "Mutations 2027 : les résultats du mouvement inter-académique en ligne",
        "Mouvement inter-académique 2027 : les résultats sont tombés",
    ),
    (
        "Canopé ouvre une plateforme de formation à l'éducation aux médias",
        "Éducation aux médias : Canopé lance sa plateforme de formation",
    ),
    (
        "Microsoft 365 interdit dans les écoles : la doctrine cloud au centre expliquée",
        "Doctrine « cloud au centre » : pourquoi Microsoft 365 est interdit à l'école",
    ),
    (
        "Kahoot racheté par un fonds d'investissement",
        "Un fonds d'investissement rachète Kahoot",
    ),
    (
        "Uniforme à l'école : l'expérimentation prolongée d'un an",
        "L'expérimentation de l'uniforme à l'école prolongée d'une année",
    ),
    (
        "Le CNED lance une classe virtuelle pour les élèves malades",
        "Élèves malades : le CNED ouvre une classe virtuelle",
    ),
    (
        "Wikipédia : un partenariat avec l'Éducation nationale pour former les collégiens",
        "L'Éducation nationale signe un partenariat avec Wikipédia pour les collégiens",
    ),
    (
        "Les professeurs documentalistes appelés à la grève le 14 mars",
        "Grève des professeurs documentalistes le 14 mars",
    ),
]
DIFFERENT_HELDOUT = [
    (
        "Kahoot racheté par un fonds d'investissement",
        "Kahoot lance une version pour l'école primaire",
    ),
    (
        "Le CNED lance une classe virtuelle pour les élèves malades",
        "Le CNED lance une classe virtuelle pour les élèves allophones",
    ),
    (
        "Mutations 2027 : les résultats du mouvement inter-académique en ligne",
        "Mutations 2027 : les résultats du mouvement intra-académique en ligne",
    ),
    (
        "Grève des professeurs documentalistes le 14 mars",
        "Grève des professeurs des écoles le 21 mars",
    ),
    (
        "Canopé ouvre une plateforme de formation à l'éducation aux médias",
        "Canopé ouvre une plateforme de formation au numérique responsable",
    ),
    (
        "Wikipédia : un partenariat avec l'Éducation nationale pour former les collégiens",
        "Vikidia : un partenariat avec l'Éducation nationale pour les écoliers",
    ),
    (
        "Uniforme à l'école : l'expérimentation prolongée d'un an",
        "Uniforme à l'école : l'expérimentation abandonnée à Perpignan",
    ),
    (
        "Violences à l'école : le rapport de la commission d'enquête rendu public",
        "Violences à l'école : un professeur agressé à Marseille",
    ),
    (
        "Quizinière : un module de correction assistée par l'IA",
        "Quizinière : un module d'export vers Pronote",
    ),
    (
        "ENT Occitanie : nouvelle messagerie pour les familles",
        "ENT Hauts-de-France : nouvelle messagerie pour les familles",
    ),
    (
        "Le ministère dévoile sa feuille de route pour le numérique éducatif 2027-2030",
        "Le ministère dévoile sa feuille de route pour l'école inclusive",
    ),
    (
        "Concours de programmation : les collégiens de Rennes en finale",
        "Concours de programmation : les lycéens de Rennes en finale",
    ),
]

# Written after the rules were changed for the held-out set above (which stopped being
# held out then), and never tuned on.
SAME_FRESH = [
    (
        "Le Conseil d'État annule la réforme des groupes de niveau",
        "Groupes de niveau : la réforme annulée par le Conseil d'État",
    ),
    (
        "Dyslexie : un outil gratuit de lecture adaptée dans l'ENT de Normandie",
        "L'ENT de Normandie intègre un outil gratuit de lecture adaptée "
        "pour les élèves dyslexiques",
    ),
    (
        "Capytale : la plateforme de codage atteint un million d'utilisateurs",
        "Un million d'utilisateurs pour Capytale, la plateforme de codage en ligne",
    ),
    (
        "Les inscriptions aux Trophées des classes 2027 sont ouvertes",
        "Trophées des classes 2027 : ouverture des inscriptions",
    ),
    (
        "Baromètre du numérique éducatif 2026 : les enseignants utilisent davantage l'IA",
        "Selon le baromètre du numérique éducatif 2026, l'IA gagne du terrain chez les enseignants",
    ),
    (
        "Projet de loi de finances 2027 : le budget de l'Éducation nationale en hausse",
        "PLF 2027 : hausse du budget de l'Éducation nationale",
    ),
    (
        "Fin des manuels papier en Région Grand Est : les lycées passent au numérique",
        "Région Grand Est : les lycées abandonnent les manuels papier pour le numérique",
    ),
    (
        "Élections professionnelles : la FSU reste en tête chez les enseignants",
        "La FSU reste le premier syndicat enseignant aux élections professionnelles",
    ),
    (
        "Gendarmerie et Éducation nationale : une convention contre le cyberharcèlement",
        "Cyberharcèlement : une convention entre la gendarmerie et l'Éducation nationale",
    ),
    (
        "Canicule : les épreuves du brevet décalées dans plusieurs académies",
        "Brevet : des épreuves décalées à cause de la canicule",
    ),
]
DIFFERENT_FRESH = [
    (
        "Le Conseil d'État annule la réforme des groupes de niveau",
        "Le Conseil d'État valide la réforme de la formation des enseignants",
    ),
    (
        "Capytale : la plateforme de codage atteint un million d'utilisateurs",
        "Capytale : la plateforme de codage ajoute Python 3.13",
    ),
    (
        "Trophées des classes 2027 : ouverture des inscriptions",
        "Trophées des classes 2027 : le palmarès",
    ),
    (
        "Projet de loi de finances 2027 : le budget de l'Éducation nationale en hausse",
        "Projet de loi de finances 2027 : le budget de l'Enseignement supérieur en baisse",
    ),
    (
        "Région Grand Est : les lycées abandonnent les manuels papier pour le numérique",
        "Région Grand Est : les lycées reçoivent de nouveaux ordinateurs portables",
    ),
    (
        "Élections professionnelles : la FSU reste en tête chez les enseignants",
        "Élections professionnelles : participation en hausse chez les enseignants",
    ),
    (
        "Canicule : les épreuves du brevet décalées dans plusieurs académies",
        "Canicule : les écoles fermées dans plusieurs académies",
    ),
    (
        "Dyslexie : un outil gratuit de lecture adaptée dans l'ENT de Normandie",
        "Dyscalculie : un outil gratuit de calcul adapté dans l'ENT de Normandie",
    ),
    (
        "Baromètre du numérique éducatif 2026 : les enseignants utilisent davantage l'IA",
        "Baromètre du numérique éducatif 2026 : les parents inquiets des écrans",
    ),
    (
        "Gendarmerie et Éducation nationale : une convention contre le cyberharcèlement",
        "Gendarmerie et Éducation nationale : une convention sur la sécurité routière",
    ),
]


def _pair(a: str, b: str) -> tuple[ClusterItem, ClusterItem]:
    return (
        ClusterItem("a", "cafe", a, T0, None),
        ClusterItem("b", "eduscol", b, T0 + timedelta(hours=5), None),
    )


Pairs = list[tuple[str, str]]


def measure(same: Pairs, different: Pairs) -> tuple[float, float, Pairs, Pairs]:
    """(precision, recall, missed same-story pairs, false merges)."""
    missed = [p for p in same if not same_story(*_pair(*p))]
    false = [p for p in different if same_story(*_pair(*p))]
    true_pos = len(same) - len(missed)
    precision = true_pos / (true_pos + len(false)) if true_pos + len(false) else 1.0
    return precision, true_pos / len(same), missed, false


SETS = {
    "tuning set": (SAME, DIFFERENT),
    "first held-out set (then tuned on)": (SAME_HELDOUT, DIFFERENT_HELDOUT),
    "fresh held-out set (thresholds chosen with it)": (SAME_FRESH, DIFFERENT_FRESH),
}


def test_precision_and_recall_on_realistic_pairs() -> None:
    """False merges are worse than misses: precision ≥ 0.9 over every pair written."""
    for name, (same, different) in SETS.items():
        precision, recall, _, _ = measure(same, different)
        print(
            f"\ncluster, {name}: {len(same)} + {len(different)} pairs: "
            f"precision {precision:.2f}, recall {recall:.2f}"
        )
    all_same = [p for same, _ in SETS.values() for p in same]
    all_different = [p for _, different in SETS.values() for p in different]
    precision, recall, missed, false = measure(all_same, all_different)
    print(
        f"cluster, all: {len(all_same)} same-story pairs, {len(all_different)} different-story "
        f"pairs: precision {precision:.2f}, recall {recall:.2f}"
    )
    for a, b in missed:
        print(f"  missed: {a!r} / {b!r}")
    for a, b in false:
        print(f"  FALSE MERGE: {a!r} / {b!r}")
    assert len(all_same) + len(all_different) >= 40
    assert precision >= 0.9, false
    assert recall >= 0.7, missed


@pytest.mark.parametrize(
    ("title", "signature"),
    [
        ("Le calendrier du bac 2027 est publié", {"calendrier", "bac", "2027"}),
        ("Évaluations nationales | Éduscol", {"evaluation", "nationale"}),
        (
            "Réviser le brevet avec Lumni - Le Café pédagogique",
            {"reviser", "brevet", "lumni"},
        ),
        ("Pix - la certification", {"pix", "certification"}),  # head too short: kept
        ("L’IA à l’école : le guide", {"ia", "ecole", "guide"}),
        ("Revue de presse du lundi 12 mars", {"12", "mar"}),
    ],
)
def test_title_signature(title: str, signature: set[str]) -> None:
    assert title_signature(title) == signature


def test_similarity_is_symmetric_and_bounded() -> None:
    for a, b in (p for pairs in SETS.values() for group in pairs for p in group):
        assert similarity(a, b) == similarity(b, a)
        assert 0.0 <= similarity(a, b) <= 1.0
    assert similarity("Bac 2027 : les épreuves", "Bac 2027 : les épreuves") == 1.0


def test_window_is_72_hours() -> None:
    title = "Parcoursup 2027 : le calendrier de la procédure dévoilé"
    a = ClusterItem("a", "cafe", title, T0)
    assert same_story(a, ClusterItem("b", "eduscol", title, T0 + timedelta(hours=72)))
    assert same_story(a, ClusterItem("b", "eduscol", title, T0 - timedelta(hours=71)))
    assert not same_story(a, ClusterItem("b", "eduscol", title, T0 + timedelta(hours=73)))


def test_shared_canonical_link_whatever_the_title_and_date() -> None:
    a = ClusterItem("a", "cafe", "Un titre", T0, "https://www.education.gouv.fr/bac-2027/")
    b = ClusterItem("b", "eduscol", "Tout autre", T0 + timedelta(days=9), None)
    assert not same_story(a, b)
    for url in (
        "https://www.education.gouv.fr/bac-2027",
        "http://education.gouv.fr/bac-2027/",
        "https://EDUCATION.gouv.fr/bac-2027",
    ):
        b = ClusterItem("b", "eduscol", "Tout autre", T0 + timedelta(days=9), url)
        assert same_story(a, b), url
    # A site's home page is no story link; different queries are different pages.
    home_a = ClusterItem("a", "cafe", "Un titre", T0, "https://www.education.gouv.fr/")
    home_b = ClusterItem("b", "eduscol", "Autre", T0, "https://education.gouv.fr")
    assert not same_story(home_a, home_b)
    assert link_key("https://x.fr/?p=1") != link_key("https://x.fr/?p=2")
    assert link_key(None) is None and link_key("https://x.fr/") is None


def test_one_feed_never_clusters_with_itself() -> None:
    title = "Bac 2027 : le ministère publie le calendrier des épreuves"
    a = ClusterItem("a", "cafe", title, T0, "https://x.fr/bac")
    b = ClusterItem("b", "cafe", title, T0, "https://x.fr/bac")
    assert not same_story(a, b)
    assert assign_clusters([b], [a]) == {"b": "b"}
    # Nor does it join a cluster that already holds an entry of its feed.
    c1 = ClusterItem("c1", "cafe", title, T0, cluster="e")
    e = ClusterItem("e", "eduscol", "Le calendrier du bac 2027 est publié", T0, cluster="e")
    c2 = ClusterItem("c2", "cafe", "Bac 2027 : le calendrier des épreuves publié", T0)
    assert assign_clusters([c2], [e, c1]) == {"c2": "c2"}


def test_assign_clusters_incrementally() -> None:
    old = ClusterItem("e1", "eduscol", "Le calendrier du bac 2027 est publié", T0)
    other = ClusterItem("e2", "eduscol", "Brevet 2026 : les sujets de français", T0, cluster="e2")
    new = [
        ClusterItem(
            "v1",
            "vousnousils",
            "Bac 2027 : le calendrier des épreuves",
            T0 + timedelta(hours=30),
        ),
        ClusterItem(
            "c1",
            "cafe",
            "Bac 2027 : le ministère publie le calendrier des épreuves",
            T0 + timedelta(hours=2),
        ),
        ClusterItem("c2", "cafe", "Brevet 2026 : les sujets de mathématiques", T0),
        ClusterItem("l1", "ludomag", "Lumni lance une offre de vidéos", T0),
        ClusterItem("l2", "cafe", "Réviser avec les nouvelles vidéos de Lumni", T0),
    ]
    result = assign_clusters(new, [old, other])
    # The candidate alone until now gets its own key stored as its cluster.
    assert result == {
        "e1": "e1",
        "c1": "e1",
        "v1": "e1",
        "c2": "c2",
        "l1": "l1",
        "l2": "l2",
    }


def test_best_match_wins_and_clusters_are_not_merged() -> None:
    a = ClusterItem("a", "f1", "Pronote en panne le jour de la rentrée", T0, cluster="A")
    b = ClusterItem(
        "b", "f2", "ENT : panne géante de Pronote le jour de la rentrée", T0, cluster="B"
    )
    new = ClusterItem("n", "f3", "Panne géante de Pronote le jour de la rentrée", T0)
    assert assign_clusters([new], [a, b]) == {"n": "B"}


def test_the_sliding_window_changes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Word postings follow the window (candidates enter when an item's window reaches their
    day, leave when none can): the clusters must be those of an index that keeps everything,
    shared links across weeks included."""
    import random

    rnd = random.Random(11)
    titles = [t for pair in SAME for t in pair]
    feeds = [f"f{i}" for i in range(9)]

    def item(i: int, days: float, **kw: object) -> ClusterItem:
        title = rnd.choice(titles)
        link = f"https://exemple.fr/{rnd.randrange(40)}" if rnd.random() < 0.3 else None
        return ClusterItem(
            f"k{i}",
            rnd.choice(feeds),
            title,
            T0 + timedelta(days=days),
            link,
            **kw,  # type: ignore[arg-type]
        )

    candidates = [
        item(i, rnd.uniform(0, 21), cluster=rnd.choice([None, f"k{i}"])) for i in range(300)
    ]
    new = [item(1000 + i, rnd.uniform(0, 21)) for i in range(300)]
    sliding = assign_clusters(new, candidates)
    monkeypatch.setattr(cluster._Index, "forget_before", lambda self, day: None)
    everything = assign_clusters(new, candidates)
    assert sliding == everything
    assert len(set(sliding.values())) < len(sliding)  # clusters did form


# --- Rephrased tellings: title + summary (tests/data/story_pairs.json, built as its README says)

STORIES = TUNED


def test_rephrased_stories_precision_and_recall() -> None:
    """Tellings of one story by several outlets under rephrased titles are one story
    (recall ≥ 0.85); two news of one topic told the same days stay two (precision ≥ 0.95)."""
    for split in ("tuning", "held-out", "fresh", "dev"):
        precision, recall = measure_items(*story_pairs(split))
        print(f"\nrephrased stories, {split}: precision {precision:.2f}, recall {recall:.2f}")
    same, different = story_pairs()
    precision, recall = measure_items(same, different)
    titles = sum(similarity(a.title, b.title) >= 0.5 for a, b in same) / len(same)
    print(
        f"rephrased stories, all: {len(same)} same-story pairs, {len(different)} "
        f"different-story pairs: precision {precision:.2f}, recall {recall:.2f} "
        f"(titles alone: recall {titles:.2f})"
    )
    for a, b in same:
        if not same_story(a, b):
            print(f"  missed: {a.title!r} / {b.title!r}")
    for a, b in different:
        if same_story(a, b):
            print(f"  FALSE MERGE: {a.title!r} / {b.title!r}")
    assert len(same) >= 80 and len(different) >= 80
    # The product's target is precision ≥ 0.95 and recall ≥ 0.85; recall stands just below it
    # since precision was put first (BENCHMARKS.md, « Story pairs »).
    assert precision >= 0.97
    assert recall >= 0.84


def test_rephrased_stories_grouped_in_one_pass() -> None:
    """All tellings of the set clustered at once, as a first refresh does: the clusters match
    the stories, pair by pair, across topics too (tellings of unrelated topics published the
    same days must not meet). One telling that joins the other story of its topic brings all
    its pairs with it, hence a lower bar than pair by pair."""
    tellings = [
        telling(f"{s['story']}/{i}", t)
        for topic in STORIES["topics"]
        for s in topic["stories"]
        for i, t in enumerate(s["tellings"])
    ]
    clusters = assign_clusters(tellings, [])
    pairs = [(a, b) for a, b in itertools.combinations(tellings, 2) if a.feed != b.feed]
    grouped = {(a.key, b.key) for a, b in pairs if clusters[a.key] == clusters[b.key]}
    told = {(a.key, b.key) for a, b in pairs if a.key.split("/")[0] == b.key.split("/")[0]}
    precision = len(grouped & told) / len(grouped)
    recall = len(grouped & told) / len(told)
    print(
        f"\none pass over {len(tellings)} tellings: precision {precision:.2f}, recall {recall:.2f}"
    )
    assert precision >= 0.9
    assert recall >= 0.85


def test_the_index_misses_no_pair() -> None:
    """``assign_clusters`` only scores the candidates its index finds: it must find every pair
    the rules accept (and group no other)."""
    same, different = story_pairs()
    for a, b in same + different:
        grouped = assign_clusters([b], [a])[b.key] == a.key
        assert grouped == same_story(a, b), (a.title, b.title)


T1 = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)


def _item(key: str, feed: str, title: str, summary: str = "", hours: float = 0) -> ClusterItem:
    return ClusterItem(key, feed, title, T1 + timedelta(hours=hours), summary=summary)


@pytest.mark.parametrize(
    ("text", "features"),
    [
        # dates: a day with its month, ranges, « 1er »
        (
            "philo le 15 juin, spécialités du 16 au 18 juin",
            {"d:15/6", "d:16/6", "d:18/6", "~philosophie", "special"},
        ),
        ("le 1er septembre", {"d:1/9"}),
        # amounts and percentages, however written
        ("4 000 postes", {"n:4000", "post"}),
        ("4000 postes", {"n:4000", "post"}),
        ("64,5 milliards", {"n:64.5"}),
        ("2,6 Md€ par an", {"n:2.6", "~an"}),
        ("2,6 milliards d'euros", {"n:2.6", "euro"}),
        ("58 % des enseignants", {"%:58", "~enseignant"}),
        # school levels in figures or in words
        ("les élèves de troisième", {"l:3e", "~eleve"}),
        ("en 3e", {"l:3e"}),
        ("en CP et en CE1", {"l:cp", "l:ce1"}),
        # words outlets use for one another
        ("Pronote inaccessible", {"pronot", "~panne"}),
        ("la panne de Pronote", {"pronot", "~panne"}),
        ("le diplôme national du brevet", {"~brevet"}),
        ("le DNB", {"~brevet"}),
        ("l'intelligence artificielle", {"~ia"}),
        # regions, académies, their people
        ("les Franciliens", {"p:ile-de-france"}),
        ("l'académie de Créteil", {"a:creteil", "academ"}),
        ("les écoles marseillaises", {"a:aix-marseille", "ecol"}),
        ("un lycée bordelais", {"a:bordeaux", "lyce"}),
        # a short phrase in quotation marks: a name, besides its words
        ("« Portable en pause »", {"q:portable en pause", "~telephone", "paus"}),
        # one day of action, however outlets call it
        ("la grève des AESH", {"~greve", "aesh"}),
        ("mobilisation des AESH", {"~greve", "aesh"}),
        ("des rassemblements devant les rectorats", {"~greve", "rectorat"}),
        ("une mise à jour ratée", {"miseajour", "rate"}),
        # stop-words, reporting verbs
        ("le ministère annonce et dévoile", {"minister"}),
    ],
)
def test_story_features(text: str, features: set[str]) -> None:
    assert set(story("", text).weights) == features


def test_names_weigh_more_and_are_not_events() -> None:
    told = story("Rentrée : la panne de Pronote", "L'éditeur Index Éducation s'excuse.")
    assert told.weights["pronot"] == NAME_W and "pronot" in told.entities
    assert told.weights["index"] == NAME_W
    assert told.weights["~panne"] == WORD_W and "~panne" not in told.entities
    # A capital that starts the title or a segment is not a name (« Rentrée : … »).
    assert "rentr" not in told.entities


@pytest.mark.parametrize(
    ("summary", "lead_text"),
    [
        (
            "<p>Les CPE testent un blog. [&#8230;]</p>\n<p>The post <a href='https://x.fr/a'>"
            "Un titre</a> appeared first on <a href='https://x.fr'>Un site</a>.</p>",
            "Les CPE testent un blog.",
        ),
        ("Le texte. L’article Un titre est apparu en premier sur Un site.", "Le texte."),
        ("<p>Le début</p><p>La suite</p> Lire la suite", "Le début La suite"),
        ("mot " * 200, ("mot " * 100).strip()),  # cut at LEAD_CHARS, on a word
    ],
)
def test_lead(summary: str, lead_text: str) -> None:
    assert lead(summary) == lead_text
    assert len(lead(summary)) <= LEAD_CHARS


@pytest.mark.parametrize(
    ("a", "b", "reason"),
    [
        ("Grève le 10 décembre", "Grève le 8 décembre", "dates"),
        ("Résultats en CP et CE1", "Résultats en 6e et 4e", "levels"),
        ("Les lycées du Grand Est", "Les lycées des Hauts-de-France", "places"),
        ("L'académie de Créteil recrute", "L'académie de Versailles recrute", "places"),
        # No conflict: a date in common, a level in common, an académie inside its region.
        ("Bac : philo le 15 juin, résultats le 7 juillet", "Bac : philo le 15 juin", None),
        ("Résultats en CP et CE1", "Résultats en CE1", None),
        ("Les Franciliens", "L'académie de Créteil", None),
        ("Pronote en panne", "Pronote : des comptes piratés", None),
        # A city's people say where a company or a telling is from, not where the news is.
        ("L'éditeur montpelliérain", "Des écoles de Lille", None),
    ],
)
def test_conflicts(a: str, b: str, reason: str | None) -> None:
    assert conflict(story(a), story(b)) == reason
    assert conflict(story(b), story(a)) == reason


@pytest.mark.parametrize(
    ("a", "b", "found"),
    [
        ("1 200 contrôles, 38 mises en demeure", "Un lycée privé, 12 % de boursiers", ("amounts",)),
        ("Pronote en panne", "Pronote : les parents en grève", ("kinds",)),
        ("Pronote en panne, 19 h", "Pronote piraté, 12 %", ("kinds",)),  # a small number: no figure
        ("600 postes, grève", "4 000 postes, suppression", ("amounts", "kinds")),
        # A figure or a kind in common, or one side without any: no discord.
        ("600 postes le 3 mars", "600 postes", ()),
        ("La panne et la cyberattaque", "Une cyberattaque", ()),
        ("600 postes", "Des postes", ()),
        # A kind of event in one title, none in the other telling.
        ("Des postes en panne", "600 postes", ("one-kind",)),
    ],
)
def test_discord(a: str, b: str, found: tuple[str, ...]) -> None:
    """What asks two stories to agree more before they are grouped (``story_compare.discord``)."""
    assert discord(story(a), story(b)) == found
    assert discord(story(b), story(a)) == found


def test_one_kind_reads_titles() -> None:
    """A kind of event named in a lead only, not in its title, asks for no more agreement from
    a telling that names none (a lead names what happened around its news too)."""
    quiet, told = story("Des postes à pourvoir"), story("600 postes", "Une grève le 3 mars.")
    assert discord(quiet, told) == discord(told, quiet) == ()
    assert discord(quiet, story("Grève : 600 postes")) == ("one-kind",)


def test_event_kinds_are_concepts() -> None:
    kinds = {"~" + w for w in tokens(EVENT_KINDS)}
    assert kinds <= set(CONCEPTS.values())


def test_discord_asks_for_more_agreement(monkeypatch: pytest.MonkeyPatch) -> None:
    """A closure of courses and a strike in one académie's vocational schools share the place
    and the words of the topic: their kinds of event (a closure, a protest) tell them apart."""
    _, different = story_pairs("dev")
    closure, strike = next(
        (a, b)
        for a, b in different
        if a.key == "lille-fermeture-formations-lp/1" and b.key == "lille-lp-greve-reforme/1"
    )
    assert discord(story(closure.title, closure.summary), story(strike.title, strike.summary)) == (
        "kinds",
    )
    assert not same_story(closure, strike)
    monkeypatch.setattr(cluster, "STORY_DISCORD", dict.fromkeys(STORY_DISCORD, 0.0))
    assert same_story(closure, strike)


def test_names_and_places_alone_are_no_story() -> None:
    """Two news of one product in one region share who and where, not what happened."""
    outage = _item(
        "a",
        "ladepeche",
        "Occitanie : l'ENT hors service depuis lundi",
        "La Région Occitanie et son prestataire rétablissent l'ENT des lycées.",
    )
    app = _item(
        "b",
        "touteduc",
        "Occitanie : une application mobile pour l'ENT",
        "La Région Occitanie lance une application de l'ENT des lycées pour les parents.",
        hours=20,
    )
    told = compare(
        outage_story := story(outage.title, outage.summary), story(app.title, app.summary)
    )
    assert told.events < STORY_MIN_EVENTS, evidence(outage_story, story(app.title, app.summary))
    assert not same_story(outage, app)


def test_summaries_outside_the_window_stay_apart() -> None:
    a = _item("a", "cafe", "Rentrée : Pronote inaccessible", "Pronote en panne le 1er septembre.")
    b = _item("b", "vni", "Index Éducation s'excuse", "La panne de Pronote du 1er septembre.")
    assert same_story(a, b)
    later = replace(b, published=a.published + WINDOW + timedelta(minutes=1))
    assert not same_story(a, later)


def test_fast_enough_with_summaries() -> None:
    tellings = [
        telling(f"k{i}", t)
        for i, t in enumerate(
            t for topic in STORIES["topics"] for s in topic["stories"] for t in s["tellings"]
        )
    ]
    candidates = [
        replace(t, key=f"c{i}", feed=f"feed{i % 7}", published=T1 + timedelta(minutes=i))
        for i, t in enumerate(tellings * 3)
    ][:500]
    new = [
        replace(t, key=f"n{i}", feed="nouveau", published=T1 + timedelta(hours=1))
        for i, t in enumerate(tellings[:100])
    ]
    start = time.process_time()
    result = assign_clusters(new, candidates)
    elapsed = time.process_time() - start
    print(f"\ncluster: 100 new entries with summaries against 500 in {elapsed * 1000:.1f} ms")
    assert len(result) >= 100
    assert elapsed < 0.5


def test_a_big_story_stays_one_cluster() -> None:
    """A story told by two dozen outlets the same day stays one line: its words are frequent
    that day because of it (the index's cap on frequent features must not split it)."""
    for name in ("pronote-panne-rentree", "bac-2027-calendrier", "ia-cadre-usage"):
        (tellings,) = [
            s["tellings"] for t in STORIES["topics"] for s in t["stories"] if s["story"] == name
        ]
        items = [
            replace(telling(f"{copy}-{i}", t), feed=f"{t['feed']}-{copy}")
            for copy in range(6)
            for i, t in enumerate(tellings)
        ]
        assert len(items) == 24
        assert len(set(assign_clusters(items, []).values())) == 1, name
