"""Failed deliveries go back to processing on request, each alone, audited."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.test import TestCase
from django.utils import timezone

from rabta.core.models import AuditEvent
from rabta.intake import actions
from rabta.intake.models import InboundEvent, Message

pytestmark = pytest.mark.django_db


def _event(platform_id: str, body: bytes) -> InboundEvent:
    return actions.store_inbound_event(channel=actions.web_form_channel(), platform_id=platform_id, headers={}, body=body).event


def _failed(platform_id: str, text: str = "Mardan mein chori hui, madad karein") -> InboundEvent:
    """A good delivery marked failed, as one a parser bug refused before its fix."""
    event = _event(platform_id, json.dumps({"submission_id": platform_id, "text": text}).encode())
    InboundEvent.objects.filter(pk=event.pk).update(state="failed", last_error="KeyError: 'text'", processed_at=timezone.now())
    return event


def test_a_requeued_delivery_is_processed_and_audited() -> None:
    event = _failed("rq-1")
    with TestCase.captureOnCommitCallbacks(execute=True):
        ids = actions.requeue_failed_events(actor_label="cli:test")
    assert ids == [event.pk]
    event.refresh_from_db()
    assert event.state == "done"
    assert Message.objects.filter(event=event, case__isnull=False).count() == 1
    entry = AuditEvent.objects.get(action="intake.events_requeued")
    assert entry.after == {"count": 1, "ids": [event.pk]}
    assert entry.actor_label == "cli:test"


def test_one_that_fails_again_is_failed_again_and_the_others_go_on() -> None:
    good = _failed("rq-good")
    bad = _event("rq-bad", b"not json at all")
    actions.process_inbound_events(event_ids=[bad.pk])
    bad.refresh_from_db()
    assert bad.state == "failed"
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert sorted(actions.requeue_failed_events(actor_label="cli:test")) == sorted([good.pk, bad.pk])
    good.refresh_from_db()
    bad.refresh_from_db()
    assert (good.state, bad.state) == ("done", "failed")
    assert bad.last_error


def test_filters_and_nothing_to_do() -> None:
    old = _failed("rq-old")
    InboundEvent.objects.filter(pk=old.pk).update(received_at=timezone.now() - timedelta(days=3))
    new = _failed("rq-new")
    done = _event("rq-done", json.dumps({"submission_id": "rq-done", "text": "x"}).encode())
    with TestCase.captureOnCommitCallbacks(execute=False):
        assert actions.requeue_failed_events(actor_label="t", since=timezone.now() - timedelta(days=1)) == [new.pk]
        assert actions.requeue_failed_events(actor_label="t", event_ids=[done.pk]) == []  # only failed ones
        assert actions.requeue_failed_events(actor_label="t", channel_slug="no-such-channel") == []
    assert InboundEvent.objects.get(pk=old.pk).state == "failed"
    assert InboundEvent.objects.get(pk=new.pk).state == "pending"


def test_the_command() -> None:
    event = _failed("rq-cmd")
    listed = io.StringIO()
    call_command("requeue_events", "--list", stdout=listed)
    assert f"{event.pk}\tweb_form/portal\t" in listed.getvalue()
    assert "KeyError: 'text'" in listed.getvalue()
    assert InboundEvent.objects.get(pk=event.pk).state == "failed"  # listing changes nothing
    out = io.StringIO()
    with TestCase.captureOnCommitCallbacks(execute=True):
        call_command("requeue_events", "--id", str(event.pk), stdout=out)
    assert f"requeued 1 failed deliveries (ids {event.pk}..{event.pk})" in out.getvalue()
    assert InboundEvent.objects.get(pk=event.pk).state == "done"
    with pytest.raises(CommandError, match="not an ISO time"):
        call_command("requeue_events", "--since", "yesterday", stdout=io.StringIO())
