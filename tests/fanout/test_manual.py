"""Manual tasks hold the ticket in action_required until staff complete them."""

MANUAL = (
    "  - name: billing_team\n    type: manual\n"
    "    instructions: Delete the person from the paper ledger\n"
)


async def test_a_manual_task_holds_the_ticket_until_completed(fanout, api, store):
    fanout.configure(store.block() + MANUAL)
    reference = await api.approved("erasure")

    await fanout.run()

    ticket = await api.ticket(reference)
    assert ticket["status"] == "action_required"
    tasks = {task["connector"]: task for task in ticket["tasks"]}
    assert tasks["app_db"]["status"] == "succeeded"
    assert tasks["billing_team"]["status"] == "manual"
    [moved] = [
        e
        for e in await api.events(reference, "status_changed")
        if e["data"]["to"] == "action_required"
    ]
    assert moved["data"]["manual"] == ["billing_team"]
    assert "manual task is open" in moved["personal"]["reason"]

    await fanout.run()  # nothing for a worker to do: staff must act
    assert (await api.ticket(reference))["status"] == "action_required"

    task_id = tasks["billing_team"]["id"]
    done = await api.post(
        f"{reference}/tasks/{task_id}/complete", {"note": "Ledger page 12 blacked out"}
    )

    assert done.status_code == 200, done.text
    assert done.json()["status"] == "in_progress"  # the results step answers it next
    await fanout.answer()
    assert (await api.ticket(reference))["status"] == "completed"
    [completed] = await api.events(reference, "task_completed")
    assert completed["personal"] == {"note": "Ledger page 12 blacked out"}
    assert completed["actor"] == "staff:agent@example.com"


async def test_completing_needs_a_note(fanout, api):
    fanout.configure(MANUAL)
    reference = await api.approved("erasure")
    await fanout.run()
    task_id = (await api.tasks(reference))["billing_team"]["id"]

    response = await api.post(f"{reference}/tasks/{task_id}/complete", {"note": ""})

    assert response.status_code == 422


async def test_only_a_manual_task_can_be_completed(fanout, api):
    fanout.configure(fanout.scripted("crm"))
    reference = await api.approved("erasure")
    task_id = (await api.tasks(reference))["crm"]["id"]

    response = await api.post(f"{reference}/tasks/{task_id}/complete", {"note": "x"})

    assert response.status_code == 409
    assert "not a manual task" in response.json()["detail"]


async def test_an_unknown_task_is_404(fanout, api):
    fanout.configure(MANUAL)
    reference = await api.approved("erasure")

    response = await api.post(f"{reference}/tasks/999999/complete", {"note": "x"})

    assert response.status_code == 404


async def test_completing_one_of_two_manual_tasks_keeps_the_ticket_waiting(fanout, api):
    second = MANUAL.replace("billing_team", "archive_team")
    fanout.configure(MANUAL + second)
    reference = await api.approved("erasure")
    await fanout.run()
    tasks = await api.tasks(reference)

    first = await api.post(
        f"{reference}/tasks/{tasks['billing_team']['id']}/complete", {"note": "done"}
    )
    assert first.json()["status"] == "action_required"
    last = await api.post(
        f"{reference}/tasks/{tasks['archive_team']['id']}/complete", {"note": "done"}
    )
    assert last.json()["status"] == "in_progress"
    await fanout.answer()
    assert (await api.ticket(reference))["status"] == "completed"


async def test_a_staff_task_for_rectification_completes_the_ticket(fanout, api):
    fanout.configure(fanout.scripted("crm"))
    reference = await api.approved("rectification")
    await fanout.sweep()
    [task] = (await api.ticket(reference))["tasks"]

    done = await api.post(
        f"{reference}/tasks/{task['id']}/complete", {"note": "Address corrected"}
    )

    assert done.json()["status"] == "in_progress"
    await fanout.answer()
    assert (await api.ticket(reference))["status"] == "completed"
