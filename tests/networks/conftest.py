"""Fixtures for launching networks: two connected sandbox organisations, one without Nextcloud, a network file.

The Doorgaande Lijn network of the acceptance test has 8 members from 3 organisations: 5 on organisation
A's Nextcloud, 2 on B's, and 1 from an organisation without Nextcloud.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest

from extension.accounts.models import Account
from extension.extensions import db
from extension.network_templates import get_template, load_network_file
from tests.networks.calls import launch
from extension.networks.service import create_network
from extension.organisations import service as organisations
from sandbox.demo import FUNCTIONAL_ACCOUNT
from tests.extension.connected import connect_account

HOST = "kinderopvang-de-zonnebloem"
SCHOOL = "basisschool-de-regenboog"
NO_NEXTCLOUD = "peuterspeelzaal-het-kompas"
SLUG = "doorgaande-lijn-taal-zuilen"
# demo.py has four people in organisation A; the network needs a fifth there.
EXTRA_USERS = {"a": [("fatima", "Fatima El Amrani", ("medewerkers",))]}  # all in zonnebloem.example

MEMBERS = [
    # name, e-mail, organisation, Nextcloud user, role, expertise
    ("Anna de Vries", "anna@zonnebloem.example", HOST, "anna", "kartrekker", "pedagogisch coach"),
    ("Bram Jansen", "bram@zonnebloem.example", HOST, "bram", "deelnemer", "pedagogisch medewerker"),
    ("Chantal Bakker", "chantal@zonnebloem.example", HOST, "chantal", "deelnemer", "pedagogisch medewerker"),
    ("Fatima El Amrani", "fatima@zonnebloem.example", HOST, "fatima", "deelnemer", "pedagogisch medewerker peuters"),
    ("Daan Visser", "daan@zonnebloem.example", HOST, "daan", "manager", "leidinggevende"),
    ("Eva Smit", "eva@regenboog.example", SCHOOL, "eva", "deelnemer", "leerkracht groep 1-2"),
    ("Hanna Bos", "hanna@regenboog.example", SCHOOL, "hanna", "manager", "directeur"),
    ("Iris Kok", "iris@kompas.example", NO_NEXTCLOUD, None, "deelnemer", "pedagogisch medewerker"),
]


def network_yaml(name: str = "Doorgaande lijn Taal Zuilen", start: date | None = None) -> str:
    start = start or date.today() + timedelta(days=14)
    members = "\n".join(
        f"  - {{name: {n}, email: {e}, organisation: {o}, role: {r}, expertise: {x}"
        + (f", user: {u}}}" if u else "}") for n, e, o, u, r, x in MEMBERS)
    quoted = name.replace("\\", "\\\\").replace('"', '\\"')
    return f"""\
name: "{quoted}"
topic: Mondelinge taal
question: Hoe sluit de taalaanpak van peuters aan op die van kleuters?
ambition: Elk kind start in groep 1 met een aanpak die het al kent.
template: doorgaande-lijn
host: {HOST}
start: {start.isoformat()}
place: De Zonnebloem, Zuilen
kartrekker: anna@zonnebloem.example
members:
{members}
commitments:
  - {{organisation: {HOST}, manager: daan@zonnebloem.example, hours_per_month: 4, podium: teamoverleg}}
  - {{organisation: {SCHOOL}, manager: hanna@regenboog.example, hours_per_month: 3, podium: bouwvergadering}}
  - {{organisation: {NO_NEXTCLOUD}, manager: {{name: Joke Meijer, email: joke@kompas.example}},
     hours_per_month: 2, podium: werkoverleg}}
"""


@dataclass
class World:
    """An app and a sandbox with the three organisations of the network file at `network_file`."""

    app: object
    sandbox: object
    network_file: Path

    def create(self, path: Path | None = None):
        """Create the network of `path` (default: the Doorgaande Lijn file) with the services."""
        with self.app.app_context():
            spec = load_network_file(path or self.network_file, organisations=[HOST, SCHOOL, NO_NEXTCLOUD],
                                     templates=["doorgaande-lijn"])
            created = create_network(self.app, spec, get_template(spec.template))
            return created.network.slug

    def launch(self, slug: str = SLUG, progress=None):
        with self.app.app_context():
            return launch(self.app, slug, progress)


def build_world(app, sandbox, folder: Path) -> World:
    """Add the extra demo user, connect A and B through their functional accounts (the organisation
    connections), add the organisation without Nextcloud, and write the network file."""
    for key, users in EXTRA_USERS.items():
        for uid, display_name, groups in users:
            sandbox.org(key).add_user(uid, password=uid, display_name=display_name, email=f"{uid}@zonnebloem.example",
                                      groups=list(groups))
    for key in ("a", "b"):
        account_id = connect_account(app, sandbox, key, FUNCTIONAL_ACCOUNT)
        with app.app_context():
            account = db.session.get(Account, account_id)
            account.organisation.connection_account_id = account.id
            db.session.commit()
    with app.app_context():
        organisations.add_organisation(organisations.OrganisationInput(
            name="Peuterspeelzaal Het Kompas", kind="peuterspeelzaal"))
    path = folder / "netwerk.yml"
    path.write_text(network_yaml(), encoding="utf-8")
    return World(app, sandbox, path)


@pytest.fixture
def world(app, sandbox, tmp_path) -> World:
    """The three organisations on the parametrised database (SQLite and PostgreSQL)."""
    return build_world(app, sandbox, tmp_path)


@pytest.fixture
def sqlite_world(sqlite_app, sandbox, tmp_path) -> World:
    return build_world(sqlite_app, sandbox, tmp_path)
