from __future__ import annotations

from celery import shared_task

from rabta.notify import actions


@shared_task(acks_late=True, name="notify.deliver")
def deliver_task(outbox_id: int) -> None:
    actions.deliver(outbox_id=outbox_id)


@shared_task(acks_late=True, name="notify.deliver_for_cases")
def deliver_for_cases_task(case_ids: list[int]) -> None:
    """Deliver the notifications a batch of intake queued (each row once; failures back off)."""
    actions.deliver_many(outbox_ids=actions.pending_ids_for_cases(case_ids))


@shared_task(name="notify.sweep_outbox")
def sweep_outbox() -> int:
    """Send what is due: first attempts that were never queued and retries whose backoff ended."""
    queued = 0
    for pk in actions.due_ids():
        deliver_task.delay(pk)
        queued += 1
    return queued
