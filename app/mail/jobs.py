"""Mail jobs: send the outbox; poll the support@ mailbox when IMAP is configured."""

from apscheduler.triggers.interval import IntervalTrigger

from app.flows import inbound
from app.jobs import JobContext, job
from app.logging import log
from app.mail import outbox
from app.mail.imap import MailboxError, fetch_once
from app.mail.transport import transport_for
from app.settings import Settings


@job("outbox", IntervalTrigger(seconds=15), wake_on="outbox")
async def send_outbox(context: JobContext) -> None:
    """Send queued mail that is due; failures are rescheduled with backoff."""
    await outbox.deliver_due(
        context.sessionmaker,
        transport_for(context.settings),
        data_dir=context.settings.data_dir,
    )


def _imap_interval(settings: Settings) -> IntervalTrigger:
    return IntervalTrigger(seconds=settings.imap_poll_seconds)


@job("mail-fetch", _imap_interval)
async def fetch_mail(context: JobContext) -> None:
    """Poll the support@ mailbox over IMAP when DSR_IMAP_HOST is set."""
    if not context.settings.imap_host:
        return
    try:
        await fetch_once(
            context.sessionmaker, context.settings, ingest_func=inbound.ingest
        )
    except MailboxError as exc:
        log.warning("mail.imap.unavailable", detail=exc.detail)
