"""Shared pytest fixtures: the app, its database (SQLite, and PostgreSQL where available) and the sandbox."""
import pytest

pytest_plugins = ["tests.fixtures.sandbox", "tests.fixtures.app", "tests.fixtures.browser"]


@pytest.fixture(autouse=True)
def command_line_in_its_default_language(monkeypatch):
    """The command line follows LC_ALL / LC_MESSAGES / LANG; tests read its default (Dutch) whatever the
    developer's locale is."""
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")
    from extension.i18n import DEFAULT_LANGUAGE, set_cli_language

    set_cli_language(DEFAULT_LANGUAGE)  # whatever a test before this one chose stays with that test
    yield
    set_cli_language(DEFAULT_LANGUAGE)
