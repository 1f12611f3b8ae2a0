"""The engine's plan kinds as the tests call them: one line each over `engine.run`."""
from __future__ import annotations

from extension import engine
from extension.accounts.service import nextcloud_client
from extension.networks.members import involved_networks


def launch(app, slug, progress=None, client_for=nextcloud_client, only=None):
    return engine.run(app, "launch", slug, progress=progress, client_for=client_for, only=only)


def advance(app, slug, progress=None, client_for=nextcloud_client):
    return engine.run(app, "advance", slug, progress=progress, client_for=client_for)


def add_member(app, slug, member, progress=None, client_for=nextcloud_client):
    return engine.run(app, "add-member", slug, member=member, progress=progress, client_for=client_for)


def remove_member(app, slug, email, client_for=nextcloud_client):
    return engine.run(app, "remove-member", slug, email=email, client_for=client_for)


def catch_up(app, slug, client_for=nextcloud_client):
    return engine.run(app, "catch-up", slug, client_for=client_for)


def catch_up_organisation(app, organisation_id, client_for=nextcloud_client):
    return {slug: catch_up(app, slug, client_for) for slug in involved_networks(organisation_id)}


def repair(app, slug, progress=None, findings=None, client_for=nextcloud_client):
    return engine.run(app, "repair", slug, progress=progress, findings=findings, client_for=client_for)


def end_network(app, slug, move_folder=False, client_for=nextcloud_client):
    return engine.run(app, "end", slug, move_folder=move_folder, client_for=client_for)
