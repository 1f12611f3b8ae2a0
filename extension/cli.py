"""The `lerend-netwerk` command line: every command registered in one table and imported only when it runs,
and one wrapper that gives a command its app, checks that the database is migrated, and turns a refusal
into one clear line in the user's language with exit code 1.

Start-up stays small: `--help` lists the commands from the table below without importing them, and the
app (with SQLAlchemy and the models) is built only for a command that needs it.
"""
from __future__ import annotations

import copy
import functools
import gc
import gettext
import importlib
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import click

from extension.i18n import TRANSLATIONS_DIR, _, cli_language, set_cli_language

PROG = "lerend-netwerk"


@dataclass(frozen=True)
class Entry:
    """A command in the table: where it lives ("module:attribute", or a sub-table) and its one-line help."""
    target: str | dict
    help: str


# The one place where commands are registered. Leaves are functions decorated with `command` below.
COMMANDS: dict[str, Entry] = {
    "advise": Entry("extension.advice.cli:advise_command",
                    "Advise a studiemiddag, a workshop or a lerend netwerk."),
    "appinfo": Entry({
        "check": Entry("extension.admin.cli:appinfo_check_command",
                       "Validate appinfo.yml (the app's own, or the file at PATH)."),
    }, "The app manifest (appinfo.yml)."),
    "check": Entry("extension.admin.cli:check_command",
                   "Check the app and each organisation's Nextcloud; exit 1 when a check fails."),
    "db": Entry("extension.cli:migration_commands", "Database migrations: run `db upgrade` after every install."),
    "demo": Entry("extension.demo:demo_command",
                  "Run the app with a local Nextcloud sandbox of two organisations and demo users."),
    "generate-key": Entry("extension.admin.cli:generate_key_command",
                          "Print a new encryption key to put first in ENCRYPTION_KEYS."),
    "network": Entry({
        "list": Entry("extension.networks.cli:list_command", "List the networks with their status and phase."),
        "create": Entry("extension.networks.cli:create_command", "Create a network from a network file."),
        "launch": Entry("extension.networks.cli:launch_command",
                        "Put the network into Nextcloud, or resume or verify an earlier launch."),
        "status": Entry("extension.networks.cli:status_command", "Show what exists of the network, per phase."),
        "sync": Entry("extension.sync.cli:sync_command", "Read back now what changed in Nextcloud."),
        "advance": Entry("extension.networks.lifecycle_cli:advance_command",
                         "Move the network to its next phase and hand out that phase's tasks."),
        "add-member": Entry("extension.networks.lifecycle_cli:add_member_command", "Add a member to the network."),
        "remove-member": Entry("extension.networks.lifecycle_cli:remove_member_command",
                               "Take a member out of the network."),
        "drift": Entry("extension.networks.lifecycle_cli:drift_command",
                       "Check (read-only) that everything of the network is still in Nextcloud."),
        "repair": Entry("extension.networks.lifecycle_cli:repair_command",
                        "Restore what disappeared or changed in Nextcloud."),
        "export": Entry("extension.networks.archive_cli:export_command", "Write the network as JSON."),
        "import": Entry("extension.networks.archive_cli:import_command", "Read a network from an export."),
        "end": Entry("extension.networks.archive_cli:end_command", "End and archive the network."),
    }, "Create, launch and follow learning networks."),
    "org": Entry({
        "add": Entry("extension.organisations.cli:add_command",
                     "Add an organisation (with or without Nextcloud)."),
        "list": Entry("extension.organisations.cli:list_command",
                      "List the organisations and the state of their connection."),
        "redirect-uri": Entry("extension.organisations.cli:redirect_uri_command",
                              "Print the redirect URI to register as OAuth2 client in each Nextcloud."),
    }, "Manage the organisations taking part."),
    "rotate-keys": Entry("extension.admin.cli:rotate_keys_command",
                         "Re-encrypt every stored secret with the newest key of ENCRYPTION_KEYS."),
    "routes": Entry("flask.cli:routes_command", "Show the routes of the web app."),
    "run": Entry("flask.cli:run_command", "Run the web app on the development server."),
    "shell": Entry("flask.cli:shell_command", "Open a Python shell with the app loaded."),
    "templates": Entry({
        "check": Entry("extension.network_templates.cli:check_command",
                       "Check a template folder (or its template.yml, or a folder of template folders)."),
        "list": Entry("extension.network_templates.cli:list_command",
                      "List the shipped templates and those in TEMPLATES_DIR."),
    }, "Check and list network templates."),
    "worker": Entry("extension.jobs.cli:worker_command", "Run background jobs (launches, syncs) until stopped."),
}

# Errors that mean "no, and here is why" (the message says it for the user), by module and class: an error
# of a module that is not loaded cannot have been raised, so checking costs no import.
REFUSALS = (
    "extension.config:ConfigError",
    "extension.problems:SourceError",
    "extension.network_templates.errors:UnknownTemplate",
    "extension.networks.service:NetworkNotFound",
    "extension.networks.service:DuplicateName",
    "extension.engine.errors:LaunchError",
    "extension.networks.phases:PhaseError",
    "extension.networks.members:MemberError",
    "extension.organisations.service:InvalidOrganisation",
    "extension.advice.service:InvalidAnswer",
    "extension.locks:LockBusy",
    "huey.exceptions:TaskLockedException",
)


class Refused(click.ClickException):
    """A command said no: its message, one line in the user's language, on stderr; exit code 1."""

    def show(self, file=None) -> None:
        click.echo(self.format_message(), err=True, file=file)


def refusal_message(exc: BaseException) -> str | None:
    """The user-facing message of a domain error, or None when `exc` is not one."""
    for name in REFUSALS:
        module, _sep, attribute = name.partition(":")
        loaded = sys.modules.get(module)
        cls = getattr(loaded, attribute, None) if loaded is not None else None
        if cls is not None and isinstance(exc, cls):
            if cls.__name__ == "TaskLockedException":
                return _("Another run is busy with this right now; try again in a moment.")
            if cls.__name__ == "LockBusy":
                return _("Another run is busy with this right now (%(owner)s); try again when it has finished.",
                         owner=getattr(exc, "owner", "?"))
            # KeyError's own str() quotes its key; an error that says more (UnknownTemplate) says it itself.
            bare_key = isinstance(exc, KeyError) and type(exc).__str__ is KeyError.__str__ and exc.args
            return str(exc.args[0]) if bare_key else str(exc)
    return None


def _t(text: str) -> str:
    """A help text in the chosen language; its msgid is the English text with runs of white space as one space."""
    return _(" ".join(text.split()))


def _translated(param: click.Parameter) -> click.Parameter:
    if getattr(param, "help", None):
        param = copy.copy(param)
        param.help = _t(param.help)
    return param


class Command(click.Command):
    """A click command whose help texts (English msgids) are shown in the chosen language."""

    def format_help_text(self, ctx, formatter) -> None:
        if self.help:
            with formatter.indentation():
                formatter.write_text(_t(self.help))

    def get_short_help_str(self, limit: int = 45) -> str:
        return _t(self.short_help) if self.short_help else super().get_short_help_str(limit)

    def get_params(self, ctx):
        return [_translated(p) for p in super().get_params(ctx)]


def command(name: str | None = None, *, app: bool = True, database: bool = True, pages: bool = True, **attrs):
    """Declare a command: `app` — it runs inside the app context; `database` — it needs a migrated database
    (checked before it runs, without creating one); `pages` — its app has the web pages (False for quick
    read-only commands, which then import no views). A refusal raised inside becomes one line and exit 1."""

    def decorate(function):
        @functools.wraps(function)
        def run(*args, **kwargs):
            ctx = click.get_current_context()
            try:
                if app:  # inside: a setting that stops the app (ConfigError) is a refusal too
                    _push_app_context(ctx, pages)
                if database:
                    require_migrated_database()
                _start_up_done()
                return function(*args, **kwargs)
            except click.exceptions.Exit:
                raise
            except Exception as exc:
                message = refusal_message(exc)
                if message is None:
                    raise
                raise Refused(message) from None

        declared = click.command(name, cls=Command, **attrs)(run)
        declared.needs_database = app and database
        return declared

    return decorate


def _push_app_context(ctx: click.Context, pages: bool) -> None:
    from flask import current_app

    if current_app:
        return
    # A caller's ScriptInfo (the tests pass one) builds the app; otherwise it is built here, without
    # importing flask.cli, which brings Werkzeug's development server with it (a tenth of a quick start-up).
    flask_cli = sys.modules.get("flask.cli")
    info = ctx.find_object(flask_cli.ScriptInfo) if flask_cli is not None else None
    if info is None:
        app = _create_app() if pages else _create_app_without_pages()
    else:
        if not pages and info.create_app is _create_app:
            info.create_app = _create_app_without_pages
        app = info.load_app()
    ctx.with_resource(app.app_context())


def script_info(ctx: click.Context):
    """Flask's handle on how to build the app: the caller's (tests pass one), else one with `create_app()`.
    Made here, on first need, so that `--help` and `--version` never import Flask."""
    from flask.cli import ScriptInfo

    info = ctx.find_object(ScriptInfo)
    if info is None:
        info = ScriptInfo(create_app=_create_app, set_debug_flag=False)
        ctx.find_root().obj = info
        ctx.obj = info
    return info


# -- the database check -------------------------------------------------------------------------------------

class NotMigrated(Refused):
    pass


def require_migrated_database() -> None:
    """Refuse (one line) unless the app's database exists and is at the migrations' head; never creates it."""
    from flask import current_app

    url = current_app.config["SQLALCHEMY_DATABASE_URI"]
    versions = _stored_versions(url)
    heads = migration_heads(str(current_app.config["MIGRATIONS_DIR"]))
    if versions == heads:
        return
    known = _known_revisions(str(current_app.config["MIGRATIONS_DIR"]))
    if versions and not versions <= known:
        raise NotMigrated(_("The database was migrated by a newer version of the app (%(revision)s); "
                            "install that version.", revision=", ".join(sorted(versions))))
    raise NotMigrated(_("The database is not ready: run `lerend-netwerk db upgrade` first."))


def _stored_versions(url: str) -> frozenset[str]:
    """The revisions in alembic_version; empty when the database or the table is not there."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_versions(parsed.database or "")
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    from extension.extensions import db

    try:
        with db.engine.connect() as connection:
            return frozenset(connection.execute(text("SELECT version_num FROM alembic_version")).scalars())
    except DBAPIError as exc:
        if exc.connection_invalidated or "alembic_version" not in str(exc.orig):
            raise Refused(_("The database cannot be reached (%(error)s); check DATABASE_URL.",
                            error=type(exc.orig).__name__)) from None
        return frozenset()


def _sqlite_versions(path: str) -> frozenset[str]:
    import sqlite3

    if not path or path == ":memory:" or path.startswith("file:"):
        return frozenset()
    if not os.path.isfile(path):
        return frozenset()
    # mode=ro: merely looking must never create or change the file.
    try:
        connection = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error:
        return frozenset()
    try:
        return frozenset(row[0] for row in connection.execute("SELECT version_num FROM alembic_version"))
    except sqlite3.Error:
        return frozenset()
    finally:
        connection.close()


_REVISION = re.compile(r'^revision\s*=\s*["\']([^"\']+)["\']', re.M)
_DOWN_REVISION = re.compile(r'^down_revision\s*=\s*(.+)$', re.M)


@functools.cache
def _revision_graph(directory: str) -> tuple[frozenset[str], frozenset[str]]:
    """(every revision, those that are another's parent), read from the migration files without Alembic."""
    revisions, parents = set(), set()
    for path in (Path(directory) / "versions").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        revision, down = _REVISION.search(text), _DOWN_REVISION.search(text)
        if revision:
            revisions.add(revision.group(1))
        if down:
            parents.update(re.findall(r'["\']([^"\']+)["\']', down.group(1)))
    return frozenset(revisions), frozenset(parents)


def _known_revisions(directory: str) -> frozenset[str]:
    return _revision_graph(directory)[0]


def migration_heads(directory: str) -> frozenset[str]:
    revisions, parents = _revision_graph(directory)
    return revisions - parents


# -- the groups ----------------------------------------------------------------------------------------------

class LazyGroup(click.Group):
    """A group whose commands come from a table and are imported when one of them is run (or its help shown)."""

    def __init__(self, name: str | None, table: dict[str, Entry], **attrs):
        super().__init__(name, **attrs)
        self.table = table

    def list_commands(self, ctx) -> list[str]:
        return sorted({*self.table, *self.commands})

    def get_command(self, ctx, name: str):
        if name in self.commands:
            return self.commands[name]
        entry = self.table.get(name)
        if entry is None:
            return None
        if isinstance(entry.target, dict):
            loaded = LazyGroup(name, entry.target, help=entry.help)
        else:
            module, _sep, attribute = entry.target.partition(":")
            loaded = getattr(importlib.import_module(module), attribute)
            if callable(loaded) and not isinstance(loaded, click.Command):
                loaded = loaded()
        loaded.short_help = entry.help
        if not isinstance(loaded, LazyGroup) and not hasattr(loaded, "needs_database"):
            # Flask's and Flask-Migrate's own commands find the app through the context's ScriptInfo.
            script_info(ctx)
            _start_up_done()
        self.commands[name] = loaded
        return loaded

    def format_commands(self, ctx, formatter) -> None:
        rows = [(name, _t(self.table[name].help) if name in self.table else self.commands[name].get_short_help_str())
                for name in self.list_commands(ctx)]
        if rows:
            with formatter.section(_("Commands")):
                formatter.write_dl(rows)

    def format_help_text(self, ctx, formatter) -> None:
        if self.help:
            with formatter.indentation():
                formatter.write_text(_t(self.help))

    def get_params(self, ctx):
        return [_translated(p) for p in super().get_params(ctx)]


def migration_commands() -> click.Group:
    """Flask-Migrate's `db` group, with the app's migrations registered when it runs (not at every start)."""
    from flask_migrate.cli import db

    return db


def _set_language(ctx, param, value) -> str:
    language = set_cli_language(value)
    _localise_click(language)
    return language


def _localise_click(language: str) -> None:
    """Click's own words (Usage, Options, Error, …) come from the same catalogue: it asks gettext's global
    domain, which reads the language from LANGUAGE."""
    gettext.bindtextdomain("messages", str(TRANSLATIONS_DIR))
    os.environ["LANGUAGE"] = language


def _print_version(ctx, param, value) -> None:
    if not value or ctx.resilient_parsing:
        return
    from extension import appinfo

    click.echo(f"{PROG} {appinfo.version()}")
    ctx.exit()


class Root(LazyGroup):
    def make_context(self, info_name, args, parent=None, **extra):
        set_cli_language(None)
        _localise_click(cli_language())
        return super().make_context(info_name, args, parent, **extra)

    def main(self, *args, **kwargs):
        # The language chosen for one run ends with it: a command invoked inside another process (the tests,
        # the web app's own CLI runner) leaves that process's language as it was.
        before, language_variable = cli_language(), os.environ.get("LANGUAGE")
        try:
            return super().main(*args, **kwargs)
        finally:
            set_cli_language(before)
            if language_variable is None:
                os.environ.pop("LANGUAGE", None)
            else:
                os.environ["LANGUAGE"] = language_variable


def _create_app():
    from extension import create_app

    return create_app()


def _create_app_without_pages():
    from extension import create_app

    return create_app({"WEB_PAGES": False})


def _root_callback(lang: str, verbose: int) -> None:
    from extension import logs

    logs.use_command_line("DEBUG" if verbose > 1 else "INFO" if verbose else "WARNING")


def build() -> Root:
    """The root group: the table above, with --lang, -v and --version."""
    return Root(PROG, COMMANDS, help="Lerend Netwerk for Nextcloud.", callback=_root_callback, params=[
        click.Option(["--lang"], type=click.Choice(["nl", "en"]), is_eager=True, expose_value=True,
                     callback=_set_language, help="Language of the messages (default: Dutch, or English when "
                                                  "LANG says so)."),
        click.Option(["-v", "--verbose"], count=True, help="Also show log lines below WARNING (on stderr)."),
        click.Option(["--version"], is_flag=True, is_eager=True, expose_value=False, callback=_print_version,
                     help="Show the version and exit."),
    ])


def _start_up_done() -> None:
    """The collector is off while a command starts: imports and the app's models make thousands of objects
    that live as long as the process, and collecting them over and over is a tenth of a quick command's
    start. What is there now is frozen (never scanned again); from here on the collector runs as usual."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()


def main() -> None:
    gc.disable()
    try:
        build().main(prog_name=PROG)
    finally:
        _start_up_done()
