"""Batch processing: a batch takes the backlog along, a bad event never rides in someone else's batch."""

from __future__ import annotations

import json
from typing import Any

import pytest

from rabta.intake import actions, tasks
from rabta.intake.models import InboundEvent, Message

pytestmark = pytest.mark.django_db


def _store(n: int, prefix: str = "b") -> list[int]:
    channel = actions.web_form_channel()
    ids = []
    for i in range(n):
        body = json.dumps({"submission_id": f"{prefix}-{i}", "text": f"Mardan mein chori hui, madad karein ({i})"}).encode()
        ids.append(actions.store_inbound_event(channel=channel, platform_id=f"{prefix}-{i}", headers={}, body=body).event.pk)
    return ids


def test_a_batch_takes_the_backlog_up_to_fill_oldest_first() -> None:
    ids = _store(6)
    messages = actions.process_inbound_events(event_ids=[ids[5]], fill=4)
    assert sorted(m.event_id for m in messages) == sorted([ids[5], ids[0], ids[1], ids[2]])
    assert list(InboundEvent.objects.filter(state="pending").order_by("pk").values_list("pk", flat=True)) == [ids[3], ids[4]]
    # The tasks of the events taken along find them done; nothing is made twice.
    assert actions.process_inbound_events(event_ids=[ids[0], ids[1]]) == []
    assert Message.objects.filter(event_id__in=ids).count() == 4


def test_without_fill_a_batch_is_only_its_own_events() -> None:
    ids = _store(3)
    messages = actions.process_inbound_events(event_ids=[ids[1]])
    assert [m.event_id for m in messages] == [ids[1]]
    assert InboundEvent.objects.filter(state="pending").count() == 2


def test_an_event_that_failed_before_is_never_taken_along() -> None:
    ids = _store(3)
    actions.record_processing_failure(event_id=ids[0], error="RuntimeError('boom')")
    messages = actions.process_inbound_events(event_ids=[ids[2]], fill=10)
    assert sorted(m.event_id for m in messages) == [ids[1], ids[2]]
    assert InboundEvent.objects.get(pk=ids[0]).state == "pending"


def test_a_failed_batch_rolls_back_whole_and_hands_every_taken_event_to_single_tasks(monkeypatch: Any) -> None:
    ids = _store(4)
    from rabta.cases import opening

    def explode(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("routing table unreadable")

    monkeypatch.setattr(opening, "open_or_join_cases", explode)
    with pytest.raises(actions.BatchFailed) as failed:
        actions.process_inbound_events(event_ids=[ids[3]], fill=3)
    assert sorted(failed.value.event_ids) == sorted([ids[3], ids[0], ids[1]])
    assert isinstance(failed.value.__cause__, RuntimeError)
    assert not Message.objects.exists()  # nothing half-written
    assert InboundEvent.objects.filter(state="pending").count() == 4

    queued: list[int] = []
    monkeypatch.setattr(tasks.process_inbound_event_task, "delay", queued.append)
    tasks.process_inbound_batch_task.run([ids[3]])
    assert sorted(queued) == sorted(ids)  # its own and the three it took from the backlog

    # One by one, the original error comes through for the retry's record.
    with pytest.raises(RuntimeError, match="routing table unreadable"):
        actions.process_inbound_event(event_id=ids[0])
