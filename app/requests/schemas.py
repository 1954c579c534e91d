"""API shapes of a request: what clients send and what they get back."""

import re
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
)

from app.enums import Channel, DenialReason, Outcome, Regulation, RequestType, Status
from app.i18n import N_
from app.requests.emails import is_valid_email


def text_problem(value: str, *, one_line: bool = False) -> str | None:
    """Why `value` cannot be stored as text (NUL, lone surrogates, line breaks), or None.

    PostgreSQL refuses NUL in text and no encoder takes a lone surrogate; a line break in a
    one-line field (a name) would let a stranger write lines into mail sent in our name.
    """
    if "\x00" in value:
        return "contains a NUL character"
    if any("\ud800" <= char <= "\udfff" for char in value):
        return "contains an invalid character (a lone surrogate)"
    if one_line and ("\n" in value or "\r" in value):
        return "must be a single line"
    return None


def _text(value: str) -> str:
    if (problem := text_problem(value)) is not None:
        raise ValueError(problem)
    return value


def _line(value: str) -> str:
    if (problem := text_problem(value, one_line=True)) is not None:
        raise ValueError(problem)
    return value


Text = Annotated[str, AfterValidator(_text)]  # free text: any printable content
Line = Annotated[str, AfterValidator(_line)]  # a name, an address: one line


_ISO_START = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_only(value: Any) -> Any:
    # Pydantic would also read a number as a Unix time (`0` → 1970-01-01): the API
    # documents ISO 8601 dates, so a number is a mistake to report, not to guess at.
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if number or (isinstance(value, str) and not _ISO_START.match(value)):
        raise ValueError("must be an ISO 8601 date (YYYY-MM-DD…)")
    return value


IsoDate = Annotated[date, BeforeValidator(_iso_only)]
IsoDateTime = Annotated[AwareDatetime, BeforeValidator(_iso_only)]


class RequestCreate(BaseModel):
    """Body of `POST /api/v1/requests`."""

    model_config = ConfigDict(extra="forbid")

    type: RequestType
    regulation: Regulation | None = Field(
        None, description="Defaults to DSR_DEFAULT_REGULATION."
    )
    email: Line = Field(max_length=320, json_schema_extra={"format": "email"})
    name: Line | None = Field(None, max_length=200)
    details: Text | None = Field(None, max_length=20_000)
    language: Line | None = Field(
        None,
        max_length=35,
        description="The requester's language (e.g. `de`) for mails and pages; defaults to"
        " the call's Accept-Language header. Unsupported languages become English.",
    )
    received_at: IsoDateTime | None = Field(
        None,
        description="When a letter or call arrived; defaults to now; never in the future.",
    )
    # Strict: a JSON boolean only, not 0/1 or "yes" (the document says boolean).
    identity_verified: StrictBool = Field(
        False,
        description="The caller already authenticated the person (starts at pending_review).",
    )


class SubjectOut(BaseModel):
    """Who the request is about."""

    email: str
    name: str | None


class TaskOut(BaseModel):
    """One connector's part of the request."""

    id: int
    connector: str
    action: str
    status: str
    attempts: int
    error: str | None
    counts: dict[str, Any]
    instructions: str | None = None  # what staff must do, for a manual task


class MessageOut(BaseModel):
    """One email of the ticket's thread."""

    direction: str
    from_address: str = Field(serialization_alias="from")
    # Beyond the contract's fields: outgoing mail goes to the requester or to staff.
    to_address: str = Field(serialization_alias="to")
    subject: str
    time: datetime
    text: str


class RequestOut(BaseModel):
    """The request resource (contract.md)."""

    reference: str
    type: RequestType
    regulation: Regulation
    status: Status
    channel: Channel
    subject: SubjectOut
    details: str | None
    received_at: datetime
    verified_at: datetime | None
    verification_method: str | None
    acknowledged_at: datetime | None
    due_at: datetime
    extended_due_at: datetime | None
    extension_reason: str | None
    days_left: int | None
    at_risk: bool
    overdue: bool
    assignee: str | None
    escalated: bool
    unread: bool
    closed_at: datetime | None
    outcome: Outcome | None
    denial_reason: DenialReason | None
    tasks: list[TaskOut] | None = None
    messages: list[MessageOut] | None = None


class RequestPage(BaseModel):
    """A page of requests with the cursor of the next page."""

    items: list[RequestOut]
    next_cursor: str | None


class EventOut(BaseModel):
    """One audit event."""

    seq: int
    at: datetime
    actor: str
    kind: str
    data: dict[str, Any]
    personal: dict[str, str]
    hash: str


class DenyBody(BaseModel):
    """Body of the deny action."""

    model_config = ConfigDict(extra="forbid")
    reason_code: DenialReason
    message: Text = Field(min_length=1, max_length=10_000)


class ReasonBody(BaseModel):
    """Body of extend and cancel: a reason is required."""

    model_config = ConfigDict(extra="forbid")
    reason: Text = Field(min_length=1, max_length=10_000)


class AssignBody(BaseModel):
    """Body of assign: a staff email, or null to unassign."""

    model_config = ConfigDict(extra="forbid")
    staff_email: Line | None


class NoteBody(BaseModel):
    """Body of notes."""

    model_config = ConfigDict(extra="forbid")
    text: Text = Field(min_length=1, max_length=20_000)


class VerifyBody(BaseModel):
    """Body of verify: how the identity was checked (never the evidence itself)."""

    model_config = ConfigDict(extra="forbid")
    method: Line = Field(
        min_length=1, max_length=64, examples=["id_checked", "phone_callback"]
    )
    note: Text | None = Field(None, max_length=2_000)


class EmptyBody(BaseModel):
    """Body of approve: nothing."""

    model_config = ConfigDict(extra="forbid")


# Where the requester lives decides the law (and so the deadline); "other" uses the default.
LOCATIONS: dict[str, tuple[str, Regulation | None]] = {
    "eea": (N_("European Union / EEA"), Regulation.GDPR),
    "uk": (N_("United Kingdom"), Regulation.UK_GDPR),
    "california": (N_("California, USA"), Regulation.CCPA),
    "virginia": (N_("Virginia, USA"), Regulation.VCDPA),
    "colorado": (N_("Colorado, USA"), Regulation.CPA),
    "brazil": (N_("Brazil"), Regulation.LGPD),
    "canada": (N_("Canada"), Regulation.PIPEDA),
    "other": (N_("Somewhere else"), None),
}

TYPE_LABELS: dict[RequestType, str] = {
    RequestType.ACCESS: N_("Send me a copy of my personal data"),
    RequestType.PORTABILITY: N_(
        "Give me my data in a machine-readable file (portability)"
    ),
    RequestType.ERASURE: N_("Delete my personal data"),
    RequestType.RECTIFICATION: N_("Correct my personal data"),
    RequestType.RESTRICTION: N_("Stop using my data for now (restriction)"),
    RequestType.OBJECTION: N_(
        "Stop using my data for marketing or profiling (objection)"
    ),
    RequestType.OPT_OUT: N_("Do not sell or share my personal information"),
}


class RequestForm(BaseModel):
    """The public request form as posted (strings; checked by `form_errors`)."""

    type: str = ""
    email: str = ""
    name: str = ""
    location: str = "other"
    details: str = ""
    is_agent: bool = False
    agent_name: str = ""
    agent_email: str = ""
    agent_details: str = ""
    language: str = ""  # the page's language when it was filled in (its switch)
    website: str = ""  # the honeypot: people leave it empty, naive bots fill it in

    @classmethod
    def posted(cls, fields: dict[str, str]) -> "RequestForm":
        """The form from posted fields: unknown ones ignored, the checkbox as a browser
        sends it (present and not "off"/"false"/"0" means ticked), so nothing fails here."""
        known = {key: value for key, value in fields.items() if key in cls.model_fields}
        ticked = known.pop("is_agent", "").strip().lower() not in (
            "",
            "0",
            "off",
            "false",
        )
        return cls(**known, is_agent=ticked)


def form_errors(form: RequestForm) -> dict[str, str]:
    """Field -> message for everything wrong with a posted form (empty when valid)."""
    errors: dict[str, str] = {}
    if form.type not in {item.value for item in RequestType}:
        errors["type"] = N_("Choose what you would like us to do.")
    if not form.email.strip():
        errors["email"] = N_("Enter your email address.")
    elif not is_valid_email(form.email):
        errors["email"] = N_("Enter a valid email address, like name@example.com.")
    if (
        form.is_agent
        and form.agent_email.strip()
        and not is_valid_email(form.agent_email)
    ):
        errors["agent_email"] = N_(
            "Enter a valid email address for yourself as the agent."
        )
    if form.location not in LOCATIONS:
        errors["location"] = N_("Choose where you live.")
    if form.is_agent and not form.agent_name.strip():
        errors["agent_name"] = N_("Enter your name as the person's agent.")
    if form.is_agent and not form.agent_email.strip():
        errors["agent_email"] = N_("Enter your email address as the person's agent.")
    for field, (limit, message) in _LIMITS.items():
        if len(getattr(form, field)) > limit:
            errors.setdefault(field, message)
    for field in (
        "name",
        "email",
        "agent_name",
        "agent_email",
        "details",
        "agent_details",
    ):
        one_line = field not in ("details", "agent_details")
        if text_problem(getattr(form, field), one_line=one_line) is not None:
            errors.setdefault(field, _UNUSABLE[one_line])
    return errors


# The form's longest values, each error on its own field (the maxlength attributes agree).
_LIMITS: dict[str, tuple[int, str]] = {
    "name": (200, N_("Please shorten your name to at most 200 characters.")),
    "email": (320, N_("Please shorten your email address to at most 320 characters.")),
    "details": (5000, N_("Please shorten your message to at most 5,000 characters.")),
    "agent_name": (
        200,
        N_("Please shorten your name (agent) to at most 200 characters."),
    ),
    "agent_email": (
        320,
        N_("Please shorten your email address (agent) to at most 320 characters."),
    ),
    "agent_details": (
        2000,
        N_("Please shorten your authority to act to at most 2,000 characters."),
    ),
}

_UNUSABLE = {
    True: N_("Please write this on one line, without special characters."),
    False: N_("Please remove the special characters from your message."),
}


class RetryBody(BaseModel):
    """Body of retry: one failed task, or every failed task when omitted."""

    model_config = ConfigDict(extra="forbid")
    task_id: int | None = None


class CompleteTaskBody(BaseModel):
    """Body of a manual task's completion: what staff did."""

    model_config = ConfigDict(extra="forbid")
    note: Text = Field(min_length=1, max_length=10_000)
