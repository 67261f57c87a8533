"""Intake tasks: take ids, call one action. Retries with backoff; a sweeper catches the rest."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from rabta.intake import actions


@shared_task(bind=True, acks_late=True, max_retries=8, name="intake.process_inbound_event")
def process_inbound_event_task(self, event_id: int) -> None:  # type: ignore[no-untyped-def]
    try:
        actions.process_inbound_event(event_id=event_id)
    except Exception as exc:  # the event stays pending; retry with backoff, then the sweeper
        actions.record_processing_failure(event_id=event_id, error=repr(exc))
        raise self.retry(exc=exc, countdown=min(2 ** self.request.retries, 300)) from exc


BATCH_FILL = 200  # a batch task tops itself up to this many events from the backlog


@shared_task(bind=True, acks_late=True, max_retries=8, name="intake.process_inbound_batch")
def process_inbound_batch_task(self, event_ids: list[int]) -> None:  # type: ignore[no-untyped-def]
    """A batch of deliveries stored together (the fast webhook path, the sweeper)."""
    try:
        actions.process_inbound_events(event_ids=event_ids, fill=BATCH_FILL)
    except actions.BatchFailed as failed:  # rolled back: one by one, so one bad event holds up no other
        for event_id in failed.event_ids:
            process_inbound_event_task.delay(event_id)
    except Exception:  # it failed before taking its events (the database, say): they stay pending
        for event_id in event_ids:
            process_inbound_event_task.delay(event_id)


SWEEP_BATCH = 200


@shared_task(name="intake.sweep_pending_events")
def sweep_pending_events(older_than_seconds: int = 60) -> int:
    """Re-queue events left pending (broker down, worker killed), in batches. Processing is idempotent."""
    queued = 0
    batch: list[int] = []
    for event_id in actions.pending_event_ids(older_than=timezone.now() - timedelta(seconds=older_than_seconds)):
        batch.append(event_id)
        if len(batch) == SWEEP_BATCH:
            process_inbound_batch_task.delay(batch)
            queued, batch = queued + len(batch), []
    if batch:
        process_inbound_batch_task.delay(batch)
        queued += len(batch)
    return queued
