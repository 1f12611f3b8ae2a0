"""Nextcloud Talk (app id `spreed`) over OCS: what the server offers, group conversations and their participants.

Checked against nextcloud/spreed: lib/Capabilities.php (the `spreed` capabilities: `features`,
`config.conversations.can-create`, `config.federation.enabled` / `outgoing-enabled`), lib/Controller/
RoomController.php (createRoom, getSingleRoom, getParticipants, addParticipantToRoom, removeAttendeeFromRoom,
renameRoom, setReadOnly) and docs/conversation.md, docs/participant.md. Talk answers its refusals with HTTP
status and an `error` key in the OCS data (quirk `talk_error_key`: `{"error": "federation"}` with 501,
`{"error": "invite"}` with 404, …): `TalkRefused` carries both, so callers handle reasons, not numbers. Everything else is the typed
NextcloudError of connectors.errors (quirk `ocs_api_request_header`: every call is an OCS v2 call).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from connectors.errors import NextcloudError, NotFound
from connectors.http import call
from connectors.ocs import OCS_BASE, OcsClient

TALK_API = "apps/spreed/api/v4"

ROOM_GROUP = 2  # docs/constants.md "Conversation types": 1 one-to-one, 2 group, 3 public
READ_ONLY = 1   # Room::READ_ONLY (docs/constants.md "Read-only states")
OWNER, MODERATOR = 1, 2  # Participant::OWNER, Participant::MODERATOR
USERS, FEDERATED_USERS = "users", "federated_users"  # Attendee::ACTOR_* as `source` and `actorType`

# Statuses Talk answers with an `error` key in the data (RoomController's DataResponse(['error' => …])).
_REFUSALS = (400, 403, 404, 412, 501)


class TalkRefused(NextcloudError):
    """Talk refused the call; `reason` is its `error` key ("federation", "invite", "permissions", …)."""

    def __init__(self, message: str, reason: str | None, **kwargs):
        super().__init__(message, **kwargs)
        self.reason = reason


@dataclass(frozen=True)
class TalkSupport:
    """What the capabilities say about Talk for the calling user."""

    available: bool
    can_create: bool = False
    # Conversations with participants of other Nextclouds (config.federation.enabled and outgoing-enabled).
    federation: bool = False
    # One createRoom call carrying `participants` and `description` (feature `conversation-creation-all`).
    create_with_participants: bool = False
    description: bool = False  # feature `room-description`
    read_only: bool = False    # feature `read-only-rooms`
    version: str = ""

    @classmethod
    def from_capabilities(cls, data: dict) -> "TalkSupport":
        """From the `data` of /cloud/capabilities (quirk `talk_absent_without_spreed`: a server without Talk, or
        with Talk not allowed for the user, publishes no `spreed` entry)."""
        spreed = ((data or {}).get("capabilities") or {}).get("spreed")
        if not isinstance(spreed, dict) or not spreed:
            return cls(False)
        features = set(spreed.get("features") or ())
        config = spreed.get("config") or {}
        federation = config.get("federation") or {}
        conversations = config.get("conversations") or {}
        return cls(True, can_create=bool(conversations.get("can-create", True)),
                   federation=bool(federation.get("enabled")) and bool(federation.get("outgoing-enabled")),
                   create_with_participants="conversation-creation-all" in features,
                   description="room-description" in features, read_only="read-only-rooms" in features,
                   version=str(spreed.get("version") or ""))


@dataclass(frozen=True)
class Conversation:
    token: str
    name: str
    type: int
    description: str = ""
    read_only: int = 0
    participant_type: int = 0  # the caller's own (1 owner, 2 moderator, 3 user, …)
    invalid: dict = field(default_factory=dict)  # 202 on creation: participants that could not be added

    @classmethod
    def from_ocs(cls, data: dict) -> "Conversation":
        return cls(token=str(data["token"]), name=data.get("name") or "", type=int(data.get("type") or 0),
                   description=data.get("description") or "", read_only=int(data.get("readOnly") or 0),
                   participant_type=int(data.get("participantType") or 0),
                   invalid=data.get("invalidParticipants") or {})


@dataclass(frozen=True)
class Participant:
    attendee_id: int
    actor_type: str
    actor_id: str
    participant_type: int
    display_name: str = ""

    @classmethod
    def from_ocs(cls, data: dict) -> "Participant":
        return cls(attendee_id=int(data["attendeeId"]), actor_type=data.get("actorType") or "",
                   actor_id=data.get("actorId") or "", participant_type=int(data.get("participantType") or 0),
                   display_name=data.get("displayName") or "")


class TalkClient:
    """Talk calls of one user of one Nextcloud, on the OCS client's session, auth and timeouts."""

    def __init__(self, ocs: OcsClient):
        self.ocs = ocs

    def support(self) -> TalkSupport:
        """What Talk offers this user, from the OCS client's cached capabilities (one GET per client)."""
        return TalkSupport.from_capabilities(self.ocs.capabilities())

    def url(self, token: str) -> str:
        """The conversation's web link, Talk's own `Page#showCall` route (appinfo/routes/routesPageController.php:
        /call/{token} under index.php)."""
        return f"{self.ocs.base_url}/index.php/call/{token}"

    def _request(self, method: str, path: str, data: Any = None, params: dict | None = None) -> tuple[int, Any]:
        query = list((params or {}).items()) + [("format", "json")]
        response = call(self.ocs.session, method, f"{self.ocs.base_url}{OCS_BASE}/{TALK_API}/{path}",
                        auth=self.ocs.auth, params=query, data=data, accept=_REFUSALS,
                        headers={"OCS-APIRequest": "true", "Accept": "application/json"})
        try:
            payload = response.json()["ocs"]
        except (ValueError, KeyError, TypeError):
            raise NextcloudError("answer is not an OCS JSON envelope", status=response.status_code,
                                 request_id=response.headers.get("X-Request-Id"), url=response.url) from None
        body = payload.get("data")
        if response.status_code in _REFUSALS:
            reason = body.get("error") if isinstance(body, dict) else None
            message = (body.get("message") if isinstance(body, dict) else None) or \
                (payload.get("meta") or {}).get("message") or f"Talk answered {response.status_code}"
            kind = NotFoundRefused if response.status_code == 404 else TalkRefused
            raise kind(message, reason, status=response.status_code,
                       request_id=response.headers.get("X-Request-Id"), url=response.url)
        return response.status_code, body

    def create_group(self, name: str, *, description: str = "", users=(), federated=(),
                     with_participants: bool = True) -> Conversation:
        """POST /room: a group conversation owned by the caller. With `with_participants` (feature
        conversation-creation-all) `participants[users][]`, `participants[federated_users][]` and
        `description` go along in the same call; Talk answers 201, or 202 with `invalidParticipants` when
        some could not be added (RoomController::createRoom)."""
        form: list[tuple[str, str]] = [("roomType", str(ROOM_GROUP)), ("roomName", name)]
        if with_participants:
            if description:
                form.append(("description", description))
            form += [("participants[users][]", u) for u in users]
            form += [("participants[federated_users][]", f) for f in federated]
        _status, data = self._request("POST", "room", data=form)
        return Conversation.from_ocs(data)

    def conversation(self, token: str) -> Conversation:
        """GET /room/{token}; NotFound when it is gone or the caller is no longer in it."""
        return Conversation.from_ocs(self._request("GET", f"room/{token}")[1])

    def conversations(self) -> list[Conversation]:
        """GET /room: every conversation the caller takes part in (noStatusUpdate: not a sign of life)."""
        return [Conversation.from_ocs(d) for d in self._request("GET", "room", params={"noStatusUpdate": "1"})[1]
                or ()]

    def participants(self, token: str) -> list[Participant]:
        """GET /room/{token}/participants (docs/participant.md); NotFound when the conversation is gone."""
        return [Participant.from_ocs(d) for d in self._request("GET", f"room/{token}/participants")[1] or ()]

    def add(self, token: str, actor_id: str, source: str = USERS) -> None:
        """POST /room/{token}/participants: `newParticipant` from `source` ("users" or "federated_users").
        Someone already in the conversation is skipped with 200 (quirk `talk_add_participant_idempotent`), so
        adding is idempotent; federation switched off answers 501 `federation`."""
        self._request("POST", f"room/{token}/participants", data={"newParticipant": actor_id, "source": source})

    def remove(self, token: str, attendee_id: int) -> None:
        """DELETE /room/{token}/attendees?attendeeId=…; NotFound (`participant`) when not there any more."""
        self._request("DELETE", f"room/{token}/attendees", params={"attendeeId": str(attendee_id)})

    def describe(self, token: str, description: str) -> None:
        """PUT /room/{token}/description (feature room-description)."""
        self._request("PUT", f"room/{token}/description", data={"description": description})

    def rename(self, token: str, name: str) -> None:
        """PUT /room/{token} with `roomName` (up to 255 characters)."""
        self._request("PUT", f"room/{token}", data={"roomName": name[:255]})

    def set_read_only(self, token: str) -> None:
        """PUT /room/{token}/read-only with state 1: nobody writes or calls any more, the history stays."""
        self._request("PUT", f"room/{token}/read-only", data={"state": str(READ_ONLY)})


class NotFoundRefused(TalkRefused, NotFound):
    """404 with Talk's reason (`invite`, `participant`, `new-participant`, `reach-remote`, or none for a
    conversation that is gone): a NotFound too, so callers that only care about absence catch NotFound."""


__all__ = ["Conversation", "FEDERATED_USERS", "NotFoundRefused", "OWNER", "Participant", "ROOM_GROUP", "TalkClient",
           "TalkRefused", "TalkSupport", "USERS"]
