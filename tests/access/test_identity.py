"""A signed-in person is (organisation, Nextcloud user id) as the OAuth token says, never an e-mail address."""
from tests.access.helpers import sign_in
from tests.networks.conftest import SCHOOL


def test_a_user_of_another_organisation_who_copies_a_members_email_does_not_see_the_network(sqlite_world):
    sqlite_world.launch(sqlite_world.create())
    app, sandbox = sqlite_world.app, sqlite_world.sandbox
    # gert of organisation B sets his Nextcloud e-mail to that of bram, a member for organisation A.
    sandbox.org("b").state.user("gert").email = "bram@zonnebloem.example"
    page = sign_in(app.test_client(), SCHOOL, "gert").get_data(as_text=True)
    assert "Welkom, Gert Mulder." in page
    assert "Doorgaande lijn Taal Zuilen" not in page


def test_a_member_is_recognised_by_organisation_and_user_id_whatever_email_they_set(sqlite_world):
    sqlite_world.launch(sqlite_world.create())
    app, sandbox = sqlite_world.app, sqlite_world.sandbox
    sandbox.org("b").state.user("eva").email = "someone-else@example.org"
    page = sign_in(app.test_client(), SCHOOL, "eva").get_data(as_text=True)
    assert "Doorgaande lijn Taal Zuilen" in page
