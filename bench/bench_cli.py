"""CPU time of `dsr --help`: what every CLI command pays before it does anything.

Goal (issue 11): `dsr --help` answers in well under a second (it cost about 3 CPU-seconds
with bytecode cached before each command imported only what it needs). Runs the installed
`dsr` beside this interpreter `--runs` times after one warm-up run, which also writes any
missing bytecode, and prints the CPU time (user + system) and the wall time of each run.

    python bench/bench_cli.py [--runs 5]
"""

import argparse
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # bench.*, run as a script
from bench.figures import emit  # noqa: E402

DSR = Path(sys.executable).parent / "dsr"


def run_once() -> tuple[float, float]:
    """Run `dsr --help` once; return its CPU and wall seconds."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run([str(DSR), "--help"], check=True, capture_output=True, cwd=ROOT)  # noqa: S603
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    run_once()  # warm-up: the page cache, and bytecode if `make install` did not write it
    runs = [run_once() for _ in range(args.runs)]
    for n, (cpu, wall) in enumerate(runs, 1):
        print(f"dsr --help {n}: CPU {cpu:.3f} s, wall {wall:.3f} s")
    cpu = statistics.median(each[0] for each in runs)
    wall = statistics.median(each[1] for each in runs)
    print(
        f"dsr --help: median CPU {cpu:.3f} s, wall {wall:.3f} s (goal: well under 1 s)"
    )
    emit(
        "dsr --help CPU time",
        cpu,
        "s",
        "< 1",
        f"median of {args.runs} runs after a warm-up; wall {wall:.3f} s",
    )


if __name__ == "__main__":
    main()
