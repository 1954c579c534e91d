"""Polling the support@ mailbox over IMAP: every message in the folder is ingested exactly once.

Client. The standard library's `imaplib`, each blocking command run in a worker thread
(`anyio.to_thread`). A poll is a short sequence of commands on one connection, so threads
cost nothing that matters, and imaplib is typed, has no dependencies and has met decades of
servers; aioimaplib would add a dependency and its own response parsing for no gain here.
The connection is only ever used by one command at a time.

Exactly once. The `mailbox_state` row of the folder holds its UIDVALIDITY and a watermark,
`last_uid`: every message up to it is finished. A poll lists the UIDs above the watermark
(`UID FETCH n:* (RFC822.SIZE)`; `n:*` also matches the highest UID when that is below `n`,
so those are dropped) and, in UID order, for each message:
1. downloads it with `BODY.PEEK[]`, which does not set `\\Seen`;
2. calls `ingest`, which commits its own transaction and deduplicates by Message-ID;
3. only then sets `\\Seen` and advances the watermark, in a transaction of its own.
A crash between 2 and 3 leaves the message unseen and above the watermark: the next poll
downloads it again and `ingest` answers "duplicate". When UIDVALIDITY changes (the folder
was recreated or restored) the UIDs mean nothing any more: the poll starts again from UID 1
and relies on the same deduplication.

Failures. A message is finished when it was ingested, was a duplicate, was refused by
`ingest` ("rejected"), is larger than the size limit, or vanished before it was downloaded.
Refused and oversized messages are left unread in the folder for a person to look at.
Anything else that goes wrong with one message (the server will not deliver it, `ingest`
raises something that is not a database error) is counted and logged with its UID, and the
poll goes on with the next messages, but the watermark stays below the failed one: it is
retried at every poll until it succeeds, and the messages after it are downloaded again
each time (cheap duplicates) until then. Database errors and a broken IMAP connection end
the poll with an exception; everything finished so far is recorded.
"""

import base64
import contextlib
import imaplib
import re
import ssl
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, ParamSpec, TypeVar

import anyio.to_thread
from sqlalchemy import update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from app.db import session_scope, utcnow
from app.errors import DsrError
from app.logging import failure, log
from app.mail.inbound import IngestFunc
from app.mail.models import MailboxState
from app.mail.smtpd import MAX_MESSAGE_BYTES
from app.settings import Security, Settings

TIMEOUT_SECONDS = 60.0
_UID = re.compile(rb"\bUID (\d+)", re.IGNORECASE)
_SIZE = re.compile(rb"\bRFC822\.SIZE (\d+)", re.IGNORECASE)

P = ParamSpec("P")
T = TypeVar("T")


class MailboxError(DsrError):
    """The IMAP mailbox cannot be polled: not configured, unreachable, refused or cut off."""

    status, slug, title = 502, "mailbox-unavailable", "The IMAP mailbox is unavailable"


@dataclass(slots=True)
class FetchResult:
    """What one poll did, in messages."""

    fetched: int = 0  # downloaded
    ingested: int = 0  # new tickets, replies and triage mail
    duplicates: int = 0  # already stored
    rejected: int = 0  # refused by ingest or too large; left unread
    errors: int = 0  # failed; retried at the next poll


_INTERNALDATE = re.compile(rb'INTERNALDATE "([^"]+)"', re.IGNORECASE)


def _internal_date(head: bytes) -> datetime | None:
    """The INTERNALDATE of a FETCH response line ("01-Dec-2026 09:14:05 +0100"), aware."""
    found = _INTERNALDATE.search(head)
    if found is None:
        return None
    stamp = found.group(1).decode("ascii", "replace").strip()
    try:
        return datetime.strptime(stamp, "%d-%b-%Y %H:%M:%S %z")
    except ValueError:
        return None


class _CommandFailed(Exception):
    """The server answered NO or BAD to a command about one message."""


class _Mailbox:
    """A logged-in IMAP connection with the folder selected; blocking, used from a thread."""

    def __init__(self, client: imaplib.IMAP4, uidvalidity: int) -> None:
        self._client = client
        self._open = True
        self.uidvalidity = uidvalidity

    @classmethod
    def open(cls, settings: Settings, context: ssl.SSLContext | None) -> "_Mailbox":
        host, username, password = _credentials(settings)
        client = _connect(host, settings, context)
        try:
            _login(client, username, password)
            typ, data = client.select(mailbox_name(settings.imap_folder))
            if typ != "OK":
                raise MailboxError(
                    f"IMAP folder {settings.imap_folder!r} cannot be opened: {_text(data)}"
                )
            _, values = client.response("UIDVALIDITY")
            if not values or values[0] is None:
                raise MailboxError("the IMAP server reports no UIDVALIDITY")
            return cls(client, int(values[0]))
        except imaplib.IMAP4.error as exc:
            _shutdown(client)
            raise MailboxError(f"cannot open the IMAP mailbox: {exc}") from exc
        except BaseException:
            _shutdown(client)
            raise

    def list_after(self, last_uid: int) -> list[tuple[int, int]]:
        """UIDs above `last_uid`, ascending, with their sizes."""
        typ, data = self._client.uid("FETCH", f"{last_uid + 1}:*", "(RFC822.SIZE)")
        if typ != "OK":
            raise MailboxError(f"IMAP listing failed: {_text(data)}")
        found: dict[int, int] = {}
        for item in data:
            line = item[0] if isinstance(item, tuple) else item
            if not isinstance(line, bytes):
                continue
            uid, size = _UID.search(line), _SIZE.search(line)
            if uid and size and int(uid.group(1)) > last_uid:
                found[int(uid.group(1))] = int(size.group(1))
        return sorted(found.items())

    def fetch(self, uid: int) -> tuple[bytes, datetime | None] | None:
        """The raw message and its INTERNALDATE (when the server received it), without
        setting \\Seen; None when it no longer exists."""
        data = self._message_command("FETCH", str(uid), "(INTERNALDATE BODY.PEEK[])")
        for item in data:
            if isinstance(item, tuple) and b"BODY[]" in item[0].upper():
                return bytes(item[1]), _internal_date(item[0])
        return None

    def mark_seen(self, uid: int) -> None:
        """Set \\Seen on one message."""
        self._message_command("STORE", str(uid), "+FLAGS.SILENT", r"(\Seen)")

    def _message_command(self, command: str, *args: str) -> list[Any]:
        try:
            typ, data = self._client.uid(command, *args)
        except imaplib.IMAP4.abort:
            raise
        except imaplib.IMAP4.error as exc:  # BAD
            raise _CommandFailed(str(exc)) from exc
        if typ != "OK":
            raise _CommandFailed(_text(data))
        return data

    def logout(self) -> None:
        """Say goodbye and close the connection."""
        if self._open:
            self._open = False
            self._client.logout()

    def close(self) -> None:
        """Close the connection without a goodbye (after an error); idempotent."""
        if self._open:
            self._open = False
            _shutdown(self._client)


async def fetch_once(
    maker: async_sessionmaker[AsyncSession],
    settings: Settings,
    *,
    ssl_context: ssl.SSLContext | None = None,
    ingest_func: IngestFunc,
    max_bytes: int = MAX_MESSAGE_BYTES,
) -> FetchResult:
    """Hand the messages that arrived in the IMAP folder since the last poll to
    `ingest_func` (the pipeline, `app.flows.inbound.ingest`)."""
    mailbox = await _imap(_Mailbox.open, settings, ssl_context)
    try:
        poll = _Poll(maker, settings, mailbox, max_bytes, ingest_func)
        result = await poll.run()
        await _imap(mailbox.logout)
    finally:
        mailbox.close()
    # An empty poll every minute is routine: shown at debug only.
    (log.info if result.fetched else log.debug)(
        "mail.imap.fetched", folder=settings.imap_folder, **asdict(result)
    )
    return result


class _Poll:
    """One pass over the folder (see the module docstring for the rules)."""

    def __init__(
        self,
        maker: async_sessionmaker[AsyncSession],
        settings: Settings,
        mailbox: _Mailbox,
        max_bytes: int,
        ingest_func: IngestFunc,
    ) -> None:
        self.maker = maker
        self.settings = settings
        self.folder = settings.imap_folder
        self.mailbox = mailbox
        self.max_bytes = max_bytes
        self.ingest = ingest_func
        self.result = FetchResult()

    async def run(self) -> FetchResult:
        last_uid = await self._start()
        pending = await _imap(self.mailbox.list_after, last_uid)
        held = False  # an earlier message failed: the watermark must stay below it
        for uid, size in pending:
            held = not await self._one(uid, size) or held
            if not held:
                await self._advance(uid)
        return self.result

    async def _one(self, uid: int, size: int) -> bool:
        """Handle one message; True when it is finished and the watermark may pass it."""
        result = self.result
        if size > self.max_bytes:
            result.rejected += 1
            log.warning("mail.imap.too_large", uid=uid, size=size, limit=self.max_bytes)
            return True
        try:
            fetched = await _imap(self.mailbox.fetch, uid)
        except _CommandFailed as exc:
            result.errors += 1
            log.error("mail.imap.fetch_failed", uid=uid, answer=str(exc)[:200])
            return False
        if fetched is None:
            log.info("mail.imap.vanished", uid=uid)  # expunged since the listing
            return True
        raw, arrived = fetched
        result.fetched += 1
        try:
            # The legal clock starts when the server received the request (INTERNALDATE).
            outcome = await self.ingest(
                self.maker,
                raw,
                settings=self.settings,
                source="imap",
                received_at=arrived,
            )
        except (SQLAlchemyError, OSError):
            raise  # the database is in trouble: stop; the next poll resumes here
        except Exception as exc:
            result.errors += 1
            log.error("mail.imap.ingest_failed", uid=uid, **failure(exc))
            return False
        if outcome.kind == "rejected":
            result.rejected += 1
            log.warning("mail.imap.rejected", uid=uid, reason=outcome.reason)
            return True
        if outcome.kind == "duplicate":
            result.duplicates += 1
        else:
            result.ingested += 1
        log.info(
            "mail.imap.ingested",
            uid=uid,
            kind=outcome.kind,
            reference=outcome.reference,
        )
        try:
            await _imap(self.mailbox.mark_seen, uid)
        except _CommandFailed as exc:  # cosmetic: the message is stored either way
            log.warning("mail.imap.flag_failed", uid=uid, answer=str(exc)[:200])
        return True

    async def _start(self) -> int:
        """The folder's watermark; reset to 0 when UIDVALIDITY changed."""
        uidvalidity = self.mailbox.uidvalidity
        async with session_scope(self.maker) as session:
            state = await session.get(MailboxState, self.folder)
            if state is None:
                session.add(MailboxState(folder=self.folder, uidvalidity=uidvalidity))
                return 0
            if state.uidvalidity != uidvalidity:
                log.warning(
                    "mail.imap.uidvalidity_changed",
                    folder=self.folder,
                    old=state.uidvalidity,
                    new=uidvalidity,
                )
                state.uidvalidity = uidvalidity
                state.last_uid = 0
                state.updated_at = utcnow()
                return 0
            return state.last_uid

    async def _advance(self, uid: int) -> None:
        """Move the watermark up to `uid`: never down, never across a UIDVALIDITY change."""
        async with session_scope(self.maker) as session:
            await session.execute(
                update(MailboxState)
                .where(
                    col(MailboxState.folder) == self.folder,
                    col(MailboxState.uidvalidity) == self.mailbox.uidvalidity,
                    col(MailboxState.last_uid) < uid,
                )
                .values(last_uid=uid, updated_at=utcnow())
            )


async def _imap(func: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run one blocking IMAP step in a worker thread; a broken connection is a MailboxError."""
    try:
        return await anyio.to_thread.run_sync(lambda: func(*args, **kwargs))
    except (imaplib.IMAP4.abort, OSError) as exc:
        raise MailboxError(f"IMAP connection failed: {exc}") from exc
    except imaplib.IMAP4.error as exc:  # BAD, or a capability we need is missing
        raise MailboxError(f"IMAP command failed: {exc}") from exc


def _credentials(settings: Settings) -> tuple[str, str, str]:
    if not settings.imap_host:
        raise MailboxError("IMAP polling is off: DSR_IMAP_HOST is not set")
    if not settings.imap_username or settings.imap_password is None:
        raise MailboxError("DSR_IMAP_USERNAME and DSR_IMAP_PASSWORD must be set")
    return (
        settings.imap_host,
        settings.imap_username,
        settings.imap_password.get_secret_value(),
    )


def _connect(
    host: str, settings: Settings, context: ssl.SSLContext | None
) -> imaplib.IMAP4:
    """Connect with the configured security; certificates are always verified."""
    if settings.imap_security is Security.NONE:
        return imaplib.IMAP4(host, settings.imap_port, timeout=TIMEOUT_SECONDS)
    context = context or ssl.create_default_context()
    if settings.imap_security is Security.TLS:
        return imaplib.IMAP4_SSL(
            host, settings.imap_port, ssl_context=context, timeout=TIMEOUT_SECONDS
        )
    client = imaplib.IMAP4(host, settings.imap_port, timeout=TIMEOUT_SECONDS)
    try:
        client.starttls(context)
    except BaseException:
        _shutdown(client)
        raise
    return client


def _shutdown(client: imaplib.IMAP4) -> None:
    """Close the socket without a LOGOUT; a connection that is already broken is fine."""
    with contextlib.suppress(OSError):
        client.shutdown()


def _login(client: imaplib.IMAP4, username: str, password: str) -> None:
    # AUTHENTICATE PLAIN carries any UTF-8 password; LOGIN only ASCII ones.
    if "AUTH=PLAIN" in client.capabilities:
        secret = f"\0{username}\0{password}".encode()
        client.authenticate("PLAIN", lambda _challenge: secret)
    else:
        client.login(username, password)


def mailbox_name(folder: str) -> str:
    """`folder` as an IMAP quoted string, in modified UTF-7 (RFC 3501 5.1.3)."""
    out: list[str] = []
    run: list[str] = []

    def flush() -> None:
        if run:
            data = base64.b64encode("".join(run).encode("utf-16-be")).decode("ascii")
            out.append("&" + data.rstrip("=").replace("/", ",") + "-")
            run.clear()

    for char in folder:
        if " " <= char <= "~":
            flush()
            out.append("&-" if char == "&" else char)
        else:
            run.append(char)
    flush()
    encoded = "".join(out).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{encoded}"'


def _text(data: list[Any]) -> str:
    first = data[0] if data else None
    if isinstance(first, bytes):
        return first.decode("utf-8", "replace")[:200]
    return str(first)[:200]
