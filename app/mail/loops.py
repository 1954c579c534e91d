"""Mail-loop protection: recognising inbound mail that is automatic, bulk or a bounce.

Such mail must never get an automatic reply (RFC 3834 section 2), or two robots answer
each other forever. This module only reads headers; the per-sender hourly reply limit
needs the database and lives with the inbound service.
"""

import re
from email.message import Message

# RFC 3834 section 5: any value but "no" marks a message as automatically generated.
_AUTO_SUBMITTED_HUMAN = "no"

# RFC 2076 / de-facto: these Precedence values mark bulk, list and vacation mail.
_BULK_PRECEDENCE = frozenset({"bulk", "list", "junk", "auto_reply", "auto-reply"})

# Exchange/Outlook: the sender asks not to be answered by robots (OOF = out of office).
_SUPPRESS_VALUES = frozenset({"all", "oof", "autoreply"})

# Role accounts that send bounces and notifications, with "+tag"/"-suffix" variants.
_ROBOT_SENDER = re.compile(
    r"^(?:mailer-daemon|postmaster|no[-_.]?reply|do[-_.]?not[-_.]?reply|bounces?)"
    r"(?:[-+.].*)?$",
    re.IGNORECASE,
)
_KEYWORD = re.compile(r"[A-Za-z0-9_-]+")
_ADDRESS_IN_BRACKETS = re.compile(r"<([^<>]*)>")


def _header(msg: Message, name: str) -> str | None:
    """The header as one line, or None; never raises on broken values."""
    try:
        value = msg.get(name)
    except Exception:  # a malformed header must not stop loop detection
        return None
    if value is None:
        return None
    try:
        return " ".join(str(value).split())
    except Exception:  # str() of a defective header object can fail
        return None


def _sender_local_part(msg: Message) -> str | None:
    """The local part of From (or of a bare `MAILER-DAEMON` without a domain)."""
    value = _header(msg, "From")
    if not value:
        return None
    match = _ADDRESS_IN_BRACKETS.search(value)
    address = match.group(1) if match else value.split()[0]
    return address.rsplit("@", 1)[0].strip().strip('"') or None


def _content_type(msg: Message) -> str:
    try:
        return msg.get_content_type()
    except Exception:  # RFC 2045: a broken Content-Type means text/plain
        return "text/plain"


def _report_type(msg: Message) -> str | None:
    try:
        param = msg.get_param("report-type")
    except Exception:  # parameter parsing of hostile headers can fail
        return None
    return param.lower() if isinstance(param, str) else None


def automatic_reason(msg: Message) -> str | None:
    """Why `msg` is automatic, bulk or a bounce (a short label); None for a person."""
    auto_submitted = _header(msg, "Auto-Submitted")
    if auto_submitted:
        # The keyword may be followed by parameters and CFWS comments (RFC 3834 section 5).
        keyword = _KEYWORD.match(auto_submitted)
        value = keyword.group(0).lower() if keyword else "unknown"
        if value != _AUTO_SUBMITTED_HUMAN:
            return f"auto-submitted: {value}"
    if _content_type(msg) == "multipart/report":
        return f"report: {_report_type(msg) or 'unknown'}"
    if _report_type(msg) == "delivery-status":
        return "report: delivery-status"
    # A null reverse-path is what MTAs use for bounces and RFC 3834 for auto-replies.
    if _header(msg, "Return-Path") == "<>":
        return "empty return-path"
    local_part = _sender_local_part(msg)
    if local_part and _ROBOT_SENDER.match(local_part):
        return f"robot sender: {local_part.lower()}"
    for name in ("X-Autoreply", "X-Autorespond"):
        if _header(msg, name):
            return name.lower()
    suppress = _header(msg, "X-Auto-Response-Suppress")
    if suppress:
        values = {part.strip().lower() for part in suppress.split(",")}
        if values & _SUPPRESS_VALUES:
            return "x-auto-response-suppress"
    precedence = _header(msg, "Precedence")
    if precedence and precedence.lower() in _BULK_PRECEDENCE:
        return f"precedence: {precedence.lower()}"
    for name in ("List-Id", "List-Unsubscribe"):
        if _header(msg, name):
            return name.lower()
    return None
