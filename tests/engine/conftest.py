"""The engine's tests use the Doorgaande Lijn world of tests/networks."""
from tests.networks.conftest import sqlite_world, world  # noqa: F401
