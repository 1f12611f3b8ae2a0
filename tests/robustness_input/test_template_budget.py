"""Template documents render in a budgeted sandbox: what would hang, exhaust memory or reach outside the
document is refused at load with file and line, a broken template is listed as broken while the others keep
working, and documents have a size limit (the DOCUMENT_MAX_BYTES setting)."""
from __future__ import annotations

import shutil

import pytest

from extension import appinfo
from extension.extensions import db
from extension.network_templates import TemplateError, list_templates, load_template, render_document
from extension.network_templates.loader import scan_templates
from extension.network_templates.render import DEFAULT_DOCUMENT_MAX_BYTES, render_text, sample_context
from extension.networks.models import Network
from extension.organisations import service as organisations
from tests.fixtures.app import running_app
from tests.network_templates.conftest import VALID
from tests.robustness_input.guard import run_limited


def with_readme(folder, text: str):
    (folder / "docs" / "readme.md").write_text(text, encoding="utf-8")
    return folder / "docs" / "readme.md"


def refused(folder) -> list[str]:
    with pytest.raises(TemplateError) as caught:
        load_template(folder)
    return [str(problem) for problem in caught.value.problems]


@pytest.mark.parametrize("text, message", [
    ("# {{ network.name }}\n{% macro f() %}{{ f() }}{% endmacro %}\n{{ f() }}\n",
     "2: macro 'f' roept zichzelf aan"),
    ("# x\n\n{% macro a() %}{{ b() }}{% endmacro %}{% macro b() %}{{ a() }}{% endmacro %}{{ a() }}\n",
     "3: macro 'a' roept zichzelf aan"),
    ("# x\n{% for i in range(10**9) %}.{% endfor %}\n", "2: range() met 1.000.000.000 getallen"),
    ("# x\n{{ range(10**9) | list | length }}\n", "2: range() met 1.000.000.000 getallen"),
    ("# x\n\n{% include 'plan.md' %}\n", "3: {% include %} kan niet in een sjabloondocument"),
    ("# x\n{% import 'plan.md' as plan %}\n", "2: {% import %} kan niet in een sjabloondocument"),
    ("{% extends 'plan.md' %}\n", "1: {% extends %} kan niet in een sjabloondocument"),
    ("# x\n{% from 'plan.md' import y %}\n", "2: {% from … import %} kan niet in een sjabloondocument"),
    ("# x\n{% for i in range(9999) %}{% for j in range(9999) %}{% endfor %}{% endfor %}\n",
     "2: te veel rekenwerk"),
    ("# x\n{{ network.name * 10**9 }}\n", "2: een waarde wordt groter dan de documentlimiet"),
    ("# x\n{{ network.name | center(10**9) }}\n", "2: filter 'center' met 1000000000"),
    ("# x\n\n{{ 2 ** 1000000 }}\n", "3: een getal wordt te groot"),
    ("# x\n{{ network.name.__class__ }}\n", "2: Jinja-fout: access to attribute '__class__'"),
    ("# x\n{{ network.name.format(1) }}\n", "2: Jinja-fout: access to attribute 'format'"),
    ("# x\n{{ 1 // 0 }}\n", "2: fout in het document: ZeroDivisionError"),
    ("# x\n" + "{{ network.name }}" * 2001, " te veel plaatshouders en opdrachten (2.001); hoogstens 2.000"),
])
def test_a_hostile_document_is_refused_at_load_with_file_and_line(small_template, text, message):
    readme = with_readme(small_template, text)
    problems = refused(small_template)
    assert any(p.startswith(f"{readme}:{message}") for p in problems), problems
    assert "Traceback" not in "\n".join(problems)


def test_rendering_stops_at_the_output_limit_with_file_and_line(small_template):
    template = load_template(small_template)
    text = "# Lang\n{% for i in range(9000) %}{{ network.question }}\n{% endfor %}\n"
    with pytest.raises(TemplateError) as caught:
        render_text(text, "lang.md", sample_context(template).as_mapping(), max_bytes=50_000)
    [problem] = caught.value.problems
    assert (problem.file, problem.line) == ("lang.md", 2)
    assert problem.message == "het document wordt groter dan 49 kB"


def test_the_document_size_limit_is_a_setting_of_one_megabyte_by_default():
    setting = appinfo.load().settings["DOCUMENT_MAX_BYTES"]
    assert appinfo.load().setting_defaults()["DOCUMENT_MAX_BYTES"] == DEFAULT_DOCUMENT_MAX_BYTES == 1024 * 1024
    assert setting.meaning


def test_a_five_megabyte_document_is_refused_without_being_read(small_template):
    (small_template / "docs" / "plan.md").write_text("# Plan\n" + "tekst " * (5 * 1024 * 1024 // 6), encoding="utf-8")
    outcome = run_limited("from extension.network_templates import load_template",
                          f"load_template({str(small_template)!r})")
    assert outcome["error"] == "TemplateError", outcome
    assert outcome["message"] == (
        f"{small_template / 'template.yml'}:12: phases[0].documents[0].source: 'docs/plan.md' is te groot (5.0 MB); "
        "een document mag hoogstens 1.0 MB zijn (instelling DOCUMENT_MAX_BYTES)")


def test_the_document_size_limit_follows_the_apps_setting(small_template, tmp_path):
    (small_template / "docs" / "plan.md").write_text("# Plan\n" + "x" * 3000 + "\n", encoding="utf-8")
    load_template(small_template)
    with running_app(f"sqlite:///{tmp_path / 'db.sqlite'}", tmp_path, DOCUMENT_MAX_BYTES=2048) as app:
        with app.app_context():
            assert any("'docs/plan.md' is te groot (3 kB)" in p for p in refused(small_template))


def test_values_printed_by_a_document_cannot_grow_it_past_the_limit_through_lists(small_template):
    template = load_template(small_template)
    text = '{% set s = "x" * 100000 %}{{ [s, s, s, s, s, s, s, s, s, s, s, s] }}\n'
    with pytest.raises(TemplateError, match="documentlimiet"):
        render_text(text, "lijst.md", sample_context(template).as_mapping(), max_bytes=1_000_000)


def test_a_shipped_template_still_renders_within_the_budget():
    template = next(t for t in list_templates() if t.id == "doorgaande-lijn")
    assert render_document(template, template.readme, sample_context(template)).startswith("# ")


def make_admin_folder(tmp_path):
    extra = tmp_path / "sjablonen"
    shutil.copytree(VALID / "klein", extra / "klein")
    shutil.copytree(VALID / "klein", extra / "kapot")
    (extra / "kapot" / "template.yml").write_text(
        (extra / "kapot" / "template.yml").read_text(encoding="utf-8").replace("id: klein", "id: kapot"),
        encoding="utf-8")
    with_readme(extra / "kapot", "# Kapot\n{% include 'plan.md' %}\n")
    return extra


def test_one_broken_template_is_listed_as_broken_and_the_others_keep_working(tmp_path):
    extra = make_admin_folder(tmp_path)
    catalogue = scan_templates(extra)
    assert {"doorgaande-lijn", "lerend-netwerk-jeugd", "klein"} <= set(catalogue.templates)
    assert list(catalogue.broken) == [extra / "kapot"]
    assert [t.id for t in list_templates(extra)] == ["doorgaande-lijn", "klein", "lerend-netwerk-jeugd"]

    with running_app(f"sqlite:///{tmp_path / 'db.sqlite'}", tmp_path, TEMPLATES_DIR=str(extra)) as app:
        listed = app.test_cli_runner().invoke(args=["templates", "list"])
        lines = listed.output.splitlines()
        assert f"klein\t1\tKlein sjabloon\t{extra}" in lines
        assert (f"kapot\t-\tkapot: {{% include %}} kan niet in een sjabloondocument: elk document staat op "
                f"zichzelf; zet de tekst in het document zelf\t{extra}") in lines
        assert any(line.startswith(f"{extra / 'kapot' / 'docs' / 'readme.md'}:2: {{% include %}}") for line in lines)

        with app.app_context():
            for name in ("KDV Zon", "OBS Ster"):
                organisations.add_organisation(organisations.OrganisationInput(name=name, kind="kinderopvang"))
        network_file = tmp_path / "netwerk.yml"
        network_file.write_text((VALID / "netwerk.yml").read_text(encoding="utf-8").replace(
            "template: doorgaande-lijn", "template: klein"), encoding="utf-8")
        created = app.test_cli_runner().invoke(args=["network", "create", "--from", str(network_file)])
        assert created.exit_code == 0, created.output
        with app.app_context():
            assert db.session.query(Network).one().template_id == "klein"
