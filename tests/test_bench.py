"""`make bench`'s reporting path: figures collected from the scripts into one table.

Runs the runner in quick mode over two cheap benchmarks (`dsr --help` and the fan-out) so
that the reporting cannot rot unnoticed; the figures themselves are not judged here.
"""

from pathlib import Path

import psutil
import pytest

from bench import run
from bench.figures import Figure, emit, parse

EARLIER = "## 2020-01-02 03:04 UTC\n\n- cores: 2\n\n| figure | measured |\n"


def _rows(section: str) -> dict[str, list[str]]:
    """The table's rows by figure name, each as its cells."""
    rows = {}
    for line in section.splitlines():
        if line.startswith("| ") and not line.startswith(("| figure ", "|---")):
            cells = [cell.strip() for cell in line.strip("|").split(" | ")]
            rows[cells[0]] = cells
    return rows


def test_a_quick_run_adds_one_table_above_the_earlier_runs(tmp_path: Path) -> None:
    results = tmp_path / "results.md"
    results.write_text(f"{run.HEADER}\n{EARLIER}")

    code = run.main(["--quick", "--only", "cli,fanout", "--output", str(results)])

    assert code == 0
    text = results.read_text()
    assert text.startswith(run.HEADER)
    newest, earlier = text.index("\n## "), text.index(EARLIER)
    assert newest < earlier, "the newest run comes first"
    assert text.endswith(EARLIER)
    section = text[newest:earlier]
    assert "quick sizes" in section.splitlines()[1]
    for described in ("cores", "RAM", "CPU", "Python", "PostgreSQL", "load average"):
        assert f"\n- {described}" in section
    rows = _rows(section)
    assert set(rows) == {
        "dsr --help CPU time",
        "fan-out ÷ connector delay, erasure",
        "fan-out ÷ connector delay, access",
    }
    for cells in rows.values():
        figure, measured, goal, met, _how = cells
        assert measured[0].isdigit(), figure
        assert goal.startswith(("<", "≤")), figure
        assert met in {"yes", "**no**"}, figure


def test_a_benchmark_that_fails_is_a_row_of_its_own() -> None:
    outcome = run.run_bench(
        run.Bench("missing", "bench_missing.py", 14), quick=True, timeout=60
    )

    assert outcome.failure is not None
    assert outcome.failure.startswith("failed with exit code 2: ")
    assert "bench_missing.py" in outcome.failure  # Python's own last word on it
    assert outcome.figures == []
    [row] = _rows("\n".join(run.table([outcome]))).values()
    assert row[0] == "`bench_missing.py` (missing)"
    assert row[1] == "not measured"


def test_a_benchmark_past_its_time_is_stopped_with_the_servers_it_started(
    tmp_path: Path,
) -> None:
    pids = tmp_path / "pids"
    script = tmp_path / "bench_hangs.py"
    script.write_text(
        "import subprocess, sys, time\n"
        "server = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])\n"
        f"open({str(pids)!r}, 'w').write(str(server.pid))\n"
        'print(\'BENCH {"name": "first", "value": 1, "unit": "s", "goal": "< 2"}\', flush=True)\n'
        "time.sleep(600)\n"
    )

    outcome = run.run_bench(run.Bench("hangs", str(script), 14), quick=True, timeout=3)

    assert outcome.failure == "stopped after 3 s"
    assert [figure.name for figure in outcome.figures] == ["first"]
    server = int(pids.read_text())
    assert _ends(server), "the script's own child is killed with it"


def _ends(pid: int) -> bool:
    """Whether the process ends (or is a zombie: killed, not yet reaped) within 30 s."""
    try:
        process = psutil.Process(pid)
        # Polls the process's state: waiting on a condition, not a fixed sleep.
        psutil.wait_procs([process], timeout=30)
        return process.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_what_the_time_budget_leaves_out_is_reported_not_run(tmp_path: Path) -> None:
    results = tmp_path / "results.md"

    code = run.main(
        ["--quick", "--only", "cli", "--budget", "0.001", "--output", str(results)]
    )

    assert code == 1
    [row] = _rows(results.read_text()).values()
    assert row[0] == "`bench_cli.py` (cli)"
    assert row[4].startswith("not run: the run's 0 minutes were spent")


@pytest.mark.parametrize(
    ("goal", "value", "met"),
    [
        ("<= 1.3", 1.3, True),
        ("<= 1.3", 1.31, False),
        ("< 200", 200.0, False),
        (">= 10", 9.9, False),
        (">= 2000", 2400.0, True),
        ("== 0", 0.0, True),
        ("== 0", 3.0, False),
        (None, 5.0, None),
        ("<= 3", None, None),
    ],
)
def test_a_figure_meets_its_goal_by_comparison(
    goal: str | None, value: float | None, met: bool | None
) -> None:
    assert Figure("figure", value, "x", goal).met() is met


def test_an_emitted_line_parses_back_and_other_lines_do_not(
    capsys: pytest.CaptureFixture[str],
) -> None:
    emit("export ÷ zip", 2.4, "x", "<= 3", "1,000 records")
    line = capsys.readouterr().out

    assert parse(line) == Figure("export ÷ zip", 2.4, "x", "<= 3", "1,000 records")
    assert parse("ratio     build / zip of the same files: 2.4x wall") is None


def test_a_malformed_goal_fails_the_benchmark_that_emits_it() -> None:
    with pytest.raises(ValueError, match="a goal is a comparison"):
        emit("figure", 1.0, "s", "under a second")


def test_the_runner_knows_every_benchmark_script() -> None:
    scripts = {path.name for path in (Path(run.ROOT) / "bench").glob("bench_*.py")}
    assert {bench.script for bench in run.SUITE} == scripts
