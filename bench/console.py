"""Console speed at scale on PostgreSQL: inbox page, case page and search with 1,000,000 cases.

Generates (once; it is kept in its own database, `rabta_console`) N cases with 3 messages each, spread over all
districts and posts, then times full page renders through Django's test client (template
rendering included, no network): the inbox as a province operator and as a DPO, a case page,
and a search. Run: .venv/bin/python bench/console.py [--cases 1000000] [--requests 200]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time

from _common import DEFAULT_URL, emit, setup_django

SUMMARIES = [
    "موٹر سائیکل چوری ہو گئی بازار سے",
    "mobile snatching near university road",
    "ایف آئی آر درج نہیں کی جا رہی تھانے میں",
    "traffic jam on GT road for two hours",
    "زما موټر سایکل غلا شو",
    "fake call asking for easypaisa code",
    "character certificate kaise banega",
    "bachi school se ghar nahi ayi",
]


def generate(n_cases: int) -> None:
    from django.db import connection

    from rabta.intake.actions import web_form_channel
    from rabta.org.models import District, Post

    channel = web_form_channel()
    districts = list(District.objects.values_list("pk", "region_id"))
    dpo = dict(Post.objects.filter(kind="dpo").values_list("district_id", "pk"))
    district_ids = [d for d, _ in districts]
    region_ids = [r for _, r in districts]
    post_ids = [dpo[d] for d in district_ids]
    n_people = max(n_cases // 10, 1)
    with connection.cursor() as cur:
        cur.execute("SELECT COALESCE(MAX(id), 0) FROM intake_citizen")
        base = cur.fetchone()[0]
        cur.execute("INSERT INTO intake_citizen (display_name, created_at) SELECT 'citizen ' || g, now() FROM generate_series(1, %s) g", [n_people])
        cur.execute(
            """INSERT INTO intake_contact (channel_id, external_id, display_name, phone, email, citizen_id, created_at)
               SELECT %s, 'bench:' || (%s + g), 'citizen ' || g, '', '', %s + g, now() FROM generate_series(1, %s) g""",
            [channel.pk, base, base, n_people],
        )
        cur.execute(
            """INSERT INTO intake_conversation (channel_id, contact_id, thread_key, created_at, last_message_at)
               SELECT %s, c.id, 'bench:' || c.id, now(), now() FROM intake_contact c WHERE c.external_id LIKE 'bench:%%'
               AND NOT EXISTS (SELECT 1 FROM intake_conversation v WHERE v.contact_id = c.id)""",
            [channel.pk],
        )
        cur.execute(
            """CREATE TEMP TABLE bench_conv AS SELECT row_number() OVER (ORDER BY id) AS rn, id, contact_id
               FROM intake_conversation WHERE thread_key LIKE 'bench:%%'"""
        )
        cur.execute("SELECT count(*) FROM bench_conv")
        n_conv = cur.fetchone()[0]
        statuses = ["routed", "acknowledged", "action_taken", "replied", "closed", "closed", "closed"]
        cur.execute(
            """INSERT INTO cases_case (ref, tracking_code, status, outcome, category, urgency, language, sensitive,
                   region_id, district_id, station_id, post_id, assignee_id, contact_id, conversation_id, summary, triage,
                   routing, opened_at, acknowledged_at, first_reply_at, closed_at, ack_due, reply_due, resolve_due,
                   escalation_level, clocks, merged_into_id, updated_at)
               SELECT 'KP-BEN-' || lpad(g::text, 9, '0'), 'BENCHCODE', (%s::text[])[1 + g %% 7], '',
                   (ARRAY['crime_report','traffic','police_complaint','information_request','feedback','missing_person'])[1 + g %% 6],
                   (ARRAY['critical','high','normal','normal','low'])[1 + g %% 5], 'ur', (g %% 17 = 0),
                   (%s::bigint[])[1 + g %% %s], (%s::bigint[])[1 + g %% %s], NULL, (%s::bigint[])[1 + g %% %s], NULL,
                   bc.contact_id, bc.id, (%s::text[])[1 + g %% 8] || ' #' || g, '{}'::jsonb, '{}'::jsonb,
                   now() - (g || ' minutes')::interval, NULL, NULL, NULL,
                   now() - (g || ' minutes')::interval + interval '1 day', NULL, now() - (g || ' minutes')::interval + interval '3 days',
                   0, '{}'::jsonb, NULL, now()
               FROM generate_series(1, %s) g JOIN bench_conv bc ON bc.rn = 1 + g %% %s""",
            [statuses, region_ids, len(region_ids), district_ids, len(district_ids), post_ids, len(post_ids), SUMMARIES, n_cases, n_conv],
        )
        cur.execute(
            """INSERT INTO intake_message (channel_id, conversation_id, event_id, direction, platform_id, text, redacted_text,
                   language, at, case_id, sent_by_id, public)
               SELECT %s, c.conversation_id, NULL, CASE WHEN k = 2 THEN 'out' ELSE 'in' END, '', c.summary || ' (' || k || ')', '',
                   'ur', c.opened_at + (k || ' hours')::interval, c.id, NULL, false
               FROM cases_case c CROSS JOIN generate_series(1, 3) k WHERE c.ref LIKE 'KP-BEN-%%'""",
            [channel.pk],
        )
        cur.execute("ANALYZE")


def timed(client: object, urls: list[str]) -> list[float]:
    out = []
    for url in urls:
        start = time.perf_counter()
        response = client.get(url)  # type: ignore[attr-defined]
        out.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return out


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[18]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    # A database of its own: the intake bench's cases (thousands opened within minutes, none closed
    # or overdue) would change what this one measures from run to run.
    server = (os.environ.get("BENCH_DATABASE_URL") or DEFAULT_URL).rsplit("/", 1)[0]
    db = setup_django(database_url=os.environ.get("BENCH_CONSOLE_DATABASE_URL") or f"{server}/rabta_console")

    from django.conf import settings

    settings.ALLOWED_HOSTS = ["*"]
    from rabta.accounts.models import User
    from rabta.cases.models import Case
    from rabta.intake.models import Message
    from rabta.testing import load_reference_and_demo, verified_client

    load_reference_and_demo()
    have = Case.objects.filter(ref__startswith="KP-BEN-").count()
    if have < args.cases:
        start = time.perf_counter()
        Message.objects.filter(case__ref__startswith="KP-BEN-").delete()
        Case.objects.filter(ref__startswith="KP-BEN-").delete()
        generate(args.cases)
        emit("console", "generate_seconds", time.perf_counter() - start, "s", n=args.cases, db=db)
    n_cases = Case.objects.count()
    n_messages = Message.objects.count()
    rng = random.Random(7)
    operator = verified_client(User.objects.get(username="operator_peshawar"))
    dpo = verified_client(User.objects.get(username="dpo_mardan"))
    queues = ["all", "new", "breached", "breaching", "closed"]
    inbox_urls = [f"/cases/?queue={rng.choice(queues)}&page={rng.randint(1, 20)}" for _ in range(args.requests)]
    # Every 17th generated case is sensitive, and an operator gets 404 for those: pick the others.
    refs = [f"KP-BEN-{n:09d}" for n in (rng.randint(1, args.cases) for _ in range(args.requests * 2)) if n % 17][: args.requests]
    words = ["چوری", "university", "GT road", "easypaisa", "certificate", "ایف آئی آر", "school", "غلا"]
    search_urls = [f"/cases/?queue=all&q={rng.choice(words)}" for _ in range(args.requests)]
    timed(operator, inbox_urls[:20])  # warm caches
    emit("console", "inbox_page_p95_operator", p95(timed(operator, inbox_urls)), "ms", n=n_cases, db=db, messages=n_messages, target="<= 50")
    emit("console", "inbox_page_p95_dpo", p95(timed(dpo, inbox_urls)), "ms", n=n_cases, db=db, target="<= 50")
    emit("console", "case_page_p95", p95(timed(operator, [f"/cases/{r}/" for r in refs])), "ms", n=n_cases, db=db, target="<= 80")
    emit("console", "search_p95", p95(timed(operator, search_urls)), "ms", n=n_cases, db=db, target="<= 150")


if __name__ == "__main__":
    main()
