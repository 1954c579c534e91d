"""Every staff route, enumerated from the app: anonymous browsers are sent to log in, and
viewers cannot act. A new page that forgets its `StaffPage`/`AgentPage` fails here."""

import re

import httpx
import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import iter_route_contexts

from app.staff.models import Role
from app.ui.pages import RoleGate
from tests.fixtures.ui import browser_for, page_csrf

# Reached without a staff log-in on purpose: the requester's pages, operations, assets, the
# API (bearer tokens, tested in its own suites) and the log-in form itself.
PUBLIC_PREFIXES = ("/api/", "/static", "/docs/oauth2-redirect", "/download/")
PUBLIC = {
    "/healthz",
    "/readyz",
    "/metrics",
    "/request",
    "/request/sent",
    "/verify",
    "/verify/{token}",
    "/login",
    "/dev/outbox",  # development only: the dev outbox (mounted when env=dev)
}
ANY_STAFF_MAY = {("POST", "/logout")}
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def _staff_route_contexts(app: FastAPI) -> list[tuple[str, set[str], Dependant]]:
    found = []
    for route in iter_route_contexts(app.routes):
        path, methods = route.path, route.methods
        if not path or not methods or path in PUBLIC:
            continue
        if path.startswith(PUBLIC_PREFIXES):
            continue
        found.append((path, set(methods) - {"HEAD"}, route.dependant))
    return found


def staff_routes(app: FastAPI) -> list[tuple[str, str]]:
    """(method, concrete path) of every route that is not public."""
    found = []
    for path, methods, _ in _staff_route_contexts(app):
        concrete = re.sub(r"\{reference\}", "DSR-TEST2345", path)
        concrete = re.sub(r"\{[^}]+\}", "1", concrete)
        found.extend((method, concrete) for method in sorted(methods))
    return found


def _gates(dependant: Dependant) -> list[RoleGate]:
    found = [dependant.call] if isinstance(dependant.call, RoleGate) else []
    for child in dependant.dependencies:
        found.extend(_gates(child))
    return found


async def test_every_staff_route_declares_one_role_gate(app: FastAPI) -> None:
    for path, methods, dependant in _staff_route_contexts(app):
        gates = _gates(dependant)
        assert len(gates) == 1, (path, gates)
        acting = methods & UNSAFE and not {(m, path) for m in methods} <= ANY_STAFF_MAY
        if acting:
            assert gates[0].role.rank >= Role.AGENT.rank, path


async def test_the_staff_routes_are_found(app: FastAPI) -> None:
    routes = staff_routes(app)
    assert ("GET", "/queue") in routes
    assert ("POST", "/logout") in routes


async def test_every_staff_route_sends_an_anonymous_browser_to_log_in(
    app: FastAPI,
) -> None:
    async with browser_for(app) as browser:
        for method, path in staff_routes(app):
            answer = await browser.request(method, path, data={"csrf_token": "x"})
            assert answer.status_code == 303, (method, path, answer.status_code)
            assert answer.headers["location"].startswith("/login"), (method, path)


async def test_a_viewer_cannot_act_on_any_staff_route(
    app: FastAPI, viewer_browser: httpx.AsyncClient
) -> None:
    token = await page_csrf(viewer_browser)
    acting = [
        (method, path)
        for method, path in staff_routes(app)
        if method in UNSAFE and (method, path) not in ANY_STAFF_MAY
    ]
    for method, path in acting:
        answer = await viewer_browser.request(method, path, data={"csrf_token": token})
        assert answer.status_code == 403, (method, path, answer.status_code)


@pytest.mark.parametrize("role", ["viewer", "agent"])
async def test_every_unsafe_staff_route_refuses_a_post_without_csrf(
    app: FastAPI,
    role: str,
    viewer_browser: httpx.AsyncClient,
    agent_browser: httpx.AsyncClient,
) -> None:
    browser = viewer_browser if role == "viewer" else agent_browser
    for method, path in staff_routes(app):
        if method in UNSAFE:
            answer = await browser.request(method, path, data={"note": "x"})
            assert answer.status_code == 403, (method, path, answer.status_code)
