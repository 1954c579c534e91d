"""Any bytes, any MIME tree, any text: the parser and the classifier answer, soon and sanely.

The parser never raises, and what it gives is storable and safe to put in a header: no CR,
LF or NUL in one-line fields, no NUL in the text, nothing an encoder refuses. The
classifier never raises and gives the same verdict for the same words. Both must answer
within `DEADLINE` for these small inputs (hypothesis fails a slower example): a quadratic
path shows up here long before it hangs a mailbox.
"""

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.mail import cues
from app.mail.classifier import classify
from app.mail.parser import ParsedMail, parse_message
from tests.fixtures.profiles import examples

# Far above what these inputs need (milliseconds), so a busy machine does not fail them.
DEADLINE = timedelta(seconds=5)
PROPERTY = settings(deadline=DEADLINE, suppress_health_check=[HealthCheck.too_slow])
ONE_LINE_BREAKERS = ("\r", "\n", "\x00")


def _assert_sane(parsed: ParsedMail) -> None:
    assert isinstance(parsed, ParsedMail)
    one_line = [parsed.subject, parsed.from_name, parsed.from_address]
    one_line += [parsed.message_id, parsed.in_reply_to, parsed.forwarded_from]
    one_line += [*parsed.references, *parsed.to]
    one_line += [part.filename for part in parsed.attachments]
    one_line += [part.content_type for part in parsed.attachments]
    for value in one_line:
        assert not any(char in (value or "") for char in ONE_LINE_BREAKERS), value
    assert "\x00" not in parsed.text
    assert "\r" not in parsed.text
    for value in [*one_line, parsed.text, *parsed.defects]:
        (value or "").encode("utf-8")  # no lone surrogates: the database stores it
    assert all(part.size >= 0 for part in parsed.attachments)
    assert parsed.date is None or parsed.date.utcoffset() == timedelta(0)


@settings(PROPERTY, max_examples=examples(150))
@given(st.binary(max_size=4_000))
def test_any_bytes_parse_without_raising(raw: bytes) -> None:
    _assert_sane(parse_message(raw))


# Pieces that have broken mail parsers: line breaks and NULs, encoded-word and quoting
# syntax, 8-bit bytes (as surrogate escapes), bidi overrides, MIME keywords.
NASTY = st.sampled_from(
    [
        "\r\n",
        "\r",
        "\n",
        "\x00",
        "\t",
        "=?utf-8?b?",
        "=?utf-8?q?=0D=0A?=",
        "=?x-unknown?q?=FF?=",
        "=?utf-7?b?KwBB?=",
        "=?",
        "?=",
        '"',
        "<",
        ">",
        "@",
        ",",
        ";",
        ":",
        "\\",
        "--",
        "\udcff",
        "\udcc0\udcaf",
        "\u202e",
        "\ufeff",
        "=\r\n",
        "boundary=",
        "charset*=utf-8''%FF",
        "filename*0*=",
        "multipart/mixed",
        "message/rfc822",
    ]
)
VALUES = st.lists(st.text(max_size=12) | NASTY, max_size=8).map("".join)
HEADER_NAMES = st.sampled_from(
    [
        "From",
        "To",
        "Cc",
        "Reply-To",
        "Subject",
        "Message-ID",
        "In-Reply-To",
        "References",
        "Date",
        "Auto-Submitted",
        "Return-Path",
        "List-Id",
        "Received",
        "Content-Type",
        "Content-Transfer-Encoding",
        "Content-Disposition",
        "X-Anything",
    ]
)
HEADERS = st.lists(st.tuples(HEADER_NAMES, VALUES), max_size=8)
CHARSETS = st.sampled_from(
    ["utf-8", "iso-8859-1", "utf-7", "shift_jis", "x-unknown", "", "base64", "utf-16"]
)
ENCODINGS = st.sampled_from(
    ["7bit", "8bit", "base64", "quoted-printable", "binary", "x-uuencode", "bogus"]
)
LEAF_TYPES = st.sampled_from(
    ["text/plain", "text/html", "application/pdf", "message/rfc822", "image/png", "x/"]
)
BODIES = st.binary(max_size=300) | VALUES.map(
    lambda text: text.encode("utf-8", "surrogateescape")
)


def _encode(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


def _head(headers: list[tuple[str, str]]) -> bytes:
    return b"".join(_encode(f"{name}: {value}\r\n") for name, value in headers)


@st.composite
def _leaf(draw: st.DrawFn) -> bytes:
    headers = [
        ("Content-Type", f"{draw(LEAF_TYPES)}; charset={draw(CHARSETS)}"),
        ("Content-Transfer-Encoding", draw(ENCODINGS)),
        *draw(HEADERS),
    ]
    return _head(headers) + b"\r\n" + draw(BODIES)


def _multipart(
    boundary: str, subtype: str, parts: list[bytes], closed: bool, extra: bytes
) -> bytes:
    head = _encode(f'Content-Type: multipart/{subtype}; boundary="{boundary}"\r\n')
    body = b"".join(_encode(f"--{boundary}\r\n") + part + b"\r\n" for part in parts)
    if closed:
        body += _encode(f"--{boundary}--\r\n")
    return head + extra + b"\r\n" + body


BOUNDARIES = st.text(max_size=20) | st.sampled_from(["b", "", "b--", "a b", "--"])
TREES = st.recursive(
    _leaf(),
    lambda children: st.builds(
        _multipart,
        BOUNDARIES,
        st.sampled_from(["mixed", "alternative", "report", "related", "digest"]),
        st.lists(children, max_size=4),
        st.booleans(),
        HEADERS.map(_head),
    ),
    max_leaves=8,
)


@settings(PROPERTY, max_examples=examples(150), suppress_health_check=list(HealthCheck))
@given(HEADERS, TREES)
def test_any_mime_tree_parses_without_raising(
    headers: list[tuple[str, str]], tree: bytes
) -> None:
    _assert_sane(parse_message(_head(headers) + tree))


# The cue table's own words, so generated text reaches the classifier's rules.
CUE_WORDS = sorted(
    {
        word
        for languages in cues.CUES.values()
        for phrases in languages.values()
        for phrase in phrases
        for word in phrase.rstrip("*").split()
    }
)
WORDY = st.lists(
    st.sampled_from(CUE_WORDS) | st.text(max_size=10) | NASTY, max_size=60
).map(" ".join)


@settings(PROPERTY, max_examples=examples(100))
@given(st.text(max_size=300) | WORDY, st.text(max_size=3_000) | WORDY)
def test_the_classifier_answers_any_text_the_same_way_twice(
    subject: str, text: str
) -> None:
    first = classify(subject, text)

    assert first == classify(subject, text)
    assert first.confident <= (first.request_type is not None)


@settings(PROPERTY, max_examples=examples(10))
@given(WORDY, st.integers(min_value=1_000, max_value=5_000))
def test_the_classifier_reads_huge_text_in_bounded_time(
    words: str, repeat: int
) -> None:
    classify(words * 10, (words + "\n") * repeat)
