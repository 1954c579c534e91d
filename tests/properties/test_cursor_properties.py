"""Any cursor string is either one the API issued (and decodes to it) or a 422, never a crash."""

import base64
import contextlib
import json
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.errors import ValidationFailed
from app.requests.tickets import decode_cursor


def _cursor(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode()


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=300))
def test_any_text_decodes_or_is_a_validation_error(text):
    try:
        moment, number = decode_cursor(text)
    except ValidationFailed:
        return
    assert moment.tzinfo is not None
    assert number > 0


JSONISH = st.recursive(
    st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=40),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner)
    ),
    max_leaves=8,
)


@settings(max_examples=500, deadline=None)
@given(JSONISH)
def test_any_json_payload_decodes_or_is_a_validation_error(payload):
    with contextlib.suppress(ValidationFailed):
        decode_cursor(_cursor(payload))


@settings(max_examples=200, deadline=None)
@given(
    st.datetimes(timezones=st.just(UTC), min_value=datetime(1970, 1, 2)),  # noqa: DTZ001
    st.integers(min_value=1, max_value=2**31 - 1),
)
def test_a_cursor_the_api_made_decodes_to_what_it_holds(moment, number):
    assert decode_cursor(_cursor([moment.isoformat(), number])) == (moment, number)


@pytest.mark.parametrize("number", [0, -1, 2**63, "Infinity", 1.5e308])
def test_ids_out_of_range_are_refused(number):
    with pytest.raises(ValidationFailed):
        decode_cursor(_cursor(["2026-01-01T00:00:00+00:00", number]))
