"""`lerend-netwerk rotate-keys`: every stored secret re-encrypted with the newest key, nothing lost."""
import pytest
from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import Column, Integer, MetaData, Table, event, text

from connectors.oauth import Token
from extension.accounts.models import Account
from extension.accounts.service import store_token
from extension.admin import keys
from extension.crypto import EncryptedText
from extension.extensions import db
from extension.organisations import service
from extension.organisations.service import OrganisationInput
from tests.fixtures.app import make_test_app

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()
SECRETS = {"client_secret": "client-secret-of-de-zonnebloem", "access_token": "access-token-of-anna",
           "refresh_token": "refresh-token-of-anna"}


@pytest.fixture
def stored(database_url, tmp_path):
    """A database whose secrets were written with the OLD key only."""
    app = make_test_app(database_url, tmp_path, ENCRYPTION_KEYS=[OLD])
    with app.app_context():
        organisation = service.add_organisation(OrganisationInput(
            name="De Zonnebloem", nextcloud_url="https://cloud.zonnebloem.nl", client_id="cid",
            client_secret=SECRETS["client_secret"]))
        store_token(organisation, Token(SECRETS["access_token"], SECRETS["refresh_token"], 0.0, "anna"))
        db.engine.dispose()
    return database_url


def raw_values(app) -> dict[str, str]:
    with app.app_context():
        organisation = db.session.execute(text("SELECT client_secret FROM organisations")).one()
        account = db.session.execute(text("SELECT access_token, refresh_token FROM accounts")).one()
    return {"client_secret": organisation.client_secret, "access_token": account.access_token,
            "refresh_token": account.refresh_token}


def test_the_encrypted_columns_are_found_in_the_metadata():
    found = {f"{t.name}.{c.name}" for t, c in keys.encrypted_columns(db.metadata)}
    assert {"organisations.client_secret", "accounts.access_token", "accounts.refresh_token"} <= found


def test_a_table_added_later_is_rotated_too():
    metadata = MetaData()
    Table("later", metadata, Column("id", Integer, primary_key=True), Column("api_key", EncryptedText))
    assert [(t.name, c.name) for t, c in keys.encrypted_columns(metadata)] == [("later", "api_key")]


def test_rotation_re_encrypts_every_secret_with_the_newest_key(stored, tmp_path):
    app = make_test_app(stored, tmp_path, ENCRYPTION_KEYS=[NEW, OLD])
    before = raw_values(app)
    result = app.test_cli_runner().invoke(args=["--lang", "en", "rotate-keys"])
    assert result.exit_code == 0, result.output
    assert "accounts.refresh_token: 1 re-encrypted with the newest key, 0 already current" in result.output
    after = raw_values(app)
    for name, plaintext in SECRETS.items():
        assert after[name] != before[name]
        assert Fernet(NEW).decrypt(after[name].encode()).decode() == plaintext
        with pytest.raises(InvalidToken):
            Fernet(OLD).decrypt(after[name].encode())
        assert plaintext not in result.output
    with app.app_context():
        db.engine.dispose()

    newest_only = make_test_app(stored, tmp_path, ENCRYPTION_KEYS=[NEW])
    with newest_only.app_context():
        organisation = service.get_by_slug("de-zonnebloem")
        assert organisation.client_secret == SECRETS["client_secret"]
        account = db.session.scalar(db.select(Account))
        assert (account.access_token, account.refresh_token) == (SECRETS["access_token"], SECRETS["refresh_token"])
        db.engine.dispose()


def test_a_second_rotation_finds_everything_current(stored, tmp_path):
    app = make_test_app(stored, tmp_path, ENCRYPTION_KEYS=[NEW, OLD])
    app.test_cli_runner().invoke(args=["--lang", "en", "rotate-keys"])
    before = raw_values(app)
    result = app.test_cli_runner().invoke(args=["--lang", "en", "rotate-keys"])
    assert "accounts.access_token: 0 re-encrypted with the newest key, 1 already current" in result.output
    assert raw_values(app) == before
    with app.app_context():
        db.engine.dispose()


def test_a_value_no_key_can_read_is_reported_and_left_alone(stored, tmp_path):
    app = make_test_app(stored, tmp_path, ENCRYPTION_KEYS=[NEW])
    before = raw_values(app)
    result = app.test_cli_runner().invoke(args=["--lang", "en", "rotate-keys"])
    assert result.exit_code == 1
    assert ("organisations.client_secret: 0 re-encrypted with the newest key, 0 already current, 1 unreadable"
            in result.output)
    assert "cannot be decrypted" in result.output
    assert raw_values(app) == before
    with app.app_context():
        db.engine.dispose()


def test_a_token_refreshed_during_the_rotation_is_not_overwritten(stored, tmp_path):
    """A worker saves a new refresh token (with the old key) between the rotation's read and its write."""
    app = make_test_app(stored, tmp_path, ENCRYPTION_KEYS=[NEW, OLD])
    written_meanwhile = Fernet(OLD).encrypt(b"refresh-token-after-a-refresh").decode()
    interfered = []

    def refresh_meanwhile(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("UPDATE accounts SET refresh_token") and not interfered:
            interfered.append(True)
            other = db.engine.connect()
            other.execute(text("UPDATE accounts SET refresh_token = :v"), {"v": written_meanwhile})
            other.commit()
            other.close()

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", refresh_meanwhile)
        try:
            reports = keys.rotate(db.engine, db.metadata, [NEW, OLD])
        finally:
            event.remove(db.engine, "before_cursor_execute", refresh_meanwhile)
        db.engine.dispose()
    assert interfered
    refresh = next(r for r in reports if r.name == "accounts.refresh_token")
    assert (refresh.rotated, refresh.unreadable, refresh.busy) == (1, [], [])
    assert Fernet(NEW).decrypt(raw_values(app)["refresh_token"].encode()) == b"refresh-token-after-a-refresh"
