"""Templates come from the shipped folder and the admin's TEMPLATES_DIR; broken ones never hide the others."""
import os
import shutil

import pytest

from extension.network_templates import (
    TemplateError,
    UnknownTemplate,
    get_template,
    list_templates,
    load_template,
    scan_templates,
)

from tests.network_templates.conftest import VALID


def test_the_two_shipped_templates_are_listed_without_an_extra_folder():
    assert [t.id for t in list_templates()] == ["doorgaande-lijn", "lerend-netwerk-jeugd"]


def test_an_admin_template_is_listed_next_to_the_shipped_ones_and_found_by_id(tmp_path):
    shutil.copytree(VALID / "klein", tmp_path / "klein")
    assert [t.id for t in list_templates(tmp_path)] == ["doorgaande-lijn", "klein", "lerend-netwerk-jeugd"]
    assert get_template("klein", tmp_path).name == "Klein sjabloon"


def test_a_broken_admin_template_is_reported_and_the_others_still_load(tmp_path):
    shutil.copytree(VALID / "klein", tmp_path / "klein")
    broken = tmp_path / "kapot"
    broken.mkdir()
    (broken / "template.yml").write_text("id: kapot\nversion: nul\n", encoding="utf-8")
    catalogue = scan_templates(tmp_path)
    assert sorted(catalogue.templates) == ["doorgaande-lijn", "klein", "lerend-netwerk-jeugd"]
    assert len(catalogue.errors) == 1
    assert f"{broken / 'template.yml'}:2: version: moet een geheel getal zijn" in str(catalogue.errors[0])


def test_an_admin_template_must_not_reuse_a_shipped_id(tmp_path):
    shutil.copytree(VALID / "klein", tmp_path / "doorgaande-lijn")
    text = (tmp_path / "doorgaande-lijn" / "template.yml").read_text().replace("id: klein", "id: doorgaande-lijn")
    (tmp_path / "doorgaande-lijn" / "template.yml").write_text(text)
    catalogue = scan_templates(tmp_path)
    assert catalogue.templates["doorgaande-lijn"].name != "Klein sjabloon"
    assert "doorgaande-lijn/template.yml:1: id: sjabloon 'doorgaande-lijn' bestaat al" in str(catalogue.errors[0])
    with pytest.raises(TemplateError, match="bestaat al"):
        get_template("doorgaande-lijn", tmp_path)


def test_the_id_must_equal_the_folder_name_in_a_templates_folder(tmp_path):
    shutil.copytree(VALID / "klein", tmp_path / "anders")
    assert "id: 'klein' moet gelijk zijn aan de mapnaam 'anders'" in str(scan_templates(tmp_path).errors[0])


def test_an_unknown_id_raises_unknown_template(tmp_path):
    with pytest.raises(UnknownTemplate):
        get_template("bestaat-niet", tmp_path)
    with pytest.raises(UnknownTemplate):
        get_template("../templates")


def test_a_missing_templates_dir_is_named_in_the_error(tmp_path):
    with pytest.raises(TemplateError, match="TEMPLATES_DIR: map bestaat niet"):
        list_templates(tmp_path / "nergens")


def test_a_changed_document_is_seen_on_the_next_load(small_template):
    first = load_template(small_template)
    plan = small_template / "docs" / "plan.md"
    plan.write_text("# Nieuw plan {{ network.name }}\n", encoding="utf-8")
    stat = plan.stat()
    os.utime(plan, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    second = load_template(small_template)
    assert first is not second
    assert second._sources["docs/plan.md"].startswith("# Nieuw plan")


def test_an_unchanged_template_is_loaded_once(small_template):
    assert load_template(small_template) is load_template(small_template / "template.yml")


def test_a_document_symlinked_outside_the_template_folder_is_refused(small_template, tmp_path):
    outside = tmp_path / "buiten.md"
    outside.write_text("# geheim\n", encoding="utf-8")
    (small_template / "docs" / "plan.md").unlink()
    (small_template / "docs" / "plan.md").symlink_to(outside)
    with pytest.raises(TemplateError, match="phases\\[0\\].documents\\[0\\].source: 'docs/plan.md' wijst"):
        load_template(small_template)


def test_a_missing_template_file_is_named(tmp_path):
    with pytest.raises(TemplateError, match="template.yml: bestand bestaat niet"):
        load_template(tmp_path)
