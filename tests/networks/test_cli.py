"""`lerend-netwerk network create | launch [--dry-run] | status`."""
from __future__ import annotations

from extension.extensions import db
from extension.networks.models import LaunchStep, Network
from tests.networks.conftest import SLUG


def test_create_from_a_file_prints_the_slug_and_the_next_command(sqlite_world):
    result = sqlite_world.app.test_cli_runner().invoke(
        args=["network", "create", "--from", str(sqlite_world.network_file)])
    assert result.exit_code == 0, result.output
    assert f"aangemaakt: {SLUG}" in result.output
    assert f"lerend-netwerk network launch {SLUG}" in result.output


def test_create_refuses_a_name_another_network_has_unless_allowed(sqlite_world):
    runner = sqlite_world.app.test_cli_runner()
    first = runner.invoke(args=["network", "create", "--from", str(sqlite_world.network_file)])
    assert first.exit_code == 0, first.output
    again = runner.invoke(args=["network", "create", "--from", str(sqlite_world.network_file)])
    assert again.exit_code == 1
    assert again.output.startswith("Er bestaat al een netwerk met de naam 'Doorgaande lijn Taal Zuilen' "
                                   f"({SLUG}).")
    allowed = runner.invoke(args=["network", "create", "--from", str(sqlite_world.network_file),
                                  "--allow-duplicate-name"])
    assert allowed.exit_code == 0, allowed.output
    with sqlite_world.app.app_context():
        assert db.session.query(Network).count() == 2


def test_list_shows_slug_name_status_and_phase(sqlite_world):
    runner = sqlite_world.app.test_cli_runner()
    assert runner.invoke(args=["network", "list"]).output.startswith("Nog geen netwerken.")
    slug = sqlite_world.create()
    lines = runner.invoke(args=["network", "list"]).output.splitlines()
    assert lines[0].split() == ["slug", "naam", "status", "fase"]
    assert lines[1].split("  ")[0] == slug
    assert "Doorgaande lijn Taal Zuilen" in lines[1] and "concept" in lines[1] and "Voorbereiden" in lines[1]


def test_create_refuses_a_file_naming_an_unknown_organisation_with_file_line_and_field(sqlite_world):
    path = sqlite_world.network_file
    path.write_text(path.read_text().replace("host: kinderopvang-de-zonnebloem", "host: kdv-onbekend"))
    result = sqlite_world.app.test_cli_runner().invoke(args=["network", "create", "--from", str(path)])
    assert result.exit_code != 0
    assert f"{path}:6: host: onbekende organisatie 'kdv-onbekend'" in result.output
    with sqlite_world.app.app_context():
        assert db.session.query(Network).count() == 0


def test_dry_run_prints_every_step_with_its_requests_and_sends_none(sqlite_world):
    slug = sqlite_world.create()
    for org in sqlite_world.sandbox.orgs.values():
        org.clear_log()
    result = sqlite_world.app.test_cli_runner().invoke(args=["network", "launch", slug, "--dry-run"])
    assert result.exit_code == 0, result.output
    assert all(org.request_log == [] for org in sqlite_world.sandbox.orgs.values())
    assert "   1  Map delen met Eva Smit" in result.output
    assert "   2  Agenda delen met anna, bram, chantal, fatima, daan" in result.output
    assert "Totaal: 54 stappen, 58 verzoeken" in result.output
    assert "Iris Kok (Peuterspeelzaal Het Kompas, geen Nextcloud) krijgt de uitnodigingen per e-mail." in result.output
    with sqlite_world.app.app_context():
        assert db.session.query(LaunchStep).count() == 0
        assert db.session.query(Network).one().status == "draft"


def test_launch_reports_the_steps_and_status_shows_them_per_phase(sqlite_world):
    slug = sqlite_world.create()
    runner = sqlite_world.app.test_cli_runner()
    result = runner.invoke(args=["network", "launch", slug])
    assert result.exit_code == 0, result.output
    assert "54 stappen uitgevoerd, 0 gecontroleerd, 0 mislukt, 0 niet uitgevoerd." in result.output

    status = runner.invoke(args=["network", "status", slug])
    assert status.exit_code == 0, status.output
    assert "Doorgaande lijn Taal Zuilen (doorgaande-lijn-taal-zuilen): actief, fase Voorbereiden" in status.output
    assert "Fase 1. Voorbereiden:" in status.output and "(huidige fase)" in status.output
    assert "  [klaar] Document '1. Voorbereiden/Netwerkplan.md' plaatsen" in status.output
    assert "  Taken: 7 in Nextcloud, 2 in de app" in status.output
    assert "Stappen: 54 klaar" in status.output


def test_launch_exits_with_an_error_when_a_step_fails(sqlite_world):
    slug = sqlite_world.create()
    sqlite_world.sandbox.org("b").faults.maintenance = True
    result = sqlite_world.app.test_cli_runner().invoke(args=["network", "launch", slug])
    assert result.exit_code == 1
    assert "Mislukt: basisschool-de-regenboog/tasklist/takenlijst" in result.output
    assert "nog niet helemaal gestart" in result.output


def test_unknown_network_is_named_in_the_error(sqlite_world):
    for command in (["launch", "bestaat-niet"], ["launch", "bestaat-niet", "--dry-run"], ["status", "bestaat-niet"]):
        result = sqlite_world.app.test_cli_runner().invoke(args=["network", *command])
        assert result.exit_code == 1
        assert "er is geen netwerk 'bestaat-niet'" in result.output


def test_launch_refuses_a_network_whose_host_has_no_connection(sqlite_world):
    from extension.organisations.models import Organisation

    slug = sqlite_world.create()
    with sqlite_world.app.app_context():
        db.session.query(Organisation).filter_by(slug="kinderopvang-de-zonnebloem").one().connection_account_id = None
        db.session.commit()
    result = sqlite_world.app.test_cli_runner().invoke(args=["network", "launch", slug])
    assert result.exit_code == 1
    assert "De gastorganisatie Kinderopvang De Zonnebloem heeft geen werkende verbinding met Nextcloud" in result.output
