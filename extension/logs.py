"""Logging to stdout (the web app, the worker) or stderr (the command line, so that logs never mix into a
command's output), plain or JSON lines; bearer tokens and secrets are redacted from messages and tracebacks."""
from __future__ import annotations

import json
import logging
import re
import sys

_SECRET_PATTERNS = [
    re.compile(r"(Bearer\s+)[A-Za-z0-9._~+/=-]+", re.I),
    re.compile(r"((?:access_token|refresh_token|client_secret|password)[\"']?\s*[:=]\s*[\"']?)[^\"'&\s,}]+", re.I),
    re.compile(r"([?&]code=)[^&\s]+"),
    # Personal links (/l/<signed token>): whoever reads a log must not be able to open someone's page.
    re.compile(r"(/l/)[A-Za-z0-9._-]{8,}"),
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


class _CurrentStream(logging.StreamHandler):
    """Writes to whatever sys.stdout / sys.stderr is at the moment of each record (test runners swap them)."""

    def __init__(self, name: str):
        super().__init__()
        self._name = name

    @property
    def stream(self):
        return getattr(sys, self._name)

    @stream.setter
    def stream(self, value):
        pass


# Set by the command line before it builds the app: logs go to stderr at this level, whatever LOG_LEVEL says.
_cli_level: str | None = None


def use_command_line(level: str) -> None:
    """From now on in this process, log to stderr at `level` (the CLI: WARNING, or INFO with -v)."""
    global _cli_level
    _cli_level = level
    root = logging.getLogger()
    json_format = any(isinstance(h.formatter, JsonFormatter) for h in root.handlers if _ours(h))
    setup_logging(json_format)


def _ours(handler: logging.Handler) -> bool:
    return getattr(handler, "_lerend_netwerk", False)


def setup_logging(json_format: bool = False, level: str = "INFO") -> None:
    root = logging.getLogger()
    for handler in list(root.handlers):
        if _ours(handler):
            root.removeHandler(handler)
    handler = _CurrentStream("stderr" if _cli_level else "stdout")
    handler._lerend_netwerk = True
    handler.addFilter(RedactingFilter())
    handler.setFormatter(JsonFormatter() if json_format
                         else RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(_cli_level or level)


def log_to_file(path) -> None:
    """Everything from INFO up into `path`, only WARNING and up on the console (the demo: its banner stays
    readable while the worker and the web server log every job and request)."""
    root = logging.getLogger()
    for handler in root.handlers:
        if _ours(handler):
            handler.setLevel(logging.WARNING)
    file_handler = logging.FileHandler(path, encoding="utf-8")
    file_handler.addFilter(RedactingFilter())
    file_handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(file_handler)
    root.setLevel(logging.INFO)
