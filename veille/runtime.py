"""Process-wide settings for the long-running processes (server, scheduler, updates)."""

from __future__ import annotations

import gc

__all__ = ["settle"]


def settle() -> None:
    """Call once a process has finished starting: what exists now (modules, the app and its
    routes, templates, SQLAlchemy metadata, feeds.yaml) lives as long as the process.

    Frozen (``gc.freeze``), it is no longer scanned by the garbage collector's full
    collections, which made one page view in a dozen or so several times slower (figures:
    BENCHMARKS.md, "Figures behind the code"). Objects made later are collected as usual.
    """
    gc.collect()
    gc.freeze()
