"""Run every benchmark and print one table of the figures the issues name (`make bench`).

Each benchmark runs in a process of its own with its human output shown as it comes; the
runner collects the `BENCH` lines it prints (`bench/figures.py`), renders one Markdown table
(figure, measured value, the issue's goal, met) with the machine's description, and adds it
as a dated section at the top of `bench/results.md`, keeping the earlier runs below it.

Quick mode (`--quick`, `BENCH_QUICK=1`, `make bench-quick`) runs small sizes in a minute or
two to check the benchmarks and this report still work; it writes a file only when
`--output` is given, so the results file holds only runs at the sizes the issues name.

    python bench/run.py [--quick] [--only cli,fanout] [--output bench/results.md]
"""

import argparse
import asyncio
import contextlib
import os
import platform
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # bench.*, run as a script
from bench.figures import Figure, parse  # noqa: E402

RESULTS = ROOT / "bench" / "results.md"
PG_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
# The scripts' PostgreSQL databases get this suffix under the runner, so that a run of
# `make bench` and an engineer's hand run of one script never reset each other's database.
DB_SUFFIX = "_make"
HEADER = """# Benchmark results

Written by `make bench` (`bench/run.py`): one section per run, newest first, so progress can
be compared over time. Each figure is measured by a script in `bench/` at the size its issue
names (a row says when the size was reduced) beside the goal that issue set. The machine is
shared, so the load average is recorded with each table: compare runs under a similar load.
"""


@dataclass(frozen=True, slots=True)
class Bench:
    """One benchmark script with its arguments for a full run and for quick mode."""

    key: str
    script: str
    issue: int  # the issue that named the figures and set their goals
    args: Sequence[str] = ()
    quick: Sequence[str] = ()
    # Set when a full run measures less than the issue names, to say so in the table.
    reduced: str | None = None


# In the order they run: should the time budget run out, the longest are the ones cut.
SUITE = (
    Bench("cli", "bench_cli.py", 11, ["--runs", "5"], ["--runs", "2"]),
    Bench("fanout", "bench_fanout.py", 4, ["--rounds", "5"], ["--rounds", "1"]),
    # The held-out evaluation set is small: quick mode reads it whole too.
    Bench("classifier", "bench_classifier.py", 13),
    Bench(
        "latency-sqlite",
        "bench_latency.py",
        8,
        ["--database", "sqlite"],
        ["--database", "sqlite", "--rounds", "1", "--others", "2000"],
    ),
    Bench(
        "latency-postgresql",
        "bench_latency.py",
        8,
        ["--database", "postgresql"],
        ["--database", "postgresql", "--rounds", "1", "--others", "2000"],
    ),
    Bench("sql", "bench_sql.py", 4, ["--rows", "1000000"], ["--rows", "20000"]),
    Bench(
        "export", "bench_export.py", 8, ["--records", "1000000"], ["--records", "20000"]
    ),
    Bench(
        "sweep", "bench_sweep.py", 5, ["--tickets", "1000000"], ["--tickets", "20000"]
    ),
    Bench("outbox", "bench_outbox.py", 8, ["--mails", "2000"], ["--mails", "200"]),
    Bench(
        "queue",
        "bench_queue.py",
        10,
        ["--tickets", "100000", "--rounds", "20"],
        ["--tickets", "2000", "--rounds", "3"],
    ),
    Bench("form", "bench_form.py", 8, ["--clients", "50"], ["--clients", "5"]),
)


@dataclass(slots=True)
class Outcome:
    """What one benchmark run gave: its figures, and why it ended if it failed."""

    bench: Bench
    quick: bool
    figures: list[Figure] = field(default_factory=list)
    failure: str | None = None
    seconds: float = 0.0


def run_bench(bench: Bench, *, quick: bool, timeout: float) -> Outcome:
    """Run one script, echoing its output, and collect the figures it prints."""
    outcome = Outcome(bench, quick)
    command = [
        sys.executable,
        str(ROOT / "bench" / bench.script),
        *(bench.quick if quick else bench.args),
    ]
    print(f"== {bench.key}: {' '.join(command[1:])}", flush=True)
    started = time.perf_counter()
    # A session of its own, so that a timeout also ends the servers the script started.
    with subprocess.Popen(  # noqa: S603 - our own scripts
        command,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        env={**os.environ, "BENCH_DB_SUFFIX": DB_SUFFIX},
    ) as process:
        timed_out = threading.Event()

        def _stop() -> None:
            timed_out.set()
            _end_group(process.pid)

        timer = threading.Timer(timeout, _stop)
        timer.start()
        try:
            assert process.stdout is not None
            last = ""
            for line in process.stdout:
                print(line, end="", flush=True)
                figure = parse(line)
                if figure is not None:
                    outcome.figures.append(figure)
                last = line.strip() or last
            code = process.wait()
        finally:
            timer.cancel()
            # Whatever the script left running would load the next benchmark.
            _end_group(process.pid)
    outcome.seconds = time.perf_counter() - started
    if timed_out.is_set():
        outcome.failure = f"stopped after {timeout:.0f} s"
    elif code != 0:
        # A traceback's last line names the exception: the table says what went wrong.
        outcome.failure = f"failed with exit code {code}: {last[:160]}"
    elif not outcome.figures:
        outcome.failure = "printed no figures"
    return outcome


def _end_group(group: int) -> None:
    """Kill what is left of a benchmark's process group (it is ours: we started it)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(group, signal.SIGKILL)


def drop_databases() -> list[str]:
    """Drop the databases the scripts made under the runner; return their names."""
    import asyncpg

    async def drop() -> list[str]:
        connection = await asyncpg.connect(PG_DSN, timeout=5)
        dropped = []
        try:
            names = await connection.fetch(
                "SELECT datname FROM pg_database WHERE datname LIKE 'dsr\\_bench%' "
                "AND right(datname, length($1)) = $1",
                DB_SUFFIX,
            )
            for (name,) in names:
                # Never FORCE: a database still in use is some other run's.
                with contextlib.suppress(asyncpg.PostgresError):
                    await connection.execute(f'DROP DATABASE "{name}"')
                    dropped.append(name)
        finally:
            await connection.close()
        return dropped

    try:
        return asyncio.run(drop())
    except (OSError, asyncpg.PostgresError, TimeoutError):
        return []


def machine() -> dict[str, str]:
    """The machine's description: cores, memory, CPU, Python, PostgreSQL, load, commit."""
    load = ", ".join(f"{each:.2f}" for each in os.getloadavg())
    return {
        "cores": str(os.cpu_count()),
        "RAM": _memory(),
        "CPU": _cpu_model(),
        "Python": f"{platform.python_version()} ({platform.python_implementation()})",
        "PostgreSQL": _postgresql_version(),
        "load average at start (1, 5, 15 min)": load,
        "commit": _commit(),
    }


def _memory() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 2**20:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _postgresql_version() -> str:
    import asyncpg

    async def ask() -> str:
        connection = await asyncpg.connect(PG_DSN, timeout=5)
        try:
            return str(await connection.fetchval("SHOW server_version"))
        finally:
            await connection.close()

    try:
        return asyncio.run(ask())
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        return f"not reachable ({type(exc).__name__})"


def _commit() -> str:
    try:
        found = subprocess.run(
            ["git", "log", "-1", "--format=%h %s"],  # noqa: S607 - git on PATH
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return found.stdout.strip()[:80] + (" (with uncommitted changes)" if dirty else "")


_SIGNS = {"<=": "≤", ">=": "≥", "==": "=", "<": "<", ">": ">"}
TIMES = "\N{MULTIPLICATION SIGN}"
_UNITS = {"x": TIMES}


def _number(value: float, unit: str) -> str:
    if unit == "x":
        text = f"{value:.2f}"
    elif abs(value) >= 100 or value == int(value):
        text = f"{value:,.0f}"
    elif abs(value) >= 10:
        text = f"{value:.1f}"
    else:
        text = f"{value:.3g}"
    shown = _UNITS.get(unit, unit)
    return text + shown if shown == TIMES else f"{text} {shown}"


def _goal(figure: Figure, issue: int) -> str:
    if figure.goal is None:
        return f"none set (issue {issue})"
    for sign in sorted(_SIGNS, key=len, reverse=True):
        if figure.goal.startswith(sign):
            number = _number(float(figure.goal[len(sign) :]), figure.unit)
            return f"{_SIGNS[sign]} {number} (issue {issue})"
    return f"{figure.goal} (issue {issue})"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def table(outcomes: Sequence[Outcome]) -> list[str]:
    """The Markdown table of every figure, and a row for each benchmark that failed."""
    lines = [
        "| figure | measured | goal | met | how |",
        "|---|---|---|---|---|",
    ]
    for outcome in outcomes:
        # Quick runs say so once, in the section's title.
        size = ""
        if not outcome.quick and outcome.bench.reduced:
            size = f" (reduced: {outcome.bench.reduced})"
        for figure in outcome.figures:
            met = figure.met()
            if figure.value is None:
                measured, verdict = "not measured", "—"
            else:
                measured = _number(figure.value, figure.unit)
                verdict = {True: "yes", False: "**no**", None: "—"}[met]
            goal = _goal(figure, outcome.bench.issue)
            row = [figure.name + size, measured, goal, verdict, figure.detail]
            lines.append("| " + " | ".join(_cell(each) for each in row) + " |")
        if outcome.failure:
            row = [
                f"`{outcome.bench.script}` ({outcome.bench.key})",
                "not measured",
                "",
                "—",
                outcome.failure,
            ]
            lines.append("| " + " | ".join(_cell(each) for each in row) + " |")
    return lines


def section(
    outcomes: Sequence[Outcome],
    described: dict[str, str],
    *,
    started: datetime,
    seconds: float,
    quick: bool,
) -> str:
    """One dated section of results.md: the machine, the table, how long it took."""
    title = f"## {started:%Y-%m-%d %H:%M} UTC" + (" — quick sizes" if quick else "")
    lines = [title, ""]
    if quick:
        lines += [
            "Quick mode: every size is reduced; not comparable with full runs.",
            "",
        ]
    lines += [f"- {name}: {value}" for name, value in described.items()]
    lines.append(
        f"- load average at the end: {', '.join(f'{v:.2f}' for v in os.getloadavg())}"
    )
    lines.append(
        f"- total runtime: {seconds / 60:.1f} min ("
        + ", ".join(f"{o.bench.key} {o.seconds:.0f} s" for o in outcomes)
        + ")"
    )
    lines += ["", *table(outcomes), ""]
    return "\n".join(lines)


def write(path: Path, new_section: str) -> None:
    """Put the section first under the file's header, keeping every earlier run."""
    earlier = ""
    if path.is_file():
        text = path.read_text(encoding="utf-8")
        start = text.find("\n## ")
        earlier = text[start + 1 :] if start >= 0 else ""
    path.write_text(f"{HEADER}\n{new_section}\n{earlier}".rstrip() + "\n", "utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the suite (or the benchmarks `--only` names); 1 when one of them failed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        default=os.environ.get("BENCH_QUICK", "") not in ("", "0"),
        help="small sizes, a minute or two (also BENCH_QUICK=1)",
    )
    parser.add_argument(
        "--only", help="comma-separated keys: " + ", ".join(b.key for b in SUITE)
    )
    parser.add_argument(
        "--output", type=Path, help=f"default: {RESULTS} (none when quick)"
    )
    parser.add_argument(
        "--timeout", type=float, help="seconds per benchmark (default 600, quick 300)"
    )
    parser.add_argument(
        "--budget", type=float, help="minutes for the whole run (default 25, quick 10)"
    )
    args = parser.parse_args(argv)
    chosen = list(SUITE)
    if args.only:
        keys = {key.strip() for key in args.only.split(",")}
        unknown = keys - {bench.key for bench in SUITE}
        if unknown:
            parser.error(f"no benchmark {', '.join(sorted(unknown))}")
        chosen = [bench for bench in SUITE if bench.key in keys]
    output = args.output or (None if args.quick else RESULTS)
    timeout = args.timeout or (300 if args.quick else 600)

    started, clock = datetime.now(UTC), time.perf_counter()
    described = machine()
    budget = 60 * (args.budget or (10 if args.quick else 25))
    outcomes = []
    for bench in chosen:
        left = budget - (time.perf_counter() - clock)
        if left < 1:
            spent = f"not run: the run's {budget / 60:.0f} minutes were spent"
            outcomes.append(Outcome(bench, args.quick, failure=spent))
        else:
            outcomes.append(
                run_bench(bench, quick=args.quick, timeout=min(timeout, left))
            )
    dropped = drop_databases()
    if dropped:
        print(f"dropped the benchmarks' databases: {', '.join(dropped)}")
    new_section = section(
        outcomes,
        described,
        started=started,
        seconds=time.perf_counter() - clock,
        quick=args.quick,
    )
    print("\n" + new_section)
    if output is not None:
        write(output, new_section)
        print(f"written to {output}")
    return 1 if any(outcome.failure for outcome in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
