"""The sandbox's page at Talk's conversation link shows the conversation to its participants only."""

from tests.sandbox.web import ocs, signed_in

TALK = "/ocs/v2.php/apps/spreed/api/v4"


def test_the_conversation_link_opens_a_page_with_its_participants_for_them_only(sandbox):
    a = sandbox.org("a")
    made = ocs(a, "anna", "POST", f"{TALK}/room", roomType="2", roomName="Doorgaande lijn", description="ref 1")
    token = made.json()["ocs"]["data"]["token"]
    ocs(a, "anna", "POST", f"{TALK}/room/{token}/participants", newParticipant="bram")
    ocs(a, "anna", "PUT", f"{TALK}/room/{token}/read-only", state="1")
    page = signed_in(a, "bram").get(f"{a.base_url}/index.php/call/{token}", timeout=10)
    assert page.status_code == 200
    assert "Doorgaande lijn" in page.text and "Deelnemers (2)" in page.text and "Alleen lezen" in page.text
    assert signed_in(a, "chantal").get(f"{a.base_url}/index.php/call/{token}", timeout=10).status_code == 404
