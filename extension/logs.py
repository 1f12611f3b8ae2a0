"""Logging to stdout, plain or JSON lines; bearer tokens and secrets are redacted from messages and tracebacks."""
from __future__ import annotations

import json
import logging
import re
import sys

_SECRET_PATTERNS = [
    re.compile(r"(Bearer\s+)[A-Za-z0-9._~+/=-]+", re.I),
    re.compile(r"((?:access_token|refresh_token|client_secret|password)[\"']?\s*[:=]\s*[\"']?)[^\"'&\s,}]+", re.I),
    re.compile(r"([?&]code=)[^&\s]+"),
]


def redact(text: str) -> str:
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(r"\1[redacted]", text)
    return text


class RedactingFilter(logging.Filter):
    """Last line of defence: code never logs secrets on purpose, and this catches accidents."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


class RedactingFormatter(logging.Formatter):
    """Tracebacks are formatted after the filter ran: redact them too (an exception may quote a token)."""

    def formatException(self, ei) -> str:
        return redact(super().formatException(ei))


# Attributes every LogRecord has; anything else came in through `extra=` and belongs in the JSON entry.
_STANDARD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


class JsonFormatter(RedactingFormatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRIBUTES and not key.startswith("_"):
                entry[key] = value if isinstance(value, (int, float, bool, type(None))) else redact(str(value))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def setup_logging(json_format: bool = False, level: str = "INFO") -> None:
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_lerend_netwerk", False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stdout)
    handler._lerend_netwerk = True
    handler.addFilter(RedactingFilter())
    handler.setFormatter(JsonFormatter() if json_format
                         else RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(level)
