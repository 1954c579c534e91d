"""The requests JSON API, through HTTP."""

import base64

import httpx
import pytest
import time_machine
from sqlalchemy.ext.asyncio import AsyncSession

CREATE = "/api/v1/requests"


async def _create(
    client: httpx.AsyncClient, headers: dict[str, str], **body: object
) -> httpx.Response:
    payload = {
        "type": "access",
        "regulation": "gdpr",
        "email": "ada@example.com",
        **body,
    }
    return await client.post(CREATE, json=payload, headers=headers)


@pytest.mark.parametrize(
    ("regulation", "received", "due"),
    [
        ("gdpr", "2026-01-31T10:00:00Z", "2026-03-02"),
        ("ccpa", "2026-03-02T10:00:00Z", "2026-04-15"),
        ("gdpr", "2026-03-10T10:00:00Z", "2026-04-10"),
    ],
)
async def test_create_computes_the_legal_due_date(
    client: httpx.AsyncClient,
    agent: dict[str, str],
    regulation: str,
    received: str,
    due: str,
) -> None:
    response = await _create(client, agent, regulation=regulation, received_at=received)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["due_at"].startswith(due)
    assert body["status"] == "unverified"
    assert body["channel"] == "api"
    assert body["reference"].startswith("DSR-")
    assert len(body["reference"]) == 12


async def test_identity_verified_starts_at_review_verified_at_receipt(
    client: httpx.AsyncClient, agent: dict[str, str]
) -> None:
    received = "2026-03-02T09:30:00Z"
    body = (
        await _create(client, agent, received_at=received, identity_verified=True)
    ).json()
    assert body["status"] == "pending_review"
    assert body["verified_at"] == body["received_at"]


async def test_email_is_normalised_keeping_local_part_case(
    client: httpx.AsyncClient, agent: dict[str, str]
) -> None:
    body = (await _create(client, agent, email="  Ada.Lovelace@EXAMPLE.com ")).json()
    assert body["subject"]["email"] == "Ada.Lovelace@example.com"


@pytest.mark.parametrize(
    "change",
    [
        {"email": "not-an-email"},
        {"type": "teleport"},
        {"regulation": "martian"},
        {"received_at": "2099-01-01T00:00:00Z"},
        {"received_at": "2026-01-01T00:00:00"},
        {"unexpected": 1},
    ],
)
async def test_bad_input_is_422_problem_json(
    client: httpx.AsyncClient, agent: dict[str, str], change: dict[str, object]
) -> None:
    response = await _create(client, agent, **change)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 422
    assert problem["title"]
    assert problem["detail"]


async def test_missing_or_bad_token_is_401(client: httpx.AsyncClient) -> None:
    assert (await client.get(CREATE)).status_code == 401
    response = await client.get(CREATE, headers={"Authorization": "Bearer dsr_nope"})
    assert response.status_code == 401
    assert response.json()["type"] == "urn:dsr:problem:unauthorized"


async def test_viewer_can_read_but_not_act(
    client: httpx.AsyncClient, agent: dict[str, str], viewer: dict[str, str]
) -> None:
    reference = (await _create(client, agent)).json()["reference"]
    assert (
        await client.get(f"{CREATE}/{reference}", headers=viewer)
    ).status_code == 200
    assert (await _create(client, viewer)).status_code == 403
    response = await client.post(
        f"{CREATE}/{reference}/cancel", json={"reason": "x"}, headers=viewer
    )
    assert response.status_code == 403


async def test_unknown_reference_is_404(
    client: httpx.AsyncClient, viewer: dict[str, str]
) -> None:
    response = await client.get(f"{CREATE}/DSR-22222222", headers=viewer)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


async def test_get_includes_tasks_messages_and_days_left(
    client: httpx.AsyncClient, agent: dict[str, str]
) -> None:
    with time_machine.travel("2026-03-05T12:00:00Z", tick=False):
        reference = (
            await _create(client, agent, received_at="2026-03-02T10:00:00Z")
        ).json()["reference"]
        body = (await client.get(f"{CREATE}/{reference}", headers=agent)).json()
    assert body["tasks"] == []
    [ack] = body["messages"]  # the acknowledgement, stating the due date
    assert ack["direction"] == "out"
    assert ack["subject"].endswith("We received your privacy request")
    assert body["due_at"].startswith("2026-04-02")
    assert body["days_left"] == 28
    assert body["overdue"] is False


async def test_extension_once_then_409(
    client: httpx.AsyncClient, agent: dict[str, str]
) -> None:
    with time_machine.travel("2026-03-20T12:00:00Z", tick=False):
        reference = (
            await _create(client, agent, received_at="2026-03-10T10:00:00Z")
        ).json()["reference"]
        url = f"{CREATE}/{reference}/extend"
        first = await client.post(
            url, json={"reason": "Data held in six systems"}, headers=agent
        )
        assert first.status_code == 200, first.text
        assert first.json()["extended_due_at"].startswith("2026-06-10")
        second = await client.post(url, json={"reason": "again"}, headers=agent)
    assert second.status_code == 409
    assert second.json()["status"] == 409


async def test_extension_after_first_due_date_is_409(
    client: httpx.AsyncClient, agent: dict[str, str]
) -> None:
    with time_machine.travel("2026-04-20T12:00:00Z", tick=False):
        reference = (
            await _create(client, agent, received_at="2026-03-10T10:00:00Z")
        ).json()["reference"]
        response = await client.post(
            f"{CREATE}/{reference}/extend", json={"reason": "too late"}, headers=agent
        )
    assert response.status_code == 409


async def test_ccpa_extension_gives_ninety_days(
    client: httpx.AsyncClient, agent: dict[str, str]
) -> None:
    with time_machine.travel("2026-03-03T12:00:00Z", tick=False):
        reference = (
            await _create(
                client, agent, regulation="ccpa", received_at="2026-03-02T10:00:00Z"
            )
        ).json()["reference"]
        response = await client.post(
            f"{CREATE}/{reference}/extend", json={"reason": "complex"}, headers=agent
        )
    assert response.json()["extended_due_at"].startswith("2026-05-30")


async def test_lifecycle_through_the_api(
    client: httpx.AsyncClient, agent: dict[str, str]
) -> None:
    reference = (await _create(client, agent, identity_verified=True)).json()[
        "reference"
    ]
    url = f"{CREATE}/{reference}"
    approved = await client.post(f"{url}/approve", json={}, headers=agent)
    assert approved.json()["status"] == "in_progress"
    again = await client.post(f"{url}/approve", json={}, headers=agent)
    assert again.status_code == 409
    assert again.json()["type"] == "urn:dsr:problem:invalid-transition"
    canceled = await client.post(
        f"{url}/cancel", json={"reason": "withdrawn"}, headers=agent
    )
    assert canceled.json()["status"] == "canceled"
    assert canceled.json()["closed_at"] is not None
    kinds = [
        event["kind"]
        for event in (await client.get(f"{url}/events", headers=agent)).json()
    ]
    # approval plans a task for staff: no connectors are configured here
    assert kinds == [
        "created",
        "acknowledged",
        "status_changed",
        "fanout_planned",
        "status_changed",
    ]


async def test_deny_records_the_legal_ground(
    client: httpx.AsyncClient, agent: dict[str, str]
) -> None:
    reference = (await _create(client, agent, identity_verified=True)).json()[
        "reference"
    ]
    response = await client.post(
        f"{CREATE}/{reference}/deny",
        json={
            "reason_code": "manifestly_unfounded",
            "message": "Third identical request this week.",
        },
        headers=agent,
    )
    assert response.status_code == 200
    assert response.json()["denial_reason"] == "manifestly_unfounded"
    bad = await client.post(
        f"{CREATE}/{reference}/deny",
        json={"reason_code": "bored", "message": "x"},
        headers=agent,
    )
    assert bad.status_code == 422


async def test_verify_by_another_method(
    client: httpx.AsyncClient, agent: dict[str, str]
) -> None:
    reference = (await _create(client, agent)).json()["reference"]
    response = await client.post(
        f"{CREATE}/{reference}/verify",
        json={"method": "id_checked", "note": "ID checked"},
        headers=agent,
    )
    body = response.json()
    assert body["status"] == "pending_review"
    assert body["verification_method"] == "id_checked"


async def test_assign_and_unassign(
    client: httpx.AsyncClient, agent: dict[str, str], admin: dict[str, str]
) -> None:
    reference = (await _create(client, agent)).json()["reference"]
    url = f"{CREATE}/{reference}/assign"
    assigned = await client.post(
        url, json={"staff_email": "Admin@example.com"}, headers=agent
    )
    assert assigned.json()["assignee"] == "admin@example.com"
    listed = await client.get(
        CREATE, params={"assignee": "admin@example.com"}, headers=agent
    )
    assert [item["reference"] for item in listed.json()["items"]] == [reference]
    unknown = await client.post(
        url, json={"staff_email": "ghost@example.com"}, headers=agent
    )
    assert unknown.status_code == 422
    cleared = await client.post(url, json={"staff_email": None}, headers=agent)
    assert cleared.json()["assignee"] is None


async def test_notes_go_to_the_timeline(
    client: httpx.AsyncClient, agent: dict[str, str]
) -> None:
    reference = (await _create(client, agent)).json()["reference"]
    await client.post(
        f"{CREATE}/{reference}/notes", json={"text": "Called back."}, headers=agent
    )
    events = (await client.get(f"{CREATE}/{reference}/events", headers=agent)).json()
    assert events[-1]["kind"] == "note"
    assert events[-1]["personal"] == {"text": "Called back."}
    empty = await client.post(
        f"{CREATE}/{reference}/notes", json={"text": ""}, headers=agent
    )
    assert empty.status_code == 422


async def test_list_filters_and_keyset_pagination(
    client: httpx.AsyncClient, agent: dict[str, str]
) -> None:
    created = []
    for day in range(1, 8):
        body = (
            await _create(
                client,
                agent,
                email=f"person{day}@example.com",
                type="erasure" if day % 2 else "access",
                received_at=f"2026-02-{day:02d}T10:00:00Z",
            )
        ).json()
        created.append(body["reference"])
    seen, cursor = [], None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = (await client.get(CREATE, params=params, headers=agent)).json()
        seen += [item["reference"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == created  # soonest due first, each exactly once
    erasures = (
        await client.get(CREATE, params={"type": "erasure"}, headers=agent)
    ).json()["items"]
    assert {item["type"] for item in erasures} == {"erasure"}
    assert len(erasures) == 4
    found = (await client.get(CREATE, params={"q": "person3@"}, headers=agent)).json()[
        "items"
    ]
    assert [item["subject"]["email"] for item in found] == ["person3@example.com"]
    overdue = (
        await client.get(CREATE, params={"overdue": "true"}, headers=agent)
    ).json()["items"]
    assert (
        len(overdue) == 7
    )  # received in February 2026, due in March: all past due now
    early = await client.get(CREATE, params={"due_before": "2026-03-05"}, headers=agent)
    # Due: 1st->Mar 2 (Sun 1st rolls), 2nd->Mar 2, 3rd->Mar 3, 4th->Mar 4, 5th->Mar 5 ...
    assert len(early.json()["items"]) == 4
    bad = await client.get(CREATE, params={"cursor": "garbage"}, headers=agent)
    assert bad.status_code == 422


async def test_openapi_is_served(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/api/openapi.json")).json()
    assert "/api/v1/requests" in spec["paths"]
    assert (await client.get("/api/docs")).status_code == 200


@pytest.mark.parametrize(
    "params",
    [
        {"due_before": "0001-01-01"},
        {
            "cursor": base64.urlsafe_b64encode(
                b'["2026-01-01T00:00:00+00:00", Infinity]'
            ).decode()
        },
        {
            "cursor": base64.urlsafe_b64encode(
                f'["2026-01-01T00:00:00+00:00", {10**30}]'.encode()
            ).decode()
        },
        {"cursor": base64.urlsafe_b64encode(b'["2026-01-01T00:00:00", 1]').decode()},
        {"cursor": "not a cursor"},
    ],
)
async def test_unusable_list_parameters_are_422_not_500(
    client: httpx.AsyncClient, agent: dict[str, str], params: dict[str, str]
) -> None:
    response = await client.get("/api/v1/requests", params=params, headers=agent)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_a_wrong_method_is_405_naming_the_allowed_ones(
    client: httpx.AsyncClient, agent: dict[str, str]
) -> None:
    response = await client.delete("/api/v1/requests", headers=agent)
    assert response.status_code == 405
    # Both routes at this path count (Starlette alone names the first one's).
    assert response.headers["allow"] == "GET, POST"
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_the_openapi_document_describes_problem_answers(
    client: httpx.AsyncClient,
) -> None:
    schema = (await client.get("/api/openapi.json")).json()
    assert "Problem" in schema["components"]["schemas"]
    approve = schema["paths"]["/api/v1/requests/{reference}/approve"]["post"]
    for status in ("401", "403", "404", "409", "422"):
        content = approve["responses"][status]["content"]
        assert list(content) == ["application/problem+json"], status


async def test_create_defaults_the_regulation_and_takes_the_callers_language(
    client: httpx.AsyncClient, agent: dict[str, str], session: AsyncSession
) -> None:
    from sqlmodel import select

    from app.mail.models import Message

    response = await client.post(
        "/api/v1/requests",
        json={"type": "access", "email": "ada@example.com"},
        headers=agent | {"Accept-Language": "de-AT, en;q=0.5"},
    )
    assert response.status_code == 201, response.text
    assert response.json()["regulation"] == "gdpr"  # DSR_DEFAULT_REGULATION
    query = select(Message).where(Message.to_address == "ada@example.com")
    [mail] = (await session.execute(query)).scalars()
    assert "Guten Tag" in mail.text
    explicit = await client.post(
        "/api/v1/requests",
        json={"type": "erasure", "email": "alan@example.net", "language": "en"},
        headers=agent | {"Accept-Language": "de"},
    )
    assert explicit.status_code == 201, explicit.text
    query = select(Message).where(Message.to_address == "alan@example.net")
    [english] = (await session.execute(query)).scalars()
    assert english.text.startswith("Hello")
