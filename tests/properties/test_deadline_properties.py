"""Properties of the deadline rules, for any regulation, type, moment, zone and holidays."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from app.deadlines import rules
from app.deadlines.rules import BusinessCalendar, ExtensionNotAllowed
from app.enums import Regulation, RequestType

CALENDARS = st.sampled_from(
    [
        BusinessCalendar(),
        BusinessCalendar(timezone=ZoneInfo("Europe/Berlin"), holidays="DE-BY"),
        BusinessCalendar(timezone=ZoneInfo("America/Los_Angeles"), holidays="US-CA"),
        BusinessCalendar(timezone=ZoneInfo("Pacific/Kiritimati")),  # UTC+14
        BusinessCalendar(timezone=ZoneInfo("Pacific/Pago_Pago")),  # UTC-11
    ]
)
MOMENTS = st.datetimes(
    min_value=datetime(2020, 1, 1),  # noqa: DTZ001 - hypothesis takes naive bounds
    max_value=datetime(2035, 12, 31),  # noqa: DTZ001
    timezones=st.just(UTC),
)
CASES = st.tuples(
    st.sampled_from(list(Regulation)),
    st.sampled_from(list(RequestType)),
    MOMENTS,
    CALENDARS,
)


def _received_day(received: datetime, calendar: BusinessCalendar) -> date:
    return received.astimezone(calendar.timezone).date()


@settings(max_examples=150, deadline=None)
@given(CASES)
def test_due_is_never_before_receipt_and_the_same_inputs_give_the_same_day(case):
    regulation, request_type, received, calendar = case

    due = rules.due_date(regulation, request_type, received, calendar=calendar)

    assert due > _received_day(received, calendar)
    assert due == rules.due_date(regulation, request_type, received, calendar=calendar)


@settings(max_examples=150, deadline=None)
@given(CASES)
def test_an_extension_always_ends_later(case):
    regulation, request_type, received, calendar = case
    due = rules.due_date(regulation, request_type, received, calendar=calendar)
    try:
        extended = rules.extended_due_date(
            regulation, request_type, received, calendar=calendar
        )
    except ExtensionNotAllowed:
        return

    assert extended > due


@settings(max_examples=100, deadline=None)
@given(CASES, st.integers(min_value=0, max_value=60))
def test_verification_later_never_moves_the_due_date_earlier(case, days):
    regulation, request_type, received, calendar = case
    verified = received + timedelta(days=days)

    plain = rules.due_date(regulation, request_type, received, calendar=calendar)
    with_identity = rules.due_date(
        regulation, request_type, received, calendar=calendar, verified_at=verified
    )

    assert with_identity >= plain


@settings(max_examples=100, deadline=None)
@given(CASES)
def test_a_later_receipt_is_never_due_sooner(case):
    regulation, request_type, received, calendar = case
    later = received + timedelta(days=1)

    assert rules.due_date(
        regulation, request_type, later, calendar=calendar
    ) >= rules.due_date(regulation, request_type, received, calendar=calendar)
