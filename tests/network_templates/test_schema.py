"""What a valid template and network description offer the launch: folders, documents, weeks, managers."""
from datetime import date

import pytest
from pydantic import ValidationError

from extension.network_templates import ManagerContact, NetworkSpec, Template, load_template
from extension.network_templates.errors import NetworkFileError
from extension.yaml_source import load_yaml

from tests.network_templates.conftest import VALID


def small_data() -> dict:
    return load_yaml(VALID / "klein" / "template.yml", "template.yml", NetworkFileError).data


def network_data() -> dict:
    return load_yaml(VALID / "netwerk.yml", "netwerk.yml", NetworkFileError).data


def test_seeded_documents_list_every_document_with_its_path_from_the_network_folder():
    template = load_template(VALID / "klein")
    assert [(d.kind, d.path, d.phase, d.meeting) for d in template.seeded_documents()] == [
        ("readme", "Readme.md", None, None),
        ("phase", "1. Starten/Plan.md", "starten", None),
        ("agenda", "1. Starten/Agenda.md", "starten", "start"),
    ]


def test_an_explicit_folder_name_replaces_the_numbered_default():
    data = small_data()
    data["phases"][1]["folder"] = "Samen leren"
    template = Template.model_validate(data)
    assert [template.phase_folder(p.key) for p in template.phases] == ["1. Starten", "Samen leren"]


def test_a_phase_name_that_cannot_be_a_folder_name_is_refused():
    data = small_data()
    data["phases"][1]["name"] = "Leren/borgen"
    with pytest.raises(ValidationError) as caught:
        Template.model_validate(data)
    assert caught.value.errors()[0]["loc"] == ("phases", 1, "name")


def test_meetings_without_a_week_are_spaced_by_the_rhythm_and_explicit_weeks_win():
    data = small_data()
    data["meetings"]["items"] += [{"key": f"m{n}", "phase": "leren", "title": f"M{n}"} for n in range(1, 4)]
    assert Template.model_validate(data).meeting_weeks() == {"start": 0, "m1": 13, "m2": 26, "m3": 39}
    data["meetings"]["items"][1]["week"] = 20
    assert Template.model_validate(data).meeting_weeks() == {"start": 0, "m1": 20, "m2": 26, "m3": 39}


def test_explicit_meeting_weeks_must_increase():
    data = small_data()
    data["meetings"]["items"] += [{"key": "a", "phase": "leren", "title": "A", "week": 10},
                                  {"key": "b", "phase": "leren", "title": "B", "week": 10}]
    with pytest.raises(ValidationError) as caught:
        Template.model_validate(data)
    assert caught.value.errors()[0]["loc"] == ("meetings", "items", 2, "week")


def test_meetings_must_follow_the_phase_order():
    data = small_data()
    data["meetings"]["items"] = [{"key": "a", "phase": "leren", "title": "A"},
                                 {"key": "b", "phase": "starten", "title": "B"}]
    with pytest.raises(ValidationError) as caught:
        Template.model_validate(data)
    assert caught.value.errors()[0]["loc"] == ("meetings", "items", 1, "phase")


def test_a_due_offset_on_the_last_day_of_the_phase_is_accepted():
    data = small_data()
    data["tasks"][0]["due_days"] = 8 * 7
    assert Template.model_validate(data).tasks[0].due_days == 56


def test_network_spec_reads_dates_and_gives_each_commitment_a_manager_with_name_and_email():
    data = network_data()
    data["commitments"].append({"organisation": "kdv-zon", "manager": "anna@zon.example",
                                "hours_per_month": 2.5, "podium": "teamoverleg"})
    network = NetworkSpec.model_validate(data)
    assert network.start == date(2025, 9, 1)
    assert [network.manager_of(c) for c in network.commitments] == [
        ManagerContact(name="Carla Jansen", email="carla@ster.example"),
        ManagerContact(name="Anna de Vries", email="anna@zon.example"),
    ]
    assert network.organisation_slugs() == ["kdv-zon", "obs-ster"]
    assert network.members[1].role == "deelnemer"


def test_the_kartrekker_reference_ignores_the_case_of_the_email_address():
    data = network_data()
    data["kartrekker"] = "Anna@Zon.Example"
    assert NetworkSpec.model_validate(data).member("ANNA@zon.example").name == "Anna de Vries"


def test_the_member_named_as_kartrekker_must_have_that_role():
    data = network_data()
    data["members"][0]["role"] = "deelnemer"
    with pytest.raises(ValidationError) as caught:
        NetworkSpec.model_validate(data)
    assert caught.value.errors()[0]["loc"] == ("members", 0, "role")


def test_two_members_with_the_same_nextcloud_user_in_one_organisation_are_refused():
    data = network_data()
    data["members"][1]["organisation"] = "kdv-zon"
    data["members"][0]["user"] = data["members"][1]["user"] = "anna"
    data["commitments"] = []
    with pytest.raises(ValidationError) as caught:
        NetworkSpec.model_validate(data)
    assert caught.value.errors()[0]["loc"] == ("members", 1, "user")
