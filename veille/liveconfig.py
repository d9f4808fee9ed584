"""feeds.yaml as it is now: reloaded when the file changes, the last valid one kept.

Shared by the web app (pages and feeds follow new digests and themes without a restart) and
the scheduler (new sources are fetched, changed rules re-tag the stored entries).
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from .config import load_config
from .errors import ConfigError
from .models import Config

log = logging.getLogger(__name__)


class LiveConfig:
    """``get()`` returns the current config, checking the file at most every ``interval`` s."""

    def __init__(self, path: Path, config: Config, *, interval: float = 2.0) -> None:
        self.path = path
        self._config = config
        self._interval = interval
        self._mtime = _mtime(path)
        self._checked = time.monotonic()
        self._lock = threading.Lock()
        self.last_error: ConfigError | None = None

    @classmethod
    def load(cls, path: Path, *, interval: float = 2.0) -> LiveConfig:
        """Load ``path`` (raises ConfigError when invalid)."""
        return cls(path, load_config(path), interval=interval)

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
                    self.last_error = None
                    log.info("feeds.yaml reloaded: %d feeds", len(self._config.feeds))
                except ConfigError as e:
                    self.last_error = e
                    log.error("feeds.yaml invalide, configuration précédente conservée : %s", e)
            return self._config


def _mtime(path: Path) -> float | None:
    try:
        return path.stat().st_mtime_ns / 1e9
    except OSError:
        return None
