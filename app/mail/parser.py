"""Parsing raw inbound mail into a `ParsedMail`: threading, sender, text, attachments.

This is the boundary between untrusted bytes and the rest of the pipeline.
`parse_message` never raises: whatever is malformed (MIME structure, charsets, base64,
headers, plain garbage) is reported in `ParsedMail.defects` and the best possible
reading is returned. Forwarded requests are unfolded into the text so the classifier
sees the original words. Attachment contents are measured and dropped, never kept.
"""

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.feedparser import BytesFeedParser
from email.message import Message
from email.parser import BytesParser
from itertools import islice

from app.mail import loops, mime
from app.mail.mime import Defects, one_line, raw_header
from app.requests.reference import ALPHABET, LENGTH

MAX_SUBJECT_CHARS = 998  # RFC 5322 line limit; also the Message.subject column
MAX_ID_CHARS = 255  # the Message.message_id column
MAX_REFERENCES = 100
MAX_RECIPIENTS = 50
MAX_DEPTH = 20  # MIME nesting; real mail rarely goes past 5
MAX_PARTS = 500
MAX_ATTACHMENTS = 100
MAX_ADDRESS_CHARS = 254  # RFC 5321 path limit
# The stdlib's parser does work per part, per line, and per line again for each multipart
# open around it: 40,000 empty parts in 400 KB take it 10 s, 25 MB of them many minutes.
# Past these bounds only the start of the message is parsed; real mail stays far below
# them (25 MB of base64 is 330,000 lines).
MAX_DELIMITER_LINES = MAX_PARTS  # the parts past them would not be read anyway
MAX_LINES = 1_000_000
MAX_BOUNDARY_CHECKS = 5_000_000  # lines x multiparts
WINDOW = 1 << 20  # bytes one scan of a raw message covers before the GIL can move on

# People retype references: any dash or none, any case, full-width forms (via NFKC).
_REFERENCE = re.compile(
    rf"(?<![A-Z0-9])DSR[-\u2010-\u2014\u2212]?([{ALPHABET}]{{{LENGTH}}})(?![A-Z0-9])",
    re.IGNORECASE | re.ASCII,
)
# A msg-id is printable ASCII between angle brackets (RFC 5322 section 3.6.4).
_MSG_ID = re.compile(r"<([\x21-\x3b\x3d\x3f-\x7e]+)>")
_BARE_MSG_ID = re.compile(r"[\x21-\x3b\x3d\x3f-\x7e]+@[\x21-\x3b\x3d\x3f-\x7e]+")
_DELIMITER_LINE = re.compile(rb"^--", re.MULTILINE)
_MULTIPART = re.compile(rb"multipart", re.IGNORECASE)
_LINE_END = re.compile(rb"\n")
# Mail clients' markers for an inline forward (Gmail, Apple Mail, localised variants).
_FORWARD_MARKER = re.compile(
    r"^[ \t>]*(?:-{3,} ?(?:forwarded message|weitergeleitete nachricht"
    r"|message transf[eé]r[eé]|mensaje reenviado|messaggio inoltrato"
    r"|doorgestuurd bericht|mensagem encaminhada) ?-{3,}"
    r"|begin forwarded message:|anfang der weitergeleiteten nachricht:"
    r"|d[eé]but du message r[eé]exp[eé]di[eé] ?:)",
    re.IGNORECASE | re.MULTILINE,
)
# Outlook marks forwards and replies alike, so these count only under a forward subject.
_ORIGINAL_MARKER = re.compile(
    r"^[ \t>]*(?:-{3,} ?(?:original message|urspr[uü]ngliche nachricht"
    r"|message d'origine|mensaje original|messaggio originale"
    r"|oorspronkelijk bericht|mensagem original) ?-{3,}"
    r"|_{20,}$)",
    re.IGNORECASE | re.MULTILINE,
)
_FORWARD_SUBJECT = re.compile(
    r"^\W*(?:fwd?|fw|wg|tr|rv|enc|i|doorst)\s*:", re.IGNORECASE
)
_FROM_LINE = re.compile(
    r"^[ \t>*]*(?:from|von|de|da|van|fra)[ \t]*:[ \t]*(.+)$",
    re.IGNORECASE | re.MULTILINE,
)
_BRACKETED_EMAIL = re.compile(r"<([^<>\s]+@[^<>\s]+)>")
_EMAIL = re.compile(
    r"([^\s<>\[\]():;,\"'@]+@[^\s<>\[\]():;,\"'@]+\.[^\s<>\[\]():;,\"'@]+)"
)


@dataclass(frozen=True, slots=True)
class Attachment:
    """What we know about an attachment: metadata only, the bytes are never kept."""

    filename: str | None
    content_type: str
    size: int
    too_large: bool


@dataclass(frozen=True, slots=True)
class ParsedMail:
    """One inbound message, decoded and sanitised for threading, triage and display."""

    message_id: str | None
    in_reply_to: str | None
    references: tuple[str, ...]
    subject: str
    from_address: str | None
    from_name: str | None
    to: tuple[str, ...]
    date: datetime | None
    text: str
    attachments: tuple[Attachment, ...]
    is_automatic: bool
    automatic_reason: str | None
    defects: tuple[str, ...]
    forwarded_from: str | None


def find_reference(subject: str) -> str | None:
    """The first ticket reference in `subject` as `DSR-XXXXXXXX`, or None."""
    match = _REFERENCE.search(unicodedata.normalize("NFKC", subject))
    return f"DSR-{match.group(1).upper()}" if match else None


def parse_message(
    raw: bytes, *, max_attachment_bytes: int = 10_000_000, max_text_chars: int = 200_000
) -> ParsedMail:
    """Parse raw RFC 5322 bytes; never raises, problems are listed in `defects`."""
    limits = (max_attachment_bytes, max_text_chars)
    defects = Defects()
    try:
        msg = _parse(_bounded(raw, defects))
        return _build(msg, defects, *limits, read_body=True)
    except Exception as exc:  # e.g. RecursionError on thousands of nested parts
        defects.add(f"parser error: {type(exc).__name__}: {one_line(str(exc), 200)}")
    try:
        # Keep at least the headers, so the mail can still be threaded and triaged.
        msg = BytesParser(policy=mime.POLICY).parsebytes(raw, headersonly=True)
        return _build(msg, defects, *limits, read_body=False)
    # Last line of defence: one hostile message must not stop intake.
    except Exception as exc:
        defects.add(f"header parser error: {type(exc).__name__}")
        return _unreadable(defects)


def _bounded(raw: bytes, defects: Defects) -> bytes:
    """The start of `raw` that the stdlib's parser reads in bounded time."""
    cut = len(raw)
    delimiters = (
        match
        for start, stop in _windows(raw, cut)
        for match in _DELIMITER_LINE.finditer(raw, start, stop)
    )
    if (extra := next(islice(delimiters, MAX_DELIMITER_LINES, None), None)) is not None:
        cut = extra.start()
    multiparts = sum(
        len(_MULTIPART.findall(raw, start, stop)) for start, stop in _windows(raw, cut)
    )
    most_lines = min(MAX_LINES, MAX_BOUNDARY_CHECKS // max(multiparts, 1))
    lines = 0
    for start, stop in _windows(raw, cut):
        here = raw.count(b"\n", start, stop)
        if lines + here > most_lines:
            ends = _LINE_END.finditer(raw, start, stop)
            cut = next(islice(ends, most_lines - lines, None)).start()
            break
        lines += here
    if cut == len(raw):
        return raw
    defects.add("MIME structure too large; the rest of the message was not read")
    return raw[:cut]


def _windows(raw: bytes, end: int) -> Iterator[tuple[int, int]]:
    """Spans of about WINDOW bytes, each ending after a line, that cover `raw[:end]`.

    One regular-expression scan of a 25 MB message holds the GIL for ~80 ms, and with it
    the event loop, though it runs in a worker thread: a window at a time lets the loop in.
    """
    start = 0
    while start < end:
        stop = raw.find(b"\n", min(start + WINDOW, end), end)
        stop = end if stop < 0 else stop + 1
        yield start, stop
        start = stop


def _parse(raw: bytes) -> Message:
    """The stdlib's parse of `raw`, fed a window at a time (see `_windows`)."""
    parser = BytesFeedParser(policy=mime.POLICY)
    for start in range(0, len(raw), WINDOW):
        parser.feed(raw[start : start + WINDOW])
    return parser.close()


def _unreadable(defects: Defects) -> ParsedMail:
    return ParsedMail(
        message_id=None,
        in_reply_to=None,
        references=(),
        subject="",
        from_address=None,
        from_name=None,
        to=(),
        date=None,
        text="",
        attachments=(),
        is_automatic=False,
        automatic_reason=None,
        defects=defects.as_tuple(),
        forwarded_from=None,
    )


def _build(
    msg: Message,
    defects: Defects,
    max_attachment_bytes: int,
    max_text_chars: int,
    *,
    read_body: bool,
) -> ParsedMail:
    subject = one_line(
        mime.decode_words(raw_header(msg, "Subject") or ""),
        MAX_SUBJECT_CHARS,
        defects,
        "Subject",
    )
    senders = mime.addresses(msg, "From", defects)
    if not senders:
        defects.add("missing or unusable From")
    message_ids = _msg_ids(msg, "Message-ID", defects)
    references = _msg_ids(msg, "References", defects)
    if len(references) > MAX_REFERENCES:
        # Keep the thread root (our first message) and the most recent ancestors.
        references = references[:1] + references[-(MAX_REFERENCES - 1) :]
    body = _Body(max_attachment_bytes, max_text_chars, defects)
    if read_body:
        body.walk(msg, depth=0, label="message", in_report=False)
    text = body.text()
    recipients = [address for _, address in mime.addresses(msg, "To", defects)]
    try:
        reason = loops.automatic_reason(msg)
    except Exception as exc:  # loop detection reads the same hostile headers
        defects.add(f"automatic check failed: {type(exc).__name__}")
        reason = None
    if reason is None:
        reason = loops.automatic_text_reason(subject, text)
    return ParsedMail(
        message_id=message_ids[0] if message_ids else None,
        in_reply_to=next(iter(_msg_ids(msg, "In-Reply-To", defects)), None),
        references=tuple(references),
        subject=subject,
        from_address=senders[0][1] if senders else None,
        from_name=senders[0][0] if senders else None,
        to=tuple(recipients[:MAX_RECIPIENTS]),
        date=_date(msg, defects),
        text=text,
        attachments=tuple(body.attachments),
        is_automatic=reason is not None,
        automatic_reason=reason,
        defects=defects.as_tuple(),
        forwarded_from=_forwarded_from(text, subject),
    )


def _msg_ids(msg: Message, name: str, defects: Defects) -> list[str]:
    """Message-IDs from a header, without angle brackets, de-duplicated in order."""
    raw = raw_header(msg, name)
    if raw is None:
        if name == "Message-ID":
            defects.add("missing Message-ID")
        return []
    found = _MSG_ID.findall(raw)
    if not found and _BARE_MSG_ID.fullmatch(raw.strip()):
        found = [raw.strip()]  # some mailers omit the brackets
    # A dict, not a list: a References header may hold a million ids.
    ids: dict[str, None] = {}
    for value in found:
        if len(value) > MAX_ID_CHARS:
            defects.add(f"{name}: message id longer than {MAX_ID_CHARS} characters")
        else:
            ids[value] = None
    if not ids:
        defects.add(f"{name}: no valid message id")
    return list(ids)


def _date(msg: Message, defects: Defects) -> datetime | None:
    if raw_header(msg, "Date") is None:
        defects.add("missing Date")
        return None
    try:
        header = msg["Date"]
        defects.add_all("Date", getattr(header, "defects", ()))
        value = getattr(header, "datetime", None)
        if not isinstance(value, datetime):
            defects.add("Date: unparseable")
            return None
        # RFC 5322 "-0000" means "UTC, local zone unknown"; the stdlib returns it naive.
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
    except Exception as exc:  # out-of-range dates and parser bugs alike
        defects.add(f"Date: {type(exc).__name__}")
        return None


class _Body:
    """Walks the MIME tree once, collecting text sections and attachment metadata."""

    def __init__(
        self, max_attachment_bytes: int, max_text_chars: int, defects: Defects
    ):
        self._max_attachment = max_attachment_bytes
        self._max_chars = max_text_chars
        self._defects = defects
        self._parts = 0
        self._chars = 0
        self.sections: list[str] = []
        self.attachments: list[Attachment] = []

    def walk(self, part: Message, depth: int, label: str, in_report: bool) -> None:
        self._parts += 1
        if depth > MAX_DEPTH or self._parts > MAX_PARTS:
            self._defects.add("MIME tree too deep or too large; rest ignored")
            return
        try:
            self._walk_part(part, depth, label, in_report)
        except Exception as exc:  # one unreadable part must not cost the others
            self._defects.add(f"{label}: unreadable part: {type(exc).__name__}")
        self._defects.add_all(label, part.defects)  # base64 defects appear once decoded

    def _walk_part(
        self, part: Message, depth: int, label: str, in_report: bool
    ) -> None:
        ctype = mime.content_type(part)
        payload = part.get_payload()
        if isinstance(payload, list):
            children = [child for child in payload if isinstance(child, Message)]
            if ctype == "message/rfc822" and not in_report and children:
                self._forwarded(children[0], depth, label)
            elif ctype == "multipart/alternative":
                self._alternative(children, depth, label, in_report)
            elif ctype.startswith("multipart/"):
                # A bounce quotes our own mail: never read it as the sender's words.
                report = in_report or ctype == "multipart/report"
                for index, child in enumerate(children, 1):
                    self.walk(child, depth + 1, _child_label(label, index), report)
            # other message/* parts (delivery-status, returned mail): no sender text
        elif ctype in ("text/plain", "text/html") or ctype.startswith("multipart/"):
            # A multipart without a usable boundary is one string: read it as text.
            if (
                mime.disposition(part) == "attachment"
                or mime.filename(part) is not None
            ):
                self._attachment(part, ctype)
            else:
                self._add_text(self._decode(part, label), html=ctype == "text/html")
        else:
            self._attachment(part, ctype)

    def _alternative(
        self, children: list[Message], depth: int, label: str, in_report: bool
    ) -> None:
        # Prefer the sender's plain text; HTML only when the plain part is empty.
        for wanted in ("text/plain", "text/html"):
            for child in children:
                if mime.content_type(child) == wanted:
                    text = self._decode(child, label)
                    if text.strip():
                        self._add_text(text, html=wanted == "text/html")
                        return
        for index, child in enumerate(children, 1):
            if mime.content_type(child).startswith("multipart/"):
                self.walk(child, depth + 1, _child_label(label, index), in_report)
                return

    def _forwarded(self, inner: Message, depth: int, label: str) -> None:
        # Written like an inline forward, so one search finds the innermost original sender.
        lines = ["---------- Forwarded message ----------"]
        for name in ("From", "Date", "Subject", "To"):
            value = raw_header(inner, name)
            if value is not None:
                lines.append(f"{name}: {one_line(mime.decode_words(value), 300)}")
        self.sections.append("\n".join(lines))
        self.walk(inner, depth + 1, label, in_report=False)

    def _add_text(self, text: str, *, html: bool) -> None:
        if self._chars > self._max_chars:
            self._defects.add("text truncated")
            return
        if html:
            # html2text is slow on huge input; markup is rarely more than 5x its text.
            text = mime.html_to_text(text[: self._max_chars * 5], self._defects)
        self._chars += len(text)
        self.sections.append(text)

    def _decode(self, part: Message, label: str) -> str:
        data = mime.payload_bytes(part, self._defects, label)
        if data is None:
            return ""
        if len(data) > self._max_chars * 5:
            self._defects.add(f"{label}: text part truncated")
            data = data[: self._max_chars * 5]
        return mime.decode_bytes(data, mime.charset(part), self._defects, label)

    def _attachment(self, part: Message, ctype: str) -> None:
        if len(self.attachments) >= MAX_ATTACHMENTS:
            self._defects.add(f"more than {MAX_ATTACHMENTS} attachments; rest ignored")
            return
        size = self._size(part)
        self.attachments.append(
            Attachment(mime.filename(part), ctype, size, size > self._max_attachment)
        )

    def _size(self, part: Message) -> int:
        encoded = part.get_payload()
        if not isinstance(encoded, str):
            return 0
        cte = (raw_header(part, "Content-Transfer-Encoding") or "").strip().lower()
        if cte == "base64":
            # Measure without decoding: 4 characters carry 3 bytes, minus the padding.
            chars = len(encoded) - sum(encoded.count(space) for space in " \t\r\n")
            estimate = chars * 3 // 4 - encoded.rstrip()[-2:].count("=")
            if estimate > self._max_attachment:
                return estimate
        data = mime.payload_bytes(part, self._defects, "attachment")
        return len(data) if data is not None else 0

    def text(self) -> str:
        """All sections as one clean text, capped."""
        text = "\n\n".join(
            section.strip("\n") for section in self.sections if section.strip()
        )
        text = mime.clean_body(text)
        if len(text) > self._max_chars:
            self._defects.add("text truncated")
            text = text[: self._max_chars]
        return text


def _child_label(label: str, index: int) -> str:
    return f"part {index}" if label == "message" else f"{label}.{index}"


def _forwarded_from(text: str, subject: str) -> str | None:
    """The sender named under the last (innermost) forward marker in `text`, if any."""
    markers = list(_FORWARD_MARKER.finditer(text))
    if not markers and _FORWARD_SUBJECT.match(subject):
        markers = list(_ORIGINAL_MARKER.finditer(text))
    for marker in reversed(markers):
        from_line = _FROM_LINE.search(text, marker.end(), marker.end() + 2000)
        if from_line is None:
            continue
        value = from_line.group(1).replace("mailto:", " ")
        # Prefer the bracketed address: a display name may itself contain an "@".
        address = _BRACKETED_EMAIL.search(value) or _EMAIL.search(value)
        if address is not None and len(address.group(1)) <= MAX_ADDRESS_CHARS:
            local, _, domain = address.group(1).rstrip(".").rpartition("@")
            return f"{local}@{domain.lower()}"
    return None
