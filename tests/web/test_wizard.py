"""The wizard at /networks/new, walked with the test client: drafts, the network file's checks, sharee search,
YAML round trip and Lanceren."""
from __future__ import annotations

import html
import io
import re
import time
from datetime import date, timedelta

import yaml

from extension.dashboard.models import WizardDraft
from extension.dashboard.service import today_local
from extension.extensions import db
from extension.networks.models import EngineRun, Network
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


def _anna(world):
    return signed_in(world.app, connect_account(world.app, world.sandbox, "a", "anna"))


def _upload(client, content: bytes):
    return client.post("/networks/new/upload", data={"file": (io.BytesIO(content), "netwerk.yml")},
                       content_type="multipart/form-data")


def _flash_after(client, response) -> str:
    """The page a refused upload leads to, with its flash message."""
    assert response.status_code == 302 and response.headers["Location"].endswith("/networks/new"), response.headers
    return html.unescape(client.get(response.headers["Location"]).get_data(as_text=True))


STEP3 = {"name": "Taal", "topic": "Mondelinge taal", "question": "Hoe?", "ambition": "Samen.", "place": "Zuilen",
         "region": "midden", "rhythm-per_year": "6", "rhythm-weekday": "dinsdag", "rhythm-start_time": "15:30"}


def test_an_uploaded_file_keeps_a_time_written_without_quotes_as_that_time(sqlite_world):
    client = _anna(sqlite_world)
    for written in (b"15:30", b'"15:30"'):
        uploaded = _upload(client, b"name: Taal\nrhythm: {per_year: 6, start_time: " + written + b"}\n")
        page = client.get(uploaded.headers["Location"]).get_data(as_text=True)
        assert 'name="rhythm-start_time" type="time" value="15:30"' in page, written


def test_an_uploaded_impossible_date_is_named_next_to_the_start_field(sqlite_world):
    client = _anna(sqlite_world)
    for day in ("2030-02-30", "2030-13-01"):
        uploaded = _upload(client, f"name: Taal\nstart: {day}\n".encode())
        assert uploaded.status_code == 302 and "/3" in uploaded.headers["Location"]
        page = client.get(uploaded.headers["Location"])
        assert page.status_code == 200
        assert f'<span class="error" id="e-start">&#39;{day}&#39; is geen geldige datum' in page.get_data(as_text=True)


def test_an_upload_too_large_or_with_an_alias_bomb_is_refused_in_dutch_without_a_draft(sqlite_world):
    client = _anna(sqlite_world)
    big = _flash_after(client, _upload(client, b"name: " + b"x" * 20_000_000 + b"\n"))
    assert "Dit netwerkbestand kan de wizard niet gebruiken: netwerk.yml: is te groot" in big
    bomb = b"a: &a [x,x,x,x,x,x,x,x,x]\n" + b"".join(
        f"{n}: &{n} [{', '.join([f'*{p}'] * 9)}]\n".encode() for p, n in zip("abcde", "bcdef"))
    refused = _flash_after(client, _upload(client, bomb))
    assert "te veel waarden na het invullen van verwijzingen" in refused
    with sqlite_world.app.app_context():
        assert db.session.query(WizardDraft).count() == 0


def test_an_upload_with_fields_of_the_wrong_shape_is_refused_naming_them(sqlite_world):
    client = _anna(sqlite_world)
    for content, named in [(b"name: X\nrhythm: abc\n", "netwerk.yml:2: rhythm: moet velden bevatten"),
                           (b"name: X\nmembers: abc\n", "netwerk.yml:2: members: moet een lijst zijn"),
                           (b"name: X\nmembers: [1, 2]\n", "members[0]: moet velden bevatten"),
                           (b"name: [1, 2]\n", "netwerk.yml:1: name: moet tekst zijn")]:
        assert named in _flash_after(client, _upload(client, content)), content
    with sqlite_world.app.app_context():
        assert db.session.query(WizardDraft).count() == 0


def test_an_upload_drops_the_wizards_own_keys_and_every_step_shows(sqlite_world):
    client = _anna(sqlite_world)
    uploaded = _upload(client, b"_form: abc\n_search: abc\nname: X\n")
    base = uploaded.headers["Location"].rsplit("/", 1)[0]
    with sqlite_world.app.app_context():
        assert db.session.query(WizardDraft).one().data == {"name": "X"}
    for number in range(1, 7):
        assert client.get(f"{base}/{number}").status_code == 200, number


def test_a_stored_draft_of_the_wrong_shape_still_shows_every_step(sqlite_world):
    client = _anna(sqlite_world)
    base = _start(client)
    with sqlite_world.app.app_context():
        draft = db.session.query(WizardDraft).one()
        draft.data = {"name": 5, "rhythm": "abc", "members": [1, {"name": ["x"], "organisation": {"a": 1}}],
                      "commitments": "abc", "_form": "abc", "_search": {"results": "abc"}}
        db.session.commit()
    for number in range(1, 7):
        assert client.get(f"{base}/{number}").status_code == 200, number
    assert client.get(f"{base}/network.yml").status_code == 200


def test_step3_refuses_a_start_in_the_past_next_to_the_field(sqlite_world):
    client = _anna(sqlite_world)
    base = _start(client)
    with sqlite_world.app.test_request_context():
        yesterday = today_local() - timedelta(days=1)
    refused = client.post(f"{base}/3", data={**STEP3, "start": yesterday.isoformat()})
    assert refused.status_code == 422
    assert (f'<span class="error" id="e-start">{yesterday.isoformat()} ligt in het verleden'
            in refused.get_data(as_text=True))
    refused = client.post(f"{base}/3", data={**STEP3, "start": "2001-01-01"})
    assert refused.status_code == 422


def test_a_start_more_than_five_years_ahead_is_refused_at_step3_and_the_review_still_shows(sqlite_world):
    client = _anna(sqlite_world)
    base = _start(client)
    fill_wizard(client, base)
    refused = client.post(f"{base}/3", data={**STEP3, "start": "9999-12-31"})
    assert refused.status_code == 422
    assert "9999-12-31 ligt meer dan 5 jaar vooruit" in refused.get_data(as_text=True)
    review = client.get(f"{base}/6")
    assert review.status_code == 200 and "ligt meer dan 5 jaar vooruit" in review.get_data(as_text=True)


def test_a_tampered_member_count_reads_only_the_member_rows_posted(sqlite_world):
    client = _anna(sqlite_world)
    base = _start(client)
    row = {"host": HOST, "members-0-name": "Anna de Vries", "members-0-email": "anna@zonnebloem.example",
           "members-0-organisation": HOST, "members-0-user": "anna", "members-0-role": "kartrekker"}
    for count in ("abc", "inf", "nan", "-5", "3e6", "99999999999999999999"):
        started = time.monotonic()
        response = client.post(f"{base}/4", data={**row, "member_count": count})
        assert response.status_code in (302, 422), count
        assert time.monotonic() - started < 5, count
        with sqlite_world.app.app_context():
            members = db.session.query(WizardDraft).one().data["members"]
        assert [m["name"] for m in members] == ["Anna de Vries"], count


def test_an_infinite_number_of_meetings_gets_the_dutch_message(sqlite_world):
    client = _anna(sqlite_world)
    base = _start(client)
    for value in ("inf", "nan", "1e400"):
        refused = client.post(f"{base}/3", data={**STEP3, "start": _monday_in(3).isoformat(),
                                                 "rhythm-per_year": value})
        text = refused.get_data(as_text=True)
        assert refused.status_code == 422 and "Input should be" not in text, value
        assert '<span class="error" id="e-rhythm-per_year">moet een geheel getal zijn' in text, value


def test_the_review_names_each_problem_by_its_label_and_links_to_its_step(sqlite_world):
    client = _anna(sqlite_world)
    base = _start(client)
    fill_wizard(client, base)
    client.post(f"{base}/3", data={**STEP3, "start": _monday_in(3).isoformat(), "rhythm-per_year": "400"})
    client.post(f"{base}/5", data={"commitment": [HOST], f"commit-{HOST}-manager": "other",
                                   f"commit-{HOST}-manager_name": "Bea", f"commit-{HOST}-manager_email": "geen-adres",
                                   f"commit-{HOST}-hours_per_month": "4", f"commit-{HOST}-podium": "teamoverleg"})
    review = html.unescape(client.get(f"{base}/6").get_data(as_text=True))
    listed = review[review.index("Nog niet klaar"):review.index("</ul>", review.index("Nog niet klaar"))]
    assert f'<a href="{base}/3?check=1">3. Netwerk</a>: Bijeenkomsten per jaar: mag hoogstens 52 zijn' in listed
    assert f'<a href="{base}/5?check=1">5. Toezeggingen</a>: Toezeggingen: {HOST} – Manager: ' in listed
    assert "rhythm-per_year" not in listed and "commitments-0" not in listed


def test_launching_twice_or_opening_the_draft_afterwards_leads_to_the_network(sqlite_world):
    app = sqlite_world.app
    client = _anna(sqlite_world)
    base = _start(client)
    fill_wizard(client, base)
    client.get(f"{base}/6")
    assert client.post(f"{base}/launch").status_code == 302
    with app.app_context():
        network = db.session.query(Network).filter_by(name="Taal in Zuilen").one()
        slug, runs = network.slug, db.session.query(EngineRun).filter_by(network_id=network.id).count()
    for again in (client.post(f"{base}/launch"), client.get(f"{base}/3"), client.post(f"{base}/3", data=STEP3)):
        assert again.status_code == 302 and again.headers["Location"] == f"/networks/{slug}", again.status_code
    page = html.unescape(client.get(f"/networks/{slug}").get_data(as_text=True))
    assert "Dit netwerk is al gestart" in page
    with app.app_context():
        assert db.session.query(EngineRun).filter_by(network_id=network.id).count() == runs
        assert db.session.query(Network).filter_by(slug=slug).one().name == "Taal in Zuilen"


def test_a_member_of_an_unknown_organisation_is_named_while_another_step_is_wrong(sqlite_world):
    client = _anna(sqlite_world)
    base = _start(client)  # step 3 still empty: the draft is not a valid network file yet
    refused = client.post(f"{base}/4", data={
        "host": HOST, "members-0-name": "Anna de Vries", "members-0-email": "anna@zonnebloem.example",
        "members-0-organisation": HOST, "members-0-user": "anna", "members-0-role": "kartrekker",
        "members-1-name": "Kees", "members-1-email": "kees@x.example", "members-1-organisation": "bestaat-niet",
        "members-1-role": "deelnemer"})
    assert refused.status_code == 422
    assert "onbekende organisatie &#39;bestaat-niet&#39;" in refused.get_data(as_text=True)
    review = html.unescape(client.get(f"{base}/6").get_data(as_text=True))
    assert "Leden: Kees – Organisatie: onbekende organisatie 'bestaat-niet'" in review
