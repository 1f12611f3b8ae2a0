"""`lerend-netwerk templates check|list`: Dutch summaries, problems on stderr, exit status 1 on errors."""
import shutil

from click.testing import CliRunner
from cryptography.fernet import Fernet

from extension import create_app
from extension.cli import build
from extension.network_templates.loader import SHIPPED_TEMPLATES_DIR

from tests.network_templates.conftest import VALID

INVALID = VALID.parent / "invalid"
DUTCH = {"LC_ALL": None, "LC_MESSAGES": None, "LANG": None}


def templates(*args):
    return CliRunner().invoke(build(), ["templates", *args], env=DUTCH)


def test_check_of_the_shipped_templates_folder_reports_each_template():
    result = templates("check", str(SHIPPED_TEMPLATES_DIR))
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "In orde: doorgaande-lijn (versie 1): 5 fasen, 6 bijeenkomsten, 16 taken, 19 documenten",
        "In orde: lerend-netwerk-jeugd (versie 1): 4 fasen, 5 bijeenkomsten, 12 taken, 14 documenten",
    ]


def test_check_of_an_invalid_template_prints_file_line_field_and_fails():
    path = INVALID / "template-negative-offset.yml"
    result = templates("check", str(path))
    assert result.exit_code == 1
    assert f"{path}:38: tasks[0].due_days: moet minstens 0 zijn" in result.output
    assert "1 van 1 sjablonen bevat fouten" in result.output


def test_check_of_a_folder_without_templates_says_so(tmp_path):
    result = templates("check", str(tmp_path))
    assert result.exit_code == 1
    assert "geen template.yml gevonden" in result.output


def test_list_shows_shipped_and_admin_templates_and_reports_broken_ones(tmp_path):
    extra = tmp_path / "sjablonen"
    shutil.copytree(VALID / "klein", extra / "klein")
    (extra / "kapot").mkdir()
    (extra / "kapot" / "template.yml").write_text("id: [\n", encoding="utf-8")
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "ENCRYPTION_KEYS": [Fernet.generate_key().decode()],
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'db.sqlite'}", "TEMPLATES_DIR": str(extra)})
    result = app.test_cli_runner().invoke(args=["templates", "list"])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[:3] == [
        "doorgaande-lijn\t1\tDoorgaande lijn peuter–kleuter\tmeegeleverd",
        f"klein\t1\tKlein sjabloon\t{extra}",
        "lerend-netwerk-jeugd\t1\tLerend netwerk jeugdprofessionals\tmeegeleverd",
    ]
    assert any(line.startswith(f"{extra / 'kapot' / 'template.yml'}:2: YAML-fout") for line in lines)
