"""Notifications: rows in the outbox, written in the caller's transaction; delivery after commit."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from rabta.notify.models import OutboxMessage

MAX_ATTEMPTS = 8


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


def _create_once(**fields: Any) -> int | None:
    """One outbox row per dedupe key: a retried step finds its row already queued and adds none."""
    try:
        with transaction.atomic():
            return OutboxMessage.objects.create(next_attempt_at=timezone.now(), **fields).pk
    except IntegrityError:
        return None


def notify_post(*, case_id: int, post_code: str, reason: str) -> list[int]:
    """Tell everyone holding `post_code` about a case: in the console, by e-mail and by SMS."""
    from rabta.cases.models import Case
    from rabta.org.models import PostHolding

    case = Case.objects.select_related("district").get(pk=case_id)
    holders = PostHolding.objects.filter(post__code=post_code, ended_at__isnull=True).select_related("user", "post")
    link = f"{settings.RABTA_PUBLIC_URL}/m/cases/{case.ref}/"
    # The notification carries no personal data: the reference, category and urgency only.
    subject = f"[Rabta] {case.ref} {case.urgency.upper()} {case.category.replace('_', ' ')}"
    body = f"{case.ref}: {case.urgency} {case.category.replace('_', ' ')} for {post_code}. Open: {link} Reply ACK {case.ref} to acknowledge."
    created: list[int] = []
    with transaction.atomic():
        for holding in holders:
            user = holding.user
            targets = [(OutboxMessage.Medium.IN_APP, "")]
            if user.email:
                targets.append((OutboxMessage.Medium.EMAIL, user.email))
            if user.phone:
                targets.append((OutboxMessage.Medium.SMS, user.phone))
            for medium, address in targets:
                pk = _create_once(
                    dedupe_key=f"{reason}:{case.pk}:{post_code}:{user.pk}:{medium}", medium=medium, user=user, to_address=address,
                    subject=subject, body=body, link=link, case=case,
                )
                if pk is not None:
                    created.append(pk)
        transaction.on_commit(lambda: _queue(created))
    return created


def notify_users(*, case_id: int, user_ids: list[int], reason: str) -> list[int]:
    """An in-console notification for named users (e.g. @mentions in a note)."""
    from rabta.cases.models import Case

    case = Case.objects.get(pk=case_id)
    created: list[int] = []
    with transaction.atomic():
        for user_id in user_ids:
            pk = _create_once(
                dedupe_key=f"{reason}:{case.pk}:{user_id}", medium=OutboxMessage.Medium.IN_APP, user_id=user_id,
                subject=f"[Rabta] {case.ref}: you were mentioned", body=f"You were mentioned on {case.ref}.",
                link=f"/cases/{case.ref}/", case=case,
            )
            if pk is not None:
                created.append(pk)
        transaction.on_commit(lambda: _queue(created))
    return created


def _queue(ids: list[int]) -> None:
    from rabta.intake.actions import enqueue
    from rabta.notify.tasks import deliver_task

    for pk in ids:
        enqueue(deliver_task, pk)


def _send_sms(to: str, body: str) -> None:
    url = settings.RABTA_SMS_GATEWAY_URL
    if not url:
        raise RuntimeError("no SMS gateway configured (RABTA_SMS_GATEWAY_URL)")
    payload = json.dumps({"to": to, "text": body}).encode()
    request = urllib.request.Request(url, data=payload, method="POST", headers={  # noqa: S310 - the operator's configured gateway
        "Content-Type": "application/json", "Authorization": f"Bearer {settings.RABTA_SMS_GATEWAY_TOKEN}"})
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        if response.status >= 300:
            raise RuntimeError(f"SMS gateway answered {response.status}")


def deliver(*, outbox_id: int) -> OutboxMessage | None:
    """Deliver one outbox row once. A failure schedules the next attempt with backoff."""
    with transaction.atomic():
        row = OutboxMessage.objects.select_for_update().filter(pk=outbox_id).first()
        if row is None or row.state != OutboxMessage.State.PENDING:
            return row
        row.attempts += 1
        try:
            if row.medium == OutboxMessage.Medium.EMAIL:
                send_mail(row.subject, row.body, settings.DEFAULT_FROM_EMAIL, [row.to_address])
            elif row.medium == OutboxMessage.Medium.SMS:
                _send_sms(row.to_address, row.body)
        except (OSError, RuntimeError, urllib.error.URLError) as exc:
            row.last_error = str(exc)[:2000]
            if row.attempts >= MAX_ATTEMPTS:
                row.state = OutboxMessage.State.FAILED
            else:
                row.next_attempt_at = timezone.now() + _backoff(row.attempts)
        else:
            row.state = OutboxMessage.State.SENT
            row.sent_at = timezone.now()
            row.last_error = ""
        row.save(update_fields=["attempts", "state", "sent_at", "last_error", "next_attempt_at"])
    return row


def due_ids() -> Iterator[int]:
    qs = OutboxMessage.objects.filter(state=OutboxMessage.State.PENDING, next_attempt_at__lte=timezone.now()).order_by("next_attempt_at")
    return qs.values_list("pk", flat=True).iterator(chunk_size=2000)


def unread_for(user: Any) -> int:
    return OutboxMessage.objects.filter(user=user, medium=OutboxMessage.Medium.IN_APP, read_at__isnull=True).count()
