"""Nothing lost, nothing done twice: real web and worker processes, a real Redis, real PostgreSQL.

- 5,000 deliveries, each sent three times, with the worker killed (-9) twice mid-run and started
  again: exactly 5,000 messages and cases, no duplicate, none lost.
- The broker stopped for 30 s mid-run: every delivery still answered 200 and processed after.
- PostgreSQL unavailable: intake answers 503, never 500, and 200 again once it is back.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from tests.faults.conftest import ROOT, RedisServer, ThrowawayPostgres, Worker, free_port, wait_until

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="fault tests run against PostgreSQL"),
]
SECRET = "fault-secret"
TEXTS = [
    "Mardan mein kal raat dukaan se chori hui, FIR darj karni hai",
    "پشاور حیات آباد میں موبائل چھینا گیا",
    "Traffic jam on GT Road near Nowshera since two hours",
    "زما موټر سایکل په سوات کې غلا شو",
]


class WebServer:
    def __init__(self, env: dict[str, str]) -> None:
        self.port = free_port()
        self.env = env
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "rabta.cli", "run", "--role", "web", "--port", str(self.port), "--workers", "1"],
            cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL,
        )
        wait_until(lambda: _status(f"{self.url}/health") == 200, timeout=30, what="the web process")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=20)


def _status(url: str, body: bytes | None = None, headers: dict[str, str] | None = None) -> int:
    request = urllib.request.Request(url, data=body, headers=headers or {}, method="POST" if body is not None else "GET")  # noqa: S310 - loopback http only
    try:
        with urllib.request.urlopen(request, timeout=20) as response:  # noqa: S310 - loopback http only
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except OSError:
        return -1


def _deliver(base: str, slug: str, n: int) -> int:
    body = json.dumps({"submission_id": f"{slug}-{n}", "text": f"{TEXTS[n % len(TEXTS)]} #{n}"}).encode()
    signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    headers = {"Content-Type": "application/json", "X-Rabta-Signature": signature}
    return _status(f"{base}/hooks/web_form/{slug}", body, headers)


def _sweep(env: dict[str, str]) -> None:
    """What the scheduler does every 30 s: queue every event still pending."""
    code = "import django; django.setup(); from rabta.intake.tasks import sweep_pending_events; sweep_pending_events(0)"
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**env, "DJANGO_SETTINGS_MODULE": "rabta.settings"}, check=True)


@pytest.fixture
def web_and_worker(worker_env: dict[str, str]) -> Iterator[tuple[WebServer, Worker]]:
    from rabta.intake.models import Channel
    from rabta.testing import load_reference_and_demo

    load_reference_and_demo()
    Channel.objects.create(kind="web_form", slug="fault", secret=SECRET)
    web, worker = WebServer(worker_env), Worker(worker_env)
    web.start()
    worker.start()
    yield web, worker
    worker.stop()
    web.stop()


def _counts(slug: str) -> dict[str, int]:
    from rabta.cases.models import Case
    from rabta.intake.models import InboundEvent, Message

    return {
        "events": InboundEvent.objects.filter(channel__slug=slug).count(),
        "pending": InboundEvent.objects.filter(channel__slug=slug, state="pending").count(),
        "messages": Message.objects.filter(channel__slug=slug).count(),
        "distinct": Message.objects.filter(channel__slug=slug).values("platform_id").distinct().count(),
        "cases": Case.objects.filter(conversation__channel__slug=slug).count(),
    }


def test_5000_deliveries_survive_two_worker_kills_and_triple_delivery(web_and_worker: tuple[WebServer, Worker], worker_env: dict[str, str]) -> None:
    web, worker = web_and_worker
    total = 5000
    answers: list[int] = []
    with ThreadPoolExecutor(max_workers=8) as pool:
        for start in range(0, total, 500):
            batch = [n for n in range(start, start + 500) for _ in range(3)]  # every delivery three times
            answers += pool.map(lambda n: _deliver(web.url, "fault", n), batch)
            if start in (1500, 3000):
                worker.kill()  # kill -9, mid-run, with tasks in flight
                worker.start()
    assert set(answers) == {200}, {a: answers.count(a) for a in set(answers)}
    _sweep(worker_env)
    wait_until(lambda: _counts("fault")["pending"] == 0, timeout=300, what="every event processed", interval=1)
    counts = _counts("fault")
    assert counts == {"events": total, "pending": 0, "messages": total, "distinct": total, "cases": total}


def test_broker_outage_of_30_seconds_loses_nothing(
    web_and_worker: tuple[WebServer, Worker], worker_env: dict[str, str], redis_server: RedisServer
) -> None:
    web, worker = web_and_worker
    answers = [_deliver(web.url, "fault", n) for n in range(0, 200)]
    redis_server.stop()
    stopped = time.monotonic()
    answers += [_deliver(web.url, "fault", n) for n in range(200, 300)]  # the broker is down: stored, answered 200
    while time.monotonic() - stopped < 30:
        answers.append(_deliver(web.url, "fault", len(answers)))
    redis_server.start()
    answers += [_deliver(web.url, "fault", n) for n in range(len(answers), len(answers) + 200)]
    assert set(answers) == {200}
    _sweep(worker_env)
    wait_until(
        lambda: _counts("fault")["pending"] == 0, timeout=240, what="every event processed after the outage", interval=1,
        detail=lambda: (_counts("fault"), worker.tail()),
    )
    counts = _counts("fault")
    assert counts["messages"] == counts["events"] == counts["distinct"] == counts["cases"] == len(answers)


def test_postgresql_unavailable_answers_503_never_500(throwaway_postgres: ThrowawayPostgres, worker_env: dict[str, str]) -> None:
    env = {**worker_env, "DATABASE_URL": throwaway_postgres.url}
    def run(*args):
        return subprocess.run([sys.executable, "-m", "rabta.cli", *args], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    run("manage", "migrate", "-v0")
    run("manage", "shell", "-c", f"from rabta.intake.models import Channel; Channel.objects.create(kind='web_form', slug='pg', secret='{SECRET}')")
    web = WebServer(env)
    web.start()
    try:
        assert _deliver(web.url, "pg", 1) == 200
        throwaway_postgres.stop()
        assert [_deliver(web.url, "pg", n) for n in range(2, 12)] == [503] * 10
        throwaway_postgres.start()
        wait_until(lambda: _deliver(web.url, "pg", 99) == 200, timeout=30, what="intake back after PostgreSQL returns")
        assert _deliver(web.url, "pg", 12) == 200
    finally:
        web.stop()
