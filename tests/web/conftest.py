"""Fixtures for the kartrekker's web pages: the launched Doorgaande Lijn network and a client signed in as Anna."""
from __future__ import annotations

import pytest

from tests.extension.connected import connect_account
from tests.lifecycle.conftest import _launch, clear_logs  # noqa: F401
from tests.networks.conftest import HOST, NO_NEXTCLOUD, SCHOOL, SLUG, sqlite_world, world  # noqa: F401


def signed_in(app, account_id: int):
    client = app.test_client()
    with client.session_transaction() as session:
        session["account_id"] = account_id
    return client


@pytest.fixture
def launched(sqlite_world):
    return _launch(sqlite_world)


@pytest.fixture
def anna(launched):
    """A test client signed in as Anna, the network's kartrekker (user `anna` of organisation A)."""
    return signed_in(launched.app, connect_account(launched.app, launched.sandbox, "a", "anna"))


@pytest.fixture
def bram(launched):
    """Bram: a participant of the same network, not its kartrekker."""
    return signed_in(launched.app, connect_account(launched.app, launched.sandbox, "a", "bram"))
