"""A process that takes a lease and then waits to be killed (for tests of what a killed holder leaves)."""
import sys
import time

from tests.fixtures.app import make_test_app

if __name__ == "__main__":
    database_url, instance, name, ttl = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
    from pathlib import Path

    from extension.locks import hold

    app = make_test_app(database_url, Path(instance))
    with app.app_context(), hold(name, ttl=ttl):
        print("held", flush=True)
        time.sleep(600)
