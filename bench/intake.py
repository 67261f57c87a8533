"""Sustained intake on PostgreSQL + Redis: delivery → stored → triaged → case routed → notification queued.

Starts its own web process (uvicorn) and Celery workers against the bench database and the local
Redis (database 14), then:
1. paced load: deliveries at a fixed rate (default 300/s) for a while; measures the intake answer
   time (p50/p99) and delivery-to-routed time (case opened - event received, p95);
2. throughput: N deliveries as fast as the client threads can send them; measures messages per
   second end to end (first delivery sent → last case routed).
Run: .venv/bin/python bench/intake.py [--rate 300] [--seconds 20] [--burst 5000] [--workers 2]
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import http.client
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

from _common import ROOT, emit, setup_django

SECRET = "bench-secret"
TEXTS = [
    "Mardan mein kal raat dukaan se chori hui, FIR darj karni hai",
    "پشاور حیات آباد میں موبائل چھینا گیا، براہ کرم مدد کریں",
    "Traffic jam on GT Road near Nowshera since two hours",
    "زما موټر سایکل په سوات کې غلا شو پرون شپه",
    "Firing in Bannu bazaar right now, send police",
    "SHO Kohat city thana refused to register my FIR, asking for money",
]


def _body(n: int, tag: str) -> bytes:
    return json.dumps({"submission_id": f"{tag}-{n}", "text": f"{TEXTS[n % len(TEXTS)]} ({n})"}).encode()


class Client:
    """One keep-alive HTTP connection per thread."""

    local = threading.local()

    def __init__(self, port: int) -> None:
        self.port = port

    def post(self, body: bytes) -> tuple[int, float]:
        conn = getattr(self.local, "conn", None)
        if conn is None:
            conn = self.local.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        start = time.perf_counter()
        try:
            conn.request("POST", "/hooks/web_form/bench", body, {"Content-Type": "application/json", "X-Rabta-Signature": signature})
            response = conn.getresponse()
            response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            self.local.conn = None
            status = -1
        return status, (time.perf_counter() - start) * 1000


def _wait_routed(tag: str, n: int, timeout: float) -> float:
    from rabta.cases.models import Case

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = Case.objects.filter(conversation__thread_key__startswith=f"web:{tag}-").count()
        if done >= n:
            return time.monotonic()
        time.sleep(0.2)
    raise SystemExit(f"only {done} of {n} routed after {timeout}s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=int, default=300)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--burst", type=int, default=5000)
    parser.add_argument("--workers", type=int, default=2, help="Celery worker processes")
    parser.add_argument("--web-workers", type=int, default=2)
    args = parser.parse_args()
    db = setup_django()

    from django.conf import settings
    from django.db import connection

    from rabta.cases.models import Case
    from rabta.intake.models import Channel, InboundEvent
    from rabta.notify.models import OutboxMessage
    from rabta.org.reference import load_reference_data

    load_reference_data()
    Channel.objects.update_or_create(kind="web_form", slug="bench", defaults={"secret": SECRET})
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
    port = 8765
    env = {**os.environ, "DATABASE_URL": os.environ["DATABASE_URL"], "REDIS_URL": redis_url, "RABTA_LOG_LEVEL": "WARNING",
           "SECRET_KEY": settings.SECRET_KEY, "RABTA_VAR_DIR": str(settings.VAR_DIR)}
    subprocess.run(["redis-cli", "-u", redis_url, "FLUSHDB"], check=True, stdout=subprocess.DEVNULL)
    procs = [
        subprocess.Popen([sys.executable, "-m", "rabta.cli", "run", "--role", "web", "--port", str(port), "--workers", str(args.web_workers)],
                         cwd=ROOT, env=env, stdout=subprocess.DEVNULL),
        subprocess.Popen([sys.executable, "-m", "celery", "-A", "rabta", "worker", "-c", str(args.workers), "--loglevel", "WARNING",
                          "--without-gossip", "--without-mingle"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL),
    ]
    client = Client(port)
    try:
        deadline = time.monotonic() + 60
        while client.post(_body(0, f"warm-{uuid.uuid4().hex[:6]}"))[0] != 200:
            if time.monotonic() > deadline:
                raise SystemExit("web process did not start")
            time.sleep(0.5)
        connection.close()

        # 1. Paced load.
        tag = f"paced-{uuid.uuid4().hex[:8]}"
        total = args.rate * args.seconds
        latencies: list[float] = []
        statuses: list[int] = []
        with ThreadPoolExecutor(max_workers=32) as pool:
            start = time.monotonic()
            futures = []
            for n in range(total):
                target = start + n / args.rate
                delay = target - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                futures.append(pool.submit(client.post, _body(n, tag)))
            for f in futures:
                status, ms = f.result()
                statuses.append(status)
                latencies.append(ms)
        _wait_routed(tag, total, timeout=900)
        lag = [
            (c.opened_at - e.received_at).total_seconds() * 1000
            for c, e in (
                (case, InboundEvent.objects.get(channel__slug="bench", platform_id=case.conversation.thread_key.removeprefix("web:")))
                for case in Case.objects.filter(conversation__thread_key__startswith=f"web:{tag}-").select_related("conversation")[:2000]
            )
        ]
        ok = statuses.count(200)
        emit("intake", "paced_rate", args.rate, "messages/s", n=total, db=db, ok=ok)
        emit("intake", "answer_p50", statistics.median(latencies), "ms", n=total, db=db)
        emit("intake", "answer_p99", statistics.quantiles(latencies, n=100)[98], "ms", n=total, db=db, target="<= 50")
        emit("intake", "delivery_to_routed_p95", statistics.quantiles(lag, n=20)[18], "ms", n=len(lag), db=db, target="<= 1000")

        # 2. Throughput end to end.
        tag = f"burst-{uuid.uuid4().hex[:8]}"
        start = time.monotonic()
        with ThreadPoolExecutor(max_workers=32) as pool:
            results = list(pool.map(lambda n: client.post(_body(n, tag))[0], range(args.burst)))
        sent = time.monotonic()
        done = _wait_routed(tag, args.burst, timeout=900)
        emit("intake", "intake_only_per_s", args.burst / (sent - start), "messages/s", n=args.burst, db=db, ok=results.count(200))
        emit("intake", "end_to_end_per_s", args.burst / (done - start), "messages/s", n=args.burst, db=db, target=">= 1000")
        queued = OutboxMessage.objects.filter(case__conversation__thread_key__startswith=f"web:{tag}-").count()
        emit("intake", "notifications_queued", queued, "rows", n=args.burst, db=db)
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()


if __name__ == "__main__":
    main()
