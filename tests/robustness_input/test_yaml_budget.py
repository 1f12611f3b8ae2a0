"""YAML a user wrote is read within a budget: an alias bomb or deep nesting is refused with file and line,
in a fraction of the memory it would take to expand (each run in a child process under a memory ceiling)."""
from __future__ import annotations

import pytest

from extension.network_templates import NetworkFileError, TemplateError, load_template, parse_network_file
from extension.yaml_source import MAX_DEPTH, MAX_YAML_BYTES, load_yaml
from tests.network_templates.conftest import VALID
from tests.robustness_input.guard import run_limited
from tests.robustness_input.hostile import ALIAS_BOMB


def test_the_alias_bomb_is_the_measured_396_bytes():
    assert len(ALIAS_BOMB.encode("utf-8")) == 396


def test_an_alias_bomb_in_a_network_file_is_refused_within_100_mb_naming_file_and_line(tmp_path):
    path = tmp_path / "netwerk.yml"
    path.write_text(ALIAS_BOMB, encoding="utf-8")
    outcome = run_limited("from extension.network_templates import parse_network_file",
                          f"parse_network_file({str(path)!r})")
    assert outcome["error"] == "NetworkFileError", outcome
    assert outcome["message"].startswith(f"{path}:")
    assert "te veel waarden na het invullen van verwijzingen (*)" in outcome["message"]


def test_an_alias_bomb_in_a_template_is_refused_within_100_mb_naming_file_and_line(tmp_path):
    folder = tmp_path / "bom"
    folder.mkdir()
    (folder / "template.yml").write_text(ALIAS_BOMB, encoding="utf-8")
    outcome = run_limited("from extension.network_templates import load_template", f"load_template({str(folder)!r})")
    assert outcome["error"] == "TemplateError", outcome
    assert outcome["message"].startswith(f"{folder / 'template.yml'}:")
    assert "verwijzingen (*)" in outcome["message"]


def test_an_alias_bomb_hidden_in_a_field_of_a_real_network_file_is_refused(network_file):
    text = network_file.read_text(encoding="utf-8")
    bomb = "".join("  " + line + "\n" for line in ALIAS_BOMB.splitlines())
    network_file.write_text(text + "extra:\n" + bomb, encoding="utf-8")
    with pytest.raises(NetworkFileError) as caught:
        parse_network_file(network_file)
    [problem] = caught.value.problems
    assert problem.file == str(network_file) and problem.line is not None


def test_deep_nesting_is_refused_with_file_and_line_instead_of_a_recursion_error(tmp_path):
    path = tmp_path / "netwerk.yml"
    path.write_text("name: x\nmembers: " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")
    with pytest.raises(NetworkFileError) as caught:
        parse_network_file(path)
    assert str(caught.value) == f"{path}:2: te diep genest (meer dan {MAX_DEPTH} niveaus)"


def test_deep_block_nesting_in_a_template_is_refused_with_its_line(tmp_path):
    folder = tmp_path / "diep"
    folder.mkdir()
    (folder / "template.yml").write_text("id: diep\nphases:\n" + "".join(
        "  " * depth + f"k{depth}:\n" for depth in range(1, 200)), encoding="utf-8")
    with pytest.raises(TemplateError) as caught:
        load_template(folder)
    [problem] = caught.value.problems
    assert (problem.file, problem.line) == (str(folder / "template.yml"), MAX_DEPTH + 1)
    assert "te diep genest" in problem.message


def test_aliases_within_the_budget_still_work(tmp_path):
    path = tmp_path / "f.yml"
    path.write_text("a: &x {b: 1, c: [1, 2]}\nd: *x\ne: [*x, *x]\n", encoding="utf-8")
    data = load_yaml(path, "f.yml", TemplateError).data
    assert data["d"] == data["a"] and data["e"] == [data["a"], data["a"]]


def test_a_file_larger_than_the_limit_is_refused_before_it_is_read(tmp_path):
    path = tmp_path / "groot.yml"
    path.write_text("a: " + "x" * MAX_YAML_BYTES + "\n", encoding="utf-8")
    outcome = run_limited("from extension.yaml_source import load_yaml\n"
                          "from extension.network_templates import TemplateError\nfrom pathlib import Path",
                          f"load_yaml(Path({str(path)!r}), 'groot.yml', TemplateError)")
    assert outcome["error"] == "TemplateError"
    assert outcome["message"].startswith("groot.yml: is te groot (")


def test_a_number_with_thousands_of_digits_stays_text_instead_of_failing(tmp_path):
    path = tmp_path / "f.yml"
    path.write_text("a: " + "9" * 5000 + "\n", encoding="utf-8")
    assert load_yaml(path, "f.yml", TemplateError).data == {"a": "9" * 5000}


def test_a_forbidden_control_character_is_refused_with_its_line(tmp_path):
    path = tmp_path / "f.yml"
    path.write_text("a: 1\nb: x\x07y\n", encoding="utf-8")
    with pytest.raises(TemplateError) as caught:
        load_yaml(path, "f.yml", TemplateError)
    assert str(caught.value) == "f.yml:2: YAML-fout: teken 0x0007 mag niet in een YAML-bestand"


def test_the_shipped_valid_template_still_loads():
    assert load_template(VALID / "klein").id == "klein"
