"""The statutory deadline table and the pure date arithmetic that applies it.

This module owns every deadline rule of docs/legal-rules.md ("Deadlines") as one table,
`RULES`, so a lawyer can review them in one place, and the functions that turn a receipt
time into due dates. It does no I/O and reads no settings: callers pass aware datetimes
and a `BusinessCalendar` (business timezone and public holidays). A due date is a local
date in that timezone and ends at the end of that day.
"""

from __future__ import annotations

from calendar import monthrange
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from types import MappingProxyType
from typing import Literal
from zoneinfo import ZoneInfo

import holidays as holidays_lib

from app.enums import Regulation, RequestType

Counting = Literal["calendar_month", "calendar_days", "business_days"]
ClockStart = Literal["receipt", "receipt_or_identity"]

_UTC_ZONE = ZoneInfo("UTC")
_SATURDAY = 5


class ExtensionNotAllowed(ValueError):
    """The rule for this request allows no extension."""


@dataclass(frozen=True, slots=True)
class BusinessCalendar:
    """The business timezone and public-holiday calendar used for due dates."""

    timezone: ZoneInfo = _UTC_ZONE
    # COUNTRY[-SUBDIVISION] as the `holidays` package names it: "IE", "DE-BY", "GB-ENG"
    holidays: str | None = None

    def __post_init__(self) -> None:
        if self.holidays is not None:
            _parse_holidays_code(self.holidays)

    def is_business_day(self, day: date) -> bool:
        """Return whether `day` is neither a Saturday, Sunday nor public holiday."""
        # Reg. 1182/71 Art. 3(4): Saturdays, Sundays and public holidays are not
        # working days; without a holidays code only weekends are.
        if day.weekday() >= _SATURDAY:
            return False
        return self.holidays is None or day not in _holidays(self.holidays, day.year)

    def next_business_day(self, day: date) -> date:
        """Return `day` if it is a business day, else the next business day."""
        while not self.is_business_day(day):
            day += timedelta(days=1)
        return day

    def add_business_days(self, day: date, n: int) -> date:
        """Return the `n`th business day after `day` (the start day is not counted)."""
        if n < 0:
            raise ValueError(f"n must not be negative, got {n}")
        while n:
            day += timedelta(days=1)
            if self.is_business_day(day):
                n -= 1
        return day


def _parse_holidays_code(code: str) -> tuple[str, str | None]:
    """Split "DE-BY" into ("DE", "BY"); ValueError if `holidays` does not know it."""
    country, separator, subdivision = code.partition("-")
    problem = "expected COUNTRY or COUNTRY-SUBDIVISION, e.g. 'IE', 'DE-BY', 'GB-ENG'"
    if country and not (separator and not subdivision):
        try:
            holidays_lib.country_holidays(country, subdiv=subdivision or None)
        except NotImplementedError as exc:
            problem = str(exc)
        else:
            return country, subdivision or None
    raise ValueError(f"unknown holidays code {code!r} (DSR_HOLIDAYS): {problem}")


@lru_cache(maxsize=256)
def _holidays(code: str, year: int) -> frozenset[date]:
    """Return one year's public holidays, built once per (code, year)."""
    country, subdivision = _parse_holidays_code(code)
    dates = holidays_lib.country_holidays(country, subdiv=subdivision, years=year)
    return frozenset(dates)


@dataclass(frozen=True, slots=True)
class DeadlineRule:
    """One row of the deadline table; `period` and `extension` are `counting` units."""

    regulation: Regulation
    request_type: RequestType | None  # None: every type without a row of its own
    period: int
    counting: Counting
    roll_to_business_day: bool
    extension: int | None  # added to `period`, counted from the same start
    clock_start: ClockStart
    acknowledgement_business_days: int | None
    notes: str


_DAY_ONE = "receipt day is day 1, no weekend roll (conservative)"

# One row per regulation, plus rows for request types with a rule of their own.
# fmt: off
_TABLE: tuple[DeadlineRule, ...] = (
    DeadlineRule(
        regulation=Regulation.GDPR, request_type=None,
        period=1, counting="calendar_month", roll_to_business_day=True, extension=2,
        clock_start="receipt", acknowledgement_business_days=None,
        notes="GDPR Art. 12(3); Reg. 1182/71 Art. 3; EDPB Guidelines 01/2022. "
        "Extension notice with reasons before the first month ends.",
    ),
    DeadlineRule(
        regulation=Regulation.UK_GDPR, request_type=None,
        period=1, counting="calendar_month", roll_to_business_day=True, extension=2,
        clock_start="receipt_or_identity", acknowledgement_business_days=None,
        notes="UK GDPR Art. 12(3) as amended in 2025, ICO guidance: clock starts at "
        "the later of receipt and requested ID; clarification pauses: the caller.",
    ),
    DeadlineRule(
        regulation=Regulation.CCPA, request_type=None,
        period=45, counting="calendar_days", roll_to_business_day=False, extension=45,
        clock_start="receipt", acknowledgement_business_days=10,
        notes="Civ. Code 1798.130(a)(2); 11 CCR 7021: know/delete/correct, from "
        f"receipt whatever verification takes; {_DAY_ONE}.",
    ),
    DeadlineRule(
        regulation=Regulation.CCPA, request_type=RequestType.OPT_OUT,
        period=15, counting="business_days", roll_to_business_day=False, extension=None,
        clock_start="receipt", acknowledgement_business_days=None,
        notes="11 CCR 7026(f), 7027(g): opt-out of sale/sharing and limit sensitive "
        "data, 15 business days from receipt, no extension.",
    ),
    DeadlineRule(
        regulation=Regulation.VCDPA, request_type=None,
        period=45, counting="calendar_days", roll_to_business_day=False, extension=45,
        clock_start="receipt", acknowledgement_business_days=None,
        notes=f"Va. Code 59.1-577(B): +45 once, notice in the first 45; {_DAY_ONE}.",
    ),
    DeadlineRule(
        regulation=Regulation.CPA, request_type=None,
        period=45, counting="calendar_days", roll_to_business_day=False, extension=45,
        clock_start="receipt", acknowledgement_business_days=None,
        notes=f"C.R.S. 6-1-1306(2): +45 once, notice in the first 45; {_DAY_ONE}.",
    ),
    DeadlineRule(
        regulation=Regulation.LGPD, request_type=None,
        period=15, counting="calendar_days", roll_to_business_day=False, extension=None,
        clock_start="receipt", acknowledgement_business_days=None,
        notes=f"LGPD Art. 19(II): full statement, no extension; {_DAY_ONE}.",
    ),
    DeadlineRule(
        regulation=Regulation.PIPEDA, request_type=None,
        period=30, counting="calendar_days", roll_to_business_day=False, extension=30,
        clock_start="receipt", acknowledgement_business_days=None,
        notes="PIPEDA s. 8(3)-(5): +30 with notice of the reasons and the right to "
        f"complain; {_DAY_ONE}.",
    ),
)
# fmt: on

RULES: Mapping[tuple[Regulation, RequestType | None], DeadlineRule] = MappingProxyType(
    {(rule.regulation, rule.request_type): rule for rule in _TABLE}
)


def rule_for(regulation: Regulation, request_type: RequestType) -> DeadlineRule:
    """Return the request type's own row if it has one, else the regulation's row."""
    specific = RULES.get((regulation, request_type))
    return specific if specific is not None else RULES[(regulation, None)]


def _require_aware(moment: datetime, name: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got {moment!r}")


def _local_date(moment: datetime, calendar: BusinessCalendar, name: str) -> date:
    _require_aware(moment, name)
    return moment.astimezone(calendar.timezone).date()


def _start(
    rule: DeadlineRule, received_at: datetime, verified_at: datetime | None
) -> datetime:
    _require_aware(received_at, "received_at")
    if verified_at is None:
        return received_at.astimezone(UTC)
    _require_aware(verified_at, "verified_at")
    # UK GDPR as amended by the Data (Use and Access) Act 2025, ICO guidance: the clock
    # starts when identity confirmation we asked for arrives. Callers pass verified_at
    # only if they asked for it.
    if rule.clock_start == "receipt_or_identity":
        return max(received_at, verified_at).astimezone(UTC)
    return received_at.astimezone(UTC)


def clock_start(
    regulation: Regulation, received_at: datetime, verified_at: datetime | None
) -> datetime:
    """Return when the clock starts (aware UTC): receipt, or UK GDPR's later of both."""
    return _start(RULES[(regulation, None)], received_at, verified_at)


def _add_months(day: date, months: int) -> date:
    # Reg. 1182/71 Art. 3(2)(c): the same date `months` later; if that month has no
    # such date (31 February), its last day.
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, monthrange(year, month)[1]))


def _period_end(
    rule: DeadlineRule, start: date, length: int, calendar: BusinessCalendar
) -> date:
    if rule.counting == "calendar_month":
        end = _add_months(start, length)
    elif rule.counting == "calendar_days":
        # legal-rules.md: the receipt day counts as day 1 (never later than the law
        # allows), so the last day is `length - 1` days after it.
        end = start + timedelta(days=length - 1)
    else:
        # Business days with the receipt day as day 1 (conservative): a receipt on a
        # business day is day 1; after a weekend or holiday receipt, the next business
        # day is. The strict reading of 11 CCR 7026(f) ("from the date the business
        # receives") leaves the receipt day out, which is never earlier than this.
        end = calendar.add_business_days(calendar.next_business_day(start), length - 1)
    # Reg. 1182/71 Art. 3(4): a period ending on a non-working day ends on the next
    # working day. Day-counted US, Brazilian and Canadian periods do not roll.
    return calendar.next_business_day(end) if rule.roll_to_business_day else end


def _due(
    rule: DeadlineRule,
    received_at: datetime,
    verified_at: datetime | None,
    calendar: BusinessCalendar,
    length: int,
) -> date:
    start = _local_date(_start(rule, received_at, verified_at), calendar, "received_at")
    return _period_end(rule, start, length, calendar)


def due_date(
    regulation: Regulation,
    request_type: RequestType,
    received_at: datetime,
    *,
    calendar: BusinessCalendar,
    verified_at: datetime | None = None,
) -> date:
    """Return the first due date, a local date in the business timezone."""
    rule = rule_for(regulation, request_type)
    return _due(rule, received_at, verified_at, calendar, rule.period)


def extended_due_date(
    regulation: Regulation,
    request_type: RequestType,
    received_at: datetime,
    *,
    calendar: BusinessCalendar,
    verified_at: datetime | None = None,
) -> date:
    """Return the due date after the extension; ExtensionNotAllowed if there is none."""
    rule = rule_for(regulation, request_type)
    if rule.extension is None:
        raise ExtensionNotAllowed(
            f"{regulation} {request_type} requests cannot be extended ({rule.notes})"
        )
    # GDPR Art. 12(3) "two further months" runs 3 months from the start (EDPB), and
    # the day-counted extensions run in all from the same day 1 (45 + 45 = 90 days).
    return _due(rule, received_at, verified_at, calendar, rule.period + rule.extension)


def end_of_day(day: date, calendar: BusinessCalendar) -> datetime:
    """Return the last instant of `day` in the business timezone, as aware UTC."""
    return datetime.combine(day, time.max, tzinfo=calendar.timezone).astimezone(UTC)


def days_left(due: date, *, now: datetime, calendar: BusinessCalendar) -> int:
    """Return calendar days from today to `due`: 0 on the day, negative when overdue."""
    return (due - _local_date(now, calendar, "now")).days


def is_overdue(due: date, *, now: datetime, calendar: BusinessCalendar) -> bool:
    """Return whether `now` is past the end of the due day in the business timezone."""
    _require_aware(now, "now")
    return now > end_of_day(due, calendar)


def is_at_risk(
    due: date, *, now: datetime, calendar: BusinessCalendar, at_risk_days: int
) -> bool:
    """Return whether the request is not overdue but due within `at_risk_days`."""
    if is_overdue(due, now=now, calendar=calendar):
        return False
    return days_left(due, now=now, calendar=calendar) <= at_risk_days


def _extendable_to(
    rule: DeadlineRule,
    received_at: datetime,
    verified_at: datetime | None,
    calendar: BusinessCalendar,
    already_extended: bool,
) -> date | None:
    # GDPR Art. 12(3), Civ. Code 1798.130(a)(2), Va. Code 59.1-577(B), PIPEDA s. 8(4):
    # one extension only, noticed within the first period, so until the first due date.
    if already_extended or rule.extension is None:
        return None
    return _due(rule, received_at, verified_at, calendar, rule.period)


def can_extend(
    regulation: Regulation,
    request_type: RequestType,
    received_at: datetime,
    *,
    now: datetime,
    calendar: BusinessCalendar,
    verified_at: datetime | None = None,
    already_extended: bool,
) -> bool:
    """Return whether the one extension may still be used: before the first due date."""
    rule = rule_for(regulation, request_type)
    until = _extendable_to(rule, received_at, verified_at, calendar, already_extended)
    return until is not None and not is_overdue(until, now=now, calendar=calendar)


def extension_warning(
    regulation: Regulation,
    request_type: RequestType,
    received_at: datetime,
    *,
    now: datetime,
    calendar: BusinessCalendar,
    within_days: int,
    verified_at: datetime | None = None,
    already_extended: bool,
) -> bool:
    """Return whether an unused extension lapses within `within_days` (staff alarm)."""
    rule = rule_for(regulation, request_type)
    until = _extendable_to(rule, received_at, verified_at, calendar, already_extended)
    return until is not None and is_at_risk(
        until, now=now, calendar=calendar, at_risk_days=within_days
    )


def acknowledgement_due(
    regulation: Regulation,
    request_type: RequestType,
    received_at: datetime,
    *,
    calendar: BusinessCalendar,
) -> date | None:
    """Return when receipt must be acknowledged, or None if the law requires none."""
    days = rule_for(regulation, request_type).acknowledgement_business_days
    if days is None:
        return None
    # 11 CCR 7021(a): "within 10 business days" of receipt; the receipt day is not
    # counted (legal-rules.md vector: 2026-03-02 -> 2026-03-16).
    received = _local_date(received_at, calendar, "received_at")
    return calendar.add_business_days(received, days)
