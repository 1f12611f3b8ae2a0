"""Connecting accounts over OAuth2 and handing out a Nextcloud client per connection."""
from __future__ import annotations

import logging

from flask import Flask
from sqlalchemy import select

from connectors.client import NextcloudClient, session_for
from connectors.oauth import OAuthClient, Token
from extension.accounts.models import CONNECTED, Account
from extension.accounts.token_store import DbTokenStore
from extension.extensions import db
from extension.organisations.models import Organisation
from extension.organisations.service import redirect_uri

log = logging.getLogger(__name__)

PERSON = "person"
ORGANISATION = "organisation"


class WrongConnectionAccount(Exception):
    """Someone other than the designated account tried to authorise the organisation connection."""

    def __init__(self, organisation: Organisation, user_id: str):
        super().__init__(
            f"{organisation.name}: the organisation connection must be authorised by the account "
            f"{organisation.connection_user!r}, not {user_id!r}"
        )
        self.organisation, self.user_id = organisation, user_id


def oauth_client(app: Flask, organisation: Organisation) -> OAuthClient:
    if not organisation.has_nextcloud:
        raise ValueError(f"{organisation.name} has no Nextcloud connection configured")
    return OAuthClient(
        base_url=organisation.nextcloud_url,
        client_id=organisation.client_id,
        client_secret=organisation.client_secret,
        redirect_uri=redirect_uri(app.config["APP_URL"]),
        session=_session(app, organisation.nextcloud_url),
    )


def nextcloud_client(app: Flask, account: Account) -> NextcloudClient:
    return NextcloudClient(
        base_url=account.organisation.nextcloud_url,
        oauth_client=oauth_client(app, account.organisation),
        token_store=DbTokenStore(app, account.id),
        session=_session(app, account.organisation.nextcloud_url),
        leeway=app.config["TOKEN_LEEWAY"],
        timeout=tuple(app.config["HTTP_TIMEOUT"]),
    )


def _session(app: Flask, base_url: str):
    return session_for(base_url, timeout=tuple(app.config["HTTP_TIMEOUT"]), retries=app.config["HTTP_RETRIES"],
                       max_retry_after=app.config["HTTP_MAX_RETRY_AFTER"])


def connect(app: Flask, organisation: Organisation, code: str, purpose: str = PERSON) -> Account:
    """Exchange the authorisation code, store the tokens encrypted, and fill in who this is."""
    token = oauth_client(app, organisation).exchange_code(code)
    if purpose == ORGANISATION and token.user_id != organisation.connection_user:
        raise WrongConnectionAccount(organisation, token.user_id)
    account = store_token(organisation, token)
    me = nextcloud_client(app, account).ocs.current_user()
    account.display_name = me.display_name or me.id
    account.email = me.email
    if purpose == ORGANISATION:
        organisation.connection_account_id = account.id
    db.session.commit()
    log.info("account %s of %s connected (%s)", account.user_id, organisation.slug, purpose)
    return account


def store_token(organisation: Organisation, token: Token) -> Account:
    """Create or update the account for the token's user; a reconnect revives a 'reconnect needed' account."""
    account = db.session.scalar(
        select(Account).where(Account.organisation_id == organisation.id, Account.user_id == token.user_id)
    )
    if account is None:
        account = Account(organisation=organisation, user_id=token.user_id, display_name=token.user_id)
        db.session.add(account)
    account.access_token, account.refresh_token = token.access_token, token.refresh_token
    account.expires_at, account.status, account.status_reason = token.expires_at, CONNECTED, None
    db.session.commit()
    return account


def get_account(account_id: int) -> Account | None:
    return db.session.get(Account, account_id)
