"""Every command that needs the database, run against one that is not migrated: one line saying to run
`lerend-netwerk db upgrade`, exit code 1, no traceback, and no database or job store file created."""
from __future__ import annotations

import os
import subprocess
import sys

import click
import pytest
from click.testing import CliRunner
from flask.cli import ScriptInfo

from extension import create_app
from extension.cli import build

SCRIPT = os.path.join(os.path.dirname(sys.executable), "lerend-netwerk")
DUTCH = "De database is nog niet klaar: voer eerst `lerend-netwerk db upgrade` uit."
ENGLISH = "The database is not ready: run `lerend-netwerk db upgrade` first."


def every_command(group: click.Group, ctx: click.Context, path=()):
    """(path, command) for every leaf of the click tree, found by walking it (nothing listed by hand)."""
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if isinstance(command, click.Group):
            yield from every_command(command, ctx, (*path, name))
        else:
            yield (*path, name), command


def dummy_arguments(command: click.Command, tmp_path) -> list[str]:
    """Values that get every required parameter past click's own checks, so that the command itself runs."""
    existing = tmp_path / "existing.yml"
    existing.write_text("", encoding="utf-8")
    args = []
    for param in command.params:
        if not param.required:
            continue
        kind = param.type
        value = (str(existing) if isinstance(kind, click.Path) and kind.file_okay else
                 str(tmp_path) if isinstance(kind, click.Path) else
                 kind.choices[0] if isinstance(kind, click.Choice) else
                 "1" if isinstance(kind, (click.types.IntParamType, click.IntRange)) else "x")
        args += [param.opts[0], value] if isinstance(param, click.Option) else [value]
    return args


@pytest.fixture
def unmigrated(tmp_path):
    database, jobs = tmp_path / "nooit.sqlite", tmp_path / "jobs.sqlite"
    config = {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}", "JOBS_SQLITE": str(jobs),
              "SECRET_KEY": "test", "ENCRYPTION_KEYS": ["bXwQ2tUBKXWqzyy_bt7Me62RBQRnFpcXi9pd8dXxZmk="]}
    return database, jobs, ScriptInfo(create_app=lambda: create_app(config), set_debug_flag=False)


def database_commands():
    root = build()
    ctx = click.Context(root)
    return [(path, command) for path, command in every_command(root, ctx)
            if getattr(command, "needs_database", False)]


def test_the_walk_finds_the_database_commands_of_every_group():
    found = {" ".join(path) for path, _command in database_commands()}
    assert {"network list", "network launch", "network advance", "network sync", "org list", "org add", "check",
            "rotate-keys", "worker", "network end"} <= found


@pytest.mark.parametrize("path,command", database_commands(), ids=lambda v: " ".join(v) if isinstance(v, tuple) else "")
def test_a_command_on_an_unmigrated_database_says_one_line_and_creates_no_file(path, command, unmigrated, tmp_path):
    database, jobs, info = unmigrated
    result = CliRunner().invoke(build(), [*path, *dummy_arguments(command, tmp_path)], obj=info,
                                env={"LC_ALL": None, "LC_MESSAGES": None, "LANG": "C.UTF-8"})
    assert result.exit_code == 1, result.output
    assert result.output.splitlines() == [DUTCH]
    assert result.stdout == ""
    assert not database.exists() and not jobs.exists()


def test_the_console_script_on_an_unmigrated_database_prints_one_line_on_stderr(tmp_path):
    database = tmp_path / "nooit.sqlite"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}", "LN_JOBS_SQLITE": str(tmp_path / "jobs.sqlite"),
           "LN_INSTANCE_PATH": str(tmp_path / "instance"), "LANG": "en_US.UTF-8"}
    env.pop("LC_ALL", None)
    env.pop("LC_MESSAGES", None)
    result = subprocess.run([SCRIPT, "network", "status", "x"], capture_output=True, text=True, env=env, timeout=120)
    assert (result.returncode, result.stdout, result.stderr) == (1, "", ENGLISH + "\n")
    assert not database.exists()
    assert not (tmp_path / "jobs.sqlite").exists()
