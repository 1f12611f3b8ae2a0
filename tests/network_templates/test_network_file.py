"""A network description file is read with its lines, checked inside and against what the app knows."""
from datetime import date

import pytest
import yaml
from pydantic import BaseModel, ValidationError

from extension.network_templates import (
    NetworkFileError,
    check_network_references,
    load_network_file,
    parse_network_file,
)
from extension.network_templates.errors import problems_from_validation
from extension.network_templates.schema import NetworkSpec, latest_start
from extension.yaml_source import SourceMap

from tests.network_templates.conftest import ORGANISATIONS, TEMPLATE_IDS, VALID


def test_a_valid_network_file_loads(network_file):
    network = load_network_file(network_file, organisations=ORGANISATIONS, templates=TEMPLATE_IDS)
    assert network.name == "Doorgaande lijn Taal"
    assert [m.email for m in network.members] == ["anna@zon.example", "bram@ster.example"]


def test_references_are_checked_separately_with_the_lines_of_the_file(network_file):
    network = parse_network_file(network_file)
    with pytest.raises(NetworkFileError) as caught:
        check_network_references(network, organisations={"kdv-zon"}, templates=TEMPLATE_IDS)
    assert str(caught.value).splitlines() == [
        f"{network_file}:17: members[1].organisation: onbekende organisatie 'obs-ster'; kies uit kdv-zon",
        f"{network_file}:20: commitments[0].organisation: onbekende organisatie 'obs-ster'; kies uit kdv-zon",
    ]


def test_an_app_without_organisations_says_so(network_file):
    with pytest.raises(NetworkFileError, match="kies uit \\(nog geen organisaties\\)"):
        load_network_file(network_file, organisations=[], templates=TEMPLATE_IDS)


def test_all_problems_of_a_file_are_reported_in_one_round_ordered_by_line(network_file):
    text = network_file.read_text().replace("template: doorgaande-lijn", "template: onbekend")
    network_file.write_text(text.replace("hours_per_month: 4", "hours_per_month: veel"))
    with pytest.raises(NetworkFileError) as caught:
        load_network_file(network_file, organisations=ORGANISATIONS, templates=TEMPLATE_IDS)
    assert [(p.line, p.field) for p in caught.value.problems] == [
        (5, "template"), (24, "commitments[0].hours_per_month")]


def test_a_file_that_is_not_a_mapping_is_refused(tmp_path):
    path = tmp_path / "lijst.yml"
    path.write_text("- a\n- b\n", encoding="utf-8")
    with pytest.raises(NetworkFileError, match="lijst.yml:1: moet velden bevatten"):
        load_network_file(path, organisations=ORGANISATIONS, templates=TEMPLATE_IDS)


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(NetworkFileError, match="bestaat niet"):
        parse_network_file(tmp_path / "weg.yml")


def test_a_start_more_than_five_years_ahead_is_refused_naming_the_last_date_allowed(network_file):
    network_file.write_text(network_file.read_text().replace("start: 2025-09-01", "start: 9999-12-31"))
    with pytest.raises(NetworkFileError) as caught:
        parse_network_file(network_file)
    limit = latest_start(date.today()).isoformat()
    assert str(caught.value) == (f"{network_file}:7: start: 9999-12-31 ligt meer dan 5 jaar vooruit; kies een datum "
                                 f"tot en met {limit}")


def test_an_infinite_number_and_an_error_we_have_no_words_for_are_named_in_dutch():
    class Flag(BaseModel):
        flag: bool

    data = yaml.safe_load(VALID.joinpath("netwerk.yml").read_text())
    data["rhythm"] = {"per_year": float("inf"), "weekday": "dinsdag", "start_time": "15:30"}
    with pytest.raises(ValidationError) as infinite:
        NetworkSpec.model_validate(data)
    with pytest.raises(ValidationError) as unmapped:
        Flag.model_validate({"flag": "misschien"})
    assert [str(p) for p in problems_from_validation(infinite.value, SourceMap("n.yml"))] == [
        "n.yml:1: rhythm.per_year: moet een getal zijn"]
    assert [str(p) for p in problems_from_validation(unmapped.value, SourceMap("f.yml"))] == [
        "f.yml:1: flag: de waarde van flag klopt niet"]
