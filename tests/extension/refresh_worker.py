"""A separate process that uses one stored connection: for the cross-process refresh test.

Usage: python -m tests.extension.refresh_worker DATABASE_URL ENCRYPTION_KEY ACCOUNT_ID START_FILE
It reports ready (START_FILE.ready.<pid>), waits until START_FILE exists, then makes one authenticated call
and prints the user id.
"""
import os
import sys
import time
from pathlib import Path

from extension import create_app
from extension.accounts.service import get_account, nextcloud_client


def main(database_url: str, key: str, account_id: str, start_file: str) -> None:
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "ENCRYPTION_KEYS": [key], "SECRET_KEY": "x"})
    with app.app_context():
        client = nextcloud_client(app, get_account(int(account_id)))
    Path(f"{start_file}.ready.{os.getpid()}").touch()
    deadline = time.monotonic() + 30
    while not Path(start_file).exists():
        if time.monotonic() > deadline:
            sys.exit("start file never appeared")
        time.sleep(0.005)
    print(client.ocs.current_user().id)


if __name__ == "__main__":
    main(*sys.argv[1:])
