"""Inbound parsing over the .eml corpus, mutated corpus bytes and hand-built edge cases."""

import base64
import csv
import dataclasses
import random
from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.mail.parser import Attachment, ParsedMail, find_reference, parse_message

CORPUS = Path(__file__).parents[1] / "data" / "mail"
FILES = sorted(path.name for path in CORPUS.glob("*.eml"))


def _expected() -> dict[str, dict[str, str]]:
    with (CORPUS / "expected.csv").open(newline="", encoding="utf-8") as table:
        return {row["file"]: row for row in csv.DictReader(table)}


EXPECTED = _expected()


def _parse(name: str, **limits: int) -> ParsedMail:
    return parse_message((CORPUS / name).read_bytes(), **limits)


def _assert_sane(parsed: ParsedMail) -> None:
    """Invariants that hold for any input, however hostile."""
    assert isinstance(parsed, ParsedMail)
    for value in (parsed.subject, parsed.from_name or "", parsed.from_address or ""):
        assert "\r" not in value
        assert "\n" not in value
    strings = [
        parsed.subject,
        parsed.text,
        *parsed.defects,
        *parsed.references,
        *parsed.to,
    ]
    strings += [
        parsed.message_id or "",
        parsed.in_reply_to or "",
        parsed.from_name or "",
    ]
    strings += [parsed.from_address or "", parsed.forwarded_from or ""]
    strings += [attachment.filename or "" for attachment in parsed.attachments]
    for value in strings:
        value.encode(
            "utf-8"
        )  # no lone surrogates: the database must be able to store it
    assert parsed.date is None or parsed.date.tzinfo is not None
    assert all(isinstance(item, Attachment) for item in parsed.attachments)


def test_every_corpus_file_has_an_expectation_row() -> None:
    assert sorted(EXPECTED) == FILES
    assert len(FILES) >= 25


def test_committed_corpus_is_small() -> None:
    assert sum(path.stat().st_size for path in CORPUS.iterdir()) < 300_000


@pytest.mark.parametrize("name", FILES)
def test_corpus_file_parses_without_raising(name: str) -> None:
    _assert_sane(_parse(name))


@pytest.mark.parametrize("name", FILES)
def test_reference_is_found_in_subject(name: str) -> None:
    assert find_reference(_parse(name).subject) == (EXPECTED[name]["reference"] or None)


@pytest.mark.parametrize("name", FILES)
def test_automatic_flag_matches_table(name: str) -> None:
    parsed = _parse(name)
    assert parsed.is_automatic is (EXPECTED[name]["automatic"] == "yes")
    assert (parsed.automatic_reason is not None) is parsed.is_automatic


def _mutations(raw: bytes, seed: str) -> list[bytes]:
    rng = random.Random(seed)
    variants = [raw[: len(raw) * cut // 8] for cut in range(8)]
    for _ in range(24):
        data = bytearray(raw)
        kind = rng.randrange(5)
        at = rng.randrange(len(data) or 1)
        if kind == 0:
            data[at : at + 1] = bytes([rng.randrange(256)])
        elif kind == 1:
            data[at:at] = rng.choice(
                [b"\r\n", b"\n\n", b"\r", b"=?", b"?=", b"--", b"\x00"]
            )
        elif kind == 2:
            del data[at : at + rng.randrange(1, 64)]
        elif kind == 3:
            data[at:at] = data[at : at + rng.randrange(1, 200)]
        else:
            data[at:at] = rng.randbytes(rng.randrange(1, 32))
        variants.append(bytes(data))
    return variants


@pytest.mark.parametrize("name", FILES)
def test_mutated_and_truncated_corpus_never_raises(name: str) -> None:
    for variant in _mutations((CORPUS / name).read_bytes(), seed=name):
        _assert_sane(parse_message(variant))


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\r\n" * 500,
        b"Subject: only a header",
        b":\r\n:\r\n\r\n",
        random.Random(1).randbytes(4096),
        b"Content-Type: multipart/mixed; boundary=x\r\n\r\n"
        + b"--x\r\n\r\nhi\r\n" * 2000,
        b"Content-Type: multipart/mixed; boundary=a\r\n\r\n--a\r\n" * 300,
        b"Content-Type: text/plain; charset=base64\r\n\r\nhello",
        b"Content-Type: text/plain; charset=idna\r\n\r\n\xff\xfe",
        b"Content-Type: text/plain; charset*=''\r\nSubject: =?utf-8?b?####?=\r\n\r\nx",
        b"Date: Fri, 31 Dec 9999 23:59:59 -2359\r\nFrom: <@>\r\nTo: ,,,\r\n\r\n",
        b"From: a@b@c\r\nMessage-ID: <\x7f>\r\nReferences: <<<>>>\r\n\r\n",
    ],
    ids=lambda raw: repr(raw[:24]),
)
def test_hostile_input_never_raises(raw: bytes) -> None:
    _assert_sane(parse_message(raw))


def test_non_bytes_input_is_reported_not_raised() -> None:
    parsed = parse_message("not bytes")  # type: ignore[arg-type]  # callers may get it wrong
    assert parsed.defects
    assert parsed.text == ""


@pytest.fixture(scope="module")
def twenty_megabytes() -> bytes:
    payload = base64.encodebytes(random.Random(20).randbytes(20_000_000))
    return (
        b"From: Big Sender <big@example.org>\r\nTo: support@example.com\r\n"
        b"Subject: scan of my ID\r\nMessage-ID: <big.1@example.org>\r\n"
        b'Content-Type: multipart/mixed; boundary="BIG"\r\n\r\n'
        b"--BIG\r\nContent-Type: text/plain\r\n\r\nPlease see the attached scan.\r\n"
        b"--BIG\r\nContent-Type: application/octet-stream\r\n"
        b'Content-Disposition: attachment; filename="scan.tiff"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\n" + payload + b"\r\n--BIG--\r\n"
    )


def _holds_bytes(value: object) -> bool:
    if isinstance(value, bytes | bytearray | memoryview):
        return True
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return any(
            _holds_bytes(getattr(value, f.name)) for f in dataclasses.fields(value)
        )
    if isinstance(value, tuple):
        return any(_holds_bytes(item) for item in value)
    return False


@pytest.mark.slow
def test_twenty_megabyte_attachment_is_measured_not_kept(
    twenty_megabytes: bytes,
) -> None:
    parsed = parse_message(twenty_megabytes)
    assert parsed.attachments == (
        Attachment("scan.tiff", "application/octet-stream", 20_000_000, too_large=True),
    )
    assert parsed.text == "Please see the attached scan."
    assert not _holds_bytes(parsed)


def test_small_attachment_is_measured_exactly() -> None:
    parsed = _parse("broken_mime.eml", max_attachment_bytes=10)
    (attachment,) = parsed.attachments
    assert attachment.filename == "statement.pdf"
    assert attachment.size > 10
    assert attachment.too_large


def test_header_injection_leaves_no_line_breaks() -> None:
    parsed = _parse("header_injection.eml")
    assert parsed.subject.startswith("Where is my order? Bcc: victim@example.org")
    assert parsed.from_name == "Order Desk Bcc: victim@example.org"
    assert parsed.from_address == "attacker@mail.invalid"
    assert any("CR/LF" in defect for defect in parsed.defects)


def test_html_only_body_becomes_readable_text() -> None:
    text = _parse("es_supresion_html_only.eml").text
    assert "ejerzo mi derecho de supresión (derecho al olvido)" in text
    assert "Nombre: Lucía Fernández García" in text
    for markup in ("<", ">", "**", "&nbsp;", "font-family"):
        assert markup not in text


def test_plain_part_is_preferred_over_html() -> None:
    text = _parse("en_objection_marketing.eml").text
    assert text.startswith("Dear Northwind,")
    assert "Article 21(2) GDPR" in text
    assert "<p>" not in text


@pytest.mark.parametrize(
    ("name", "subject", "fragment"),
    [
        (
            "de_auskunft_art15_latin1_qp.eml",
            "Auskunftsersuchen gemäß Art. 15 DSGVO",
            "Grüßen",
        ),
        (
            "fr_effacement_utf8_base64.eml",
            "Demande d\u2019effacement de mes données",
            "à l\u2019effacement",
        ),
        (
            "windows1252.eml",
            "Please correct my name \u2013 \u201cDupré\u201d",
            "(€49.90)",
        ),
        (
            "ja_iso2022jp.eml",
            "保有個人データの開示請求について",
            "開示請求をいたします",
        ),
        ("ja_shift_jis.eml", "個人情報削除のお願い", "削除請求をいたします"),
        (
            "pt_lgpd_eliminacao.eml",
            "Solicitação de eliminação",
            "eliminação dos meus dados",
        ),
    ],
)
def test_charsets_are_decoded(name: str, subject: str, fragment: str) -> None:
    parsed = _parse(name)
    assert parsed.subject.startswith(subject)
    assert fragment in parsed.text
    assert "\ufffd" not in parsed.text


def test_unknown_charset_falls_back_to_windows_1252() -> None:
    parsed = _parse("unknown_charset.eml")
    assert (
        "bitte löschen Sie alle zu meiner Person gespeicherten Daten gemäß"
        in parsed.text
    )
    assert parsed.subject == "Löschung meiner Daten"
    assert "message: unknown charset 'x-unknown-charset'" in parsed.defects


@pytest.mark.parametrize("label", ["utf-8", "unknown-8bit", None])
def test_windows_1252_bytes_under_another_label_decode_as_windows_1252(
    label: str | None,
) -> None:
    content_type = "text/plain" + (f"; charset={label}" if label else "")
    body = "Bitte löschen Sie meine Daten \u2013 danke, Jürgen. Schöne Grüße €".encode(
        "cp1252"
    )
    raw = (
        b"From: a@example.org\r\nTo: b@example.com\r\nSubject: =?unknown-8bit?Q?L=F6schung?=\r\n"
        b"Message-ID: <cp1252@example.org>\r\nMIME-Version: 1.0\r\n"
        + f"Content-Type: {content_type}\r\n".encode()
        + b"Content-Transfer-Encoding: 8bit\r\n\r\n"
        + body
        + " und UTF-8: Grüße".encode()
    )
    parsed = parse_message(raw)
    assert (
        "Bitte löschen Sie meine Daten \u2013 danke, Jürgen. Schöne Grüße €"
        in parsed.text
    )
    assert "und UTF-8: Grüße" in parsed.text  # valid UTF-8 beside it stays as it is
    assert "\ufffd" not in parsed.text
    assert parsed.subject == "Löschung"


def test_broken_mime_keeps_the_text_and_lists_defects() -> None:
    parsed = _parse("broken_mime.eml")
    assert "restriction of processing" in parsed.text
    assert any("CloseBoundaryNotFoundDefect" in defect for defect in parsed.defects)
    assert any("InvalidBase64" in defect for defect in parsed.defects)


def test_missing_message_id_is_none_and_reported() -> None:
    parsed = _parse("no_message_id.eml")
    assert parsed.message_id is None
    assert "missing Message-ID" in parsed.defects


def test_reply_threading_headers_are_normalised() -> None:
    parsed = _parse("reply_verification.eml")
    assert parsed.message_id == "CAE7reply0042@mail.example.org"
    assert parsed.in_reply_to == "dsr.DSR-7K3MQ9XA.verify@desk.example.com"
    assert parsed.references == (
        "dsr.DSR-7K3MQ9XA.received@desk.example.com",
        "dsr.DSR-7K3MQ9XA.verify@desk.example.com",
    )


def test_sender_domain_is_lower_cased_and_local_part_kept() -> None:
    parsed = _parse("en_access_plain.eml")
    assert parsed.from_address == "M.Hughes@example.org"
    assert parsed.from_name == "Martin Hughes"
    assert parsed.to == ("support@example.com",)


def test_encoded_display_name_is_decoded() -> None:
    assert _parse("de_auskunft_art15_latin1_qp.eml").from_name == "Jürgen Müller"


def test_date_is_aware_utc() -> None:
    assert _parse("pt_lgpd_eliminacao.eml").date == datetime(
        2026, 3, 9, 19, 47, 12, tzinfo=UTC
    )


def test_inline_forward_keeps_the_original_request_and_sender() -> None:
    parsed = _parse("en_forwarded_request.eml")
    assert parsed.from_address == "anna.berg@example.com"
    assert parsed.forwarded_from == "Priya.Raman@example.org"
    assert "right to be forgotten" in parsed.text


def test_attached_forward_is_unfolded_into_the_text() -> None:
    parsed = _parse("fwd_attached_rectification.eml")
    assert parsed.forwarded_from == "kateryna.b@example.org"
    assert "From: Kateryna Bondarenko <kateryna.b@example.org>" in parsed.text
    assert "Please correct my personal data" in parsed.text
    assert parsed.attachments == ()


def test_bounce_does_not_read_the_returned_message_as_text() -> None:
    parsed = _parse("bounce_delivery_status.eml")
    assert "could not\nbe delivered" in parsed.text
    assert "Please confirm it" not in parsed.text
    assert parsed.forwarded_from is None


def test_reply_is_not_mistaken_for_a_forward() -> None:
    assert _parse("reply_verification.eml").forwarded_from is None


def test_text_is_capped_with_a_defect() -> None:
    parsed = _parse("it_art17_erasure.eml", max_text_chars=100)
    assert len(parsed.text) <= 100
    assert "text truncated" in parsed.defects


def test_raw_8bit_headers_are_decoded() -> None:
    parsed = parse_message(
        "Subject: Löschung \u2013 bitte\r\nFrom: Zoë <zoe@example.org>\r\n\r\nx".encode()
        + b"\r\n"
    )
    assert parsed.subject == "Löschung \u2013 bitte"
    assert parsed.from_name == "Zoë"
    latin = parse_message(b"Subject: L\xf6schung\r\n\r\nx")
    assert latin.subject == "Löschung"


def test_folded_headers_are_unfolded_without_a_defect() -> None:
    parsed = parse_message(
        b"Subject: =?utf-8?q?Hello_w?=\r\n =?utf-8?q?orld?= and a long\r\n\tsubject\r\n"
        b'From: "Doe,\r\n Jane" <jane@example.org>\r\n\r\nx'
    )
    assert parsed.subject == "Hello world and a long subject"
    assert parsed.from_name == "Doe, Jane"
    assert not any("CR/LF" in defect for defect in parsed.defects)


def test_overlong_message_id_is_dropped() -> None:
    parsed = parse_message(b"Message-ID: <" + b"a" * 300 + b"@example.org>\r\n\r\nx")
    assert parsed.message_id is None
    assert any("longer than 255" in defect for defect in parsed.defects)


def test_attachment_filename_loses_its_path() -> None:
    raw = (
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
        b"Content-Type: application/pdf\r\n"
        b'Content-Disposition: attachment; filename="..\\..\\etc/passwd"\r\n\r\nx\r\n--b--\r\n'
    )
    assert parse_message(raw).attachments[0].filename == "passwd"


FULL_WIDTH = "".join(chr(ord(char) + 0xFEE0) for char in "DSR-7K3MQ9XA")


@pytest.mark.parametrize(
    ("subject", "reference"),
    [
        ("Re: [DSR-7K3MQ9XA] Please confirm your request", "DSR-7K3MQ9XA"),
        ("re: dsr-7k3mq9xa", "DSR-7K3MQ9XA"),
        ("AW: DSR-7K3MQ9XA", "DSR-7K3MQ9XA"),
        ("(DSR\u20137K3MQ9XA) en dash", "DSR-7K3MQ9XA"),
        (FULL_WIDTH, "DSR-7K3MQ9XA"),
        ("dsr.DSR-7K3MQ9XA.verify@desk.example.com", "DSR-7K3MQ9XA"),
        ("first DSR-4HX8PQ2M then DSR-7K3MQ9XA", "DSR-4HX8PQ2M"),
        ("DSR-7K3MQ9X", None),  # too short
        ("DSR-7K3MQ9XAB", None),  # too long
        ("DSR-7K3MQ9XI", None),  # I is not in the alphabet
        ("DSR-0K3MQ9XA", None),  # nor is 0
        ("XDSR-7K3MQ9XA", None),
        ("Your request", None),
    ],
)
def test_find_reference(subject: str, reference: str | None) -> None:
    assert find_reference(subject) == reference


def _request(head: bytes, body: bytes) -> bytes:
    return (
        b"From: a@example.org\r\nSubject: Data access request\r\n"
        b"Message-ID: <bounded@example.org>\r\n" + head + b"\r\n" + body
    )


def test_a_message_of_countless_parts_is_read_only_as_far_as_the_limit() -> None:
    # 200,000 empty parts: the stdlib's parser took about a minute on them.
    body = b"--t\r\n\r\nI request access to my data.\r\n" + b"--t\r\n\r\n\r\n" * 200_000
    parsed = parse_message(
        _request(b"Content-Type: multipart/mixed; boundary=t\r\n", body)
    )
    assert parsed.text == "I request access to my data."
    assert "MIME structure too large; the rest of the message was not read" in (
        parsed.defects
    )


def test_lines_inside_deeply_nested_multiparts_are_read_only_to_the_limit() -> None:
    # Each line is compared with every open boundary: 100 levels x 1M lines was minutes.
    opening = b"".join(
        f"Content-Type: multipart/mixed; boundary=m{level}\r\n\r\n--m{level}\r\n".encode()
        for level in range(1, 100)
    )
    body = b"--m0\r\n" + opening + b"\r\nI request access.\r\n" + b"a\r\n" * 1_000_000
    parsed = parse_message(
        _request(b"Content-Type: multipart/mixed; boundary=m0\r\n", body)
    )
    assert "MIME structure too large; the rest of the message was not read" in (
        parsed.defects
    )


def test_ordinary_multipart_mail_is_read_whole() -> None:
    assert not any(
        "too large" in defect for defect in _parse("it_art17_erasure.eml").defects
    )


def test_a_huge_references_header_keeps_the_root_and_the_latest() -> None:
    # De-duplicating 100,000 ids in a list was quadratic: hours.
    ids = [f"r{index}@example.org" for index in range(100_000)]
    references = " ".join(f"<{value}>" for value in [*ids, ids[0]]).encode()
    parsed = parse_message(_request(b"References: " + references + b"\r\n", b"x"))
    assert parsed.references == (ids[0], *ids[-99:])


def test_megabyte_structured_headers_are_parsed_from_their_start() -> None:
    # The stdlib parses address lists, words and parameters in quadratic time.
    recipients = ", ".join(f"u{index}@example.net" for index in range(20_000))
    raw = _request(
        f"To: {recipients}\r\nContent-Type: text/plain; charset=utf-8"
        f"{'; p=v' * 40_000}\r\n".encode(),
        b"I request access.",
    ).replace(b"Subject: Data access request", b"Subject: " + b"request " * 40_000)
    parsed = parse_message(raw)
    assert parsed.to[:2] == ("u0@example.net", "u1@example.net")
    assert len(parsed.to) == 50
    assert parsed.subject.startswith("request request")
    assert parsed.text == "I request access."


def test_a_media_type_that_is_not_two_tokens_reads_as_text_plain() -> None:
    # Found by the MIME-tree property: a part's type of "/" and a NUL reached the stored
    # attachment as it was.
    raw = (
        b"From: a@example.org\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
        b"--b\r\nContent-Type: /\x00\r\nContent-Disposition: attachment\r\n\r\nx\r\n--b--\r\n"
    )
    parsed = parse_message(raw)
    assert [part.content_type for part in parsed.attachments] == ["text/plain"]
