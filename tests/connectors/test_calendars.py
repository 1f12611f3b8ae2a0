"""Tests of connectors.calendars: pure helpers as unit tests, the rest as contract tests against the sandbox."""

import logging
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

import pytest

from connectors.calendars import (
    CalendarClient,
    CalendarLimitReached,
    CalendarMismatch,
    CalendarSharee,
    calendar_uri,
    parse_invite,
    sharee_href,
    validate_calendar_uri,
)
from connectors.errors import Forbidden, NotFound, PreconditionFailed, RateLimited, ShareNotApplied
from connectors.http import make_session
from connectors.ical import parse_todo, render_event, render_todo, stable_uid
from connectors.oauth import BearerAuth, MemoryTokenStore, OAuthClient, Token
from sandbox.demo import DEMO_ORGS, FUNCTIONAL_ACCOUNT
from tests.sandbox.util import dav

STAMP = datetime(2025, 3, 1, 9, 0, tzinfo=timezone.utc)
ORG_A = DEMO_ORGS[0]
OWNER = FUNCTIONAL_ACCOUNT
OWNER_EMAIL = ORG_A.email(OWNER)


# -- unit tests -----------------------------------------------------------------------------------------

def test_calendar_uri_is_a_lowercase_slug():
    assert calendar_uri("LN", "Taal & Rekenen", "taken") == "ln-taal-rekenen-taken"


def test_calendar_uri_is_cut_to_255_characters():
    assert len(calendar_uri("x" * 300)) == 255


@pytest.mark.parametrize("uri", ["inbox", "outbox", "notifications", "trashbin", "app-generated-x",
                                 "contact_birthdays", "Upper", "-edge", "a/b", ""])
def test_reserved_or_malformed_calendar_uris_are_refused(uri):
    with pytest.raises(ValueError):
        validate_calendar_uri(uri)


@pytest.mark.parametrize("sharee, href", [
    ("anna", "principal:principals/users/anna"),
    ("group:staff", "principal:principals/groups/staff"),
    ("principals/circles/abc", "principal:principals/circles/abc"),
    ("principal:principals/users/bob", "principal:principals/users/bob"),
])
def test_sharee_href_accepts_user_ids_groups_and_principals(sharee, href):
    assert sharee_href(sharee) == href


def test_parse_invite_reads_nextclouds_invite_property():
    # The shape written by apps/dav/lib/DAV/Sharing/Xml/Invite.php.
    xml = """<oc:invite xmlns:d="DAV:" xmlns:oc="http://owncloud.org/ns">
      <oc:user><d:href>principal:principals/users/anna</d:href><oc:common-name>Anna de Vries</oc:common-name>
        <oc:invite-accepted/><oc:access><oc:read-write/></oc:access><oc:summary>Netwerk Taal</oc:summary></oc:user>
      <oc:user><d:href>principal:principals/groups/staff</d:href><oc:invite-accepted/>
        <oc:access><oc:read/></oc:access></oc:user>
    </oc:invite>"""
    assert parse_invite(ET.fromstring(xml)) == [
        CalendarSharee("principal:principals/users/anna", True, "Anna de Vries", "Netwerk Taal"),
        CalendarSharee("principal:principals/groups/staff", False, None, None),
    ]


# -- contract tests against the sandbox -----------------------------------------------------------------

@pytest.fixture
def org(sandbox):
    return sandbox.org(ORG_A.key)


@pytest.fixture
def connect(org):
    """connect(uid) -> (CalendarClient, MemoryTokenStore) with a real BearerAuth against the sandbox."""
    client_id, secret = org.register_client("Lerend Netwerk", redirect_uri="http://127.0.0.1:5000/oauth/callback")
    session = make_session()

    def make(uid=OWNER):
        store = MemoryTokenStore(Token.from_response(org.issue_token(uid, client_id)))
        oauth = OAuthClient(org.base_url, client_id, secret, session=session)
        return CalendarClient(org.base_url, uid, BearerAuth(store, oauth), session=session), store

    yield make
    session.close()


@pytest.fixture
def client(connect):
    return connect()[0]


def dav_requests(org):
    return [(r.method, r.status) for r in org.request_log if r.path.startswith("/remote.php/dav/")]


def todo(uid, summary="Deel de inzichten", **kwargs):
    return render_todo(uid, summary, dtstamp=STAMP, **kwargs)


def test_ensure_calendar_creates_a_new_calendar_with_one_mkcalendar(org, client):
    org.clear_log()
    info = client.ensure_calendar("ln-taal", "Lerend netwerk Taal", "#0082C9")
    assert info.created and info.components == ("VEVENT",)
    assert dav_requests(org) == [("MKCALENDAR", 201)]


def test_ensure_calendar_on_an_existing_calendar_verifies_it_and_changes_nothing(org, client):
    client.ensure_calendar("ln-taal", "Lerend netwerk Taal", "#0082C9")
    org.clear_log()
    info = client.ensure_calendar("ln-taal", "Lerend netwerk Taal", "#0082C9")
    assert not info.created
    assert dav_requests(org) == [("MKCALENDAR", 405), ("PROPFIND", 207)]


def test_ensure_calendar_fixes_a_changed_display_name_and_colour_with_one_proppatch(org, client):
    client.ensure_calendar("ln-taal", "Oude naam", "#0082C9")
    org.clear_log()
    info = client.ensure_calendar("ln-taal", "Lerend netwerk Taal", "#FF0000")
    assert (info.display_name, info.color) == ("Lerend netwerk Taal", "#FF0000")
    assert dav_requests(org) == [("MKCALENDAR", 405), ("PROPFIND", 207), ("PROPPATCH", 207)]
    org.clear_log()
    client.ensure_calendar("ln-taal", "Lerend netwerk Taal", "#FF0000")
    assert ("PROPPATCH", 207) not in dav_requests(org)


def test_remove_calendar_deletes_it_past_the_trash_bin_and_frees_its_uri_at_once(org, client):
    client.ensure_calendar("ln-taken", "Taken", components=("VTODO",))
    sent = []
    client.session.hooks["response"].append(lambda response, **_: sent.append(response.request))
    org.clear_log()
    assert client.remove_calendar("ln-taken")
    assert dav_requests(org) == [("DELETE", 204)]
    assert sent[-1].headers["X-NC-CalDAV-No-Trashbin"] == "1"
    assert client.ensure_calendar("ln-taken", "Taken", components=("VTODO",)).created
    assert client.remove_calendar("ln-taken") and not client.remove_calendar("ln-taken")


def test_task_list_takes_todos_and_refuses_events(client):
    info = client.ensure_calendar("ln-taal-taken", "Taal – taken", "#0082C9", components=("VTODO",))
    assert info.components == ("VTODO",)
    uid = stable_uid("taal", "task", "1")
    assert client.create_if_absent("ln-taal-taken", uid, todo(uid)) is True
    event_uid = stable_uid("taal", "meeting", "1")
    event = render_event(event_uid, "Bijeenkomst", STAMP, STAMP + timedelta(hours=1), OWNER_EMAIL, dtstamp=STAMP)
    with pytest.raises(Forbidden):
        client.create_if_absent("ln-taal-taken", event_uid, event)


def test_ensure_calendar_refuses_an_existing_calendar_without_the_wanted_component(client):
    client.ensure_calendar("ln-taal", "Lerend netwerk Taal", components=("VEVENT",))
    with pytest.raises(CalendarMismatch, match="VTODO"):
        client.ensure_calendar("ln-taal", "Lerend netwerk Taal", components=("VTODO",))


def test_too_many_calendars_in_an_hour_is_a_clear_rate_limit_error(org, client):
    org.calendar_creation_limit = 1
    client.ensure_calendar("ln-een", "Een")
    org.clear_log()
    with pytest.raises(RateLimited, match="too many calendars created"):
        client.ensure_calendar("ln-twee", "Twee")
    assert dav_requests(org) == [("MKCALENDAR", 429)]  # an hourly quota: no back-off retries


def test_the_calendar_cap_is_a_calendar_limit_reached_error(org, client):
    client.ensure_calendar("ln-een", "Een")
    org.calendar_limit = 1
    with pytest.raises(CalendarLimitReached) as caught:
        client.ensure_calendar("ln-twee", "Twee")
    assert isinstance(caught.value, Forbidden)


def test_apply_shares_shares_and_reads_the_sharees_back(org, client):
    client.ensure_calendar("ln-taal", "Lerend netwerk Taal")
    org.clear_log()
    sharees = client.apply_shares("ln-taal", {"anna": True, "group:taalteam": True}, summary="Taal")
    assert {(s.href, s.read_write) for s in sharees} == {
        ("principal:principals/users/anna", True), ("principal:principals/groups/taalteam", True)}
    assert dav_requests(org) == [("POST", 200), ("PROPFIND", 207)]  # one POST for every sharee, one read-back
    assert set(client.sharees("ln-taal")) == set(sharees)
    assert ("principal:principals/users/anna", True) in org.calendar_sharees(OWNER, "ln-taal")


def test_applying_the_same_shares_again_changes_nothing(org, client):
    client.ensure_calendar("ln-taal", "Lerend netwerk Taal")
    first = client.apply_shares("ln-taal", {"anna": True})
    assert client.apply_shares("ln-taal", {"anna": True}) == first


def test_share_with_an_unknown_user_raises_share_not_applied_naming_them(client):
    client.ensure_calendar("ln-taal", "Lerend netwerk Taal")
    with pytest.raises(ShareNotApplied) as caught:
        client.apply_shares("ln-taal", {"anna": True, "niemand": True})
    assert caught.value.sharees == ["principal:principals/users/niemand"]
    assert [s.href for s in client.sharees("ln-taal")] == ["principal:principals/users/anna"]


def test_changing_access_and_removing_in_one_post(client):
    client.ensure_calendar("ln-taal", "Lerend netwerk Taal")
    client.apply_shares("ln-taal", {"anna": True, "bram": True})
    after = client.apply_shares("ln-taal", {"anna": False}, remove=["bram"])
    assert [(s.href, s.read_write) for s in after] == [("principal:principals/users/anna", False)]
    assert client.apply_shares("ln-taal", {}, remove=["anna"]) == []
    assert client.sharees("ln-taal") == []


def test_create_if_absent_creates_once_and_keeps_the_existing_object(org, client):
    client.ensure_calendar("ln-taal-taken", "Taken", components=("VTODO",))
    uid = stable_uid("taal", "task", "anna")
    assert client.create_if_absent("ln-taal-taken", uid, todo(uid, "Eerste versie")) is True
    assert client.create_if_absent("ln-taal-taken", uid, todo(uid, "Tweede versie")) is False
    stored = client.get("ln-taal-taken", uid)
    assert parse_todo(stored.data).summary == "Eerste versie"
    assert len(client.sync("ln-taal-taken").changed) == 1


def test_create_if_absent_treats_the_uid_under_another_name_as_present(client, caplog):
    client.ensure_calendar("ln-taal-taken", "Taken", components=("VTODO",))
    uid = stable_uid("taal", "task", "anna")
    # Another client stored the same UID under a name of its own.
    response = client.session.put(client.object_url("ln-taal-taken", "door-iemand-anders.ics"), data=todo(uid),
                                  auth=client.auth, headers={"Content-Type": "text/calendar; charset=utf-8"})
    assert response.status_code == 201
    with caplog.at_level(logging.INFO, logger="connectors.calendars"):
        assert client.create_if_absent("ln-taal-taken", uid, todo(uid)) is False
    assert "already exists" in caplog.text
    assert [o.href.rsplit("/", 1)[1] for o in client.sync("ln-taal-taken").changed] == ["door-iemand-anders.ics"]


def test_create_if_absent_creates_an_event(client):
    client.ensure_calendar("ln-taal", "Lerend netwerk Taal")
    uid = stable_uid("taal", "meeting", "1")
    event = render_event(uid, "Bijeenkomst 1", STAMP, STAMP + timedelta(hours=2), OWNER_EMAIL, dtstamp=STAMP)
    assert client.create_if_absent("ln-taal", uid, event) is True
    assert client.create_if_absent("ln-taal", uid, event) is False


def test_create_if_absent_refuses_an_object_whose_uid_differs_but_ignores_an_alarm_uid(client):
    client.ensure_calendar("ln-taal", "Lerend netwerk Taal")
    uid = stable_uid("taal", "meeting", "alarm")
    event = render_event(uid, "Bijeenkomst", STAMP, STAMP + timedelta(hours=2), OWNER_EMAIL, dtstamp=STAMP)
    # An alarm may carry a UID of its own (RFC 9074); only the event's counts. Folded lines are joined.
    with_alarm = event.replace(b"END:VEVENT", b"BEGIN:VALARM\r\nUID:alarm-1\r\nACTION:DISPLAY\r\n"
                               b"TRIGGER:-PT15M\r\nDESCRIPTION:Herinnering\r\nEND:VALARM\r\nEND:VEVENT")
    folded = with_alarm.replace(f"UID:{uid}".encode(), f"UID:{uid[:5]}\r\n {uid[5:]}".encode())
    assert client.create_if_absent("ln-taal", uid, folded) is True
    with pytest.raises(ValueError):
        client.create_if_absent("ln-taal", stable_uid("taal", "meeting", "other"), event)


def test_event_with_attendees_sends_invitations(org, client):
    client.ensure_calendar("ln-taal", "Lerend netwerk Taal")
    uid = stable_uid("taal", "meeting", "2")
    # Invitations go out only for events that are not over yet
    # (Nextcloud: apps/dav/lib/CalDAV/Schedule/IMipPlugin.php).
    start = datetime(2035, 5, 1, 12, 0, tzinfo=timezone.utc)
    event = render_event(uid, "Bijeenkomst 2", start, start + timedelta(hours=2), OWNER_EMAIL, "Lerend Netwerk",
                         [(ORG_A.email("anna"), "Anna de Vries"), ("bob@b.example", "Bob")], dtstamp=STAMP)
    assert client.create_if_absent("ln-taal", uid, event) is True
    invited = {(i.method, i.attendee.lower().removeprefix("mailto:")) for i in org.outbox if i.uid == uid}
    assert invited == {("REQUEST", ORG_A.email("anna")), ("REQUEST", "bob@b.example")}


def test_update_needs_the_current_etag(client):
    client.ensure_calendar("ln-taal-taken", "Taken", components=("VTODO",))
    uid = stable_uid("taal", "task", "anna")
    client.create_if_absent("ln-taal-taken", uid, todo(uid))
    stored = client.get("ln-taal-taken", uid)
    new_etag = client.update("ln-taal-taken", stored.href, todo(uid, "Nieuw"), stored.etag)
    assert new_etag and new_etag != stored.etag
    with pytest.raises(PreconditionFailed):
        client.update("ln-taal-taken", stored.href, todo(uid, "Verouderd"), stored.etag)
    assert parse_todo(client.get("ln-taal-taken", uid).data).summary == "Nieuw"
    assert client.delete("ln-taal-taken", stored.href) is True
    assert client.delete("ln-taal-taken", stored.href) is False
    assert client.get("ln-taal-taken", uid) is None


def test_initial_sync_returns_everything_in_one_report_and_one_multiget(org, client):
    client.ensure_calendar("ln-taal-taken", "Taken", components=("VTODO",))
    uids = [stable_uid("taal", "task", str(i)) for i in range(3)]
    for uid in uids:
        client.create_if_absent("ln-taal-taken", uid, todo(uid))
    org.clear_log()
    result = client.sync("ln-taal-taken")
    assert sorted(parse_todo(o.data).uid for o in result.changed) == sorted(uids)
    assert all(o.etag for o in result.changed)
    assert result.token and not result.full_resync and result.deleted == []
    assert dav_requests(org) == [("REPORT", 207), ("REPORT", 207)]


def test_sync_without_changes_is_exactly_one_report(org, client):
    client.ensure_calendar("ln-taal-taken", "Taken", components=("VTODO",))
    uid = stable_uid("taal", "task", "1")
    client.create_if_absent("ln-taal-taken", uid, todo(uid))
    token = client.sync("ln-taal-taken").token
    org.clear_log()
    result = client.sync("ln-taal-taken", token)
    assert (result.changed, result.deleted, result.full_resync) == ([], [], False)
    assert dav_requests(org) == [("REPORT", 207)]


def test_incremental_sync_fetches_only_the_changed_objects(org, client):
    client.ensure_calendar("ln-taal-taken", "Taken", components=("VTODO",))
    uids = [stable_uid("taal", "task", str(i)) for i in range(4)]
    for uid in uids:
        client.create_if_absent("ln-taal-taken", uid, todo(uid))
    token = client.sync("ln-taal-taken").token
    for uid in uids[:2]:
        stored = client.get("ln-taal-taken", uid)
        client.update("ln-taal-taken", stored.href, todo(uid, status="COMPLETED"), stored.etag)
    org.clear_log()
    result = client.sync("ln-taal-taken", token)
    assert sorted(parse_todo(o.data).uid for o in result.changed) == sorted(uids[:2])
    assert all(parse_todo(o.data).is_completed for o in result.changed)
    assert dav_requests(org) == [("REPORT", 207), ("REPORT", 207)]


def test_a_fresh_client_syncs_with_one_report_and_no_discovery(org, connect):
    client = connect()[0]
    client.ensure_calendar("ln-taal-taken", "Taken", components=("VTODO",))
    token = client.sync("ln-taal-taken").token
    fresh = connect()[0]
    org.clear_log()
    assert fresh.sync("ln-taal-taken", token).changed == []
    assert dav_requests(org) == [("REPORT", 207)]


def test_sync_of_a_missing_calendar_raises_instead_of_falling_back(org, client):
    org.clear_log()
    with pytest.raises(NotFound):
        client.sync("ln-bestaat-niet")
    assert dav_requests(org) == [("REPORT", 404)]


def test_sync_notices_a_deleted_object(org, client):
    client.ensure_calendar("ln-taal-taken", "Taken", components=("VTODO",))
    uid = stable_uid("taal", "task", "1")
    client.create_if_absent("ln-taal-taken", uid, todo(uid))
    first = client.sync("ln-taal-taken")
    client.delete("ln-taal-taken", first.changed[0].href)
    org.clear_log()
    result = client.sync("ln-taal-taken", first.token)
    assert result.changed == [] and result.deleted == [first.changed[0].href]
    assert dav_requests(org) == [("REPORT", 207)]


def test_invalid_sync_token_leads_to_an_explicit_full_resync_with_a_warning(org, client, caplog):
    """Quirk sync_token_403: a token of another form is refused; the sync reads everything again."""
    client.ensure_calendar("ln-taal-taken", "Taken", components=("VTODO",))
    uid = stable_uid("taal", "task", "1")
    client.create_if_absent("ln-taal-taken", uid, todo(uid))
    org.clear_log()
    with caplog.at_level(logging.WARNING, logger="connectors.calendars"):
        result = client.sync("ln-taal-taken", "http://radicale.org/ns/sync/pruned")
    assert result.full_resync and result.deleted == []
    assert [parse_todo(o.data).uid for o in result.changed] == [uid]
    assert "ln-taal-taken" in caplog.text and "full resync" in caplog.text
    assert dav_requests(org) == [("REPORT", 403), ("REPORT", 207), ("REPORT", 207)]


def test_a_token_of_a_recreated_calendar_that_comes_back_lower_leads_to_a_full_resync(org, client, caplog):
    """Quirk `sync_token_number_unchecked`: Nextcloud accepts the old number after the
    calendar was deleted and re-created and answers with a lower token; the client reads everything."""
    client.ensure_calendar("ln-taal-taken", "Taken", components=("VTODO",))
    for n in ("1", "2", "3"):
        client.create_if_absent("ln-taal-taken", stable_uid("taal", "task", n), todo(stable_uid("taal", "task", n)))
    old = client.sync("ln-taal-taken")
    assert old.token == "http://sabre.io/ns/sync/4"
    assert dav(org, "DELETE", urlsplit(client.calendar_url("ln-taal-taken")).path, OWNER).status_code == 204
    client.ensure_calendar("ln-taal-taken", "Taken", components=("VTODO",))
    uid = stable_uid("taal", "task", "nieuw")
    client.create_if_absent("ln-taal-taken", uid, todo(uid))
    org.clear_log()
    with caplog.at_level(logging.WARNING, logger="connectors.calendars"):
        result = client.sync("ln-taal-taken", old.token)
    assert result.full_resync and result.token == "http://sabre.io/ns/sync/2"
    assert [parse_todo(o.data).uid for o in result.changed] == [uid]
    assert "re-created" in caplog.text
    assert dav_requests(org) == [("REPORT", 207), ("REPORT", 207), ("REPORT", 207)]


def test_expired_access_token_is_refreshed_once_and_the_sync_succeeds(org, connect):
    client, store = connect()
    client.ensure_calendar("ln-taal-taken", "Taken", components=("VTODO",))
    before = store.load()
    org.expire_access_tokens()
    calls = org.token_endpoint_calls
    org.clear_log()
    result = client.sync("ln-taal-taken")
    assert result.token
    assert org.token_endpoint_calls == calls + 1
    assert store.load().access_token != before.access_token
    assert dav_requests(org) == [("REPORT", 401), ("REPORT", 207)]


def test_a_429_on_a_propfind_is_retried(org, client):
    client.ensure_calendar("ln-taal", "Lerend netwerk Taal")
    org.faults.fail_next(429, count=1, retry_after=0)
    org.clear_log()
    assert client.sharees("ln-taal") == []
    assert dav_requests(org) == [("PROPFIND", 429), ("PROPFIND", 207)]
