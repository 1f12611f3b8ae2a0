"""FilesClient.move against the sandbox Nextcloud: MOVE statuses and what they mean (quirk `move_no_overwrite_412`)."""

from __future__ import annotations

import pytest
import requests
from werkzeug.wrappers import Response

from connectors import errors
from connectors.files import FilesClient


def statuses(org, method):
    return [r.status for r in org.request_log if r.method == method]


@pytest.fixture
def files(anna):
    files = anna.client.files
    files.ensure_folder("Netwerken/Taal/Bijeenkomsten")
    files.create_if_absent("Netwerken/Taal/Readme.md", b"# Taal\n", "text/markdown")
    files.create_if_absent("Netwerken/Taal/Bijeenkomsten/Agenda.md", b"# Agenda\n", "text/markdown")
    files.ensure_folder("Archief")
    return files


def test_moving_a_folder_takes_its_documents_along_and_answers_created(files, org_a):
    assert files.move("Netwerken/Taal", "Archief/Taal") is True
    assert statuses(org_a, "MOVE") == [201]
    assert not files.exists("Netwerken/Taal")
    assert files.read("Archief/Taal/Readme.md") == b"# Taal\n"
    assert files.read("Archief/Taal/Bijeenkomsten/Agenda.md") == b"# Agenda\n"


def test_moving_keeps_the_file_id(files):
    before = files.file_id("Netwerken/Taal/Readme.md")
    files.move("Netwerken/Taal", "Archief/Taal")
    assert files.file_id("Archief/Taal/Readme.md") == before


def test_an_existing_destination_is_never_overwritten_without_overwrite(files, org_a):
    files.ensure_folder("Archief/Taal")
    files.create_if_absent("Archief/Taal/Eigen.md", b"van iemand anders\n", "text/markdown")
    with pytest.raises(errors.PreconditionFailed) as caught:
        files.move("Netwerken/Taal", "Archief/Taal")
    assert caught.value.status == 412
    assert files.read("Netwerken/Taal/Readme.md") == b"# Taal\n"
    assert files.read("Archief/Taal/Eigen.md") == b"van iemand anders\n"


def test_overwrite_replaces_the_destination_and_answers_no_content(files, org_a):
    files.create_if_absent("Archief/Oud.md", b"oud\n", "text/markdown")
    assert files.move("Netwerken/Taal/Readme.md", "Archief/Oud.md", overwrite=True) is False
    assert statuses(org_a, "MOVE") == [204]
    assert files.read("Archief/Oud.md") == b"# Taal\n"


def test_a_missing_destination_parent_raises_parent_missing(files):
    with pytest.raises(errors.ParentMissing) as caught:
        files.move("Netwerken/Taal", "Bestaat niet/Taal")
    assert caught.value.status == 409
    assert files.exists("Netwerken/Taal")


def test_a_missing_source_raises_not_found(files):
    with pytest.raises(errors.NotFound):
        files.move("Netwerken/Weg", "Archief/Weg")


def test_the_root_is_neither_moved_nor_a_destination(files, org_a):
    org_a.clear_log()
    for source, destination in (("", "Archief/Alles"), ("Netwerken", "/")):
        with pytest.raises(ValueError):
            files.move(source, destination)
    assert statuses(org_a, "MOVE") == []


def test_names_with_spaces_and_ampersands_survive_the_move(files):
    files.ensure_folder("Archief/Lerende netwerken")
    files.move("Netwerken/Taal", "Archief/Lerende netwerken/Taal & Lezen")
    assert files.read("Archief/Lerende netwerken/Taal & Lezen/Readme.md") == b"# Taal\n"


def test_the_request_names_the_destination_by_absolute_encoded_url_and_refuses_overwrite(fake_server):
    fake_server.route("MOVE", "/remote.php/dav/files/anna/Netwerken/Taal", lambda request, calls: Response(status=201))
    client = FilesClient(fake_server.base_url, "anna", requests.Session(), None)
    assert client.move("Netwerken/Taal", "Archief/Taal & Lezen") is True
    (seen,) = fake_server.hits("MOVE")
    assert seen.headers["Destination"] == f"{fake_server.base_url}/remote.php/dav/files/anna/Archief/Taal%20%26%20Lezen"
    assert seen.headers["Overwrite"] == "F"
