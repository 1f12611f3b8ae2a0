"""The two shipped templates carry the method: their phases, rhythm, documents and knowledge-sharing tasks."""
from collections import Counter
from pathlib import Path

from extension.network_templates import AUDIENCES, get_template


def test_doorgaande_lijn_has_the_five_phases_of_the_method_in_order():
    template = get_template("doorgaande-lijn")
    assert [p.name for p in template.phases] == [
        "Voorbereiden", "Starten", "Samen leren en experimenteren", "Implementeren en borgen", "Evalueren en vervolg"]
    assert all(p.working_methods for p in template.phases)


def test_doorgaande_lijn_meets_six_times_within_the_first_year_each_with_an_agenda():
    template = get_template("doorgaande-lijn")
    assert template.meetings.per_year == 6
    weeks = template.meeting_weeks()
    assert len(weeks) == 6 and max(weeks.values()) < 52
    assert all(meeting.agenda for meeting in template.meetings.items)


def test_doorgaande_lijn_seeds_the_documents_the_method_needs():
    targets = {d.path.split("/")[-1] for d in get_template("doorgaande-lijn").seeded_documents()}
    assert {"Readme.md", "Netwerkplan.md", "Werkvormkaarten.md", "Reflectieformulier.md",
            "Borgingsplan per organisatie.md", "Evaluatie.md"} <= targets


def test_doorgaande_lijn_has_the_podium_trial_and_management_tasks():
    template = get_template("doorgaande-lijn")
    tasks = {task.key: task for task in template.tasks}
    assert tasks["podium-teamoverleg"].audience == "deelnemer"
    assert tasks["werkvorm-uitproberen"].audience == "deelnemer"
    assert tasks["tijd-en-podium-bevestigen"].audience == "manager"
    assert set(Counter(task.audience for task in template.tasks)) == set(AUDIENCES)


def test_every_phase_task_falls_within_its_phase():
    for template_id in ("doorgaande-lijn", "lerend-netwerk-jeugd"):
        template = get_template(template_id)
        for task in template.tasks:
            assert 0 <= task.due_days <= template.phase(task.phase).duration_weeks * 7


def test_the_youth_template_has_a_different_shape_four_phases_and_quarterly_meetings():
    template = get_template("lerend-netwerk-jeugd")
    assert len(template.phases) == 4
    assert template.meetings.per_year == 4
    assert list(template.meeting_weeks().values()) == [0, 13, 26, 39, 52]
    assert {m.agenda.source for m in template.meetings.items} == {"documenten/agenda.md"}


def test_in_a_checkout_the_shipped_templates_are_the_repositorys_templates_folder_and_no_package():
    """setup.py copies this folder into the wheel (extension/network_templates/builtin/); nothing imports it."""
    from extension.network_templates import SHIPPED_TEMPLATES_DIR

    assert SHIPPED_TEMPLATES_DIR == Path(__file__).resolve().parents[2] / "templates"
    files = [p for p in SHIPPED_TEMPLATES_DIR.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    assert files and {p.suffix for p in files} <= {".yml", ".md"}
