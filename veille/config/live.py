"""feeds.yaml as it is now: reloaded when the file changes, the last valid one kept.

Shared by the web app (pages and feeds follow new digests and themes without a restart) and
the scheduler (new sources are fetched, changed rules re-tag the stored entries).

A refused edit is not only logged: ``refused`` keeps it (the file's first error, with its line,
and when it was refused) until the file is valid again, so that ``/feeds`` and ``/healthz`` can
tell that the configuration in force is the previous one.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from veille.config.load import load_config
from veille.errors import ConfigError
from veille.models import Config, RefusedEdit

log = logging.getLogger(__name__)


class LiveConfig:
    """``get()`` returns the current config, checking the file at most every ``interval`` s."""

    def __init__(
        self,
        path: Path,
        config: Config,
        *,
        interval: float = 2.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.path = path
        self._config = config
        self._interval = interval
        self._clock = clock
        self._mtime = _mtime(path)
        self._checked = time.monotonic()
        self._lock = threading.Lock()
        self._loaded_at = clock()
        self.refused: RefusedEdit | None = None
        self._last_error: ConfigError | None = None

    @classmethod
    def load(
        cls,
        path: Path,
        *,
        interval: float = 2.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> LiveConfig:
        """Load ``path`` (raises ConfigError when invalid); ``clock`` dates the refusals."""
        return cls(path, load_config(path), interval=interval, clock=clock)

    @property
    def last_error(self) -> ConfigError | None:
        return self._last_error

    def get(self) -> Config:
        now = time.monotonic()
        if now - self._checked < self._interval:
            return self._config
        with self._lock:
            self._checked = now
            mtime = _mtime(self.path)
            if mtime != self._mtime:
                self._mtime = mtime
                try:
                    self._config = load_config(self.path)
                    self._loaded_at = self._clock()
                    self.refused = self._last_error = None
                    log.info("feeds.yaml reloaded: %d feeds", len(self._config.feeds))
                except ConfigError as e:
                    self._last_error = e
                    self.refused = RefusedEdit(
                        e.path, e.line, e.reason, self._clock(), self._loaded_at
                    )
                    log.error("feeds.yaml invalide, configuration précédente conservée : %s", e)
            return self._config


def _mtime(path: Path) -> float | None:
    try:
        return path.stat().st_mtime_ns / 1e9
    except OSError:
        return None
