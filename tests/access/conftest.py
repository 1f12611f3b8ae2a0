"""Fixtures of the access tests: the launched Doorgaande Lijn network (tests.networks) and its people."""
from tests.networks.conftest import sqlite_world, world  # noqa: F401
