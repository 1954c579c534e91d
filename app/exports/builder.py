"""Build the results package of an access or portability request: one ZIP, streamed from staging.

Input is the request's staging folder: `<connector>.jsonl` per connector, one
`{"source": "<object or table>", "data": {...}}` per line, written by the fan-out runtime.
Output, for every source of every connector:

- `data/<connector>/<source>.json`: a JSON array of the records, a faithful copy (Art. 15(3));
- `data/<connector>/<source>.csv`: the same records, one column per key, for spreadsheets
  (Art. 20 asks for a structured, commonly used, machine-readable format);
- `index.html` (access only): what we hold, from which system, and the Art. 15 facts from
  `privacy.yaml`, for a reader who is not technical (see `app.exports.page`);
- `manifest.json`: sources, counts, and the size and sha256 of every file.

Building is blocking file and CPU work: async callers run it in a worker thread
(`anyio.to_thread.run_sync`). Memory does not grow with the export: a first pass splits each
connector's lines per source into a JSON spool and a CSV spool (records of several sources are
interleaved) and keeps only counts, column names and a few preview rows (`app.exports.staging`);
a second pass copies the spools into the ZIP member by member, in large chunks. Spools live next
to the target, on the data volume, because /tmp is often a RAM-backed tmpfs.
"""

import hashlib
import json
import os
import tempfile
import uuid
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from app.exports.page import PageSource, render_index
from app.exports.staging import (
    UNPAIRED,
    StagedSource,
    StagingError,
    split_staging,
    table_chunks,
)
from app.privacy import PrivacyFacts
from connectors.base import SourceInfo

# How a connector names one of its sources for people (Connector.source_info).
Describe = Callable[[str, str], SourceInfo | None]

__all__ = ["ExportFile", "ExportManifest", "StagingError", "build_export"]

REQUEST_TYPES = frozenset({"access", "portability"})
MANIFEST_FORMAT = "dsr-desk-export/1"
_FLUSH_BYTES = 1 << 16
_CHUNK_BYTES = 1 << 20
# Well under zipfile's 2 GiB limit for members written without zip64 headers.
_ZIP64_FROM = 1 << 30

_ZipTime = tuple[int, int, int, int, int, int]


@dataclass(frozen=True, slots=True)
class ExportFile:
    """One member of the ZIP: its path, uncompressed size and sha256."""

    path: str
    bytes: int
    sha256: str


@dataclass(frozen=True, slots=True)
class ExportManifest:
    """The built ZIP: where it is, its size and sha256, record counts and its members."""

    path: Path
    size: int
    sha256: str
    counts: Mapping[str, Mapping[str, int]]  # connector -> source -> records
    files: tuple[ExportFile, ...]


def build_export(
    staging_dir: Path,
    target: Path,
    *,
    reference: str,
    request_type: str,
    facts: PrivacyFacts,
    generated_at: datetime,
    language: str = "en",
    subject_email: str,
    describe: Describe | None = None,
    system_labels: Mapping[str, str] | None = None,
) -> ExportManifest:
    """Write the request's results ZIP to `target` (atomically) and describe what it holds.

    `describe(connector, source)` names sources in words on index.html; the JSON and CSV
    files keep the raw names."""
    if request_type not in REQUEST_TYPES:
        raise ValueError(f"request_type must be one of {sorted(REQUEST_TYPES)}")
    if generated_at.tzinfo is None:
        raise ValueError("generated_at must be timezone-aware")
    target.parent.mkdir(parents=True, exist_ok=True)
    # Written beside the target under a name of its own, then renamed: nothing else writes
    # this file, so the size and hash taken before the rename are those of the package.
    partial = target.with_name(f".{target.name}.{uuid.uuid4().hex}.part")
    try:
        with tempfile.TemporaryDirectory(prefix=".spool-", dir=target.parent) as work:
            connectors, sources = split_staging(staging_dir, Path(work))
            files = _write_zip(
                partial,
                sources,
                connectors=connectors,
                reference=reference,
                request_type=request_type,
                facts=facts,
                generated_at=generated_at.astimezone(UTC),
                language=language,
                subject_email=subject_email,
                describe=describe or _raw_names,
                system_labels=system_labels or {},
            )
        size, digest = _file_digest(partial)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    counts: dict[str, dict[str, int]] = {name: {} for name in connectors}
    for source in sources:
        counts[source.connector][source.name] = source.records
    return ExportManifest(target, size, digest, counts, tuple(files))


def _write_zip(
    partial: Path,
    sources: list[StagedSource],
    *,
    connectors: list[str],
    reference: str,
    request_type: str,
    facts: PrivacyFacts,
    generated_at: datetime,
    language: str,
    subject_email: str,
    describe: Describe,
    system_labels: Mapping[str, str],
) -> list[ExportFile]:
    stamp = _zip_time(generated_at)
    index_file: ExportFile | None = None
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        if request_type == "access":
            page = render_index(
                [_page_source(source, describe) for source in sources],
                connectors=connectors,
                system_labels=system_labels,
                reference=reference,
                facts=facts,
                generated_at=generated_at,
                language=language,
                subject_email=subject_email,
            )
            with _Member(archive, "index.html", stamp) as member:
                member.write(page.encode(errors=UNPAIRED))
            index_file = member.result
        per_source: list[list[ExportFile]] = []
        for source in sources:
            per_source.append(
                [
                    _write_json(archive, source, stamp),
                    _write_csv(archive, source, stamp),
                ]
            )
        manifest = {
            "format": MANIFEST_FORMAT,
            "reference": reference,
            "request_type": request_type,
            "generated_at": generated_at.isoformat(),
            "connectors": connectors,
            "records": sum(source.records for source in sources),
            "sources": [
                _manifest_source(source, written)
                for source, written in zip(sources, per_source, strict=True)
            ],
            "index": _file_entry(index_file) if index_file else None,
        }
        with _Member(archive, "manifest.json", stamp) as member:
            text = json.dumps(manifest, ensure_ascii=False, indent=2)
            member.write(text.encode(errors=UNPAIRED))
            member.write(b"\n")
        files: list[ExportFile] = [
            *([index_file] if index_file else []),
            *(item for written in per_source for item in written),
            member.result,
        ]
    with partial.open("rb+") as done:
        os.fsync(done.fileno())  # the rename below must not expose a half-written file
    return files


def _write_json(
    archive: zipfile.ZipFile, source: StagedSource, stamp: _ZipTime
) -> ExportFile:
    """Stream the spool as a JSON array, in chunks rather than lines."""
    # The spool's lines are the array's elements: only the separators change, each newline
    # but the last becoming a comma and a newline. JSON escapes newlines inside strings.
    remaining = source.spool_bytes
    size = source.spool_bytes + 3 * source.records + 4
    with (
        _Member(archive, source.path("json"), stamp, size) as member,
        source.spool.open("rb") as spool,
    ):
        member.write(b"[\n  " if source.records else b"[")
        while chunk := spool.read(_CHUNK_BYTES):
            remaining -= len(chunk)
            if not remaining:
                chunk = chunk[:-1]  # the final newline closes the array instead
            member.write(chunk.replace(b"\n", b",\n  "))
        member.write(b"\n]\n" if source.records else b"]\n")
    return member.result


def _write_csv(
    archive: zipfile.ZipFile, source: StagedSource, stamp: _ZipTime
) -> ExportFile:
    """Stream the source's CSV: its header, then its spooled rows (see `table_chunks`)."""
    with _Member(archive, source.path("csv"), stamp, source.csv_estimate) as member:
        for chunk in table_chunks(source):
            member.write(chunk)
    return member.result


def _zip_time(moment: datetime) -> _ZipTime:
    # Members carry the generation time (UTC), not the build's wall clock: rebuilding the same
    # request gives the same bytes. ZIP cannot store dates before 1980.
    moment = max(moment, datetime(1980, 1, 1, tzinfo=UTC))
    return (
        moment.year,
        moment.month,
        moment.day,
        moment.hour,
        moment.minute,
        moment.second,
    )


class _Member:
    """A ZIP member opened for streaming writes; buffers, hashes and counts what it writes."""

    def __init__(
        self, archive: zipfile.ZipFile, path: str, stamp: _ZipTime, estimate: int = 0
    ) -> None:
        info = zipfile.ZipInfo(path, date_time=stamp)
        # zlib's default level (6), as the zip tool uses: levels 1-3 would build faster but
        # make the package larger, and packages up to DSR_ATTACH_MAX_BYTES travel by email.
        info.compress_type = zipfile.ZIP_DEFLATED
        # Readable once extracted, like any downloaded file (the default is owner-only).
        info.external_attr = 0o644 << 16
        # zip64 headers only when needed: some older unzip tools reject them on small files.
        self._stream = archive.open(info, "w", force_zip64=estimate >= _ZIP64_FROM)
        self._path = path
        self._hash = hashlib.sha256()
        self._size = 0
        self._buffer = bytearray()

    def __enter__(self) -> "_Member":
        return self

    def __exit__(self, *_: object) -> None:
        self._flush()
        self._stream.close()

    def write(self, data: bytes) -> None:
        """Add bytes; small writes are gathered so zlib sees fewer, larger blocks."""
        if len(data) >= _FLUSH_BYTES:
            self._flush()
            self._send(data)
            return
        self._buffer += data
        if len(self._buffer) >= _FLUSH_BYTES:
            self._flush()

    def _flush(self) -> None:
        if self._buffer:
            self._send(self._buffer)
            self._buffer.clear()

    def _send(self, data: bytes | bytearray) -> None:
        self._hash.update(data)
        self._size += len(data)
        self._stream.write(data)

    @property
    def result(self) -> ExportFile:
        """Path, size and sha256 of what was written (complete once the member is closed)."""
        return ExportFile(self._path, self._size, self._hash.hexdigest())


def _raw_names(_connector: str, _source: str) -> SourceInfo | None:
    return None


def _page_source(source: StagedSource, describe: Describe) -> PageSource:
    return PageSource(
        connector=source.connector,
        name=source.name,
        info=describe(source.connector, source.name),
        records=source.records,
        fields=source.header,
        previews=source.previews,
        json_path=source.path("json"),
        csv_path=source.path("csv"),
    )


def _manifest_source(source: StagedSource, files: list[ExportFile]) -> dict[str, Any]:
    return {
        "connector": source.connector,
        "source": source.name,
        "records": source.records,
        "files": [_file_entry(item) for item in files],
    }


def _file_entry(item: ExportFile) -> dict[str, Any]:
    return {"path": item.path, "bytes": item.bytes, "sha256": item.sha256}


def _file_digest(path: Path) -> tuple[int, str]:
    """Size and sha256 of a file, read in chunks."""
    with path.open("rb") as handle:
        digest = hashlib.file_digest(handle, "sha256")
    return path.stat().st_size, digest.hexdigest()
