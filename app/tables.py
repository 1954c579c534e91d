"""Imports every domain's tables so that `SQLModel.metadata` is complete (Alembic, tests)."""

from sqlmodel import SQLModel

from app.audit.models import AuditChain, Event
from app.exports.models import Export
from app.fanout.models import ConnectorTask, ResultsWork
from app.identity.models import VerificationToken
from app.mail.models import MailboxState, Message
from app.ratelimit import RateHit
from app.requests.models import DsrRequest, Suppression
from app.staff.models import ApiToken, StaffSession, StaffUser

metadata = SQLModel.metadata

__all__ = [
    "ApiToken",
    "AuditChain",
    "ConnectorTask",
    "DsrRequest",
    "Event",
    "Export",
    "MailboxState",
    "Message",
    "RateHit",
    "ResultsWork",
    "StaffSession",
    "StaffUser",
    "Suppression",
    "VerificationToken",
    "metadata",
]
