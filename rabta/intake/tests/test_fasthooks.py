"""The PostgreSQL webhook fast path gives exactly the answers of the Django view, and stores once."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from typing import Any

import pytest
from django.db import connection

from rabta.intake import fasthooks
from rabta.intake.models import Channel, InboundEvent

SECRET = "fast-secret"
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif("connection.vendor != 'postgresql'", reason="the fast path runs on PostgreSQL only"),
]


def _sign(body: bytes) -> str:
    return "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()


async def _call(
    app: Any, path: str, body: bytes, headers: dict[str, str] | None = None, method: str = "POST", *, close: bool = True
) -> tuple[int, Any]:
    scope = {
        "type": "http", "method": method, "path": path, "query_string": b"",
        "headers": [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()],
    }
    chunks = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive() -> dict[str, Any]:
        return chunks.pop(0) if chunks else {"type": "http.disconnect"}

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    try:
        await app(scope, receive, send)
    finally:
        if close:
            await app.store.close()  # each asyncio.run has its own loop: the pool must not outlive it
    status = sent[0]["status"]
    return status, json.loads(sent[1]["body"])


@pytest.fixture
def app_and_queued() -> tuple[Any, list[list[int]]]:
    queued: list[list[int]] = []

    async def not_django(scope: Any, receive: Any, send: Any) -> None:
        raise AssertionError("a hook request reached Django")

    Channel.objects.create(kind="web_form", slug="fast", secret=SECRET)
    return fasthooks.FastHooks(not_django, fasthooks.Store(fasthooks.conninfo(), enqueue=queued.append)), queued


def test_concurrent_deliveries_are_stored_once_each_in_group_commits(app_and_queued: tuple[Any, list[list[int]]]) -> None:
    app, queued = app_and_queued
    bodies = [json.dumps({"submission_id": f"f-{i % 40}", "text": f"message {i}"}).encode() for i in range(120)]

    async def run() -> list[tuple[int, Any]]:
        return await asyncio.gather(*[_call(app, "/hooks/web_form/fast", b, {"X-Rabta-Signature": _sign(b)}, close=False) for b in bodies])

    async def run_and_close() -> list[tuple[int, Any]]:
        try:
            return await run()
        finally:
            await app.store.close()

    answers = asyncio.run(run_and_close())
    assert {status for status, _ in answers} == {200}
    assert sum(a["stored"] for _, a in answers) == 40  # 40 distinct submissions, each sent three times
    assert sum(a["duplicates"] for _, a in answers) == 80
    assert InboundEvent.objects.filter(channel__slug="fast").count() == 40
    stored_ids = sorted(InboundEvent.objects.filter(channel__slug="fast").values_list("pk", flat=True))
    assert sorted(i for batch in queued for i in batch) == stored_ids  # every new event queued once, none twice
    assert len(queued) < 40  # deliveries arriving together were written (and queued) together
    first = InboundEvent.objects.get(channel__slug="fast", platform_id="f-0")
    assert first.state == "pending"
    assert json.loads(bytes(first.body))["text"] == "message 0"  # the first delivery's bytes, exactly
    assert "X-Rabta-Signature" not in first.headers


@pytest.mark.parametrize(
    ("path", "body", "signed", "status", "answer"),
    [
        ("/hooks/web_form/fast", b"not json", True, 400, {"error": "body is not JSON: JSONDecodeError"}),
        ("/hooks/web_form/fast", b'{"submission_id": "x", "text": "hi"}', False, 403, {"error": "bad or missing signature"}),
        ("/hooks/web_form/nope", b"{}", True, 404, {"error": "no such channel"}),
        ("/hooks/pigeon/fast", b"{}", True, 404, {"error": "no receiver for channel kind 'pigeon'"}),
        ("/hooks/web_form", b"{}", True, 404, {"error": "no such hook"}),
    ],
)
def test_bad_requests_get_the_contract_answers(  # noqa: PLR0917 - one parameter per table column
    app_and_queued: tuple[Any, list[list[int]]], path: str, body: bytes, signed: bool, status: int, answer: dict[str, str]
) -> None:
    app, queued = app_and_queued
    headers = {"X-Rabta-Signature": _sign(body)} if signed else {}
    assert asyncio.run(_call(app, path, body, headers)) == (status, answer)
    assert InboundEvent.objects.count() == 0
    assert queued == []


def test_database_down_is_503_for_every_waiting_request() -> None:
    async def not_django(scope: Any, receive: Any, send: Any) -> None:
        raise AssertionError("a hook request reached Django")

    app = fasthooks.FastHooks(not_django, fasthooks.Store("host=127.0.0.1 port=1 dbname=none connect_timeout=1", enqueue=lambda ids: None))
    body = json.dumps({"submission_id": "d-1", "text": "hello"}).encode()
    status, answer = asyncio.run(_call(app, "/hooks/web_form/fast", body, {"X-Rabta-Signature": _sign(body)}))
    assert (status, answer) == (503, {"error": "storage unavailable, retry later"})


def test_other_paths_go_to_django() -> None:
    seen: list[str] = []

    async def django_app(scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope["path"])

    app = fasthooks.FastHooks(django_app, fasthooks.Store(fasthooks.conninfo(), enqueue=lambda ids: None))
    asyncio.run(app({"type": "http", "path": "/cases/", "method": "GET"}, None, None))
    asyncio.run(app({"type": "lifespan", "path": "-"}, None, None))
    assert seen == ["/cases/", "-"]
    assert connection.vendor == "postgresql"
