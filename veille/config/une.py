"""``feeds.yaml``: « À la une » of a digest and the institutional sources, checked for
veille.config.load.

::

    feeds:
      - id: eduscol
        url: https://eduscol.education.fr/…
        institution: true          # a State education authority: weighs in « À la une »
    digests:
      hebdo:
        une:                       # absent: 5 stories, default weights
          size: 5                  # 0 (or ``une: false``): no « À la une »
          weights: {sources: 2, institution: 1.5, themes: 0.5, recency: 1}

A source is institutional only when its feeds.yaml entry says ``institution: true`` (no
guess from its tags or its address: the editor decides, and the README says so). The
meaning of each weight: ``veille.rules.importance``.
"""

from __future__ import annotations

from dataclasses import fields

from ruamel.yaml.comments import CommentedMap

from veille.config.yamldoc import NodeChecker, key_line
from veille.models import UneSpec, Weights

__all__ = ["MAX_SIZE", "MAX_WEIGHT", "UNE_KEYS", "check_institution", "check_une"]

UNE_KEYS = ("size", "weights")
WEIGHT_KEYS = tuple(f.name for f in fields(Weights))
MAX_SIZE = 20
MAX_WEIGHT = 100.0


def check_institution(checker: NodeChecker, node: CommentedMap) -> bool:
    """``institution: true|false`` of a source (default false)."""
    if "institution" not in node:
        return False
    value = node["institution"]
    if not isinstance(value, bool):
        checker.error(
            key_line(node, "institution"),
            "« institution » : true ou false attendu (sans guillemets)",
        )
        return False
    return value


def check_une(checker: NodeChecker, parent: CommentedMap, digest: str) -> UneSpec | None:
    """The ``une:`` of a digest: absent or ``true`` gives the defaults; ``false`` or a
    ``size`` of 0, none. Errors go to ``checker`` (then the defaults are returned)."""
    if "une" not in parent:
        return UneSpec()
    value, line = parent["une"], key_line(parent, "une")
    if isinstance(value, bool):
        return UneSpec() if value else None
    node = checker.mapping(value, line, "« une »")
    if node is None:
        return UneSpec()
    checker.known_keys(node, UNE_KEYS, f"dans « une » de « {digest} »")
    size = UneSpec().size
    if "size" in node:
        raw = node["size"]
        if isinstance(raw, bool) or not isinstance(raw, int) or not 0 <= raw <= MAX_SIZE:
            checker.error(
                key_line(node, "size"),
                f"« size » : nombre entier d'articles de 0 à {MAX_SIZE} attendu "
                "(0 : pas d'« À la une »)",
            )
        else:
            size = int(raw)
    weights = _weights(checker, node, digest) if "weights" in node else Weights()
    return UneSpec(size, weights) if size else None


def _weights(checker: NodeChecker, parent: CommentedMap, digest: str) -> Weights:
    node = checker.mapping(parent["weights"], key_line(parent, "weights"), "« weights »")
    if node is None:
        return Weights()
    checker.known_keys(node, WEIGHT_KEYS, f"dans « une.weights » de « {digest} »")
    chosen: dict[str, float] = {}
    for key in WEIGHT_KEYS:
        if key not in node:
            continue
        raw = node[key]
        if isinstance(raw, bool) or not isinstance(raw, int | float) or not 0 <= raw <= MAX_WEIGHT:
            checker.error(
                key_line(node, key),
                f"« {key} » : nombre de 0 à {MAX_WEIGHT:g} attendu (ex. 1 ou 0.5)",
            )
            continue
        chosen[key] = float(raw)
    return Weights(**chosen)
