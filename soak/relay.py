"""A recording SMTP relay on loopback (aiosmtpd): every accepted message, in order.

The fault run keeps it in its own process, where a hook sees each message before the
relay answers 250 and can act right after the answer (kill the worker that sent it). The
load run starts it as a process of its own (`python -m soak.relay PORT FILE`), writing one
JSON line per accepted message, so that relaying costs the load generator nothing.
"""

import json
import re
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

# new_message_id(): dsr.<reference>.<template>.<hex>@domain, the reference left out when
# the mail is about no ticket.
_MESSAGE_ID = re.compile(r"<dsr\.(?:(DSR-[A-Z0-9]+)\.)?([a-z_]+)\.[0-9a-f]+@[^>]+>")


@dataclass(frozen=True, slots=True)
class Accepted:
    """One message the relay answered 250 to."""

    message_id: str
    reference: str | None
    template: str
    to: tuple[str, ...]
    at: float  # time.monotonic()
    peer_port: int
    sender_pid: int | None = None
    text: str = ""


# Called in the relay's thread with the client's port before the 250 is sent; whatever
# it returns is called on the relay's loop right after the answer has been written.
Hook = Callable[[int], tuple[int | None, Callable[[], None] | None]]


def parse(raw: bytes, peer_port: int, to: tuple[str, ...]) -> Accepted:
    """What the suites need of a message: its Message-ID, ticket, template and text."""
    parsed = message_from_bytes(raw, policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    message_id = str(parsed.get("Message-ID", ""))
    match = _MESSAGE_ID.fullmatch(message_id.strip())
    body = parsed.get_body(preferencelist=("plain",))
    text = body.get_content() if isinstance(body, EmailMessage) else ""
    return Accepted(
        message_id=message_id.strip(),
        reference=match.group(1) if match else None,
        template=match.group(2) if match else "",
        to=to,
        at=time.monotonic(),
        peer_port=peer_port,
        text=text,
    )


@dataclass
class Relay:
    """An SMTP server that keeps what it accepts; stop() and start() simulate an outage."""

    port: int
    hook: Hook | None = None
    sink: Callable[[Accepted], None] | None = None  # instead of keeping them
    accepted: list[Accepted] = field(default_factory=list)
    _first: dict[tuple[str | None, str], Accepted] = field(default_factory=dict)
    _controller: Controller | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        """Record the message; the hook may name its sender and act after the 250."""
        peer_port = int(session.peer[1]) if session.peer else 0
        record = parse(
            envelope.original_content or b"", peer_port, tuple(envelope.rcpt_tos)
        )
        after: Callable[[], None] | None = None
        if self.hook is not None:
            pid, after = self.hook(peer_port)
            record = replace(record, sender_pid=pid)
        with self._lock:
            if self.sink is not None:
                self.sink(record)
            else:
                self.accepted.append(record)
                self._first.setdefault((record.reference, record.template), record)
        if after is not None:
            # aiosmtpd writes the answer once this returns: act on the next turns of
            # the loop, when the 250 is on its way to the worker.
            server.loop.call_later(0.001, after)
        return "250 OK"

    def start(self) -> None:
        """Listen on the port (again, after stop())."""
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        """Stop listening and drop open sessions: the relay is down."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def running(self) -> bool:
        """True while the relay accepts connections."""
        return self._controller is not None

    def find(self, reference: str, template: str) -> Accepted | None:
        """The first accepted mail of a template about a ticket, if any yet."""
        with self._lock:
            return self._first.get((reference, template))

    def snapshot(self) -> list[Accepted]:
        """A copy of what was accepted so far."""
        with self._lock:
            return list(self.accepted)


def _fields(record: Accepted) -> dict[str, object]:
    return {name: getattr(record, name) for name in Accepted.__slots__}


def read_log(path: Path) -> list[Accepted]:
    """The messages a relay process wrote to its JSON-lines file."""
    records = []
    for line in path.read_text().splitlines():
        data = json.loads(line)
        data["to"] = tuple(data["to"])
        records.append(Accepted(**data))
    return records


def main() -> None:
    """Serve as a process of its own: `python -m soak.relay PORT FILE`."""
    port, out = int(sys.argv[1]), Path(sys.argv[2])
    with out.open("a") as log:

        def write(record: Accepted) -> None:
            log.write(json.dumps(_fields(record) | {"text": ""}) + "\n")
            log.flush()

        relay = Relay(port, sink=write)
        relay.start()
        print("relay ready", flush=True)
        threading.Event().wait()


if __name__ == "__main__":
    main()
