from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from rabta.cases.clocks import check_clocks


@shared_task(name="cases.check_clocks")
def check_clocks_task() -> dict[str, int]:
    report = check_clocks(now=timezone.now())
    return {"warned": report.warned, "escalated": report.escalated}
