"""Staging files: access records of one connector, as JSON lines, written atomically.

`data_dir/staging/<reference>/<connector>.jsonl` holds one `{"source": ..., "data": ...}`
per line. Records stream into a temporary file beside it (batched, never all in memory)
and the file replaces the final one only when the task succeeds, so a task that runs
twice after a crash leaves one complete copy, never duplicates.

Beside it, `<connector>.sources.json` names the sources in words, from the connector's
`source_info()`, for the readable export (only when the connector names at least one):

    {"format": "dsr-desk-sources/1", "connector": "crm",
     "sources": {"contacts": {"label": "Contacts", "category": null,
                              "columns": {"email": "Email address"}}}}

`read_sources(staging_dir)` gives them back per staging file stem (as the export builder
names connectors) and source, as `SourceInfo`s.
"""

import base64
import hashlib
import json
import os
import re
import secrets
from collections.abc import AsyncIterable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import anyio

from app.logging import log
from connectors.base import Connector, Record, SourceInfo

BATCH_RECORDS = 500
PART_SUFFIX = ".part"
SOURCES_SUFFIX = ".sources.json"
SOURCES_FORMAT = "dsr-desk-sources/1"
_SAFE_NAME = re.compile(r"[A-Za-z0-9_.-]+")


def staging_dir(data_dir: Path, reference: str) -> Path:
    """The folder holding a ticket's staging files."""
    return data_dir / "staging" / reference


def file_name(connector: str) -> str:
    """A file name for the connector: its name when safe, else a sanitised form + hash."""
    if _SAFE_NAME.fullmatch(connector) and not connector.startswith("."):
        return f"{connector}.jsonl"
    digest = hashlib.sha256(connector.encode()).hexdigest()[:8]
    cleaned = re.sub(r"[^A-Za-z0-9_-]+", "_", connector).strip("_") or "connector"
    return f"{cleaned}-{digest}.jsonl"


def staging_path(data_dir: Path, reference: str, connector: str) -> Path:
    """Where a connector's records for a ticket end up."""
    return staging_dir(data_dir, reference) / file_name(connector)


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal | UUID):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    return str(value)


def encode(record: Record) -> str:
    """One JSON line for a record (dates ISO 8601, decimals as strings, bytes base64)."""
    line = {"source": record.source, "data": dict(record.data)}
    return json.dumps(line, default=_json_default, ensure_ascii=False) + "\n"


def sources_path(staged: Path) -> Path:
    """The sidecar naming the sources of staging file `staged` (`crm.jsonl`)."""
    return staged.with_name(staged.stem + SOURCES_SUFFIX)


def _info_json(info: SourceInfo) -> dict[str, Any]:
    return {
        "label": info.label,
        "category": info.category,
        "columns": dict(info.columns),
    }


def read_sources(folder: Path) -> dict[str, dict[str, SourceInfo]]:
    """The sources named in words per staging file stem and source (none: empty)."""
    found: dict[str, dict[str, SourceInfo]] = {}
    for path in sorted(folder.glob(f"*{SOURCES_SUFFIX}")):
        stem = path.name[: -len(SOURCES_SUFFIX)]
        body = json.loads(path.read_text(encoding="utf-8"))
        found[stem] = {
            source: SourceInfo(
                label=str(item["label"]),
                category=item.get("category"),
                columns={str(k): str(v) for k, v in item.get("columns", {}).items()},
            )
            for source, item in body.get("sources", {}).items()
        }
    return found


@dataclass
class StagedFile:
    """A temporary staging file being written; `publish()` makes it the final one."""

    final: Path
    part: Path
    counts: dict[str, int] = field(default_factory=dict)
    published: bool = False
    connector: str = ""
    sources: dict[str, SourceInfo] = field(default_factory=dict)

    @classmethod
    def open_for(cls, data_dir: Path, reference: str, connector: str) -> "StagedFile":
        """A new, uniquely named temporary file beside the final path."""
        final = staging_path(data_dir, reference, connector)
        part = final.with_name(f"{final.name}.{secrets.token_hex(4)}{PART_SUFFIX}")
        return cls(final=final, part=part, connector=connector)

    def describe(self, connector: Connector[Any]) -> None:
        """Ask the connector to name each source written, for the readable export."""
        for source in self.counts:
            try:
                info = connector.source_info(source)
            except Exception as exc:  # a plugin may raise anything: keep the raw name
                log.warning(
                    "fanout.source_info_failed",
                    connector=self.connector,
                    error=type(exc).__name__,
                )
                continue
            if isinstance(info, SourceInfo):
                self.sources[source] = info

    async def write_stream(self, records: AsyncIterable[Record]) -> None:
        """Write every record, a batch at a time; counts records per source."""
        batch: list[str] = []
        first = True
        async for record in records:
            batch.append(encode(record))
            self.counts[record.source] = self.counts.get(record.source, 0) + 1
            if len(batch) >= BATCH_RECORDS:
                await anyio.to_thread.run_sync(self._append, "".join(batch), first)
                batch.clear()
                first = False
        await anyio.to_thread.run_sync(self._append, "".join(batch), first, True)

    def _append(self, text: str, first: bool, last: bool = False) -> None:
        if first:
            self.part.parent.mkdir(parents=True, exist_ok=True)
        with self.part.open("w" if first else "a", encoding="utf-8") as handle:
            handle.write(text)
            if last:  # on disk before the rename makes it the result
                handle.flush()
                os.fsync(handle.fileno())

    async def write_all(self, records: Iterable[Record]) -> None:
        """Write records already in memory (a webhook callback body)."""

        async def stream() -> Any:
            for record in records:
                yield record

        await self.write_stream(stream())

    async def publish(self) -> None:
        """Atomically replace the final file and remove leftovers of earlier attempts."""
        await publish_all([self])

    def _publish(self) -> None:
        self.part.replace(self.final)
        self.published = True
        for stale in self.final.parent.glob(f"{self.final.name}.*{PART_SUFFIX}"):
            stale.unlink(missing_ok=True)
        sidecar = sources_path(self.final)
        if not self.sources:  # an earlier attempt's names would describe other data
            sidecar.unlink(missing_ok=True)
            return
        body = {
            "format": SOURCES_FORMAT,
            "connector": self.connector,
            "sources": {name: _info_json(info) for name, info in self.sources.items()},
        }
        part = sidecar.with_name(f"{sidecar.name}.{secrets.token_hex(4)}{PART_SUFFIX}")
        part.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
        part.replace(sidecar)

    async def discard(self) -> None:
        """Remove the temporary file (the attempt failed); nothing to do once published."""
        if not self.published:
            await anyio.to_thread.run_sync(lambda: self.part.unlink(missing_ok=True))


async def publish_all(files: Sequence[StagedFile]) -> None:
    """Publish several staged files in one trip to a worker thread."""
    if files:
        await anyio.to_thread.run_sync(_publish_each, files)


def _publish_each(files: Sequence[StagedFile]) -> None:
    for file in files:
        file._publish()
