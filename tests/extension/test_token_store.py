"""Stored connections: tokens encrypted at rest, one refresh at a time across threads and processes."""
import logging
import os
import subprocess
import sys
import threading
import time

import pytest
from sqlalchemy import text, update

from connectors.errors import ReconnectNeeded
from connectors.oauth import Token
from extension.accounts.models import RECONNECT_NEEDED, Account
from extension.accounts.service import get_account, nextcloud_client, oauth_client
from extension.extensions import db
from tests.extension.connected import connect_account
from tests.fixtures.app import TEST_KEY


def expire_stored_token(app, account_id):
    """Make the stored access token look expired, as it would be an hour after it was issued."""
    with app.app_context():
        db.session.execute(update(Account).where(Account.id == account_id).values(expires_at=time.time() - 10))
        db.session.commit()


def stored_token(app, account_id) -> Token:
    with app.app_context():
        account = get_account(account_id)
        return Token(account.access_token, account.refresh_token, account.expires_at, account.user_id)


def test_no_token_or_client_secret_appears_in_database_rows_or_logs(app, sandbox, caplog):
    caplog.set_level(logging.DEBUG)
    account_id = connect_account(app, sandbox)
    expire_stored_token(app, account_id)
    with app.app_context():
        nextcloud_client(app, get_account(account_id)).ocs.current_user()   # forces a refresh
        token = stored_token(app, account_id)
        organisation = get_account(account_id).organisation
        secrets = [token.access_token, token.refresh_token, organisation.client_secret]
        rows = [dict(r) for table in ("accounts", "organisations")
                for r in db.session.execute(text(f"SELECT * FROM {table}")).mappings()]
    dumped = repr(rows)
    for secret in secrets:
        assert secret and secret not in dumped
        assert secret not in caplog.text


def test_expired_access_token_is_refreshed_and_the_new_pair_stored(app, sandbox):
    account_id = connect_account(app, sandbox)
    before = stored_token(app, account_id)
    expire_stored_token(app, account_id)
    calls = sandbox.org("a").token_endpoint_calls
    with app.app_context():
        me = nextcloud_client(app, get_account(account_id)).ocs.current_user()
    after = stored_token(app, account_id)
    assert me.id == before.user_id
    assert sandbox.org("a").token_endpoint_calls == calls + 1
    assert after.refresh_token != before.refresh_token and after.expires_at > time.time() + 3000


def test_a_reused_refresh_token_is_rejected_and_the_account_marked_reconnect_needed(app, sandbox):
    account_id = connect_account(app, sandbox)
    stale = stored_token(app, account_id)
    with app.app_context():
        oauth_client(app, get_account(account_id).organisation).refresh(stale)  # someone else spent it
    expire_stored_token(app, account_id)
    with app.app_context(), pytest.raises(ReconnectNeeded):
        nextcloud_client(app, get_account(account_id)).ocs.current_user()
    with app.app_context():
        account = get_account(account_id)
        assert account.status == RECONNECT_NEEDED and account.needs_reconnect
        assert account.access_token is None and account.refresh_token is None


def test_two_threads_refreshing_one_connection_make_one_token_call(app, sandbox):
    account_id = connect_account(app, sandbox)
    expire_stored_token(app, account_id)
    org = sandbox.org("a")
    org.faults.latency = 0.2  # both threads are inside their call while the refresh is under way
    with app.app_context():
        clients = [nextcloud_client(app, get_account(account_id)) for _ in range(2)]
    calls = org.token_endpoint_calls
    barrier, results, errors = threading.Barrier(2), [], []

    def work(client):
        barrier.wait()
        try:
            results.append(client.ocs.current_user().id)
        except Exception as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert len(results) == 2
    assert org.token_endpoint_calls == calls + 1


def test_two_processes_refreshing_one_connection_make_one_token_call(app, sandbox, database_url, tmp_path):
    account_id = connect_account(app, sandbox)
    expire_stored_token(app, account_id)
    org = sandbox.org("a")
    org.faults.latency = 0.2
    calls = org.token_endpoint_calls
    start = tmp_path / "go"
    env = {**os.environ, "LN_LOG_LEVEL": "WARNING"}
    workers = [subprocess.Popen([sys.executable, "-m", "tests.extension.refresh_worker", database_url, TEST_KEY,
                                 str(account_id), str(start)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, env=env, cwd=os.getcwd()) for _ in range(2)]
    deadline = time.monotonic() + 60
    while len(list(tmp_path.glob("go.ready.*"))) < 2:  # both have imported the app and built their client
        assert time.monotonic() < deadline and all(w.poll() is None for w in workers), "workers did not start"
        time.sleep(0.02)
    start.touch()
    outputs = [w.communicate(timeout=90) for w in workers]
    for worker, (out, err) in zip(workers, outputs):
        assert worker.returncode == 0, err
        assert out.strip() == stored_token(app, account_id).user_id
    assert org.token_endpoint_calls == calls + 1
    with app.app_context():
        assert nextcloud_client(app, get_account(account_id)).ocs.current_user().id  # the stored pair works
    assert org.token_endpoint_calls == calls + 1
