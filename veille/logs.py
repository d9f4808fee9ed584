"""Structured logs with the fixed keys of STYLE (feed, status, duration_ms, new, updated,
error) when a record carries them: ``key=value`` lines (``text``), or one JSON object per line
(``json``, ``VEILLE_LOG_FORMAT=json``) with ``time``, ``level``, ``logger``, ``message``,
those keys and ``exception`` (the traceback) — for a log collector (Loki, journald, ELK).

Secrets in addresses (a private feed's ``?jeton=``) are replaced by ``…`` in every line,
uvicorn's access log included: a log is read by more people than the feed's owner."""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime
from typing import Any

FIXED_KEYS = ("feed", "status", "duration_ms", "new", "updated", "error")
LOG_FORMATS = ("text", "json")
SECRET_PARAMS = re.compile(r"([?&]jeton=)[^&\s\"]+")  # a query parameter that is a secret


class HideSecrets(logging.Filter):
    """Blank the secret query parameters of a record's message and arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = SECRET_PARAMS.sub(r"\1…", record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(
                SECRET_PARAMS.sub(r"\1…", a) if isinstance(a, str) else a for a in record.args
            )
        return True


class KeyValueFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = f"{self.formatTime(record)} {record.levelname} {record.name} {record.getMessage()}"
        pairs = [f"{k}={getattr(record, k)!r}" for k in FIXED_KEYS if hasattr(record, k)]
        if pairs:
            line += " " + " ".join(pairs)
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


class JsonFormatter(logging.Formatter):
    """One JSON object per line: a traceback stays inside its record (``exception``)."""

    def format(self, record: logging.LogRecord) -> str:
        when = datetime.fromtimestamp(record.created, UTC)
        fields: dict[str, Any] = {
            "time": when.isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields |= {k: getattr(record, k) for k in FIXED_KEYS if hasattr(record, k)}
        if record.exc_info:
            fields["exception"] = self.formatException(record.exc_info)
        return json.dumps(fields, ensure_ascii=False, default=str)


def setup_logging(level: int = logging.INFO, log_format: str = "text") -> None:
    """Log to stderr in ``log_format`` (``VEILLE_LOG_FORMAT``), for this process's loggers and
    uvicorn's (they propagate here: the app is served with ``log_config=None``)."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if log_format == "json" else KeyValueFormatter())
    handler.addFilter(HideSecrets())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


def json_logging() -> bool:
    """Whether this process logs JSON (``setup_logging`` with ``json``): then every line on
    stderr must be a JSON object, the command's own messages included."""
    return any(isinstance(h.formatter, JsonFormatter) for h in logging.getLogger().handlers)
