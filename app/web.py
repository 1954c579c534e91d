"""FastAPI glue: the session, settings and API-authentication dependencies."""

from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.errors import Forbidden, Unauthorized
from app.settings import Settings
from app.staff import service as staff_service
from app.staff.models import Role, StaffUser


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One session per request, committed before the response is sent, rolled back on error."""
    maker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    async with maker() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


def get_settings(request: Request) -> Settings:
    """The app's settings object."""
    settings: Settings = request.app.state.settings
    return settings


# scope="function" runs the commit before the response goes out: a failed commit is a 500,
# never a false 200.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings)]
_bearer = HTTPBearer(
    auto_error=False, description="An API token from `dsr staff token`."
)


async def get_api_staff(
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> StaffUser:
    """The staff member behind the bearer token; 401 without a valid one."""
    if credentials is None:
        raise Unauthorized("send `Authorization: Bearer <token>`")
    staff = await staff_service.authenticate_token(session, credentials.credentials)
    if staff is None:
        raise Unauthorized("the token is unknown or revoked")
    return staff


ApiStaffDep = Annotated[StaffUser, Depends(get_api_staff)]


def require_role(role: Role) -> Callable[[StaffUser], Coroutine[Any, Any, StaffUser]]:
    """A dependency allowing only staff of at least `role`; 403 otherwise."""

    async def check(staff: ApiStaffDep) -> StaffUser:
        if staff.role.rank < role.rank:
            raise Forbidden(f"this needs the {role} role; you are {staff.role}")
        return staff

    return check


AgentDep = Annotated[StaffUser, Depends(require_role(Role.AGENT))]


def actor_of(staff: StaffUser) -> str:
    """How a staff member appears in the audit trail."""
    return f"staff:{staff.email}"
