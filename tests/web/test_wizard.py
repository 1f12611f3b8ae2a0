"""The wizard at /networks/new, walked with the test client: drafts, the network file's checks, sharee search,
YAML round trip and Lanceren."""
from __future__ import annotations

import html
import re
from datetime import date, timedelta

import yaml

from extension.dashboard.models import WizardDraft
from extension.extensions import db
from extension.networks.models import Network
from tests.extension.connected import connect_account
from tests.networks.conftest import HOST, NO_NEXTCLOUD, SCHOOL
from tests.web.conftest import signed_in


def _start(client) -> str:
    response = client.post("/networks/new")
    assert response.status_code == 302
    return response.headers["Location"].rsplit("/", 1)[0]


def _monday_in(weeks: int) -> date:
    day = date.today() + timedelta(weeks=weeks)
    return day - timedelta(days=day.weekday())


def fill_wizard(client, base: str, name: str = "Taal in Zuilen") -> None:
    assert client.post(f"{base}/1", data={"goal": "vraagstuk", "duration": "jaar", "organisations": "3"}).status_code == 302
    assert client.post(f"{base}/2", data={"template": "doorgaande-lijn"}).status_code == 302
    assert client.post(f"{base}/3", data={
        "name": name, "topic": "Mondelinge taal", "question": "Hoe sluiten we aan?", "ambition": "Een doorgaande lijn.",
        "start": _monday_in(3).isoformat(), "place": "Zuilen", "region": "midden", "rhythm-per_year": "6",
        "rhythm-weekday": "dinsdag", "rhythm-start_time": "15:30"}).status_code == 302
    members = [
        ("Anna de Vries", "anna@zonnebloem.example", HOST, "anna", "kartrekker", "pedagogisch coach"),
        ("Eva Smit", "eva@regenboog.example", SCHOOL, "eva", "deelnemer", "leerkracht groep 1-2"),
        ("Iris Kok", "iris@kompas.example", NO_NEXTCLOUD, "", "deelnemer", "pedagogisch medewerker"),
    ]
    form = {"host": HOST, "member_count": str(len(members))}
    for n, (member_name, email, org, user, role, expertise) in enumerate(members):
        form.update({f"members-{n}-name": member_name, f"members-{n}-email": email, f"members-{n}-organisation": org,
                     f"members-{n}-user": user, f"members-{n}-role": role, f"members-{n}-expertise": expertise})
    assert client.post(f"{base}/4", data=form).status_code == 302
    assert client.post(f"{base}/5", data={
        "commitment": [HOST, SCHOOL, NO_NEXTCLOUD],
        f"commit-{HOST}-manager": "anna@zonnebloem.example", f"commit-{HOST}-hours_per_month": "4",
        f"commit-{HOST}-podium": "teamoverleg",
        f"commit-{SCHOOL}-manager": "other", f"commit-{SCHOOL}-manager_name": "Hanna Bos",
        f"commit-{SCHOOL}-manager_email": "hanna@regenboog.example", f"commit-{SCHOOL}-hours_per_month": "3",
        f"commit-{SCHOOL}-podium": "bouwvergadering",
        f"commit-{NO_NEXTCLOUD}-manager": "other", f"commit-{NO_NEXTCLOUD}-manager_name": "Joke Meijer",
        f"commit-{NO_NEXTCLOUD}-manager_email": "joke@kompas.example", f"commit-{NO_NEXTCLOUD}-hours_per_month": "2",
        f"commit-{NO_NEXTCLOUD}-podium": "werkoverleg"}).status_code == 302


def test_wizard_walks_six_steps_reviews_in_dutch_and_launches(sqlite_world):
    app = sqlite_world.app
    client = signed_in(app, connect_account(app, sqlite_world.sandbox, "a", "anna"))
    base = _start(client)
    fill_wizard(client, base)
    review = html.unescape(client.get(f"{base}/6").get_data(as_text=True))
    assert "Lerende netwerken/Taal in Zuilen" in review, review
    predicted = int(re.search(r"De start kost \d+ stappen en (\d+) verzoeken aan Nextcloud", review).group(1))
    before = sum(len(org.request_log) for org in sqlite_world.sandbox.orgs.values())
    launched = client.post(base + "/launch")
    assert launched.status_code == 302, launched.get_data(as_text=True)
    run = client.get(launched.headers["Location"] + ".json").get_json()
    assert run["status"] == "done", run
    # The review's count is the dry run of the very plan the launch then ran.
    assert sum(len(org.request_log) for org in sqlite_world.sandbox.orgs.values()) - before == predicted
    with app.app_context():
        network = db.session.query(Network).filter_by(name="Taal in Zuilen").one()
        assert network.status == "active"
        assert all(m.start.weekday() < 5 for m in network.meetings)


def test_a_step_with_mistakes_is_saved_and_shows_the_network_file_messages_next_to_the_field(sqlite_world):
    app = sqlite_world.app
    client = signed_in(app, connect_account(app, sqlite_world.sandbox, "a", "anna"))
    base = _start(client)
    response = client.post(f"{base}/3", data={"name": "", "topic": "Taal", "start": "morgen"})
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "ontbreekt" in text and "is geen geldige datum" in text
    # saved anyway: a reload shows what was typed
    assert 'value="Taal"' in client.get(f"{base}/3").get_data(as_text=True)


def test_sharee_search_finds_people_of_the_other_organisation_and_adds_them(sqlite_world):
    app = sqlite_world.app
    client = signed_in(app, connect_account(app, sqlite_world.sandbox, "a", "anna"))
    base = _start(client)
    draft_id = int(base.rsplit("/", 1)[1])
    assert client.post(f"/networks/new/{draft_id}/search", data={"search_organisation": SCHOOL, "q": "eva"}).status_code == 302
    page = client.get(f"{base}/4").get_data(as_text=True)
    assert "Eva" in page
    pick = re.search(r'name="go" value="(pick-\d+)"', page).group(1)
    client.post(f"{base}/4", data={"host": HOST, "member_count": "1", "members-0-name": "Anna de Vries",
                                   "members-0-email": "anna@zonnebloem.example", "members-0-organisation": HOST,
                                   "members-0-user": "anna", "members-0-role": "kartrekker", "go": pick})
    with app.app_context():
        members = db.session.get(WizardDraft, draft_id).data["members"]
    assert members[1]["organisation"] == SCHOOL and members[1]["user"] == "eva"


def test_draft_downloads_as_a_network_file_and_an_upload_prefills_the_wizard(sqlite_world, tmp_path):
    app = sqlite_world.app
    client = signed_in(app, connect_account(app, sqlite_world.sandbox, "a", "anna"))
    base = _start(client)
    fill_wizard(client, base, name="Rondje YAML")
    text = client.get(f"{base}/network.yml").get_data(as_text=True)
    data = yaml.safe_load(text)
    assert data["name"] == "Rondje YAML" and data["rhythm"]["weekday"] == "dinsdag"
    path = tmp_path / "netwerk.yml"
    path.write_text(text, encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["network", "create", "--from", str(path)])
    assert result.exit_code == 0, result.output
    uploaded = client.post("/networks/new/upload", data={"file": (path.open("rb"), "netwerk.yml")},
                           content_type="multipart/form-data")
    assert uploaded.status_code == 302
    assert 'value="Rondje YAML"' in client.get(uploaded.headers["Location"]).get_data(as_text=True)


def test_enter_in_a_field_of_the_members_step_searches_adds_or_goes_on_but_never_adds_an_empty_row(sqlite_world):
    app = sqlite_world.app
    client = signed_in(app, connect_account(app, sqlite_world.sandbox, "a", "anna"))
    base = _start(client)
    draft_id = int(base.rsplit("/", 1)[1])
    page = client.get(f"{base}/4").get_data(as_text=True)
    # Enter in a field presses the form's first submit button (HTML's implicit submission): it must be "enter".
    members_form = page[page.index('id="members"'):]
    assert re.search(r"<button[^>]*>", members_form).group(0).count('value="enter"') == 1
    anna = {"host": HOST, "member_count": "1", "members-0-name": "Anna de Vries",
            "members-0-email": "anna@zonnebloem.example", "members-0-organisation": HOST, "members-0-user": "anna",
            "members-0-role": "kartrekker", "search_organisation": SCHOOL, "go": "enter"}

    def members():
        with app.app_context():
            return db.session.get(WizardDraft, draft_id).data

    # Enter in the search field: the search runs.
    searched = client.post(f"{base}/4", data={**anna, "q": "eva"})
    assert searched.headers["Location"].endswith("/4#search")
    assert [hit["user"] for hit in members()["_search"]["results"]] == ["eva"]
    assert len(members()["members"]) == 1
    # Enter in the cloud id field: that person is added, the step stays.
    added = client.post(f"{base}/4", data={**anna, "q": "eva", "cloud_id": "iris@kompas.example",
                                           "cloud_name": "Iris Kok", "cloud_organisation": NO_NEXTCLOUD})
    assert added.headers["Location"].endswith("/4#members")
    assert [m["name"] for m in members()["members"]] == ["Anna de Vries", "Iris Kok"]
    # Enter in a member's field: the step is saved and the wizard goes on; no empty row anywhere.
    both = {**anna, "member_count": "2", "q": "eva", "members-1-name": "Iris Kok",
            "members-1-email": "iris@kompas.example", "members-1-organisation": NO_NEXTCLOUD,
            "members-1-role": "deelnemer"}
    onwards = client.post(f"{base}/4", data=both)
    assert onwards.status_code == 302 and onwards.headers["Location"].endswith("/5")
    assert [m["name"] for m in members()["members"]] == ["Anna de Vries", "Iris Kok"]


def test_the_wizard_and_its_review_speak_english_on_request(sqlite_world):
    app = sqlite_world.app
    client = signed_in(app, connect_account(app, sqlite_world.sandbox, "a", "anna"))
    base = _start(client)
    fill_wizard(client, base)
    dutch = html.unescape(client.get(f"{base}/6").get_data(as_text=True))
    assert "Nieuw netwerk: Controleren" in dutch and "5. Toezeggingen" in dutch and "komt de map" in dutch
    english = html.unescape(client.get(f"{base}/6?lang=en").get_data(as_text=True))
    assert "New network: Review" in english and "5. Commitments" in english and "1. Form" in english
    assert "the folder 'Lerende netwerken/Taal in Zuilen' is made" in english
    assert "De map wordt gedeeld" not in english and "Vorm" not in english
