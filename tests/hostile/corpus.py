"""The hostile-mail corpus: malformed and malicious messages, built deterministically.

Nothing big is committed: each case is a function that builds its bytes (seeded, so every
run feeds the same input). `FAST` cases are small enough for `make test`; `SOAK` cases are
the megabyte ones (MIME bombs of repeated bytes, 25 MB attachments). Each case has its own
Message-ID (when it has one at all) and sender, so no two cases read as the same mail and
the auto-reply limit per sender never decides where one goes.

Every case that reads like a real request asks for access under Art. 15 GDPR, so the worst
inputs reach the whole pipeline: a ticket, its verification mail and the headers of both.
"""

import base64
import quopri
import random
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage

REQUEST = (
    b"Hello,\r\n\r\nthis is a subject access request under Article 15 GDPR. Please send"
    b" me a copy of my personal data.\r\n\r\nKind regards\r\n"
)
SUPPORT = "support@example.com"
# Just under the SMTP receiver's limit (25 MiB) and just over it, encoded size included.
BIG_ATTACHMENT_BYTES = 18_500_000
OVER_LIMIT_ATTACHMENT_BYTES = 25_000_000


@dataclass(frozen=True, slots=True)
class Case:
    """One hostile message and how to build it."""

    name: str
    build: Callable[[], bytes]


def _headers(name: str, **extra: str) -> bytes:
    """Ordinary headers for case `name`, with `extra` replacing or adding fields."""
    fields = {
        "From": f"Hostile Sender <{name}@hostile.example.org>",
        "To": SUPPORT,
        "Subject": f"Subject access request ({name})",
        "Date": "Mon, 01 Jun 2026 10:00:00 +0000",
        "Message-ID": f"<{name}@hostile.example.org>",
        "MIME-Version": "1.0",
    }
    for key, value in extra.items():
        fields[key.replace("_", "-")] = value
    return b"".join(
        f"{key}: {value}\r\n".encode("utf-8", "surrogateescape")
        for key, value in fields.items()
        if value
    )


def _fold(value: str, width: int = 900) -> str:
    """`value` folded at spaces into lines of about `width`, as a sending MTA folds it."""
    lines: list[str] = []
    line: list[str] = []
    size = 0
    for word in value.split(" "):
        if size + len(word) > width and line:
            lines.append(" ".join(line))
            line, size = [], 0
        line.append(word)
        size += len(word) + 1
    return "\r\n ".join([*lines, " ".join(line)])


def _mail(name: str, body: bytes = REQUEST, head: bytes = b"", **extra: str) -> bytes:
    """A message for case `name`: ordinary headers, raw `head` lines, then `body`."""
    return _headers(name, **extra) + head + b"\r\n" + body


def _multipart(
    name: str, parts: list[bytes], boundary: str = "b0undary", **extra: str
) -> bytes:
    body = b"".join(f"--{boundary}\r\n".encode() + part + b"\r\n" for part in parts)
    body += f"--{boundary}--\r\n".encode()
    ctype = f'multipart/mixed; boundary="{boundary}"'
    return _mail(name, body, Content_Type=ctype, **extra)


def _text_part(
    text: bytes = REQUEST, charset: str = "utf-8", cte: str = "7bit"
) -> bytes:
    return (
        f"Content-Type: text/plain; charset={charset}\r\n"
        f"Content-Transfer-Encoding: {cte}\r\n\r\n"
    ).encode() + text


def _attachment_part(data: bytes, filename: str, ctype: str) -> bytes:
    return (
        f"Content-Type: {ctype}\r\n"
        f'Content-Disposition: attachment; filename="{filename}"\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\n"
    ).encode() + base64.encodebytes(data)


# MIME bombs ---------------------------------------------------------------------------


def many_parts() -> bytes:
    """1,500 parts in one multipart/mixed: more than the parser reads."""
    parts = [_text_part(f"part {index}\r\n".encode()) for index in range(1_500)]
    return _multipart("many-parts", [_text_part(), *parts])


def deep_nesting() -> bytes:
    """400 multiparts inside each other, the request text at the bottom."""
    depth = 400
    opening = b"".join(
        f'Content-Type: multipart/mixed; boundary="n{level}"\r\n\r\n--n{level}\r\n'.encode()
        for level in range(1, depth)
    )
    closing = b"".join(
        f"\r\n--n{level}--".encode() for level in reversed(range(1, depth))
    )
    body = b"--n0\r\n" + opening + _text_part() + closing + b"\r\n--n0--\r\n"
    return _mail("deep-nesting", body, Content_Type='multipart/mixed; boundary="n0"')


def many_tiny_parts(count: int = 40_000) -> bytes:
    """`count` empty parts: the stdlib's parser works per part, whatever the size."""
    body = b"--t\r\n\r\n\r\n" * count + b"--t--\r\n"
    return _mail(
        f"tiny-parts-{count}", body, Content_Type="multipart/mixed; boundary=t"
    )


def nested_long_body(depth: int = 100, lines: int = 200_000) -> bytes:
    """`lines` short lines inside `depth` open multiparts (each line meets every boundary)."""
    opening = b"".join(
        f"Content-Type: multipart/mixed; boundary=m{level}\r\n\r\n--m{level}\r\n".encode()
        for level in range(1, depth)
    )
    body = b"--m0\r\n" + opening + _text_part(REQUEST + b"a\r\n" * lines)
    name = f"nested-long-body-{depth}"
    return _mail(name, body, Content_Type="multipart/mixed; boundary=m0")


def costly_part_headers(count: int = 40) -> bytes:
    """`count` parts, each with its own long Content-Type and Content-Disposition.

    Every parameter and every word costs the stdlib's header parser time, and each part's
    headers differ, so nothing parsed once can be reused."""
    parts = [_text_part()]
    for index in range(count):
        params = "".join(f"; p{index}x{n}=v" for n in range(400))
        words = f"{index} " + "word " * 800
        parts.append(
            f"Content-Type: application/octet-stream{params}\r\n"
            f'Content-Disposition: attachment; filename="{words}"\r\n\r\nx'.encode()
        )
    return _multipart(f"costly-part-headers-{count}", parts)


def rfc822_recursion() -> bytes:
    """A forward of a forward of ... 300 deep (message/rfc822 inside message/rfc822)."""
    inner = _mail("rfc822-innermost")
    for level in range(300):
        inner = _mail(
            f"rfc822-{level}",
            inner,
            Content_Type="message/rfc822",
            Subject="Fwd: Data access request",
        )
    return _mail("rfc822-recursion", inner, Content_Type="message/rfc822")


def repeated_text_base64(size: int = 3_000_000) -> bytes:
    """A text part of `size` repeated bytes, base64: decodes to far more than is read."""
    return _multipart(
        "repeated-text-base64",
        [_text_part(), _text_part(base64.encodebytes(b"A" * size), cte="base64")],
    )


def zip_bomb_attachment(size: int = 20_000_000) -> bytes:
    """A deflate stream of `size` zero bytes (tiny on the wire), as a .zip attachment."""
    bomb = zlib.compress(bytes(size), 9)
    parts = [_text_part(), _attachment_part(bomb, "bomb.zip", "application/zip")]
    return _multipart("zip-bomb", parts)


def repeated_bytes_soak() -> bytes:
    """18 MB of one repeated byte as a base64 text part (the parser caps what it reads)."""
    return repeated_text_base64(18_000_000)


def big_attachment() -> bytes:
    """A request with a scan as large as the receiver accepts."""
    scan = random.Random("big").randbytes(BIG_ATTACHMENT_BYTES)
    parts = [_text_part(), _attachment_part(scan, "id-scan.jpg", "image/jpeg")]
    return _multipart("big-attachment", parts)


def over_limit_attachment() -> bytes:
    """A 25 MB attachment: over the receiver's size limit once base64-encoded."""
    scan = random.Random("over").randbytes(OVER_LIMIT_ATTACHMENT_BYTES)
    parts = [_text_part(), _attachment_part(scan, "id-scan.tiff", "image/tiff")]
    return _multipart("over-limit", parts)


# Broken charsets and encodings --------------------------------------------------------


def invalid_base64() -> bytes:
    """Base64 with characters outside the alphabet, wrong padding and a lone byte."""
    body = b"!!!!" + base64.b64encode(REQUEST)[:-3] + b"=\r\n=*=*\r\nQ\r\n"
    return _mail(
        "invalid-base64",
        body,
        Content_Type="text/plain; charset=utf-8",
        Content_Transfer_Encoding="base64",
    )


def invalid_quoted_printable() -> bytes:
    """QP with bad escapes (=ZZ), a lone '=' at the end and 8-bit bytes."""
    body = quopri.encodestring(REQUEST) + b"=ZZ =4 =\xff\xfe =\r\n="
    return _mail(
        "invalid-qp",
        body,
        Content_Type="text/plain; charset=iso-8859-1",
        Content_Transfer_Encoding="quoted-printable",
    )


def unknown_charsets() -> bytes:
    """Charsets nobody knows, in the body and in encoded words."""
    return _multipart(
        "unknown-charsets",
        [
            _text_part(REQUEST, charset="x-no-such-charset", cte="8bit"),
            _text_part(b"\xe4\xf6\xfc", charset='"utf-99"', cte="8bit"),
            _text_part(b"hi", charset="rot13", cte="8bit"),
            _text_part(b"hi", charset="base64", cte="8bit"),
        ],
        Subject="=?x-klingon?q?Daten=E4?= =?utf-8?x?bogus?=",
    )


def mislabelled_utf8() -> bytes:
    """Latin-1 bytes labelled UTF-8 and UTF-8 labelled ASCII, in headers and body."""
    return _multipart(
        "mislabelled-utf8",
        [
            _text_part(REQUEST + "Grüße, Jürgen".encode("latin-1"), cte="8bit"),
            _text_part("Grüße \u2013 ☃".encode(), charset="us-ascii", cte="8bit"),
        ],
        Subject="=?utf-8?q?L=F6schung_meiner_Daten?=",
        From="=?us-ascii?b?SsO8cmdlbg==?= <mislabelled-utf8@hostile.example.org>",
    )


def utf7() -> bytes:
    """UTF-7 bodies and headers, valid and broken ('+' runs that never end)."""
    return _multipart(
        "utf7",
        [
            _text_part(REQUEST + b"Gr+APw-+AN8-e", charset="utf-7"),
            _text_part(b"+ZeVnLIqe- +!!!! +AAA +2D3cAA-", charset="utf-7"),
        ],
        Subject="=?utf-7?q?Daten+AOQ-nderung_+2D3cAA-?=",
    )


def overlong_utf8() -> bytes:
    """Overlong forms, surrogates and out-of-range sequences as 'UTF-8'."""
    junk = (
        b"\xc0\xaf \xe0\x80\xaf \xf0\x80\x80\xaf \xed\xa0\x80 \xf4\x90\x80\x80 \xfe\xff"
    )
    return _multipart(
        "overlong-utf8",
        [_text_part(REQUEST + junk, cte="8bit"), _text_part(junk, cte="8bit")],
        Subject="=?utf-8?b?" + base64.b64encode(b"Access " + junk).decode() + "?=",
        From="=?utf-8?q?=C0=AF=ED=A0=80?= <overlong-utf8@hostile.example.org>",
    )


def raw_8bit_headers() -> bytes:
    """Undeclared 8-bit bytes in every header, in no charset at all."""
    return _mail(
        "raw-8bit-headers",
        head=b"X-Junk: \x80\x81\xfe\xff\r\n",
        Subject="Auskunft \udce4\udcf6 \udcff\udcfe",
        From="J\udcfcrgen \udc80 <raw-8bit-headers@hostile.example.org>",
    )


# Header injection ---------------------------------------------------------------------


def _encoded(text: str) -> str:
    return "=?utf-8?b?" + base64.b64encode(text.encode()).decode() + "?="


def crlf_in_encoded_words() -> bytes:
    """CR/LF hidden in encoded words of Subject, From, To and References."""
    return _mail(
        "crlf-encoded-words",
        Subject=_encoded("Access request\r\nBcc: victim@example.net\r\n\r\nbody"),
        From=_encoded("Eve\r\nBcc: victim@example.net")
        + " <crlf-encoded-words@hostile.example.org>",
        To=_encoded("Support\nX-Injected: 1") + f" <{SUPPORT}>",
        References="<a@example.org>" + _encoded("\r\nBcc: x@example.net"),
    )


def crlf_in_display_name() -> bytes:
    """A quoted display name with bare CR and LF inside the quotes, and a QP-encoded one."""
    return _mail(
        "crlf-display-name",
        head=b'Reply-To: "Eve\rBcc: victim@example.net" <eve@example.net>\r\n',
        From='"Eve\nBcc: victim@example.net" <crlf-display-name@hostile.example.org>',
        Sender="=?utf-8?q?Eve=0D=0ABcc=3A_victim=40example.net?= <s@example.net>",
    )


def crlf_in_filenames() -> bytes:
    """Attachment names with CR/LF in RFC 2231, encoded-word and plain forms."""
    names = [
        "filename*=utf-8''evil%0D%0ABcc%3A%20victim%40example.net.pdf",
        'filename="' + _encoded("evil\r\nX-Injected: 1.pdf") + '"',
        'filename="evil\r\n .pdf"',
        "filename*0*=utf-8''a%0D; filename*1*=%0Ab.pdf",
        'filename="..\\..\\..\\etc\\passwd\x00.pdf"',
    ]
    parts = [
        (
            "Content-Type: application/pdf\r\n"
            f"Content-Disposition: attachment; {name}\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK"
        ).encode()
        for name in names
    ]
    return _multipart("crlf-filenames", [_text_part(), *parts])


def injected_message_ids() -> bytes:
    """Message-ID, In-Reply-To and References with CR/LF, NUL and spaces inside."""
    return _mail(
        "injected-ids",
        Message_ID="<injected-ids@hostile.example.org>\rBcc: victim@example.net",
        head=(
            b"In-Reply-To: <a\x00b@example.org>\r\n"
            b"References: <c d@example.org> <e\r@example.org> <ok@example.org>\r\n"
        ),
    )


# NULs ---------------------------------------------------------------------------------


def nul_everywhere() -> bytes:
    """NUL bytes in header names, values, parameters, boundaries and the body."""
    return (
        b"From: Nul\x00Sender <nul-everywhere@hostile.example.org>\r\n"
        b"To: support@example.com\x00\r\n"
        b"Subject: Data access\x00 request (nul)\r\n"
        b"Message-ID: <nul-everywhere@hostile.example.org>\r\n"
        b"X-\x00Header: value\r\n"
        b"\x00: nameless\r\n"
        b"MIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="nu\x00l"\r\n\r\n'
        b"--nu\x00l\r\n"
        b"Content-Type: text/plain; charset=utf-\x008\r\n\r\n"
        + REQUEST.replace(b" ", b"\x00 ")
        + b"\r\n--nu\x00l\r\n"
        b"Content-Type: application/pd\x00f\r\n"
        b'Content-Disposition: attachment; filename="a\x00b.pdf"\r\n\r\n\x00\x00\x00'
        b"\r\n--nu\x00l--\r\n"
    )


def nul_only() -> bytes:
    """Nothing but NUL bytes."""
    return bytes(10_000)


# Huge headers -------------------------------------------------------------------------


def long_header_lines() -> bytes:
    """100 KB Subject, From display name, References and Content-Type parameter."""
    return _mail(
        "long-header-lines",
        Subject="Access request " + "x" * 100_000,
        From="A" * 100_000 + " <long-header-lines@hostile.example.org>",
        References=" ".join(f"<r{index}@example.org>" for index in range(6_000)),
        Content_Type="text/plain; charset=utf-8; junk=" + "y" * 100_000,
    )


def huge_references(count: int = 50_000) -> bytes:
    """A References header of `count` message ids, folded (de-duplicating must be linear)."""
    references = " ".join(f"<ref{index}@example.org>" for index in range(count))
    return _mail(f"huge-references-{count}", References=_fold(references))


def huge_structured_headers(size: int = 1_000_000) -> bytes:
    """Subject, To and Content-Type of `size` characters of words, addresses and params."""
    words = "request " * (size // 8)
    recipients = ", ".join(f"u{index}@example.net" for index in range(size // 18))
    params = "".join(f"; p{index}=v" for index in range(size // 8))
    return _mail(
        f"huge-structured-{size}",
        Subject=_fold(words),
        To=_fold(recipients),
        Content_Type=_fold("text/plain; charset=utf-8" + params),
        Content_Disposition=_fold("inline" + params),
    )


def line_over_a_mebibyte() -> bytes:
    """A References header of 2 MiB on one line, never folded."""
    references = " ".join(f"<r{index}@example.org>" for index in range(120_000))
    return _mail("line-over-a-mebibyte", References=references)


def tiny_headers(count: int = 100_000) -> bytes:
    """`count` one-letter headers."""
    return _mail(f"tiny-headers-{count}", head=b"X: y\r\n" * count)


def folded_long_header() -> bytes:
    """A 100 KB Subject folded over 10,000 continuation lines."""
    subject = "Access request" + "".join(f"\r\n word{index}" for index in range(10_000))
    return _mail("folded-long-header", Subject=subject)


def many_headers() -> bytes:
    """10,000 headers: Received lines, repeated To, X- fields."""
    head = b"".join(
        f"Received: from relay{index}.example.net; Mon, 1 Jun 2026 09:00:00 +0000\r\n".encode()
        for index in range(4_000)
    )
    head += b"".join(
        f"To: user{index}@example.net\r\n".encode() for index in range(3_000)
    )
    head += b"".join(
        f"X-Filler-{index}: {index}\r\n".encode() for index in range(3_000)
    )
    return _mail("many-headers", head=head)


def many_recipients() -> bytes:
    """One To header with 10,000 addresses."""
    recipients = ", ".join(f"u{index}@example.net" for index in range(10_000))
    return _mail("many-recipients", To=recipients)


# Boundaries and structure -------------------------------------------------------------


def missing_boundary_parameter() -> bytes:
    """multipart/mixed without a boundary parameter."""
    return _mail(
        "no-boundary-param",
        b"--x\r\n" + _text_part() + b"\r\n--x--\r\n",
        Content_Type="multipart/mixed",
    )


def boundary_never_used() -> bytes:
    """A declared boundary that never appears in the body."""
    return _mail(
        "boundary-never-used", REQUEST, Content_Type='multipart/mixed; boundary="zzz"'
    )


def no_closing_boundary() -> bytes:
    """Parts that open and never close, at two levels."""
    body = (
        b"--outer\r\nContent-Type: multipart/alternative; boundary=inner\r\n\r\n"
        b"--inner\r\n" + _text_part() + b"\r\n--inner\r\n" + _text_part(b"two")
    )
    return _mail(
        "no-closing-boundary", body, Content_Type="multipart/mixed; boundary=outer"
    )


def duplicated_boundaries() -> bytes:
    """Two boundary parameters, and a nested part reusing its parent's boundary."""
    body = (
        b"--a\r\n" + _text_part() + b"\r\n--a\r\n"
        b"Content-Type: multipart/mixed; boundary=a\r\n\r\n"
        b"--a\r\n" + _text_part(b"inner") + b"\r\n--a--\r\n--a--\r\n--b--\r\n"
    )
    return _mail(
        "duplicated-boundaries",
        body,
        Content_Type="multipart/mixed; boundary=a; boundary=b",
    )


def empty_and_odd_boundaries() -> bytes:
    """An empty boundary, a 200-character one and one with regex metacharacters."""
    long_boundary = "q" * 200
    return _mail(
        "odd-boundaries",
        f"--{long_boundary}\r\n".encode() + _text_part() + b"\r\n--(.*)+\r\n--\r\n",
        Content_Type=f'multipart/mixed; boundary=""; boundary="{long_boundary}"',
    )


def duplicate_headers() -> bytes:
    """Two of every header that must be single: From, Subject, Message-ID, Content-Type."""
    head = (
        b"From: Other <duplicate-headers-2@hostile.example.org>\r\n"
        b"Subject: a second subject\r\n"
        b"Message-ID: <duplicate-headers-2@hostile.example.org>\r\n"
        b"Content-Type: text/html; charset=utf-8\r\n"
        b"Content-Type: image/png\r\n"
        b"Content-Transfer-Encoding: base64\r\n"
    )
    return _mail("duplicate-headers", head=head, Content_Type="text/plain")


def bad_content_types() -> bytes:
    """Content-Type values that are not media types at all."""
    parts = [
        b"Content-Type: ;;;=;\r\n\r\nnothing",
        b"Content-Type: text/\r\n\r\nhalf",
        b"Content-Type: /plain; charset\r\n\r\nhalf",
        b"Content-Type: message/rfc822\r\n\r\nnot a message at all",
        b"Content-Type: message/delivery-status\r\n\r\n\x00\xff",
        b"Content-Type: multipart/report; report-type=\r\n\r\nno parts",
        b"Content-Type: text/plain; charset*=utf-8''%ZZ; name*0*=\"x\r\n\r\nbad 2231",
    ]
    return _multipart("bad-content-types", [_text_part(), *parts])


def html_bomb() -> bytes:
    """HTML nested 50,000 tags deep with unclosed comments and scripts."""
    markup = b"<div>" * 50_000 + b"<!--" + b"<script>" * 1_000 + REQUEST
    return _mail("html-bomb", markup, Content_Type="text/html; charset=utf-8")


def bad_dates() -> bytes:
    """Dates out of any range, and several of them."""
    return _mail(
        "bad-dates",
        Date="Fri, 31 Dec 99999 25:61:61 +9999",
        head=b"Date: yesterday\r\nReceived: x; Sat, 32 Foo 0 99:99:99 -9999\r\n",
    )


# Not mail at all ----------------------------------------------------------------------


def empty() -> bytes:
    """Zero bytes."""
    return b""


def binary_garbage() -> bytes:
    """64 KB of random bytes."""
    return random.Random("garbage").randbytes(65_536)


def png_image() -> bytes:
    """A PNG file (signature, IHDR) followed by noise: somebody uploaded a picture."""
    noise = random.Random("png").randbytes(4_000)
    return b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + noise


def json_document() -> bytes:
    """A JSON document with a colon on every line: it looks like headers."""
    return b'{\n  "email": "json@example.org",\n  "subject": "access"\n}\n'


def shell_script() -> bytes:
    """A shell script with LF line ends and a header-like first line."""
    return b"#!/bin/sh\nFrom: here\nrm -rf / --no-preserve-root\n"


def only_line_breaks() -> bytes:
    """A megabyte of bare CR, LF and CRLF."""
    return b"\r\n\r\r\n\n" * 200_000


def well_formed_request() -> bytes:
    """A well-formed message from the library: the control the others are compared with."""
    message = EmailMessage()
    message["From"] = "Plain Sender <well-formed@hostile.example.org>"
    message["To"] = SUPPORT
    message["Subject"] = "Subject access request"
    message["Message-ID"] = "<well-formed@hostile.example.org>"
    message.set_content(REQUEST.decode())
    return message.as_bytes(policy=policy.SMTP)


FAST = (
    Case("many_parts", many_parts),
    Case("deep_nesting", deep_nesting),
    Case("many_tiny_parts", many_tiny_parts),
    Case("nested_long_body", nested_long_body),
    Case("costly_part_headers", costly_part_headers),
    Case("rfc822_recursion", rfc822_recursion),
    Case("repeated_text_base64", repeated_text_base64),
    Case("zip_bomb_attachment", zip_bomb_attachment),
    Case("invalid_base64", invalid_base64),
    Case("invalid_quoted_printable", invalid_quoted_printable),
    Case("unknown_charsets", unknown_charsets),
    Case("mislabelled_utf8", mislabelled_utf8),
    Case("utf7", utf7),
    Case("overlong_utf8", overlong_utf8),
    Case("raw_8bit_headers", raw_8bit_headers),
    Case("crlf_in_encoded_words", crlf_in_encoded_words),
    Case("crlf_in_display_name", crlf_in_display_name),
    Case("crlf_in_filenames", crlf_in_filenames),
    Case("injected_message_ids", injected_message_ids),
    Case("nul_everywhere", nul_everywhere),
    Case("nul_only", nul_only),
    Case("long_header_lines", long_header_lines),
    Case("huge_references", huge_references),
    Case("huge_structured_headers", huge_structured_headers),
    Case("line_over_a_mebibyte", line_over_a_mebibyte),
    Case("tiny_headers", tiny_headers),
    Case("folded_long_header", folded_long_header),
    Case("many_headers", many_headers),
    Case("many_recipients", many_recipients),
    Case("missing_boundary_parameter", missing_boundary_parameter),
    Case("boundary_never_used", boundary_never_used),
    Case("no_closing_boundary", no_closing_boundary),
    Case("duplicated_boundaries", duplicated_boundaries),
    Case("empty_and_odd_boundaries", empty_and_odd_boundaries),
    Case("duplicate_headers", duplicate_headers),
    Case("bad_content_types", bad_content_types),
    Case("html_bomb", html_bomb),
    Case("bad_dates", bad_dates),
    Case("empty", empty),
    Case("binary_garbage", binary_garbage),
    Case("png_image", png_image),
    Case("json_document", json_document),
    Case("shell_script", shell_script),
    Case("only_line_breaks", only_line_breaks),
    Case("well_formed_request", well_formed_request),
)
SOAK = (
    Case("repeated_bytes_soak", repeated_bytes_soak),
    Case("tiny_parts_soak", lambda: many_tiny_parts(2_000_000)),
    Case("costly_part_headers_soak", lambda: costly_part_headers(2_000)),
    Case("nested_long_body_soak", lambda: nested_long_body(300, 8_000_000)),
    Case("huge_references_soak", lambda: huge_references(1_000_000)),
    Case("huge_structured_headers_soak", lambda: huge_structured_headers(5_000_000)),
    Case("tiny_headers_soak", lambda: tiny_headers(4_000_000)),
    Case("big_attachment", big_attachment),
    Case("over_limit_attachment", over_limit_attachment),
)
