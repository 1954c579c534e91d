"""The public request form and email verification, through HTTP as a browser would."""

import re

import httpx
from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import select

from app.enums import Status
from app.mail.models import Message
from app.requests.models import DsrRequest
from app.settings import Settings


async def _form(client: httpx.AsyncClient) -> dict[str, str]:
    page = (await client.get("/request")).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    return {"csrf_token": token.group(1), "location": "eea"}


async def _submit(client: httpx.AsyncClient, **fields: str) -> httpx.Response:
    data = await _form(client) | {"type": "access", "email": "ada@example.com"} | fields
    return await client.post("/request", data=data)


async def _tickets(session: AsyncSession) -> list[DsrRequest]:
    session.expire_all()
    return list((await session.execute(select(DsrRequest))).scalars())


async def _last_mail(session: AsyncSession, to: str) -> Message:
    query = select(Message).where(Message.to_address == to).order_by(Message.id.desc())  # type: ignore[union-attr]
    return (await session.execute(query.limit(1))).scalar_one()


async def test_form_renders_with_labels_and_csrf(client: httpx.AsyncClient) -> None:
    page = await client.get("/request")
    assert page.status_code == 200
    assert '<label for="email">' in page.text
    assert 'name="website"' in page.text  # the honeypot


async def test_valid_request_sends_a_verification_mail(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    response = await _submit(client, name="Ada Lovelace")
    assert response.status_code == 303
    assert response.headers["location"] == "/request/sent"
    [dsr] = await _tickets(session)
    assert (dsr.status, dsr.channel, dsr.regulation) == (
        Status.UNVERIFIED,
        "form",
        "gdpr",
    )
    assert dsr.acknowledged_at is not None
    mail = await _last_mail(session, "ada@example.com")
    assert mail.kind == "received"
    assert re.search(r"/verify/[\w-]+", mail.text)


async def test_get_of_the_link_changes_nothing_post_verifies(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await _submit(client)
    mail = await _last_mail(session, "ada@example.com")
    match = re.search(r"https?://[^/\s]+(/verify/[\w-]+)", mail.text)
    assert match is not None
    link = match.group(1)
    for _ in range(2):  # a mail scanner may fetch it more than once
        page = await client.get(link)
        assert page.status_code == 200
        assert "<form" in page.text
    [dsr] = await _tickets(session)
    assert dsr.status == Status.UNVERIFIED
    confirmed = await client.post(link)
    assert confirmed.status_code == 200
    [dsr] = await _tickets(session)
    assert dsr.status == Status.PENDING_REVIEW
    assert dsr.verification_method == "email_link"
    again = await client.post(link)  # single use: it says so, and what comes next
    assert again.status_code == 200
    assert "already confirmed" in again.text
    assert "make your request again" not in again.text


async def test_the_emailed_code_verifies_and_wrong_codes_are_capped(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await _submit(client)
    mail = await _last_mail(session, "ada@example.com")
    code = re.search(r"\b([2-9A-HJ-NP-Z]{6})\b", mail.text)
    assert code is not None
    [dsr] = await _tickets(session)
    page = (await client.get("/verify")).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    form = {"csrf_token": token.group(1), "reference": dsr.reference}
    for _ in range(5):
        wrong = await client.post("/verify", data=form | {"code": "222222"})
        assert wrong.status_code == 422
    locked = await client.post("/verify", data=form | {"code": code.group(1)})
    assert locked.status_code == 422  # the right code, too late: capped
    unknown = await client.post(
        "/verify", data=form | {"reference": "DSR-ZZZZZZZZ", "code": "222222"}
    )
    assert locked.text.count("not right") == unknown.text.count("not right") == 1
    [dsr] = await _tickets(session)
    assert dsr.status == Status.UNVERIFIED


async def test_code_verifies(client: httpx.AsyncClient, session: AsyncSession) -> None:
    await _submit(client)
    mail = await _last_mail(session, "ada@example.com")
    code = re.search(r"\b([2-9A-HJ-NP-Z]{6})\b", mail.text)
    assert code is not None
    [dsr] = await _tickets(session)
    page = (await client.get("/verify")).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    data = {
        "csrf_token": token.group(1),
        "reference": dsr.reference,
        "code": code.group(1),
    }
    assert (await client.post("/verify", data=data)).status_code == 200
    [dsr] = await _tickets(session)
    assert dsr.verification_method == "email_code"


async def test_bad_input_rerenders_with_messages_and_stores_nothing(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    response = await _submit(client, email="not-an-address", type="")
    assert response.status_code == 422
    assert 'id="email-error"' in response.text
    assert 'aria-invalid="true"' in response.text
    assert 'value="not-an-address"' in response.text  # nothing the person typed is lost
    assert await _tickets(session) == []


async def test_missing_csrf_token_is_refused(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    response = await client.post(
        "/request", data={"type": "access", "email": "a@example.com"}
    )
    assert response.status_code == 400
    assert await _tickets(session) == []


async def test_honeypot_pretends_success_and_stores_nothing(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    response = await _submit(client, website="http://spam.example")
    assert response.status_code == 303
    assert await _tickets(session) == []


async def test_rate_limit_per_address_is_a_friendly_429(
    client: httpx.AsyncClient,
) -> None:
    statuses = [
        (await _submit(client, type=kind)).status_code for kind in ["access"] * 6
    ]
    assert statuses[:5] == [303] * 5
    assert statuses[5] == 429


async def test_duplicate_request_joins_the_open_ticket(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await _submit(client)
    await _submit(client, email="ADA@example.com")
    [dsr] = await _tickets(session)
    assert dsr.unread
    count = await session.execute(
        select(func.count()).select_from(Message).where(Message.kind == "duplicate")
    )
    assert count.scalar_one() == 1


async def test_ccpa_opt_out_needs_no_verification(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await _submit(client, type="opt_out", location="california")
    [dsr] = await _tickets(session)
    assert dsr.status == Status.PENDING_REVIEW
    assert dsr.verification_method == "not_required"
    mail = await _last_mail(session, "ada@example.com")
    assert "/verify/" not in mail.text


async def test_authorised_agent_is_recorded(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await _submit(
        client,
        is_agent="1",
        agent_name="Grace Agent",
        agent_email="grace@agents.example",
        agent_details="Signed permission",
    )
    [dsr] = await _tickets(session)
    assert (dsr.agent_name, dsr.agent_email) == ("Grace Agent", "grace@agents.example")


async def test_a_returning_erased_person_is_flagged_once(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    from app.audit import service as audit
    from app.requests import suppression

    await suppression.suppress(session, "ada@example.com", settings=settings)
    await session.commit()
    assert (await _submit(client)).status_code == 303
    [dsr] = await _tickets(session)
    kinds = [event.kind for event in await audit.timeline(session, dsr)]
    assert kinds.count("previously_erased") == 1


async def test_code_entry_is_limited_per_address(client: httpx.AsyncClient) -> None:
    page = (await client.get("/verify")).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    form = {"csrf_token": token.group(1), "reference": "DSR-ZZZZZZZZ", "code": "222222"}
    answers = [(await client.post("/verify", data=form)).status_code for _ in range(21)]
    assert answers == [422] * 20 + [429]


async def test_a_used_link_says_the_request_is_confirmed_and_what_happens_next(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await _submit(client)
    mail = await _last_mail(session, "ada@example.com")
    match = re.search(r"https?://[^/\s]+(/verify/[\w-]+)", mail.text)
    assert match is not None
    await client.post(match.group(1))
    page = await client.get(match.group(1))
    assert page.status_code == 200
    assert "Your request is already confirmed" in page.text
    assert "will answer by" in page.text
    assert "This link has expired" not in page.text
    verified = (
        select(func.count()).select_from(Message).where(Message.kind == "verified")
    )
    assert (await session.execute(verified)).scalar_one() == 1  # confirmed once


async def test_a_german_browser_gets_german_pages_and_a_german_ticket(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    german = {"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"}
    page = await client.get("/request", headers=german)
    assert '<html lang="de">' in page.text
    assert "Eine Datenschutzanfrage stellen" in page.text
    assert 'href="/request?lang=en"' in page.text  # the switch
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    form = {"csrf_token": token.group(1), "location": "eea", "type": "access"}
    posted = await client.post(
        "/request", data=form | {"email": "ada@example.com", "language": "de"}
    )
    assert posted.headers["location"] == "/request/sent?lang=de"
    sent = await client.get(posted.headers["location"])
    assert "Bitte prüfen Sie Ihre E-Mails" in sent.text
    [dsr] = await _tickets(session)
    assert dsr.language == "de"
    mail = await _last_mail(session, "ada@example.com")
    assert "Guten Tag" in mail.text
    match = re.search(r"https?://[^/\s]+(/verify/[\w-]+)", mail.text)
    assert match is not None
    verify = await client.get(match.group(1))  # no header: the ticket's language
    assert "Bestätigen Sie Ihre Anfrage" in verify.text
    assert '<html lang="de">' in verify.text


async def test_the_requester_s_language_choice_becomes_the_ticket_s(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await _submit(client)  # an English ticket
    mail = await _last_mail(session, "ada@example.com")
    match = re.search(r"https?://[^/\s]+(/verify/[\w-]+)", mail.text)
    assert match is not None
    page = await client.get(f"{match.group(1)}?lang=de")
    assert 'name="language" value="de"' in page.text
    done = await client.post(match.group(1), data={"language": "de"})
    assert "Vielen Dank, Ihre Anfrage ist bestätigt" in done.text
    [dsr] = await _tickets(session)
    assert dsr.language == "de"
    verified = await _last_mail(session, "ada@example.com")
    assert verified.kind == "verified"
    assert "Guten Tag" in verified.text


async def test_a_too_long_name_is_named_as_the_field_to_shorten(
    client: httpx.AsyncClient,
) -> None:
    response = await _submit(client, name="A" * 5000)
    assert response.status_code == 422
    assert '<a href="#name">Please shorten your name' in response.text
    assert 'id="name-error"' in response.text
    assert 'href="#details"' not in response.text
