"""The dashboard (`/dashboard`): charts of intake, open work, timeliness and connectors, and
the yearly metrics table with its CSV (`/dashboard/metrics.csv`), as `dsr metrics` gives."""

import csv
import io
from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from app.db import utcnow
from app.enums import RequestType, Status
from app.flows import dashboard
from app.requests.records import RegulationMetrics, yearly_metrics_by_regulation
from app.ui import charts
from app.ui.pages import StaffPage, render
from app.web import SessionDep, SettingsDep

router = APIRouter(tags=["staff"], include_in_schema=False)
YearQuery = Annotated[int | None, Query(ge=2000, le=2100)]
CSV_COLUMNS = ("regulation", "type", "received", "complied", "denied", "median_days")


def _label(value: str) -> str:
    return value.replace("_", " ")


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.0f}%"


def _charts(figures: dashboard.Dashboard) -> list[charts.Chart]:
    weeks = [f"{week.start:%d %b}" for week in figures.weeks]
    months = [f"{month.start:%b %y}" for month in figures.months]
    kinds = [
        kind for kind in RequestType if any(w.counts.get(kind) for w in figures.weeks)
    ]
    per_week = charts.columns(
        "chart-weekly",
        "Requests per week, by type",
        f"{sum(w.total for w in figures.weeks)} requests received in the last"
        f" {len(weeks)} weeks.",
        weeks,
        [
            charts.Series(_label(kind), [w.counts.get(kind, 0) for w in figures.weeks])
            for kind in kinds
        ]
        or [charts.Series("requests", [0] * len(weeks))],
    )
    open_now = charts.bars(
        "chart-open",
        "Open requests by status",
        f"{sum(figures.open_by_status.values())} requests are open.",
        [
            (_label(status), count, str(count))
            for status, count in figures.open_by_status.items()
        ],
    )
    overdue = charts.bars(
        "chart-overdue",
        "Overdue now, by type",
        f"{figures.overdue} open request(s) past their due date.",
        [
            (_label(kind), count, str(count))
            for kind, count in sorted(figures.overdue_by_type.items())
        ],
        colour="#a4000f",
    )
    on_time = charts.columns(
        "chart-on-time",
        "Answered on time, per month",
        "Share of requests completed or denied by their due date, per month of answer.",
        months,
        [charts.Series("on time", [m.on_time_rate or 0 for m in figures.months])],
        percent=True,
        top=1,
    )
    for row, month in zip(on_time.rows, figures.months, strict=True):
        row[1] = f"{_percent(month.on_time_rate)} of {month.answered}"
    median = charts.columns(
        "chart-median",
        "Median days to close, per month",
        "Median days from receipt to answer of the requests answered each month.",
        months,
        [charts.Series("median days", [m.median_days or 0 for m in figures.months])],
        unit=" d",
    )
    for row, month in zip(median.rows, figures.months, strict=True):
        row[1] = "-" if month.median_days is None else f"{month.median_days:g} d"
    success = charts.bars(
        "chart-connectors",
        "Connector success rate (last 30 days)",
        "Succeeded among the tasks that finished, per connector.",
        [
            (
                each.name,
                each.success_rate or 0,
                f"{_percent(each.success_rate)} of {each.finished}",
            )
            for each in figures.connectors
        ],
        percent=True,
        top=1,
        colour="#009e73",
    )
    return [per_week, open_now, overdue, on_time, median, success]


@router.get("/dashboard")
async def dashboard_page(
    request: Request,
    current: StaffPage,
    session: SessionDep,
    settings: SettingsDep,
    year: YearQuery = None,
) -> Response:
    """The charts, the overdue count and the yearly metrics table."""
    figures = await dashboard.figures(session, zone=settings.zone, year=year)
    context = {
        "figures": figures,
        "charts": _charts(figures),
        "years": range(figures.now.year, figures.now.year - 6, -1),
        "open_count": sum(figures.open_by_status.values()),
        "pending_review": figures.open_by_status.get(Status.PENDING_REVIEW, 0),
    }
    return render(request, current, "staff/dashboard.html", context, active="dashboard")


def metrics_csv(tables: Sequence[RegulationMetrics]) -> str:
    """The yearly table as CSV: one row per regulation ("all" first) and type."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for table in tables:
        law = table.regulation or "all"
        for row in table.types:
            median = "" if row.median_days is None else f"{row.median_days:g}"
            writer.writerow(
                (law, row.type, row.received, row.complied, row.denied, median)
            )
    return out.getvalue()


@router.get("/dashboard/metrics.csv")
async def dashboard_metrics_csv(
    current: StaffPage,
    session: SessionDep,
    settings: SettingsDep,
    year: YearQuery = None,
) -> Response:
    """The yearly metrics (the numbers of `dsr metrics --year`) as a CSV download."""
    chosen = year or utcnow().astimezone(settings.zone).year
    tables = await yearly_metrics_by_regulation(session, year=chosen)
    return Response(
        metrics_csv(tables),
        media_type="text/csv; charset=utf-8",
        headers={
            "content-disposition": f'attachment; filename="dsr-metrics-{chosen}.csv"',
            "cache-control": "no-store",
        },
    )
