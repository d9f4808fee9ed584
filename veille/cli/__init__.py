"""The ``veille`` command. ``main`` is named here because it is the installed entry point
(``veille = "veille.cli:main"`` in pyproject.toml); the commands live in the modules beside."""

from veille.cli.app import main

__all__ = ["main"]
