"""Reading delivery reports: the returned message's Message-ID and the reason."""

from pathlib import Path

from app.mail.bounces import read_bounce

CORPUS = Path(__file__).parents[1] / "data" / "mail"

HEADERS_ONLY = b"""From: MAILER-DAEMON@mx.example.org
To: privacy@example.com
Subject: Delivery Status Notification (Failure)
Message-ID: <report-2@mx.example.org>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="b"

--b
Content-Type: text/plain

Delivery failed.
--b
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.org

Final-Recipient: rfc822; gone@example.org
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 user unknown
--b
Content-Type: text/rfc822-headers

From: privacy@example.com
To: gone@example.org
Message-ID: <dsr.DSR-7K3MQ9XA.received.abc123@example.com>
Subject: [DSR-7K3MQ9XA] We received your privacy request
--b--
"""


def test_a_full_returned_message_gives_its_id_and_status() -> None:
    bounce = read_bounce((CORPUS / "bounce_delivery_status.eml").read_bytes())
    assert bounce is not None
    assert bounce.message_id == "dsr.DSR-4HX8PQ2M.verify@desk.example.com"
    assert bounce.reason.startswith("Status: 5.4.4")


def test_returned_headers_alone_are_enough() -> None:
    bounce = read_bounce(HEADERS_ONLY.replace(b"\n", b"\r\n"))
    assert bounce is not None
    assert bounce.message_id == "dsr.DSR-7K3MQ9XA.received.abc123@example.com"
    assert "550 5.1.1 user unknown" in bounce.reason


def test_ordinary_mail_and_garbage_are_not_bounces() -> None:
    for name in (
        "en_access_plain.eml",
        "auto_ooo_auto_submitted.eml",
        "garbage_not_mail.eml",
    ):
        assert read_bounce((CORPUS / name).read_bytes()) is None
    assert read_bounce(b"\x00\xff not mail") is None
