"""Structured logs: ``key=value`` lines with the fixed keys of STYLE (feed, status, duration_ms,
new, updated) when a record carries them."""

from __future__ import annotations

import logging

FIXED_KEYS = ("feed", "status", "duration_ms", "new", "updated", "error")


class KeyValueFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = f"{self.formatTime(record)} {record.levelname} {record.name} {record.getMessage()}"
        pairs = [f"{k}={getattr(record, k)!r}" for k in FIXED_KEYS if hasattr(record, k)]
        if pairs:
            line += " " + " ".join(pairs)
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def setup_logging(level: int = logging.INFO) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(KeyValueFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
