"""Shared enums: the contract strings that settings and several domains use.

A ticket's type, regulation, status, channel, outcome and denial grounds live here, below
every domain, so that `settings.py` and each domain can name them without importing one.
"""

from enum import StrEnum


class RequestType(StrEnum):
    """What the data subject asks for (GDPR Art. 15-21, CCPA know/delete/correct/opt-out)."""

    ACCESS = "access"
    ERASURE = "erasure"
    RECTIFICATION = "rectification"
    PORTABILITY = "portability"
    RESTRICTION = "restriction"
    OBJECTION = "objection"
    OPT_OUT = "opt_out"


class Regulation(StrEnum):
    """The law whose deadlines and notices apply to a request."""

    GDPR = "gdpr"
    UK_GDPR = "uk_gdpr"
    CCPA = "ccpa"
    VCDPA = "vcdpa"
    CPA = "cpa"
    LGPD = "lgpd"
    PIPEDA = "pipeda"


class Status(StrEnum):
    """Where a ticket stands in its lifecycle (see lifecycle.py for the moves)."""

    UNVERIFIED = "unverified"
    PENDING_REVIEW = "pending_review"
    IN_PROGRESS = "in_progress"
    ACTION_REQUIRED = "action_required"
    COMPLETED = "completed"
    DENIED = "denied"
    CANCELED = "canceled"
    CLOSED = "closed"


class Channel(StrEnum):
    """How the request reached us."""

    FORM = "form"
    EMAIL = "email"
    API = "api"
    STAFF = "staff"


class DenialReason(StrEnum):
    """Grounds for refusing a request in whole or part (legal-rules.md, "Refusals")."""

    MANIFESTLY_UNFOUNDED = "manifestly_unfounded"
    EXCESSIVE = "excessive"
    LEGAL_OBLIGATION = (
        "legal_obligation"  # Art. 17(3)(b): a legal duty to keep the data
    )
    LEGAL_CLAIMS = "legal_claims"  # Art. 17(3)(e)
    PUBLIC_INTEREST = "public_interest"  # Art. 17(3)(c)/(d)
    FREEDOM_OF_EXPRESSION = "freedom_of_expression"  # Art. 17(3)(a)
    RIGHTS_OF_OTHERS = (
        "rights_of_others"  # Art. 15(4): redact rather than refuse where possible
    )
    IDENTITY_NOT_VERIFIED = "identity_not_verified"


class Outcome(StrEnum):
    """How a closed ticket ended; written by the lifecycle together with the final status."""

    COMPLIED = "complied"
    DENIED = "denied"
    CANCELED = "canceled"
    UNVERIFIED = "unverified"  # closed because the requester never confirmed


OPEN_STATUSES = frozenset(
    {
        Status.UNVERIFIED,
        Status.PENDING_REVIEW,
        Status.IN_PROGRESS,
        Status.ACTION_REQUIRED,
    }
)


class Role(StrEnum):
    """What a staff member may do: admin > agent > viewer."""

    ADMIN = "admin"
    AGENT = "agent"
    VIEWER = "viewer"

    @property
    def rank(self) -> int:
        """Higher ranks include every permission of the lower ones."""
        return {Role.VIEWER: 0, Role.AGENT: 1, Role.ADMIN: 2}[self]
