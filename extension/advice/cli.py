"""`lerend-netwerk advise`: the form advice on the command line, asked interactively or given by flags."""
from __future__ import annotations

import click

from extension.advice.service import DURATIONS, GOALS, advise
from extension.cli import command
from extension.i18n import _


def _choose(question: str, choices: dict[str, str]) -> str:
    click.echo(question)
    keys = list(choices)
    for number, key in enumerate(keys, start=1):
        click.echo(f"  {number}. {choices[key]}")
    number = click.prompt(_("Your choice"), type=click.IntRange(1, len(keys)))
    return keys[number - 1]


@command("advise", app=False, database=False)
@click.option("--goal", type=click.Choice(list(GOALS)),
              help="inspireren: inspire each other and meet; expertise: gain ideas or expertise; "
                   "vraagstuk: work on a shared question together for a longer time.")
@click.option("--duration", type=click.Choice(list(DURATIONS)),
              help="dagdeel (half a day), maanden (a few weeks to months) or jaar (a year or longer).")
@click.option("--organisations", type=click.IntRange(min=1), help="Number of organisations taking part.")
def advise_command(goal, duration, organisations):
    """Advise a studiemiddag, a workshop or a lerend netwerk (asks what is not given)."""
    if goal is None:
        goal = _choose(_("What is the goal?"), GOALS)
    if duration is None:
        duration = _choose(_("How long do you want to work together?"), DURATIONS)
    if organisations is None:
        organisations = click.prompt(_("How many organisations take part?"), type=click.IntRange(min=1))
    advice = advise(goal, duration, organisations)
    click.echo(_("Advice: %(title)s", title=advice.title))
    click.echo(advice.reason)
    for note in advice.notes:
        click.echo(f"- {note}")
