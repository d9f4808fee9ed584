"""Tag rules: term semantics (table-driven), reasons, and the shipped taxonomy on real headlines."""

from __future__ import annotations

from pathlib import Path

import pytest

from veille.config.load import load_config
from veille.models import ParsedEntry, TagRule
from veille.rules.tagging import CompiledRules, EntryText, TagReason, compile_rules, tag

ROOT = Path(__file__).resolve().parents[1]

RULES = compile_rules(
    [
        TagRule("ia", "IA", match=("IA", "intelligence artificielle"), exclude=("IA-IPR",)),
        TagRule("ent", "ENT", match=("ENT", "espace numérique de travail")),
        TagRule("pix", "Pix", match=("Pix",)),
        TagRule("tablettes", "Tablettes", match=("tablette*",)),
        TagRule("equipement", "Équipement", match=("tablette", "ordinateur")),
        TagRule("evaluation", "Évaluation", match=("évaluation", "QCM")),
        TagRule("inversee", "Classe inversée", match=("classe inversée",)),
        TagRule("evasion", "Jeux", match=("jeu d'évasion", "escape game")),
        TagRule("formation", "Formation", match=("M@gistère", "classe invers*")),
        TagRule("gpt", "GPT", match=("/\\bgpt ?\\d/", "/modèles? de langage/")),
    ]
)


def tags_of(title: str) -> set[str]:
    return set(tag(EntryText(title=title), RULES))


SEMANTICS = [
    # (text, tags expected among the test rules)
    ("L'IA à l'école", {"ia"}),
    ("l’IA générative", {"ia"}),
    ("Une IA", {"ia"}),
    ("Intelligence Artificielle", {"ia"}),
    ("INTELLIGENCE ARTIFICIELLE", {"ia"}),
    ("Publié via le site", set()),
    ("Les médias et les parias", set()),
    ("Les IA-IPR de lettres", set()),  # exclude vetoes
    ("L'IA vue par les IA-IPR", set()),  # a veto wins over a match
    ("L'ENT du collège", {"ent"}),
    ("L'enseignement, les parents, les étudiants", set()),
    ("Les espaces numériques de travail", {"ent"}),  # plural phrase
    ("Pix", {"pix"}),
    ("Du pixel art sur Pixabay", set()),
    ("Tablettes en maternelle", {"tablettes", "equipement"}),  # prefix, and plural of plain
    ("Une tablette", {"tablettes", "equipement"}),
    ("La tabletterie", {"tablettes"}),  # prefix only (the stem is not "tablette")
    ("EVALUATION DES ELEVES", {"evaluation"}),
    ("Les évaluations nationales", {"evaluation"}),
    ("L'auto-évaluation", {"evaluation"}),
    ("Des QCM", {"evaluation"}),
    ("Classe inversée en 4e", {"inversee", "formation"}),
    ("Les classes inversées", {"inversee", "formation"}),
    ("Inversée, la classe", set()),  # a phrase is in order
    ("La classe est inversée", set()),  # a phrase is consecutive words
    ("Jeux d’évasion", {"evasion"}),
    ("Les escape games", {"evasion"}),
    ("Un parcours M@gistère", {"formation"}),
    ("Un parcours Magistère", {"formation"}),
    ("GPT-4o et GPT4", {"gpt"}),
    ("Les grands modèles de langage", {"gpt"}),  # regex on normalised text (accents folded)
    ("Les grands modeles de langage", {"gpt"}),
    ("gptx", set()),
]


@pytest.mark.parametrize(("text", "expected"), SEMANTICS)
def test_term_semantics(text: str, expected: set[str]) -> None:
    assert tags_of(text) == expected


def test_reasons_name_the_term_and_the_field() -> None:
    entry = EntryText(
        title="Rentrée numérique",
        summary="Un QCM sur l'ENT",
        content="Évaluation des tablettes",
        categories=("Intelligence artificielle", "Classe", "inversée"),
        feed_tags=("actualite", "ent"),
    )
    assert tag(entry, RULES) == {
        "actualite": TagReason("source", "actualite"),
        "ent": TagReason("source", "ent"),  # a feed tag wins (and cannot be vetoed)
        "equipement": TagReason("content", "tablette"),
        "evaluation": TagReason("summary", "QCM"),  # first field, not first term
        "ia": TagReason("category", "intelligence artificielle"),
        "tablettes": TagReason("content", "tablette*"),
    }  # no "inversee": categories are matched one by one


def test_reason_is_first_term_of_the_rule_in_the_first_field() -> None:
    entry = EntryText(title="QCM et évaluation", summary="évaluation")
    assert tag(entry, RULES)["evaluation"] == TagReason("title", "évaluation")


def test_feed_tags_are_not_vetoed() -> None:
    entry = EntryText(title="Les IA-IPR", feed_tags=("ia",))
    assert tag(entry, RULES) == {"ia": TagReason("source", "ia")}


def test_from_entry_strips_html() -> None:
    entry = ParsedEntry(
        key="k",
        guid=None,
        url=None,
        title="Rentrée",
        summary_html="<p>Le <b>QCM</b></p>",
        content_html="<p>l&rsquo;ENT</p>",
        categories=("Pix",),
    )
    got = tag(EntryText.from_entry(entry, ["actualite"]), RULES)
    assert set(got) == {"actualite", "evaluation", "ent", "pix"}
    assert got["ent"] == TagReason("content", "ENT")


def test_compile_refuses_unusable_terms() -> None:
    with pytest.raises(ValueError, match="sans mot"):
        compile_rules([TagRule("x", "X", match=("!!",))])
    with pytest.raises(ValueError, match="invalide"):
        compile_rules([TagRule("x", "X", match=("/(/",))])


# --- the shipped taxonomy on realistic headlines ----------------------------------------------

# One headline per block: the title (continued on lines indented by two spaces), the summary
# ("| " lines), then "= " and the expected tags. Expectations say what a referent would file the
# item under; they were written before running the rules and are not edited to please them.
HEADLINES_TEXT = """
# Batch 1: written together with the rules.
#
# Relabelled once, when the taxonomy adopted written theme definitions (README, « Thèmes et
# règles »), on these points only: official announcements and DEPP publications are
# ``ressources``; M@gistère and Google Classroom are platforms (``moodle``); bac épreuves and
# cheating in assessed work are ``evaluation``; Kahoot is a game (``ludification``); phone
# rules at school are ``tablettes``; "compétences numériques" without Pix/CRCN is not ``pix``;
# online teacher training is not ``hybridation``.

Intelligence artificielle : le ministère publie un cadre d'usage pour l'école
| Le cadre précise ce que les enseignants et les élèves peuvent faire avec les outils d'IA
| générative.
= ia ressources

Bruno Devauchelle : l'IA, un défi pour l'évaluation des élèves ?
| Quand les élèves rédigent leurs devoirs avec ChatGPT, c'est toute l'évaluation à la maison qui
| est questionnée.
= evaluation ia

Pix : la certification obligatoire en 3e et en terminale
| Les élèves passent la certification qui atteste de leurs compétences numériques selon le CRCN.
= pix

Un pixel art géant réalisé par les élèves de CM2
| Les élèves ont travaillé la symétrie en créant une fresque collective.
=

Pronote : nouvelles fonctionnalités pour le cahier de textes
| Index Éducation annonce des nouveautés pour la rentrée.
= ent

Parents et enseignants : comment améliorer la communication ?
| Une enquête montre que les parents attendent plus d'échanges avec l'équipe pédagogique.
=

Une cyberattaque paralyse l'ENT des lycées d'Île-de-France
| Des messages malveillants ont été envoyés via la messagerie de l'espace numérique de travail ;
| des données personnelles auraient fuité.
= ent rgpd

RGPD : ce que les écoles doivent vérifier avant d'utiliser une application
| La CNIL rappelle les obligations des établissements en matière de protection des données des
| élèves.
= rgpd

Des tablettes pour tous les élèves de 6e dans les Landes
| Le département poursuit son plan d'équipement individuel des collégiens.
= equipement tablettes

Escape game : réviser le brevet en s'amusant
| Une professeure de SVT a conçu un jeu d'évasion pour faire réviser ses élèves de 3e.
= ludification

Classe inversée : retour d'expérience en mathématiques au lycée
| Les élèves visionnent des capsules vidéo à la maison et consacrent le temps de classe aux
| exercices.
= classe-inversee

Moodle 4.5 : ce qui change pour les enseignants
| La nouvelle version de la plateforme apporte un éditeur de texte modernisé.
= moodle

Élèves dyslexiques : des outils numériques pour compenser
| Synthèse vocale, police adaptée, règle de lecture : tour d'horizon des aides pour les élèves
| DYS.
= accessibilite

Accessibilité numérique : les sites des académies encore loin du RGAA
| Un audit révèle que la plupart des sites institutionnels ne respectent pas le référentiel.
= accessibilite

Semaine de la presse et des médias dans l'école : les inscriptions sont ouvertes
| Le CLEMI propose des ressources pour travailler l'éducation aux médias et à l'information en
| classe.
= emi

Désinformation : apprendre aux élèves à vérifier une image
| Une séquence pour repérer les images détournées et les deepfakes sur les réseaux sociaux.
= emi

Le Wi-Fi arrive dans toutes les salles de classe du collège
| Après des années d'attente, l'établissement dispose enfin d'une connexion fiable.
= equipement

M@gistère : un nouveau parcours sur l'enseignement de l'IA
| Six heures en autoformation pour comprendre l'intelligence artificielle.
= formation ia moodle

Lumni enrichit son offre pour le lycée
| La plateforme éducative de l'audiovisuel public propose de nouvelles vidéos en
| histoire-géographie.
= ressources

Apps Éducation : Nextcloud, Peertube et Tube pour tous les personnels
| La plateforme apps.education.fr propose des outils libres aux enseignants.
= ressources

Enseignement à distance : les leçons de la continuité pédagogique
| Cinq ans après le confinement, des chercheurs analysent ce que l'hybridation a changé.
= hybridation

Via l'outil Quizinière, des évaluations formatives plus rapides
| Canopé propose gratuitement cet outil de création d'exercices en ligne.
= evaluation ressources

Kahoot, Plickers, Wooclap : quel outil de QCM choisir ?
| Comparatif des outils de quiz pour faire participer tous les élèves.
= evaluation ludification

Différenciation pédagogique : des plans de travail pour gérer l'hétérogénéité
| En cycle 3, une enseignante organise sa classe en ateliers autonomes.
= differenciation

Les groupes de besoins en 6e : premier bilan
| Les enseignants de mathématiques et de français témoignent de leur organisation.
= differenciation

Le média scolaire, un outil pour développer l'esprit critique
| Au collège, les élèves publient un journal en ligne et animent une webradio.
= emi

Paria de la classe : le harcèlement scolaire en question
| Le programme pHARe est généralisé à tous les établissements.
=

ChatGPT au bac de philosophie : faut-il s'inquiéter ?
| Les enseignants constatent des copies suspectes, sans moyen de preuve.
= evaluation ia

Les IA-IPR de mathématiques en visite dans les collèges de l'académie
| Les inspecteurs accompagnent la mise en place des nouveaux programmes.
=

Minecraft Education : construire une ville durable en géographie
| Un projet interdisciplinaire mêle jeu vidéo et développement durable.
= ludification

Ordinateurs portables pour les enseignants : la région annonce un plan
| Chaque professeur de lycée recevra un PC portable à la rentrée.
= equipement

Écrans interactifs : bien les choisir pour sa classe
| Vidéoprojecteur interactif ou écran numérique interactif ? Les conseils de la DRANE.
= equipement

iPad en maternelle : une expérimentation contestée
| Des chercheurs s'interrogent sur l'usage des tablettes chez les jeunes enfants.
= tablettes

Élèves en situation de handicap : le nombre d'AESH toujours insuffisant
| Les syndicats dénoncent le manque d'accompagnants pour l'école inclusive.
= accessibilite

Mistral AI et l'Éducation nationale signent un partenariat
| L'entreprise fournira un assistant pour aider les professeurs à préparer leurs cours.
= ia

J'ai testé la correction de copies avec un assistant : mon retour
| Un professeur de lettres raconte son expérience d'un chatbot pour annoter des rédactions.
= evaluation ia

Numérique responsable : recycler le matériel informatique du collège
| L'établissement a reconditionné 50 ordinateurs avec l'aide d'une association.
= equipement

Hybridation des formations : l'INSPÉ de Lyon innove
| Les futurs enseignants suivent une partie de leurs cours à distance.
= formation hybridation

Webinaire : enseigner avec le numérique en lycée professionnel
| La DRANE organise une série de webinaires à destination des enseignants de LP.
= formation ressources

Fake news et théories du complot : une séquence en EMC
| Les élèves apprennent à identifier les sources fiables et à déconstruire un discours
| complotiste.
= emi

Éduthèque : accès gratuit aux ressources de l'INA et de la BnF
| Les enseignants peuvent s'inscrire avec leur adresse académique.
= ressources

Le PIAL renforcé pour accompagner les élèves à besoins éducatifs particuliers
| Chaque circonscription disposera d'un coordonnateur.
= accessibilite

Bac 2026 : le calendrier des épreuves de spécialité
| Les épreuves se dérouleront en juin, le grand oral à la fin du mois.
= evaluation

Évaluations nationales de 4e : des résultats en baisse en mathématiques
| La DEPP publie les résultats des tests de début d'année.
= evaluation ressources

Jeux sérieux : quelle place dans les apprentissages ?
| Une revue de recherche fait le point sur l'efficacité des serious games en classe.
= ludification

Ludification : des badges pour motiver les élèves en anglais
| Un enseignant a transformé sa progression en quête avec niveaux et récompenses.
= ludification

Toutatice : l'ENT breton fait peau neuve
| La nouvelle interface sera déployée dans tous les établissements de l'académie de Rennes.
= ent

Skolengo remplace l'ancien environnement numérique dans trois régions
| Les familles devront créer un nouveau compte.
= ent

CNIL : les caméras dans les cantines scolaires épinglées
| La Commission rappelle que la vidéosurveillance des élèves porte atteinte à leur vie privée.
= rgpd

Le rançongiciel qui a frappé un lycée de Bretagne
| Les sauvegardes ont permis de reprendre les cours, mais des dossiers d'élèves ont été dérobés.
= rgpd

Capytale : coder en Python directement depuis l'ENT
| Le service permet de créer des activités de programmation pour les lycéens.
= ent ressources

Compétences numériques : les élèves surestiment leur niveau
| Une étude montre un écart entre l'usage quotidien des écrans et la maîtrise des outils.
=

Un robot conversationnel pour aider les élèves à réviser
| MIA Seconde, l'assistant d'entraînement en français et en mathématiques, est généralisé.
= ia

Formation continue : un plan académique centré sur le numérique
| L'EAFC propose 40 modules dont plusieurs sur l'intelligence artificielle.
= formation ia

Canopé lance une série de podcasts sur l'école inclusive
| Des enseignants partagent leurs pratiques pour inclure les élèves autistes.
= accessibilite ressources

Le Café pédagogique fête ses 25 ans
| Retour sur un quart de siècle d'information pédagogique indépendante.
=

Des équipements sportifs flambant neufs pour le lycée
| La région a investi 3 millions d'euros dans la rénovation du gymnase.
=

Comment les algorithmes des réseaux sociaux choisissent ce que voient les ados
| Une vidéo pour ouvrir le débat en classe sur la désinformation et les bulles de filtre.
= emi

La visioconférence, outil de liaison école-collège
| Les élèves de CM2 échangent avec leurs futurs professeurs de 6e lors d'une classe virtuelle.
= hybridation

Numérique éducatif : les chiffres de la rentrée
| Le ministère publie les statistiques d'équipement des écoles : ordinateurs, tablettes,
| vidéoprojecteurs.
= equipement ressources tablettes

Wooclap rachète une start-up de l'évaluation par compétences
| L'entreprise belge consolide sa place dans l'enseignement supérieur.
= evaluation

Adapter ses cours aux élèves à haut potentiel
| Différencier sans surcharger : les conseils d'une conseillère pédagogique.
= differenciation

Élections des délégués : un vote en ligne sur l'ENT
| Le collège a organisé le scrutin numérique pour la première fois.
= ent

L'IA générative dans la formation des enseignants
| L'INSPÉ de Bordeaux intègre un module obligatoire.
= formation ia

Quels usages du smartphone au lycée ?
| Le portable en pause est généralisé au collège ; au lycée, certains enseignants l'utilisent en
| classe.
= tablettes

Le Conseil supérieur des programmes présente ses projets pour le français
| Les nouveaux programmes du cycle 4 entreront en vigueur en 2026.
=

Sous-titrage automatique des vidéos : un atout pour les élèves sourds
| Les outils de transcription progressent grâce à l'intelligence artificielle.
= accessibilite ia

Plateforme Éléa : plus de 100 000 parcours créés
| La plateforme Moodle des académies franciliennes continue sa croissance.
= moodle

Un escape game numérique pour découvrir le RGPD
| Créé par la DANE, il sensibilise les élèves à la protection de leurs données personnelles.
= ludification rgpd

Très haut débit : 500 écoles rurales encore mal connectées
| Le plan doit raccorder les derniers établissements à la fibre.
= equipement

Médiathèque et CDI : quels espaces pour demain ?
| Les professeurs documentalistes repensent les lieux de lecture.
=

Le TNI a-t-il encore sa place en classe ?
| Remplacé par les écrans interactifs, le tableau numérique interactif résiste dans le premier
| degré.
= equipement

Réforme de la formation initiale : le concours à bac+3
| Les futurs professeurs seront recrutés en fin de licence et formés pendant deux ans.
= formation

Hackathon IA : des lycéens imaginent l'école de demain
| Trois jours pour prototyper des outils au service des élèves.
= ia

Dans le Nord, un collège mise sur la classe inversée et le plan de travail
| L'équipe pédagogique a réorganisé les emplois du temps.
= classe-inversee differenciation

Note de la DEPP : les effectifs par classe en baisse
| Les données publiées montrent une diminution du nombre d'élèves dans le premier degré.
= ressources

# Batch 2: written afterwards without looking at the rules (22/25 before the rules were
# tuned on it).

Les écrans, ennemis des apprentissages ?
| Une méta-analyse relativise les effets du temps d'écran sur les résultats scolaires.
=

Bruno Devauchelle : Le numérique scolaire à l'heure des choix
| Dans sa chronique hebdomadaire, il interroge les politiques d'équipement des collectivités.
= equipement

Quiz de fin de séquence : l'outil gratuit qui séduit les profs de langues
| Créé par un enseignant, il génère des questions à partir d'un texte grâce à l'intelligence
| artificielle.
= evaluation ia

Lycée professionnel : la réforme inquiète
| Les syndicats craignent une baisse des heures d'enseignement général.
=

Les sciences cognitives au service de la mémorisation
| Des cartes mémoire et des tests réguliers pour ancrer les connaissances.
=

Apprendre à coder avec des robots dès la maternelle
| Bee-Bot, Thymio : les robots pédagogiques entrent dans les classes.
=

Une classe de seconde teste les manuels numériques
| Le manuel papier disparaît au profit d'une version en ligne, sur tablette ou ordinateur.
= equipement tablettes

Harcèlement : les réseaux sociaux en première ligne
| Le cyberharcèlement touche un collégien sur cinq selon une enquête.
=

Intelligence artificielle : les élèves en savent-ils plus que leurs profs ?
| 80 % des lycéens utilisent des IA conversationnelles pour leurs devoirs.
= ia

Le bulletin officiel du 12 septembre
| Au sommaire : programmes, calendrier des examens, mouvement des personnels.
= ressources

Numérique : la Cour des comptes critique le plan de relance
| Les crédits d'équipement des écoles ont été mal ciblés, selon le rapport.
= equipement

Comment parler de la guerre en classe ?
| Des ressources Éduscol pour répondre aux questions des élèves.
= ressources

Des lunettes de réalité virtuelle en cours d'histoire
| Les élèves visitent Versailles en immersion grâce à des casques VR.
= equipement

Les enseignants et le numérique : enquête Profetic
| La moitié des professeurs déclarent manquer de formation aux outils numériques.
= formation

Éduscol : nouvelles ressources pour l'oral
| Des fiches pour préparer le grand oral.
= evaluation ressources

L'orthographe des élèves s'améliore-t-elle avec les correcteurs ?
| Les correcteurs intégrés aux traitements de texte changent le rapport à l'écrit.
=

Un podcast réalisé par des élèves allophones
| La webradio du collège donne la parole aux élèves d'UPE2A.
= emi

Données de santé des élèves : la médecine scolaire passe au numérique
| Un logiciel national remplacera les dossiers papier, sous le contrôle de la CNIL.
= rgpd

Trop d'outils numériques tue l'outil ?
| Pronote, ENT, Classroom, Teams : les familles s'y perdent.
= ent

Google Classroom interdit dans les écoles ?
| Le ministère rappelle que les offres gratuites des GAFAM ne respectent pas le RGPD.
= moodle ressources rgpd

Les élèves de 3e découvrent les métiers du numérique
| Un forum organisé avec des entreprises locales.
=

La dictée quotidienne, efficace ?
| Une étude de la DEPP évalue les effets d'une dictée par jour en CE1.
= ressources

Tablettes graphiques : un outil pour les arts plastiques
| Les élèves dessinent et animent leurs créations.
= tablettes

Un plan pour l'inclusion des élèves autistes
| Des unités d'enseignement autisme ouvrent dans 30 collèges.
= accessibilite

Accessibilité des PDF : le guide pour les enseignants
| Rendre ses documents lisibles par les lecteurs d'écran.
= accessibilite

# Batch 3: written after tuning on batches 1-2, again blind (11/15 before tuning on it).

Les PIAL remplacés par les PAS à la rentrée
| Les pôles d'appui à la scolarité doivent améliorer l'accompagnement des élèves handicapés.
= accessibilite

Un concours de robotique pour les collégiennes
| Les équipes ont programmé leurs robots pour relever des défis.
=

Le ministère généralise l'usage de l'IA pour corriger le brevet ?
| Une rumeur démentie : aucune correction automatique n'est prévue.
= evaluation ia

Les jeunes et l'information : une confiance en berne
| Selon le baromètre, les 15-24 ans s'informent d'abord sur TikTok et doutent des médias
| traditionnels.
= emi

Vidéoprojecteurs en panne : les enseignants désabusés
| Faute de maintenance, un tiers des équipements seraient hors service.
= equipement

Sécuriser les mots de passe des élèves
| Les bonnes pratiques pour gérer les comptes sur l'ENT et les applications.
= ent rgpd

Teams ou BigBlueButton : quel outil pour les conseils de classe à distance ?
| Le choix dépend de la politique académique.
= hybridation

Geogebra, Scratch, Python : les outils du cours de maths
| Panorama des logiciels recommandés au collège.
=

Éducation à la sexualité : le programme enfin publié
| Il entrera en vigueur à la rentrée prochaine.
=

Les collégiens et les écrans : l'Académie de médecine alerte
| Elle recommande d'interdire les smartphones avant 15 ans.
=

La classe dehors, une pédagogie qui gagne du terrain
| Des enseignants font cours en plein air une fois par semaine.
=

Un guide pour accueillir les élèves malentendants
| Boucle magnétique, placement, sous-titres : les adaptations simples.
= accessibilite

Jeu de piste numérique au musée
| Les élèves résolvent des énigmes sur tablette pour découvrir les collections.
= ludification tablettes

Parcours M@gistère sur la laïcité
| Une formation hybride de neuf heures.
= formation moodle

Le grand oral : comment l'évaluer ?
| Une grille pour les jurys et des conseils pour préparer les élèves.
= evaluation
"""


def _parse_headlines(text: str) -> list[tuple[int, str, str, set[str]]]:
    """(batch, title, summary, expected tags) of each block of ``HEADLINES_TEXT``."""
    out = []
    batch = 0
    for block in text.strip().split("\n\n"):
        if block.startswith("# Batch "):
            batch = int(block.split()[2].rstrip(":"))
            continue
        rows = block.splitlines()
        title = " ".join(r.strip() for r in rows if not r.startswith(("|", "=")))
        summary = " ".join(r[2:] for r in rows if r.startswith("|"))
        (tags,) = [set(r[1:].split()) for r in rows if r.startswith("=")]
        out.append((batch, title, summary, tags))
    return out


BATCHED = _parse_headlines(HEADLINES_TEXT)
HEADLINES = [(title, summary, tags) for _, title, summary, tags in BATCHED]


@pytest.fixture(scope="module")
def shipped() -> CompiledRules:
    return compile_rules(load_config(ROOT / "feeds.yaml").tags)


def test_headlines_exact_set_accuracy(shipped: CompiledRules) -> None:
    assert len(HEADLINES) >= 60
    misses: list[str] = []
    per_batch: dict[int, list[bool]] = {}
    for batch, title, summary, expected in BATCHED:
        got = set(tag(EntryText(title=title, summary=summary), shipped))
        per_batch.setdefault(batch, []).append(got == expected)
        if got != expected:
            misses.append(f"{title!r}: attendu {sorted(expected)}, obtenu {sorted(got)}")
    accuracy = 1 - len(misses) / len(HEADLINES)
    ok = len(HEADLINES) - len(misses)
    print(f"\nexact-set accuracy: {accuracy:.1%} ({ok}/{len(HEADLINES)})")
    for batch, results in sorted(per_batch.items()):
        print(f"  batch {batch}: {sum(results)}/{len(results)}")
    print("\n".join(misses))
    assert accuracy >= 0.90, misses


@pytest.mark.parametrize(
    ("title", "summary", "url", "present", "absent"),
    [
        # an académie's own site is an official source; its teachers' pages are not
        (
            "Calendrier des épreuves du brevet 2026",
            "Les dates des épreuves écrites et orales pour les collèges de l'académie.",
            "https://www.ac-exemple.fr/calendrier-brevet",
            {"ressources", "evaluation"},
            set(),
        ),
        (
            "Ma séquence sur la Révolution française en 4e",
            "Je propose à mes élèves une enquête en groupes à partir d'archives.",
            "https://histoire.ac-exemple.fr/spip.php?article12",
            set(),
            {"ressources"},
        ),
        # an announcement is official; the unions' reaction to it is not
        (
            "La ministre annonce un plan pour les mathématiques au collège",
            "Des groupes de besoin en 6e et 5e dès la rentrée.",
            "https://journal.example.org/a",
            {"ressources", "differenciation"},
            set(),
        ),
        (
            "Plan mathématiques : les syndicats dénoncent une annonce précipitée",
            "L'intersyndicale réclame un report de la réforme annoncée par la ministre.",
            "https://journal.example.org/b",
            set(),
            {"ressources"},
        ),
        # « évaluation » of a policy or of a tool is not the assessment of pupils
        (
            "Éducation prioritaire : un rapport sur l'évaluation de la réforme",
            "Les inspecteurs ont mesuré les effets du dédoublement des classes.",
            "https://journal.example.org/c",
            set(),
            {"evaluation"},
        ),
        (
            "Un label pour l'évaluation des applications éducatives",
            "Les éditeurs soumettent leurs logiciels à un comité d'experts.",
            "https://journal.example.org/e",
            set(),
            {"evaluation"},
        ),
        (
            "Évaluations nationales de CP : des résultats en hausse en lecture",
            "Les élèves progressent en compréhension de l'écrit.",
            "https://journal.example.org/d",
            {"evaluation"},
            set(),
        ),
    ],
)
def test_shipped_taxonomy_reads_who_publishes_and_what_is_assessed(
    shipped: CompiledRules, title: str, summary: str, url: str, present: set, absent: set
) -> None:
    got = set(tag(EntryText(title=title, summary=summary, url=url), shipped))
    assert present <= got and not (absent & got), got
