"""Problems in a file a user wrote, each named by file, line and field, and the error that carries them."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable


@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None
    field: str
    message: str  # or an i18n.Text, translated when shown

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


class SourceError(ValueError):
    """One or more problems in a file the user wrote; `str()` lists them one per line."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    def __str__(self) -> str:
        # Built again when shown: a problem's message (an i18n.Text) reads in the language of who looks.
        return "\n".join(str(p) for p in self.problems)


def field_path(loc: Iterable[Any]) -> str:
    """`('phases', 2, 'key')` → `phases[2].key`."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out
