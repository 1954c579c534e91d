"""Measure mail intake's understanding on a labelled set: recall, precision, false alarms.

Reads `labels.csv` (`file,language,kind,type,notes`; kind is request, not_request,
auto_reply or bounce) beside the `.eml` files of a set, default the held-out evaluation set
`tests/data/mail/eval/`, and reads every message as the pipeline does (parser, loop
detection, bounce reader, classifier). A request is *found* when the pipeline would open a
ticket for it (not automatic, confident, a type); it is *acknowledged* when it would wait
in triage but its sender be told it arrived. Prints only aggregate figures:

- recall per type and per language (found / requests), and type right among found;
- precision per type (right type / found with that type);
- false alarms: non-requests, auto-replies and bounces that would open a ticket;
- automatic mail recognised, bounces read, languages detected right.

Goal (issue 13): recall >= 90 %, no false alarm, type right >= 95 % of found.

    python bench/bench_classifier.py [SET_DIR]
"""

import csv
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.mail.bounces import read_bounce  # noqa: E402
from app.mail.classifier import classify  # noqa: E402
from app.mail.parser import parse_message  # noqa: E402
from bench.figures import emit  # noqa: E402

DEFAULT_SET = ROOT / "tests" / "data" / "mail" / "eval"


@dataclass(frozen=True, slots=True)
class Read:
    """One message of the set as labelled and as the pipeline reads it."""

    file: str
    language: str
    kind: str
    type: str
    found: bool
    predicted_type: str
    acknowledged: bool
    automatic: bool
    bounce: bool
    detected_language: str


def read_set(folder: Path, timings: list[float] | None = None) -> list[Read]:
    """Every labelled message of `folder`, read; `timings` gets each classify's seconds."""
    with (folder / "labels.csv").open(newline="", encoding="utf-8") as table:
        rows = list(csv.DictReader(table))
    results = []
    for row in rows:
        raw = (folder / row["file"]).read_bytes()
        parsed = parse_message(raw)
        started = time.perf_counter()
        verdict = classify(parsed.subject, parsed.text)
        if timings is not None:
            timings.append(time.perf_counter() - started)
        found = (
            not parsed.is_automatic
            and verdict.confident
            and verdict.request_type is not None
        )
        results.append(
            Read(
                file=row["file"],
                language=row["language"].strip(),
                kind=row["kind"].strip(),
                type=row["type"].strip(),
                found=found,
                predicted_type=str(verdict.request_type or ""),
                acknowledged=not found
                and not parsed.is_automatic
                and verdict.looks_like_request,
                automatic=parsed.is_automatic,
                bounce=parsed.is_automatic and read_bounce(raw) is not None,
                detected_language=verdict.language or "",
            )
        )
    return results


def _share(part: int, whole: int) -> str:
    return f"{part:>3}/{whole:<3} {100 * part / whole:5.1f} %" if whole else "  -"


def report(results: list[Read]) -> None:
    """Print the aggregate figures (never a message or its label)."""
    requests = [r for r in results if r.kind == "request"]
    found = [r for r in requests if r.found]
    right = [r for r in found if r.predicted_type == r.type]
    acknowledged = [r for r in requests if r.acknowledged]
    print(
        f"messages: {len(results)}  "
        + "  ".join(
            f"{kind}: {count}"
            for kind, count in sorted(Counter(r.kind for r in results).items())
        )
    )
    print(f"recall (ticket opened):         {_share(len(found), len(requests))}")
    print(f"type right among found:         {_share(len(right), len(found))}")
    print(f"unsure but acknowledged:        {_share(len(acknowledged), len(requests))}")
    print(
        f"silent (neither):               {_share(len(requests) - len(found) - len(acknowledged), len(requests))}"
    )
    print("\nper type            recall             precision")
    for kind in sorted({r.type for r in requests} | {r.predicted_type for r in found}):
        labelled = [r for r in requests if r.type == kind]
        hits = [r for r in labelled if r.found and r.predicted_type == kind]
        claimed = [r for r in results if r.found and r.predicted_type == kind]
        correct = [r for r in claimed if r.kind == "request" and r.type == kind]
        print(
            f"  {kind:<16} {_share(len(hits), len(labelled))}   {_share(len(correct), len(claimed))}"
        )
    print("\nper language        recall (any type)  precision (right type)")
    for language in sorted({r.language for r in results}):
        labelled = [r for r in requests if r.language == language]
        hits = [r for r in labelled if r.found]
        claimed = [r for r in results if r.language == language and r.found]
        correct = [
            r for r in claimed if r.kind == "request" and r.predicted_type == r.type
        ]
        print(
            f"  {language:<16} {_share(len(hits), len(labelled))}   {_share(len(correct), len(claimed))}"
        )
    print("\nfalse alarms (would open a ticket):")
    for kind in ("not_request", "auto_reply", "bounce"):
        group = [r for r in results if r.kind == kind]
        print(f"  {kind:<16} {_share(sum(r.found for r in group), len(group))}")
    automatic = [r for r in results if r.kind in ("auto_reply", "bounce")]
    bounces = [r for r in results if r.kind == "bounce"]
    print(
        f"\nautomatic mail recognised:      {_share(sum(r.automatic for r in automatic), len(automatic))}"
    )
    print(
        f"bounces read (message found):   {_share(sum(r.bounce for r in bounces), len(bounces))}"
    )
    people = [r for r in results if r.kind in ("request", "not_request") and r.language]
    print(
        f"language detected right:        {_share(sum(r.detected_language == r.language for r in people), len(people))}"
    )


def emit_figures(results: list[Read], label: str) -> None:
    """The goal figures as `BENCH` lines: recall, type right, false alarms, precision."""
    requests = [r for r in results if r.kind == "request"]
    found = [r for r in requests if r.found]
    right = [r for r in found if r.predicted_type == r.type]
    alarms = [r for r in results if r.kind != "request" and r.found]
    opened = len(found) + len(alarms)

    def share(part: int, whole: int) -> float | None:
        return 100 * part / whole if whole else None

    def by_type(part: Callable[[str], int], whole: Callable[[str], int]) -> str:
        kinds = sorted({r.type for r in requests} | {r.predicted_type for r in found})
        shares = ((kind, share(part(kind), whole(kind))) for kind in kinds)
        return ", ".join(
            f"{kind} {'-' if value is None else f'{value:.0f} %'}"
            for kind, value in shares
        )

    recall_by_type = by_type(
        lambda kind: sum(
            r.found and r.predicted_type == kind for r in requests if r.type == kind
        ),
        lambda kind: sum(r.type == kind for r in requests),
    )
    precision_by_type = by_type(
        lambda kind: sum(
            r.kind == "request" and r.type == kind
            for r in results
            if r.found and r.predicted_type == kind
        ),
        lambda kind: sum(r.found and r.predicted_type == kind for r in results),
    )

    emit(
        "classifier recall (ticket opened)",
        share(len(found), len(requests)),
        "%",
        ">= 90",
        f"{label}: {len(found)} of {len(requests)} requests; by type: {recall_by_type}",
    )
    emit(
        "classifier type right among found",
        share(len(right), len(found)),
        "%",
        ">= 95",
        f"{label}: {len(right)} of {len(found)}",
    )
    emit(
        "classifier false alarms (non-requests that open a ticket)",
        len(alarms),
        "messages",
        "== 0",
        f"{label}: of {len(results) - len(requests)} non-requests",
    )
    emit(
        "classifier precision (right type among tickets opened)",
        share(len(right), opened),
        "%",
        None,
        f"{label}: {len(right)} of {opened}; by type: {precision_by_type}",
    )


def main() -> None:
    """Read the set named on the command line (default: the evaluation set)."""
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_SET
    if not (folder / "labels.csv").is_file():
        print(f"no labels.csv in {folder}: nothing to measure", file=sys.stderr)
        raise SystemExit(1)
    # The first message builds the language detector and the word lists, once per
    # process: timed apart, so that the per-message figure is what a running server pays.
    started = time.perf_counter()
    classify("Datenschutz Kontolöschung", "Datenschutz Kontolöschung Anfrage")
    warm_up = time.perf_counter() - started
    timings: list[float] = []
    started = time.perf_counter()
    results = read_set(folder, timings)
    elapsed = time.perf_counter() - started
    label = str(folder.relative_to(ROOT) if folder.is_relative_to(ROOT) else folder)
    print(f"== {label}")
    report(results)
    emit_figures(results, label)
    count = max(1, len(results))
    print(
        f"\nread in {elapsed:.1f} s ({1000 * elapsed / count:.1f} ms a message with"
        f" parsing); the classifier {1000 * sum(timings) / count:.1f} ms a message on"
        f" average, {1000 * max(timings, default=0.0):.1f} ms at most; warm-up"
        f" {warm_up:.2f} s"
    )


if __name__ == "__main__":
    main()
