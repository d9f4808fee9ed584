"""The vocabulary of ``story``: function words, reporting verbs, words every education news
uses, words and phrases outlets use for one another, regions and académies. Data only; how they
are read: ``veille/rules/story.py``."""

from __future__ import annotations

from veille.text import tokens

__all__ = [
    "ACADEMIES",
    "CONCEPT_GROUPS",
    "DEMONYMS",
    "EVENT_KINDS",
    "PHRASES",
    "REGIONS",
    "STOP_WORDS",
    "VERBS",
    "WEAK_WORDS",
]

# French function words (folded): never what a text is about; also the words a candidate term
# of ``veille tags suggest`` is never made of alone (``rules/suggest.py``).
STOP_WORDS = frozenset(
    tokens(
        "le la les un une des du de au aux a à et ou mais en dans sur pour par avec sans sous "
        "vers chez entre est sont sera seront été être avoir ont avait aura eu ce cet cette ces "
        "son sa ses leur leurs qui que quoi dont quel quelle quels quelles comment pourquoi il "
        "elle ils elles on nous vous se ne pas plus moins tout tous toute toutes très y ça afin "
        "lors après avant depuis contre nouveau nouvelle nouveaux nouvelles lundi mardi mercredi "
        "jeudi vendredi samedi dimanche voici voilà faut savoir va vont peut doit doivent peuvent "
        "pourra pourront devra devront je tu me te moi toi lui eux ma ta mon ton mes tes nos "
        "notre vos votre même aussi encore déjà toujours désormais enfin bientôt davantage selon "
        "plusieurs certains certaines chaque grâce cause face lorsque quand si comme ainsi alors "
        "donc or ni car via fait faire font était dès hors malgré parmi près devant derrière ci "
        "là cela celui celle ceux celles autre autres tel telle tels telles où sauf puis ensuite "
        "bien non oui jusqu peu beaucoup trop assez tant aucun aucune rien quelque quelques ici "
        "aujourd hui hier demain prochain prochaine prochains dernier dernière derniers dernières "
        "premier première fois cours lieu partir pendant fin début part matin soir qu heure "
        "heures minute minutes notamment également cependant toutefois plutôt environ particulier "
        "permet permettre permettent permettant pouvoir devoir aller venir mettre prendre donner "
        "trouver utiliser utilise utilisent propose proposent proposer offre offrent offrir créer "
        "crée consulter besoin façon manière chose choses exemple cas sujet ainsi afin quoi tant "
        "auprès"
    )
)
# Reporting and light verbs: outlets pick different ones for the same news.
VERBS = frozenset(
    tokens(
        "annonce annoncé annoncent dévoile dévoilé présente présenté présentée publie publié "
        "publiée publiés publient lance lancé ouvre met mettent offre propose signe rend tombé "
        "appelle appelé appellent explique expliqué devient change confirme confirmé "
        "confirment indique indiquent précise précisé rappelle rappellent relève souligne "
        "estime estiment note affirme déclare dit disent évoque évoquent juge jugent reste "
        "restent montre montrent révèle point voir passe passent prend prennent dénonce "
        "dénoncent dénoncé alerte alertent réclame réclament demande demandent salue saluent "
        "regrette regrettent pointe pointent assure assurent reconnaît reconnaissent"
    )
)
WEAK_WORDS = (
    "école élève enseignant professeur éducation nationale national ministère ministre "
    "scolaire classe établissement rentrée France français examen épreuve résultat nouvel "
    "plan projet rapport guide étude loi proposition décret circulaire texte vote personnel "
    "équipe famille parent service outil numérique usage question semaine mois million "
    "milliard euro gouvernement région académie syndicat officiel public privé ensemble mise "
    "place niveau vie session État collège lycée rectorat recteur"
)
# Words that outlets use for one another in the same story: each group reads as one feature,
# named after its first word.
CONCEPT_GROUPS = (
    "panne pannes inaccessible inaccessibles indisponible indisponibles indisponibilité "
    "interruption interrompu coupure dysfonctionnement bug",
    "cyberattaque cyberattaques piratage pirate pirates piraté piratés hacker rançongiciel "
    "ransomware ddos",
    "fermeture fermer ferme fermé fermée fermés fermées ferment fermera fermeront cesser "
    "cessera arrêt",
    "suppression suppressions supprimer supprime supprimé supprimés supprimée retire retirer",
    # a protest: outlets call one day of action a strike, a mobilisation, rallies
    "grève grèves gréviste grévistes mobilisation mobilisations mobilisé mobilisés mobilisée "
    "mobilisées mobiliser mobilisent manifestation manifestations manifesté manifestent "
    "manifester manifestants rassemblement rassemblements rassemblés rassemblées rassembler",
    "interdiction interdire interdit interdits interdite interdictions bannir",
    "généralisation généraliser généralise généralisé généralisée étendre étend étendu "
    "étendue extension déployé déployée déploie déploiement",
    "report reporter reporté reportée reportées reportés repousser repoussé repoussée "
    "repoussées décaler décalé décalée décalées décalés différé",
    "prolongation prolonger prolongé prolongée prolonge",
    "obligatoire obligatoires obligation",
    "téléphone téléphones portable portables smartphone smartphones",
    "écran écrans",
    "hausse augmente augmentent augmentation progresse progression progrès",
    "baisse baissent recul recule reculent diminue diminuent diminution chute chutent",
    "budget budgets plf finances crédits",
    "ia iag",
    "bac baccalauréat",
    "brevet dnb",
    "certification certifier certifié certifiés certifiée certifications",
    "sanction sanctions sanctionné sanctionnée sanctionner amende amendes inflige",
    "harcèlement harcelé harcelés harcelée harceler",
    "agression agressé agressée agressés frappé frappée frapper violenté violentée",
    "enquête enquêtes sondage sondages baromètre",
    "suspension suspendre suspend suspendu suspendus suspendue bloqué bloqués bloque bloquer",
    "annulation annuler annule annulé annulée annulés",
    "partenariat partenariats partenaire partenaires associent associe accord",
    "lauréat lauréats lauréate lauréates labellisé labellisés labellisées distingué "
    "distingués récompensé récompensés",
    "gratuit gratuite gratuits gratuites gratuitement",
    "inscription inscriptions inscrire inscrits inscrites",
    "handicap handicapé handicapés handicapée handicapées",
    "canicule chaleur chaleurs",
    "vacances congés",
    "an ans année années",
    "ordinateur ordinateurs",
    "calendrier dates date",
    "philosophie philo",
    "mathématiques maths math",
    "enseignant enseignants enseignante enseignantes professeur professeurs prof profs",
    "élève élèves",
)
# Phrases that name one thing, read as one word: (first words, pattern, the word).
PHRASES = (
    ("intelligence intelligences", r"intelligences? artificielles?", "ia"),
    ("ia", r"IA g[ée]n[ée]ratives?", "ia"),
    ("hors", r"hors service", "panne"),
    ("attaque attaques", r"attaques? informatiques?", "cyberattaque"),
    ("deni denis", r"d[ée]nis? de service", "ddos"),
    ("projet projets", r"projets? de loi de finances", "plf"),
    ("diplome diplomes", r"dipl[ôo]mes? nationa(?:l|ux) du brevet", "brevet"),
    ("tenue tenues", r"tenues? communes?", "uniforme"),
    (
        "accompagnant accompagnante accompagnants accompagnantes",
        r"accompagnant(?:e)?s? d['’][ée]l[èe]ves? (?:en situation de )?handicap[ée]*s?",
        "aesh",
    ),
    ("environnement environnements", r"environnements? num[ée]riques? de travail", "ent"),
    ("vie", r"vie scolaire", "viescolaire"),
    ("mise mises", r"mises? à jour", "miseajour"),
    ("emploi emplois", r"emplois? du temps", "emploidutemps"),
    ("grand", r"grand oral", "grandoral"),
    ("education", r"[ée]ducation nationale", "educationnationale"),
    ("competence competences", r"comp[ée]tences? num[ée]riques?", "competencesnumeriques"),
    ("classe classes", r"classes? virtuelles?", "classevirtuelle"),
)

# Places: regions (their names and their people's adjectives, which may be lower case) and
# académies (by their city, with their region). Two stories set in different regions, or in
# different académies, are two stories (« Créteil recrute… » / « Versailles forme… »).
_D = r"[ -]"
REGIONS = {  # region: (first words, pattern)
    "auvergne-rhone-alpes": (
        "auvergne lyonnais lyonnaise lyonnaises",
        rf"Auvergne{_D}Rhône{_D}Alpes|[Ll]yonnais\w*",
    ),
    "bourgogne-franche-comte": ("bourgogne", rf"Bourgogne{_D}Franche{_D}Comté"),
    "bretagne": ("bretagne breton bretonne bretons bretonnes", r"Bretagne|[Bb]reton(?:ne)?s?"),
    "centre-val-de-loire": ("centre", rf"Centre{_D}Val{_D}de{_D}Loire"),
    "corse": ("corse", r"Corse"),
    "grand-est": ("grand", rf"Grand{_D}Est"),
    "hauts-de-france": ("hauts", rf"Hauts{_D}de{_D}France"),
    "ile-de-france": (
        "ile francilien francilienne franciliens franciliennes",
        rf"[ÎI]le{_D}de{_D}France|[Ff]rancilien(?:ne)?s?",
    ),
    "normandie": (
        "normandie normand normande normands normandes",
        r"Normandie|[Nn]ormand(?:e|s|es)?",
    ),
    "nouvelle-aquitaine": ("nouvelle", rf"Nouvelle{_D}Aquitaine"),
    "occitanie": ("occitanie", r"Occitanie"),
    "pays-de-la-loire": ("pays", rf"Pays{_D}de{_D}la{_D}Loire"),
    "provence-alpes-cote-d-azur": (
        "provence paca",
        rf"Provence{_D}Alpes{_D}Côte{_D}d['’]Azur|PACA",
    ),
    "outre-mer": (
        "guadeloupe martinique guyane reunion mayotte",
        r"Guadeloupe|Martinique|Guyane|Réunion|Mayotte",
    ),
}
ACADEMIES = {  # académie: (region, first words, pattern)
    "aix-marseille": (
        "provence-alpes-cote-d-azur",
        "aix marseille",
        rf"Aix{_D}Marseille|Marseille",
    ),
    "amiens": ("hauts-de-france", "amiens", r"Amiens"),
    "besancon": ("bourgogne-franche-comte", "besancon", r"Besançon"),
    "bordeaux": ("nouvelle-aquitaine", "bordeaux", r"Bordeaux"),
    "clermont-ferrand": ("auvergne-rhone-alpes", "clermont", rf"Clermont{_D}Ferrand"),
    "creteil": ("ile-de-france", "creteil", r"Créteil"),
    "dijon": ("bourgogne-franche-comte", "dijon", r"Dijon"),
    "grenoble": ("auvergne-rhone-alpes", "grenoble", r"Grenoble"),
    "lille": ("hauts-de-france", "lille", r"Lille"),
    "limoges": ("nouvelle-aquitaine", "limoges", r"Limoges"),
    "lyon": ("auvergne-rhone-alpes", "lyon", r"Lyon"),
    "montpellier": ("occitanie", "montpellier", r"Montpellier"),
    "nancy-metz": ("grand-est", "nancy metz", rf"Nancy(?:{_D}Metz)?|Metz"),
    "nantes": ("pays-de-la-loire", "nantes", r"Nantes"),
    "nice": ("provence-alpes-cote-d-azur", "nice", r"Nice"),
    "orleans-tours": ("centre-val-de-loire", "orleans", rf"Orléans(?:{_D}Tours)?"),
    "paris": (
        "ile-de-france",
        "paris",
        r"Paris",
    ),
    "poitiers": ("nouvelle-aquitaine", "poitiers", r"Poitiers"),
    "reims": ("grand-est", "reims", r"Reims"),
    "rennes": ("bretagne", "rennes", r"Rennes"),
    "normandie": ("normandie", "rouen caen", r"Rouen|Caen"),
    "strasbourg": ("grand-est", "strasbourg", r"Strasbourg"),
    "toulouse": ("occitanie", "toulouse", r"Toulouse"),
    "versailles": ("ile-de-france", "versailles", r"Versailles"),
}
# The people of an académie's city, as outlets name them, often in lower case (« les écoles
# marseillaises », « un lycée bordelais »): the académie as surely as its city.
DEMONYMS = {
    "aix-marseille": "marseillais marseillaise marseillaises aixois aixoise aixoises",
    "amiens": "amiénois amiénoise amiénoises",
    "besancon": "bisontin bisontine bisontins bisontines",
    "bordeaux": "bordelais bordelaise bordelaises",
    "clermont-ferrand": "clermontois clermontoise clermontoises",
    "creteil": "cristolien cristolienne cristoliens cristoliennes",
    "dijon": "dijonnais dijonnaise dijonnaises",
    "grenoble": "grenoblois grenobloise grenobloises",
    "lille": "lillois lilloise lilloises",
    "limoges": "limougeaud limougeaude limougeauds limougeaudes",
    "montpellier": "montpelliérain montpelliéraine montpelliérains montpelliéraines",
    "nancy-metz": "nancéien nancéienne nancéiens nancéiennes messin messine messins messines",
    "nantes": "nantais nantaise nantaises",
    "nice": "niçois niçoise niçoises",
    "orleans-tours": "orléanais orléanaise orléanaises tourangeau tourangeaux tourangelle "
    "tourangelles",
    "paris": "parisien parisienne parisiens parisiennes",
    "poitiers": "poitevin poitevine poitevins poitevines",
    "reims": "rémois rémoise rémoises",
    "rennes": "rennais rennaise rennaises",
    "normandie": "rouennais rouennaise rouennaises caennais caennaise caennaises",
    "strasbourg": "strasbourgeois strasbourgeoise strasbourgeoises",
    "toulouse": "toulousain toulousaine toulousains toulousaines",
    "versailles": "versaillais versaillaise versaillaises",
}

# What kind of event a news is, among the concepts above (by their first word): two tellings
# naming kinds of event and none in common are likely two news (an outage and a strike of one
# académie, a leak and an error in one exam), so they must agree more to be grouped.
EVENT_KINDS = (
    "panne cyberattaque fermeture suppression grève interdiction report prolongation sanction "
    "agression suspension annulation partenariat lauréat"
)
