"""When an emailed request reached our mailbox: the moment its legal clock starts.

The clock starts when the request was received (GDPR Art. 12(3)), which for mail is its
arrival in the mailbox: the IMAP server's INTERNALDATE, the SMTP receiver's own clock, or
for a saved `.eml` the topmost `Received:` header, the one our own mail server added last.
Never the `Date:` header: the sender's clock says when it was written, and anyone can set it.
"""

import email.utils
from datetime import UTC, datetime
from email.parser import BytesHeaderParser
from email.policy import compat32

__all__ = ["from_received_header", "within"]


def from_received_header(raw: bytes) -> datetime | None:
    """The date of the topmost `Received:` header (after its last `;`), or None."""
    headers = BytesHeaderParser(policy=compat32).parsebytes(raw)
    topmost = headers.get_all("Received") or []
    if not topmost:
        return None
    _, semicolon, stamp = str(topmost[0]).rpartition(";")
    if not semicolon:
        return None
    try:
        moment = email.utils.parsedate_to_datetime(" ".join(stamp.split()))
    except (TypeError, ValueError, IndexError):
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def within(moment: datetime | None, now: datetime) -> datetime | None:
    """The arrival time as UTC, never later than `now` (a mail server's clock may run fast)."""
    if moment is None:
        return None
    return min(moment.astimezone(UTC), now)
