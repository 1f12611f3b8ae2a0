"""The collector is off only while a command starts: the command itself (a worker running for weeks, say) runs
with it on, and the process is left as it was found."""
from __future__ import annotations

import gc
import sys

import click
import pytest

from extension import cli
from extension.cli import Entry, command

SEEN: list[bool] = []


@pytest.fixture(autouse=True)
def unfrozen():
    """main() freezes what start-up made; in the test process that would keep every earlier test's garbage."""
    yield
    gc.unfreeze()


@command("probe", app=False, database=False)
def probe_command() -> None:
    SEEN.append(gc.isenabled())
    click.echo("probe ran")


def test_a_command_runs_with_the_collector_on_and_leaves_it_on(monkeypatch, capsys):
    monkeypatch.setitem(cli.COMMANDS, "probe", Entry(f"{__name__}:probe_command", "A probe."))
    monkeypatch.setattr(sys, "argv", ["lerend-netwerk", "probe"])
    SEEN.clear()
    with pytest.raises(SystemExit) as ended:
        cli.main()
    assert ended.value.code == 0 and "probe ran" in capsys.readouterr().out
    assert SEEN == [True]
    assert gc.isenabled()


def test_a_refused_command_leaves_the_collector_on(monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["lerend-netwerk", "no-such-command"])
    with pytest.raises(SystemExit) as ended:
        cli.main()
    assert ended.value.code != 0
    assert gc.isenabled()
