"""Bounces (RFC 3464 delivery reports): which of our messages came back, and why."""

from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import Message

from app.mail.mime import one_line

MAX_REASON = 300


@dataclass(frozen=True, slots=True)
class Bounce:
    """A delivery report about one of our messages."""

    message_id: str  # the returned message's Message-ID, without angle brackets
    reason: str  # Status and Diagnostic-Code of the report


def read_bounce(raw: bytes) -> Bounce | None:
    """The returned message and the failure reason of a delivery report, if it is one."""
    try:
        report = message_from_bytes(raw, policy=policy.default)
    except Exception:  # the parser itself gave up: not a report we can use
        return None
    if report.get_content_type() != "multipart/report":
        return None
    message_id, reason = None, []
    for part in report.walk():
        kind = part.get_content_type()
        if kind == "message/delivery-status":
            reason += _status_lines(part)
        elif kind in ("message/rfc822", "text/rfc822-headers") and message_id is None:
            message_id = _returned_id(part)
    if not message_id:
        return None
    return Bounce(
        message_id=message_id, reason="; ".join(reason)[:MAX_REASON] or "bounced"
    )


def _status_lines(part: Message) -> list[str]:
    # A delivery-status part is a sequence of header blocks: per message, then per recipient.
    lines = []
    blocks = part.get_payload() if part.is_multipart() else []
    for block in blocks if isinstance(blocks, list) else []:
        if not isinstance(block, Message):
            continue
        for name in ("Status", "Diagnostic-Code"):
            if block.get(name):
                lines.append(f"{name}: {one_line(str(block[name]), 200)}")
    return lines


def _returned_id(part: Message) -> str | None:
    returned: object = None
    if part.get_content_type() == "message/rfc822":
        inner = part.get_payload()
        returned = inner[0] if isinstance(inner, list) and inner else None
    else:  # text/rfc822-headers: the headers alone, as text
        headers = part.get_payload(decode=True)
        if isinstance(headers, bytes):
            returned = message_from_bytes(headers, policy=policy.default)
    if not isinstance(returned, Message):
        return None
    value = returned.get("Message-ID")
    return one_line(str(value), 255).strip().strip("<>") if value else None
