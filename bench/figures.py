"""The machine-readable line a benchmark prints for each figure, for `bench/run.py`.

A benchmark keeps its human output and adds, per figure the issues name, one line

    BENCH {"name": "...", "value": 1.23, "unit": "x", "goal": "<= 1.3", "detail": "..."}

`goal` compares the value in its own unit (`<=`, `<`, `>=`, `>` or `==` and a number), or is
null where the issue names none; `value` is null when the figure could not be measured, and
`detail` then says why (otherwise: what the value was computed from).
"""

import json
import operator
from collections.abc import Callable
from dataclasses import asdict, dataclass

PREFIX = "BENCH "
_COMPARISONS: dict[str, Callable[[float, float], bool]] = {
    "<=": operator.le,
    ">=": operator.ge,
    "==": operator.eq,
    "<": operator.lt,
    ">": operator.gt,
}


@dataclass(frozen=True, slots=True)
class Figure:
    """One measured figure beside the goal its issue set."""

    name: str
    value: float | None
    unit: str
    goal: str | None = None
    detail: str = ""

    def met(self) -> bool | None:
        """Whether the value meets the goal; None when there is no goal or no value."""
        if self.goal is None or self.value is None:
            return None
        sign, number = _split(self.goal)
        return _COMPARISONS[sign](self.value, number)


def _split(goal: str) -> tuple[str, float]:
    # Two-character signs first, so that "<=" is not read as "<" and "=3".
    for sign in sorted(_COMPARISONS, key=len, reverse=True):
        if goal.startswith(sign):
            return sign, float(goal[len(sign) :])
    raise ValueError(f"a goal is a comparison and a number, not {goal!r}")


def emit(
    name: str,
    value: float | None,
    unit: str,
    goal: str | None = None,
    detail: str = "",
) -> None:
    """Print one figure as a `BENCH` line (flushed: the runner reads it as it comes)."""
    figure = Figure(name, value, unit, goal, detail)
    if goal is not None:
        _split(goal)  # a malformed goal fails the benchmark, not the table later
    print(PREFIX + json.dumps(asdict(figure)), flush=True)


def parse(line: str) -> Figure | None:
    """The figure a `BENCH` line carries, None for any other line."""
    if not line.startswith(PREFIX):
        return None
    fields = json.loads(line[len(PREFIX) :])
    return Figure(
        name=str(fields["name"]),
        value=None if fields["value"] is None else float(fields["value"]),
        unit=str(fields["unit"]),
        goal=fields.get("goal"),
        detail=str(fields.get("detail") or ""),
    )
