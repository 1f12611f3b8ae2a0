"""Re-encrypting every stored secret with the newest encryption key (`lerend-netwerk rotate-keys`).

The encrypted columns are found in the metadata (every column of type EncryptedText), so a table added
later is rotated too. Values are read and written raw, past the EncryptedText type, and each update is a
compare-and-set on the old ciphertext: a token refreshed by a running worker in the meantime is never
overwritten with its older value; the new value is read and looked at again instead.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import Column, MetaData, Table, Text, and_, column, select, table, update
from sqlalchemy.engine import Engine

from extension.crypto import EncryptedText

MAX_ATTEMPTS = 5


@dataclass
class ColumnReport:
    table: str
    column: str
    rotated: int = 0
    current: int = 0
    # primary keys of values that no configured key decrypts: left untouched, reported
    unreadable: list[str] = field(default_factory=list)
    # primary keys of values that kept changing while being rotated (run again)
    busy: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.table}.{self.column}"


def encrypted_columns(metadata: MetaData) -> list[tuple[Table, Column]]:
    """Every (table, column) stored as EncryptedText, in a stable order."""
    return [(tbl, col) for tbl in sorted(metadata.tables.values(), key=lambda t: t.name)
            for col in tbl.columns if isinstance(col.type, EncryptedText)]


def rotate(engine: Engine, metadata: MetaData, keys: list[str]) -> list[ColumnReport]:
    """Make every encrypted value readable with keys[0] alone; returns what was done per column."""
    fernets = [Fernet(k.encode() if isinstance(k, str) else k) for k in keys]
    return [_rotate_column(engine, tbl, col, fernets[0], MultiFernet(fernets))
            for tbl, col in encrypted_columns(metadata)]


def _rotate_column(engine: Engine, tbl: Table, col: Column, newest: Fernet, every_key: MultiFernet) -> ColumnReport:
    report = ColumnReport(tbl.name, col.name)
    keys = [c.name for c in tbl.primary_key.columns]
    raw = table(tbl.name, *(column(k) for k in keys), column(col.name, Text))
    value = raw.c[col.name]
    with engine.connect() as conn:
        rows = conn.execute(select(*(raw.c[k] for k in keys), value).where(value.is_not(None))).all()
    for row in rows:
        where = and_(*(raw.c[k] == row[i] for i, k in enumerate(keys)))
        ciphertext = row[-1]
        for _ in range(MAX_ATTEMPTS):
            if ciphertext is None or _readable_with(newest, ciphertext):
                report.current += 1
                break
            try:
                rotated = every_key.rotate(ciphertext.encode()).decode()
            except InvalidToken:
                report.unreadable.append("/".join(str(v) for v in row[:-1]))
                break
            with engine.begin() as conn:
                if conn.execute(update(raw).where(where, value == ciphertext).values({col.name: rotated})).rowcount:
                    report.rotated += 1
                    break
                # changed since it was read (a refresh saved a new token): look again
                ciphertext = conn.execute(select(value).where(where)).scalar()
        else:
            report.busy.append("/".join(str(v) for v in row[:-1]))
    return report


def _readable_with(fernet: Fernet, ciphertext: str) -> bool:
    try:
        fernet.decrypt(ciphertext.encode())
    except InvalidToken:
        return False
    return True
