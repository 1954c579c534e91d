"""API shapes of fan-out: what the callback endpoint answers (bodies are the types')."""

from pydantic import BaseModel


class CallbackAck(BaseModel):
    """What the callback endpoint answers: the task and where it now stands
    (`task_id` null and status `ignored` for a delivery about no task)."""

    task_id: int | None
    status: str
