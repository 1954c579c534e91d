"""First pass of an export: split a request's staging files per source into spool files.

The fan-out runtime writes `<connector>.jsonl`, one `{"source": ..., "data": {...}}` per line,
with the records of several sources interleaved. Writing one JSON array and one CSV table per
source needs them apart, so each record goes to two spool files of its source: its data as JSON
text (copied from the line as staged when the line has the fan-out's shape, so nothing is
serialised twice) and its CSV row. The row is written under the columns known so far; as columns
only ever get added at the end, an earlier row is the final one minus empty trailing cells,
which the second pass adds (`table_chunks`). Only counts, the union of keys, where the row width
changed and a few shortened previews stay in memory.
"""

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from json.encoder import encode_basestring
from pathlib import Path
from typing import IO, Any

from app.exports.page import Preview, preview

__all__ = [
    "EXTRA_COLUMN",
    "MAX_COLUMNS",
    "UNPAIRED",
    "StagedSource",
    "StagingError",
    "csv_row",
    "split_staging",
    "table_chunks",
]

# Keys past this many in one source are not given a column of their own (a source whose keys
# are ids would otherwise grow the header, and memory, with the data); they go, as a JSON
# object, into this last column.
MAX_COLUMNS = 500
EXTRA_COLUMN = "_other_fields"
_PREVIEW_ROWS = 3
# Built once: json.loads/dumps with options construct a new coder per call, which showed up as
# a tenth of the build time. NaN and Infinity are not JSON: they are kept as the strings the
# source system used, so the package holds only valid JSON.
_DECODER = json.JSONDecoder(parse_constant=str)
# JSON may carry an unpaired surrogate ("\ud800" in its text), which UTF-8 cannot encode. Written back as
# that same escape it stays valid, faithful JSON (and visible text in CSV and HTML).
UNPAIRED = "backslashreplace"
_ENCODER = json.JSONEncoder(ensure_ascii=False)
# The line app.fanout.staging.encode writes: json.dumps of {"source": ..., "data": ...}.
_HEAD, _MIDDLE = '{"source": "', '", "data": '
_JSON_SPACE = " \t\r\n"
_CHUNK_BYTES = 1 << 20
# Spool writes are gathered per source and file, bounded in total: a connector may have
# hundreds of tables, and memory must not grow with the export.
_BUFFER_BYTES = 1 << 18
_BUFFER_MIN = 1 << 13
_BUFFERED_MAX = 1 << 24


def _json_text() -> Callable[[Any], str]:
    """What `_ENCODER.encode` writes for a decoded value, at a third of its cost."""
    try:
        from _json import make_encoder
    except ImportError:  # an interpreter without CPython's accelerator
        return _ENCODER.encode
    # JSONEncoder.encode builds this C encoder anew on every call, a tenth of the first
    # pass for records with nested values; decoded JSON has no cycles, so no markers.
    encoder = make_encoder(
        None, _ENCODER.default, encode_basestring, None, ": ", ", ", False, False, True
    )
    join = "".join
    return lambda value: join(encoder(value, 0))


# How a CSV cell shows a decoded JSON value other than text and null: numbers as JSON writes
# them (repr), true/false, arrays and objects as JSON text.
_AS_JSON = _json_text()
_AS_TEXT: dict[type, Callable[[Any], str]] = {
    int: repr,
    float: repr,
    bool: _AS_JSON,
    list: _AS_JSON,
    dict: _AS_JSON,
}


class StagingError(ValueError):
    """A staging file is not what the fan-out runtime writes; names the file and line only."""


@dataclass(slots=True)
class StagedSource:
    """What the first pass learns about one source: never the records themselves."""

    connector: str
    name: str
    folder: str
    slug: str
    spool: Path  # each record's data, one JSON document per line
    table: Path  # each record's CSV row, under the columns known when it was read
    records: int = 0
    spool_bytes: int = 0
    table_bytes: int = 0
    columns: dict[str, None] = field(default_factory=dict)  # an ordered set
    overflow: bool = False
    previews: list[Preview] = field(default_factory=list)
    # (cells, first row, byte offset in `table`) each time rows got wider; at most
    # MAX_COLUMNS + 2 entries, as widths only grow.
    widths: list[tuple[int, int, int]] = field(default_factory=list)
    buffer_bytes: int = _BUFFER_BYTES  # lowered as sources are added (see `_split`)
    _width: int = field(default=-1, init=False, repr=False)
    _json: bytearray = field(default_factory=bytearray, init=False, repr=False)
    _csv: bytearray = field(default_factory=bytearray, init=False, repr=False)

    def add(self, data: dict[str, Any], encoded: bytes) -> None:
        """Spool a record, given its data and their JSON line."""
        columns = self.columns
        if not columns.keys() >= data.keys():
            self._learn(data)
        cells = [
            csv_text(value)
            if type(value) is str
            else ""
            if value is None
            else _AS_TEXT[type(value)](value)
            for value in map(data.get, columns)
        ]
        if self.overflow:
            extra = {key: value for key, value in data.items() if key not in columns}
            cells.append(_ENCODER.encode(extra) if extra else "")
        if len(cells) != self._width:
            self._width = len(cells)
            self.widths.append((self._width, self.records, self.table_bytes))
        row = csv_row(cells).encode(errors=UNPAIRED)
        self._json += encoded
        self._csv += row
        self.records += 1
        self.spool_bytes += len(encoded)
        self.table_bytes += len(row)
        if len(self.previews) < _PREVIEW_ROWS:
            self.previews.append(preview(data))  # shortened values, not the record
        if len(self._json) >= self.buffer_bytes or len(self._csv) >= self.buffer_bytes:
            self.flush()

    def _learn(self, data: dict[str, Any]) -> None:
        for key in data:
            if key in self.columns:
                continue
            if len(self.columns) < MAX_COLUMNS:
                self.columns[key] = None
            else:
                self.overflow = True

    def flush(self) -> None:
        """Write what is buffered to the spool files."""
        for path, pending in ((self.spool, self._json), (self.table, self._csv)):
            if pending:
                with path.open("ab") as spool:
                    spool.write(pending)
                pending.clear()

    @property
    def header(self) -> list[str]:
        """The CSV columns: keys in first-seen order, then the overflow column if needed."""
        columns = [csv_text(column) for column in self.columns]
        return [*columns, *([EXTRA_COLUMN] if self.overflow else [])]

    def path(self, extension: str) -> str:
        """Where this source's file with `extension` goes in the ZIP."""
        return f"data/{self.folder}/{self.slug}.{extension}"

    @property
    def csv_estimate(self) -> int:
        """An upper bound of the CSV member's size (header, rows and their padding)."""
        return (
            len(csv_row(self.header).encode(errors=UNPAIRED))
            + self.table_bytes
            + self.records * (len(self.header) + 2)
        )


def split_staging(
    staging_dir: Path, work: Path
) -> tuple[list[str], list[StagedSource]]:
    """Spool every `<connector>.jsonl` under `work`; return connector names and sources.

    A missing folder means nothing was found. Only `*.jsonl` directly in `staging_dir` is
    read, so nothing from another request's folder can end up in this package.
    """
    if not staging_dir.is_dir():
        return [], []
    connectors: list[str] = []
    sources: list[StagedSource] = []
    folders: set[str] = set()
    for index, staged in enumerate(sorted(staging_dir.glob("*.jsonl"))):
        folder = _unique(_slug(staged.stem), folders)
        spool_dir = work / str(index)
        spool_dir.mkdir()
        connectors.append(staged.stem)
        sources.extend(_split(staged, folder, spool_dir))
    return connectors, sources


def _split(staged: Path, folder: str, spool_dir: Path) -> list[StagedSource]:
    """Spool each record's data and CSV row to its source's files."""
    sources: dict[str, StagedSource] = {}
    slugs: set[str] = set()
    file_name = staged.name
    with staged.open("rb") as lines:
        for number, line in enumerate(lines, start=1):
            name, data, encoded = _parse(line, file_name, number)
            if not name:
                continue  # a blank line
            source = sources.get(name)
            if source is None:
                slug = _unique(_slug(name), slugs)
                ordinal = len(sources)
                source = sources[name] = StagedSource(
                    staged.stem,
                    name,
                    folder,
                    slug,
                    spool_dir / f"{ordinal}.jsonl",
                    spool_dir / f"{ordinal}.csv",
                )
                share = max(_BUFFERED_MAX // (2 * len(sources)), _BUFFER_MIN)
                for each in sources.values():
                    each.buffer_bytes = min(share, _BUFFER_BYTES)
            source.add(data, encoded)
    for source in sources.values():
        source.flush()
    return sorted(sources.values(), key=lambda source: source.name)


def _parse(
    line: bytes, file_name: str, number: int
) -> tuple[str, dict[str, Any], bytes]:
    """The record's source, data and data as one JSON line; an empty name for a blank line."""
    # Errors name the file and line, never the content: it is personal data and ends in logs.
    try:
        text = line.decode()
    except UnicodeDecodeError:
        raise StagingError(f"{file_name} line {number}: not valid JSON") from None
    if text.startswith(_HEAD):
        staged = _as_staged(text)
        if staged is not None:
            return staged
    if not line.strip():
        return "", {}, b""
    where = f"{file_name} line {number}"
    try:
        record = _DECODER.decode(text)
    except ValueError:
        raise StagingError(f"{where}: not valid JSON") from None
    if not isinstance(record, dict):
        raise StagingError(f"{where}: expected a JSON object")
    name, data = record.get("source"), record.get("data")
    if not isinstance(name, str) or not name:
        raise StagingError(f"{where}: 'source' must be a non-empty string")
    if not isinstance(data, dict):
        raise StagingError(f"{where}: 'data' must be a JSON object")
    # ensure_ascii=False keeps names readable; JSON escapes every control character,
    # so a spool line never contains a raw newline.
    return name, data, (_ENCODER.encode(data) + "\n").encode(errors=UNPAIRED)


def _as_staged(text: str) -> tuple[str, dict[str, Any], bytes] | None:
    """A line in the fan-out's own shape, its data's text kept as the spool line; else None.

    Decoding the name and the data where they stand, and copying the data's text, spares
    encoding the decoded dict again (a third of the first pass).
    """
    end = text.find('"', len(_HEAD))
    name = text[len(_HEAD) : end]
    if not name or "\\" in name or not name.isprintable():
        return None  # escapes or control characters: the full decode handles the name
    if not text.startswith(_MIDDLE, end):
        return None
    start = end + len(_MIDDLE)
    try:
        data, stop = _DECODER.raw_decode(text, start)
    except ValueError:
        return None  # the full decode names the problem
    if type(data) is not dict or text[stop:].strip(_JSON_SPACE) != "}":
        return None
    raw = text[start:stop]
    # NaN and Infinity were decoded as strings, so their text must change; \u escapes are
    # written out as the characters they stand for (the package is UTF-8, not ASCII).
    if "NaN" in raw or "Infinity" in raw or "\\u" in raw:
        return None
    # The text came from valid UTF-8 and holds no raw newline (JSON escapes it).
    return name, data, (raw + "\n").encode()


# A spreadsheet runs a cell that starts like a formula (=, +, -, @, or a tab or CR before
# one); a quote in front makes it plain text. Only text is guarded: numbers stay numbers.
_FORMULA_STARTS = frozenset("=+-@\t\r")


def csv_text(value: str) -> str:
    """A text cell as the CSV shows it: a formula-like start is guarded with a quote."""
    return "'" + value if value[:1] in _FORMULA_STARTS else value


def csv_row(cells: list[str]) -> str:
    """One CSV record with CRLF, byte for byte as `csv.writer` writes it (minimal quoting).

    csv.writer copies every character one by one, which made it the slowest step of a build;
    joining and searching whole lines runs at memory speed, and only cells holding a comma,
    quote or line break are quoted, as csv.writer does.
    """
    line = ",".join(cells)
    if '"' in line or "\n" in line or "\r" in line or line.count(",") != len(cells) - 1:
        line = ",".join(
            [
                '"' + cell.replace('"', '""') + '"'
                if '"' in cell or "," in cell or "\n" in cell or "\r" in cell
                else cell
                for cell in cells
            ]
        )
    elif not line and len(cells) == 1:
        line = '""'  # one empty cell, quoted so that the row does not read as no cells
    return line + "\r\n"


def table_chunks(source: StagedSource) -> Iterator[bytes]:
    """The source's CSV file: header, then every row padded to the header's width."""
    width = len(source.header)
    yield csv_row(source.header).encode(errors=UNPAIRED)
    # Rows written before the last column appeared lack its empty cells; all later rows are
    # final and are copied as they are.
    narrow = [entry for entry in source.widths if entry[0] < width]
    full_row, full_offset = next(
        ((row, offset) for cells, row, offset in source.widths if cells == width),
        (source.records, source.table_bytes),
    )
    with source.table.open("rb") as table:
        if narrow:
            bounds = [row for _, row, _ in narrow[1:]] + [full_row]
            rows = _table_rows(table)
            for (cells, first, _), end in zip(narrow, bounds, strict=True):
                for _ in range(end - first):
                    yield _padded(next(rows), cells, width)
            table.seek(full_offset)
        while chunk := table.read(_CHUNK_BYTES):
            yield chunk


def _table_rows(table: IO[bytes]) -> Iterator[bytes]:
    """Rows of a table spool, each with its CRLF.

    A line break ends a row only outside quotes, i.e. after an even number of quote
    characters in the row: quoting opens and closes a cell, and a quote inside one is doubled.
    """
    pending, quotes = b"", 0
    for piece in table:
        pending += piece
        quotes += piece.count(b'"')
        if quotes % 2 == 0:
            yield pending
            pending, quotes = b"", 0


def _padded(row: bytes, cells: int, width: int) -> bytes:
    body = row[:-2]  # without its CRLF
    if not body or body == b'""':  # no cell, or one empty cell: the row is all empty
        body = b"," * (width - 1) if width > 1 else b'""'
    else:
        body += b"," * (width - cells)
    return body + b"\r\n"


_UNSAFE = re.compile(r"[^\w.-]+")


def _slug(name: str) -> str:
    """A file name safe on every OS: no separators, no `..`, no control characters."""
    return _UNSAFE.sub("_", name).strip("._")[:100] or "unnamed"


def _unique(slug: str, used: set[str]) -> str:
    # Compared case-insensitively: "Users" and "users" would overwrite each other when the ZIP
    # is extracted on Windows or macOS.
    candidate, number = slug, 1
    while candidate.casefold() in used:
        number += 1
        candidate = f"{slug}-{number}"
    used.add(candidate.casefold())
    return candidate
