"""Art. 19: each recipient of privacy.yaml is told as configured, and the report and the
audit event say exactly how — never that a recipient was told when it was not."""

from pathlib import Path

import yaml
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import select

from app.mail.models import Message
from app.settings import Settings
from tests.fixtures.app import PRIVACY_EXAMPLE

RECIPIENTS = [
    {"name": "Parcel Partner Ltd", "erasure": {"email": "privacy@parcel.example"}},
    {"name": "Shop Hosting B.V.", "erasure": {"connector": "app_db"}},
    {"name": "Old Analytics Inc.", "erasure": {"connector": "retired_crm"}},
    {
        "name": "Tax Office",
        "role": "authority",
        "erasure": {"exempt": "It keeps tax records by law."},
    },
    {"name": "Unsorted Partner"},
]


def _privacy(tmp_path: Path) -> Path:
    facts = yaml.safe_load(PRIVACY_EXAMPLE.read_text())
    facts["recipients"] = [
        {"role": "processor", "purpose": "Works for us.", "country": "Ireland"} | item
        for item in RECIPIENTS
    ]
    path = tmp_path / "privacy.yaml"
    path.write_text(yaml.safe_dump(facts))
    return path


async def test_each_recipient_is_told_as_configured_and_reported_as_it_was(
    fanout, api, store, settings: Settings, session: AsyncSession, tmp_path: Path
):
    settings.privacy_file = _privacy(tmp_path)
    fanout.configure(store.block())
    reference = await api.approved("erasure")

    await fanout.run()

    [event] = await api.events(reference, "erasure_reported")
    told = {item["name"]: item for item in event["data"]["recipients"]}
    assert {name: item["way"] for name, item in told.items()} == {
        "Parcel Partner Ltd": "emailed",
        "Shop Hosting B.V.": "erased",
        "Old Analytics Inc.": "not_reached",
        "Tax Office": "exempt",
        "Unsorted Partner": "not_told",
    }
    query = select(Message).where(Message.to_address == "privacy@parcel.example")
    [notice] = (await session.execute(query)).scalars()
    assert notice.message_id == told["Parcel Partner Ltd"]["message_id"]
    assert notice.subject.startswith(f"[{reference}] ")
    assert "ada.lovelace@example.com" in notice.text
    query = select(Message).where(Message.kind == "erasure_done")
    [report] = (await session.execute(query)).scalars()
    lines = {line.split(":")[0]: line for line in report.text.splitlines()}
    assert "we have written to them" in lines["- Parcel Partner Ltd"]
    assert "we erased your data in their system" in lines["- Shop Hosting B.V."]
    assert "not told" in lines["- Old Analytics Inc."]
    assert "It keeps tax records by law." in lines["- Tax Office"]
    assert "not told about your erasure" in lines["- Unsorted Partner"]
    assert report.text.count("asking them to erase") == 1  # only the one we wrote to
