"""TalkClient: what the capabilities say about Talk, group conversations and participants, Talk's refusals as
typed errors carrying its `error` key (nextcloud/spreed lib/Capabilities.php, lib/Controller/RoomController.php)."""

from __future__ import annotations

import json

import pytest
from werkzeug.wrappers import Response

from connectors import errors, http
from connectors.ocs import OcsClient
from connectors.talk import FEDERATED_USERS, NotFoundRefused, TalkClient, TalkRefused, TalkSupport


def test_support_reads_features_and_talk_federation_from_the_spreed_capabilities():
    assert TalkSupport.from_capabilities({"capabilities": {"files": {}}}).available is False
    spreed = {"features": ["conversation-creation-all", "room-description"],
              "config": {"conversations": {"can-create": True},
                         "federation": {"enabled": True, "outgoing-enabled": False}}}
    support = TalkSupport.from_capabilities({"capabilities": {"spreed": spreed}})
    assert (support.available, support.can_create, support.federation, support.create_with_participants,
            support.description, support.read_only) == (True, True, False, True, True, False)


def test_a_refusal_carries_talks_error_key_and_a_404_is_also_not_found(fake_server):
    def refusal(status, reason):
        return lambda r, c: Response(json.dumps({"ocs": {"meta": {"status": "failure", "statuscode": status,
                                                                  "message": ""}, "data": {"error": reason}}}),
                                     status, content_type="application/json")

    base = "/ocs/v2.php/apps/spreed/api/v4/room/tok"
    fake_server.route("POST", f"{base}/participants", refusal(501, "federation"))
    fake_server.route("GET", base, refusal(404, None))
    talk = TalkClient(OcsClient(fake_server.base_url, http.make_session(retries=0), None))
    with pytest.raises(TalkRefused) as refused:
        talk.add("tok", "eva@elders", FEDERATED_USERS)
    assert (refused.value.status, refused.value.reason) == (501, "federation")
    with pytest.raises(errors.NotFound):
        talk.conversation("tok")
    seen = fake_server.hits("POST")[0]
    assert seen.headers["Ocs-Apirequest"] == "true" and seen.form == {"newParticipant": "eva@elders",
                                                                      "source": "federated_users"}


# -- contract: against the sandbox ------------------------------------------------------------------------

def test_a_group_conversation_with_participants_and_its_link(anna, org_a, sandbox):
    talk = anna.client.talk
    assert talk.support().create_with_participants
    eva = f"eva@{sandbox.org('b').host}"
    made = talk.create_group("Taal", description="ref 1", users=["bram"], federated=[eva])
    assert (made.type, made.name, made.participant_type, made.invalid) == (2, "Taal", 1, {})
    assert {(p.actor_type, p.actor_id) for p in talk.participants(made.token)} == {
        ("users", "anna"), ("users", "bram"), ("federated_users", eva)}
    assert talk.url(made.token) == f"{org_a.base_url}/index.php/call/{made.token}"
    assert [c.token for c in talk.conversations()] == [made.token]


def test_removing_someone_twice_is_not_found_with_the_participant_reason(anna):
    talk = anna.client.talk
    token = talk.create_group("Taal", users=["bram"]).token
    bram = next(p for p in talk.participants(token) if p.actor_id == "bram")
    talk.remove(token, bram.attendee_id)
    with pytest.raises(NotFoundRefused) as gone:
        talk.remove(token, bram.attendee_id)
    assert gone.value.reason == "participant"
