"""The deadline table and due-date arithmetic against docs/legal-rules.md."""

from collections.abc import Callable
from dataclasses import FrozenInstanceError
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.deadlines.rules import (
    RULES,
    BusinessCalendar,
    ExtensionNotAllowed,
    acknowledgement_due,
    can_extend,
    clock_start,
    days_left,
    due_date,
    end_of_day,
    extended_due_date,
    extension_warning,
    is_at_risk,
    is_overdue,
    rule_for,
)
from app.enums import Regulation, RequestType

UTC_CAL = BusinessCalendar()
BERLIN = BusinessCalendar(timezone=ZoneInfo("Europe/Berlin"))
LOS_ANGELES = BusinessCalendar(timezone=ZoneInfo("America/Los_Angeles"))
TOKYO = BusinessCalendar(timezone=ZoneInfo("Asia/Tokyo"))
IE = BusinessCalendar(timezone=ZoneInfo("Europe/Dublin"), holidays="IE")
DE_BY = BusinessCalendar(timezone=ZoneInfo("Europe/Berlin"), holidays="DE-BY")
GB_ENG = BusinessCalendar(timezone=ZoneInfo("Europe/London"), holidays="GB-ENG")
US_CA = BusinessCalendar(timezone=ZoneInfo("America/Los_Angeles"), holidays="US-CA")

GDPR, UK_GDPR, CCPA = Regulation.GDPR, Regulation.UK_GDPR, Regulation.CCPA
ACCESS, OPT_OUT = RequestType.ACCESS, RequestType.OPT_OUT


def _noon(day: str) -> datetime:
    """Noon UTC: the same local date in every calendar used here."""
    return datetime.fromisoformat(f"{day}T12:00:00+00:00")


def _at(moment: str) -> datetime:
    return datetime.fromisoformat(moment)


def _d(day: str) -> date:
    return date.fromisoformat(day)


# --- the table ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("regulation", "request_type", "period", "counting", "extension", "ack"),
    [
        (GDPR, ACCESS, 1, "calendar_month", 2, None),
        (UK_GDPR, ACCESS, 1, "calendar_month", 2, None),
        (CCPA, ACCESS, 45, "calendar_days", 45, 10),
        (CCPA, RequestType.ERASURE, 45, "calendar_days", 45, 10),
        (CCPA, RequestType.RECTIFICATION, 45, "calendar_days", 45, 10),
        (CCPA, OPT_OUT, 15, "business_days", None, None),
        (Regulation.VCDPA, ACCESS, 45, "calendar_days", 45, None),
        (Regulation.CPA, ACCESS, 45, "calendar_days", 45, None),
        (Regulation.LGPD, ACCESS, 15, "calendar_days", None, None),
        (Regulation.PIPEDA, ACCESS, 30, "calendar_days", 30, None),
    ],
)
def test_table_matches_legal_rules(
    regulation: Regulation,
    request_type: RequestType,
    period: int,
    counting: str,
    extension: int | None,
    ack: int | None,
) -> None:
    rule = rule_for(regulation, request_type)
    assert (rule.period, rule.counting, rule.extension) == (period, counting, extension)
    assert rule.acknowledgement_business_days == ack


@pytest.mark.parametrize("regulation", list(Regulation))
@pytest.mark.parametrize("request_type", list(RequestType))
def test_every_request_has_a_rule_of_its_regulation(
    regulation: Regulation, request_type: RequestType
) -> None:
    rule = rule_for(regulation, request_type)
    assert rule.regulation is regulation
    assert rule.notes


def test_only_month_periods_roll_to_a_business_day() -> None:
    for rule in RULES.values():
        assert rule.roll_to_business_day is (rule.counting == "calendar_month")


def test_only_uk_gdpr_waits_for_identity() -> None:
    waiting = {r.regulation for r in RULES.values() if r.clock_start != "receipt"}
    assert waiting == {UK_GDPR}


def test_rules_table_is_read_only() -> None:
    with pytest.raises(TypeError):
        RULES[(GDPR, None)] = RULES[(CCPA, None)]  # type: ignore[index]
    with pytest.raises(FrozenInstanceError):
        RULES[(GDPR, None)].period = 2  # type: ignore[misc]


# --- month-counted periods (GDPR, UK GDPR) ------------------------------------------


@pytest.mark.parametrize(
    ("regulation", "calendar", "received", "expected"),
    [
        # legal-rules.md vectors
        pytest.param(GDPR, UTC_CAL, "2026-03-10", "2026-04-10", id="spec-same-date"),
        pytest.param(GDPR, UTC_CAL, "2026-08-31", "2026-09-30", id="spec-no-31-sep"),
        pytest.param(GDPR, UTC_CAL, "2026-01-31", "2026-03-02", id="spec-28-feb-sat"),
        # month ends and leap years
        pytest.param(GDPR, UTC_CAL, "2026-03-31", "2026-04-30", id="no-31-apr"),
        pytest.param(GDPR, UTC_CAL, "2026-05-31", "2026-06-30", id="no-31-jun"),
        pytest.param(GDPR, UTC_CAL, "2028-01-31", "2028-02-29", id="leap-31-jan"),
        pytest.param(GDPR, UTC_CAL, "2028-01-29", "2028-02-29", id="leap-29-jan"),
        pytest.param(GDPR, UTC_CAL, "2028-02-29", "2028-03-29", id="leap-day"),
        pytest.param(GDPR, UTC_CAL, "2027-01-29", "2027-03-01", id="no-29-feb-sun"),
        pytest.param(GDPR, UTC_CAL, "2027-01-30", "2027-03-01", id="no-30-feb-sun"),
        pytest.param(GDPR, UTC_CAL, "2027-01-31", "2027-03-01", id="no-31-feb-sun"),
        # year ends
        pytest.param(GDPR, UTC_CAL, "2026-12-15", "2027-01-15", id="year-end"),
        pytest.param(GDPR, UTC_CAL, "2026-12-31", "2027-02-01", id="year-end-sunday"),
        # public holidays
        pytest.param(GDPR, UTC_CAL, "2026-02-17", "2026-03-17", id="no-calendar"),
        pytest.param(GDPR, IE, "2026-02-17", "2026-03-18", id="ie-st-patrick"),
        pytest.param(GDPR, IE, "2026-05-01", "2026-06-02", id="ie-june-bank-hol"),
        pytest.param(GDPR, DE_BY, "2025-12-06", "2026-01-07", id="de-by-epiphany"),
        pytest.param(GDPR, DE_BY, "2026-04-14", "2026-05-15", id="de-by-ascension"),
        pytest.param(GDPR, DE_BY, "2026-05-04", "2026-06-05", id="de-by-corpus"),
        pytest.param(GDPR, DE_BY, "2026-12-01", "2027-01-04", id="de-by-new-year-wkd"),
        pytest.param(UK_GDPR, GB_ENG, "2026-07-31", "2026-09-01", id="eng-late-summer"),
        pytest.param(UK_GDPR, GB_ENG, "2026-03-03", "2026-04-07", id="eng-easter"),
        pytest.param(
            UK_GDPR, UTC_CAL, "2026-11-25", "2026-12-25", id="christmas-no-cal"
        ),
        pytest.param(UK_GDPR, GB_ENG, "2026-11-25", "2026-12-29", id="eng-christmas"),
        pytest.param(
            UK_GDPR, GB_ENG, "2027-11-25", "2027-12-29", id="eng-xmas-observed"
        ),
    ],
)
def test_month_period_due_date(
    regulation: Regulation, calendar: BusinessCalendar, received: str, expected: str
) -> None:
    due = due_date(regulation, ACCESS, _noon(received), calendar=calendar)
    assert due == _d(expected)


@pytest.mark.parametrize(
    ("regulation", "calendar", "received", "expected"),
    [
        pytest.param(GDPR, UTC_CAL, "2026-03-10", "2026-06-10", id="spec"),
        pytest.param(
            GDPR, UTC_CAL, "2026-01-31", "2026-04-30", id="from-start-not-due"
        ),
        pytest.param(GDPR, UTC_CAL, "2026-08-31", "2026-11-30", id="no-31-nov"),
        pytest.param(GDPR, UTC_CAL, "2026-11-30", "2027-03-01", id="28-feb-sunday"),
        pytest.param(GDPR, UTC_CAL, "2027-11-29", "2028-02-29", id="leap-day"),
        pytest.param(GDPR, UTC_CAL, "2026-12-31", "2027-03-31", id="year-end"),
        pytest.param(GDPR, UTC_CAL, "2028-01-31", "2028-05-01", id="30-apr-sunday"),
        pytest.param(GDPR, IE, "2026-03-01", "2026-06-02", id="ie-june-bank-hol"),
        pytest.param(UK_GDPR, GB_ENG, "2026-05-31", "2026-09-01", id="eng-late-summer"),
    ],
)
def test_month_period_extended_due_date(
    regulation: Regulation, calendar: BusinessCalendar, received: str, expected: str
) -> None:
    due = extended_due_date(regulation, ACCESS, _noon(received), calendar=calendar)
    assert due == _d(expected)


def test_month_due_date_is_a_business_day_four_to_five_weeks_out() -> None:
    day = date(2026, 1, 1)
    while day < date(2029, 1, 1):
        received = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
        due = due_date(GDPR, ACCESS, received, calendar=GB_ENG)
        assert GB_ENG.is_business_day(due)
        assert 28 <= (due - day).days <= 35, day
        day += timedelta(days=1)


# --- day-counted periods (CCPA, VCDPA, CPA, LGPD, PIPEDA) ----------------------------


@pytest.mark.parametrize(
    ("regulation", "request_type", "received", "expected", "extended"),
    [
        # legal-rules.md vector: the receipt day is day 1
        pytest.param(CCPA, ACCESS, "2026-03-02", "2026-04-15", "2026-05-30", id="spec"),
        pytest.param(
            CCPA, RequestType.ERASURE, "2026-03-02", "2026-04-15", "2026-05-30"
        ),
        pytest.param(
            CCPA, RequestType.RECTIFICATION, "2026-03-02", "2026-04-15", "2026-05-30"
        ),
        pytest.param(
            CCPA, RequestType.PORTABILITY, "2026-03-02", "2026-04-15", "2026-05-30"
        ),
        pytest.param(
            CCPA, RequestType.RESTRICTION, "2026-03-02", "2026-04-15", "2026-05-30"
        ),
        pytest.param(
            CCPA, RequestType.OBJECTION, "2026-03-02", "2026-04-15", "2026-05-30"
        ),
        pytest.param(
            CCPA, ACCESS, "2026-03-05", "2026-04-18", "2026-06-02", id="saturday-stays"
        ),
        pytest.param(CCPA, ACCESS, "2028-02-01", "2028-03-16", "2028-04-30", id="leap"),
        pytest.param(CCPA, ACCESS, "2026-12-01", "2027-01-14", "2027-02-28", id="year"),
        pytest.param(
            Regulation.VCDPA, ACCESS, "2026-03-02", "2026-04-15", "2026-05-30"
        ),
        pytest.param(Regulation.CPA, ACCESS, "2026-03-02", "2026-04-15", "2026-05-30"),
        pytest.param(
            Regulation.VCDPA, OPT_OUT, "2026-03-02", "2026-04-15", "2026-05-30"
        ),
        pytest.param(
            Regulation.PIPEDA, ACCESS, "2026-03-02", "2026-03-31", "2026-04-30"
        ),
        pytest.param(
            Regulation.PIPEDA,
            ACCESS,
            "2026-03-07",
            "2026-04-05",
            "2026-05-05",
            id="sun",
        ),
        pytest.param(Regulation.LGPD, ACCESS, "2026-03-02", "2026-03-16", None),
        pytest.param(
            Regulation.LGPD, ACCESS, "2026-12-20", "2027-01-03", None, id="sun"
        ),
    ],
)
@pytest.mark.parametrize("calendar", [UTC_CAL, US_CA], ids=["no-holidays", "us-ca"])
def test_day_counted_due_dates_ignore_weekends_and_holidays(
    regulation: Regulation,
    request_type: RequestType,
    received: str,
    expected: str,
    extended: str | None,
    calendar: BusinessCalendar,
) -> None:
    received_at = _noon(received)
    assert due_date(regulation, request_type, received_at, calendar=calendar) == _d(
        expected
    )
    if extended is not None:
        assert extended_due_date(
            regulation, request_type, received_at, calendar=calendar
        ) == _d(extended)


@pytest.mark.parametrize(
    ("calendar", "received", "expected"),
    [
        # A receipt on a business day is day 1, so day 15 is 14 business days later.
        pytest.param(UTC_CAL, "2026-03-02", "2026-03-20", id="monday"),
        pytest.param(UTC_CAL, "2026-03-07", "2026-03-27", id="saturday-then-monday"),
        pytest.param(UTC_CAL, "2026-03-20", "2026-04-09", id="no-holidays"),
        pytest.param(US_CA, "2026-03-20", "2026-04-10", id="cesar-chavez-day"),
        pytest.param(US_CA, "2026-03-31", "2026-04-21", id="received-on-holiday"),
    ],
)
def test_ccpa_opt_out_is_due_in_15_business_days(
    calendar: BusinessCalendar, received: str, expected: str
) -> None:
    due = due_date(CCPA, OPT_OUT, _noon(received), calendar=calendar)
    assert due == _d(expected)


def test_ccpa_opt_out_is_never_later_than_the_strict_reading() -> None:
    # 11 CCR 7026(f) read strictly leaves the receipt day out; ours is never later.
    day = date(2026, 1, 1)
    while day < date(2027, 1, 1):
        received = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
        due = due_date(CCPA, OPT_OUT, received, calendar=US_CA)
        strict = US_CA.add_business_days(day, 15)
        if US_CA.is_business_day(day):
            assert US_CA.add_business_days(due, 1) == strict, day
        else:
            assert due == strict, day
        day += timedelta(days=1)


@pytest.mark.parametrize(
    ("regulation", "request_type"),
    [
        (Regulation.LGPD, ACCESS),
        (Regulation.LGPD, RequestType.ERASURE),
        (CCPA, OPT_OUT),
    ],
)
def test_extension_not_allowed(
    regulation: Regulation, request_type: RequestType
) -> None:
    with pytest.raises(ExtensionNotAllowed, match="cannot be extended"):
        extended_due_date(
            regulation, request_type, _noon("2026-03-02"), calendar=UTC_CAL
        )


def test_extension_not_allowed_is_a_value_error() -> None:
    assert issubclass(ExtensionNotAllowed, ValueError)


# --- acknowledgement ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("request_type", "calendar", "received", "expected"),
    [
        pytest.param(ACCESS, UTC_CAL, "2026-03-02", "2026-03-16", id="spec"),
        pytest.param(RequestType.ERASURE, UTC_CAL, "2026-03-02", "2026-03-16"),
        pytest.param(RequestType.RECTIFICATION, UTC_CAL, "2026-03-02", "2026-03-16"),
        pytest.param(ACCESS, UTC_CAL, "2026-03-07", "2026-03-20", id="saturday"),
        pytest.param(ACCESS, UTC_CAL, "2026-03-20", "2026-04-03", id="no-holidays"),
        pytest.param(ACCESS, US_CA, "2026-03-20", "2026-04-06", id="cesar-chavez-day"),
    ],
)
def test_ccpa_acknowledgement_in_10_business_days_after_receipt(
    request_type: RequestType, calendar: BusinessCalendar, received: str, expected: str
) -> None:
    due = acknowledgement_due(CCPA, request_type, _noon(received), calendar=calendar)
    assert due == _d(expected)


@pytest.mark.parametrize(
    ("regulation", "request_type"),
    [(r, ACCESS) for r in Regulation if r is not CCPA] + [(CCPA, OPT_OUT)],
)
def test_no_acknowledgement_deadline_elsewhere(
    regulation: Regulation, request_type: RequestType
) -> None:
    received = _noon("2026-03-02")
    assert (
        acknowledgement_due(regulation, request_type, received, calendar=US_CA) is None
    )


# --- clock start ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("regulation", "verified", "calendar", "expected"),
    [
        pytest.param(
            UK_GDPR, "2026-03-20T15:00:00+00:00", UTC_CAL, "2026-04-20", id="id"
        ),
        pytest.param(UK_GDPR, None, UTC_CAL, "2026-04-10", id="no-id-asked"),
        pytest.param(
            UK_GDPR, "2026-03-01T10:00:00+00:00", UTC_CAL, "2026-04-10", id="id-first"
        ),
        pytest.param(
            UK_GDPR, "2026-03-20T23:30:00+00:00", GB_ENG, "2026-04-20", id="london"
        ),
        pytest.param(
            UK_GDPR, "2026-03-20T23:30:00+00:00", BERLIN, "2026-04-21", id="next-local"
        ),
        pytest.param(
            GDPR, "2026-03-20T15:00:00+00:00", UTC_CAL, "2026-04-10", id="gdpr"
        ),
    ],
)
def test_uk_gdpr_clock_starts_on_identity_confirmation(
    regulation: Regulation,
    verified: str | None,
    calendar: BusinessCalendar,
    expected: str,
) -> None:
    received = _at("2026-03-10T09:00:00+00:00")
    verified_at = _at(verified) if verified else None
    due = due_date(
        regulation, ACCESS, received, calendar=calendar, verified_at=verified_at
    )
    assert due == _d(expected)


def test_uk_gdpr_extension_counts_from_identity_confirmation() -> None:
    received, verified = _noon("2026-03-10"), _noon("2026-03-20")
    due = extended_due_date(
        UK_GDPR, ACCESS, received, calendar=UTC_CAL, verified_at=verified
    )
    assert due == date(2026, 6, 22)  # 20 June 2026 is a Saturday


def test_ccpa_clock_runs_from_receipt_whatever_verification_takes() -> None:
    received, verified = _noon("2026-03-02"), _noon("2026-03-30")
    due = due_date(CCPA, ACCESS, received, calendar=UTC_CAL, verified_at=verified)
    assert due == date(2026, 4, 15)


def test_clock_start_is_the_later_moment_in_utc() -> None:
    received = _at("2026-03-10T09:00:00+00:00")
    verified = _at("2026-03-20T17:00:00+02:00")
    start = clock_start(UK_GDPR, received, verified)
    assert start == verified
    assert start.utcoffset() == timedelta(0)
    assert clock_start(GDPR, received, verified) == received
    assert clock_start(UK_GDPR, received, None) == received


# --- business timezone ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("regulation", "received", "calendar", "expected"),
    [
        pytest.param(
            GDPR, "2026-03-09T23:30:00+00:00", UTC_CAL, "2026-04-09", id="utc"
        ),
        pytest.param(
            GDPR, "2026-03-09T23:30:00+00:00", BERLIN, "2026-04-10", id="berlin"
        ),
        pytest.param(
            GDPR, "2026-03-10T00:30:00+02:00", UTC_CAL, "2026-04-09", id="off"
        ),
        pytest.param(
            GDPR, "2026-03-10T00:30:00+02:00", TOKYO, "2026-04-10", id="tokyo"
        ),
        pytest.param(
            CCPA, "2026-03-03T05:00:00+00:00", UTC_CAL, "2026-04-16", id="utc"
        ),
        pytest.param(CCPA, "2026-03-03T05:00:00+00:00", LOS_ANGELES, "2026-04-15"),
    ],
)
def test_receipt_date_is_the_local_date_in_the_business_timezone(
    regulation: Regulation, received: str, calendar: BusinessCalendar, expected: str
) -> None:
    assert due_date(regulation, ACCESS, _at(received), calendar=calendar) == _d(
        expected
    )


def test_acknowledgement_uses_the_local_receipt_date() -> None:
    received = _at("2026-03-03T05:00:00+00:00")  # 2 March, 21:00 in Los Angeles
    assert acknowledgement_due(CCPA, ACCESS, received, calendar=LOS_ANGELES) == date(
        2026, 3, 16
    )


@pytest.mark.parametrize(
    ("day", "calendar", "expected"),
    [
        pytest.param(
            "2026-04-10", UTC_CAL, "2026-04-10T23:59:59.999999+00:00", id="utc"
        ),
        pytest.param(
            "2026-04-10", BERLIN, "2026-04-10T21:59:59.999999+00:00", id="cest"
        ),
        pytest.param(
            "2026-01-15", BERLIN, "2026-01-15T22:59:59.999999+00:00", id="cet"
        ),
        pytest.param(
            "2026-03-29", BERLIN, "2026-03-29T21:59:59.999999+00:00", id="dst"
        ),
        pytest.param("2026-04-15", LOS_ANGELES, "2026-04-16T06:59:59.999999+00:00"),
    ],
)
def test_end_of_day_is_aware_utc(
    day: str, calendar: BusinessCalendar, expected: str
) -> None:
    moment = end_of_day(_d(day), calendar)
    assert moment == _at(expected)
    assert moment.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("now", "left", "overdue", "at_risk"),
    [
        pytest.param("2026-04-02T21:59:59+00:00", 8, False, False, id="8-days"),
        pytest.param("2026-04-02T22:00:00+00:00", 7, False, True, id="7-days"),
        pytest.param("2026-04-10T12:00:00+00:00", 0, False, True, id="due-day"),
        pytest.param("2026-04-10T21:59:59.999999+00:00", 0, False, True, id="last-us"),
        pytest.param("2026-04-10T22:00:00+00:00", -1, True, False, id="midnight"),
        pytest.param("2026-04-11T07:00:00+09:00", -1, True, False, id="other-offset"),
        pytest.param("2026-04-12T09:00:00+00:00", -2, True, False, id="2-days-late"),
    ],
)
def test_due_state_at_the_end_of_day_in_berlin(
    now: str, left: int, overdue: bool, at_risk: bool
) -> None:
    due, moment = date(2026, 4, 10), _at(now)
    assert days_left(due, now=moment, calendar=BERLIN) == left
    assert is_overdue(due, now=moment, calendar=BERLIN) is overdue
    assert is_at_risk(due, now=moment, calendar=BERLIN, at_risk_days=7) is at_risk


def test_not_yet_overdue_in_utc_when_overdue_in_berlin() -> None:
    due, now = date(2026, 4, 10), _at("2026-04-10T22:00:00+00:00")
    assert days_left(due, now=now, calendar=UTC_CAL) == 0
    assert not is_overdue(due, now=now, calendar=UTC_CAL)


@pytest.mark.parametrize(
    "calendar", [UTC_CAL, BERLIN, LOS_ANGELES, TOKYO], ids=["utc", "ber", "la", "tyo"]
)
def test_overdue_exactly_when_days_left_is_negative(calendar: BusinessCalendar) -> None:
    due = date(2026, 3, 29)  # the night Europe/Berlin moves to summer time
    now = _at("2026-03-28T00:00:00+00:00")
    while now < _at("2026-03-31T00:00:00+00:00"):
        left = days_left(due, now=now, calendar=calendar)
        assert is_overdue(due, now=now, calendar=calendar) is (left < 0), now
        now += timedelta(minutes=30)


# --- extensions -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("regulation", "request_type", "calendar", "now", "already", "expected"),
    [
        pytest.param(GDPR, ACCESS, UTC_CAL, "2026-03-15T12:00:00+00:00", False, True),
        pytest.param(
            GDPR, ACCESS, UTC_CAL, "2026-04-10T23:59:00+00:00", False, True, id="last"
        ),
        pytest.param(
            GDPR, ACCESS, UTC_CAL, "2026-04-11T00:00:00+00:00", False, False, id="late"
        ),
        pytest.param(
            GDPR, ACCESS, BERLIN, "2026-04-10T22:30:00+00:00", False, False, id="ber"
        ),
        pytest.param(
            GDPR, ACCESS, UTC_CAL, "2026-03-15T12:00:00+00:00", True, False, id="twice"
        ),
        pytest.param(CCPA, ACCESS, UTC_CAL, "2026-04-23T12:00:00+00:00", False, True),
        pytest.param(CCPA, ACCESS, UTC_CAL, "2026-04-24T00:00:00+00:00", False, False),
        pytest.param(
            Regulation.PIPEDA, ACCESS, UTC_CAL, "2026-04-08T12:00:00+00:00", False, True
        ),
        pytest.param(
            Regulation.LGPD, ACCESS, UTC_CAL, "2026-03-11T12:00:00+00:00", False, False
        ),
        pytest.param(CCPA, OPT_OUT, UTC_CAL, "2026-03-11T12:00:00+00:00", False, False),
    ],
)
def test_can_extend_once_before_the_first_due_date_ends(
    regulation: Regulation,
    request_type: RequestType,
    calendar: BusinessCalendar,
    now: str,
    already: bool,
    expected: bool,
) -> None:
    received = _noon("2026-03-10")
    allowed = can_extend(
        regulation,
        request_type,
        received,
        now=_at(now),
        calendar=calendar,
        already_extended=already,
    )
    assert allowed is expected


def test_uk_gdpr_extension_window_follows_identity_confirmation() -> None:
    received, verified = _noon("2026-03-10"), _noon("2026-03-20")
    now = _noon("2026-04-18")  # after 10 April, before 20 April
    assert can_extend(
        UK_GDPR,
        ACCESS,
        received,
        now=now,
        calendar=UTC_CAL,
        verified_at=verified,
        already_extended=False,
    )


@pytest.mark.parametrize(
    ("regulation", "now", "already", "expected"),
    [
        pytest.param(GDPR, "2026-04-02T12:00:00+00:00", False, False, id="8-days-left"),
        pytest.param(GDPR, "2026-04-03T00:00:00+00:00", False, True, id="7-days-left"),
        pytest.param(GDPR, "2026-04-10T23:00:00+00:00", False, True, id="due-day"),
        pytest.param(GDPR, "2026-04-11T00:00:00+00:00", False, False, id="lapsed"),
        pytest.param(GDPR, "2026-04-05T12:00:00+00:00", True, False, id="used"),
        pytest.param(Regulation.LGPD, "2026-03-20T12:00:00+00:00", False, False),
    ],
)
def test_extension_warning_while_the_extension_can_still_be_used(
    regulation: Regulation, now: str, already: bool, expected: bool
) -> None:
    warn = extension_warning(
        regulation,
        ACCESS,
        _noon("2026-03-10"),
        now=_at(now),
        calendar=UTC_CAL,
        within_days=7,
        already_extended=already,
    )
    assert warn is expected


# --- input validation -----------------------------------------------------------------

NAIVE = _noon("2026-03-10").replace(tzinfo=None)
AWARE = _noon("2026-03-10")


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda: due_date(GDPR, ACCESS, NAIVE, calendar=UTC_CAL), id="due"),
        pytest.param(
            lambda: due_date(
                UK_GDPR, ACCESS, AWARE, calendar=UTC_CAL, verified_at=NAIVE
            ),
            id="verified",
        ),
        pytest.param(lambda: clock_start(GDPR, NAIVE, None), id="clock-start"),
        pytest.param(
            lambda: acknowledgement_due(CCPA, ACCESS, NAIVE, calendar=UTC_CAL), id="ack"
        ),
        pytest.param(
            lambda: days_left(date(2026, 4, 10), now=NAIVE, calendar=UTC_CAL), id="left"
        ),
        pytest.param(
            lambda: is_overdue(date(2026, 4, 10), now=NAIVE, calendar=UTC_CAL), id="od"
        ),
        pytest.param(
            lambda: can_extend(
                GDPR, ACCESS, AWARE, now=NAIVE, calendar=UTC_CAL, already_extended=False
            ),
            id="can-extend",
        ),
    ],
)
def test_naive_datetimes_are_rejected(call: Callable[[], object]) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        call()


@pytest.mark.parametrize("code", ["XX", "GB-XYZ", "IE-", "-BY", "", "gb-eng", "EU"])
def test_unknown_holidays_code_is_rejected(code: str) -> None:
    with pytest.raises(ValueError, match="unknown holidays code"):
        BusinessCalendar(holidays=code)


@pytest.mark.parametrize("code", ["IE", "DE-BY", "GB-ENG", "GB-NIR", "US-CA", "BR"])
def test_known_holidays_codes_are_accepted(code: str) -> None:
    assert BusinessCalendar(holidays=code).holidays == code


# --- the business calendar ------------------------------------------------------------


@pytest.mark.parametrize(
    ("calendar", "day", "expected"),
    [
        pytest.param(UTC_CAL, "2026-03-07", False, id="saturday"),
        pytest.param(UTC_CAL, "2026-03-08", False, id="sunday"),
        pytest.param(UTC_CAL, "2026-03-09", True, id="monday"),
        pytest.param(UTC_CAL, "2026-03-17", True, id="no-calendar"),
        pytest.param(IE, "2026-03-17", False, id="ie-st-patrick"),
        pytest.param(GB_ENG, "2026-12-28", False, id="eng-boxing-observed"),
        pytest.param(GB_ENG, "2027-12-28", False, id="eng-2027-observed"),
        pytest.param(DE_BY, "2026-01-06", False, id="de-by-epiphany"),
    ],
)
def test_is_business_day(calendar: BusinessCalendar, day: str, expected: bool) -> None:
    assert calendar.is_business_day(_d(day)) is expected


@pytest.mark.parametrize(
    ("calendar", "day", "expected"),
    [
        pytest.param(UTC_CAL, "2026-03-09", "2026-03-09", id="itself"),
        pytest.param(UTC_CAL, "2026-03-07", "2026-03-09", id="saturday"),
        pytest.param(GB_ENG, "2026-04-03", "2026-04-07", id="eng-easter"),
        pytest.param(GB_ENG, "2026-12-25", "2026-12-29", id="eng-christmas"),
    ],
)
def test_next_business_day(calendar: BusinessCalendar, day: str, expected: str) -> None:
    assert calendar.next_business_day(_d(day)) == _d(expected)


@pytest.mark.parametrize(
    ("calendar", "day", "n", "expected"),
    [
        pytest.param(UTC_CAL, "2026-03-02", 10, "2026-03-16", id="ten"),
        pytest.param(UTC_CAL, "2026-03-06", 1, "2026-03-09", id="over-weekend"),
        pytest.param(UTC_CAL, "2026-03-07", 0, "2026-03-07", id="zero"),
        pytest.param(DE_BY, "2025-12-31", 1, "2026-01-02", id="de-by-new-year"),
        pytest.param(DE_BY, "2026-01-05", 1, "2026-01-07", id="de-by-epiphany"),
        pytest.param(GB_ENG, "2026-12-24", 1, "2026-12-29", id="eng-christmas"),
    ],
)
def test_add_business_days_does_not_count_the_start_day(
    calendar: BusinessCalendar, day: str, n: int, expected: str
) -> None:
    assert calendar.add_business_days(_d(day), n) == _d(expected)


def test_add_business_days_rejects_negative() -> None:
    with pytest.raises(ValueError, match="negative"):
        UTC_CAL.add_business_days(date(2026, 3, 2), -1)


def test_calendar_is_frozen_and_hashable() -> None:
    assert hash(IE) == hash(BusinessCalendar(ZoneInfo("Europe/Dublin"), "IE"))
    with pytest.raises(FrozenInstanceError):
        IE.holidays = "GB-ENG"  # type: ignore[misc]
