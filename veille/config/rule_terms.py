"""Form checks of a theme's terms and host patterns in ``feeds.yaml`` (used by
:mod:`veille.config.load`).

Terms (syntax: ``veille.rules.terms``) are checked only for form: each atom of ``a | b + c``
or ``a | b ~ c`` non-empty, ``+`` and ``~`` not mixed, no ``site:`` in a ``~`` term, ``*``
only at the end of a word, a ``/regex/`` compiles and cannot match the empty text, a ``site:``
atom is a valid host pattern. Host patterns (``hosts:``, ``site:``; matching:
``veille.rules.hosts``) are lower-case host names, ``*`` inside a label or as a leading ``*.``,
never in the last label. Each check returns the reason, in French, or None.
"""

from __future__ import annotations

import re

__all__ = ["host_problem", "term_problem"]

_HOST_LABEL = re.compile(r"[a-z0-9*](?:[a-z0-9*-]*[a-z0-9*])?")
_LONE_PLUS = re.compile(r"(?:^|\s)[+~](?:\s|$)")
_LETTER = re.compile(r"[^\W_]")


def term_problem(term: str) -> str | None:
    """Why a term (``match``, ``weak``, ``exclude``, ``ignore``) cannot be used, or None."""
    if len(term) >= 2 and term.startswith("/") and term.endswith("/"):
        try:
            compiled = re.compile(term[1:-1], re.IGNORECASE)
        except re.error as e:
            return f"expression régulière « {term} » invalide : {e}"
        if compiled.search("") is not None:
            return f"expression régulière « {term} » qui accepte le texte vide"
        return None
    # ``a | b + c``: parts joined by « + » (all needed), alternatives by « | »; ``a ~ b``:
    # parts joined by « ~ » (all needed, close together)
    near = " ~ " in term
    if near and " + " in term:
        return f"terme « {term} » : « + » et « ~ » ne se mélangent pas dans un même terme"
    for part in term.split(" ~ " if near else " + "):
        for atom in part.split("|"):
            atom = atom.strip()
            if atom.startswith("site:"):
                if near:
                    return f"terme « {term} » : « ~ » rapproche des mots, pas un site (« + »)"
                problem = host_problem(atom.removeprefix("site:"))
                if problem:
                    return f"terme « {term} » : {problem}"
                continue
            if not atom or _LONE_PLUS.search(atom):
                return f"terme « {term} » : un « + », « ~ » ou « | » sans rien à côté"
            if "*" in atom.rstrip("*") or atom.endswith("**"):
                return f"terme « {term} » : « * » n'est permis qu'une fois, en fin de terme"
            if not _LETTER.search(atom):
                return f"terme « {term} » sans lettre ni chiffre"
    return None


def host_problem(pattern: str) -> str | None:
    """Why a host pattern (``hosts:``, ``site:`` in a term) cannot be used, or None."""
    core = pattern[2:] if pattern.startswith("*.") else pattern
    labels = core.split(".")
    if pattern != pattern.lower() or len(labels) < 2 or not all(map(_HOST_LABEL.fullmatch, labels)):
        return (
            f"hôte « {pattern} » invalide : un nom de serveur en minuscules, sans « https:// » "
            "ni chemin, ex. eduscol.education.fr, *.education.gouv.fr ou ac-*.fr"
        )
    if "*" in labels[-1] or "**" in core:
        return f"hôte « {pattern} » : « * » ni dans la terminaison (.fr…) ni doublé"
    return None
