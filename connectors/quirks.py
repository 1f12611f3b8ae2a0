"""Nextcloud 28–32 behaviours our clients depend on, in one table: what, what we do, and where it was read."""

from __future__ import annotations

from typing import NamedTuple


class Quirk(NamedTuple):
    what: str          # the server behaviour
    consequence: str   # what the connectors do about it
    reference: str     # section of /work/shared/reference/nextcloud-api.md
    source: str        # Nextcloud (or Sabre) source file / issue it was read from


NEXTCLOUD_QUIRKS: dict[str, Quirk] = {
    "single_use_refresh_token": Quirk(
        "Every token call rotates access AND refresh token; the old refresh token is dead at once, and two "
        "parallel refreshes are not atomic in 28–32 (the pair kept may not match).",
        "BearerAuth refreshes under TokenStore.refresh_lock() (threads and processes), re-reads the store "
        "inside the lock, saves the new pair before using it, and never resends a refresh after a timeout.",
        "§1.5", "server apps/oauth2/lib/Controller/OauthApiController.php, apps/oauth2/lib/Db/AccessTokenMapper.php"),
    "no_pkce": Quirk(
        "PKCE parameters are not read in 28–32 (added in oauth2 1.23, 2026, S256 only).",
        "OAuthClient is a confidential client that always sends client_secret; no PKCE is sent or relied on.",
        "§1.3", "server apps/oauth2/lib/Controller/LoginRedirectorController.php, PR #59930"),
    "fixed_token_lifetime": Quirk(
        "expires_in is hard-coded to 3600 s; there are no scopes.",
        "Token.expires_at comes from expires_in; BearerAuth refreshes `leeway` (60 s) before expiry.",
        "§1.5", "server apps/oauth2/lib/Controller/OauthApiController.php"),
    "redirect_uri_ignored": Quirk(
        "The redirect_uri sent to /authorize is ignored; Nextcloud redirects to the registered URI. scope is not read.",
        "authorization_url() relies only on client_id and state (redirect_uri is sent but not trusted); the "
        "app registers one plain callback URI per deployment.",
        "§1.2, §1.7", "server apps/oauth2/lib/Controller/LoginRedirectorController.php"),
    "token_errors_all_400": Quirk(
        "Every token-endpoint failure is HTTP 400 {\"error\": ...} (invalid_request for a used/unknown refresh "
        "token or expired code); 429 once brute-force protection blocks the caller's IP.",
        "A 400 on refresh means the grant is lost: mark the connection reconnect-needed and raise "
        "ReconnectNeeded; never loop on refresh (each failure is a brute-force hit for the whole app's IP).",
        "§1.4, §1.8",
        "server apps/oauth2/lib/Controller/OauthApiController.php, lib/private/Security/Bruteforce/Throttler.php"),
    "client_secret_in_body": Quirk(
        "The token endpoint takes client_id/client_secret in the body or via Basic; some PHP-FPM/proxy setups "
        "drop PHP_AUTH_USER.",
        "OAuthClient uses token_endpoint_auth_method=client_secret_post.",
        "§1.4", "server apps/oauth2/lib/Controller/OauthApiController.php"),
    "no_discovery_or_userinfo": Quirk(
        "No OIDC discovery, userinfo, revocation or introspection endpoint.",
        "Endpoints are built from the base URL under /index.php/apps/oauth2/; identity comes from the token "
        "response's user_id and /ocs/v2.php/cloud/user.",
        "§1.1, §2.4", "server apps/oauth2/appinfo/routes.php"),
    "ocs_api_request_header": Quirk(
        "OCS calls need OCS-APIRequest: true (also switches off the strict-cookie check); default format is XML.",
        "OcsClient sends OCS-APIRequest: true and format=json on every call.",
        "§2.1, §2.2", "server lib/private/AppFramework/Middleware/Security/SecurityMiddleware.php"),
    "ocs_v1_vs_v2": Quirk(
        "OCS v1 answers HTTP 200 for most errors (meta.statuscode carries it); v2 maps statuscode to HTTP.",
        "OcsClient uses /ocs/v2.php only; raise_for_response still reads meta.statuscode of a 2xx envelope.",
        "§2.3", "server lib/private/AppFramework/OCS/V1Response.php, V2Response.php"),
    "uid_in_dav_paths": Quirk(
        "DAV paths use the user's UID (token response user_id), not the login name or e-mail.",
        "FilesClient/CalendarClient are built with Token.user_id.",
        "§1.4, §3", "server apps/dav/lib/Server.php"),
    "no_cookie_jar": Quirk(
        "Requests to remote.php carrying Nextcloud session cookies without the strict cookie get 412.",
        "Sessions use a cookie policy that rejects all cookies and the adapter strips any Cookie header.",
        "§2.1", "server lib/base.php (performSameSiteCookieProtection), lib/private/AppFramework/Http/Request.php"),
    "dav_401_basic_challenge": Quirk(
        "DAV answers a missing or failed login (Bearer or Basic) with 401 and `WWW-Authenticate: Basic "
        "realm=\"Nextcloud\", charset=\"UTF-8\"`: Sabre asks every auth backend to challenge, the Basic backend "
        "answers, the Bearer backend deliberately adds nothing. The challenge never names Bearer.",
        "BearerAuth reacts to the status alone: refresh once, resend once; the Basic challenge is ignored "
        "(requests does not answer it by itself).",
        "§2.1", "server apps/dav/lib/Connector/Sabre/Auth.php, apps/dav/lib/Connector/Sabre/BearerAuth.php"),
    "mkcol_405_exists_409_parent": Quirk(
        "MKCOL answers 405 when the resource exists and 409 when the parent is missing.",
        "FilesClient.ensure_folder treats 405 as done; 409 becomes ParentMissing.",
        "§3.1", "sabre/dav lib/DAV/Server.php (createCollection)"),
    "put_404_parent_missing": Quirk(
        "PUT into a missing folder or calendar is 404, not 409: the parent is looked up (and not found) "
        "before the write starts.",
        "raise_for_response turns a PUT's 404 into ParentMissing, as MKCOL's 409.",
        "§3.1", "sabre/dav lib/DAV/Tree.php (getNodeForPath), lib/DAV/CorePlugin.php (httpPut)"),
    "put_if_none_match": Quirk(
        "PUT with If-None-Match: * answers 412 when the file exists; If-Match with another ETag is 412 too. "
        "Preconditions are checked before the body, so a 412 comes before any 400/403 about the content.",
        "create_if_absent returns False and keeps the existing document; updates send If-Match.",
        "§3.1, §6.3", "sabre/dav lib/DAV/Server.php (checkPreconditions)"),
    "etag_per_write": Quirk(
        "A file's ETag is new after every write, also when the bytes are the same, and its folders get new "
        "ETags too; a calendar object's ETag is a hash of its data.",
        "Conditional writes use the ETag of the latest read; a 412 means someone wrote in between.",
        "§3.1, §3.2, §6.3", "server lib/private/Files/Cache/Propagator.php, apps/dav/lib/CalDAV/CalDavBackend.php"),
    "share_twice_403": Quirk(
        "Sharing the same node twice with the same user is 403 'already shared', not idempotent.",
        "OcsClient.ensure_share lists shares of the path first, then PUTs or POSTs; a raw create of an "
        "existing share raises AlreadyExists.",
        "§4.3",
        "server lib/private/Share20/Manager.php (userCreateChecks), "
        "lib/public/Share/Exceptions/AlreadySharedException.php"),
    "share_mail_default_on": Quirk(
        "When sendMail is omitted, 31/32 send a notification mail for user/group shares.",
        "create_share sends sendMail=false unless asked.",
        "§4.2", "server apps/files_sharing/lib/Controller/ShareAPIController.php"),
    "sharee_search_not_proof": Quirk(
        "Sharee search results depend on the admin's enumeration settings; short searches return nothing.",
        "Existence of a sharee is established by the create call (404 -> NotFound), not by search.",
        "§4.5", "server apps/files_sharing/lib/Controller/ShareesAPIController.php"),
    "calendar_creation_limits": Quirk(
        "At most 10 calendar creations per user per hour (429) and 30 owned calendars+subscriptions (403).",
        "MKCALENDAR is only sent when the calendar is missing; 429/403 surface as RateLimited/Forbidden.",
        "§6.2", "server apps/dav/lib/CalDAV/Security/RateLimitingPlugin.php"),
    "calendar_share_silent_skip": Quirk(
        "The calendar-sharing POST answers 200 even for unknown sharees (silently skipped).",
        "CalendarClient verifies with a PROPFIND of oc:invite and raises ShareNotApplied.",
        "§6.6", "server apps/dav/lib/DAV/Sharing/Plugin.php, Backend.php"),
    "imip_owner_organizer_only": Quirk(
        "iMIP invitations go out only for VEVENTs whose ORGANIZER is the calendar owner's address; never for VTODO.",
        "Events that must invite are written in the organizer's own calendar with ORGANIZER:mailto:<their e-mail>.",
        "§6.8", "server apps/dav/lib/CalDAV/Schedule/IMipPlugin.php, sabre/vobject lib/ITip/Broker.php"),
    "imip_significant_changes_only": Quirk(
        "An added attendee gets a REQUEST and a removed one a CANCEL; the others are mailed only when DTSTART, "
        "DTEND, DURATION, DUE, RRULE, RDATE, EXDATE, STATUS, SUMMARY, DESCRIPTION or LOCATION changed (or "
        "SCHEDULE-FORCE-SEND=REQUEST). A PARTSTAT change alone mails nobody; SCHEDULE-AGENT=CLIENT "
        "attendees are never mailed.",
        "Adding or removing a member touches only the attendee set, so only that member hears of it; a new "
        "date, time, title, description or place re-invites everyone.",
        "§6.8", "sabre/vobject lib/ITip/Broker.php (parseEventForOrganizer), server apps/dav/lib/CalDAV/TipBroker.php"),
    "sync_token_403": Quirk(
        "A sync token not of the form http://sabre.io/ns/sync/<n> (or a pruned one) gets 403 with "
        "DAV:valid-sync-token.",
        "raise_for_response maps it to InvalidSyncToken; the calendar sync does a logged full resync.",
        "§6.4", "sabre/dav lib/DAV/Sync/Plugin.php, server apps/dav/lib/BackgroundJob/PruneOutdatedSyncTokensJob.php"),
    "sync_token_number_unchecked": Quirk(
        "A numeric token is never checked against the calendar it came from: after a delete and re-create under "
        "the same URI the counter restarts at 1, an old token is accepted (207), and the answer misses changes; "
        "when the old number is at or above the new counter the token sent back is lower than the one sent.",
        "CalendarClient.sync treats a token coming back lower than the one sent as a re-created calendar and "
        "does a logged full resync.",
        "§6.4", "server apps/dav/lib/CalDAV/CalDavBackend.php (getChangesForCalendar)"),
    "uid_unique_per_calendar": Quirk(
        "A second object with an existing UID under another URI is 400 (409 no-uid-conflict in 2026 code).",
        "Object URIs are <UID>.ics so a UID maps to exactly one URI.",
        "§6.3", "server apps/dav/lib/CalDAV/CalDavBackend.php (createCalendarObject)"),
    "maintenance_503": Quirk(
        "Maintenance mode answers 503 with X-Nextcloud-Maintenance-Mode: 1 and Retry-After: 120.",
        "The 120 s is not slept on inside a request (max_retry_after); ServiceUnavailable(maintenance=True, "
        "retry_after=120) is raised.",
        "§8", "server lib/base.php (checkMaintenanceMode), apps/dav/lib/Connector/Sabre/MaintenancePlugin.php"),
    "request_id_header": Quirk(
        "Every response carries X-Request-Id, equal to reqId in nextcloud.log.",
        "Failed calls log it and NextcloudError.request_id carries it.",
        "§8",
        "server lib/private/AppFramework/Http/RequestId.php, apps/dav/lib/Connector/Sabre/RequestIdHeaderPlugin.php"),
    "talk_absent_without_spreed": Quirk(
        "A server without Talk, or with Talk not allowed for the user, publishes no `spreed` capabilities, and "
        "its API routes answer the OCS 998 (HTTP 404); Talk federation shows as config.federation.enabled and "
        "outgoing-enabled, true only when it is on for that user.",
        "TalkSupport reads availability, federation and the features (conversation-creation-all, "
        "room-description) from the capabilities once per client; the conversation step is skipped with a note.",
        "§2.5", "spreed lib/Capabilities.php"),
    "talk_error_key": Quirk(
        "Talk answers refusals with a status and an `error` key in the OCS data: 400 `name`/`cloud-id`/"
        "`source`, 403 `permissions`/`owner`, 404 `invite`/`new-participant`/`participant`/`reach-remote`, "
        "501 `federation` (Talk federation off).",
        "TalkClient raises TalkRefused (NotFoundRefused for 404) carrying `reason`; callers decide by reason.",
        "§2.3", "spreed lib/Controller/RoomController.php"),
    "talk_add_participant_idempotent": Quirk(
        "Adding someone who already takes part answers 200 and changes nothing; creating a conversation is not "
        "idempotent (every POST /room makes a new one, 202 with invalidParticipants when some could not be "
        "added).",
        "Participants are added without a read first; a creation whose answer was lost is found again by the "
        "marker this installation wrote in the description, never by name.",
        "§2.3", "spreed lib/Controller/RoomController.php (addParticipantToRoom, createRoom)"),
}
