"""Shared pytest fixtures: the app, its database (SQLite, and PostgreSQL where available) and the sandbox."""
pytest_plugins = ["tests.fixtures.sandbox", "tests.fixtures.app", "tests.fixtures.browser"]
