"""FilesClient against the sandbox Nextcloud: idempotent folders, create-only documents, listings
(quirks `mkcol_405_exists_409_parent`, `put_if_none_match`)."""

from __future__ import annotations

import pytest

from connectors import errors
from connectors.files import FilesClient, split_path


def statuses(org, method):
    return [r.status for r in org.request_log if r.method == method]


def test_existing_folder_is_accepted(anna, org_a):
    files = anna.client.files
    assert files.ensure_folder("Netwerken") is True
    assert files.ensure_folder("Netwerken") is False
    assert statuses(org_a, "MKCOL") == [201, 405]


def test_nested_folders_are_created_level_by_level(anna):
    files = anna.client.files
    assert files.ensure_folder("Netwerken/Taal en lezen/Bijeenkomsten") is True
    assert [e.name for e in files.list("Netwerken/Taal en lezen")] == ["Bijeenkomsten"]
    assert files.ensure_folder("Netwerken/Taal en lezen/Bijeenkomsten") is False


def test_missing_parent_raises_parent_missing(anna):
    with pytest.raises(errors.ParentMissing) as caught:
        anna.client.files.ensure_folder("Bestaat niet/Sub", parents=False)
    assert caught.value.status == 409
    assert caught.value.request_id


def test_existing_document_is_kept(anna, org_a):
    files = anna.client.files
    files.ensure_folder("Netwerken")
    assert files.create_if_absent("Netwerken/Welkom.md", b"# Welkom\n", "text/markdown") is True
    assert files.create_if_absent("Netwerken/Welkom.md", b"# Overschreven\n", "text/markdown") is False
    assert files.read("Netwerken/Welkom.md") == b"# Welkom\n"
    assert statuses(org_a, "PUT") == [201, 412]


def test_create_if_absent_without_parent_raises_parent_missing(anna):
    """Quirk put_404_parent_missing: Nextcloud answers the PUT with 404, the client says ParentMissing."""
    with pytest.raises(errors.ParentMissing) as caught:
        anna.client.files.create_if_absent("Nergens/doc.txt", b"x", "text/plain")
    assert caught.value.status == 404


def test_list_describes_files_and_folders(anna):
    files = anna.client.files
    files.ensure_folder("Netwerken/Taal/Verslagen")
    files.create_if_absent("Netwerken/Taal/Agenda.md", b"12345", "text/markdown")
    entries = {e.name: e for e in files.list("Netwerken/Taal")}
    assert set(entries) == {"Verslagen", "Agenda.md"}
    assert entries["Verslagen"].is_folder and not entries["Agenda.md"].is_folder
    agenda = entries["Agenda.md"]
    assert agenda.path == "Netwerken/Taal/Agenda.md"
    assert agenda.size == 5 and agenda.etag and agenda.modified is not None
    assert isinstance(agenda.file_id, int)
    assert files.file_id("Netwerken/Taal/Agenda.md") == agenda.file_id


def test_names_with_spaces_accents_and_reserved_characters_round_trip(anna):
    files = anna.client.files
    name = "Crèche #1 – 100% taal?"
    files.ensure_folder(name)
    assert files.create_if_absent(f"{name}/notitie (1).txt", b"ok", "text/plain") is True
    assert [e.name for e in files.list(name)] == ["notitie (1).txt"]
    assert files.read(f"{name}/notitie (1).txt") == b"ok"


def test_delete_removes_and_missing_is_not_found(anna):
    files = anna.client.files
    files.create_if_absent("weg.txt", b"x", "text/plain")
    assert files.exists("weg.txt")
    files.delete("weg.txt")
    assert not files.exists("weg.txt")
    with pytest.raises(errors.NotFound):
        files.delete("weg.txt")
    with pytest.raises(errors.NotFound):
        files.read("weg.txt")


def test_paths_are_encoded_per_segment_under_the_uid():
    files = FilesClient("https://cloud.example.org/nc/", "ann@school.nl", session=None, auth=None)
    assert files.url("/a b/c#d/") == "https://cloud.example.org/nc/remote.php/dav/files/ann%40school.nl/a%20b/c%23d"


def test_relative_segments_are_refused():
    with pytest.raises(ValueError):
        split_path("Netwerken/../../bob")
