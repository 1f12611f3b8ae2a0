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


def requested_page(name: str = "page") -> int:
    """The page number in the query string (`?page=3`); 1 when absent or not a positive number."""
    number = request.args.get(name, type=int)
    return number if number is not None and number > 0 else 1
