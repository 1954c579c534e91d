"""Art. 19 GDPR: telling each recipient of `privacy.yaml` about an erasure, and saying how.

Each recipient's `erasure` notice decides what happens, and the report and the audit event
state exactly that, never more:
- `connector`: the erasure that connector ran on this ticket is the notice (`erased`,
  `scheduled`, `manual` — a staff task — or `not_held`); if it ran no task here, the
  recipient was `not_reached`;
- `email`: a mail to the recipient's privacy contact, naming the person and the ticket
  reference, is queued in the outbox (tracked and retried like every mail): `emailed`;
- `exempt`: not told, with the reason from `privacy.yaml`;
- no notice configured: `not_told`.
"""

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.fanout.models import ConnectorTask, TaskStatus
from app.mail import outbox
from app.privacy import PrivacyFacts
from app.requests.models import DsrRequest
from app.settings import Settings

# What happened to one recipient (the contract strings of the report and the audit event).
WAYS = frozenset(
    {"erased", "already_erased", "scheduled", "manual", "not_held"}
    | {"not_reached", "emailed", "exempt"}
    | {"not_told"}
)


@dataclass(frozen=True, slots=True)
class Notice:
    """One recipient and what was done to tell it; `message_id` for a mailed notice."""

    name: str
    way: str
    detail: str | None = None
    message_id: str | None = None

    def as_report(self) -> dict[str, Any]:
        """The mail template's shape: name, way, detail."""
        return {"name": self.name, "way": self.way, "detail": self.detail}

    def as_audit(self) -> dict[str, Any]:
        """The audit event's shape: no personal value (organisations and ids only)."""
        fact = {"name": self.name, "way": self.way}
        return fact | ({"message_id": self.message_id} if self.message_id else {})


async def notify_recipients(
    session: AsyncSession,
    dsr: DsrRequest,
    facts: PrivacyFacts,
    systems: dict[str, str],
    *,
    settings: Settings,
) -> list[Notice]:
    """Tell every recipient as configured; `systems` maps connector -> its outcome here."""
    notices: list[Notice] = []
    for recipient in facts.recipients:
        notice = recipient.erasure
        if notice is None:
            notices.append(Notice(recipient.name, "not_told"))
        elif notice.connector is not None:
            outcome = systems.get(notice.connector, "not_reached")
            notices.append(Notice(recipient.name, outcome))
        elif notice.email is not None:
            message = await outbox.queue(
                session,
                settings=settings,
                template="recipient_erasure",
                to=notice.email,
                context={
                    "recipient": recipient.name,
                    "subject_email": dsr.subject_email,
                    "person_name": dsr.subject_name,
                },
                dsr=dsr,
                automatic=False,  # a request to act, not an automatic reply
            )
            notices.append(
                Notice(recipient.name, "emailed", message_id=message.message_id)
            )
        else:
            notices.append(Notice(recipient.name, "exempt", detail=notice.exempt))
    return notices


def outcome_of(task: ConnectorTask) -> str:
    """What a connector's task did: erased, already_erased (an interrupted attempt: the
    count is a lower bound and zero is not "not held"), scheduled (the vendor finishes;
    once its job is confirmed done, erased), manual, not_held."""
    erased = sum(value for value in task.counts.values() if isinstance(value, int))
    if task.instructions:
        return "manual"
    if task.count_unknown:
        return "already_erased"
    if task.job_ref and task.status is not TaskStatus.SUCCEEDED:
        return "scheduled"
    return "erased" if erased else "not_held"
