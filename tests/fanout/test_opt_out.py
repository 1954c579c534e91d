"""Objections and CCPA opt-outs fan out with `opt_out` to every connector that can
unsubscribe the person, leave the rest to staff, and end with a confirmation mail."""

from email.message import EmailMessage

from fastapi import FastAPI

from app.settings import Settings
from connectors.base import EraseStatus, OptOutSummary
from tests.exports.test_flows import _deliver, _mail, _text
from tests.fixtures.fanout import ADA, Fanout, Hook
from tests.fixtures.smtp import SmtpServer

LEDGER = (
    "  - name: ledger\n    type: manual\n    instructions: Strike the mailing ledger\n"
    "    actions: [opt_out]\n"
)


def _systems(hook: Hook) -> str:
    """A newsletter tool and a CRM that unsubscribe, a hook that can, a paper ledger,
    and a store that cannot unsubscribe anyone."""
    return (
        Fanout.scripted("newsletter", "crm")
        + Fanout.scripted("warehouse", extra=", actions: [access, erase]")
        + Fanout.hook_block(hook.url, extra="    actions: [erase, opt_out]\n")
        + LEDGER
    )


async def _mail_of(
    app: FastAPI, settings: Settings, smtp: SmtpServer, reference: str
) -> EmailMessage:
    return _mail(await _deliver(app, settings, smtp), ADA, f"[{reference}]")


async def test_an_objection_unsubscribes_everywhere_it_can_and_leaves_the_rest_to_staff(
    fanout, api, hook
):
    fanout.configure(_systems(hook))
    fanout.script.then("crm", OptOutSummary(erased={}))  # was not subscribed
    reference = await api.approved("objection")

    summary = await fanout.run()

    assert summary.outcomes == {"succeeded": 3, "manual": 1}
    tasks = {
        (t["connector"], t["action"]): t for t in (await api.ticket(reference))["tasks"]
    }
    assert set(tasks) == {
        ("newsletter", "opt_out"),
        ("crm", "opt_out"),
        ("shop_hook", "opt_out"),
        ("ledger", "opt_out"),
        ("staff", "objection"),  # the Art. 21(1) review of any other use
    }
    assert tasks[("newsletter", "opt_out")]["counts"] == {"rows": 1}
    assert tasks[("shop_hook", "opt_out")]["counts"] == {"newsletter": 1}
    assert tasks[("ledger", "opt_out")]["status"] == "manual"
    assert tasks[("staff", "objection")]["status"] == "manual"
    assert fanout.script.count("newsletter", "opt_out") == 1
    assert fanout.script.count("warehouse", "opt_out") == 0
    [call] = hook.calls
    assert call["action"] == "opt_out"
    assert call["idempotency_key"] == f"{reference}:shop_hook:opt_out"
    assert (await api.ticket(reference))["status"] == "action_required"


async def test_an_objection_answer_lists_where_marketing_stopped_and_what_staff_did(
    app, fanout, api, hook, settings, smtp_server
):
    fanout.configure(_systems(hook))
    fanout.script.then("crm", OptOutSummary(erased={}))
    reference = await api.approved("objection")
    await fanout.run()

    for task in (await api.ticket(reference))["tasks"]:
        if task["status"] == "manual":
            done = await api.post(
                f"{reference}/tasks/{task['id']}/complete", {"note": "done"}
            )
            assert done.status_code == 200, done.text
    await fanout.answer()

    assert (await api.ticket(reference))["status"] == "completed"
    text = _text(await _mail_of(app, settings, smtp_server, reference))
    assert "- newsletter: Unsubscribed from marketing" in text
    assert "- crm: You were not receiving marketing from here" in text
    assert "- shop_hook: Unsubscribed from marketing" in text
    assert "- ledger: Unsubscribed by hand by our team" in text
    assert "warehouse" not in text  # it sends no marketing: not asked, not listed
    assert "a member of our team did it by hand" in text
    assert "(Art. 21(3) GDPR)" in text
    [reported] = await api.events(reference, "opt_out_reported")
    assert len(reported["data"]["systems"]) == 4


async def test_a_ccpa_opt_out_completes_without_staff_when_connectors_cover_it(
    app, fanout, api, settings, smtp_server
):
    fanout.configure(fanout.scripted("newsletter"))
    reference = await api.approved("opt_out")

    await fanout.run()

    ticket = await api.ticket(reference)
    assert ticket["status"] == "completed"
    assert [(t["connector"], t["action"]) for t in ticket["tasks"]] == [
        ("newsletter", "opt_out")
    ]
    message = await _mail_of(app, settings, smtp_server, reference)
    assert "Your opt-out request: what we did" in message["Subject"]
    assert "- newsletter: Unsubscribed from marketing" in _text(message)
    assert "Art. 21" not in _text(message)


async def test_an_opt_out_no_connector_can_do_is_one_staff_task(fanout, api):
    fanout.configure(fanout.scripted("warehouse", extra=", actions: [access, erase]"))
    reference = await api.approved("opt_out")

    await fanout.run()

    [task] = (await api.ticket(reference))["tasks"]
    assert (task["connector"], task["action"], task["status"]) == (
        "staff",
        "opt_out",
        "manual",
    )
    assert fanout.script.calls == []
    [planned] = await api.events(reference, "fanout_planned")
    assert planned["data"]["tasks"] == [{"connector": "staff", "action": "opt_out"}]


async def test_a_vendor_that_cannot_unsubscribe_by_api_opens_a_manual_task(fanout, api):
    fanout.configure(fanout.scripted("kit"))
    instructions = "Remove the tag 'newsletter' from the person in Kit's UI"
    fanout.script.then(
        "kit",
        OptOutSummary(status=EraseStatus.MANUAL_REQUIRED, notes=(instructions,)),
    )
    reference = await api.approved("opt_out")

    await fanout.run()

    task = (await api.tasks(reference))["kit"]
    assert task["status"] == "manual"
    assert (await fanout.task("kit")).instructions == instructions
