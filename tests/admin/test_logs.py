"""JSON log lines: extra fields kept, secrets redacted also from tracebacks."""
import json
import logging

from extension.logs import JsonFormatter, RedactingFormatter


def record(message, exc_info=None, **extra):
    entry = logging.LogRecord("ln.test", logging.ERROR, __file__, 1, message, (), exc_info)
    entry.__dict__.update(extra)
    return entry


def raised(text):
    try:
        raise ValueError(text)
    except ValueError:
        import sys
        return sys.exc_info()


def test_json_lines_carry_extra_fields():
    line = json.loads(JsonFormatter().format(record("check failed", organisation="de-zonnebloem")))
    assert line["message"] == "check failed" and line["organisation"] == "de-zonnebloem"


def test_tracebacks_are_redacted_in_json_and_plain_logs():
    exc_info = raised("refresh failed: refresh_token=abcdef123456")
    assert "abcdef123456" not in JsonFormatter().format(record("boom", exc_info))
    assert "abcdef123456" not in RedactingFormatter("%(message)s").format(record("boom", raised("Bearer abcdef123456")))
