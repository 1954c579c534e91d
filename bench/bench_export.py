"""Benchmark the results package builder against the `zip` tool on the same files.

Generates the staging folder of one person with `--records` records (default 1,000,000) in two
connectors, five interleaved sources, varying keys and nested values; then, each in a child
process, builds the access package with `build_export` and runs the `zip` command-line tool
(Debian/Ubuntu: `apt-get install -y zip`) twice:

- on the files the package holds (its JSON and CSV files, index.html and manifest.json,
  extracted to disk): the like-for-like comparison, since both write the same bytes into a ZIP
  with the same deflate level (6, zlib's and zip's default). The builder does more besides:
  it reads and splits the JSON lines, writes the CSV, hashes every member (sha256), renders the
  page and fsyncs the package. Goal (issue 8): build time <= 3x this zip's, peak RSS < 200 MiB;
- on the staging `.jsonl` files, the comparison the issue first reported (10-17x).

Prints wall and CPU time of each, their ratios, peak RSS (the child's own VmHWM for the
builder; psutil sampling every 20 ms for both) and sizes. On a shared machine the CPU ratio is
the steadier figure; the wall ratio is the goal.

    python bench/bench_export.py [--records 1000000] [--dir /path/on/the/data/volume]
"""

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # bench.*, run as a script
from bench.figures import emit  # noqa: E402

GOAL_RATIO = 3.0
GOAL_RSS = 200 * 2**20
EMAIL = "bench.person@example.com"
WORDS = [
    "alpha",
    "bravo",
    "charlie",
    "delta",
    "echo",
    "foxtrot",
    "golf",
    "hotel",
    "india",
    "juliett",
    "kilo",
    "lima",
]


def _record(generator: random.Random, n: int) -> tuple[str, str, dict[str, object]]:
    """One staged record: connector, source and data, shaped like its vendor's."""
    kind = n % 10
    text = " ".join(generator.choices(WORDS, k=generator.randint(8, 30)))
    if kind < 5:
        data: dict[str, object] = {
            "id": n,
            "kind": generator.choice(["login", "view", "export", "share"]),
            "at": f"2026-01-{1 + n % 28:02d}T{n % 24:02d}:{n % 60:02d}:00Z",
            "ip": f"192.0.2.{n % 250}",
            "properties": {"page": f"/dashboards/{n % 97}", "ms": n % 1000},
        }
        return "app_db", "events", data
    if kind < 7:
        data = {"id": n, "started": "2026-01-01T00:00:00Z", "agent": "Firefox/128"}
        if n % 3 == 0:
            data["device"] = {"os": "Linux", "screen": [1920, 1080]}
        return "app_db", "sessions", data
    if kind < 9:
        data = {"id": f"N-{n}", "author": "Support Team", "body": text}
        return "crm", "notes", data
    if n % 20 == 9:
        data = {"id": f"D-{n}", "amount": round(generator.uniform(10, 5000), 2)}
        return "crm", "deals", data
    data = {"id": n, "email": EMAIL, "name": "Bench Person", "tags": WORDS[: n % 5]}
    return "crm", "contacts", data


def generate(staging: Path, records: int) -> int:
    """Write the staging files record by record; return their total size in bytes."""
    staging.mkdir(parents=True)
    generator = random.Random(1)
    files = {name: (staging / f"{name}.jsonl").open("w") for name in ("crm", "app_db")}
    try:
        for n in range(records):
            connector, source, data = _record(generator, n)
            files[connector].write(json.dumps({"source": source, "data": data}) + "\n")
    finally:
        for handle in files.values():
            handle.close()
    return sum(path.stat().st_size for path in staging.iterdir())


def build_child(staging: Path, target: Path) -> None:
    """Child mode: build the package, then print its figures and our own peak RSS."""
    from app.exports.builder import build_export
    from app.privacy import load_privacy

    facts = load_privacy(ROOT / "privacy.example.yaml")
    baseline = _own_rss()
    started, cpu = time.perf_counter(), time.process_time()
    manifest = build_export(
        staging,
        target,
        reference="DSR-BENCH-1",
        request_type="access",
        facts=facts,
        generated_at=datetime.now(UTC),
        subject_email=EMAIL,
    )
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    records = sum(n for sources in manifest.counts.values() for n in sources.values())
    hwm = _own_status("VmHWM")
    print(
        json.dumps(
            {
                "seconds": elapsed,
                "cpu": cpu,
                "records": records,
                "hwm": hwm,
                "baseline": baseline,
                "size": manifest.size,
                "files": len(manifest.files),
            }
        )
    )


def _own_status(field: str) -> int:
    """A memory figure of this process in bytes (Linux /proc), 0 elsewhere.

    VmHWM is the peak RSS of this process image; ru_maxrss would not do, as Linux carries it
    over exec() from the parent that forked us.
    """
    status = Path("/proc/self/status")
    if not status.is_file():
        return 0
    for line in status.read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) * 1024
    return 0


def _own_rss() -> int:
    return _own_status("VmRSS")


def run_sampled(command: list[str], cwd: Path = ROOT) -> tuple[float, float, int, str]:
    """Run a command; return wall and CPU seconds, peak RSS sampled by psutil, and stdout."""
    # Written-back first, so that no run pays for the previous one's dirty pages.
    os.sync()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=cwd)  # noqa: S603
    watched = psutil.Process(process.pid)
    peak = 0
    while process.poll() is None:
        try:
            peak = max(peak, watched.memory_info().rss)
        except psutil.NoSuchProcess:
            break
        time.sleep(0.02)
    output = process.stdout.read() if process.stdout else ""
    elapsed = time.perf_counter() - started
    if process.wait() != 0:
        raise SystemExit(f"{command[0]} failed with exit code {process.returncode}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu, peak, output


def main(records: int, folder: Path | None) -> None:
    mib = 2**20
    with tempfile.TemporaryDirectory(prefix="bench-export-", dir=folder) as work:
        staging, target = (
            Path(work) / "staging",
            Path(work) / "exports" / "DSR-BENCH-1.zip",
        )
        started = time.perf_counter()
        staged = generate(staging, records)
        print(
            f"generate  {records:>10,} records, {staged / mib:7.1f} MiB of JSON lines "
            f"in {time.perf_counter() - started:6.2f} s"
        )

        command = [sys.executable, __file__, "--build-child", str(staging), str(target)]
        wall, _, sampled, output = run_sampled(command)
        built = json.loads(output)
        print(
            f"builder   {built['records']:>10,} records -> {built['size'] / mib:7.1f} MiB "
            f"ZIP, {built['files']} files, build {built['seconds']:6.2f} s, "
            f"CPU {built['cpu']:6.2f} s (child wall {wall:.2f} s incl. start-up)"
        )
        print(
            f"          peak RSS {built['hwm'] / mib:6.0f} MiB (VmHWM), "
            f"{sampled / mib:.0f} MiB (sampled); {built['baseline'] / mib:.0f} MiB "
            "before the build (interpreter, pydantic, babel)"
        )
        size = f"{built['records']:,} records"
        emit("export peak RSS", built["hwm"] / mib, "MiB", f"< {GOAL_RSS // mib}", size)

        zip_tool = shutil.which("zip")
        if zip_tool is None:
            print(
                "zip       not installed (apt-get install -y zip): comparison skipped"
            )
            emit(
                "export ÷ zip of the same files",
                None,
                "x",
                f"<= {GOAL_RATIO:g}",
                "not measured: the zip tool is not installed",
            )
            return
        same = _zip_members(zip_tool, target, Path(work) / "members")
        lines = _zip_staging(zip_tool, staging, Path(work) / "plain.zip")
        ratio, cpu_ratio = built["seconds"] / same[0], built["cpu"] / same[1]
        print(
            f"ratio     build / zip of the same files: {ratio:4.1f}x wall, "
            f"{cpu_ratio:4.1f}x CPU (goal <= {GOAL_RATIO:.0f}x: "
            f"{'met' if ratio <= GOAL_RATIO else 'NOT met'}); "
            f"build / zip of the JSON lines: {built['seconds'] / lines[0]:4.1f}x wall, "
            f"{built['cpu'] / lines[1]:4.1f}x CPU"
        )
        emit(
            "export ÷ zip of the same files",
            ratio,
            "x",
            f"<= {GOAL_RATIO:g}",
            f"{size}: build {built['seconds']:.2f} s beside zip {same[0]:.2f} s (wall); "
            f"CPU {cpu_ratio:.1f}x; ÷ zip of the JSON lines {built['seconds'] / lines[0]:.1f}x",
        )
        print(
            f"memory    peak RSS {built['hwm'] / mib:.0f} MiB "
            f"(goal < {GOAL_RSS // mib} MiB: {'met' if built['hwm'] < GOAL_RSS else 'NOT met'})"
        )


def _zip_members(zip_tool: str, package: Path, folder: Path) -> tuple[float, float]:
    """Zip the package's own files, extracted to `folder`; print and return wall, CPU."""
    with zipfile.ZipFile(package) as archive:
        archive.extractall(folder)
        names = archive.namelist()
        size = sum(info.file_size for info in archive.infolist())
    output = folder.parent / "same.zip"
    wall, cpu, sampled, _ = run_sampled(
        [zip_tool, "-q", "-X", str(output), *names], cwd=folder
    )
    print(
        f"zip       the package's {len(names)} files ({size / 2**20:.1f} MiB of JSON, CSV, "
        f"HTML) -> {output.stat().st_size / 2**20:7.1f} MiB ZIP, wall {wall:6.2f} s, "
        f"CPU {cpu:6.2f} s, peak RSS {sampled / 2**20:.0f} MiB (sampled)"
    )
    return wall, cpu


def _zip_staging(zip_tool: str, staging: Path, output: Path) -> tuple[float, float]:
    """Zip the staging JSON lines; print and return wall and CPU seconds."""
    sources = sorted(str(path) for path in staging.glob("*.jsonl"))
    wall, cpu, sampled, _ = run_sampled([zip_tool, "-q", "-j", str(output), *sources])
    print(
        f"zip       the {len(sources)} staging files (JSON lines) -> "
        f"{output.stat().st_size / 2**20:7.1f} MiB ZIP, wall {wall:6.2f} s, "
        f"CPU {cpu:6.2f} s, peak RSS {sampled / 2**20:.0f} MiB (sampled)"
    )
    return wall, cpu


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument(
        "--dir", type=Path, default=None, help="work folder (default: temp)"
    )
    parser.add_argument("--build-child", nargs=2, type=Path, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.build_child:
        build_child(*arguments.build_child)
    else:
        main(arguments.records, arguments.dir)
