"""The Nextcloud Talk (`spreed`) side of a sandbox Nextcloud: capabilities and the conversation endpoints the
engine uses, with Talk's statuses and `error` keys.

Read from nextcloud/spreed: lib/Capabilities.php (`spreed` capabilities: features, config.conversations,
config.federation), lib/Controller/RoomController.php (createRoom with `participants` and `description` under
`conversation-creation-all`: 201, 202 with `invalidParticipants`, 403 `permissions`, 404 `invite` when no
invitation is valid; getSingleRoom 404; getParticipants; addParticipantToRoom: existing participants skipped
with 200, 404 `new-participant`, 501 `federation` when Talk federation is off, 404 `reach-remote`;
removeAttendeeFromRoom: 404 `participant`, 403 `owner`; renameRoom; setReadOnly; setDescription), the
middleware that answers 404 for a conversation the caller is not in (lib/Middleware/InjectionMiddleware.php)
and 403 for a non-moderator, docs/conversation.md and docs/participant.md.

Switches per organisation (`org.talk`): `enabled` (Talk installed: off drops `spreed` from the capabilities
and the API answers as a missing app, OCS 998 → 404), `federation` (Talk federation), `creation_all`
(a Talk before the `conversation-creation-all` feature: `participants` and `description` ignored on
creation), `can_create` (the account may start conversations).
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field

from sandbox.ocs import OcsError, ocs_response, split_cloud_id
from sandbox.state import random_token

TALK = "/ocs/v2.php/apps/spreed/api/v4"
GROUP, PUBLIC = 2, 3
OWNER, MODERATOR, USER = 1, 2, 3
USERS, FEDERATED_USERS = "users", "federated_users"
FEATURES = ("audio", "video", "chat-v2", "conversation-v4", "favorites", "read-only-rooms", "room-description",
            "listable-rooms", "federation-v1", "federation-v2", "conversation-creation-password",
            "conversation-creation-all", "note-to-self")


@dataclass
class Attendee:
    id: int
    actor_type: str
    actor_id: str
    display_name: str
    participant_type: int


@dataclass
class Room:
    token: str
    type: int
    name: str
    description: str = ""
    read_only: int = 0
    attendees: list[Attendee] = field(default_factory=list)

    def attendee(self, actor_type: str, actor_id: str) -> Attendee | None:
        return next((a for a in self.attendees if a.actor_type == actor_type and a.actor_id == actor_id), None)


class _Refusal(Exception):
    """RoomController's `DataResponse(['error' => reason], status)`."""

    def __init__(self, status: int, reason: str | None = None):
        super().__init__(reason)
        self.status, self.reason = status, reason


class TalkSandbox:
    """Conversations of one sandbox Nextcloud and the OCS handlers that serve them."""

    RULES = (
        ("room", "GET", "list_rooms"), ("room", "POST", "create_room"),
        ("room/<token>", "GET", "get_room"), ("room/<token>", "PUT", "rename_room"),
        ("room/<token>/participants", "GET", "participants"),
        ("room/<token>/participants", "POST", "add_participant"),
        ("room/<token>/attendees", "DELETE", "remove_attendee"),
        ("room/<token>/description", "PUT", "set_description"),
        ("room/<token>/read-only", "PUT", "set_read_only"),
    )

    def __init__(self, org):
        self.org = org
        self.federation = True
        self.creation_all = True
        self.can_create = True
        self.rooms: dict[str, Room] = {}
        self._next_attendee = 1
        self._lock = threading.RLock()

    # switches ---------------------------------------------------------------------------------------------
    @property
    def enabled(self) -> bool:
        return "spreed" in self.org.state.enabled_apps

    @enabled.setter
    def enabled(self, value: bool) -> None:
        apps = self.org.state.enabled_apps
        apps.add("spreed") if value else apps.discard("spreed")

    def capabilities(self) -> dict:
        """lib/Capabilities.php, the parts clients read (config.federation is only true when it is on)."""
        features = [f for f in FEATURES if self.creation_all or f != "conversation-creation-all"]
        return {"features": features, "features-local": ["favorites", "chat-read-status"],
                "config": {"attachments": {"allowed": True, "folder": "/Talk"},
                           "chat": {"max-length": 32000, "read-privacy": 0},
                           "conversations": {"can-create": self.can_create, "description-length": 2000},
                           "federation": {"enabled": self.federation, "incoming-enabled": self.federation,
                                          "outgoing-enabled": self.federation, "only-trusted-servers": False}},
                "version": "21.0.2"}

    # for tests -------------------------------------------------------------------------------------------
    def conversations(self) -> list[Room]:
        with self._lock:
            return list(self.rooms.values())

    def conversation(self, token: str) -> Room | None:
        with self._lock:
            return self.rooms.get(token)

    # dispatch ----------------------------------------------------------------------------------------------
    def handle(self, endpoint: str, request, uid: str, params: dict, **values):
        if not self.enabled:
            raise OcsError(998, "Invalid query, please check the syntax.")  # no app: the route does not exist
        try:
            with self._lock:
                return getattr(self, endpoint)(uid, params, request=request, **values)
        except _Refusal as refusal:
            data = {"error": refusal.reason} if refusal.reason else []
            return ocs_response(data, refusal.status, "")

    def _room(self, token: str, uid: str, moderator: bool = False) -> tuple[Room, Attendee]:
        room = self.rooms.get(token)
        me = room.attendee(USERS, uid) if room is not None else None
        if me is None:
            raise _Refusal(404)  # InjectionMiddleware: not found for the participant
        if moderator and me.participant_type not in (OWNER, MODERATOR):
            raise _Refusal(403)
        return room, me

    def _format(self, room: Room, me: Attendee) -> dict:
        return {"id": abs(hash(room.token)) % 100000, "token": room.token, "type": room.type, "name": room.name,
                "displayName": room.name, "description": room.description, "readOnly": room.read_only,
                "participantType": me.participant_type, "actorType": me.actor_type, "actorId": me.actor_id,
                "attendeeId": me.id, "objectType": "", "objectId": "", "hasPassword": False, "hasCall": False,
                "listable": 0, "lobbyState": 0, "isFavorite": False, "unreadMessages": 0}

    def _attend(self, room: Room, actor_type: str, actor_id: str, display_name: str, participant_type: int):
        attendee = Attendee(self._next_attendee, actor_type, actor_id, display_name, participant_type)
        self._next_attendee += 1
        room.attendees.append(attendee)
        return attendee

    def _invitee(self, source: str, actor_id: str, uid: str) -> tuple[str, str]:
        """(actorId, displayName) of someone to invite, or a refusal as addParticipantToRoom answers it."""
        if source == USERS:
            user = self.org.state.user(actor_id)
            if user is None:
                raise _Refusal(404, "new-participant")
            return user.uid, user.display_name
        if source == FEDERATED_USERS:
            if not self.federation:
                raise _Refusal(501, "federation")
            parts = split_cloud_id(actor_id)
            if parts is None:
                raise _Refusal(400, "cloud-id")
            remote_uid, host = parts
            if host == self.org.host:
                raise _Refusal(400, "cloud-id")  # a local user is no federated participant
            target = self.org.sandbox.org_for_host(host)
            if target is None or not target.talk.enabled or not target.talk.federation \
                    or target.state.user(remote_uid) is None:
                raise _Refusal(404, "reach-remote")
            return f"{remote_uid}@{target.host}", remote_uid
        raise _Refusal(400, "source")

    # endpoints ---------------------------------------------------------------------------------------------
    def list_rooms(self, uid, params, **_):
        mine = [(r, r.attendee(USERS, uid)) for r in self.rooms.values()]
        return ocs_response([self._format(r, me) for r, me in mine if me is not None])

    def create_room(self, uid, params, request, **_):
        room_type = int(params.get("roomType") or GROUP)
        if room_type not in (GROUP, PUBLIC):
            raise _Refusal(400, "type")
        if not self.can_create:
            raise _Refusal(403, "permissions")
        name = (params.get("roomName") or "").strip()
        if not name or len(name) > 255:
            raise _Refusal(400, "name")
        description = (params.get("description") or "") if self.creation_all else ""
        if len(description) > 2000:
            raise _Refusal(400, "description")
        valid, invalid = [], {}
        if self.creation_all:
            for source in (USERS, FEDERATED_USERS):
                for actor_id in request.form.getlist(f"participants[{source}][]"):
                    try:
                        valid.append((source, *self._invitee(source, actor_id, uid)))
                    except _Refusal:
                        invalid.setdefault(source, []).append(actor_id)
        if invalid and not valid:
            raise _Refusal(404, "invite")
        owner = self.org.state.user(uid)
        room = Room(random_token(8).lower(), room_type, name, description)
        self.rooms[room.token] = room
        me = self._attend(room, USERS, uid, owner.display_name, OWNER)
        for source, actor_id, display_name in valid:
            if room.attendee(source, actor_id) is None:
                self._attend(room, source, actor_id, display_name, USER)
        data = self._format(room, me)
        if invalid:
            data["invalidParticipants"] = invalid
            return ocs_response(data, 202)
        return ocs_response(data, 201)

    def get_room(self, uid, params, token, **_):
        room, me = self._room(token, uid)
        return ocs_response(self._format(room, me))

    def participants(self, uid, params, token, **_):
        room, _me = self._room(token, uid)
        return ocs_response([{"attendeeId": a.id, "actorType": a.actor_type, "actorId": a.actor_id,
                              "displayName": a.display_name, "participantType": a.participant_type,
                              "inCall": 0, "lastPing": 0, "sessionIds": [], "permissions": 254}
                             for a in room.attendees])

    def add_participant(self, uid, params, token, **_):
        room, _me = self._room(token, uid, moderator=True)
        source = params.get("source") or USERS
        actor_id, display_name = self._invitee(source, params.get("newParticipant") or "", uid)
        if room.attendee(source, actor_id) is None:
            self._attend(room, source, actor_id, display_name, USER)
        return ocs_response([])

    def remove_attendee(self, uid, params, token, **_):
        room, me = self._room(token, uid, moderator=True)
        try:
            attendee_id = int(params.get("attendeeId") or 0)
        except ValueError:
            attendee_id = 0
        target = next((a for a in room.attendees if a.id == attendee_id), None)
        if target is None:
            raise _Refusal(404, "participant")
        if target.id != me.id and target.participant_type == OWNER:
            raise _Refusal(403, "owner")
        room.attendees.remove(target)
        return ocs_response(None)

    def rename_room(self, uid, params, token, **_):
        room, _me = self._room(token, uid, moderator=True)
        name = (params.get("roomName") or "").strip()
        if not name or len(name) > 255:
            raise _Refusal(400, "type")
        room.name = name
        return ocs_response(None)

    def set_description(self, uid, params, token, **_):
        room, _me = self._room(token, uid, moderator=True)
        description = params.get("description") or ""
        if len(description) > 2000:
            raise _Refusal(400, "description")
        room.description = description
        return ocs_response(None)

    def set_read_only(self, uid, params, token, **_):
        room, me = self._room(token, uid, moderator=True)
        state = str(params.get("state", ""))
        if state not in ("0", "1"):
            raise _Refusal(400, "state")
        room.read_only = int(state)
        return ocs_response(self._format(room, me))
