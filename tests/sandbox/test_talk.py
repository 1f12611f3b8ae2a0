"""The sandbox's Nextcloud Talk endpoints answer like Talk's RoomController (statuses and `error` keys), over
real HTTP; Talk switched off is a Nextcloud without the app."""
import pytest
import requests

from tests.sandbox import util

TALK = "/ocs/v2.php/apps/spreed/api/v4"


@pytest.fixture
def a(sandbox):
    return sandbox.org("a")


@pytest.fixture
def b(sandbox):
    return sandbox.org("b")


def ocs(org, uid, method, path, **kwargs):
    headers = {**util.bearer(org, uid), "OCS-APIRequest": "true", "Accept": "application/json"}
    params = {"format": "json", **kwargs.pop("params", {})}
    return requests.request(method, org.base_url + path, params=params, headers=headers, timeout=5, **kwargs)


def create(org, uid="anna", name="Taal", **extra):
    return ocs(org, uid, "POST", f"{TALK}/room", data={"roomType": "2", "roomName": name, **extra})


def data(response):
    return response.json()["ocs"]["data"]


def test_capabilities_list_spreed_with_features_and_federation_config_and_omit_it_without_talk(a):
    spreed = data(ocs(a, "anna", "GET", "/ocs/v2.php/cloud/capabilities"))["capabilities"]["spreed"]
    assert "conversation-creation-all" in spreed["features"]
    assert spreed["config"]["federation"]["enabled"] is True and spreed["config"]["conversations"]["can-create"]
    a.talk.enabled = False
    assert "spreed" not in data(ocs(a, "anna", "GET", "/ocs/v2.php/cloud/capabilities"))["capabilities"]
    gone = create(a)
    assert gone.status_code == 404 and gone.json()["ocs"]["meta"]["statuscode"] == 998


def test_a_group_conversation_is_created_with_its_participants_in_one_call(a, b):
    response = ocs(a, "anna", "POST", f"{TALK}/room", data=[
        ("roomType", "2"), ("roomName", "Taal"), ("description", "ref x"), ("participants[users][]", "bram"),
        ("participants[federated_users][]", f"eva@{b.host}")])
    assert response.status_code == 201
    room = data(response)
    assert (room["type"], room["name"], room["description"], room["participantType"]) == (2, "Taal", "ref x", 1)
    people = data(ocs(a, "anna", "GET", f"{TALK}/room/{room['token']}/participants"))
    assert {(p["actorType"], p["actorId"], p["participantType"]) for p in people} == {
        ("users", "anna", 1), ("users", "bram", 3), ("federated_users", f"eva@{b.host}", 3)}


def test_some_invalid_participants_give_202_with_the_list_and_only_invalid_ones_404_invite(a):
    partly = ocs(a, "anna", "POST", f"{TALK}/room", data=[
        ("roomType", "2"), ("roomName", "Taal"), ("participants[users][]", "bram"),
        ("participants[users][]", "niemand")])
    assert partly.status_code == 202 and data(partly)["invalidParticipants"] == {"users": ["niemand"]}
    none = ocs(a, "anna", "POST", f"{TALK}/room", data=[
        ("roomType", "2"), ("roomName", "Taal"), ("participants[users][]", "niemand")])
    assert (none.status_code, data(none)) == (404, {"error": "invite"})
    assert len(a.talk.conversations()) == 1


def test_creation_is_refused_without_a_name_or_without_the_right_to_create(a):
    assert (create(a, name="").status_code, data(create(a, name=""))) == (400, {"error": "name"})
    a.talk.can_create = False
    refused = create(a)
    assert (refused.status_code, data(refused)) == (403, {"error": "permissions"})


def test_adding_someone_already_there_is_a_quiet_200_and_an_unknown_user_404_new_participant(a):
    token = data(create(a))["token"]
    for _ in range(2):
        assert ocs(a, "anna", "POST", f"{TALK}/room/{token}/participants",
                   data={"newParticipant": "bram", "source": "users"}).status_code == 200
    assert len(a.talk.conversation(token).attendees) == 2
    unknown = ocs(a, "anna", "POST", f"{TALK}/room/{token}/participants", data={"newParticipant": "niemand"})
    assert (unknown.status_code, data(unknown)) == (404, {"error": "new-participant"})


def test_federated_participants_need_talk_federation_and_a_reachable_remote(a, b):
    token = data(create(a))["token"]
    bad = ocs(a, "anna", "POST", f"{TALK}/room/{token}/participants",
              data={"newParticipant": "eva@127.0.0.1:1", "source": "federated_users"})
    assert (bad.status_code, data(bad)) == (404, {"error": "reach-remote"})
    a.talk.federation = False
    off = ocs(a, "anna", "POST", f"{TALK}/room/{token}/participants",
              data={"newParticipant": f"eva@{b.host}", "source": "federated_users"})
    assert (off.status_code, data(off)) == (501, {"error": "federation"})


def test_a_conversation_the_caller_is_not_in_is_404_and_only_moderators_change_it(a):
    token = data(create(a))["token"]
    assert ocs(a, "bram", "GET", f"{TALK}/room/{token}").status_code == 404
    ocs(a, "anna", "POST", f"{TALK}/room/{token}/participants", data={"newParticipant": "bram"})
    assert ocs(a, "bram", "GET", f"{TALK}/room/{token}").status_code == 200
    assert ocs(a, "bram", "PUT", f"{TALK}/room/{token}", data={"roomName": "Anders"}).status_code == 403


def test_removing_an_attendee_by_id_the_owner_refused_and_an_unknown_one_404_participant(a):
    token = data(create(a))["token"]
    ocs(a, "anna", "POST", f"{TALK}/room/{token}/participants", data={"newParticipant": "bram"})
    ocs(a, "anna", "POST", f"{TALK}/room/{token}/participants", data={"newParticipant": "chantal"})
    people = {p["actorId"]: p for p in data(ocs(a, "anna", "GET", f"{TALK}/room/{token}/participants"))}
    remove_bram = {"attendeeId": people["bram"]["attendeeId"]}
    bram = ocs(a, "anna", "DELETE", f"{TALK}/room/{token}/attendees", params=remove_bram)
    assert bram.status_code == 200 and "bram" not in {x.actor_id for x in a.talk.conversation(token).attendees}
    again = ocs(a, "anna", "DELETE", f"{TALK}/room/{token}/attendees", params=remove_bram)
    assert (again.status_code, data(again)) == (404, {"error": "participant"})
    # A moderator may not remove the owner (RoomController::removeAttendeeFromRoom).
    a.talk.conversation(token).attendees[-1].participant_type = 2
    owner = ocs(a, "chantal", "DELETE", f"{TALK}/room/{token}/attendees",
                params={"attendeeId": people["anna"]["attendeeId"]})
    assert (owner.status_code, data(owner)) == (403, {"error": "owner"})


def test_rename_description_and_read_only(a):
    token = data(create(a))["token"]
    assert ocs(a, "anna", "PUT", f"{TALK}/room/{token}", data={"roomName": "Taal (afgerond)"}).status_code == 200
    assert ocs(a, "anna", "PUT", f"{TALK}/room/{token}/description", data={"description": "x"}).status_code == 200
    assert ocs(a, "anna", "PUT", f"{TALK}/room/{token}/read-only", data={"state": "2"}).status_code == 400
    assert ocs(a, "anna", "PUT", f"{TALK}/room/{token}/read-only", data={"state": "1"}).status_code == 200
    room = data(ocs(a, "anna", "GET", f"{TALK}/room/{token}"))
    assert (room["name"], room["description"], room["readOnly"]) == ("Taal (afgerond)", "x", 1)
    assert [r["token"] for r in data(ocs(a, "anna", "GET", f"{TALK}/room"))] == [token]
