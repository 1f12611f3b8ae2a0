"""`lerend-netwerk advise`: the form advice on the command line, asked interactively or given by flags."""
from __future__ import annotations

import click

from extension.advice.service import DURATIONS, GOALS, advise


def _choose(question: str, choices: dict[str, str]) -> str:
    click.echo(question)
    keys = list(choices)
    for number, key in enumerate(keys, start=1):
        click.echo(f"  {number}. {choices[key]}")
    number = click.prompt("Uw keuze", type=click.IntRange(1, len(keys)))
    return keys[number - 1]


@click.command("advise")
@click.option("--goal", type=click.Choice(list(GOALS)),
              help="inspireren: elkaar inspireren en ontmoeten; expertise: ideeën of expertise opdoen; "
                   "vraagstuk: langere tijd samen werken aan een gedeeld vraagstuk.")
@click.option("--duration", type=click.Choice(list(DURATIONS)),
              help="dagdeel, maanden (een paar weken tot maanden) of jaar (een jaar of langer).")
@click.option("--organisations", type=click.IntRange(min=1), help="Aantal organisaties dat meedoet.")
def advise_command(goal, duration, organisations):
    """Advise a studiemiddag, a workshop or a lerend netwerk (asks what is not given)."""
    if goal is None:
        goal = _choose("Wat is het doel?", GOALS)
    if duration is None:
        duration = _choose("Hoe lang wilt u samen optrekken?", DURATIONS)
    if organisations is None:
        organisations = click.prompt("Hoeveel organisaties doen mee?", type=click.IntRange(min=1))
    advice = advise(goal, duration, organisations)
    click.echo(f"Advies: {advice.title}")
    click.echo(advice.reason)
    for note in advice.notes:
        click.echo(f"- {note}")
