"""Runtime settings, read from ``VEILLE_*`` environment variables (and a ``.env`` file).

Each setting is declared once below with its type, default and help text; the README's table
is checked against this class by a test. Nothing here is read at import time: build a
``Settings()`` at the edge (CLI, app factory) and pass it down.
"""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from veille.logs import LOG_FORMATS
from veille.text import plural

MIN_SECRET_LENGTH = 16


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="VEILLE_", env_file=".env", extra="ignore")

    config: Path = Field(Path("feeds.yaml"), description="Chemin du fichier feeds.yaml.")
    database_url: str = Field(
        "sqlite:///data/veille.db", description="Base de données (SQLite par défaut)."
    )
    base_url: str = Field(
        "http://127.0.0.1:8000", description="URL publique, utilisée dans les flux et e-mails."
    )
    allow_hosts: str = Field(
        "",
        description="Liste `hôte:port` séparés par des virgules, autorisés malgré la règle "
        "des réseaux privés (intranet, tests).",
    )
    smtp_host: str = Field("localhost", description="Serveur SMTP.")
    smtp_port: int = Field(25, description="Port SMTP.")
    smtp_user: str = Field("", description="Identifiant SMTP (vide : sans authentification).")
    smtp_password: str = Field("", description="Mot de passe SMTP.")
    smtp_tls: str = Field("none", description="`none`, `starttls` ou `ssl`.")
    smtp_ca_file: str = Field(
        "",
        description="Certificats d'autorité (PEM) de confiance pour un serveur SMTP à "
        "certificat interne (facultatif ; sinon ceux du système).",
    )
    mail_from: str = Field("veille@localhost", description="Expéditeur des e-mails.")
    admin_token: str = Field("", description="Jeton d'administration de l'API (Bearer).")
    secret_key: str = Field("", description="Clé secrète pour signer les jetons.")
    old_secret_keys: str = Field(
        "",
        description="Anciennes clés secrètes, séparées par des virgules : les liens déjà "
        "envoyés (désabonnement) restent valables après un changement de `VEILLE_SECRET_KEY`.",
    )
    metrics_token: str = Field(
        "",
        description="Jeton (Bearer) exigé pour lire `/metrics` (vide : `/metrics` est public, "
        "comme `/feeds`).",
    )
    private: bool = Field(
        False,
        description="Site privé : les pages, les flux et les lectures de l'API demandent un "
        "compte connecté (un flux accepte aussi le jeton personnel du compte, `?jeton=…`) ; "
        "`/healthz` et `/metrics` ne changent pas.",
    )
    oidc_issuer: str = Field(
        "",
        description="Fournisseur d'identité OpenID Connect de l'établissement (son adresse "
        "« issuer », ex. `https://auth.ac-exemple.fr/realms/ecole`) : la page de connexion "
        "propose alors d'entrer avec ce compte (vide : pas de connexion externe).",
    )
    oidc_client_id: str = Field("", description="Identifiant de veille auprès du fournisseur.")
    oidc_client_secret: str = Field("", description="Secret de veille auprès du fournisseur.")
    oidc_claim: str = Field(
        "preferred_username",
        description="Information du fournisseur qui donne le nom du compte veille "
        "(`preferred_username` ou `email`) ; un compte absent est créé avec le rôle lecteur.",
    )
    frame_ancestors: str = Field(
        "",
        description="Sites autorisés à afficher les pages et le widget dans un cadre (iframe), "
        "séparés par des espaces, ex. `https://ent.example.fr https://moodle.example.fr` "
        "(vide : aucun).",
    )
    trusted_proxies: str = Field(
        "127.0.0.1 ::1",
        description="Mandataires inverses (nginx, Apache…) dont veille croit l'en-tête "
        "`X-Forwarded-For` : adresses ou réseaux séparés par des espaces, ex. "
        "`172.16.0.0/12` (sinon tous les clients ont l'adresse du mandataire et le frein "
        "contre les essais de mot de passe ralentit tout le monde à la fois).",
    )
    log_format: str = Field(
        "text",
        description="Format des journaux : `text` (lignes `clé=valeur`) ou `json` (un objet "
        "JSON par ligne).",
    )

    fetch_timeout: float = Field(20.0, description="Délai total d'une requête HTTP (secondes).")
    max_body_bytes: int = Field(
        10 * 1024 * 1024, description="Taille maximale d'un flux après décompression (octets)."
    )
    parse_timeout: float = Field(10.0, description="Temps maximal d'analyse d'un flux (secondes).")
    parse_workers: int = Field(2, description="Nombre de processus d'analyse.")
    fetch_concurrency: int = Field(32, description="Requêtes HTTP simultanées au total.")
    per_host_concurrency: int = Field(2, description="Requêtes simultanées par serveur.")
    timezone: str = Field("Europe/Paris", description="Fuseau horaire des programmations.")
    scheduler_lock_retry: float = Field(
        10.0,
        description="Intervalle (secondes) auquel un planificateur en attente réessaie de "
        "prendre la main (un seul planificateur actif par déploiement).",
    )

    imap_user: str = Field(
        "",
        description="Identifiant IMAP des sources `type: imap` dont l'adresse n'en donne pas "
        "(`imaps://serveur/dossier`).",
    )
    imap_password: str = Field(
        "",
        description="Mot de passe des boîtes IMAP lues pour les lettres d'information "
        "(sources `type: imap` ; une source peut nommer une autre variable avec `password_env`).",
    )
    imap_timeout: float = Field(
        30.0, description="Délai d'attente d'une réponse du serveur IMAP (secondes)."
    )

    @field_validator("smtp_tls")
    @classmethod
    def _check_tls(cls, v: str) -> str:
        if v not in {"none", "starttls", "ssl"}:
            raise ValueError("doit valoir none, starttls ou ssl")
        return v

    @field_validator("log_format")
    @classmethod
    def _check_log_format(cls, v: str) -> str:
        if v not in LOG_FORMATS:
            raise ValueError("doit valoir text ou json")
        return v

    @field_validator("frame_ancestors")
    @classmethod
    def _check_frame_ancestors(cls, v: str) -> str:
        for source in v.replace(",", " ").split():
            problem = frame_source_problem(source)
            if problem:
                raise ValueError(problem)
        return v

    @field_validator("trusted_proxies")
    @classmethod
    def _check_trusted_proxies(cls, v: str) -> str:
        for item in v.replace(",", " ").split():
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(
                    f"« {item} » n'est ni une adresse IP ni un réseau (ex. 10.0.0.0/8)"
                ) from None
        return v

    @field_validator("admin_token", "secret_key", "metrics_token")
    @classmethod
    def _check_secret(cls, v: str) -> str:
        # A short secret is guessed in minutes even when guessing is slowed down.
        if v and len(v) < MIN_SECRET_LENGTH:
            raise ValueError(
                f"trop court ({plural(len(v), 'caractère')}, au moins {MIN_SECRET_LENGTH}) ; "
                "par exemple : "
                "python -c 'import secrets; print(secrets.token_urlsafe(32))'"
            )
        return v

    @property
    def old_secrets(self) -> tuple[str, ...]:
        return tuple(k.strip() for k in self.old_secret_keys.split(",") if k.strip())

    @property
    def allowed_hosts(self) -> frozenset[str]:
        """``VEILLE_ALLOW_HOSTS`` as a set of lower-case ``host:port`` strings."""
        return frozenset(h.strip().lower() for h in self.allow_hosts.split(",") if h.strip())

    @property
    def proxies(self) -> list[str]:
        """``VEILLE_TRUSTED_PROXIES`` as uvicorn's ``forwarded_allow_ips``."""
        return self.trusted_proxies.replace(",", " ").split()

    @property
    def frame_sources(self) -> tuple[str, ...]:
        """``VEILLE_FRAME_ANCESTORS`` as CSP sources (commas accepted as separators)."""
        return tuple(dict.fromkeys(self.frame_ancestors.replace(",", " ").split()))


# An origin as CSP writes it: scheme, host (a leading "*." for every sub-domain), optional port.
_FRAME_SOURCE = re.compile(r"https?://(\*\.)?[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d{1,5})?\Z")


def frame_source_problem(source: str) -> str | None:
    """Why ``source`` cannot be a ``frame-ancestors`` source (French), or None. Only origins
    and ``'self'``: a path, a quote or a semicolon would change the policy's meaning."""
    if source == "'self'" or _FRAME_SOURCE.match(source.lower()):
        return None
    return (
        f"« {source} » n'est pas une origine : https://serveur[:port] attendu "
        "(ex. https://ent.example.fr), sans chemin"
    )
