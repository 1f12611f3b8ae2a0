"""raise_for_response turns every Nextcloud failure shape into one typed exception."""

from __future__ import annotations

import json

import pytest
import requests

from connectors import errors


def response(status, body=b"", content_type=None, headers=None, method="GET",
             url="https://cloud.example.org/x"):
    resp = requests.Response()
    resp.status_code = status
    resp._content = body if isinstance(body, bytes) else body.encode()
    resp.url = url
    if content_type:
        resp.headers["Content-Type"] = content_type
    resp.headers.update(headers or {})
    resp.request = requests.Request(method, url).prepare()
    return resp


def ocs(status, message, http_status=None):
    body = json.dumps({"ocs": {"meta": {"status": "failure", "statuscode": status, "message": message},
                               "data": []}})
    return response(http_status or status, body, "application/json; charset=utf-8")


def sabre(status, exception, message, extra="", method="GET"):
    body = ('<?xml version="1.0" encoding="utf-8"?><d:error xmlns:d="DAV:" xmlns:s="http://sabredav.org/ns">'
            f"{extra}<s:exception>{exception}</s:exception><s:message>{message}</s:message></d:error>")
    return response(status, body, "application/xml; charset=utf-8", method=method)


def test_success_returns_none():
    assert errors.raise_for_response(response(207, b"<x/>", "application/xml")) is None
    assert errors.raise_for_response(response(200, '{"ocs": {"meta": {"statuscode": 200}, "data": {}}}',
                                              "application/json")) is None


def test_ocs_message_and_request_id_are_carried():
    resp = ocs(404, "Please specify a valid account to share with")
    resp.headers["X-Request-Id"] = "req-123"
    with pytest.raises(errors.NotFound) as caught:
        errors.raise_for_response(resp)
    assert caught.value.message == "Please specify a valid account to share with"
    assert caught.value.request_id == "req-123"
    assert caught.value.status == 404
    assert "req-123" in str(caught.value)


def test_ocs_v1_failure_inside_http_200_is_raised():
    with pytest.raises(errors.Unauthorized):
        errors.raise_for_response(ocs(997, "Unauthorised", http_status=200))


def test_already_shared_403_is_already_exists():
    resp = ocs(403, "Sharing Taal failed, because this item is already shared with the account Bob")
    with pytest.raises(errors.AlreadyExists):
        errors.raise_for_response(resp)


def test_other_403_is_forbidden():
    with pytest.raises(errors.Forbidden):
        errors.raise_for_response(sabre(403, r"Sabre\DAV\Exception\Forbidden", "Calendar limit reached"))


def test_sabre_message_is_read():
    with pytest.raises(errors.ParentMissing) as caught:
        errors.raise_for_response(sabre(409, r"Sabre\DAV\Exception\Conflict", "Parent node does not exist",
                                        method="MKCOL"))
    assert caught.value.message == "Parent node does not exist"


def test_405_on_mkcol_and_mkcalendar_is_already_exists():
    for method in ("MKCOL", "MKCALENDAR"):
        with pytest.raises(errors.AlreadyExists):
            errors.raise_for_response(sabre(405, r"Sabre\DAV\Exception\MethodNotAllowed",
                                            "The resource you tried to create already exists", method=method))


def test_405_for_a_reserved_calendar_name_is_not_already_exists():
    with pytest.raises(errors.NextcloudError) as caught:
        errors.raise_for_response(sabre(405, r"Sabre\DAV\Exception\MethodNotAllowed",
                                        "The resource you tried to create has a reserved name",
                                        method="MKCALENDAR"))
    assert not isinstance(caught.value, errors.AlreadyExists)


def test_405_on_other_methods_is_a_plain_error():
    with pytest.raises(errors.NextcloudError) as caught:
        errors.raise_for_response(response(405, method="GET"))
    assert type(caught.value) is errors.NextcloudError


def test_invalid_sync_token_403():
    resp = sabre(403, r"Sabre\DAV\Exception\InvalidSyncToken", "Invalid or unknown sync token",
                 extra="<d:valid-sync-token/>", method="REPORT")
    with pytest.raises(errors.InvalidSyncToken):
        errors.raise_for_response(resp)


@pytest.mark.parametrize("status, exc", [(400, errors.BadRequest), (401, errors.Unauthorized),
                                         (412, errors.PreconditionFailed), (423, errors.Locked),
                                         (500, errors.NextcloudError)])
def test_status_maps_to_exception(status, exc):
    with pytest.raises(exc):
        errors.raise_for_response(response(status))


def test_429_carries_retry_after():
    with pytest.raises(errors.RateLimited) as caught:
        errors.raise_for_response(response(429, headers={"Retry-After": "7"}))
    assert caught.value.retry_after == 7


def test_maintenance_503_is_flagged():
    resp = ocs(503, "Service unavailable")
    resp.headers.update({"X-Nextcloud-Maintenance-Mode": "1", "Retry-After": "120"})
    with pytest.raises(errors.ServiceUnavailable) as caught:
        errors.raise_for_response(resp)
    assert caught.value.maintenance is True
    assert caught.value.retry_after == 120


def test_plain_503_is_not_maintenance():
    with pytest.raises(errors.ServiceUnavailable) as caught:
        errors.raise_for_response(response(503))
    assert caught.value.maintenance is False
    assert caught.value.retry_after is None


def test_token_endpoint_error_code_becomes_the_message():
    with pytest.raises(errors.BadRequest) as caught:
        errors.raise_for_response(response(400, '{"error": "invalid_request"}', "application/json"))
    assert caught.value.message == "invalid_request"


def test_retry_after_as_http_date_is_understood():
    assert errors.parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0
    assert errors.parse_retry_after("12") == 12
    assert errors.parse_retry_after("soon") is None
