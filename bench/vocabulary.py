"""The French vocabulary of the benchmark corpus (``bench.corpus``): data only.

Changing anything here changes the corpus: bump ``corpus.VERSION``.
"""

from __future__ import annotations


def _lines(text: str) -> list[str]:
    """One item per line (keeps the vocabulary short to read)."""
    return [line.strip() for line in text.strip().splitlines()]


def _words(text: str) -> list[str]:
    return text.split()


ACTORS = _lines(
    """
les enseignants
les élèves
les professeurs documentalistes
l'équipe pédagogique
les chefs d'établissement
les parents
les tuteurs
les inspecteurs
les collégiens
les lycéens
les professeurs des écoles
les conseillers pédagogiques
les référents numériques
la DANE
le rectorat
le ministère
les collectivités
les chercheurs
les stagiaires
les assistants d'éducation
les CPE
les délégués
"""
)
VERBS = _lines(
    """
expérimentent
découvrent
utilisent
mettent en place
questionnent
adoptent
testent
partagent
construisent
analysent
présentent
déploient
accompagnent
évaluent
repensent
documentent
comparent
racontent
interrogent
généralisent
abandonnent
améliorent
"""
)
OBJECTS = _lines(
    """
de nouveaux outils numériques
des ressources pédagogiques
un projet interdisciplinaire
des usages raisonnés des écrans
une démarche de projet
des activités collaboratives
un carnet de bord
des séquences en autonomie
le travail en îlots
une plateforme en ligne
des vidéos courtes
des cartes mentales
un blog de classe
une exposition
un atelier d'écriture
des podcasts
un mur collaboratif
la programmation
la robotique
des exercices interactifs
un concours
des parcours variés
la pédagogie de projet
l'oral
la lecture à voix haute
"""
)
PLACES = _lines(
    """
en classe de sixième
au collège
au lycée professionnel
en maternelle
au cycle 3
en terminale
dans l'académie
au CDI
en salle informatique
en éducation prioritaire
en zone rurale
en SEGPA
dans le premier degré
en enseignement supérieur
pendant les vacances apprenantes
en classe de quatrième
"""
)
MODIFIERS = _lines(
    """
depuis la rentrée
avec des résultats encourageants
malgré des moyens limités
selon une enquête récente
d'après les premiers retours
sur l'ensemble de l'année
avec l'appui des familles
dans le cadre du plan numérique
à titre expérimental
en lien avec les programmes
pour favoriser l'autonomie
sans surcharge de travail
"""
)
CONNECTORS = _lines(
    """
Par ailleurs,
En outre,
Cependant,
Ainsi,
De plus,
Néanmoins,
Pour autant,
Concrètement,
En pratique,
Au final,
D'abord,
Enfin,
"""
)
COMMON = _lines(
    """
Le numérique éducatif transforme les pratiques des élèves et des enseignants.
Les élèves gagnent en autonomie grâce au numérique.
Cette démarche interroge la place du numérique dans les apprentissages.
Les élèves s'approprient rapidement ces outils numériques.
L'accompagnement des enseignants reste un enjeu majeur.
Les usages progressent, mais restent inégaux d'un établissement à l'autre.
"""
)
TOPICS: dict[str, list[str]] = {
    "evaluation": [
        "L'évaluation par compétences change le regard des élèves sur leurs erreurs.",
        "Un QCM en début de séance permet de vérifier les acquis.",
        "Kahoot et Plickers rendent l'évaluation formative plus vivante.",
        "La notation chiffrée est remplacée par des niveaux de maîtrise.",
    ],
    "differenciation": [
        "La différenciation pédagogique passe par des plans de travail individualisés.",
        "Les groupes de besoin permettent une remédiation ciblée.",
    ],
    "accessibilite": [
        "Les élèves DYS bénéficient de la synthèse vocale et de polices adaptées.",
        "Le RGAA fixe les règles d'accessibilité des ressources numériques.",
        "L'école inclusive demande des adaptations pour les élèves en situation de handicap.",
    ],
    "rgpd": [
        "Le RGPD encadre l'usage des données personnelles des élèves.",
        "La CNIL rappelle les règles de protection des données scolaires.",
        "Une cyberattaque a touché plusieurs établissements de l'académie.",
    ],
    "pix": [
        "La certification Pix valide les compétences numériques des élèves de troisième.",
        "Le CRCN décrit seize compétences numériques réparties en cinq domaines.",
    ],
    "ent": [
        "L'ENT centralise le cahier de textes, la messagerie et les ressources.",
        "Pronote reste l'outil le plus consulté par les familles.",
    ],
    "tablettes": [
        "Les tablettes sont prêtées aux élèves pour l'année scolaire.",
        "Une classe mobile de tablettes circule entre les salles.",
        "L'iPad sert à filmer les expériences en sciences.",
    ],
    "moodle": [
        "Les parcours Moodle (Éléa) accompagnent les élèves en autonomie.",
        "Moodle permet de suivre la progression de chaque élève.",
    ],
    "classe-inversee": [
        "En classe inversée, les élèves visionnent une capsule vidéo avant le cours.",
        "La classe inversée libère du temps pour les exercices en classe.",
    ],
    "ludification": [
        "Un escape game pédagogique clôt la séquence de façon ludique.",
        "La ludification motive les élèves les plus réticents.",
        "Minecraft sert de support à un projet d'architecture.",
    ],
    "hybridation": [
        "L'enseignement à distance a laissé des pratiques hybrides durables.",
        "La continuité pédagogique repose sur des outils éprouvés.",
    ],
    "emi": [
        "L'éducation aux médias et à l'information aide à repérer la désinformation.",
        "Les élèves vérifient les sources d'une infox virale.",
    ],
    "ia": [
        "L'intelligence artificielle générative s'invite dans les devoirs à la maison.",
        "ChatGPT et les autres outils d'IA posent la question de l'évaluation.",
        "Les enseignants testent l'intelligence artificielle pour préparer leurs cours.",
    ],
    "formation": [
        "Un parcours M@gistère accompagne les enseignants volontaires.",
        "La formation continue s'appuie sur des webinaires et des tutoriels.",
    ],
    "ressources": [
        "Éduthèque et Lumni proposent des ressources gratuites et libres de droits.",
        "Apps Éducation offre des services numériques souverains aux enseignants.",
    ],
    "reseaux": [
        "Le déploiement du Wi-Fi dans les salles de classe s'achève cette année.",
        "Les vidéoprojecteurs interactifs remplacent les tableaux blancs.",
    ],
}
TOPIC_NAMES = list(TOPICS)
TOPIC_WEIGHTS = [8, 3, 4, 4, 3, 3, 3, 2, 2, 3, 2, 4, 7, 4, 3, 2]
CATEGORIES = _words(
    """
Numérique Pédagogie Actualités Collège Lycée École Formation Ressources Témoignages
Institutionnel Recherche Outils Innovation
"""
)
FIRST = _words(
    """
Claire Julien Sophie Karim Nathalie Thomas Amina Pierre Élodie Mathieu Fatou Camille
Laurent Inès Hugo Marie
"""
)
LAST = _words(
    """
Martin Bernard Dubois Lefèvre Moreau Girard Benali Roux Fournier Mercier Diallo Lambert
Bonnet François Garnier Faure
"""
)
TOWNS = _lines(
    """
Lyon
Lille
Rennes
Nantes
Bordeaux
Toulouse
Montpellier
Marseille
Strasbourg
Dijon
Besançon
Grenoble
Clermont-Ferrand
Limoges
Poitiers
Orléans
Tours
Rouen
Caen
Amiens
Reims
Metz
Nancy
Brest
Angers
Le Mans
Nîmes
Pau
Bayonne
Ajaccio
Cayenne
Fort-de-France
Créteil
Versailles
Saint-Denis
Mayotte
Perpignan
Valence
Chambéry
Annecy
"""
)
# Titles: a head, a noun phrase of ~4,000 combinations, sometimes a town (real headlines
# share few words; a small title grammar would make every pair of titles look alike).
TITLE_NOUNS = _words(
    """
atelier bilan budget calendrier campagne carte charte circulaire classement colloque
concours consultation contrat convention dispositif enquête étude expérimentation festival
guide journée kit label laboratoire lettre mallette manifeste mission observatoire
palmarès parcours partenariat plan plateforme programme projet protocole rapport réforme
référentiel réseau résidence salon semaine séminaire service stage tournée trophée
tutoriel webinaire appel baromètre chantier défi forum hackathon marathon olympiade
portail
"""
)
TITLE_ADJS = _words(
    """
académique alsacien artistique audacieux breton citoyen collaboratif collectif coopératif
créatif culturel départemental écologique européen expérimental francophone gratuit
historique inédit innovant interactif international inventif littéraire local marin
mathématique modulaire musical national numérique ouvert participatif patrimonial pionnier
poétique provençal régional rural scientifique solidaire spatial sportif théâtral
touristique urbain vidéoludique visuel volontaire
"""
)
TITLE_HEADS = _lines(
    """
Retour d'expérience :
Comment
Cinq idées pour
Ce qu'il faut savoir :
Enquête :
Tribune :
Tutoriel :
Reportage :
Entretien :
Dossier :
"""
)
RARE = [  # (term sentence, one article in …)
    ("Une enseignante a conçu ses évaluations sur Quizinière, l'outil de la Canopé.", 2000),
    ("Le projet a reçu le prix de la sérendipité numérique.", 20000),
]
