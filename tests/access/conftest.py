"""The launched Doorgaande Lijn network (tests.networks) and one signed-in client per kind of person."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest

from extension.accounts.models import Account
from extension.extensions import db
from extension.links import service as links
from extension.networks.models import KnowledgeTask, Meeting, Membership, Network
from extension.organisations.models import Organisation, utcnow
from sandbox.demo import FUNCTIONAL_ACCOUNT
from tests.access.helpers import signed_in_client
from tests.access.mailbox import mailbox  # noqa: F401
from tests.extension.connected import connect_account
from tests.networks.conftest import HOST, SCHOOL, SLUG, sqlite_world, world  # noqa: F401

ROLES = ("anonymous", "participant", "other_network", "manager", "kartrekker", "admin", "valid_link",
         "expired_link", "revoked_link")


@dataclass
class People:
    """Who is who in the launched network, and what the access tests act on."""

    app: object
    sandbox: object
    accounts: dict[str, int]
    tokens: dict[str, str]
    link_ids: dict[str, int]
    meeting_id: int
    participant_task_id: int
    link_task_id: int

    def client(self, role: str):
        """A fresh client signed in as `role` (expired and revoked links had a session before they stopped)."""
        if role == "anonymous":
            return self.app.test_client()
        if role in self.accounts:
            return signed_in_client(self.app, account_id=self.accounts[role])
        return signed_in_client(self.app, link_id=self.link_ids[role])


def _other_network(organisation_id: int, account_user: str) -> None:
    """A second, active network in which `account_user` of organisation B is the only member."""
    network = Network(slug="ander-netwerk", name="Ander netwerk", topic="Rekenen", question="Hoe?", ambition="Zo.",
                      host_organisation_id=organisation_id, template_id="doorgaande-lijn", template_version=1,
                      status="active", starts_on=date.today(), folder_name="Ander netwerk",
                      calendar_uri="ln-ander-netwerk", tasklist_uri="ln-ander-netwerk-taken")
    network.memberships.append(Membership(organisation_id=organisation_id, name="Gert Mulder",
                                          email="gert@regenboog.example", user_id=account_user, role="kartrekker"))
    db.session.add(network)


@pytest.fixture
def people(sqlite_world) -> People:
    world = sqlite_world
    assert world.launch(world.create()).ok
    app, sandbox = world.app, world.sandbox
    accounts = {"participant": connect_account(app, sandbox, "a", "bram"),
                "manager": connect_account(app, sandbox, "a", "daan"),
                "kartrekker": connect_account(app, sandbox, "a", "anna"),
                "other_network": connect_account(app, sandbox, "b", "gert")}
    with app.app_context():
        host = db.session.query(Organisation).filter_by(slug=HOST).one()
        accounts["admin"] = db.session.query(Account).filter_by(organisation_id=host.id,
                                                                 user_id=FUNCTIONAL_ACCOUNT).one().id
        school = db.session.query(Organisation).filter_by(slug=SCHOOL).one()
        _other_network(school.id, "gert")
        network = db.session.query(Network).filter_by(slug=SLUG).one()
        valid = links.issue(network.id, "iris@kompas.example", "Iris Kok")
        expired = links.issue(network.id, "eva@regenboog.example", "Eva Smit")
        revoked = links.issue(network.id, "hanna@regenboog.example", "Hanna Bos")
        db.session.commit()
        tokens = {"valid_link": links.token_for(valid), "expired_link": links.token_for(expired),
                  "revoked_link": links.token_for(revoked)}
        link_ids = {"valid_link": valid.id, "expired_link": expired.id, "revoked_link": revoked.id}
        meeting = db.session.query(Meeting).filter_by(network_id=network.id).order_by(Meeting.starts_at).first()
        bram = db.session.query(Membership).filter_by(network_id=network.id, user_id="bram").one()
        iris = db.session.query(Membership).filter_by(network_id=network.id, email="iris@kompas.example").one()
        participant_task = db.session.query(KnowledgeTask).filter_by(membership_id=bram.id).first()
        link_task = db.session.query(KnowledgeTask).filter_by(membership_id=iris.id).first()
        ids = (meeting.id, participant_task.id, link_task.id)
        # Both stop working after they were issued; a session opened with either ends with it.
        expired.expires_at = utcnow() - timedelta(days=1)
        links.revoke(revoked)
        db.session.commit()
    return People(app, sandbox, accounts, tokens, link_ids, *ids)
