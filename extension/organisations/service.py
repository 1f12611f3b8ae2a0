"""Adding and finding organisations; input is checked here so the CLI and the web pages agree."""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from slugify import slugify
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from extension.extensions import db
from extension.i18n import Text
from extension.networks.naming import line_problem, user_id_problem
from extension.organisations.models import ORGANISATION_KINDS, Organisation

# What the admin page calls each field, so a message names the field as the reader saw it.
FIELD_LABELS = {
    "name": Text("Name"),
    "kind": Text("Kind"),
    "nextcloud_url": Text("Nextcloud address"),
    "client_id": Text("OAuth client identifier"),
    "client_secret": Text("OAuth client secret"),
    "connection_user": Text("Functional account that connects the organisation"),
}


class InvalidOrganisation(ValueError):
    """Bad input for an organisation; `field` is the input's name, the message names it by its label."""

    def __init__(self, field: str, message: Text):
        super().__init__(Text("%(field)s: %(message)s", field=FIELD_LABELS[field], message=message))
        self.field = field


@dataclass(frozen=True)
class OrganisationInput:
    name: str
    kind: str = "anders"
    nextcloud_url: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    connection_user: str = "lerend-netwerk"


def normalise_nextcloud_url(url: str) -> str:
    """A base URL without trailing slash, `/index.php` or query: the form every connector appends paths to."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidOrganisation("nextcloud_url", Text("%(url)s is not a full http(s) URL such as "
                                                        "https://cloud.example.org", url=repr(url)))
    if parts.query or parts.fragment:
        raise InvalidOrganisation("nextcloud_url", Text("must not contain a query string or fragment"))
    path = parts.path.rstrip("/")
    if path.endswith("/index.php"):
        path = path[: -len("/index.php")]
    return f"{parts.scheme}://{parts.netloc}{path}"


def validate(data: OrganisationInput) -> OrganisationInput:
    name = data.name.strip()
    if not name:
        raise InvalidOrganisation("name", Text("is empty"))
    if len(name) > 200:
        raise InvalidOrganisation("name", Text("is longer than %(max_length)s characters", max_length=200))
    problem = line_problem(name)  # the check a network's name gets
    if problem:
        raise InvalidOrganisation("name", problem)
    if data.kind not in ORGANISATION_KINDS:
        raise InvalidOrganisation("kind", Text("%(kind)s is not one of %(kinds)s", kind=repr(data.kind),
                                               kinds=", ".join(ORGANISATION_KINDS)))
    url = normalise_nextcloud_url(data.nextcloud_url) if data.nextcloud_url else None
    if url and not (data.client_id or "").strip():
        raise InvalidOrganisation("client_id", Text("is required with a Nextcloud URL (Administration → Security "
                                                    "→ OAuth 2.0 clients)"))
    if url and not (data.client_secret or "").strip():
        raise InvalidOrganisation("client_secret", Text("is required with a Nextcloud URL"))
    if not url and (data.client_id or data.client_secret):
        raise InvalidOrganisation("nextcloud_url", Text("is required when an OAuth client is given"))
    connection_user = data.connection_user.strip()
    if not connection_user:
        raise InvalidOrganisation("connection_user", Text("is empty"))
    problem = user_id_problem(connection_user)  # the check a member's Nextcloud user gets
    if problem:
        raise InvalidOrganisation("connection_user", problem)
    return OrganisationInput(name, data.kind, url, (data.client_id or "").strip() or None,
                             (data.client_secret or "").strip() or None, connection_user)


def add_organisation(data: OrganisationInput) -> Organisation:
    data = validate(data)
    slug = slugify(data.name, max_length=80) or "organisatie"
    if db.session.scalar(select(Organisation).where(Organisation.slug == slug)):
        raise InvalidOrganisation("name", Text("an organisation with the slug %(slug)s already exists",
                                               slug=repr(slug)))
    organisation = Organisation(slug=slug, name=data.name, kind=data.kind, nextcloud_url=data.nextcloud_url,
                                client_id=data.client_id, client_secret=data.client_secret,
                                connection_user=data.connection_user)
    db.session.add(organisation)
    db.session.commit()
    return organisation


def update_client(organisation: Organisation, nextcloud_url: str, client_id: str, client_secret: str) -> Organisation:
    """Point an existing organisation at a (new) Nextcloud OAuth client, e.g. after the admin re-registered it."""
    data = validate(OrganisationInput(organisation.name, organisation.kind, nextcloud_url, client_id,
                                      client_secret, organisation.connection_user))
    organisation.nextcloud_url, organisation.client_id, organisation.client_secret = (
        data.nextcloud_url, data.client_id, data.client_secret)
    db.session.commit()
    return organisation


def get_by_slug(slug: str) -> Organisation | None:
    return db.session.scalar(select(Organisation).where(Organisation.slug == slug))


def list_organisations() -> list[Organisation]:
    return list(db.session.scalars(select(Organisation).options(joinedload(Organisation.connection_account))
                                   .order_by(Organisation.name)))


def redirect_uri(app_url: str) -> str:
    """The one callback every organisation registers; Nextcloud ignores any other (quirk `redirect_uri_ignored`)."""
    return app_url.rstrip("/") + "/oauth/callback"
