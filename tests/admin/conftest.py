"""Fixtures of the admin tests: the sandbox organisations added to the app with their organisation connection."""
import pytest

from extension.extensions import db
from extension.organisations.models import Organisation
from sandbox.demo import FUNCTIONAL_ACCOUNT
from tests.extension.connected import connect_account


def connect_organisation(app, sandbox, key: str) -> str:
    """Add sandbox organisation `key` with its organisation connection (as the demo does); returns its slug."""
    account_id = connect_account(app, sandbox, key, FUNCTIONAL_ACCOUNT)
    with app.app_context():
        organisation = db.session.scalar(
            db.select(Organisation).where(Organisation.nextcloud_url == sandbox.org(key).base_url))
        organisation.connection_account_id = account_id
        db.session.commit()
        return organisation.slug


@pytest.fixture
def connected(app, sandbox):
    """{sandbox key: slug} of both sandbox organisations, connected."""
    return {key: connect_organisation(app, sandbox, key) for key in ("a", "b")}
