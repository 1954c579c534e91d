"""Shared HTTP error mapping and Retry-After parsing (pure functions)."""

from datetime import UTC, datetime

import httpx
import pytest

from connectors.base import AuthError, ConnectorError, TransientError
from connectors.http import parse_retry_after, raise_for_status

NOW = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("120", 120.0),
        (" 3.5 ", 3.5),
        ("0", 0.0),
        ("-5", 0.0),
        ("Sat, 01 Mar 2025 12:00:45 GMT", 45.0),
        ("Sat, 01 Mar 2025 11:00:00 GMT", 0.0),
        ("Saturday, 01-Mar-25 12:01:00 GMT", 60.0),
        ("soon", None),
        ("", None),
        (None, None),
        ("nan", None),
        ("inf", None),
    ],
)
def test_parse_retry_after(value, seconds):
    assert parse_retry_after(value, now=NOW) == seconds


def _response(status: int, headers: dict[str, str] | None = None) -> httpx.Response:
    url = "https://api.example.com/v2/subscribers/ada@example.com?email=ada@example.com"
    return httpx.Response(status, headers=headers, request=httpx.Request("GET", url))


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (401, AuthError),
        (403, AuthError),
        (408, TransientError),
        (429, TransientError),
        (500, TransientError),
        (502, TransientError),
        (503, TransientError),
        (400, ConnectorError),
        (404, ConnectorError),
        (409, ConnectorError),
        (422, ConnectorError),
    ],
)
def test_error_statuses_map_to_connector_errors(status, error):
    with pytest.raises(error) as raised:
        raise_for_status(_response(status))

    assert type(raised.value) is error
    assert raised.value.retryable is (error is TransientError)
    assert str(raised.value).startswith(f"HTTP {status} from GET api.example.com")
    assert "ada" not in str(raised.value)


@pytest.mark.parametrize("status", [200, 201, 202, 204, 304])
def test_success_statuses_pass(status):
    raise_for_status(_response(status))


def test_a_transient_error_carries_retry_after():
    with pytest.raises(TransientError) as raised:
        raise_for_status(_response(429, {"Retry-After": "12"}))

    assert raised.value.retry_after == 12
