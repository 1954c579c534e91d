"""A fake of the (made-up) Acme API for the `acme` example type: a Starlette app as a
plugin author would write one, serving pages of contacts, notes, deletes and PATCHes."""

import itertools
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

TOKEN = "acme-good-token"
PAGE_SIZE = 2


@dataclass
class FakeAcme:
    """Contacts by id (several per person, to page through) and a log of calls."""

    contacts: dict[int, dict[str, Any]] = field(default_factory=dict)
    log: list[tuple[str, str]] = field(default_factory=list)

    def add(self, email: str, count: int = 1) -> None:
        ids = itertools.count(len(self.contacts) + 1)
        for _ in range(count):
            number = next(ids)
            self.contacts[number] = {
                "id": number,
                "email": email,
                "subscribed": True,
            }

    @property
    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/me", self._me),
                Route("/contacts", self._list),
                Route("/contacts/{id:int}", self._one, methods=["DELETE", "PATCH"]),
                Route("/contacts/{id:int}/notes", self._notes),
            ]
        )

    def _refused(self, request: Request) -> Response | None:
        self.log.append((request.method, request.url.path))
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            return JSONResponse({"error": "unauthorized"}, 401)
        return None

    async def _me(self, request: Request) -> Response:
        return self._refused(request) or JSONResponse({"account": "acme"})

    async def _list(self, request: Request) -> Response:
        if (refused := self._refused(request)) is not None:
            return refused
        email = request.query_params["email"]
        start = int(request.query_params.get("cursor", "0"))
        found = [c for c in self.contacts.values() if c["email"] == email]
        page = found[start : start + PAGE_SIZE]
        more = start + PAGE_SIZE < len(found)
        return JSONResponse(
            {"results": page, "next": start + PAGE_SIZE if more else None}
        )

    async def _one(self, request: Request) -> Response:
        if (refused := self._refused(request)) is not None:
            return refused
        number = request.path_params["id"]
        if number not in self.contacts:
            return JSONResponse({"error": "not found"}, 404)
        if request.method == "DELETE":
            del self.contacts[number]
            return Response(status_code=204)
        self.contacts[number].update(await request.json())
        return JSONResponse(self.contacts[number])

    async def _notes(self, request: Request) -> Response:
        if (refused := self._refused(request)) is not None:
            return refused
        number = request.path_params["id"]
        return JSONResponse({"results": [{"id": number * 10, "body": "called"}]})
