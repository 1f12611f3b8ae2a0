"""Fixtures for the kartrekker's web pages: the launched Doorgaande Lijn network and a client signed in as Anna."""
from __future__ import annotations

import pytest

from tests.access.helpers import signed_in_client
from tests.extension.connected import connect_account
from tests.lifecycle.conftest import _launch, clear_logs  # noqa: F401
from tests.networks.conftest import HOST, NO_NEXTCLOUD, SCHOOL, SLUG, sqlite_world, world  # noqa: F401


def signed_in(app, account_id: int):
    """A client with a live server-side session for the account. Its posts carry no form token: these tests are
    about the kartrekker's pages, the CSRF check itself is proven in tests/admin and tests/access."""
    app.config["WTF_CSRF_ENABLED"] = False
    return signed_in_client(app, account_id)


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
