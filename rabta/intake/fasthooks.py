"""The webhook fast path on PostgreSQL: a bare ASGI handler in front of Django for `/hooks/`.

Platforms need a quick answer (X gives 3-10 s, Meta disables slow webhooks), and a burst must not
queue behind the console. This handler does only what the answer depends on: find the channel
(cached for a few seconds), check the signature and shape through the same `receivers` as the
Django view, and store the raw delivery durably. Deliveries arriving together are written with
one INSERT and one commit (group commit: one WAL flush for the lot), each request answered once
its row is committed. New events are queued for processing in one task per batch, after the
commit; if the broker is down the rows stay pending and the sweeper queues them later.

Answers are the CONTRACTS.md ones, exactly as hooks.py gives them: 200 stored (or duplicate),
403 signature, 400 malformed, 404 unknown channel, 413 too large, 503 storage unavailable.
On any other database the Django view serves `/hooks/` (see rabta/asgi.py).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

from rabta.intake import receivers
from rabta.intake.receivers import Answer, CachedChannel, Headers, HookRequest

logger = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

PREFIX = "/hooks/"
CHANNEL_TTL = 5.0  # seconds a channel's settings are cached (a disabled channel stops within this)
MAX_BATCH = 500
WRITERS = 2  # concurrent INSERT+COMMIT rounds: one fills while the other flushes

_INSERT = """
INSERT INTO intake_inboundevent (channel_id, platform_id, headers, body, received_at, state, attempts, last_error)
SELECT c, p, h::jsonb, b, r, 'pending', 0, ''
  FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::bytea[], %s::timestamptz[]) AS t(c, p, h, b, r)
ON CONFLICT (channel_id, platform_id) DO NOTHING
RETURNING id, channel_id, platform_id
"""
_CHANNEL = "SELECT id, kind, slug, secret, verify_token, account, config FROM intake_channel WHERE kind = %s AND slug = %s AND active"


class Unavailable(Exception):
    """Storage could not be reached or did not commit: the platform must retry (503)."""


@dataclass
class _Pending:
    channel_id: int
    platform_id: str
    headers: str
    body: bytes
    received_at: datetime
    future: asyncio.Future[int | None]  # the new event's id, or None for a duplicate


def conninfo() -> str:
    from django.db import connections
    from psycopg.conninfo import make_conninfo

    params = connections["default"].settings_dict
    options = {k: v for k, v in (params.get("OPTIONS") or {}).items() if k in ("sslmode", "sslrootcert", "sslcert", "sslkey", "application_name")}
    return make_conninfo(
        dbname=params["NAME"], user=params.get("USER") or None, password=params.get("PASSWORD") or None,
        host=params.get("HOST") or None, port=str(params["PORT"]) if params.get("PORT") else None,
        connect_timeout="2", **options,
    )


class Store:
    """Group commit of raw deliveries into intake_inboundevent, on its own small connection pool."""

    def __init__(self, conninfo: str, *, enqueue: Callable[[list[int]], None]) -> None:
        self._conninfo = conninfo
        self._enqueue = enqueue
        self._pool: Any = None
        self._queue: list[_Pending] = []
        self._wake: asyncio.Event | None = None
        self._writers: list[asyncio.Task[None]] = []
        self._channels: dict[tuple[str, str], tuple[float, CachedChannel | None]] = {}

    async def _start(self) -> None:
        if self._pool is not None:
            return
        from psycopg_pool import AsyncConnectionPool

        pool = AsyncConnectionPool(self._conninfo, min_size=1, max_size=WRITERS + 1, timeout=2.0, open=False, kwargs={"autocommit": True})
        await pool.open(wait=False)
        self._pool = pool
        self._wake = asyncio.Event()
        self._writers = [asyncio.create_task(self._writer()) for _ in range(WRITERS)]

    async def close(self) -> None:
        """Stop the writers and close the pool (tests; a server simply exits)."""
        for task in self._writers:
            task.cancel()
        self._writers = []
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    async def channel(self, kind: str, slug: str) -> CachedChannel | None:
        now = time.monotonic()
        hit = self._channels.get((kind, slug))
        if hit is not None and hit[0] > now:
            return hit[1]
        await self._start()
        try:
            async with self._pool.connection() as conn:
                row = await (await conn.execute(_CHANNEL, (kind, slug))).fetchone()
        except Exception as exc:
            raise Unavailable(exc.__class__.__name__) from exc
        found = CachedChannel(*row) if row else None
        self._channels[(kind, slug)] = (now + CHANNEL_TTL, found)
        return found

    async def store(self, channel_id: int, items: list[tuple[str, str, bytes]]) -> list[bool]:
        """Store (platform_id, headers JSON, body) rows; True where a new event was created."""
        await self._start()
        assert self._wake is not None
        loop = asyncio.get_running_loop()
        received = datetime.now(UTC)
        pending = [_Pending(channel_id, pid[:255], headers, body, received, loop.create_future()) for pid, headers, body in items]
        self._queue.extend(pending)
        self._wake.set()
        return [await p.future is not None for p in pending]

    async def _writer(self) -> None:
        assert self._wake is not None
        while True:
            if not self._queue:
                self._wake.clear()
                await self._wake.wait()
            batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
            if not batch:
                continue
            try:
                ids = await self._insert(batch)
            except Exception as exc:  # the database is down or refused: every request in the batch gets 503
                logger.warning("delivery storage unavailable: %s", exc.__class__.__name__)
                for p in batch:
                    if not p.future.done():
                        p.future.set_exception(Unavailable(exc.__class__.__name__))
                continue
            for p, event_id in zip(batch, ids, strict=True):
                if not p.future.done():
                    p.future.set_result(event_id)
            new = [i for i in ids if i is not None]
            if new:
                asyncio.get_running_loop().run_in_executor(None, self._enqueue, new)

    async def _insert(self, batch: list[_Pending]) -> list[int | None]:
        async with self._pool.connection() as conn:
            cursor = await conn.execute(
                _INSERT,
                (
                    [p.channel_id for p in batch],
                    [p.platform_id for p in batch],
                    [p.headers for p in batch],
                    [p.body for p in batch],
                    [p.received_at for p in batch],
                ),
            )
            rows = await cursor.fetchall()
        created = {(channel_id, platform_id): event_id for event_id, channel_id, platform_id in rows}
        ids: list[int | None] = []
        for p in batch:  # the first of two identical deliveries in one batch is the new one
            ids.append(created.pop((p.channel_id, p.platform_id), None))
        return ids


def _enqueue_batch(event_ids: list[int]) -> None:
    from rabta.intake.actions import enqueue
    from rabta.intake.tasks import process_inbound_batch_task

    enqueue(process_inbound_batch_task, event_ids)


async def _read_body(receive: Receive) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > receivers.MAX_BODY_BYTES:
            return b"\0" * (receivers.MAX_BODY_BYTES + 1)  # the receiver check answers 413
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _answer(send: Send, status: int, body: bytes, content_type: bytes = b"application/json") -> None:
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _json(send: Send, answer: Answer) -> None:
    status, content_type, body = answer.render()
    await _answer(send, status, body, content_type.encode())


class FastHooks:
    """ASGI middleware: `/hooks/<kind>/<slug>` here, everything else to Django."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]], store: Store) -> None:
        self.app = app
        self.store = store

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(PREFIX):
            await self.app(scope, receive, send)
            return
        parts = scope["path"][len(PREFIX):].split("/")
        if len(parts) != 2 or not all(parts):
            await _json(send, receivers.error(404, "no such hook"))
            return
        kind, slug = parts
        method = scope["method"]
        if method not in ("GET", "POST"):
            await _json(send, receivers.error(405, "POST deliveries here"))
            return
        body = await _read_body(receive)
        if body is None:
            return
        from rabta.intake.hooks import public_url

        query_string = scope.get("query_string", b"").decode("latin-1")
        request = HookRequest(
            method=method,
            url=public_url(scope["path"], query_string),
            headers=Headers({k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}),
            query=parse_qs(query_string, keep_blank_values=True),
            body=body,
        )
        try:
            channel = await self.store.channel(kind, slug)
            if method == "GET":
                handshake = receivers.HANDSHAKES.get(kind)
                if handshake is None or channel is None:
                    await _json(send, receivers.error(405 if channel is not None else 404, "POST deliveries here"))
                    return
                status, content_type, answer_body = handshake(channel, request)
                await _answer(send, status, answer_body, content_type.encode())
                return
            checked = receivers.check(channel, kind, request)
            if isinstance(checked, Answer):
                await _json(send, checked)
                return
            assert channel is not None
            headers = json.dumps(request.headers.kept())
            created = await self.store.store(channel.pk, [(d.platform_id, headers, d.body if d.body is not None else body) for d in checked])
        except Unavailable:
            await _json(send, receivers.error(503, "storage unavailable, retry later"))
            return
        except Exception:  # never a 500 to a platform: it retries a 503
            logger.exception("webhook %s/%s failed before storage", kind, slug)
            await _json(send, receivers.error(503, "temporarily unavailable, retry later"))
            return
        await _json(send, receivers.stored_answer(created, kind))


def wrap(django_app: Callable[[Scope, Receive, Send], Awaitable[None]]) -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    """The ASGI application: the fast path on PostgreSQL, Django alone elsewhere."""
    from django.db import connections

    if connections["default"].vendor != "postgresql":
        return django_app
    return FastHooks(django_app, Store(conninfo(), enqueue=_enqueue_batch))
