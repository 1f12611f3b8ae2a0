"""The OCS side of a sandbox Nextcloud: /status.php, current user, capabilities, files_sharing shares,
sharees and federated (remote) shares, with Nextcloud's envelope, statuses and messages; Talk's
conversations are routed here and served by sandbox.talk.

Hand-written because no library emulates Nextcloud's OCS API: the v2 envelope and status mapping (quirk
`ocs_v1_vs_v2`), the sharing API's checks in their exact order and wording (Nextcloud:
apps/files_sharing/lib/Controller/ShareAPIController.php, lib/private/Share20/Manager.php), and federation
between sandbox organisations (lib/private/Federation/CloudIdManager.php,
apps/federatedfilesharing/lib/OCM/CloudFederationProviderFiles.php). Answers are always JSON, also where a real
Nextcloud would default to XML (a request with neither `format=json` nor `Accept: application/json`, quirk
`ocs_api_request_header`) — our clients always ask for JSON. Only /ocs/v2.php is served; /ocs/v1.php (HTTP 200
for most errors, quirk `ocs_v1_vs_v2`) answers the OCS 998 "not found".
"""
from __future__ import annotations

import datetime
import hashlib
import json
import mimetypes
import posixpath
from urllib.parse import urlencode

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from sandbox.state import Share, random_token

READ, UPDATE, CREATE, DELETE, SHARE, ALL = 1, 2, 4, 8, 16, 31
TYPE_USER, TYPE_GROUP, TYPE_LINK, TYPE_EMAIL, TYPE_REMOTE, TYPE_CIRCLE, TYPE_REMOTE_GROUP = 0, 1, 3, 4, 6, 7, 9
TYPE_ROOM, TYPE_DECK, TYPE_SCIENCEMESH = 10, 12, 15

SHARES = "/ocs/v2.php/apps/files_sharing/api/v1"
NOT_FOUND_QUERY = ("Invalid query, please check the syntax. API specifications are here: "
                   "http://www.freedesktop.org/wiki/Specifications/open-collaboration-services.")


class OcsError(Exception):
    """An OCS failure: `statuscode` goes in the envelope, the v2 HTTP status is derived from it
    (quirk `ocs_v1_vs_v2`)."""

    def __init__(self, statuscode: int, message: str):
        super().__init__(message)
        self.statuscode = statuscode
        self.message = message


def v2_http_status(statuscode: int) -> int:
    """997→401, 998→404, 996/999→500, outside 200–600 → 400, anything else passed through (quirk `ocs_v1_vs_v2`,
    lib/private/AppFramework/OCS/V2Response.php)."""
    if statuscode == 997:
        return 401
    if statuscode == 998:
        return 404
    if statuscode in (996, 999):
        return 500
    if statuscode < 200 or statuscode > 600:
        return 400
    return statuscode


def ocs_response(data, statuscode: int = 200, message: str = "OK", headers=None) -> Response:
    meta = {"status": "ok" if 200 <= statuscode < 300 else "failure", "statuscode": statuscode, "message": message}
    body = json.dumps({"ocs": {"meta": meta, "data": data}})
    return Response(body, status=v2_http_status(statuscode), headers=headers,
                    content_type="application/json; charset=utf-8")


def _flag(value) -> bool:
    # quirk `ocs_boolean_strings`: boolean-ish parameters are the strings "true"/"false"
    return str(value).lower() == "true"


def _norm(path: str) -> str:
    return posixpath.normpath("/" + path.strip().lstrip("/"))


def split_cloud_id(cloud_id: str) -> tuple[str, str] | None:
    """(user, host) of `user@host[/path]`: split at the last '@' before the first '/' or ':' (CloudIdManager.php)."""
    stops = [i for i in (cloud_id.find("/"), cloud_id.find(":")) if i >= 0]
    at = cloud_id.rfind("@", 0, min(stops) if stops else len(cloud_id))
    if at <= 0:
        return None
    user, host = cloud_id[:at], cloud_id[at + 1:]
    for scheme in ("https://", "http://"):
        if host.startswith(scheme):
            host = host[len(scheme):]
    host = host.rstrip("/")
    if host.endswith("/index.php"):
        host = host[: -len("/index.php")]
    return (user, host) if host else None


class OcsApp:
    """WSGI app; routes on SCRIPT_NAME + PATH_INFO so it works wherever the server mounts it."""

    def __init__(self, org):
        self.org = org
        self.state = org.state
        self.url_map = Map([
            Rule("/status.php", endpoint="status", methods=["GET"]),
            Rule("/ocs/v2.php/cloud/user", endpoint="user", methods=["GET"]),
            Rule("/ocs/v2.php/cloud/capabilities", endpoint="capabilities", methods=["GET"]),
            Rule(f"{SHARES}/shares", endpoint="list_shares", methods=["GET"]),
            Rule(f"{SHARES}/shares", endpoint="create_share", methods=["POST"]),
            Rule(f"{SHARES}/shares/<share_id>", endpoint="get_share", methods=["GET"]),
            Rule(f"{SHARES}/shares/<share_id>", endpoint="update_share", methods=["PUT"]),
            Rule(f"{SHARES}/shares/<share_id>", endpoint="delete_share", methods=["DELETE"]),
            Rule(f"{SHARES}/sharees", endpoint="sharees", methods=["GET"]),
            Rule(f"{SHARES}/remote_shares", endpoint="remote_shares", methods=["GET"]),
            Rule(f"{SHARES}/remote_shares/pending", endpoint="pending_remote_shares", methods=["GET"]),
            Rule(f"{SHARES}/remote_shares/pending/<int:remote_id>", endpoint="accept_remote_share",
                 methods=["POST"]),
            Rule(f"{SHARES}/remote_shares/pending/<int:remote_id>", endpoint="decline_remote_share",
                 methods=["DELETE"]),
            Rule(f"{SHARES}/remote_shares/<int:remote_id>", endpoint="get_remote_share", methods=["GET"]),
            Rule(f"{SHARES}/remote_shares/<int:remote_id>", endpoint="unshare_remote_share", methods=["DELETE"]),
        ], strict_slashes=False)
        from sandbox.talk import TALK  # sandbox.talk builds on this module
        for path, method, name in org.talk.RULES:
            self.url_map.add(Rule(f"{TALK}/{path}", endpoint=f"talk:{name}", methods=[method]))

    def __call__(self, environ, start_response):
        request = Request(environ)
        try:
            response = self.dispatch(request)
        except OcsError as error:
            response = ocs_response([], error.statuscode, error.message)
        return response(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        adapter = self.url_map.bind_to_environ(request.environ)
        try:
            endpoint, values = adapter.match(request.script_root + request.path)
        except HTTPException:
            raise OcsError(998, NOT_FOUND_QUERY)
        if endpoint == "status":
            return self.status()
        if endpoint == "capabilities":
            return self.capabilities(request)  # public, core/Controller/OCSController.php
        uid = self.authenticated_user(request)
        if uid is None:
            raise OcsError(997, "Current user is not logged in")  # UsersController::getCurrentUser: v2 HTTP 401
        if endpoint.startswith("talk:"):
            return self.org.talk.handle(endpoint[5:], request, uid, self.params(request), **values)
        return getattr(self, endpoint)(request, uid, **values)

    def authenticated_user(self, request: Request) -> str | None:
        """The caller: REMOTE_USER set by the server's Bearer middleware, else the Bearer token
        (lib/private/User/Session.php, tryTokenLogin)."""
        uid = request.environ.get("REMOTE_USER")
        if uid and self.state.user(uid):
            return uid
        header = request.headers.get("Authorization", "")
        if header[:7].lower() == "bearer ":
            return self.state.user_for_access_token(header[7:].strip())
        return None

    @staticmethod
    def params(request: Request) -> dict:
        """AppFramework merges query, form and JSON body parameters (lib/private/AppFramework/Http/Request.php)."""
        params = dict(request.args.items())
        params.update(request.form.items())
        if request.is_json:
            body = request.get_json(silent=True)
            if isinstance(body, dict):
                params.update(body)
        return params

    # status, user, capabilities ------------------------------------------------------------------------
    def version_string(self) -> str:
        return ".".join(str(part) for part in self.state.version)

    def status(self) -> Response:
        """Nextcloud: status.php — no auth, CORS *; reports maintenance instead of failing with 503."""
        body = {"installed": True, "maintenance": bool(self.org.faults.maintenance), "needsDbUpgrade": False,
                "version": self.version_string() + ".1", "versionstring": self.version_string(),
                "edition": "", "productname": "Nextcloud", "extendedSupport": False}
        return Response(json.dumps(body), content_type="application/json",
                        headers={"Access-Control-Allow-Origin": "*"})

    def user(self, request, uid):
        """The provisioning record of the caller (apps/provisioning_api/lib/Controller/UsersController.php)."""
        user = self.state.user(uid)
        data = {"enabled": user.enabled, "id": user.uid, "lastLogin": int(self.state.clock() * 1000),
                "backend": "Database", "subadmin": [], "storageLocation": f"/var/www/html/data/{user.uid}",
                "quota": {"free": 10 ** 10, "used": 0, "total": 10 ** 10, "relative": 0, "quota": -3},
                "email": user.email, "additional_mail": [], "displayname": user.display_name,
                "display-name": user.display_name, "phone": "", "address": "", "website": "", "twitter": "",
                "fediverse": "", "organisation": "", "role": "", "headline": "", "biography": "",
                "profile_enabled": "1", "pronouns": "", "groups": list(user.groups), "language": "nl",
                "locale": "", "notify_email": None, "manager": "",
                "backendCapabilities": {"setDisplayName": True, "setPassword": True}}
        for name in ("avatar", "email", "additional_mail", "displayname", "phone", "address", "website",
                     "twitter", "fediverse", "organisation", "role", "headline", "biography", "profile_enabled",
                     "pronouns"):
            data[name + "Scope"] = [] if name == "additional_mail" else "v2-federated"
        return ocs_response(data)

    def capabilities(self, request: Request) -> Response:
        """Version plus per-app capabilities; an app that is switched off publishes nothing
        (core/Controller/OCSController.php, getCapabilities)."""
        state = self.state
        major, minor, micro = state.version
        apps = state.enabled_apps
        federation = "federation" in apps and "federatedfilesharing" in apps
        caps: dict = {
            "core": {"pollinterval": 60, "webdav-root": "remote.php/webdav", "reference-api": True,
                     "mod-rewrite-working": False},
            "bruteforce": {"delay": state.bruteforce_delay_ms(request.remote_addr or ""), "allow-listed": False},
            "files": {"bigfilechunking": True, "blacklisted_files": [".htaccess"], "undelete": True,
                      "versioning": True},
        }
        if "dav" in apps:
            caps["dav"] = {"chunking": "1.0", "bulkupload": "1.0"}
        if "files_sharing" in apps:
            caps["files_sharing"] = {
                "api_enabled": True,
                "public": {"enabled": state.link_sharing,
                           "password": {"enforced": False, "askForOptionalPassword": False},
                           "expire_date": {"enabled": False}, "multiple_links": True,
                           "expire_date_internal": {"enabled": False}, "expire_date_remote": {"enabled": False},
                           "send_mail": False, "upload": True, "upload_files_drop": True},
                "user": {"send_mail": False, "expire_date": {"enabled": True}},
                "resharing": True, "group_sharing": state.group_sharing,
                "group": {"enabled": state.group_sharing, "expire_date": {"enabled": True}},
                "default_permissions": state.default_permissions,
                "federation": {"outgoing": federation and state.federation_outgoing,
                               "incoming": federation and state.federation_incoming,
                               "expire_date": {"enabled": federation},
                               "expire_date_supported": {"enabled": federation}},
                "sharee": {"query_lookup_default": False, "always_show_unique": True},
            }
            if "sharebymail" in apps:
                caps["files_sharing"]["sharebymail"] = {"enabled": True, "send_password_by_mail": True,
                                                        "upload_files_drop": {"enabled": True},
                                                        "password": {"enabled": True, "enforced": False},
                                                        "expire_date": {"enabled": True, "enforced": False}}
        if federation:
            caps["federation"] = {"enabled": True, "apiVersion": "1.0-proposal1",
                                  "endPoint": f"{self.org.base_url}/ocm",
                                  "resourceTypes": [{"name": "file", "shareTypes": ["user", "group"],
                                                     "protocols": {"webdav": "/public.php/webdav/"}}]}
        if "theming" in apps:
            caps["theming"] = {"name": "Nextcloud", "url": "https://nextcloud.com", "slogan": "",
                               "color": "#00679e", "color-text": "#ffffff"}
        if "circles" in apps:
            caps["circles"] = {"version": "31.0.0", "status": {"globalScale": False}}
        if "spreed" in apps:
            caps["spreed"] = self.org.talk.capabilities()
        if "notifications" in apps:
            caps["notifications"] = {"ocs-endpoints": ["list", "get", "delete", "delete-all"]}
        data = {"version": {"major": major, "minor": minor, "micro": micro, "string": self.version_string(),
                            "edition": "", "extendedSupport": False},
                "capabilities": caps}
        etag = '"' + hashlib.md5(json.dumps(data, sort_keys=True).encode()).hexdigest() + '"'
        if request.headers.get("If-None-Match") == etag:
            return Response(status=304, headers={"ETag": etag})
        return ocs_response(data, headers={"ETag": etag})

    # sharing (apps/files_sharing/lib/Controller/ShareAPIController.php) -------------------------------------
    def node_type(self, uid: str, path: str) -> str | None:
        """"file", "folder" or None for a path in the user's files, asked of the server's file tree."""
        return self.org.node_type(uid, path)

    def provider_error(self, message: str) -> OcsError:
        # ShareAPIController::createShare: 31/32 turn non-hint provider exceptions into a generic message; older
        # copies pass the provider's own message through.
        return OcsError(403, "Failed to create share." if self.state.version[0] >= 31 else message)

    def can_access(self, share: Share, uid: str) -> bool:
        if uid == share.owner:
            return True
        if share.share_type == TYPE_USER:
            return share.share_with == uid
        if share.share_type == TYPE_GROUP:
            user = self.state.user(uid)
            return user is not None and share.share_with in user.groups
        return False

    def find_share(self, share_id: str, uid: str) -> Share:
        share = self.state.shares.get(int(share_id)) if str(share_id).isdigit() else None
        if share is None or not self.can_access(share, uid):
            raise OcsError(404, "Wrong share ID, share does not exist")
        return share

    def format_share(self, share: Share, viewer: str) -> dict:
        owner = self.state.user(share.owner)
        owner_name = owner.display_name if owner else share.owner
        name = posixpath.basename(share.path)
        target = "/" + name
        if share.item_type == "folder":
            mimetype = "httpd/unix-directory"
        else:
            mimetype = mimetypes.guess_type(name)[0] or "application/octet-stream"
        data = {
            "id": str(share.id), "share_type": share.share_type, "uid_owner": share.owner,
            "displayname_owner": owner_name, "permissions": share.permissions,
            "can_edit": viewer == share.owner, "can_delete": viewer == share.owner, "stime": share.stime,
            "parent": None, "expiration": share.expiration, "token": share.token,
            "uid_file_owner": share.owner, "note": share.note, "label": share.label,
            "displayname_file_owner": owner_name,
            "path": share.path if viewer == share.owner else target,
            "item_type": share.item_type, "item_permissions": ALL if share.item_type == "folder" else 27,
            "mimetype": mimetype, "has_preview": False, "storage_id": f"home::{share.owner}", "storage": 1,
            "item_source": share.file_id, "file_source": share.file_id,
            "file_parent": self.state.file_id(share.owner, posixpath.dirname(share.path)),
            "file_target": target, "item_size": 0, "item_mtime": share.stime,
            "share_with": share.share_with, "share_with_displayname": share.share_with_displayname,
            "share_with_displayname_unique": share.share_with, "status": [],
            "mail_send": int(share.mail_send), "hide_download": 0, "attributes": None, "tags": [],
        }
        if share.share_type == TYPE_LINK:
            data["url"] = f"{self.org.base_url}/s/{share.token}"
            data["password"] = share.password
        return data

    def list_shares(self, request, uid):
        """GET /shares (ShareAPIController::getShares): by path, reshares, subfiles, shared_with_me."""
        params = self.params(request)
        path = params.get("path", "")
        state = self.state
        with state.lock:
            shares = list(state.shares.values())
        if _flag(params.get("shared_with_me")):
            mine = [s for s in shares if s.owner != uid and self.can_access(s, uid)]
            if path:
                mine = [s for s in mine if "/" + posixpath.basename(s.path) == _norm(path)]
            return ocs_response([self.format_share(s, uid) for s in mine])
        node = None
        if path:
            node = _norm(path)
            if self.node_type(uid, node) is None:
                raise OcsError(404, "Wrong path, file/folder does not exist")
        if _flag(params.get("subfiles")):
            if node is None or self.node_type(uid, node) != "folder":
                raise OcsError(400, "Not a directory")
            found = [s for s in shares if s.owner == uid and posixpath.dirname(s.path) == node and s.path != node]
        else:
            found = [s for s in shares if s.owner == uid and (node is None or s.path == node)]
        return ocs_response([self.format_share(s, uid) for s in found])

    def get_share(self, request, uid, share_id):
        """GET /shares/{id}: `data` is a list with one element (ShareAPIController::getShare)."""
        return ocs_response([self.format_share(self.find_share(share_id, uid), uid)])

    def create_share(self, request, uid):
        """POST /shares, with the checks of ShareAPIController::createShare and Share20\\Manager in their
        order."""
        state = self.state
        params = self.params(request)
        path = params.get("path")
        if path is None:
            raise OcsError(404, "Please specify a file or folder path")
        path = _norm(path)
        item_type = self.node_type(uid, path)
        if item_type is None:
            raise OcsError(404, "Wrong path, file/folder does not exist")
        try:
            share_type = int(params.get("shareType", -1))
            permissions = params.get("permissions")
            permissions = int(permissions) if permissions not in (None, "") else None
        except (TypeError, ValueError):
            raise OcsError(400, "Unknown share type")
        share_with = params.get("shareWith") or None
        name = posixpath.basename(path)
        public_upload = params.get("publicUpload")
        public_upload = None if public_upload not in ("true", "false") else public_upload == "true"

        # Permission adjustments (ShareAPIController::createShare).
        if share_type in (TYPE_LINK, TYPE_EMAIL):
            permissions = self.link_permissions(permissions, public_upload, item_type)
        else:
            if permissions is None:
                permissions = state.default_permissions
            permissions |= READ
            if state.version[0] < 31 and not 0 <= permissions <= ALL:
                raise OcsError(404, "Invalid permissions")  # the 30-era ShareAPIController check
        if item_type == "file":
            permissions &= ~(DELETE | CREATE)

        expiration = None
        expire_date = params.get("expireDate")
        if expire_date:
            expiration = self.parse_expire_date(expire_date, 404)

        if params.get("sendMail") in ("true", "false"):
            mail_send = params["sendMail"] == "true"
        else:
            # 31/32 default while sharing.enable_share_mail is on: on, and for e-mail shares only with a
            # recipient (ShareAPIController::createShare)
            mail_send = bool(share_with) if share_type == TYPE_EMAIL else True

        display_name = share_with
        if share_type == TYPE_USER:
            recipient = state.user(share_with)
            if recipient is None:
                raise OcsError(404, "Please specify a valid account to share with")
            display_name = recipient.display_name
        elif share_type == TYPE_GROUP:
            if not state.group_sharing:
                raise OcsError(404, "Group sharing is disabled by the administrator")
            if share_with not in state.group_ids():
                raise OcsError(404, "Please specify a valid group")
        elif share_type in (TYPE_LINK, TYPE_EMAIL):
            if not state.link_sharing:
                raise OcsError(404, "Public link sharing is disabled by the administrator")
            if share_type == TYPE_EMAIL and share_with and mail_send and "@" not in share_with:
                raise OcsError(404, "Please specify a valid email address")
            if share_type == TYPE_LINK:
                share_with = None
        elif share_type in (TYPE_REMOTE, TYPE_REMOTE_GROUP):
            allowed = self.federation_outgoing() and share_type == TYPE_REMOTE
            if not allowed:
                raise OcsError(403, f"Sharing /{uid}/files{path} failed because the back end does not allow "
                                    f"shares from type {share_type}")
            if share_with is None:
                raise OcsError(404, "Please specify a valid federated account ID")
        elif share_type == TYPE_CIRCLE:
            if "circles" not in state.enabled_apps:
                raise OcsError(404, "You cannot share to a Team if the app is not enabled")
            raise OcsError(404, "Please specify a valid team")
        elif share_type in (TYPE_ROOM, TYPE_DECK):
            raise OcsError(403, f"Sharing /{uid}/files{path} failed because the back end does not support "
                                "room shares")
        elif share_type == TYPE_SCIENCEMESH:
            raise OcsError(403, f"Sharing /{uid}/files{path} failed because the back end does not support "
                                "ScienceMesh shares")
        else:
            raise OcsError(400, "Unknown share type")

        # Share20\Manager::generalCreateChecks; InvalidArgumentException becomes 403 with its message.
        if share_type == TYPE_USER and share_with == uid:
            raise OcsError(403, "Cannot share with yourself")
        if path == "/":
            raise OcsError(403, "You cannot share your root folder")
        if not 0 <= permissions <= ALL:
            raise OcsError(403, "Valid permissions are required for sharing")

        with state.lock:
            existing = [s for s in state.shares.values()
                        if s.owner == uid and s.path == path and s.share_type == share_type
                        and share_type != TYPE_LINK and s.share_with == share_with]
            if existing and share_type == TYPE_USER:
                # AlreadySharedException: a hint exception with code 0 → 403 (quirk `share_twice_403`)
                raise OcsError(403, f"Sharing {name} failed, because this item is already shared with the "
                                    f"account {display_name}")
            if existing and share_type == TYPE_GROUP:
                raise OcsError(403, "Path is already shared with this group")
            if existing and share_type in (TYPE_EMAIL, TYPE_REMOTE):
                raise self.provider_error(f"Sharing {name} failed, because this item is already shared with "
                                          f"the account {share_with}")
            if share_type == TYPE_EMAIL and "sharebymail" not in state.enabled_apps:
                raise self.provider_error("Failed to create share.")
            token = random_token(15) if share_type in (TYPE_LINK, TYPE_EMAIL, TYPE_REMOTE) else None
            target = None
            if share_type == TYPE_REMOTE:
                target = self.federation_target(share_with)
                if target is None:
                    raise self.provider_error(
                        f"Sharing {name} failed, could not find {share_with}, maybe the server is currently "
                        "unreachable or uses a self-signed certificate.")
            share = state.add_share(
                share_type=share_type, owner=uid, share_with=share_with, path=path, item_type=item_type,
                file_id=state.file_id(uid, path), permissions=permissions, note=params.get("note", ""),
                label=params.get("label", ""), token=token, expiration=expiration,
                password=params.get("password") or None, mail_send=mail_send,
                share_with_displayname=display_name)
        if target is not None:
            self.deliver_remote_share(share, *target)
        return ocs_response(self.format_share(share, uid))

    def link_permissions(self, permissions, public_upload, item_type):
        """getLinkSharePermissions + validateLinkSharePermissions (ShareAPIController)."""
        permissions = READ if permissions is None else permissions
        if public_upload is not None:
            permissions = (READ | CREATE | UPDATE | DELETE) if public_upload else READ
        if permissions & READ and self.federation_outgoing():
            permissions |= SHARE
        if public_upload and item_type == "file":
            raise OcsError(400, "Public upload is only possible for publicly shared folders")
        if not permissions & (READ | CREATE):
            raise OcsError(400, "Share must at least have READ or CREATE permissions")
        if not permissions & READ and permissions & (UPDATE | DELETE):
            raise OcsError(400, "Share must have READ permission if UPDATE or DELETE permission is set")
        return permissions

    def parse_expire_date(self, value: str, error_status: int) -> str:
        try:
            date = datetime.date.fromisoformat(value.strip()[:10])
        except ValueError:
            raise OcsError(error_status, "Invalid date, date format must be YYYY-MM-DD")
        today = datetime.date.fromtimestamp(self.state.clock())
        if date <= today:
            raise OcsError(404, "Expiration date is in the past")
        return f"{date.isoformat()} 00:00:00"

    def federation_outgoing(self) -> bool:
        apps = self.state.enabled_apps
        return "federation" in apps and "federatedfilesharing" in apps and self.state.federation_outgoing

    def federation_target(self, cloud_id: str):
        """(target org, uid there) for a cloud id that reaches a sandbox org accepting it, else None
        (CloudIdManager.php)."""
        parts = split_cloud_id(cloud_id)
        if parts is None:
            return None
        remote_uid, host = parts
        target = self.org.sandbox.org_for_host(host)
        if target is None or target.state.user(remote_uid) is None:
            return None
        target_apps = target.state.enabled_apps
        if not (target.state.federation_incoming and "federatedfilesharing" in target_apps):
            return None
        return target, remote_uid

    def deliver_remote_share(self, share: Share, target, remote_uid: str) -> None:
        """The receiving side of a federated share: a pending share, accepted at once only when the receiver
        trusts the sender and auto-accepts shares from trusted servers (CloudFederationProviderFiles.php)."""
        accepted = self.org.host in target.state.trusted_servers and target.state.auto_accept_trusted
        target.state.add_remote_share(
            remote=self.org.base_url, remote_id=str(share.id), share_token=share.token,
            name="/" + posixpath.basename(share.path), owner=share.owner, user=remote_uid,
            item_type=share.item_type, permissions=share.permissions, accepted=accepted)

    def remote_copies(self, share: Share):
        """The federated share records on the receiving org that came from `share`."""
        parts = split_cloud_id(share.share_with or "")
        target = self.org.sandbox.org_for_host(parts[1]) if parts else None
        if target is None:
            return []
        with target.state.lock:
            return [(target, r) for r in target.state.remote_shares.values()
                    if r.remote == self.org.base_url and r.remote_id == str(share.id)]

    def update_share(self, request, uid, share_id):
        """PUT /shares/{id} (ShareAPIController::updateShare)."""
        share = self.find_share(share_id, uid)
        if uid != share.owner:
            raise OcsError(403, "You are not allowed to edit incoming shares")
        params = self.params(request)
        fields = ("permissions", "password", "sendPasswordByTalk", "publicUpload", "expireDate", "note",
                  "label", "hideDownload", "attributes", "sendMail", "token")
        if not any(params.get(f) is not None for f in fields):
            raise OcsError(400, "Wrong or no update parameter given")
        permissions = share.permissions
        if share.share_type in (TYPE_LINK, TYPE_EMAIL):
            if params.get("permissions") is not None or params.get("publicUpload") is not None:
                public_upload = params.get("publicUpload")
                public_upload = None if public_upload not in ("true", "false") else public_upload == "true"
                try:
                    requested = int(params.get("permissions") or READ)
                except ValueError:
                    raise OcsError(400, "Failed to update share.")
                permissions = self.link_permissions(requested, public_upload, share.item_type)
        elif params.get("permissions") is not None:
            try:
                permissions = int(params["permissions"])
            except ValueError:
                raise OcsError(400, "Failed to update share.")
        # Manager::updateShare repeats the general checks; their InvalidArgumentException → 400 here.
        invalid = not 0 <= permissions <= ALL or (share.share_type not in (TYPE_LINK, TYPE_EMAIL)
                                                   and not permissions & READ)
        if invalid or (share.item_type == "file" and permissions & (CREATE | DELETE)):
            raise OcsError(400, "Failed to update share.")
        expiration = share.expiration
        if params.get("expireDate") == "":
            expiration = None
        elif params.get("expireDate") is not None:
            expiration = self.parse_expire_date(params["expireDate"], 400)
        with self.state.lock:
            share.permissions = permissions
            share.expiration = expiration
            if params.get("note") is not None:
                share.note = params["note"]
            if params.get("label") is not None and share.share_type in (TYPE_LINK, TYPE_EMAIL):
                share.label = params["label"]
            if params.get("password") is not None and share.share_type in (TYPE_LINK, TYPE_EMAIL):
                share.password = params["password"] or None
        if share.share_type == TYPE_REMOTE:
            for _target, remote in self.remote_copies(share):
                remote.permissions = permissions
        return ocs_response(self.format_share(share, uid))

    def delete_share(self, request, uid, share_id):
        """DELETE /shares/{id} (ShareAPIController::deleteShare); a federated share disappears at the receiver too."""
        share = self.find_share(share_id, uid)
        if share.share_type == TYPE_GROUP and uid != share.owner:
            return ocs_response([])  # the recipient only removes their own mount
        if uid != share.owner and not (share.share_type == TYPE_USER and share.share_with == uid):
            raise OcsError(403, "Could not delete share")
        copies = self.remote_copies(share) if share.share_type == TYPE_REMOTE else []
        with self.state.lock:
            self.state.shares.pop(share.id, None)
        for target, remote in copies:
            with target.state.lock:
                target.state.remote_shares.pop(remote.id, None)
        return ocs_response([])

    # sharee search (apps/files_sharing/lib/Controller/ShareesAPIController.php) -----------------------------
    def sharees(self, request, uid):
        params = self.params(request)
        item_type = params.get("itemType")
        if not item_type:
            raise OcsError(400, "Missing itemType")
        search = (params.get("search") or "").strip()
        lowered = search.lower()
        requested = request.args.getlist("shareType[]") or request.args.getlist("shareType")
        if requested:
            types = {int(t) for t in requested if str(t).lstrip("-").isdigit()}
        else:
            types = {TYPE_USER, TYPE_GROUP}
            if item_type in ("file", "folder") and self.federation_outgoing():
                types.add(TYPE_REMOTE)
        try:
            per_page = min(int(params.get("perPage", 200)), self.state.max_autocomplete_results)
            page = max(int(params.get("page", 1)), 1)
        except ValueError:
            raise OcsError(400, "Invalid page")
        keys = ("users", "groups", "remotes", "remote_groups", "emails", "circles", "rooms")
        exact = {key: [] for key in keys}
        wide = {key: [] for key in keys}

        if TYPE_USER in types:
            with self.state.lock:
                users = sorted(self.state.users.values(), key=lambda u: u.uid)
            matches = []
            for user in users:
                if user.uid == uid or not user.enabled:
                    continue
                fields = [user.uid.lower(), user.display_name.lower(), (user.email or "").lower()]
                entry = {"label": user.display_name, "subline": "", "icon": "icon-user",
                         "value": {"shareType": TYPE_USER, "shareWith": user.uid},
                         "shareWithDisplayNameUnique": user.email or user.uid, "status": []}
                if lowered and lowered in fields:
                    exact["users"].append(entry)
                elif lowered and any(lowered in f for f in fields):
                    matches.append(entry)
            wide["users"] = matches[(page - 1) * per_page: page * per_page]
            has_more = len(matches) > page * per_page
        else:
            has_more = False
        if TYPE_GROUP in types and self.state.group_sharing:
            for gid in sorted(self.state.group_ids()):
                entry = {"label": gid, "value": {"shareType": TYPE_GROUP, "shareWith": gid}}
                if lowered and gid.lower() == lowered:
                    exact["groups"].append(entry)
                elif lowered and lowered in gid.lower():
                    wide["groups"].append(entry)
        if TYPE_REMOTE in types and self.federation_outgoing():
            parts = split_cloud_id(search)
            if parts is not None:
                # A full cloud id comes back under exact.remotes (ShareesAPIController::search).
                exact["remotes"].append({"label": search, "uuid": search, "name": search, "type": "",
                                         "value": {"shareType": TYPE_REMOTE, "shareWith": search,
                                                   "server": parts[1]}})
        data = {"exact": exact, **wide, "lookup": [], "lookupEnabled": False}
        headers = {}
        if has_more:
            query = {**request.args.to_dict(flat=False), "page": [str(page + 1)]}
            headers["Link"] = f'<{request.base_url}?{urlencode(query, doseq=True)}>; rel="next"'
        return ocs_response(data, headers=headers)

    # federated shares received (apps/files_sharing/lib/Controller/RemoteController.php) ---------------------
    def format_remote(self, share, extended: bool) -> dict:
        data = {"id": share.id, "remote": share.remote, "remote_id": share.remote_id,
                "share_token": share.share_token, "name": share.name, "owner": share.owner, "user": share.user,
                "mountpoint": share.name if share.accepted else "{{TemporaryMountPointName#" + share.name + "}}",
                "accepted": share.accepted, "share_type": TYPE_USER, "parent": -1, "password": ""}
        if extended:
            data.update({"mimetype": "httpd/unix-directory" if share.item_type == "folder"
                         else mimetypes.guess_type(share.name)[0] or "application/octet-stream",
                         "mtime": 0, "permissions": share.permissions,
                         "type": "dir" if share.item_type == "folder" else "file", "file_id": share.id + 10_000})
        return data

    def remote_shares(self, request, uid):
        return ocs_response([self.format_remote(s, True) for s in self.state.remote_shares_for(uid, True)])

    def pending_remote_shares(self, request, uid):
        return ocs_response([self.format_remote(s, False) for s in self.state.remote_shares_for(uid, False)])

    def _remote(self, uid, remote_id, pending_only: bool):
        share = self.state.remote_shares.get(remote_id)
        if share is None or share.user != uid or (pending_only and share.accepted):
            return None
        return share

    def accept_remote_share(self, request, uid, remote_id):
        share = self._remote(uid, remote_id, pending_only=True)
        if share is None:
            raise OcsError(404, "wrong share ID, share does not exist.")
        share.accepted = True
        return ocs_response([])

    def decline_remote_share(self, request, uid, remote_id):
        share = self._remote(uid, remote_id, pending_only=True)
        if share is None:
            raise OcsError(404, "wrong share ID, share does not exist.")
        with self.state.lock:
            self.state.remote_shares.pop(remote_id, None)
        return ocs_response([])

    def get_remote_share(self, request, uid, remote_id):
        share = self._remote(uid, remote_id, pending_only=False)
        if share is None:
            raise OcsError(404, "share does not exist")
        return ocs_response(self.format_remote(share, True))

    def unshare_remote_share(self, request, uid, remote_id):
        share = self._remote(uid, remote_id, pending_only=False)
        if share is None:
            raise OcsError(404, "Share does not exist")
        with self.state.lock:
            self.state.remote_shares.pop(remote_id, None)
        return ocs_response([])


def make_ocs_app(org) -> OcsApp:
    """The OCS + /status.php WSGI app of one sandbox organisation (see sandbox.server for `org`)."""
    return OcsApp(org)
