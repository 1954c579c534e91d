"""The `acme` connector type of docs/connectors.md's walkthrough, written as a plugin
author would: on `connectors.http.Api`, with access, erasure and opt-out."""

from collections.abc import AsyncIterator
from typing import Any

from pydantic import Field, SecretStr

from connectors.base import (
    Capability,
    Connector,
    EraseSummary,
    OptOutSummary,
    RateLimit,
    Record,
    SourceInfo,
    Subject,
)
from connectors.http import Api, ApiConfig


class AcmeConfig(ApiConfig):
    """Settings of an `acme` connector (one block of connectors.yaml)."""

    token: SecretStr = Field(description="Acme API token (Bearer).")


_SOURCES = {
    "contacts": SourceInfo("Contacts", columns={"email": "Email address"}),
    "notes": SourceInfo("Notes about you", columns={"body": "Text"}),
}


class AcmeConnector(Connector[AcmeConfig]):
    """Acme CRM: contacts and their notes; erasure and unsubscribe by contact id."""

    capabilities = frozenset(Capability)
    config_model = AcmeConfig
    rate_limit = RateLimit(max_rate=10, time_period=1)  # Acme: 10 calls/s per token
    source_names = _SOURCES  # how the readable export names them

    @property
    def api(self) -> Api:
        """One Api per instance: base URL, auth, timeout and the shared throttle."""
        token = self.config.token.get_secret_value()
        return Api(
            self.http,
            self.config.base_url or "https://api.acme.example/v1",
            throttle=self.throttle,
            timeout=self.config.timeout,
            headers={"Authorization": f"Bearer {token}"},
        )

    async def test(self) -> None:
        await self.api.call("GET", "/me")

    async def _contacts(self, subject: Subject) -> AsyncIterator[dict[str, Any]]:
        """Every contact with one of the person's addresses, page after page."""
        api = self.api
        for address in subject.addresses:  # Acme matches the address exactly
            pages = api.pages(
                "GET",
                "/contacts",
                lambda page: {"cursor": page["next"]} if page["next"] else None,
                params={"email": address},
            )
            async for page in pages:
                for contact in page["results"]:
                    yield contact

    async def access(self, subject: Subject) -> AsyncIterator[Record]:
        async for contact in self._contacts(subject):
            yield Record("contacts", contact)
            notes = await self.api.json("GET", f"/contacts/{contact['id']}/notes")
            for note in notes["results"]:
                yield Record("notes", note)

    async def erase(self, subject: Subject) -> EraseSummary:
        ids = [contact["id"] async for contact in self._contacts(subject)]
        for contact_id in ids:
            # missing_ok: a contact deleted meanwhile (a retried task) is not an error.
            await self.api.call("DELETE", f"/contacts/{contact_id}", missing_ok=True)
        return EraseSummary(erased={"contacts": len(ids)})

    async def opt_out(self, subject: Subject) -> OptOutSummary:
        changed = 0
        async for contact in self._contacts(subject):
            if contact["subscribed"]:
                body = {"subscribed": False}
                await self.api.call("PATCH", f"/contacts/{contact['id']}", json=body)
                changed += 1
        return OptOutSummary(erased={"newsletter": changed})
