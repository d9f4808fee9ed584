"""A realistic week of French education news from six sources, for browser tests and for the
README's screenshots (``python -m tests.screenshots``): real-looking titles and summaries,
tagged by the real rules of its feeds.yaml, a weekly digest sent by e-mail. No test payload
(hostile markup lives in ``tests/browser.py``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from veille.models import FeedSpec, ParsedEntry, Validators
from veille.store import Store

NOW = datetime(2026, 12, 3, 7, 30, tzinfo=UTC)  # a Thursday, 8:30 in Paris
SECRET = "une-clé-secrète-de-démonstration-assez-longue"
ADMIN = "jeton-admin-de-demonstration"

WEEK_YAML = """\
feeds:
  - id: cafe
    url: https://www.cafepedagogique.example/feed/
    title: Le Café pédagogique
    tags: [actualite]
  - id: eduscol
    url: https://eduscol.example/rss
    title: Éduscol
    tags: [institutionnel]
  - id: ludomag
    url: https://ludomag.example/feed
    title: Ludomag
  - id: ife
    url: https://ife.example/veille.xml
    title: Veille et analyses de l'IFÉ
    tags: [recherche]
  - id: blog
    url: https://prof-numerique.example/atom.xml
    title: Le blog d'une prof de techno
  - id: canope
    url: https://canope.example/actualites
    title: Réseau Canopé
tags:
  ia:
    label: Intelligence artificielle
    match: ["IA", "intelligence artificielle", "ChatGPT", "Mistral", "IA générative"]
  evaluation:
    label: Évaluation
    match: ["évaluation*", "évaluer", "QCM", "Plickers", "Kahoot", "Quizinière", "compétences"]
  ent:
    label: ENT et outils
    match: ["ENT", "Pronote", "Moodle", "Éléa", "Capytale", "logiciel*", "numérique responsable"]
  tablettes:
    label: Équipement
    match: ["tablette*", "équipement*", "ordinateur*", "vidéoprojecteur*", "robots"]
  formation:
    label: Formation des enseignants
    match: ["formation*", "webinaire", "M@gistère", "parcours", "PIX"]
  inclusion:
    label: Inclusion
    match: ["inclusion", "inclusive", "handicap", "dys", "AESH", "accessibilité"]
labels:
  actualite: Actualité
  institutionnel: Institutionnel
  recherche: Recherche
digests:
  quotidien:  # the home page
    title: La veille du jour
    window: 24h
  hebdo:
    title: La semaine du numérique éducatif
    window: 7d
    mail:
      to: [equipe@college.example]
      at: "mon 07:30"
"""

# (feed, hours before NOW, title, summary)
ITEMS: list[tuple[str, float, str, str]] = [
    (
        "cafe",
        1.5,
        "IA générative en classe : ce que disent les nouvelles recommandations",
        "Le ministère publie un cadre d'usage de l'IA générative pour les enseignants du second "
        "degré : ce qui est permis, ce qui ne l'est pas, et comment en parler aux élèves.",
    ),
    (
        "eduscol",
        3,
        "Capytale : de nouvelles activités de programmation pour le lycée",
        "La plateforme s'enrichit d'activités Python et d'un espace de partage entre collègues, "
        "accessible depuis l'ENT de l'établissement.",
    ),
    (
        "ludomag",
        5,
        "Des tablettes en maternelle : retour d'expérience d'une école de Rennes",
        "Une équipe raconte deux années d'usage raisonné des tablettes en grande section, entre "
        "albums numériques enregistrés par les élèves et ateliers de langage.",
    ),
    (
        "blog",
        7,
        "Évaluer par compétences avec Pronote sans y passer ses soirées",
        "Paramétrer les référentiels, saisir vite en classe, produire des bilans lisibles pour "
        "les familles : mes réglages après un trimestre.",
    ),
    (
        "ife",
        9,
        "L'attention des élèves face aux écrans : ce que dit la recherche",
        "Une synthèse de travaux récents en sciences cognitives nuance les idées reçues sur le "
        "multitâche et l'effet des notifications en classe.",
    ),
    (
        "canope",
        11,
        "Webinaire : accompagner les élèves dys avec des outils numériques",
        "Synthèse vocale, dictée, adaptation des documents : une heure pour découvrir des outils "
        "gratuits et les intégrer à sa pratique, mercredi à 14 h.",
    ),
    (
        "cafe",
        20,
        "Le numérique responsable entre dans les programmes de technologie",
        "Sobriété, réparabilité, données personnelles : les nouveaux repères de progression "
        "pour le cycle 4 font une place explicite au numérique responsable.",
    ),
    (
        "ludomag",
        26,
        "Quizinière, Plickers, Kahoot : trois façons de vérifier les acquis",
        "Comparatif pratique de trois outils de QCM en classe, de la préparation à l'analyse "
        "des réponses, avec leurs limites pour la protection des données.",
    ),
    (
        "eduscol",
        30,
        "PIX : la certification des élèves de troisième s'ouvre en janvier",
        "Calendrier, modalités de passation et ressources pour préparer les élèves à la "
        "certification des compétences numériques.",
    ),
    (
        "ife",
        33,
        "Intelligence artificielle et écriture : une étude auprès de 600 lycéens",
        "Comment les élèves utilisent-ils ChatGPT pour leurs devoirs ? Les chercheurs décrivent "
        "des usages plus variés et plus prudents qu'on ne le pense.",
    ),
    (
        "blog",
        40,
        "Mes robots Thymio ont trouvé leur place en sixième",
        "Une séquence de six séances pour découvrir la programmation par blocs, avec les fiches "
        "élèves et la grille d'évaluation à télécharger.",
    ),
    (
        "canope",
        45,
        "Formation : concevoir un parcours hybride sur Éléa",
        "Un parcours M@gistère de six semaines pour construire pas à pas un cours Moodle "
        "alternant présence et distance.",
    ),
    (
        "cafe",
        50,
        "Inclusion : les AESH demandent des outils numériques adaptés",
        "Une enquête syndicale pointe le manque d'équipement des accompagnants et l'absence de "
        "formation aux outils d'accessibilité.",
    ),
    (
        "ludomag",
        54,
        "Un collège de l'Aude équipe ses salles de vidéoprojecteurs interactifs",
        "Le département finance l'équipement de vingt salles ; les enseignants racontent leurs "
        "premières semaines et les usages qui s'installent.",
    ),
    (
        "eduscol",
        58,
        "Éducation aux médias : une semaine de la presse tournée vers l'IA",
        "Le thème de la prochaine édition invite à travailler avec les élèves sur les images "
        "générées et la vérification des sources.",
    ),
    (
        "ife",
        64,
        "Les devoirs faits au collège : quels effets sur les apprentissages ?",
        "Un dossier de veille fait le point sur les dispositifs d'accompagnement après la classe "
        "et sur leurs effets mesurés.",
    ),
    (
        "blog",
        70,
        "ENT : cinq réglages pour des familles mieux informées",
        "Notifications, cahier de textes, messagerie : quelques réglages simples qui évitent la "
        "surcharge d'informations pour les parents.",
    ),
    (
        "canope",
        75,
        "Escape game pédagogique : créer le sien avec des outils libres",
        "Un atelier en ligne pour scénariser un jeu d'évasion en classe, du scénario aux "
        "énigmes, avec des logiciels libres.",
    ),
    (
        "cafe",
        80,
        "Portables au collège : la « pause numérique » généralisée à la rentrée",
        "Après une année d'expérimentation, le dispositif sera étendu ; les principaux font le "
        "point sur les casiers, les règles et les exceptions.",
    ),
    (
        "ludomag",
        86,
        "Des ordinateurs reconditionnés pour les élèves boursiers de l'académie",
        "La région distribue mille ordinateurs remis à neuf, avec une formation des familles à "
        "leur prise en main.",
    ),
    (
        "eduscol",
        92,
        "Évaluations nationales de sixième : les résultats publiés",
        "Les résultats en français et en mathématiques sont en légère hausse ; les équipes "
        "disposent de nouveaux tableaux de bord pour analyser leurs classes.",
    ),
    (
        "ife",
        98,
        "Enseigner l'informatique au lycée : portrait d'une discipline jeune",
        "Une étude décrit les profils des enseignants de NSI, leurs parcours de formation et "
        "les difficultés rencontrées.",
    ),
    (
        "blog",
        104,
        "Mistral ou ChatGPT pour préparer ses cours ? Mon comparatif",
        "J'ai demandé aux deux assistants de préparer la même séance ; voici ce qui était utile, "
        "ce qui était faux et ce qu'il a fallu réécrire.",
    ),
    (
        "canope",
        110,
        "Accessibilité des documents : le guide pratique mis à jour",
        "Titres structurés, contrastes, textes alternatifs : les règles essentielles pour que "
        "chaque document soit lisible par tous les élèves.",
    ),
    (
        "cafe",
        118,
        "Le plan numérique des lycées : ce qui change pour les équipes",
        "Équipement individuel, maintenance et formation : la région présente son plan à trois "
        "ans, discuté par les enseignants.",
    ),
    (
        "ludomag",
        125,
        "Kahoot en langues vivantes : réviser le vocabulaire en équipes",
        "Une professeure d'espagnol partage ses questionnaires et sa façon d'organiser le jeu "
        "pour que chaque élève participe.",
    ),
    (
        "eduscol",
        131,
        "Données personnelles : le registre des traitements de l'établissement",
        "Un modèle de registre et une fiche pour vérifier les applications utilisées en classe "
        "avant de les proposer aux élèves.",
    ),
    (
        "ife",
        138,
        "Coopérer entre élèves avec des outils numériques : état des recherches",
        "Écriture collaborative, murs partagés, forums : les conditions pour que les outils "
        "servent vraiment la coopération.",
    ),
    (
        "blog",
        145,
        "Mon parcours de formation sur l'IA : trois mois plus tard",
        "Bilan d'une formation suivie en ligne sur l'intelligence artificielle : ce qui a changé "
        "dans ma préparation des cours, et ce qui n'a pas changé.",
    ),
    (
        "canope",
        152,
        "Fablab : un tiers-lieu pour les enseignants ouvre à Lyon",
        "Imprimantes 3D, découpe laser et robots : l'atelier Canopé accueille les équipes pour "
        "préparer des projets avec leurs élèves.",
    ),
    (
        "cafe",
        160,
        "Harcèlement en ligne : un nouveau protocole pour les établissements",
        "Le protocole précise le rôle de chaque adulte et les outils de signalement ; les "
        "référents numériques sont en première ligne.",
    ),
]


def write_config(folder: Path) -> Path:
    path = folder / "feeds.yaml"
    path.write_text(WEEK_YAML, encoding="utf-8")
    return path


def fill_week(store: Store, config: Any) -> None:
    """The items above, tagged by the config's rules, every source refreshed just now."""
    from veille.rules.ruleset import RuleSet

    rules = RuleSet.from_config(config)
    store.sync_feeds([FeedSpec(f.id, f.url, title=f.title) for f in config.feeds])
    for feed in config.feeds:
        entries = [
            ParsedEntry(
                key=f"{feed.id}-{i}",
                guid=f"{feed.id}-{i}",
                url=f"https://{feed.id}.example/articles/{i}",
                title=title,
                summary_html=f"<p>{summary}</p>",
                published=NOW - timedelta(hours=hours),
            )
            for i, (f, hours, title, summary) in enumerate(ITEMS)
            if f == feed.id
        ]
        store.save_entries(feed.id, entries, now=NOW, tagger=partial(rules.tag_entry, feed.id))
        store.record_success(
            feed.id, now=NOW, next_fetch_at=NOW + timedelta(minutes=30), validators=Validators()
        )


def build_week_app(folder: Path, **more: Any) -> tuple[Any, Store]:
    """The app over a fresh SQLite file holding the week, its clock fixed at NOW, curation
    enabled (``ADMIN`` is the editors' password); ``more``: other settings."""
    return build_app_with(folder, write_config, fill_week, NOW, **more)


def build_app_with(
    folder: Path,
    write: Callable[[Path], Path],
    fill: Callable[[Store, Any], object],
    now: datetime,
    **more: Any,
) -> tuple[Any, Store]:
    """The app over a fresh SQLite file: ``write`` writes its feeds.yaml in ``folder``,
    ``fill`` fills the store; its clock fixed at ``now``, curation enabled (``ADMIN``)."""
    from veille.config.load import load_config
    from veille.settings import Settings
    from veille.web import create_app

    path = write(folder)
    config = load_config(path)
    store = Store(f"sqlite:///{folder / 'veille.db'}")
    store.migrate()
    fill(store, config)
    settings = Settings(
        config=path,
        database_url=store.url,
        secret_key=SECRET,
        admin_token=ADMIN,
        base_url="http://127.0.0.1",
        **more,
    )
    app = create_app(settings, store, config)
    app.state.clock = lambda: now
    return app, store
