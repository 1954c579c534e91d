"""Delivery reports about our mail: which message they are about, and what happened to it.

Three shapes arrive. RFC 3464 delivery reports (`multipart/report;
report-type=delivery-status`) say per recipient what happened in `Action`: `failed` is a
bounce, `delayed` only a warning that the server keeps trying, `delivered`/`relayed`/
`expanded` a success. RFC 8098 read receipts (`report-type=disposition-notification`) say
the message was displayed (or deleted unread): an event, never a failure. And many servers
still send plain-text bounces (Exim, qmail, Postfix's and others' own wording) with the
returned message quoted below a marker; those are recognised by their wording or by a
delivery system's sender (MAILER-DAEMON, postmaster, Exchange's own address), and the
returned message is found by its quoted Message-ID, failing that by the ticket reference in
its quoted subject, and failing both by the failed recipient the report names (the caller
then takes our latest mail to that address).
"""

import re
from dataclasses import dataclass
from email import message_from_bytes
from email.message import Message

from app.mail.loops import from_delivery_system
from app.mail.mime import ADDRESS_IN_TEXT, POLICY, Defects, decode_bytes, one_line
from app.mail.parser import find_reference

MAX_REASON = 300
MAX_SCAN = 200_000  # a plain bounce's wording and quoted headers come first

# What a report says about our message.
FAILED = "failed"
DELAYED = "delayed"
DELIVERED = "delivered"
READ = "read"

_QUOTED_ID = re.compile(r"^[ \t>]*Message-ID:[ \t]*<([^<>\s]+)>", re.I | re.M)
_QUOTED_SUBJECT = re.compile(r"^[ \t>]*Subject:[ \t]*(.+)$", re.I | re.M)
_SMTP_REPLY = re.compile(
    r"\b[45]\d\d[- ][^\n]{0,200}|\b[45]\.\d{1,3}\.\d{1,3}\b[^\n]{0,200}"
)
# The opening words of plain-text reports, as MTAs write them.
_PLAIN_REPORT = re.compile(
    r"this message was created automatically by mail delivery software"  # Exim
    r"|this is the qmail-send program"  # qmail
    r"|this is the mail system at host"  # Postfix
    r"|could not be delivered to one or more of its recipients"
    r"|i'm afraid i wasn't able to deliver your message"
    r"|your message could not be delivered"
    r"|delivery to the following recipients? failed"  # Exchange, Sendmail
    r"|the following addresses? had permanent fatal errors"  # Sendmail
    r"|has not yet been delivered|message not delivered|undeliverable:"
    r"|delivery has failed"
    # The same in the other languages we read.
    r"|konnte nicht zugestellt werden|unzustellbar|n'a pas pu [êe]tre (?:remis|distribu[ée])"
    r"|no (?:se )?ha podido (?:ser )?entregar|mensaje no entregado|non [èe] stato possibile"
    r"|recapitare|kon niet worden afgeleverd|onbestelbaar|n[ãa]o p[ôo]de ser entregue"
    r"|nie (?:mog[łl]a|mo[żz]na) (?:zosta[ćc] )?dostarczy|kunde inte levereras"
    # Exchange's report in each language ("Delivery has failed to these recipients").
    r"|konnte nicht an .{0,60}(?:übermittelt|zugestellt)|impossible de remettre"
    r"|no se pudo entregar|kan niet worden bezorgd|bezorging is mislukt"
    r"|impossibile recapitare|recapito non riuscito|falha na entrega"
    r"|n[ãa]o foi poss[íi]vel entregar|dostarczenie .{0,60}nie powiod[łl]o si[ęe]"
    r"|det gick inte att leverera|leveransen misslyckades",
    re.I,
)
_PLAIN_FAILURE = re.compile(
    r"could not be delivered|wasn't able to deliver|was not able to deliver"
    r"|permanent error|permanent fatal|delivery has failed|undeliverable|failed:"
    r"|message not delivered|i've given up|returned to sender|nicht zugestellt"
    r"|unzustellbar|pas pu [êe]tre|no entregado|podido entregar|non [èe] stato possibile"
    r"|niet worden afgeleverd|n[ãa]o p[ôo]de|nie mog[łl]a|kunde inte levereras"
    r"|konnte nicht an|impossible de remettre|non remis|no se pudo entregar"
    r"|no se puede entregar|niet worden bezorgd|onbestelbaar|mislukt|recapitare"
    r"|non recapitabile|falha na entrega|poss[íi]vel entregar|nie powiod[łl]o"
    r"|niedostarczalna|gick inte att leverera|misslyckades|olevererbart",
    re.I,
)
# Where a report starts quoting the returned message's headers.
_QUOTED_HEADER = re.compile(
    r"^[ \t>]*(?:From|To|Subject|Date|Message-ID):", re.I | re.M
)
_PLAIN_DELAY = re.compile(
    r"has not yet been delivered|has been delayed|is delayed|delivery is delayed"
    r"|will continue trying|still trying|this is only a warning|warning: message .* delayed",
    re.I,
)
_DELIVERY_FAILED_ACTIONS = frozenset({"failed"})
_SUCCESS_ACTIONS = frozenset({"delivered", "relayed", "expanded"})


@dataclass(frozen=True, slots=True)
class Bounce:
    """A report about one of our messages."""

    message_id: str | None  # the reported message's Message-ID, without angle brackets
    reason: str  # Status and Diagnostic-Code, or the receipt's disposition
    outcome: str = FAILED  # failed | delayed | delivered | read
    reference: str | None = None  # the ticket named in the quoted subject
    recipient: str | None = None  # the failed address, when nothing of ours is quoted


def read_bounce(raw: bytes) -> Bounce | None:
    """What a delivery report or read receipt says about which message; None for other mail."""
    try:
        report = message_from_bytes(raw, policy=POLICY)
    except Exception:  # the parser itself gave up: not a report we can use
        return None
    try:
        if report.get_content_type() == "multipart/report":
            if _param(report, "report-type") == "disposition-notification":
                return _receipt(report)
            return _delivery_report(report)
        return _plain_bounce(report)
    except Exception:  # hostile structure: treat as ordinary automatic mail
        return None


def _param(msg: Message, name: str) -> str | None:
    value = msg.get_param(name)
    return value.lower() if isinstance(value, str) else None


def _delivery_report(report: Message) -> Bounce | None:
    message_id, reason, actions = None, [], []
    for part in report.walk():
        kind = part.get_content_type()
        if kind == "message/delivery-status":
            lines, part_actions = _status_lines(part)
            reason += lines
            actions += part_actions
        elif kind in ("message/rfc822", "text/rfc822-headers") and message_id is None:
            message_id = _returned_id(part)
    if not message_id:
        return None
    return Bounce(
        message_id=message_id,
        reason="; ".join(reason)[:MAX_REASON] or "bounced",
        outcome=_outcome(actions),
    )


def _outcome(actions: list[str]) -> str:
    # One failed recipient is a bounce; without any Action at all, assume the worst.
    if not actions or _DELIVERY_FAILED_ACTIONS & set(actions):
        return FAILED
    if "delayed" in actions:
        return DELAYED
    if _SUCCESS_ACTIONS & set(actions):
        return DELIVERED
    return FAILED


def _status_lines(part: Message) -> tuple[list[str], list[str]]:
    # A delivery-status part is a sequence of header blocks: per message, then per recipient.
    lines, actions = [], []
    blocks = part.get_payload() if part.is_multipart() else []
    for block in blocks if isinstance(blocks, list) else []:
        if not isinstance(block, Message):
            continue
        if block.get("Action"):
            actions.append(str(block["Action"]).strip().lower())
        for name in ("Status", "Diagnostic-Code"):
            if block.get(name):
                lines.append(f"{name}: {one_line(str(block[name]), 200)}")
    return lines, actions


def _receipt(report: Message) -> Bounce | None:
    message_id, disposition = None, "displayed"
    for part in report.walk():
        kind = part.get_content_type()
        if kind == "message/disposition-notification":
            fields = _fields(part)
            message_id = fields.get("original-message-id", "").strip().strip("<>")
            value = fields.get("disposition", "")
            disposition = value.rpartition(";")[2].strip() or disposition
        elif kind in ("message/rfc822", "text/rfc822-headers") and not message_id:
            message_id = _returned_id(part) or ""
    if not message_id:
        return None
    return Bounce(
        message_id=one_line(message_id, 255),
        reason=f"Disposition: {one_line(disposition, 100)}",
        outcome=READ,
    )


def _fields(part: Message) -> dict[str, str]:
    """The fields of a message/disposition-notification part, lower-cased names."""
    payload = part.get_payload()
    blocks = payload if isinstance(payload, list) else []
    fields: dict[str, str] = {}
    for block in blocks:
        if isinstance(block, Message):
            for name, value in block.items():
                fields.setdefault(name.lower(), one_line(str(value), 300))
    if not fields:  # some mailers send it as plain text
        data = part.get_payload(decode=True)
        text = data.decode("utf-8", "replace") if isinstance(data, bytes) else ""
        for line in text.splitlines():
            name, _, value = line.partition(":")
            if value:
                fields.setdefault(name.strip().lower(), value.strip())
    return fields


def _plain_bounce(msg: Message) -> Bounce | None:
    text = _plain_text(msg)
    if not text:
        return None
    head = text[:3000]
    opening = _PLAIN_REPORT.search(head)
    if opening is None and not from_delivery_system(msg):
        return None
    subject_line = str(msg.get("Subject", ""))
    failed = _PLAIN_FAILURE.search(head) or _PLAIN_FAILURE.search(subject_line)
    delayed = _PLAIN_DELAY.search(head) or _PLAIN_DELAY.search(subject_line)
    if opening is None and not (failed or delayed):
        return None  # a delivery system's other notices (a quota warning, a digest)
    quoted = text[opening.end() :] if opening else text
    found = _QUOTED_ID.search(quoted)
    subject = _QUOTED_SUBJECT.search(quoted)
    reference = find_reference(subject.group(1)) if subject else None
    recipient = None
    if found is None and reference is None:
        recipient = _failed_recipient(msg, quoted)
        if recipient is None:
            return None
    reply = _SMTP_REPLY.search(quoted)
    reason = one_line(reply.group(0), 200) if reply else "bounced"
    return Bounce(
        message_id=found.group(1) if found else None,
        reason=reason[:MAX_REASON],
        outcome=DELAYED if delayed and not failed else FAILED,
        reference=reference,
        recipient=recipient,
    )


def _failed_recipient(msg: Message, report: str) -> str | None:
    """The address the report says failed: Exim's header, else the first one it names
    above the returned message's headers."""
    named = ADDRESS_IN_TEXT.search(str(msg.get("X-Failed-Recipients", "")))
    if named is None:
        quoted = _QUOTED_HEADER.search(report)
        named = ADDRESS_IN_TEXT.search(report[: quoted.start()] if quoted else report)
    return named.group(0).lower() if named else None


def _plain_text(msg: Message) -> str:
    """The text parts of a message and the headers of any returned message in it."""
    pieces: list[str] = []
    size = 0
    for part in msg.walk():
        if size > MAX_SCAN:
            break
        kind = part.get_content_type()
        if kind == "text/plain":
            data = part.get_payload(decode=True)
            if isinstance(data, bytes):
                piece = decode_bytes(
                    data[:MAX_SCAN], part.get_content_charset(), Defects(), "bounce"
                )
                pieces.append(piece)
                size += len(piece)
        elif kind in ("message/rfc822", "text/rfc822-headers"):
            returned = _returned_id(part)
            if returned:
                pieces.append(f"Message-ID: <{returned}>")
    return "\n".join(pieces)


def _returned_id(part: Message) -> str | None:
    returned: object = None
    if part.get_content_type() == "message/rfc822":
        inner = part.get_payload()
        returned = inner[0] if isinstance(inner, list) and inner else None
    else:  # text/rfc822-headers: the headers alone, as text
        headers = part.get_payload(decode=True)
        if isinstance(headers, bytes):
            returned = message_from_bytes(headers, policy=POLICY)
    if not isinstance(returned, Message):
        return None
    value = returned.get("Message-ID")
    return one_line(str(value), 255).strip().strip("<>") if value else None
