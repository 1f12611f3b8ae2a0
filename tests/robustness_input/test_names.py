"""Names Nextcloud refuses, or would merge with another, are refused at check time: in templates (`templates
check`), in network files (`network create`) and in exports (`network import`), by the same check."""
from __future__ import annotations

import copy
import unicodedata

import pytest
from click.testing import CliRunner

from extension.extensions import db
from extension.network_templates import NetworkFileError, TemplateError, load_template, parse_network_file
from extension.cli import build
from extension.networks import importer, naming
from extension.networks.export import export_network
from extension.networks.importer import InvalidExport, validate
from extension.organisations import service as organisations
from tests.fixtures.app import running_app
from tests.network_templates.conftest import VALID

NFC = unicodedata.normalize("NFC", "Evaluatie ë")
NFD = unicodedata.normalize("NFD", "Evaluatie ë")


def set_phase_folders(folder, first: str, second: str | None = None) -> None:
    yml = folder / "template.yml"
    text = yml.read_text(encoding="utf-8")
    text = text.replace("    name: Starten\n", f"    name: Starten\n    folder: {first!r}\n")
    if second is not None:
        text = text.replace("    name: Leren\n", f"    name: Leren\n    folder: {second!r}\n")
    yml.write_text(text, encoding="utf-8")


@pytest.mark.parametrize("name, message", [
    (".htaccess", "'.htaccess' is een naam die Nextcloud weigert"),
    ("Fase.part", "'Fase.part' eindigt op '.part', een bestandstype dat Nextcloud weigert"),
    ("Fase.filepart", "'Fase.filepart' eindigt op '.filepart'"),
    ("CON", "'CON' begint met 'CON', een naam die Windows voor een apparaat gebruikt"),
    ("lpt1.fase", "'lpt1.fase' begint met 'LPT1'"),
    ("Fase.", "'Fase.' eindigt met een punt"),
    ("Fase 1?", "'Fase 1?' bevat een teken dat niet mag: '?'"),
])
def test_templates_check_refuses_a_phase_folder_nextcloud_refuses(small_template, name, message):
    set_phase_folders(small_template, name)
    result = CliRunner().invoke(build(), ["templates", "check", str(small_template)],
                                env={"LC_ALL": None, "LC_MESSAGES": None, "LANG": None})
    assert result.exit_code == 1
    assert f"{small_template / 'template.yml'}:9: phases[0].folder: {message}" in result.output


@pytest.mark.parametrize("first, second", [("Fase", "fase"), (NFC, NFD), ("Readme.md", None)],
                         ids=["case", "nfc-nfd", "readme"])
def test_templates_check_refuses_phase_folders_that_are_one_name_in_nextcloud(small_template, first, second):
    if second is None:
        first, second = "Fase", "readme.md"
    set_phase_folders(small_template, first, second)
    with pytest.raises(TemplateError) as caught:
        load_template(small_template)
    [problem] = caught.value.problems
    assert (problem.line, problem.field) == (17, "phases[1].folder")
    assert "verschillen alleen in hoofdletters of in de Unicode-schrijfwijze" in problem.message


@pytest.mark.parametrize("first, second", [
    ("Plan.md", "plan.md"), (f"{NFC}.md", f"{NFD}.md"), ("Stukken/Plan.md", "stukken/Agenda.md"),
    ("Plan.md/x.md", "Plan.md"),
], ids=["case", "nfc-nfd", "subfolder-case", "file-and-folder"])
def test_templates_check_refuses_documents_that_are_one_name_in_their_folder(small_template, first, second):
    yml = small_template / "template.yml"
    text = yml.read_text(encoding="utf-8").replace("target: Plan.md", f"target: {first}")
    text = text.replace("      agenda:\n        source: docs/agenda.md\n        target: Agenda.md",
                        f"      agenda:\n        source: docs/agenda.md\n        target: {second}")
    yml.write_text(text, encoding="utf-8")
    with pytest.raises(TemplateError) as caught:
        load_template(small_template)
    [problem] = caught.value.problems
    assert (problem.line, problem.field) == (28, "meetings.items[0].agenda.target")


def test_templates_check_still_accepts_the_shipped_templates_and_different_names(small_template):
    set_phase_folders(small_template, "1. Starten", "2. Leren")
    assert load_template(small_template).phase_folder("leren") == "2. Leren"


# --- network files and exports: one check -------------------------------------------------------------

HOSTILE_USERS = ["../anna", "anna\nbob", "anna/bob", "..", " anna", "anna\t", "files_external", "a" * 65, "ann@"
                 "\u00e9"]
GOOD_USERS = ["anna", "o'brien@zon.example", "Jan de Vries", "anna_b-2.x"]
HOSTILE_LINES = ["Taal\nZuilen", "Taal\rZuilen", "Taal\u2028Zuilen", "Taal\x00"]


def network_file_with(tmp_path, user=None, name=None, place=None):
    text = (VALID / "netwerk.yml").read_text(encoding="utf-8")
    if user is not None:
        text = text.replace("    role: kartrekker\n", f"    role: kartrekker\n    user: {yaml_string(user)}\n")
    if name is not None:
        text = text.replace("name: Doorgaande lijn Taal\n", f"name: {yaml_string(name)}\n")
    if place is not None:
        text = text.replace("kartrekker: anna", f"place: {yaml_string(place)}\nkartrekker: anna")
    path = tmp_path / "netwerk.yml"
    path.write_text(text, encoding="utf-8")
    return path


def yaml_string(value: str) -> str:
    escaped = (value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
               .replace("\t", "\\t").replace("\u2028", "\\L").replace("\x00", "\\0"))
    return f'"{escaped}"'


def create_refuses(path) -> dict[str, str]:
    try:
        parse_network_file(path)
    except NetworkFileError as exc:
        return {p.field: p.message for p in exc.problems}
    return {}


@pytest.fixture(scope="module")
def export_document(tmp_path_factory):
    """The export of a network created (not launched) from the valid network file, in a throwaway app."""
    tmp_path = tmp_path_factory.mktemp("export")
    with running_app(f"sqlite:///{tmp_path / 'db.sqlite'}", tmp_path) as app:
        with app.app_context():
            for name in ("KDV Zon", "OBS Ster"):
                organisations.add_organisation(organisations.OrganisationInput(name=name, kind="kinderopvang"))
        path = tmp_path / "netwerk.yml"
        path.write_text((VALID / "netwerk.yml").read_text(encoding="utf-8"), encoding="utf-8")
        result = app.test_cli_runner().invoke(args=["network", "create", "--from", str(path)])
        assert result.exit_code == 0, result.output
        with app.app_context():
            document = export_network("doorgaande-lijn-taal")
            db.session.remove()
    return document


def import_refuses(document, change) -> dict[str, str]:
    changed = copy.deepcopy(document)
    change(changed)
    try:
        validate(changed)
    except InvalidExport as exc:
        return {p.field: p.message for p in exc.problems}
    return {}


@pytest.mark.parametrize("user", HOSTILE_USERS + GOOD_USERS)
def test_a_members_nextcloud_user_gets_the_same_verdict_from_create_and_import(tmp_path, export_document, user):
    by_create = create_refuses(network_file_with(tmp_path, user=user))
    by_import = import_refuses(export_document, lambda d: d["members"][0].update(user_id=user))
    if user in GOOD_USERS:
        assert by_create == {} and by_import == {}
    else:
        assert by_create["members[0].user"] == by_import["members[0].user_id"]
        assert naming.user_id_problem(user) is not None


def test_the_user_field_refuses_a_path_and_a_line_break_naming_file_and_line(tmp_path):
    path = network_file_with(tmp_path, user="../anna")
    with pytest.raises(NetworkFileError) as caught:
        parse_network_file(path)
    assert str(caught.value) == (
        f"{path}:14: members[0].user: '../anna' is geen geldige Nextcloud-gebruiker: alleen letters a-z en A-Z, "
        "cijfers, spaties en _.@-' zijn toegestaan")
    path = network_file_with(tmp_path, user="anna\nbob")
    with pytest.raises(NetworkFileError) as caught:
        parse_network_file(path)
    assert "'anna\\nbob' is geen geldige Nextcloud-gebruiker" in str(caught.value)


@pytest.mark.parametrize("text", HOSTILE_LINES, ids=["newline", "return", "line-separator", "nul"])
def test_single_line_fields_refuse_line_breaks_in_create_and_import(tmp_path, export_document, text):
    assert create_refuses(network_file_with(tmp_path, name=text)) == {
        "name": "moet op één regel staan (zonder regeleinde of stuurteken)"}
    assert create_refuses(network_file_with(tmp_path, place=text)) == {
        "place": "moet op één regel staan (zonder regeleinde of stuurteken)"}
    assert import_refuses(export_document, lambda d: d["network"].update(name=text, place=text)) == {
        "network.name": "moet op één regel staan (zonder regeleinde of stuurteken)",
        "network.place": "moet op één regel staan (zonder regeleinde of stuurteken)"}


@pytest.mark.parametrize("folder", ["Archief", "archief", ".htaccess", "CON", "Fase.", "x.part", "a/b", "../x",
                                    "Taal\nZuilen", " Taal"])
def test_import_refuses_folder_names_that_create_never_makes(export_document, folder):
    refused = import_refuses(export_document, lambda d: d["network"].update(folder_name=folder))
    assert set(refused) == {"network.folder_name"}
    assert naming.name_problem(naming.folder_name(folder)) is None


def test_import_refuses_phase_folders_that_are_twins_or_refused_names(export_document):
    def change(d):
        d["phases"][1]["folder"] = d["phases"][0]["folder"].upper()
        d["phases"][2]["folder"] = "Fase.part"
    refused = import_refuses(export_document, change)
    assert set(refused) == {"phases[1].folder", "phases[2].folder"}
    assert "alleen in hoofdletters" in refused["phases[1].folder"]


def test_create_and_import_run_one_and_the_same_names_check(tmp_path, export_document, monkeypatch):
    calls = []
    check = naming.check_network_names

    def spy(names):
        calls.append(names)
        return check(names)

    monkeypatch.setattr(naming, "check_network_names", spy)
    parse_network_file(network_file_with(tmp_path))
    validate(copy.deepcopy(export_document))
    assert len(calls) == 2
    assert importer.naming is naming
