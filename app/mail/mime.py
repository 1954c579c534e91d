"""Reading untrusted MIME safely: defects, header and charset decoding, addresses, HTML.

Every helper here tolerates hostile input (bogus charsets, CR/LF in encoded words, 8-bit
headers, malformed parameters) and reports problems to a `Defects` list instead of
raising. `parser.py` builds a `ParsedMail` from these pieces.
"""

import codecs
import html
import re
import unicodedata
from collections.abc import Iterable
from email.header import decode_header
from email.headerregistry import HeaderRegistry
from email.message import Message
from email.policy import EmailPolicy
from email.utils import getaddresses
from functools import lru_cache
from typing import Any

import html2text

MAX_DEFECTS = 50
MAX_NAME_CHARS = 200
MAX_FILENAME_CHARS = 255
# The stdlib's header parsers take time quadratic in a value's length (a 200 KB Subject of
# words: seconds; a megabyte: minutes), so only the start of a header is parsed. Real
# headers are far shorter, even folded ones. Each MIME part has its own Content-* headers,
# so theirs are cut shorter (a long RFC 2231 file name may lose its end).
MAX_HEADER_CHARS = 4_000
MAX_MIME_HEADER_CHARS = 500

# An address written in running text (a report's failed recipient, a client's address).
ADDRESS_IN_TEXT = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_BAD_ADDRESS_CHARS = re.compile(r"[\s<>()\[\]\\,;:\"@\x00-\x1f\x7f]")
# WHATWG Encoding Standard: mail labelled Latin-1/ASCII is in practice Windows-1252,
# and the Microsoft supersets decode what Japanese, Korean and Chinese mailers send.
_CHARSET_SUPERSETS = {
    "ascii": "cp1252",
    "iso8859-1": "cp1252",
    "shift_jis": "cp932",
    "euc_kr": "cp949",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "iso2022_jp": "iso2022_jp_2",
}


def _windows_1252_fallback(error: UnicodeError) -> tuple[str, int]:
    """Codec error handler: read the undecodable bytes as Windows-1252 (else Latin-1).

    Mail that is not what its label says is nearly always Windows-1252 ("Löschung" sent by
    an old Outlook as UTF-8 or `unknown-8bit`), so only the bad bytes are read that way and
    valid UTF-8 around them stays as it is.
    """
    if not isinstance(error, UnicodeDecodeError):
        raise error
    chunk = error.object[error.start : error.end]
    text = "".join(
        bytes([byte]).decode("cp1252", "ignore") or chr(byte) for byte in chunk
    )
    return text, error.end


codecs.register_error("dsr-windows-1252", _windows_1252_fallback)
_FALLBACK = "dsr-windows-1252"
_TABLE_CELL_END = re.compile(r"</t[dh]\s*>", re.IGNORECASE)
_MARKDOWN_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!])")
_MARKDOWN_HEADING = re.compile(r"^#{1,6} ", re.MULTILINE)
_TAG = re.compile(r"<[^>]*>")
_BLANK_LINES = re.compile(r"\n{3,}")
_FOLD = re.compile(r"\r?\n(?=[ \t])")
_LINE_BREAK = re.compile(r"[\r\n]")  # what EmailPolicy removes to unfold
_HEADERS = HeaderRegistry()


def _cut(name: str, value: str) -> str:
    limit = (
        MAX_MIME_HEADER_CHARS
        if name.lower().startswith("content-")
        else MAX_HEADER_CHARS
    )
    return value[:limit]


# The stdlib parses a header again at every access, and reading a part asks for its
# Content-Type several times; header objects are immutable, so they can be shared. Keyed
# by the cut value, and few: each entry holds a parse tree.
@lru_cache(maxsize=32)
def _parsed_header(name: str, value: str) -> Any:
    return _HEADERS(name, _LINE_BREAK.sub("", value))


class _BoundedPolicy(EmailPolicy):
    """`policy.default` with headers cut short before parsing, and parsed once."""

    def header_fetch_parse(self, name: str, value: str) -> Any:
        """The parsed header, of at most `MAX_HEADER_CHARS` of its value."""
        # Values set by code are header objects already (str subclasses with a name).
        if hasattr(value, "name"):
            return value
        return _parsed_header(name, _cut(name, value))


# Parse untrusted mail with this rather than `policy.default`.
POLICY = _BoundedPolicy()


class Defects:
    """Problems found while parsing; de-duplicated and capped against flooding."""

    def __init__(self) -> None:
        self._items: list[str] = []

    def add(self, text: str) -> None:
        """Record one problem (ignored once the cap is reached)."""
        if text not in self._items and len(self._items) < MAX_DEFECTS:
            self._items.append(text)

    def add_all(self, where: str, found: Iterable[object]) -> None:
        """Record the stdlib's defect objects of a message part or header."""
        for defect in found:
            detail = one_line(str(defect), 120)
            name = type(defect).__name__
            self.add(f"{where}: {name}: {detail}" if detail else f"{where}: {name}")

    def as_tuple(self) -> tuple[str, ...]:
        """The problems in the order found."""
        return tuple(self._items)


def clean_text(value: str) -> str:
    """Undo surrogate-escaped 8-bit bytes (UTF-8, else Windows-1252)."""
    if not any("\ud800" <= char <= "\udfff" for char in value):
        return value
    # BytesParser keeps raw 8-bit bytes as U+DC80..U+DCFF; other surrogates are junk.
    escaped = "".join(
        "\ufffd"
        if "\ud800" <= char < "\udc80" or "\udd00" <= char <= "\udfff"
        else char
        for char in value
    )
    data = escaped.encode("utf-8", "surrogateescape")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", "replace")


def one_line(
    value: str, limit: int, defects: Defects | None = None, label: str = ""
) -> str:
    """`value` as one line: no CR/LF or control characters, spaces collapsed, capped."""
    value = clean_text(value)
    if defects is not None and ("\r" in value or "\n" in value):
        defects.add(f"{label}: CR/LF removed from header value")
    chars = []
    for char in value:
        category = unicodedata.category(char)
        if category in ("Cc", "Zl", "Zp"):
            chars.append(" ")
        elif (
            category != "Cf"
        ):  # format characters (bidi overrides) only serve spoofing here
            chars.append(char)
    return " ".join("".join(chars).split())[:limit]


def clean_body(text: str) -> str:
    """Body text with LF line ends, no control characters, no runs of blank lines."""
    text = clean_text(text).replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(
        char if char in "\n\t" or unicodedata.category(char) != "Cc" else " "
        for char in text
    )
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return _BLANK_LINES.sub("\n\n", text).strip()


def raw_header(msg: Message, name: str) -> str | None:
    """The first raw (undecoded) value of a header, unfolded (RFC 5322 section 2.2.3)."""
    wanted = name.lower()
    for key, value in msg.raw_items():
        if key.lower() == wanted:
            return _FOLD.sub("", str(value))
    return None


def decode_words(value: str) -> str:
    """Decode RFC 2047 encoded words leniently (unknown charsets read as Windows-1252)."""
    if any("\udc80" <= char <= "\udcff" for char in value):
        return clean_text(value)  # raw 8-bit text in a header, not encoded words
    try:
        decoded = str(_parsed_header("X-Decode", _cut("X-Decode", value)))
    except Exception:  # a hostile encoded word must not stop parsing; keep it undecoded
        return value
    if "\ufffd" in decoded and "\ufffd" not in value:
        return _decode_words_again(value, decoded)
    return decoded


def _decode_words_again(value: str, decoded: str) -> str:
    # The stdlib gave up on a charset: take the words apart and decode each ourselves.
    try:
        pieces = decode_header(value)
    except Exception:  # as malformed as it gets: the stdlib's reading stands
        return decoded
    text = []
    for piece, charset in pieces:
        if isinstance(piece, str):
            text.append(piece)
        else:
            text.append(decode_bytes(piece, charset, Defects(), "header"))
    return " ".join(" ".join(text).split()) if text else decoded


def addresses(
    msg: Message, name: str, defects: Defects
) -> list[tuple[str | None, str]]:
    """(display name, addr-spec) pairs; domain lower-cased, unusable ones skipped."""
    raw = raw_header(msg, name)
    if raw is None:
        return []
    triples: list[tuple[str, str, str]] = []
    try:
        header = msg[name]
        defects.add_all(name, getattr(header, "defects", ()))
        for address in getattr(header, "addresses", ()):
            triples.append((address.display_name, address.username, address.domain))
    except (
        Exception
    ) as exc:  # e.g. CR/LF smuggled into a display name: parse it ourselves
        defects.add(f"{name}: {one_line(str(exc), 200)}")
        for display_name, address in getaddresses([clean_text(raw)]):
            username, _, domain = address.rpartition("@")
            triples.append((display_name, username, domain))
    pairs: list[tuple[str | None, str]] = []
    for display_name, raw_username, raw_domain in triples:
        # SMTPUTF8 addresses arrive as raw 8-bit bytes: decode them like any header text.
        username, domain = clean_text(raw_username), clean_text(raw_domain)
        if not username or not domain or _BAD_ADDRESS_CHARS.search(username + domain):
            defects.add(f"{name}: unusable address skipped")
            continue
        shown = one_line(decode_words(display_name), MAX_NAME_CHARS, defects, name)
        # RFC 5321: the domain is case-insensitive, the local part may not be.
        pairs.append((shown or None, f"{username}@{domain.lower()}"))
    return pairs


_MEDIA_TYPE = re.compile(r"[a-z0-9!#$&^_.+-]+/[a-z0-9!#$&^_.+-]+")


def content_type(part: Message) -> str:
    """The part's media type; text/plain when the header is broken (RFC 2045 5.2), as
    when it is not two tokens around a slash (`/` and a NUL, say)."""
    try:
        found = part.get_content_type()
    except Exception:  # hostile parameters must not stop parsing
        return "text/plain"
    return found if _MEDIA_TYPE.fullmatch(found) else "text/plain"


def disposition(part: Message) -> str | None:
    """`inline`, `attachment` or None."""
    try:
        return part.get_content_disposition()
    except Exception:  # a hostile header reads as no disposition
        return None


def filename(part: Message) -> str | None:
    """The attachment's file name without any directory part, or None."""
    try:
        name = part.get_filename()
    except Exception:  # RFC 2231 continuations can be malformed
        return None
    if not isinstance(name, str):
        return None
    # Never let a path reach whoever saves the file later.
    name = one_line(name, 1000).replace("\\", "/").rsplit("/", 1)[-1].strip(" .")
    return name[:MAX_FILENAME_CHARS] or None


def charset(part: Message) -> str | None:
    """The declared charset parameter, or None."""
    try:
        return part.get_content_charset()
    except Exception:  # RFC 2231 parameters can be malformed in many ways
        return None


def payload_bytes(part: Message, defects: Defects, label: str) -> bytes | None:
    """The part's body with its transfer encoding undone, or None."""
    try:
        data = part.get_payload(decode=True)
    except Exception as exc:  # e.g. a NUL inside the charset parameter
        defects.add(f"{label}: undecodable body: {type(exc).__name__}")
        return None
    return data if isinstance(data, bytes) else None


def decode_bytes(data: bytes, charset: str | None, defects: Defects, label: str) -> str:
    """Text of body bytes. Unknown or missing charsets, and bytes that are not what the
    label says, decode as UTF-8 where they are UTF-8 and as Windows-1252 elsewhere."""
    if charset is None or charset.strip().lower() in ("unknown-8bit", "x-unknown"):
        return data.decode("utf-8", _FALLBACK)
    try:
        info = codecs.lookup(charset.strip())
        if not getattr(info, "_is_text_encoding", True):
            raise LookupError(charset)  # base64, rot13 and friends are not charsets
    except Exception:  # unknown charset
        defects.add(f"{label}: unknown charset {one_line(charset, 40)!r}")
        return data.decode("utf-8", _FALLBACK)
    if info.name == "utf-8":
        return data.decode("utf-8", _FALLBACK)
    try:
        return data.decode(_CHARSET_SUPERSETS.get(info.name, info.name), "replace")
    except Exception:  # a codec without "replace" support
        return data.decode("utf-8", _FALLBACK)


def html_to_text(markup: str, defects: Defects) -> str:
    """Readable plain text of an HTML body: no links, images or Markdown marks."""
    # Cells would run together ("NameLucía"); layout tables are common in mail.
    markup = _TABLE_CELL_END.sub(lambda match: match.group(0) + " ", markup)
    try:
        converter = html2text.HTML2Text()
        converter.body_width = 0
        converter.unicode_snob = True
        converter.ignore_images = True
        converter.ignore_links = True
        converter.ignore_emphasis = True
        converter.ignore_tables = True
        text = str(converter.handle(markup))
    except Exception as exc:  # crude tag stripping beats losing the text
        defects.add(f"HTML conversion failed: {type(exc).__name__}")
        text = html.unescape(_TAG.sub(" ", markup))
    return _MARKDOWN_HEADING.sub("", _MARKDOWN_ESCAPE.sub(r"\1", text))
