"""Audited writes per second on PostgreSQL, and what the audit trail costs over the same write.

Two writes are measured, each with and without its audit event (same transaction):
- `minimal`: the smallest possible change, one UPDATE of one row (the worst case for the ratio);
- `action`: a real domain action, `org.actions.assign_post_holder` (a transfer: permission and
  jurisdiction check, lock the open terms, end the previous one, open the new one), with
  `audit.record` swapped for a no-op in the unaudited run.
Run: .venv/bin/python bench/audit.py [--n 3000]
"""

from __future__ import annotations

import argparse
import time

from _common import emit, setup_django


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=3000)
    args = parser.parse_args()
    db = setup_django()

    from django.db import transaction

    from rabta.core import audit
    from rabta.org.models import Post, Region

    region, _ = Region.objects.get_or_create(code="BEN", defaults={"slug": "bench", "name_en": "Bench", "name_ur": "ب", "name_ps": "ب"})
    post, _ = Post.objects.get_or_create(
        code="bench-post", defaults={"kind": "rpo", "level": "region", "title_en": "Bench", "title_ur": "ب", "title_ps": "ب", "region": region}
    )

    def plain(i: int) -> None:
        with transaction.atomic():
            Post.objects.filter(pk=post.pk).update(phone=f"{i:011d}")

    def audited(i: int) -> None:
        with transaction.atomic():
            Post.objects.filter(pk=post.pk).update(phone=f"{i:011d}")
            audit.record(actor=None, action="bench.post_phone_changed", obj=post, after={"phone": f"{i:011d}"}, region_code="BEN")

    def rate(fn: object, n: int) -> float:
        for i in range(200):  # warm up connections and caches
            fn(i)  # type: ignore[operator]
        start = time.perf_counter()
        for i in range(n):
            fn(i)  # type: ignore[operator]
        return n / (time.perf_counter() - start)

    from django.contrib.auth import get_user_model

    from rabta.org import actions

    user_model = get_user_model()
    admin, _ = user_model.objects.get_or_create(username="bench_admin", defaults={"role": "admin"})
    officers = [user_model.objects.get_or_create(username=f"bench_officer_{i}", defaults={"role": "admin"})[0] for i in range(2)]
    real_record = audit.record

    def action_audited(i: int) -> None:
        actions.assign_post_holder(actor=admin, post=post, user=officers[i % 2], note="bench")

    def action_plain(i: int) -> None:
        actions.audit.record = lambda **kwargs: None  # type: ignore[assignment]
        try:
            actions.assign_post_holder(actor=admin, post=post, user=officers[i % 2], note="bench")
        finally:
            actions.audit.record = real_record  # type: ignore[assignment]

    # Interleave rounds so drift in the machine's load hits both alike.
    plain_rates, audited_rates = [], []
    for _ in range(3):
        plain_rates.append(rate(plain, args.n // 3))
        audited_rates.append(rate(audited, args.n // 3))
    plain_rate = sorted(plain_rates)[1]
    audited_rate = sorted(audited_rates)[1]
    emit("audit", "minimal_unaudited_writes_per_s", plain_rate, "writes/s", n=args.n, db=db)
    emit("audit", "minimal_audited_writes_per_s", audited_rate, "writes/s", n=args.n, db=db)
    emit("audit", "minimal_audit_overhead", (plain_rate / audited_rate - 1) * 100, "%", n=args.n, db=db)
    action_plain_rates, action_audited_rates = [], []
    for _ in range(3):
        action_plain_rates.append(rate(action_plain, args.n // 3))
        action_audited_rates.append(rate(action_audited, args.n // 3))
    a_plain, a_audited = sorted(action_plain_rates)[1], sorted(action_audited_rates)[1]
    emit("audit", "action_unaudited_writes_per_s", a_plain, "writes/s", n=args.n, db=db)
    emit("audit", "action_audited_writes_per_s", a_audited, "writes/s", n=args.n, db=db)
    emit("audit", "action_audit_overhead", (a_plain / a_audited - 1) * 100, "%", n=args.n, db=db, target="< 20")
    from rabta.core.audit import verify_chain

    start = time.perf_counter()
    result = verify_chain()
    elapsed = time.perf_counter() - start
    emit("audit", "verify_entries_per_s", result.checked / elapsed if elapsed else 0, "entries/s", n=result.checked, db=db, intact=result.ok)


if __name__ == "__main__":
    main()
