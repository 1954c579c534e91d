"""Issue 13 end to end: nothing lost or misfiled, unsure mail acknowledged, agents, paging."""

from datetime import UTC, datetime

import aiosmtplib
import httpx
import pytest
import time_machine
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col, select

from app.audit import service as audit
from app.enums import RequestType
from app.flows.inbound import ingest
from app.mail.bounces import DELAYED, FAILED, READ, read_bounce
from app.mail.inbound import IngestOutcome
from app.mail.models import Direction, Message, MessageState, Triage
from app.mail.smtpd import Receiver
from app.requests import tickets
from app.requests.models import DsrRequest
from app.settings import Settings


def _mail(
    body: str,
    *,
    subject: str = "Hello",
    sender: str = "Mia Sender <mia@example.org>",
    message_id: str = "m1@example.org",
    headers: str = "",
) -> bytes:
    return (
        f"From: {sender}\r\nTo: support@example.com\r\nSubject: {subject}\r\n"
        f"Date: Tue, 01 Dec 2026 10:00:00 +0000\r\nMessage-ID: <{message_id}>\r\n"
        f"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n{headers}\r\n"
        f"{body}\r\n"
    ).encode()


async def _ingest(app: FastAPI, settings: Settings, raw: bytes) -> IngestOutcome:
    return await ingest(app.state.sessionmaker, raw, settings=settings, source="test")


async def _outbound(session: AsyncSession, kind: str | None = None) -> list[Message]:
    query = select(Message).where(Message.direction == Direction.OUT)
    if kind is not None:
        query = query.where(Message.kind == kind)
    query = query.order_by(col(Message.id)).execution_options(populate_existing=True)
    return list((await session.execute(query)).scalars())


async def _ticket(session: AsyncSession, reference: str | None) -> DsrRequest:
    query = select(DsrRequest).where(DsrRequest.reference == reference)
    query = query.execution_options(populate_existing=True)
    return (await session.execute(query)).scalar_one()


async def _kinds(session: AsyncSession, dsr: DsrRequest) -> list[str]:
    return [event.kind for event in await audit.timeline(session, dsr)]


# --- Requests as people write them open tickets; unsure ones are acknowledged ------------


async def test_a_request_without_legal_words_opens_a_ticket_in_its_language(
    app: FastAPI, session: AsyncSession, settings: Settings
) -> None:
    outcome = await _ingest(
        app,
        settings,
        _mail("Proszę usunąć moje konto i wszystkie dane.", subject="konto"),
    )
    assert outcome.kind == "new_ticket"
    dsr = await _ticket(session, outcome.reference)
    assert (dsr.type, dsr.language) == (RequestType.ERASURE, "pl")


async def test_unsure_mail_that_looks_like_a_request_is_acknowledged_and_waits(
    app: FastAPI, session: AsyncSession, settings: Settings
) -> None:
    raw = _mail(
        "I was charged twice, please refund me or delete my account.", subject="Refund"
    )
    outcome = await _ingest(app, settings, raw)
    assert outcome.kind == "triage"
    [ack] = await _outbound(session)
    assert (ack.kind, ack.to_address, ack.request_id) == (
        "triage_received",
        "mia@example.org",
        None,
    )
    assert "if it is a request about your personal data" in ack.text.lower()
    waiting = (
        await session.execute(select(Message).where(Message.triage == Triage.NEW))
    ).scalar_one()
    assert waiting.classification["acknowledged"] is True
    assert waiting.classification["looks_like_request"] is True


async def test_mail_that_is_no_request_waits_without_an_answer(
    app: FastAPI, session: AsyncSession, settings: Settings
) -> None:
    outcome = await _ingest(
        app, settings, _mail("Are you open on Saturdays?", subject="Opening hours")
    )
    assert outcome.kind == "triage"
    assert await _outbound(session) == []


async def test_an_auto_reply_without_headers_gets_no_answer(
    app: FastAPI, session: AsyncSession, settings: Settings
) -> None:
    raw = _mail(
        "Ich bin bis zum 12. März nicht im Büro. Bitte löschen Sie nichts.",
        subject="Abwesenheitsnotiz: Ihre Nachricht",
    )
    outcome = await _ingest(app, settings, raw)
    assert (outcome.kind, outcome.reason) == ("triage", "auto-reply: subject")
    assert await _outbound(session) == []


# --- Who the request is for ------------------------------------------------------------


async def test_an_agent_opens_the_ticket_for_the_person_named(
    app: FastAPI, session: AsyncSession, settings: Settings
) -> None:
    raw = _mail(
        "Sehr geehrte Damen und Herren, im Auftrag meiner Mandantin, Frau Eva Seidel "
        "(eva.seidel@example.de), verlange ich die Löschung ihrer Daten. Vollmacht anbei.",
        subject="Löschung",
        sender="Dr. Kurt Anwalt <kanzlei@anwalt.example>",
    )
    outcome = await _ingest(app, settings, raw)
    assert outcome.kind == "new_ticket"
    dsr = await _ticket(session, outcome.reference)
    assert (dsr.type, dsr.subject_email, dsr.subject_name) == (
        RequestType.ERASURE,
        "eva.seidel@example.de",
        "Eva Seidel",
    )
    assert (dsr.agent_email, dsr.agent_name) == (
        "kanzlei@anwalt.example",
        "Dr. Kurt Anwalt",
    )


async def test_an_agent_without_the_persons_address_goes_to_triage(
    app: FastAPI, session: AsyncSession, settings: Settings
) -> None:
    raw = _mail(
        "On behalf of my client John Smith, please delete all his data.",
        subject="Erasure",
        sender="counsel@lawfirm.example",
    )
    outcome = await _ingest(app, settings, raw)
    assert (outcome.kind, outcome.reason) == (
        "triage",
        "written for someone else without their address",
    )
    assert (await session.execute(select(DsrRequest))).first() is None
    query = select(Message).where(Message.direction == Direction.IN)
    waiting = (await session.execute(query)).scalar_one()
    assert waiting.classification["agent"]["subject_name"] == "John Smith"
    [ack] = await _outbound(session)  # the agent is told it arrived
    assert (ack.kind, ack.to_address) == ("triage_received", "counsel@lawfirm.example")


# --- Nothing lost: duplicates by Message-ID *and* content --------------------------------


async def test_a_reused_message_id_with_other_content_is_kept(
    app: FastAPI, session: AsyncSession, settings: Settings
) -> None:
    first = _mail(
        "Please delete my data.", subject="Delete", message_id="same@x.example"
    )
    other = _mail(
        "What data do you have about me?",
        subject="Access",
        sender="otto@example.net",
        message_id="same@x.example",
    )
    outcomes = [
        await _ingest(app, settings, raw) for raw in (first, other, first, other)
    ]
    assert [o.kind for o in outcomes] == [
        "new_ticket",
        "new_ticket",
        "duplicate",
        "duplicate",
    ]
    stored = (
        await session.execute(select(Message).where(Message.direction == Direction.IN))
    ).scalars()
    ids = sorted(message.message_id for message in stored)
    assert len(ids) == 2
    assert ids[1] == "same@x.example"
    assert ids[0].endswith(".same@x.example")


async def test_the_same_message_through_another_transport_is_a_duplicate(
    app: FastAPI, settings: Settings
) -> None:
    raw = _mail("Please delete my data.", message_id="relay@x.example")
    relayed = b"Received: from mx.example.net by desk; Tue, 1 Dec 2026\r\n" + raw
    assert (await _ingest(app, settings, raw)).kind == "new_ticket"
    assert (await _ingest(app, settings, relayed)).kind == "duplicate"


# --- Reports about our mail -------------------------------------------------------------


async def _ticket_with_ack(
    app: FastAPI, session: AsyncSession, settings: Settings
) -> tuple[str, str, str]:
    """A ticket whose acknowledgement was sent and read: reference, its Message-ID, subject."""
    outcome = await _ingest(app, settings, _mail("Please delete my personal data."))
    assert outcome.kind == "new_ticket"
    assert outcome.reference is not None
    [ack] = await _outbound(session, "received")
    ack.state = MessageState.SENT
    async with tickets.edit(session, outcome.reference) as locked:
        locked.unread = False  # staff have read it
    await session.commit()
    [ack] = await _outbound(session, "received")
    return outcome.reference, ack.message_id, ack.subject


def _dsn(original_id: str, action: str) -> bytes:
    return (
        "From: MAILER-DAEMON@mx.example.org\r\nTo: privacy@example.com\r\n"
        "Subject: Delivery Status Notification\r\nMessage-ID: <dsn-"
        f"{action}@mx.example.org>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain\r\n\r\nA report.\r\n"
        "--b\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.example.org\r\n\r\n"
        f"Final-Recipient: rfc822; mia@example.org\r\nAction: {action}\r\n"
        "Status: 4.4.7\r\nDiagnostic-Code: smtp; 451 try again later\r\n"
        "--b\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"From: privacy@example.com\r\nMessage-ID: <{original_id}>\r\n"
        "--b--\r\n"
    ).encode()


def _mdn(original_id: str) -> bytes:
    return (
        "From: Mia Sender <mia@example.org>\r\nTo: privacy@example.com\r\n"
        "Subject: Read: We received your privacy request\r\n"
        "Message-ID: <mdn-1@example.org>\r\nMIME-Version: 1.0\r\n"
        "Content-Type: multipart/report; report-type=disposition-notification;"
        ' boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain\r\n\r\nYour message was displayed.\r\n"
        "--b\r\nContent-Type: message/disposition-notification\r\n\r\n"
        "Reporting-UA: mail.example.org; Thunderbird\r\n"
        "Final-Recipient: rfc822;mia@example.org\r\n"
        f"Original-Message-ID: <{original_id}>\r\n"
        "Disposition: manual-action/MDN-sent-manually; displayed\r\n"
        "--b--\r\n"
    ).encode()


def _exim(original_id: str, subject: str) -> bytes:
    return (
        "From: Mail Delivery System <Mailer-Daemon@mx.example.org>\r\n"
        "To: privacy@example.com\r\nSubject: Mail delivery failed: returning message"
        " to sender\r\nMessage-ID: <exim-1@mx.example.org>\r\n\r\n"
        "This message was created automatically by mail delivery software.\r\n\r\n"
        "A message that you sent could not be delivered to one or more of its\r\n"
        "recipients. This is a permanent error. The following address(es) failed:\r\n\r\n"
        "  mia@example.org\r\n    SMTP error from remote mail server after RCPT TO:\r\n"
        "    550 5.1.1 User unknown\r\n\r\n"
        "------ This is a copy of the message, including all the headers. ------\r\n\r\n"
        f"Message-ID: <{original_id}>\r\nSubject: {subject}\r\n\r\nHello,\r\n"
    ).encode()


def _qmail(subject: str) -> bytes:
    return (
        "From: MAILER-DAEMON@mx.example.net\r\nTo: privacy@example.com\r\n"
        "Subject: failure notice\r\nMessage-ID: <qmail-1@mx.example.net>\r\n\r\n"
        "Hi. This is the qmail-send program at mx.example.net.\r\n"
        "I'm afraid I wasn't able to deliver your message to the following addresses.\r\n"
        "This is a permanent error; I've given up. Sorry it didn't work out.\r\n\r\n"
        "<mia@example.org>:\r\n550 sorry, no mailbox here by that name\r\n\r\n"
        "--- Below this line is a copy of the message.\r\n\r\n"
        f"Subject: {subject}\r\n\r\nHello,\r\n"
    ).encode()


def _postfix(original_id: str) -> bytes:
    return (
        "From: MAILER-DAEMON@mx.example.com (Mail Delivery System)\r\n"
        "To: privacy@example.com\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        "Message-ID: <pf-1@mx.example.com>\r\n\r\n"
        "This is the mail system at host mx.example.com.\r\n\r\n"
        "I'm sorry to have to inform you that your message could not\r\n"
        "be delivered to one or more recipients.\r\n\r\n"
        "<mia@example.org>: host mx.example.org said: 550 5.1.1 unknown user\r\n\r\n"
        f"Message-ID: <{original_id}>\r\n"
    ).encode()


def _exchange(original_id: str) -> bytes:
    """Exchange's own report, in French, with the returned message's headers below."""
    return (
        "From: Microsoft Outlook <MicrosoftExchange1f2e3d4c@corp.example.fr>\r\n"
        "To: privacy@example.com\r\nSubject: Non remis : Nous avons bien reçu\r\n"
        "Message-ID: <ndr-1@corp.example.fr>\r\nX-MS-Exchange-Message-Is-Ndr:\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        "Impossible de remettre le message à ces destinataires ou groupes :\r\n\r\n"
        "mia@example.org\r\nLa boîte aux lettres est introuvable.\r\n\r\n"
        "Remote Server returned '550 5.1.1 RESOLVER.ADR.RecipNotFound'\r\n\r\n"
        "En-têtes de message d'origine :\r\n\r\n"
        f"From: privacy@example.com\r\nTo: mia@example.org\r\nMessage-ID: <{original_id}>\r\n"
    ).encode()


def _address_only(recipient: str) -> bytes:
    """A terse report from a mail server that quotes nothing of the returned message."""
    return (
        "From: MAILER-DAEMON <MAILER-DAEMON@mx.example.org>\r\n"
        "To: privacy@example.com\r\nSubject: Mensaje no entregado\r\n"
        "Message-ID: <terse-1@mx.example.org>\r\n\r\n"
        f"El mensaje no se ha podido entregar: el buzón {recipient} no existe.\r\n"
    ).encode()


@pytest.mark.parametrize(
    ("action", "outcome"),
    [("delayed", DELAYED), ("failed", FAILED), ("delivered", "delivered")],
)
def test_delivery_reports_are_read_by_their_action(action: str, outcome: str) -> None:
    bounce = read_bounce(_dsn("ours@example.com", action))
    assert bounce is not None
    assert (bounce.message_id, bounce.outcome) == ("ours@example.com", outcome)


def test_plain_text_bounces_of_common_mtas_are_read() -> None:
    exim = read_bounce(_exim("ours@example.com", "Hi"))
    assert exim is not None
    assert (exim.message_id, exim.outcome) == ("ours@example.com", FAILED)
    assert "550 5.1.1 User unknown" in exim.reason
    qmail = read_bounce(_qmail("[DSR-7K3MQ9XA] We received your privacy request"))
    assert qmail is not None
    assert (qmail.message_id, qmail.reference) == (None, "DSR-7K3MQ9XA")
    postfix = read_bounce(_postfix("ours@example.com"))
    assert postfix is not None
    assert postfix.message_id == "ours@example.com"
    mdn = read_bounce(_mdn("ours@example.com"))
    assert mdn is not None
    assert (mdn.outcome, mdn.reason) == (READ, "Disposition: displayed")


def test_reports_of_a_delivery_system_are_read_by_their_sender() -> None:
    exchange = read_bounce(_exchange("ours@example.com"))
    assert exchange is not None
    assert (exchange.message_id, exchange.outcome) == ("ours@example.com", FAILED)
    assert "550 5.1.1" in exchange.reason
    terse = read_bounce(_address_only("Mia@Example.org"))
    assert terse is not None
    assert (terse.message_id, terse.reference, terse.recipient) == (
        None,
        None,
        "mia@example.org",
    )
    # The same sender's other notices say nothing failed: not reports about our mail.
    quota = _mail(
        "Your mailbox privacy@example.com is 90 % full.",
        sender="postmaster@mx.example.org",
        subject="Quota warning",
    )
    assert read_bounce(quota) is None


async def test_a_delay_warning_is_an_event_not_a_failure(
    app: FastAPI, session: AsyncSession, settings: Settings
) -> None:
    reference, ack_id, _ = await _ticket_with_ack(app, session, settings)
    outcome = await _ingest(app, settings, _dsn(ack_id, "delayed"))
    assert (outcome.kind, outcome.reference) == ("report", reference)
    dsr = await _ticket(session, reference)
    [ack] = await _outbound(session, "received")
    assert ack.state is MessageState.SENT
    assert not dsr.unread
    assert "mail_delayed" in await _kinds(session, dsr)


async def test_a_read_receipt_is_an_event_not_a_failure(
    app: FastAPI, session: AsyncSession, settings: Settings
) -> None:
    reference, ack_id, _ = await _ticket_with_ack(app, session, settings)
    outcome = await _ingest(app, settings, _mdn(ack_id))
    assert outcome.kind == "report"
    [ack] = await _outbound(session, "received")
    assert ack.state is MessageState.SENT
    dsr = await _ticket(session, reference)
    assert not dsr.unread
    assert "mail_read" in await _kinds(session, dsr)


@pytest.mark.parametrize("mta", ["exim", "qmail", "postfix", "exchange", "terse"])
async def test_a_plain_text_bounce_lands_on_its_ticket(
    app: FastAPI, session: AsyncSession, settings: Settings, mta: str
) -> None:
    reference, ack_id, ack_subject = await _ticket_with_ack(app, session, settings)
    raw = {
        "exim": lambda: _exim(ack_id, ack_subject),
        "qmail": lambda: _qmail(ack_subject),
        "postfix": lambda: _postfix(ack_id),
        "exchange": lambda: _exchange(ack_id),
        # Nothing of ours quoted: our latest mail to the failed address.
        "terse": lambda: _address_only("mia@example.org"),
    }[mta]()
    outcome = await _ingest(app, settings, raw)
    assert (outcome.kind, outcome.reference) == ("bounce", reference)
    [ack] = await _outbound(session, "received")
    assert ack.state is MessageState.FAILED
    dsr = await _ticket(session, reference)
    assert dsr.unread
    assert "mail_bounced" in await _kinds(session, dsr)


# --- Auto-replies on a ticket -----------------------------------------------------------


async def test_an_auto_reply_on_a_ticket_leaves_it_read(
    app: FastAPI, session: AsyncSession, settings: Settings
) -> None:
    reference, ack_id, ack_subject = await _ticket_with_ack(app, session, settings)
    raw = _mail(
        "I am currently out of the office until Monday.",
        subject=f"Automatic reply: {ack_subject}",
        message_id="ooo-1@example.org",
        headers=f"In-Reply-To: <{ack_id}>\r\n",
    )
    outcome = await _ingest(app, settings, raw)
    assert (outcome.kind, outcome.reference) == ("reply", reference)
    dsr = await _ticket(session, reference)
    assert not dsr.unread
    [event] = [
        e for e in await audit.timeline(session, dsr) if e.kind == "mail_received"
    ]
    assert (event.actor, event.data["automatic"]) == ("system", True)


# --- The triage inbox: pages and the legal clock ----------------------------------------


async def test_the_inbox_pages_newest_first_with_the_legal_clock(
    app: FastAPI, client: httpx.AsyncClient, agent: dict[str, str], settings: Settings
) -> None:
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=UTC), tick=False):
        for number in range(5):
            raw = _mail(
                f"Question number {number}", message_id=f"q{number}@example.org"
            )
            assert (await _ingest(app, settings, raw)).kind == "triage"
    with time_machine.travel(datetime(2026, 3, 12, 9, 0, tzinfo=UTC), tick=False):
        first = await client.get(
            "/api/v1/inbox", params={"limit": 2, "order": "newest"}, headers=agent
        )
        assert first.status_code == 200
        page = first.json()
        assert [item["message_id"] for item in page] == [
            "q4@example.org",
            "q3@example.org",
        ]
        clock = page[0]["clock"]
        assert (clock["days_waited"], clock["overdue"]) == (10, False)
        assert clock["regulation"] == str(settings.default_regulation)
        assert clock["days_left"] > 0
        cursor = first.headers["X-Next-Cursor"]
        assert 'rel="next"' in first.headers["Link"]
        rest = await client.get(
            "/api/v1/inbox",
            params={"limit": 2, "order": "newest", "cursor": cursor},
            headers=agent,
        )
        assert [item["message_id"] for item in rest.json()] == [
            "q2@example.org",
            "q1@example.org",
        ]
        oldest = await client.get("/api/v1/inbox", params={"limit": 10}, headers=agent)
        assert oldest.json()[0]["message_id"] == "q0@example.org"
        assert "Link" not in oldest.headers
        bad = await client.get("/api/v1/inbox", params={"cursor": "zz"}, headers=agent)
        assert bad.status_code == 422


# --- Over real SMTP on loopback ---------------------------------------------------------


async def test_a_request_in_everyday_words_by_smtp_opens_a_ticket(
    receiver: Receiver, db_maker: async_sessionmaker[AsyncSession]
) -> None:
    raw = _mail(
        "hej, ta bort mitt konto och allt om mig tack", message_id="s@x.example"
    )
    async with aiosmtplib.SMTP(hostname="127.0.0.1", port=receiver.port) as smtp:
        await smtp.mail("mia@example.org")
        await smtp.rcpt("support@example.com")
        response = await smtp.data(raw)
    assert response.code == 250
    async with db_maker() as session:
        dsr = (await session.execute(select(DsrRequest))).scalar_one()
        assert (dsr.type, dsr.language) == (RequestType.ERASURE, "sv")
        sent = await _outbound(session, "received")
        assert [message.to_address for message in sent] == ["mia@example.org"]
