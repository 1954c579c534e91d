"""Staff administration (`/staff`, admins only): add, change role, reset password,
deactivate, through the same service functions as `dsr staff`."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from app.errors import DsrError
from app.staff import service as staff_service
from app.staff.models import Role
from app.ui.pages import AdminPage, redirect, render
from app.web import SessionDep

router = APIRouter(tags=["staff"], include_in_schema=False)
Email = Annotated[str, Form(min_length=3, max_length=320)]


@router.get("/staff")
async def staff_page(
    request: Request, current: AdminPage, session: SessionDep
) -> Response:
    """Every staff account, with the forms that manage them."""
    context = {"accounts": await staff_service.list_staff(session), "roles": list(Role)}
    return render(request, current, "staff/staff.html", context, active="staff")


def _refused(request: Request, exc: DsrError) -> Response:
    # The services check before they write, so a refusal leaves nothing half-done:
    # back to the page, with the reason.
    return redirect(request, "/staff", exc.detail, kind="error")


def _password_page(
    request: Request, current: AdminPage, email: str, password: str, heading: str
) -> Response:
    # Shown once, in the answer to the POST itself: a redirect would have to carry the
    # password in a cookie or a URL. The page is no-store (render sets it).
    context = {"email": email, "password": password, "heading": heading}
    return render(request, current, "staff/password.html", context, active="staff")


@router.post("/staff/add")
async def add_staff(
    request: Request,
    current: AdminPage,
    session: SessionDep,
    email: Email,
    role: Annotated[Role, Form()],
    name: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Create an account with a generated password, shown once."""
    password = staff_service.generate_password()
    try:
        staff = await staff_service.add_staff(
            session,
            email=email,
            role=role,
            password=password,
            name=name.strip() or None,
            actor=current.actor,
        )
    except DsrError as exc:
        return _refused(request, exc)
    return _password_page(request, current, staff.email, password, "Account created")


@router.post("/staff/role")
async def change_role(
    request: Request,
    current: AdminPage,
    session: SessionDep,
    email: Email,
    role: Annotated[Role, Form()],
) -> Response:
    """Give an account another role."""
    try:
        staff = await staff_service.change_role(
            session, email, role, actor=current.actor
        )
    except DsrError as exc:
        return _refused(request, exc)
    return redirect(request, "/staff", f"{staff.email} is now {staff.role}.")


@router.post("/staff/password")
async def reset_password(
    request: Request, current: AdminPage, session: SessionDep, email: Email
) -> Response:
    """Set a new generated password, shown once; the person's sessions end."""
    try:
        staff, password = await staff_service.reset_password(
            session, email, actor=current.actor
        )
    except DsrError as exc:
        return _refused(request, exc)
    return _password_page(request, current, staff.email, password, "Password reset")


@router.post("/staff/deactivate")
async def deactivate(
    request: Request, current: AdminPage, session: SessionDep, email: Email
) -> Response:
    """End an account: no more log-ins, its sessions and API tokens end."""
    try:
        staff = await staff_service.deactivate(session, email, actor=current.actor)
    except DsrError as exc:
        return _refused(request, exc)
    return redirect(request, "/staff", f"{staff.email} is deactivated.")
