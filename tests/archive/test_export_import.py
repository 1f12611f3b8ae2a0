"""`network export` and `network import`: a network exported, imported into an empty database and exported
again gives the same document (SQLite and PostgreSQL); invalid documents are refused, naming the field."""
from __future__ import annotations

import copy
import json
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy.exc import IntegrityError

from extension.accounts.models import Account
from extension.extensions import db
from extension.networks import importer
from tests.networks.calls import launch
from extension.networks.export import FORMAT, VERSION, dumps, export_network
from extension.networks.importer import InvalidExport, import_network, parse, validate
from extension.networks.models import KnowledgeTask, LaunchStep, Meeting, Membership, Network, Phase
from extension.organisations.models import Organisation
from sandbox.demo import FUNCTIONAL_ACCOUNT
from tests.archive.conftest import copy_organisations
from tests.extension.connected import connect_account
from tests.networks.conftest import NO_NEXTCLOUD, SLUG
from tests.networks.snapshot import writes


def export_of(app, slug: str = SLUG) -> dict:
    with app.app_context():
        return export_network(slug)


def import_into(app, document: dict):
    with app.app_context():
        return import_network(parse(dumps(document)))


def problems(exc: pytest.ExceptionInfo) -> dict[str, str]:
    return {p.field: p.message for p in exc.value.problems}


def test_export_then_import_into_an_empty_database_reproduces_the_network(launched, target_app):
    first = export_of(launched.app)
    copy_organisations(launched.app, target_app)
    import_into(target_app, first)
    second = export_of(target_app)
    assert dumps(second) == dumps(first)

    # What the document carries: states, replies, the Nextcloud objects' names, the launch journal.
    assert (first["format"], first["version"]) == (FORMAT, VERSION)
    assert first["network"]["status"] == "active" and first["network"]["folder_name"] == "Doorgaande lijn Taal Zuilen"
    assert len(first["members"]) == 8 and len(first["commitments"]) == 3 and len(first["phases"]) == 5
    assert len(first["meetings"]) == 6 and len(first["tasks"]) == 9 and len(first["launch_steps"]) == 54
    states = {(t["status"], t["percent_complete"]) for t in first["tasks"]}
    assert {("COMPLETED", 100), ("IN-PROCESS", 40), ("NEEDS-ACTION", 0)} == states
    assert first["meetings"][0]["replies"] == {"bram@zonnebloem.example": "DECLINED",
                                               "eva@regenboog.example": "ACCEPTED"}
    written = [t for t in first["tasks"] if t["sync_state"] == "written"]
    assert len(written) == 7 and all(t["remote_href"].endswith(f"/{t['ical_uid']}.ics") for t in written)
    assert [o["slug"] for o in first["organisations"]] == sorted(o["slug"] for o in first["organisations"])


def test_the_export_is_the_same_each_time_and_holds_no_secret_and_no_database_id(sqlite_launched):
    app = sqlite_launched.app
    document = export_of(app)
    text = dumps(document)
    assert dumps(export_of(app)) == text
    with app.app_context():
        secrets = [value for o in db.session.query(Organisation) for value in (o.client_id, o.client_secret) if value]
        secrets += [value for a in db.session.query(Account) for value in (a.access_token, a.refresh_token)]
    assert len(secrets) == 8 and [s for s in secrets if s in text] == []
    nextcloud_user_ids = {"user_id", "manager_user_id", "assignee_user_id"}
    assert [key for key in keys_in(document)
            if key == "id" or key.endswith("_id") and key not in nextcloud_user_ids] == []


def keys_in(value) -> list[str]:
    """Every key in the document, except inside launch-step results (what Nextcloud answered, e.g. share_id)."""
    if isinstance(value, dict):
        return [key for key, item in value.items() for key in (key, *(keys_in(item) if key != "result" else ()))]
    if isinstance(value, list):
        return [key for item in value for key in keys_in(item)]
    return []


def test_cli_exports_to_a_file_or_the_screen_and_imports_the_file(sqlite_launched, sqlite_target_app, tmp_path):
    source = sqlite_launched.app.test_cli_runner()
    path = tmp_path / "netwerk.json"
    result = source.invoke(args=["network", "export", SLUG, "-o", str(path)])
    assert result.exit_code == 0, result.output
    on_screen = source.invoke(args=["network", "export", SLUG])
    assert on_screen.exit_code == 0 and on_screen.stdout == path.read_text("utf-8")
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".netwerk.json")] == []

    copy_organisations(sqlite_launched.app, sqlite_target_app)
    result = sqlite_target_app.test_cli_runner().invoke(args=["network", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert f"ingelezen: {SLUG} (8 deelnemers, 6 bijeenkomsten, 9 taken)" in result.output
    assert dumps(export_of(sqlite_target_app)) == path.read_text("utf-8")


def test_cli_export_of_an_unknown_network_fails_with_its_slug(sqlite_app):
    result = sqlite_app.test_cli_runner().invoke(args=["network", "export", "bestaat-niet"])
    assert result.exit_code != 0 and "er is geen netwerk 'bestaat-niet'" in result.output


def test_the_imported_network_keeps_tracking_the_same_nextcloud_objects(sqlite_launched, sqlite_target_app):
    """Connected to the same Nextclouds, a relaunch from the new database finds everything in place: reads only."""
    document = export_of(sqlite_launched.app)
    sandbox = sqlite_launched.sandbox
    for key in ("a", "b"):
        account_id = connect_account(sqlite_target_app, sandbox, key, FUNCTIONAL_ACCOUNT)
        with sqlite_target_app.app_context():
            account = db.session.get(Account, account_id)
            account.organisation.connection_account_id = account.id
            db.session.commit()
    copy_organisations(sqlite_launched.app, sqlite_target_app)  # adds the one without Nextcloud, the rest exist
    import_into(sqlite_target_app, document)
    for org in sandbox.orgs.values():
        org.clear_log()
    with sqlite_target_app.app_context():
        result = launch(sqlite_target_app, SLUG)
    assert result.ok, result.failed
    # Every journaled step is verified with reads (the organiser step too: it reads the new connection's address).
    assert (result.steps, result.done, result.verified) == (54, 0, 54)
    assert writes(sandbox) == {}


# -- refused documents ---------------------------------------------------------------------------------------

@pytest.fixture
def document(sqlite_world) -> dict:
    """The export of the Doorgaande Lijn network as created (not launched), on SQLite."""
    sqlite_world.create()
    return export_of(sqlite_world.app)


def refused(document: dict) -> dict[str, str]:
    with pytest.raises(InvalidExport) as caught:
        validate(document)
    return problems(caught)


def changed(document: dict, change) -> dict:
    document = copy.deepcopy(document)
    change(document)
    return document


def test_a_document_of_another_format_is_refused_by_its_format_field(document):
    assert refused(changed(document, lambda d: d.update(format="iets-anders"))) == {
        "format": "'iets-anders' is geen export van een lerend netwerk (verwacht 'lerend-netwerk/network')"}
    assert list(refused([1, 2])) == [""]


@pytest.mark.parametrize("version", [2, 0, "1", True, None])
def test_a_document_of_another_version_is_refused_before_its_shape_is_read(document, version):
    broken = changed(document, lambda d: d.update(version=version, members="geen lijst"))
    assert refused(broken) == {"version": f"versie {version!r} wordt niet ondersteund; deze app leest versie 1"}


def test_text_that_is_not_json_is_refused_with_its_line():
    with pytest.raises(InvalidExport) as caught:
        parse('{\n  "format": "lerend-netwerk/network",\n  "version": 1,\n}', "netwerk.json")
    assert str(caught.value).startswith("netwerk.json:4: geen geldige JSON")


def test_shape_errors_name_every_field(document):
    def break_shape(d):
        del d["members"][1]["email"]
        d["tasks"][0]["sync_state"] = "weg"
        d["network"]["kleur"] = "groen"
        d["meetings"][2]["starts_at"] = "2026-05-01T15:30:00"
        d["phases"][0]["key"] = ""
        d["network"]["slug"] = "Hoofdletters"
    found = refused(changed(document, break_shape))
    assert set(found) == {"members[1].email", "tasks[0].sync_state", "network.kleur", "meetings[2].starts_at",
                          "phases[0].key", "network.slug"}
    assert found["members[1].email"] == "ontbreekt"
    assert found["network.kleur"] == "onbekend veld"
    assert found["tasks[0].sync_state"].startswith("'weg' is niet toegestaan; kies uit 'written'")


def test_references_that_do_not_resolve_are_named(document):
    def break_references(d):
        d["network"]["host"] = "onbekend"
        d["network"]["current_phase"] = "fase-x"
        d["members"][0]["organisation"] = "nergens"
        d["meetings"][0]["phase"] = "fase-x"
        d["tasks"][2]["member"] = "niemand@example.org"
        d["tasks"][3]["meeting"] = "geen-bijeenkomst"
        d["phases"].append(dict(d["phases"][0], position=5))
        d["network"]["calendar_uri"] = "Agenda met spaties"
        d["network"]["folder_name"] = "../buiten"
    assert refused(changed(document, break_references)) == {
        "network.host": "onbekende organisatie 'onbekend'",
        "network.current_phase": "onbekende fase 'fase-x'",
        "members[0].organisation": "onbekende organisatie 'nergens'",
        "meetings[0].phase": "onbekende fase 'fase-x'",
        "tasks[2].member": "onbekende deelnemer (e-mail) 'niemand@example.org'",
        "tasks[3].meeting": "onbekende bijeenkomst 'geen-bijeenkomst'",
        "phases[0].key": "'voorbereiden' komt meer dan eens voor",
        "phases[5].key": "'voorbereiden' komt meer dan eens voor",
        "phases[5].folder": "'1. Voorbereiden' komt twee keer voor",
        "network.calendar_uri": "'Agenda met spaties' is geen geldige agenda-URI (a-z, 0-9 en '-')",
        "network.folder_name": "'../buiten' bevat een teken dat niet mag: '/'",
    }


def test_a_slug_that_exists_here_is_refused(sqlite_world, document):
    with sqlite_world.app.app_context():
        with pytest.raises(InvalidExport) as caught:
            import_network(validate(document))
        assert db.session.query(Network).count() == 1
    found = problems(caught)
    assert found["network.slug"] == f"er is hier al een netwerk '{SLUG}'"
    assert found["network.folder_name"].endswith("gebruikt de map 'Doorgaande lijn Taal Zuilen' al")


def test_organisations_missing_here_or_on_another_nextcloud_are_refused(document, sqlite_target_app, sqlite_world):
    copy_organisations(sqlite_world.app, sqlite_target_app)
    slugs = [o["slug"] for o in document["organisations"]]
    with sqlite_target_app.app_context():
        db.session.delete(db.session.query(Organisation).filter_by(slug=NO_NEXTCLOUD).one())
        db.session.query(Organisation).filter_by(slug=slugs[0]).one().nextcloud_url = "https://elders.example"
        db.session.commit()
        with pytest.raises(InvalidExport) as caught:
            import_network(validate(document))
        assert db.session.query(Network).count() == 0
    found = problems(caught)
    assert set(found) == {f"organisations[{slugs.index(NO_NEXTCLOUD)}].slug", "organisations[0].nextcloud_url"}
    assert found[f"organisations[{slugs.index(NO_NEXTCLOUD)}].slug"].startswith(
        f"organisatie '{NO_NEXTCLOUD}' (Peuterspeelzaal Het Kompas) bestaat niet in deze database")
    assert "verschilt van de Nextcloud van" in found["organisations[0].nextcloud_url"]


def test_an_import_that_fails_while_writing_leaves_nothing_behind(sqlite_world, document, target_app, monkeypatch):
    copy_organisations(sqlite_world.app, target_app)
    build = importer._build

    def build_then_break(doc, organisations):
        network = build(doc, organisations)  # has flushed the network, phases, members and meetings already
        network.launch_steps.append(LaunchStep(key=None, kind="kapot", position=99, label="", status="pending"))
        return network

    monkeypatch.setattr(importer, "_build", build_then_break)
    with target_app.app_context():
        with pytest.raises(IntegrityError):
            import_network(validate(document))
        assert [db.session.query(model).count() for model in
                (Network, Phase, Membership, Meeting, KnowledgeTask, LaunchStep)] == [0] * 6
    monkeypatch.undo()
    import_into(target_app, document)
    assert dumps(export_of(target_app)) == dumps(document)


def test_cli_import_of_an_invalid_file_names_file_and_field_and_stores_nothing(sqlite_app, document, tmp_path):
    path = tmp_path / "kapot.json"
    broken = changed(document, lambda d: d["tasks"][1].update(phase="fase-x"))
    path.write_text(json.dumps(broken), encoding="utf-8")
    result = sqlite_app.test_cli_runner().invoke(args=["network", "import", str(path)])
    assert result.exit_code != 0
    assert "Niet ingelezen; er is niets opgeslagen:" in result.output
    assert f"{path}: tasks[1].phase: onbekende fase 'fase-x'" in result.output


def test_a_missing_format_or_version_is_named(document):
    assert refused(changed(document, lambda d: d.pop("version"))) == {"version": "ontbreekt"}
    assert refused(changed(document, lambda d: d.pop("format"))) == {"format": "ontbreekt"}


def test_moments_with_another_offset_are_stored_as_the_same_moment_in_utc(sqlite_world, document, target_app):
    copy_organisations(sqlite_world.app, target_app)
    starts_at = document["meetings"][0]["starts_at"]
    local = datetime.fromisoformat(starts_at).astimezone(timezone(timedelta(hours=2))).isoformat()
    import_into(target_app, changed(document, lambda d: d["meetings"][0].update(starts_at=local)))
    assert local != starts_at and export_of(target_app)["meetings"][0]["starts_at"] == starts_at
