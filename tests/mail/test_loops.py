"""Loop protection: which inbound mail counts as automatic, bulk or a bounce."""

import csv
from email import policy
from email.message import Message
from email.parser import BytesParser
from pathlib import Path

import pytest

from app.mail.loops import automatic_reason

CORPUS = Path(__file__).parents[1] / "data" / "mail"


def _expected() -> dict[str, dict[str, str]]:
    with (CORPUS / "expected.csv").open(newline="", encoding="utf-8") as table:
        return {row["file"]: row for row in csv.DictReader(table)}


EXPECTED = _expected()


def _message(raw: bytes) -> Message:
    return BytesParser(policy=policy.default).parsebytes(raw)


def _with_headers(*lines: str) -> Message:
    head = "".join(f"{line}\r\n" for line in lines)
    return _message(f"{head}Subject: hello\r\n\r\nbody\r\n".encode())


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_automatic_flag(name: str) -> None:
    reason = automatic_reason(_message((CORPUS / name).read_bytes()))
    assert (reason is not None) is (EXPECTED[name]["automatic"] == "yes")


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("auto_ooo_auto_submitted.eml", "auto-submitted: auto-replied"),
        ("auto_vacation_x_autoreply.eml", "x-autoreply"),
        ("bulk_newsletter_list_id.eml", "list-id"),
        ("bounce_delivery_status.eml", "report: delivery-status"),
    ],
)
def test_corpus_reason_names_the_signal(name: str, reason: str) -> None:
    assert automatic_reason(_message((CORPUS / name).read_bytes())) == reason


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        (["Auto-Submitted: auto-generated"], "auto-submitted: auto-generated"),
        (
            ["Auto-Submitted: auto-replied; owner-email=x@example.org"],
            "auto-submitted: auto-replied",
        ),
        (["Auto-Submitted: AUTO-NOTIFIED"], "auto-submitted: auto-notified"),
        (["Precedence: bulk"], "precedence: bulk"),
        (["Precedence: List"], "precedence: list"),
        (["Precedence: junk"], "precedence: junk"),
        (["Precedence: auto_reply"], "precedence: auto_reply"),
        (["List-Id: <team.lists.example.org>"], "list-id"),
        (["List-Unsubscribe: <mailto:leave@example.org>"], "list-unsubscribe"),
        (["From: MAILER-DAEMON@mx.example.com"], "robot sender: mailer-daemon"),
        (["From: Mail Delivery System <MAILER-DAEMON>"], "robot sender: mailer-daemon"),
        (["From: postmaster@example.org"], "robot sender: postmaster"),
        (
            ["From: Microsoft Outlook <MicrosoftExchange9a8b7c@corp.example>"],
            "delivery system",
        ),
        (["From: a@example.org", "X-MS-Exchange-Message-Is-Ndr: "], "delivery system"),
        (
            ["From: a@example.org", "X-Failed-Recipients: b@example.net"],
            "delivery system",
        ),
        (["From: Shop <no-reply@example.com>"], "robot sender: no-reply"),
        (["From: noreply+invoices@example.com"], "robot sender: noreply+invoices"),
        (["From: do_not_reply@example.com"], "robot sender: do_not_reply"),
        (["From: bounces+1234@example.com"], "robot sender: bounces+1234"),
        (["X-Autoreply: yes"], "x-autoreply"),
        (["X-Autorespond: Out of office"], "x-autorespond"),
        (["X-Auto-Response-Suppress: All"], "x-auto-response-suppress"),
        (["X-Auto-Response-Suppress: DR, OOF, AutoReply"], "x-auto-response-suppress"),
        (["Return-Path: <>"], "empty return-path"),
        (
            [
                "Content-Type: multipart/report; report-type=disposition-notification; boundary=b"
            ],
            "report: disposition-notification",
        ),
        (
            ["Content-Type: text/plain; report-type=delivery-status"],
            "report: delivery-status",
        ),
    ],
)
def test_automatic_signals(headers: list[str], reason: str) -> None:
    assert automatic_reason(_with_headers(*headers)) == reason


@pytest.mark.parametrize(
    "headers",
    [
        [],
        ["From: Jane Doe <jane@example.org>"],
        ["Auto-Submitted: no"],
        ["Auto-Submitted: No (a person wrote this)"],
        ["Precedence: first-class"],
        ["X-Auto-Response-Suppress: RN, NRN"],
        ["From: noreplyjane@example.org"],
        ["From: Postmaster General <jane@example.org>"],
        ["Return-Path: <jane@example.org>"],
    ],
)
def test_person_mail_is_not_automatic(headers: list[str]) -> None:
    assert automatic_reason(_with_headers(*headers)) is None


@pytest.mark.parametrize(
    "raw",
    [
        b"From: =?utf-8?b?RXZpbA0KQmNjOiB4QGV4YW1wbGUub3Jn?= <a@example.com>\r\n\r\nx",
        b"From: <<<>>>\r\nContent-Type: multipart/report; report-type*=''\r\n\r\nx",
        b"Auto-Submitted: \xff\xfe\r\nPrecedence: \x00\r\n\r\nx",
        b"",
    ],
)
def test_hostile_headers_do_not_raise(raw: bytes) -> None:
    automatic_reason(_message(raw))
