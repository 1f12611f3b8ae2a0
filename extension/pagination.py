"""Long lists shown a page at a time: which page a request asks for, and what the pager shows."""
from __future__ import annotations

from dataclasses import dataclass

from flask import request


@dataclass(frozen=True)
class Page:
    """Page `number` (from 1) of `size` rows out of `total`."""

    number: int
    size: int
    total: int

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


# Far beyond any list's last page (which the lists show instead), and small enough that the row offset
# fits every database's integer: a larger number would not reach the database as a query parameter.
MAX_PAGE = 100_000


def requested_page(name: str = "page") -> int:
    """The page number in the query string (`?page=3`); 1 when absent or not a positive number, at most MAX_PAGE."""
    number = request.args.get(name, type=int)
    return min(number, MAX_PAGE) if number is not None and number > 0 else 1
