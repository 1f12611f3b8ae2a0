"""Dutch unless the person chose English, from one catalogue: web pages choose by ?lang=, then the choice
kept in the session; the command line by --lang, then LC_ALL / LC_MESSAGES / LANG.

The browser's Accept-Language is not a choice: a teacher on an English-language laptop still gets the
product's language, Dutch, until she picks English herself."""
from __future__ import annotations

import gettext as _gettext
import os
import sys
from datetime import datetime
from pathlib import Path

TRANSLATIONS_DIR = Path(__file__).resolve().parent / "translations"
CLI_LANGUAGES = ("nl", "en")
DEFAULT_LANGUAGE = "nl"

_cli_language = DEFAULT_LANGUAGE
_catalogues: dict[str, _gettext.NullTranslations] = {}


def select_locale() -> str:
    from flask import current_app, request, session

    languages = current_app.config["LANGUAGES"]
    wanted = request.args.get("lang")
    if wanted in languages:
        session["lang"] = wanted
        return wanted
    if session.get("lang") in languages:
        return session["lang"]
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def init_app(app) -> None:
    from flask_babel import Babel, get_locale

    Babel(app, locale_selector=select_locale, default_translation_directories="translations")
    app.context_processor(lambda: {"current_locale": str(get_locale())})


def language_from_environment(environ=os.environ) -> str:
    """The first of LC_ALL, LC_MESSAGES, LANG that is set decides, as POSIX has it; Dutch unless it says English."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name)
        if value:
            return "en" if value.lower().startswith("en") else DEFAULT_LANGUAGE
    return DEFAULT_LANGUAGE


def set_cli_language(language: str | None) -> str:
    """Choose the command line's language (None: from the environment); returns the one chosen."""
    global _cli_language
    _cli_language = language if language in CLI_LANGUAGES else language_from_environment()
    return _cli_language


def cli_language() -> str:
    return _cli_language


def _catalogue(language: str) -> _gettext.NullTranslations:
    if language not in _catalogues:
        _catalogues[language] = _gettext.translation("messages", str(TRANSLATIONS_DIR), languages=[language],
                                                     fallback=True)
    return _catalogues[language]


def _(message: str, /, **values) -> str:
    """A command-line message in the chosen language; `%(name)s` placeholders filled from `values`."""
    text = _catalogue(_cli_language).gettext(message)
    return text % values if values else text


def current_language() -> str:
    """The person's language during a web request, the command line's everywhere else (CLI, worker)."""
    flask = sys.modules.get("flask")
    if flask is not None and flask.has_request_context():
        from flask_babel import get_locale

        locale = get_locale()
        if locale is not None and locale.language in CLI_LANGUAGES:
            return locale.language
    return _cli_language


def translate(message: str, /, **values) -> str:
    """`message` in the current language (see current_language); values that are Text are translated too."""
    text = _catalogue(current_language()).gettext(message)
    if not values:
        return text
    return text % {name: str(value) if isinstance(value, Text) else value for name, value in values.items()}


class Text:
    """A message kept as its English msgid and values, translated only when shown: a result made by the
    worker or the command line reads in the language of whoever looks at it, and an error raised by a
    service reads in the language of the page or the command that shows it.

    It reads as the text it shows where code treats a message as a string (`in`, `==` with a str, f-strings,
    `startswith`, …); `str()` gives the plain text."""

    __slots__ = ("message", "values")

    def __init__(self, message: str, /, **values):
        self.message = message
        self.values = values

    def __str__(self) -> str:
        return translate(self.message, **self.values)

    def __repr__(self) -> str:
        return f"Text({self.message!r})"

    def __eq__(self, other) -> bool:
        if isinstance(other, Text):
            return (self.message, self.values) == (other.message, other.values)
        if isinstance(other, str):
            return str(self) == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.message)

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)

    def __contains__(self, part: str) -> bool:
        return part in str(self)

    def __len__(self) -> int:
        return len(str(self))

    def __add__(self, other: str) -> str:
        return str(self) + other

    def __radd__(self, other: str) -> str:
        return other + str(self)

    def __getattr__(self, name: str):
        # str's methods (startswith, split, …) on the shown text; dunder lookups stay with the class.
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(str(self), name)

    def __deepcopy__(self, memo) -> "Text":
        return self  # immutable in use; dataclasses.asdict deep-copies fields


def local_time(moment: datetime) -> str:
    """A moment in this machine's time zone, with the zone named (`2026-12-07 15:30 CET`)."""
    return moment.astimezone().strftime("%Y-%m-%d %H:%M %Z")


# A Text kept in a database column as JSON, so that a message the worker wrote reads in the language of whoever
# looks at it; plain text (a message from elsewhere) is kept and read as it is.
_STORED = '{"text": '


def dump_text(message: "Text | str | None", limit: int | None = None) -> str | None:
    """`message` for a text column: a Text as JSON of its msgid and values (values that are Text too, so they
    are translated when read), anything else as it is; with `limit` (the column's length) the longest values
    are shortened until it fits, as plain text was cut before."""
    if not isinstance(message, Text):
        return message[:limit] if limit is not None and message is not None else message
    import json

    data = _as_data(message)
    stored = json.dumps(data, ensure_ascii=False)
    while limit is not None and len(stored) > limit:
        leaves = list(_leaves(data))
        if not leaves:
            return str(message)[:limit]
        values, name = max(leaves, key=lambda leaf: len(leaf[0][leaf[1]]))
        longest = values[name]
        excess = len(stored) - limit
        if len(longest) <= 1:
            return str(message)[:limit]
        values[name] = longest[:max(0, len(longest) - excess - 1)] + "…"
        stored = json.dumps(data, ensure_ascii=False)
    return stored


def _as_data(message: Text) -> dict:
    values = {name: _as_data(value) if isinstance(value, Text) else
              value if isinstance(value, (str, int, float, bool, type(None))) else str(value)
              for name, value in message.values.items()}
    return {"text": message.message, "values": values}


def _leaves(data: dict):
    """(values, name) of every string value in `data` and in the Texts within it."""
    for name, value in data["values"].items():
        if isinstance(value, dict) and "text" in value:
            yield from _leaves(value)
        elif isinstance(value, str):
            yield data["values"], name


def load_text(stored: str | None) -> "Text | str | None":
    """What dump_text kept: a Text again, or the plain text."""
    if stored is None or not stored.startswith(_STORED):
        return stored
    import json

    try:
        data = json.loads(stored)
    except ValueError:
        return stored
    return _from_data(data)


def _from_data(data: dict) -> Text:
    return Text(data["text"], **{name: _from_data(value) if isinstance(value, dict) and "text" in value else value
                                 for name, value in data.get("values", {}).items()})
