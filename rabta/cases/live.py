"""Live console updates: every case change is a row in ConsoleEvent, pushed to open consoles.

The browser holds one EventSource (SSE). On reconnect it sends Last-Event-ID and the server
replays what it missed from the table, so no event is lost. Redis pub/sub wakes the streams in
production; embedded mode waits briefly on the table instead (server side, not the browser).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connection

from rabta.cases.models import Case, ConsoleEvent
from rabta.cases.selectors import visibility_q

logger = logging.getLogger(__name__)
CHANNEL = "rabta:console"
STREAM_SECONDS = 300  # the browser reconnects after this, with Last-Event-ID


def publish_case_event(*, case_id: int, kind: str) -> None:
    case = Case.objects.filter(pk=case_id).only("pk", "district_id", "sensitive").first()
    if case is None:
        return
    ConsoleEvent.objects.create(case_id=case_id, kind=kind)
    wake_consoles()


_redis: list[Any] = []


def wake_consoles() -> None:
    """Tell the open streams to read the table (Redis pub/sub); embedded streams look on their own."""
    if not settings.REDIS_URL:
        return
    try:
        if not _redis:
            import redis

            _redis.append(redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=2))
        _redis[0].publish(CHANNEL, "1")
    except Exception as exc:  # the table still has the events; streams pick them up on their next wake
        logger.warning("console wake-up not published: %s", exc.__class__.__name__)


def _visible_events(actor: Any, after_id: int) -> list[ConsoleEvent]:
    visible = Case.objects.filter(visibility_q(actor)).values("pk")
    return list(ConsoleEvent.objects.filter(pk__gt=after_id, case_id__in=visible).select_related("case").order_by("pk")[:200])


def _format(event: ConsoleEvent) -> str:
    data = json.dumps({"ref": event.case.ref, "kind": event.kind, "id": event.pk})
    return f"id: {event.pk}\nevent: case\ndata: {data}\n\n"


def stream(actor: Any, last_event_id: int | None, *, seconds: float = STREAM_SECONDS) -> Iterator[str]:
    if last_event_id is None:
        newest = ConsoleEvent.objects.order_by("-pk").values_list("pk", flat=True).first()
        last_event_id = newest or 0
    yield f"retry: 2000\nid: {last_event_id}\n: connected\n\n"
    deadline = time.monotonic() + seconds
    pubsub = None
    if settings.REDIS_URL:
        import redis

        pubsub = redis.Redis.from_url(settings.REDIS_URL).pubsub(ignore_subscribe_messages=True)
        pubsub.subscribe(CHANNEL)
    try:
        while time.monotonic() < deadline:
            for event in _visible_events(actor, last_event_id):
                last_event_id = event.pk
                yield _format(event)
            if not connection.in_atomic_block:
                close_old_connections()  # a long stream must not hold a stale or expired connection
            if pubsub is not None:
                message = pubsub.get_message(timeout=15)
                if message is None:
                    yield ": keep-alive\n\n"
            else:
                time.sleep(0.5)
                yield ": keep-alive\n\n"
    finally:
        if pubsub is not None:
            pubsub.close()
