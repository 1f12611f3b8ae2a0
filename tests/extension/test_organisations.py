"""Adding organisations: clear errors naming the field, secrets never stored or taken in the clear."""
import pytest
from sqlalchemy import text

from extension.extensions import db
from extension.organisations import service
from extension.organisations.service import InvalidOrganisation, OrganisationInput


@pytest.mark.parametrize("data, field", [
    (OrganisationInput(name="  "), "name"),
    (OrganisationInput(name="x" * 201), "name"),
    (OrganisationInput(name="A", kind="bakkerij"), "kind"),
    (OrganisationInput(name="A", nextcloud_url="cloud.example.org", client_id="i", client_secret="s"), "nextcloud_url"),
    (OrganisationInput(name="A", nextcloud_url="https://c.example/?x=1", client_id="i", client_secret="s"), "nextcloud_url"),
    (OrganisationInput(name="A", nextcloud_url="https://c.example", client_secret="s"), "client_id"),
    (OrganisationInput(name="A", nextcloud_url="https://c.example", client_id="i"), "client_secret"),
    (OrganisationInput(name="A", client_id="i"), "nextcloud_url"),
])
def test_bad_input_is_refused_naming_the_field(app, data, field):
    with app.app_context(), pytest.raises(InvalidOrganisation) as info:
        service.add_organisation(data)
    assert info.value.field == field


def test_nextcloud_url_is_normalised_to_a_base_url():
    assert service.normalise_nextcloud_url("https://cloud.example.org/index.php/") == "https://cloud.example.org"
    assert service.normalise_nextcloud_url("https://example.org/nextcloud/") == "https://example.org/nextcloud"


def test_client_secret_is_encrypted_in_the_database_row(app):
    with app.app_context():
        service.add_organisation(OrganisationInput(
            name="Basisschool De Regenboog", kind="basisschool", nextcloud_url="https://cloud.regenboog.nl",
            client_id="abc", client_secret="very-secret-value"))
        raw = db.session.execute(text("SELECT * FROM organisations")).mappings().one()
        assert "very-secret-value" not in repr(dict(raw))
        assert service.get_by_slug("basisschool-de-regenboog").client_secret == "very-secret-value"


def test_a_second_organisation_with_the_same_name_is_refused(app):
    with app.app_context():
        service.add_organisation(OrganisationInput(name="De Zonnebloem"))
        with pytest.raises(InvalidOrganisation, match="bestaat al een organisatie"):
            service.add_organisation(OrganisationInput(name="De Zonnebloem"))


def test_cli_adds_an_organisation_reading_the_secret_from_a_file(app, runner, tmp_path):
    secret_file = tmp_path / "secret"
    secret_file.write_text("file-secret\n")
    result = runner.invoke(args=["org", "add", "Peuterspeelzaal Het Vlindertje", "--kind", "peuterspeelzaal",
                                 "--nextcloud", "https://cloud.vlinder.nl", "--client-id", "cid",
                                 "--client-secret-file", str(secret_file)])
    assert result.exit_code == 0, result.output
    assert "file-secret" not in result.output
    with app.app_context():
        assert service.get_by_slug("peuterspeelzaal-het-vlindertje").client_secret == "file-secret"


def test_cli_asks_for_the_secret_and_has_no_option_to_pass_it_in_the_clear(app, runner):
    result = runner.invoke(args=["org", "add", "Jeugdteam Noord", "--kind", "jeugdhulp",
                                 "--nextcloud", "https://cloud.noord.nl", "--client-id", "cid"],
                           input="typed-secret\n")
    assert result.exit_code == 0, result.output
    assert "typed-secret" not in result.output
    refused = runner.invoke(args=["org", "add", "X", "--client-secret", "s"])
    assert refused.exit_code != 0


def test_cli_reports_a_bad_url_by_field(app, runner):
    result = runner.invoke(args=["org", "add", "X", "--nextcloud", "ftp://x", "--client-id", "c"], input="s\n")
    assert result.exit_code == 2
    assert "nextcloud_url" in result.output


def test_redirect_uri_is_printed_for_the_admin(runner):
    result = runner.invoke(args=["org", "redirect-uri"])
    assert result.output.strip() == "http://127.0.0.1:5000/oauth/callback"
