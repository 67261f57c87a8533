"""Live console events: scoped like the cases, replayed after a reconnect from Last-Event-ID."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from rabta.accounts.models import User
from rabta.cases import live
from rabta.cases.models import ConsoleEvent
from rabta.cases.tests.test_core_loop import HARASSMENT_MARDAN, URDU_MARDAN, _submit

pytestmark = pytest.mark.django_db


def _events(actor: Any, last: int | None) -> list[str]:
    chunks = list(itertools.islice(live.stream(actor, last, seconds=0.01), 50))
    return [c for c in chunks if c.startswith("id:") and "event: case" in c]


def test_reconnect_replays_only_what_was_missed_and_only_what_may_be_seen() -> None:
    start = ConsoleEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    plain = _submit(URDU_MARDAN, submission_id="live-1")
    secret = _submit(HARASSMENT_MARDAN, submission_id="live-2")
    operator = User.objects.get(username="operator_peshawar")
    desk = User.objects.get(username="womens_desk_mardan")
    seen_by_operator = "".join(_events(operator, start))
    assert plain.ref in seen_by_operator
    assert secret.ref not in seen_by_operator
    assert secret.ref in "".join(_events(desk, start))
    last_seen = ConsoleEvent.objects.filter(case=plain).order_by("-pk").first()
    assert last_seen is not None
    replay = "".join(_events(operator, last_seen.pk))
    assert plain.ref not in replay


def test_a_new_stream_starts_at_the_newest_event() -> None:
    _submit(URDU_MARDAN, submission_id="live-3")
    operator = User.objects.get(username="operator_peshawar")
    chunks = list(itertools.islice(live.stream(operator, None, seconds=0.01), 5))
    newest = ConsoleEvent.objects.order_by("-pk").first()
    assert newest is not None
    assert chunks[0].startswith(f"retry: 2000\nid: {newest.pk}\n")


def test_stream_endpoint_needs_a_verified_login(client: Any, login_as: Any) -> None:
    assert client.get("/cases/stream/").status_code == 302
    response = login_as("operator_peshawar").get("/cases/stream/", {"last_event_id": "0"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/event-stream"
    response.close()
