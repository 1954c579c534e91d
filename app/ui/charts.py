"""Chart geometry for the dashboard's server-drawn SVG: columns over time, bars by category.

The page's template only draws what these functions place (templates hold no rules). Each
chart carries its figures as a table too, for screen readers and for anyone who wants the
numbers rather than the picture.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field

# Okabe-Ito colours, told apart with colour-blindness, dark enough on white.
PALETTE = ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#666666")
WIDTH, HEIGHT = 400, 200
LEFT, RIGHT, TOP, BOTTOM = 36, 8, 10, 30
LABEL_WIDTH = 120  # bar charts: room for category names on the left


@dataclass(frozen=True, slots=True)
class Rect:
    """One drawn bar (or part of a stacked column), with its tooltip text."""

    x: float
    y: float
    width: float
    height: float
    colour: str
    title: str


@dataclass(frozen=True, slots=True)
class Text:
    """A label placed on the chart."""

    x: float
    y: float
    text: str
    anchor: str = "middle"


@dataclass(frozen=True, slots=True)
class Series:
    """One named run of values, one per category."""

    name: str
    values: Sequence[float]


@dataclass(slots=True)
class Chart:
    """A chart ready to draw, and the same figures as a table."""

    id: str
    title: str
    summary: str
    width: int = WIDTH
    height: int = HEIGHT
    rects: list[Rect] = field(default_factory=list)
    texts: list[Text] = field(default_factory=list)
    grid: list[tuple[float, str]] = field(default_factory=list)  # (y, tick label)
    axis: tuple[float, float, float] = (0, 0, 0)  # x from, x to, y of the base line
    legend: list[tuple[str, str]] = field(default_factory=list)  # (colour, name)
    columns: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """Whether there is nothing to draw."""
        return not self.rects


def _nice_top(value: float) -> float:
    """A round axis maximum at or above `value` (1, 2 or 5 times a power of ten)."""
    if value <= 0:
        return 1
    magnitude = 1.0
    while magnitude * 10 <= value:
        magnitude *= 10
    for step in (1, 2, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude  # pragma: no cover - the loop always returns


def _scale(highest: float, top: float | None, percent: bool) -> tuple[float, float]:
    """(axis top, tick step): four or so round steps; whole ones for counts and days."""
    if top is not None:
        return top, top / 4
    step = _nice_top(highest / 4) if highest > 0 else 1
    if not percent:
        step = max(step, 1)
    return step * max(1, -(-highest // step)), step


def _tick(value: float, percent: bool) -> str:
    if percent:
        return f"{value * 100:.0f}%"
    return f"{value:g}"


def columns(
    chart_id: str,
    title: str,
    summary: str,
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    percent: bool = False,
    top: float | None = None,
    unit: str = "",
) -> Chart:
    """Vertical columns per category (time), stacked when there are several series."""
    chart = Chart(chart_id, title, summary)
    totals = [
        sum(each.values[index] for each in series) for index in range(len(categories))
    ]
    top, step = _scale(max(totals, default=0), top, percent)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    base = TOP + plot_h
    chart.axis = (LEFT, WIDTH - RIGHT, base)
    ticks = round(top / step)
    for number in range(ticks + 1):
        chart.grid.append(
            (base - plot_h * number / ticks, _tick(step * number, percent))
        )
    slot = plot_w / max(len(categories), 1)
    label_every = max(1, round(len(categories) / 6))
    for index, category in enumerate(categories):
        x, y = LEFT + slot * index + slot * 0.15, float(base)
        for number, each in enumerate(series):
            value = each.values[index]
            if value <= 0:
                continue
            height = plot_h * min(value, top) / top
            y -= height
            shown = _tick(value, percent) if percent else f"{value:g}{unit}"
            name = f"{each.name}: " if len(series) > 1 else ""
            chart.rects.append(
                Rect(
                    x,
                    y,
                    slot * 0.7,
                    height,
                    PALETTE[number % len(PALETTE)],
                    f"{category} — {name}{shown}",
                )
            )
        if index % label_every == 0:
            chart.texts.append(Text(x + slot * 0.35, base + 16, category))
    if len(series) > 1:
        chart.legend = [
            (PALETTE[number % len(PALETTE)], each.name)
            for number, each in enumerate(series)
        ]
    chart.columns = ["", *(each.name for each in series)]
    if len(series) > 1:
        chart.columns.append("total")
    for index, category in enumerate(categories):
        cells = [_cell(each.values[index], percent, unit) for each in series]
        if len(series) > 1:
            cells.append(_cell(totals[index], percent, unit))
        chart.rows.append([category, *cells])
    return chart


def _cell(value: float | None, percent: bool, unit: str = "") -> str:
    if value is None:
        return "-"
    return f"{value * 100:.0f}%" if percent else f"{value:g}{unit}"


def bars(
    chart_id: str,
    title: str,
    summary: str,
    items: Sequence[tuple[str, float, str]],
    *,
    percent: bool = False,
    top: float | None = None,
    colour: str = PALETTE[0],
) -> Chart:
    """Horizontal bars, one per (category, value, shown text)."""
    row_h = 26
    height = TOP + row_h * max(len(items), 1) + 4
    chart = Chart(chart_id, title, summary, height=height)
    top = top or _nice_top(max((value for _, value, _ in items), default=0))
    plot_w = WIDTH - LABEL_WIDTH - RIGHT - 60
    chart.axis = (LABEL_WIDTH, LABEL_WIDTH, 0)
    for index, (label, value, shown) in enumerate(items):
        y = TOP + row_h * index
        width = plot_w * min(value, top) / top if value > 0 else 0
        chart.texts.append(Text(LABEL_WIDTH - 6, y + row_h * 0.62, label, "end"))
        chart.texts.append(
            Text(LABEL_WIDTH + width + 6, y + row_h * 0.62, shown, "start")
        )
        if width:
            chart.rects.append(
                Rect(LABEL_WIDTH, y + 3, width, row_h - 8, colour, f"{label}: {shown}")
            )
    chart.columns = ["", "percent" if percent else "count"]
    chart.rows = [[label, shown] for label, _, shown in items]
    return chart
