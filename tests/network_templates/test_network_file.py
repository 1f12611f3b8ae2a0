"""A network description file is read with its lines, checked inside and against what the app knows."""
import pytest

from extension.network_templates import (
    NetworkFileError,
    check_network_references,
    load_network_file,
    parse_network_file,
)

from tests.network_templates.conftest import ORGANISATIONS, TEMPLATE_IDS


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
