"""A refusal from the services (a bad network file, an unknown network, a run that is busy) reads in the
language the command line was given: Dutch by default, English with --lang en or an English locale."""
from __future__ import annotations

import threading
from zoneinfo import ZoneInfo

from extension.extensions import db
from extension.locks import network_lock
from extension.networks.models import Network
from tests.networks.conftest import SLUG

NO_LOCALE = {"LC_ALL": None, "LC_MESSAGES": None, "LANG": None}


def _invoke(world, *args, env=NO_LOCALE):
    return world.app.test_cli_runner().invoke(args=list(args), env=env)


def _broken_file(world):
    path = world.network_file
    text = path.read_text().replace("host: kinderopvang-de-zonnebloem", "host: kdv-onbekend")
    path.write_text(text.replace("start: ", "start: 2027-13-01\nunused_start: ", 1))
    return path


def test_a_bad_network_file_is_refused_in_dutch_by_default_and_in_english_with_lang_en(sqlite_world):
    path = _broken_file(sqlite_world)
    dutch = _invoke(sqlite_world, "network", "create", "--from", str(path))
    english = _invoke(sqlite_world, "--lang", "en", "network", "create", "--from", str(path))
    assert dutch.exit_code == english.exit_code == 1
    assert f"{path}:6: host: onbekende organisatie 'kdv-onbekend'; kies uit " in dutch.output
    assert "start: '2027-13-01' is geen geldige datum (JJJJ-MM-DD)" in dutch.output
    assert f"{path}:6: host: unknown organisation 'kdv-onbekend'; choose from " in english.output
    assert "start: '2027-13-01' is not a valid date (YYYY-MM-DD)" in english.output
    assert "onbekend" not in english.output.replace("kdv-onbekend", "")
    assert "unused_start: unknown field" in english.output


def test_an_english_locale_gives_english_refusals_too(sqlite_world):
    result = _invoke(sqlite_world, "network", "advance", "geen-netwerk", env={**NO_LOCALE, "LANG": "en_GB.UTF-8"})
    assert result.exit_code == 1
    assert result.output == "there is no network 'geen-netwerk'\n"


def test_advance_on_an_unknown_network_is_one_line_in_either_language(sqlite_world):
    dutch = _invoke(sqlite_world, "network", "advance", "geen-netwerk")
    english = _invoke(sqlite_world, "--lang", "en", "network", "advance", "geen-netwerk")
    assert (dutch.exit_code, dutch.output) == (1, "er is geen netwerk 'geen-netwerk'\n")
    assert (english.exit_code, english.output) == (1, "there is no network 'geen-netwerk'\n")


def test_advance_before_the_launch_names_the_command_to_run_in_the_chosen_language(sqlite_world):
    slug = sqlite_world.create()
    english = _invoke(sqlite_world, "--lang", "en", "network", "advance", slug)
    assert english.exit_code == 1
    assert english.output == (f"The network 'Doorgaande lijn Taal Zuilen' has not been launched yet; launch it "
                              f"first with: lerend-netwerk network launch {slug}\n")
    dutch = _invoke(sqlite_world, "network", "advance", slug)
    assert dutch.output.startswith("Het netwerk 'Doorgaande lijn Taal Zuilen' is nog niet gestart")


def test_a_run_while_another_holds_the_network_gets_the_busy_message_in_the_chosen_language(sqlite_world):
    slug = sqlite_world.create()
    assert slug == SLUG
    taken, release = threading.Event(), threading.Event()

    def other_run():
        with sqlite_world.app.app_context(), network_lock(slug):
            taken.set()
            release.wait(30)

    holder = threading.Thread(target=other_run)
    holder.start()
    try:
        assert taken.wait(30)
        english = _invoke(sqlite_world, "--lang", "en", "network", "launch", slug)
        dutch = _invoke(sqlite_world, "network", "launch", slug)
    finally:
        release.set()
        holder.join(30)
    assert english.exit_code == dutch.exit_code == 1
    assert english.output.splitlines()[-1] == (f"An action on the network '{slug}' is running already (launching, "
                                               "updating or ending). Wait until it has finished and then try again.")
    assert dutch.output.splitlines()[-1] == (f"Er loopt al een actie op het netwerk '{slug}' (starten, bijwerken of "
                                             "beëindigen). Wacht tot die klaar is en probeer het dan opnieuw.")


def test_member_refusals_follow_the_language(sqlite_world):
    slug = sqlite_world.create()
    args = ["network", "add-member", slug, "--name", "Zoë", "--email", "geen-adres", "--organisation",
            "kinderopvang-de-zonnebloem", "--role", "deelnemer"]
    english = _invoke(sqlite_world, "--lang", "en", *args)
    dutch = _invoke(sqlite_world, *args)
    assert "email: 'geen-adres' is not a valid e-mail address" in english.output
    assert "email: 'geen-adres' is geen geldig e-mailadres" in dutch.output


def test_status_reads_in_the_chosen_language_with_times_in_the_local_zone_named(sqlite_world):
    slug = sqlite_world.create()
    dutch = _invoke(sqlite_world, "network", "status", slug)
    english = _invoke(sqlite_world, "--lang", "en", "network", "status", slug)
    assert dutch.exit_code == english.exit_code == 0, dutch.output + english.output
    assert "Gastorganisatie: " in dutch.output and "Nog niet gestart." in dutch.output
    assert "Host organisation: " in english.output and "Not launched yet." in english.output
    assert "Gastorganisatie" not in english.output and "Laatst gesynchroniseerd" not in english.output
    with sqlite_world.app.app_context():
        network = db.session.query(Network).filter_by(slug=slug).one()
        first = min(network.meetings, key=lambda m: m.start)
        shown = first.start.astimezone(ZoneInfo("Europe/Amsterdam")).strftime("%Y-%m-%d %H:%M %Z")
    assert shown.endswith((" CET", " CEST"))  # the app's zone (BABEL_DEFAULT_TIMEZONE), named
    assert f"  {first.title} on {shown}: not read from the calendar yet" in english.output
    assert f"  {first.title} op {shown}: nog niet uit de agenda gelezen" in dutch.output


def test_the_dry_run_names_its_steps_and_notes_in_the_chosen_language(sqlite_world):
    slug = sqlite_world.create()
    dutch = _invoke(sqlite_world, "network", "launch", "--dry-run", slug)
    english = _invoke(sqlite_world, "--lang", "en", "network", "launch", "--dry-run", slug)
    assert dutch.exit_code == english.exit_code == 0, dutch.output + english.output
    assert "Agenda 'Doorgaande lijn Taal Zuilen' aanmaken" in dutch.output
    assert "Map delen met " in dutch.output and "Gesprek 'Doorgaande lijn Taal Zuilen' in Nextcloud Talk" in dutch.output
    assert "(Peuterspeelzaal Het Kompas, geen Nextcloud) krijgt de uitnodigingen per e-mail." in dutch.output
    assert "Create the calendar 'Doorgaande lijn Taal Zuilen'" in english.output
    assert "Share the folder with " in english.output
    assert "Conversation 'Doorgaande lijn Taal Zuilen' in Nextcloud Talk" in english.output
    assert "(Peuterspeelzaal Het Kompas, no Nextcloud) gets the invitations by e-mail." in english.output
    for dutch_word in ("aanmaken", "plaatsen", "delen met", "krijgt de uitnodigingen", "Bijeenkomst '", "Taak '"):
        assert dutch_word not in english.output


def test_status_names_the_launched_steps_in_the_chosen_language(sqlite_world):
    slug = sqlite_world.create()
    assert sqlite_world.launch(slug).ok
    dutch = _invoke(sqlite_world, "network", "status", slug)
    english = _invoke(sqlite_world, "--lang", "en", "network", "status", slug)
    assert dutch.exit_code == english.exit_code == 0, dutch.output + english.output
    assert "] Agenda 'Doorgaande lijn Taal Zuilen' aanmaken" in dutch.output
    assert "] Create the calendar 'Doorgaande lijn Taal Zuilen'" in english.output
    assert "] Place the document '" in english.output and "] Document '" in dutch.output
    assert "aanmaken" not in english.output and "plaatsen" not in english.output
