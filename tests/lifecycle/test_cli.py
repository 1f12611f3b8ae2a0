"""`lerend-netwerk network advance | add-member | remove-member | drift | repair`."""
from __future__ import annotations

from tests.lifecycle.conftest import CALENDAR, connection, delete_calendar
from tests.networks.conftest import SLUG


def _run(world, *args):
    return world.app.test_cli_runner().invoke(args=["network", *args])


def test_advance_prints_the_new_phase_and_the_new_tasks_per_organisation(launched):
    result = _run(launched, "advance", SLUG, "--yes")
    assert result.exit_code == 0, result.output
    assert "Het netwerk is nu in de fase Starten." in result.output
    assert "- Kinderopvang De Zonnebloem: 4 nieuwe ta(a)k(en)" in result.output
    assert "- Peuterspeelzaal Het Kompas: 1 nieuwe ta(a)k(en)" in result.output
    assert "5 stappen uitgevoerd, 0 gecontroleerd, 0 mislukt, 0 niet uitgevoerd." in result.output


def test_advance_dry_run_shows_the_consequences_and_changes_nothing(launched):
    result = _run(launched, "advance", SLUG, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "gaat van fase Voorbereiden naar fase Starten." in result.output
    assert "- Kinderopvang De Zonnebloem: 4 nieuwe ta(a)k(en)" in result.output
    assert "Proefrun: er is niets veranderd." in result.output
    with launched.app.app_context():
        from extension.networks.service import get_network

        network = get_network(SLUG)
        assert network.current_phase.name == "Voorbereiden"
        assert not [t for t in network.tasks if t.phase.key == network.phases[1].key]


def test_advance_asks_first_and_a_no_changes_nothing(launched):
    refused = _run_with_input(launched, "n\n", "advance", SLUG)
    assert refused.exit_code == 1
    assert "Naar de volgende fase?" in refused.output
    assert "Het netwerk is nu in de fase" not in refused.output
    confirmed = _run_with_input(launched, "y\n", "advance", SLUG)
    assert confirmed.exit_code == 0, confirmed.output
    assert "Het netwerk is nu in de fase Starten." in confirmed.output


def _run_with_input(world, text, *args):
    return world.app.test_cli_runner().invoke(args=["network", *args], input=text)


def test_advance_of_a_network_not_launched_is_refused(sqlite_world):
    slug = sqlite_world.create()
    result = _run(sqlite_world, "advance", slug)
    assert result.exit_code == 1
    assert "is nog niet gestart; start het eerst met: lerend-netwerk network launch" in result.output


def test_add_member_and_remove_member_report_what_happened(launched):
    added = _run(launched, "add-member", SLUG, "--name", "Femke de Jong", "--email", "femke@regenboog.example",
                 "--organisation", "basisschool-de-regenboog", "--user", "femke", "--expertise", "leerkracht")
    assert added.exit_code == 0, added.output
    assert f"Femke de Jong is lid van {SLUG}: 1 ta(a)k(en), uitgenodigd voor 6 bijeenkomst(en)." in added.output

    removed = _run(launched, "remove-member", SLUG, "femke@regenboog.example")
    assert removed.exit_code == 0, removed.output
    assert "- geen toegang meer: gedeelde map 'Doorgaande lijn Taal Zuilen'" in removed.output
    assert "- geen toegang meer: takenlijst bij Basisschool De Regenboog" in removed.output
    assert "- 1 open ta(a)k(en) verwijderd, 0 ta(a)k(en) blijven meetellen; afgemeld voor 6 bijeenkomst(en)." \
        in removed.output


def test_add_member_refuses_bad_input_with_the_field(launched):
    unknown = _run(launched, "add-member", SLUG, "--name", "X", "--email", "x@example.org", "--organisation", "nergens")
    assert unknown.exit_code == 1 and "organisation: onbekende organisatie 'nergens'" in unknown.output
    role = _run(launched, "add-member", SLUG, "--name", "X", "--email", "x@example.org", "--organisation",
                "basisschool-de-regenboog", "--role", "baas")
    assert role.exit_code == 1 and "role: 'baas' is niet toegestaan; kies uit kartrekker, deelnemer" in role.output


def test_drift_lists_what_is_gone_and_repair_puts_it_back(launched):
    assert _run(launched, "drift", SLUG).output.startswith("Geen afwijkingen")
    delete_calendar(connection(launched, "a"), CALENDAR)

    drift = _run(launched, "drift", SLUG)
    assert drift.exit_code == 2, drift.output
    assert (f"- [verdwenen] Kinderopvang De Zonnebloem: de agenda '{CALENDAR}' ontbreekt    "
            "[kinderopvang-de-zonnebloem/calendar/agenda]") in drift.output
    assert "de agenda wordt niet meer gedeeld met anna, bram, chantal, fatima, daan" in drift.output
    assert f"Herstel met: lerend-netwerk network repair {SLUG}" in drift.output

    repair = _run(launched, "repair", SLUG)
    assert repair.exit_code == 0, repair.output
    assert "8 stappen uitgevoerd, 0 gecontroleerd, 0 mislukt, 0 niet uitgevoerd." in repair.output
    assert _run(launched, "drift", SLUG).exit_code == 0
    nothing = _run(launched, "repair", SLUG)
    assert nothing.exit_code == 0 and "Geen afwijkingen: er is niets te herstellen." in nothing.output


def test_unknown_network_is_named_by_every_lifecycle_command(sqlite_world):
    for command in (["advance"], ["remove-member", "x@example.org"], ["drift"], ["repair"],
                    ["add-member", "--name", "X", "--email", "x@example.org", "--organisation", "nergens"]):
        result = _run(sqlite_world, command[0], "bestaat-niet", *command[1:])
        assert result.exit_code == 1, result.output
        assert "er is geen netwerk 'bestaat-niet'" in result.output


def _run_en(world, *args):
    return world.app.test_cli_runner().invoke(args=["--lang", "en", "network", *args])


def test_drift_findings_and_the_journaled_drift_read_in_the_chosen_language(launched):
    delete_calendar(connection(launched, "a"), CALENDAR)
    drift = _run_en(launched, "drift", SLUG)
    assert drift.exit_code == 2, drift.output
    assert f"Kinderopvang De Zonnebloem: the calendar '{CALENDAR}' is missing    " in drift.output
    assert "the calendar is no longer shared with anna, bram, chantal, fatima, daan" in drift.output
    assert "ontbreekt" not in drift.output and "gedeeld" not in drift.output
    # What the check journaled is shown from the database in whichever language reads it.
    english = launched.app.test_cli_runner().invoke(args=["--lang", "en", "network", "status", SLUG]).output
    dutch = launched.app.test_cli_runner().invoke(args=["network", "status", SLUG]).output
    assert f"the calendar '{CALENDAR}' is missing" in english and f"de agenda '{CALENDAR}' ontbreekt" in dutch


def test_remove_member_names_what_was_taken_away_in_the_chosen_language(launched):
    added = _run(launched, "add-member", SLUG, "--name", "Femke de Jong", "--email", "femke@regenboog.example",
                 "--organisation", "basisschool-de-regenboog", "--user", "femke", "--expertise", "leerkracht")
    assert added.exit_code == 0, added.output
    removed = _run_en(launched, "remove-member", SLUG, "femke@regenboog.example")
    assert removed.exit_code == 0, removed.output
    assert "- no access any more: shared folder 'Doorgaande lijn Taal Zuilen'" in removed.output
    assert "- no access any more: task list at Basisschool De Regenboog" in removed.output
    assert "takenlijst" not in removed.output and "gedeelde map" not in removed.output
