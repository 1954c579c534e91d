"""First pass of an export: split a request's staging files per source into spool files.

The fan-out runtime writes `<connector>.jsonl`, one `{"source": ..., "data": {...}}` per line,
with the records of several sources interleaved. Writing one JSON array per source needs them
apart, so each record's data is copied to its source's spool file (one JSON document per line)
while only counts, the union of keys and a few shortened previews stay in memory.
"""

import json
import re
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from app.exports.page import Preview, preview

__all__ = [
    "EXTRA_COLUMN",
    "MAX_COLUMNS",
    "UNPAIRED",
    "StagedSource",
    "StagingError",
    "split_staging",
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
_OPEN_SPOOLS = 32  # open file handles per connector; more sources reopen in append mode


class StagingError(ValueError):
    """A staging file is not what the fan-out runtime writes; names the file and line only."""


@dataclass(slots=True)
class StagedSource:
    """What the first pass learns about one source: never the records themselves."""

    connector: str
    name: str
    folder: str
    slug: str
    spool: Path
    records: int = 0
    spool_bytes: int = 0
    columns: dict[str, None] = field(default_factory=dict)  # an ordered set
    overflow: bool = False
    previews: list[Preview] = field(default_factory=list)

    def add(self, data: dict[str, Any], size: int) -> None:
        """Count a record spooled in `size` bytes, note its keys, keep it as a preview."""
        self.records += 1
        self.spool_bytes += size
        for key in data:
            if key in self.columns:
                continue
            if len(self.columns) < MAX_COLUMNS:
                self.columns[key] = None
            else:
                self.overflow = True
        if len(self.previews) < _PREVIEW_ROWS:
            self.previews.append(preview(data))  # shortened values, not the record

    @property
    def header(self) -> list[str]:
        """The CSV columns: keys in first-seen order, then the overflow column if needed."""
        return [*self.columns, *([EXTRA_COLUMN] if self.overflow else [])]

    def path(self, extension: str) -> str:
        """Where this source's file with `extension` goes in the ZIP."""
        return f"data/{self.folder}/{self.slug}.{extension}"


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
    """Copy each record's data to its source's spool, one JSON document per line."""
    sources: dict[str, StagedSource] = {}
    slugs: set[str] = set()
    with staged.open("rb") as lines, _Spools() as spools:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            name, data = _parse(line, staged.name, number)
            source = sources.get(name)
            if source is None:
                slug = _unique(_slug(name), slugs)
                spool = spool_dir / f"{len(sources)}.jsonl"
                source = sources[name] = StagedSource(
                    staged.stem, name, folder, slug, spool
                )
            # ensure_ascii=False keeps names readable; JSON escapes every control character,
            # so a spool line never contains a raw newline.
            encoded = (_ENCODER.encode(data) + "\n").encode(errors=UNPAIRED)
            spools.write(source.spool, encoded)
            source.add(data, len(encoded))
    return sorted(sources.values(), key=lambda source: source.name)


def _parse(line: bytes, file_name: str, number: int) -> tuple[str, dict[str, Any]]:
    # Errors name the file and line, never the content: it is personal data and ends in logs.
    where = f"{file_name} line {number}"
    try:
        record = _DECODER.decode(line.decode())
    except ValueError:  # UnicodeDecodeError is a ValueError too
        raise StagingError(f"{where}: not valid JSON") from None
    if not isinstance(record, dict):
        raise StagingError(f"{where}: expected a JSON object")
    name, data = record.get("source"), record.get("data")
    if not isinstance(name, str) or not name:
        raise StagingError(f"{where}: 'source' must be a non-empty string")
    if not isinstance(data, dict):
        raise StagingError(f"{where}: 'data' must be a JSON object")
    return name, data


class _Spools:
    """Append-only spool files with a bounded number of open handles (LRU)."""

    def __init__(self) -> None:
        self._open: OrderedDict[Path, IO[bytes]] = OrderedDict()

    def __enter__(self) -> "_Spools":
        return self

    def __exit__(self, *_: object) -> None:
        while self._open:
            self._open.popitem(last=False)[1].close()

    def write(self, path: Path, data: bytes) -> None:
        handle = self._open.get(path)
        if handle is None:
            if len(self._open) >= _OPEN_SPOOLS:
                self._open.popitem(last=False)[1].close()
            handle = self._open[path] = path.open("ab")
        else:
            self._open.move_to_end(path)
        handle.write(data)


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
