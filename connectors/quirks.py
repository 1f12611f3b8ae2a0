"""Nextcloud 28–32 behaviours our clients depend on, in one table: what, what we do, and where it was read."""

from __future__ import annotations

from typing import NamedTuple


class Quirk(NamedTuple):
    what: str          # the server behaviour
    consequence: str   # what the connectors do about it
    source: str        # Nextcloud (or Sabre) source file / issue it was read from


NEXTCLOUD_QUIRKS: dict[str, Quirk] = {
    "single_use_refresh_token": Quirk(
        "Every token call rotates access AND refresh token; the old refresh token is dead at once, and two "
        "parallel refreshes are not atomic in 28–32 (the pair kept may not match).",
        "BearerAuth refreshes under TokenStore.refresh_lock() (threads and processes), re-reads the store "
        "inside the lock, saves the new pair before using it, and never resends a refresh after a timeout.",
        "server apps/oauth2/lib/Controller/OauthApiController.php, apps/oauth2/lib/Db/AccessTokenMapper.php"),
    "no_pkce": Quirk(
        "PKCE parameters are not read in 28–32 (added in oauth2 1.23, 2026, S256 only).",
        "OAuthClient is a confidential client that always sends client_secret; no PKCE is sent or relied on.",
        "server apps/oauth2/lib/Controller/LoginRedirectorController.php, PR #59930"),
    "fixed_token_lifetime": Quirk(
        "expires_in is hard-coded to 3600 s; there are no scopes.",
        "Token.expires_at comes from expires_in; BearerAuth refreshes `leeway` (60 s) before expiry.",
        "server apps/oauth2/lib/Controller/OauthApiController.php"),
    "redirect_uri_ignored": Quirk(
        "The redirect_uri sent to /authorize is ignored; Nextcloud redirects to the registered URI. scope is not read.",
        "authorization_url() relies only on client_id and state (redirect_uri is sent but not trusted); the "
        "app registers one plain callback URI per deployment.",
        "server apps/oauth2/lib/Controller/LoginRedirectorController.php"),
    "token_errors_all_400": Quirk(
        "Every token-endpoint failure is HTTP 400 {\"error\": ...} (invalid_request for a used/unknown refresh "
        "token or expired code); 429 once brute-force protection blocks the caller's IP.",
        "A 400 on refresh means the grant is lost: mark the connection reconnect-needed and raise "
        "ReconnectNeeded; never loop on refresh (each failure is a brute-force hit for the whole app's IP).",
        "server apps/oauth2/lib/Controller/OauthApiController.php, lib/private/Security/Bruteforce/Throttler.php"),
    "client_secret_in_body": Quirk(
        "The token endpoint takes client_id/client_secret in the body or via Basic; some PHP-FPM/proxy setups "
        "drop PHP_AUTH_USER.",
        "OAuthClient uses token_endpoint_auth_method=client_secret_post.",
        "server apps/oauth2/lib/Controller/OauthApiController.php"),
    "no_discovery_or_userinfo": Quirk(
        "No OIDC discovery, userinfo, revocation or introspection endpoint.",
        "Endpoints are built from the base URL under /index.php/apps/oauth2/; identity comes from the token "
        "response's user_id and /ocs/v2.php/cloud/user.",
        "server apps/oauth2/appinfo/routes.php"),
    "ocs_api_request_header": Quirk(
        "OCS calls need OCS-APIRequest: true (also switches off the strict-cookie check); default format is XML.",
        "OcsClient sends OCS-APIRequest: true and format=json on every call.",
        "server lib/private/AppFramework/Middleware/Security/SecurityMiddleware.php"),
    "ocs_v1_vs_v2": Quirk(
        "OCS v1 answers HTTP 200 for most errors (meta.statuscode carries it); v2 maps statuscode to HTTP.",
        "OcsClient uses /ocs/v2.php only; raise_for_response still reads meta.statuscode of a 2xx envelope.",
        "server lib/private/AppFramework/OCS/V1Response.php, V2Response.php"),
    "uid_in_dav_paths": Quirk(
        "DAV paths use the user's UID (token response user_id), not the login name or e-mail.",
        "FilesClient/CalendarClient are built with Token.user_id.",
        "server apps/dav/lib/Server.php"),
    "no_cookie_jar": Quirk(
        "Requests to remote.php carrying Nextcloud session cookies without the strict cookie get 412.",
        "Sessions use a cookie policy that rejects all cookies and the adapter strips any Cookie header.",
        "server lib/base.php (performSameSiteCookieProtection), lib/private/AppFramework/Http/Request.php"),
    "dav_401_basic_challenge": Quirk(
        "DAV answers a missing or failed login (Bearer or Basic) with 401 and `WWW-Authenticate: Basic "
        "realm=\"Nextcloud\", charset=\"UTF-8\"`: Sabre asks every auth backend to challenge, the Basic backend "
        "answers, the Bearer backend deliberately adds nothing. The challenge never names Bearer.",
        "BearerAuth reacts to the status alone: refresh once, resend once; the Basic challenge is ignored "
        "(requests does not answer it by itself).",
        "server apps/dav/lib/Connector/Sabre/Auth.php, apps/dav/lib/Connector/Sabre/BearerAuth.php"),
    "mkcol_405_exists_409_parent": Quirk(
        "MKCOL answers 405 when the resource exists and 409 when the parent is missing.",
        "FilesClient.ensure_folder treats 405 as done; 409 becomes ParentMissing.",
        "sabre/dav lib/DAV/Server.php (createCollection)"),
    "put_404_parent_missing": Quirk(
        "PUT into a missing folder or calendar is 404, not 409: the parent is looked up (and not found) "
        "before the write starts.",
        "raise_for_response turns a PUT's 404 into ParentMissing, as MKCOL's 409.",
        "sabre/dav lib/DAV/Tree.php (getNodeForPath), lib/DAV/CorePlugin.php (httpPut)"),
    "put_if_none_match": Quirk(
        "PUT with If-None-Match: * answers 412 when the file exists; If-Match with another ETag is 412 too. "
        "Preconditions are checked before the body, so a 412 comes before any 400/403 about the content.",
        "create_if_absent returns False and keeps the existing document; updates send If-Match.",
        "sabre/dav lib/DAV/Server.php (checkPreconditions)"),
    "etag_per_write": Quirk(
        "A file's ETag is new after every write, also when the bytes are the same, and its folders get new "
        "ETags too; a calendar object's ETag is a hash of its data.",
        "Conditional writes use the ETag of the latest read; a 412 means someone wrote in between.",
        "server lib/private/Files/Cache/Propagator.php, apps/dav/lib/CalDAV/CalDavBackend.php"),
    "share_twice_403": Quirk(
        "Sharing the same node twice with the same user is 403 'already shared', not idempotent.",
        "OcsClient.ensure_share lists shares of the path first, then PUTs or POSTs; a raw create of an "
        "existing share raises AlreadyExists.",
        "server lib/private/Share20/Manager.php (userCreateChecks), "
        "lib/public/Share/Exceptions/AlreadySharedException.php"),
    "share_mail_default_on": Quirk(
        "When sendMail is omitted, 31/32 send a notification mail for user/group shares.",
        "create_share sends sendMail=false unless asked.",
        "server apps/files_sharing/lib/Controller/ShareAPIController.php"),
    "sharee_search_not_proof": Quirk(
        "Sharee search results depend on the admin's enumeration settings; short searches return nothing.",
        "Existence of a sharee is established by the create call (404 -> NotFound), not by search.",
        "server apps/files_sharing/lib/Controller/ShareesAPIController.php"),
    "calendar_creation_limits": Quirk(
        "At most 10 calendar creations per user per hour (429) and 30 owned calendars+subscriptions (403).",
        "MKCALENDAR is only sent when the calendar is missing; 429/403 surface as RateLimited/Forbidden.",
        "server apps/dav/lib/CalDAV/Security/RateLimitingPlugin.php"),
    "calendar_share_silent_skip": Quirk(
        "The calendar-sharing POST answers 200 even for unknown sharees (silently skipped).",
        "CalendarClient verifies with a PROPFIND of oc:invite and raises ShareNotApplied.",
        "server apps/dav/lib/DAV/Sharing/Plugin.php, Backend.php"),
    "imip_owner_organizer_only": Quirk(
        "iMIP invitations go out only for VEVENTs whose ORGANIZER is the calendar owner's address; never for VTODO.",
        "Events that must invite are written in the organizer's own calendar with ORGANIZER:mailto:<their e-mail>.",
        "server apps/dav/lib/CalDAV/Schedule/IMipPlugin.php, sabre/vobject lib/ITip/Broker.php"),
    "imip_significant_changes_only": Quirk(
        "An added attendee gets a REQUEST and a removed one a CANCEL; the others are mailed only when DTSTART, "
        "DTEND, DURATION, DUE, RRULE, RDATE, EXDATE, STATUS, SUMMARY, DESCRIPTION or LOCATION changed (or "
        "SCHEDULE-FORCE-SEND=REQUEST). A PARTSTAT change alone mails nobody; SCHEDULE-AGENT=CLIENT "
        "attendees are never mailed.",
        "Adding or removing a member touches only the attendee set, so only that member hears of it; a new "
        "date, time, title, description or place re-invites everyone.",
        "sabre/vobject lib/ITip/Broker.php (parseEventForOrganizer), server apps/dav/lib/CalDAV/TipBroker.php"),
    "sync_token_403": Quirk(
        "A sync token not of the form http://sabre.io/ns/sync/<n> (or a pruned one) gets 403 with "
        "DAV:valid-sync-token.",
        "raise_for_response maps it to InvalidSyncToken; the calendar sync does a logged full resync.",
        "sabre/dav lib/DAV/Sync/Plugin.php, server apps/dav/lib/BackgroundJob/PruneOutdatedSyncTokensJob.php"),
    "sync_token_number_unchecked": Quirk(
        "A numeric token is never checked against the calendar it came from: after a delete and re-create under "
        "the same URI the counter restarts at 1, an old token is accepted (207), and the answer misses changes; "
        "when the old number is at or above the new counter the token sent back is lower than the one sent.",
        "CalendarClient.sync treats a token coming back lower than the one sent as a re-created calendar and "
        "does a logged full resync.",
        "server apps/dav/lib/CalDAV/CalDavBackend.php (getChangesForCalendar)"),
    "uid_unique_per_calendar": Quirk(
        "A second object with an existing UID under another URI is 400 (409 no-uid-conflict in 2026 code).",
        "Object URIs are <UID>.ics so a UID maps to exactly one URI.",
        "server apps/dav/lib/CalDAV/CalDavBackend.php (createCalendarObject)"),
    "maintenance_503": Quirk(
        "Maintenance mode answers 503 with X-Nextcloud-Maintenance-Mode: 1 and Retry-After: 120.",
        "The 120 s is not slept on inside a request (max_retry_after); ServiceUnavailable(maintenance=True, "
        "retry_after=120) is raised.",
        "server lib/base.php (checkMaintenanceMode), apps/dav/lib/Connector/Sabre/MaintenancePlugin.php"),
    "request_id_header": Quirk(
        "Every response carries X-Request-Id, equal to reqId in nextcloud.log.",
        "Failed calls log it and NextcloudError.request_id carries it.",
        "server lib/private/AppFramework/Http/RequestId.php, apps/dav/lib/Connector/Sabre/RequestIdHeaderPlugin.php"),
    "talk_absent_without_spreed": Quirk(
        "A server without Talk, or with Talk not allowed for the user, publishes no `spreed` capabilities, and "
        "its API routes answer the OCS 998 (HTTP 404); Talk federation shows as config.federation.enabled and "
        "outgoing-enabled, true only when it is on for that user.",
        "TalkSupport reads availability, federation and the features (conversation-creation-all, "
        "room-description) from the capabilities once per client; the conversation step is skipped with a note.",
        "spreed lib/Capabilities.php"),
    "talk_error_key": Quirk(
        "Talk answers refusals with a status and an `error` key in the OCS data: 400 `name`/`cloud-id`/"
        "`source`, 403 `permissions`/`owner`, 404 `invite`/`new-participant`/`participant`/`reach-remote`, "
        "501 `federation` (Talk federation off).",
        "TalkClient raises TalkRefused (NotFoundRefused for 404) carrying `reason`; callers decide by reason.",
        "spreed lib/Controller/RoomController.php"),
    "talk_add_participant_idempotent": Quirk(
        "Adding someone who already takes part answers 200 and changes nothing; creating a conversation is not "
        "idempotent (every POST /room makes a new one, 202 with invalidParticipants when some could not be "
        "added).",
        "Participants are added without a read first; a creation whose answer was lost is found again by the "
        "marker this installation wrote in the description, never by name.",
        "spreed lib/Controller/RoomController.php (addParticipantToRoom, createRoom)"),
    "calendar_uri_rules": Quirk(
        "MKCALENDAR on a reserved name (contact_birthdays, trashbin, app-generated*) or on a child every home "
        "has (inbox, outbox, notifications) or an existing calendar is 405; URIs over 255 characters are refused.",
        "validate_calendar_uri() allows 1-255 characters of [a-z0-9-] and refuses the reserved names, so a 405 "
        "on MKCALENDAR always means our calendar is already there.",
        "server apps/dav/lib/CalDAV/CalendarHome.php (createExtendedCollection, getChild), "
        "apps/dav/lib/CalDAV/Integration/ExternalCalendar.php"),
    "calendar_default_components": Quirk(
        "A calendar created without supported-calendar-component-set stores VEVENT,VTODO; the display name "
        "defaults to the URI; the component set is not changed after creation.",
        "ensure_calendar always sends the component set and treats a missing property as VEVENT,VTODO; an "
        "existing calendar lacking a wanted component is CalendarMismatch, never altered.",
        "server apps/dav/lib/CalDAV/CalDavBackend.php (createCalendar)"),
    "mkcalendar_without_body": Quirk(
        "A MKCALENDAR whose body never arrives (the client went away between its headers and its body; Apache "
        "hands PHP the body as it comes) still makes the calendar: Sabre reads no properties, so it gets the "
        "default component set VEVENT,VTODO and the URI as its name.",
        "A resumed calendar step that finds its calendar accepting more than it asked, with no object and no "
        "sharee in it, removes it for good and makes it again; one holding anything is kept as it is.",
        "sabre/dav lib/CalDAV/Plugin.php (httpMkCalendar), server apps/dav/lib/CalDAV/CalDavBackend.php "
        "(createCalendar)"),
    "calendar_trashbin": Quirk(
        "Deleting a calendar moves it to the calendar trash bin (restorable until the retention time ends), "
        "unless the DELETE carries X-NC-CalDAV-No-Trashbin: 1, which deletes it at once.",
        "remove_calendar sends the header: it only removes an empty calendar this installation just made "
        "(quirk mkcalendar_without_body), whose URI must be free again at once.",
        "server apps/dav/lib/CalDAV/Trashbin/Plugin.php"),
    "shared_calendar_uri": Quirk(
        "A calendar shared with a user shows in their calendar home as `<uri>_shared_by_<owner UID>`.",
        "Calendar URIs read from the server are used as they are (only a single path segment is required); "
        "validate_calendar_uri() is for calendars we create.",
        "server apps/dav/lib/CalDAV/CalDavBackend.php (getCalendarsForUser)"),
    "calendar_share_xml_only": Quirk(
        "The `oc:share` POST is handled only when its Content-Type contains application/xml or text/xml; "
        "otherwise the POST is not a share request.",
        "CalendarClient posts shares with Content-Type: application/xml; charset=utf-8.",
        "server apps/dav/lib/DAV/Sharing/Plugin.php (httpPost)"),
    "scheduling_rewrites_object": Quirk(
        "When scheduling changes what was PUT (SCHEDULE-STATUS on attendees), the stored object differs from "
        "the body and the PUT answer carries no ETag.",
        "CalendarClient.update returns None then; callers read the object again before the next conditional "
        "write.",
        "sabre/dav lib/CalDAV/Schedule/Plugin.php, lib/DAV/Server.php (createFile, updateFile)"),
    "trashed_object_uri": Quirk(
        "A deleted calendar object stays in the calendar trash bin renamed `<name>-deleted.ics`.",
        "UIDs are [A-Za-z0-9-] used as `<UID>.ics`, and a UID ending in -deleted is refused, so an object name "
        "never collides with a trashed one.",
        "server apps/dav/lib/CalDAV/CalDavBackend.php (deleteCalendarObject)"),
    "tasks_app_completion": Quirk(
        "The Tasks app counts a VTODO as done when COMPLETED is present or STATUS is COMPLETED (closed also "
        "for CANCELLED); when it ticks a task it writes STATUS, PERCENT-COMPLETE and COMPLETED together.",
        "ical reads done from either property and always writes the three together (done: COMPLETED, 100 and "
        "a timestamp; not done: NEEDS-ACTION, 0 and none).",
        "tasks src/models/task.js"),
    "fileid_stable": Quirk(
        "oc:fileid (and a share's file_source) stays the same when a file or folder is renamed or moved; "
        "`/f/<fileid>` is the Files app's permalink.",
        "Links into Files use the file id, and the id is the durable key of a node.",
        "server apps/dav/lib/Connector/Sabre/FilesPlugin.php, apps/files/appinfo/routes.php"),
    "move_no_overwrite_412": Quirk(
        "MOVE answers 201 created or 204 replaced; with Overwrite: F an existing destination is 412, a missing "
        "destination parent 409.",
        "FilesClient.move sends Overwrite: F unless asked; 412 becomes PreconditionFailed and 409 ParentMissing, "
        "so an archive move never replaces a folder.",
        "sabre/dav lib/DAV/Server.php (getCopyAndMoveInfo), lib/DAV/CorePlugin.php (httpMove)"),
    "ocs_boolean_strings": Quirk(
        "The sharing API's boolean-ish parameters (reshares, subfiles, shared_with_me, publicUpload, sendMail) "
        "are the strings \"true\"/\"false\".",
        "OcsClient sends flags as \"true\"/\"false\", never 1/0 or JSON booleans.",
        "server apps/files_sharing/lib/Controller/ShareAPIController.php"),
    "external_sites_iframe": Quirk(
        "The External sites app shows a site without `redirect` in an iframe at /apps/external/<id> (it relaxes "
        "Nextcloud's own CSP for framing); the framed site must allow the Nextcloud origin itself.",
        "The app sends frame-ancestors with the organisations' Nextcloud origins, no X-Frame-Options, and a "
        "`SameSite=None; Secure` session cookie guarded by an origin check and CSRF tokens.",
        "external lib/Controller/SiteController.php"),
}
