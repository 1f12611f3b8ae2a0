"""One plan run in a process of its own, for the kill tests: `python -m tests.engine.run_plan KIND SLUG ARGS`.

ARGS is a JSON object of the plan kind's arguments (`member` as NewMember fields). The database and the
key come from the environment, as for the console script; `LN_ENGINE_KILL_AFTER` makes the run SIGKILL
itself after that many journal commits.
"""
from __future__ import annotations

import json
import os
import sys

from extension import create_app, engine
from extension.networks.members import NewMember


def main() -> None:
    kind, slug, arguments = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    if "member" in arguments:
        arguments["member"] = NewMember(**arguments["member"])
    # The encryption key comes from LN_ENCRYPTION_KEYS, as the test process made it.
    app = create_app({"TESTING": True, "SECRET_KEY": "x",
                      "SQLALCHEMY_DATABASE_URI": os.environ["DATABASE_URL"], "JOBS_IMMEDIATE": True,
                      "JOBS_SQLITE": os.environ["LN_JOBS_SQLITE"], "HTTP_TIMEOUT": (2.0, 10.0),
                      "NETWORK_LOCK_TTL": 1})
    with app.app_context():
        result = engine.run(app, kind, slug, **arguments)
    outcome = getattr(result, "launch", result)
    sys.exit(0 if outcome is None or outcome.ok else 1)


if __name__ == "__main__":
    main()
