"""URL converters: every `<int:...>` in a route is an id or a number the database can hold."""
from __future__ import annotations

from werkzeug.routing import IntegerConverter

# The ids are INTEGER columns (the migrations' sa.Integer): 32 bits on PostgreSQL, which refuses a larger
# parameter for them ("integer out of range"), as SQLite refuses one beyond 64 bits. No row has a larger id.
MAX_ID = 2**31 - 1


class DatabaseInteger(IntegerConverter):
    """Werkzeug's `int` converter bounded to MAX_ID: a larger number in a URL matches no route (404) instead of
    reaching the database as a parameter it cannot take (a 500)."""

    def __init__(self, map, fixed_digits: int = 0, min: int | None = None, max: int | None = None,
                 signed: bool = False) -> None:
        bounded = MAX_ID if max is None or max > MAX_ID else max
        super().__init__(map, fixed_digits, min, bounded, signed)


def init_app(app) -> None:
    """`int` in every route means DatabaseInteger; set before the blueprints add their rules (bound then)."""
    app.url_map.converters["int"] = DatabaseInteger
