"""Notifications: rows in the outbox, written in the caller's transaction; delivery after commit."""

from __future__ import annotations

import json
import smtplib
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from rabta.core.bulk import insert_rows
from rabta.notify import senders
from rabta.notify.models import OutboxMessage

MAX_ATTEMPTS = 8


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


def _create_once(**fields: Any) -> int | None:
    """One outbox row per dedupe key: a retried step finds its row already queued and adds none."""
    try:
        with transaction.atomic():
            fields.setdefault("next_attempt_at", timezone.now())
            return OutboxMessage.objects.create(**fields).pk
    except IntegrityError:
        return None


def _case_text(case: Any, post_code: str) -> tuple[str, str, str]:
    """Link, subject and body of a routing notification: no personal data, the reference only."""
    link = f"{settings.RABTA_PUBLIC_URL}/m/cases/{case.ref}/"
    subject = f"[Rabta] {case.ref} {case.urgency.upper()} {case.category.replace('_', ' ')}"
    body = f"{case.ref}: {case.urgency} {case.category.replace('_', ' ')} for {post_code}. Open: {link} Reply ACK {case.ref} to acknowledge."
    return link, subject, body


def _rows_for(case: Any, post_code: str, users: list[Any], reason: str, now: Any) -> list[dict[str, Any]]:
    """One row ({attname: value}) per holder and medium: in the console (delivered by being written), e-mail, SMS."""
    link, subject, body = _case_text(case, post_code)
    rows = []
    for user in users:
        targets = [(OutboxMessage.Medium.IN_APP, "")]
        if user.email:
            targets.append((OutboxMessage.Medium.EMAIL, user.email))
        if user.phone:
            targets.append((OutboxMessage.Medium.SMS, user.phone))
        for medium, address in targets:
            in_app = medium == OutboxMessage.Medium.IN_APP
            rows.append({
                "dedupe_key": f"{reason}:{case.pk}:{post_code}:{user.pk}:{medium}", "medium": medium, "user_id": user.pk,
                "to_address": address, "subject": subject, "body": body, "link": link, "case_id": case.pk, "next_attempt_at": now,
                "state": OutboxMessage.State.SENT if in_app else OutboxMessage.State.PENDING, "sent_at": now if in_app else None,
            })
    return rows


def notify_post(*, case_id: int, post_code: str, reason: str) -> list[int]:
    """Tell everyone holding `post_code` about a case: in the console, by e-mail and by SMS."""
    from rabta.cases.models import Case
    from rabta.org.models import PostHolding

    case = Case.objects.select_related("district").get(pk=case_id)
    users = [h.user for h in PostHolding.objects.filter(post__code=post_code, ended_at__isnull=True).select_related("user")]
    created: list[int] = []
    to_deliver: list[int] = []
    with transaction.atomic():
        for row in _rows_for(case, post_code, users, reason, timezone.now()):
            pk = _create_once(**row)
            if pk is not None:
                created.append(pk)
                if row["state"] == OutboxMessage.State.PENDING:
                    to_deliver.append(pk)
        transaction.on_commit(lambda: _queue(to_deliver))
    return created


ACK_LANGUAGES = ("en", "ur", "ps")  # the catalogues; Roman Urdu and anything else get English


def _ack_templates(language: str) -> tuple[str, str]:
    """The acknowledgement in `language`: (ordinary, sensitive). The sensitive one names no police,
    holds no link: someone else may read the phone."""
    with translation.override(language if language in ACK_LANGUAGES else "en"):
        return (
            _("KP Police: we received your message. Reference %(ref)s. Track: %(link)s"),
            _("Your message was received. Reference %(ref)s."),
        )


def citizen_acknowledgements(openings: list[tuple[Any, Any, str]], *, now: Any = None) -> list[dict[str, Any]]:
    """One SMS per newly opened case, through the citizen's channel, with the reference (rows to write).

    `openings` are (case, channel, phone) triples; only SMS channels and known phones get a row.
    The dedupe key `ack:<case id>` makes a retried batch add none.
    """
    now = now or timezone.now()
    templates: dict[str, tuple[str, str]] = {}
    rows = []
    for case, channel, phone in openings:
        if channel.kind not in senders.SMS_KINDS or not phone:
            continue
        if case.language not in templates:
            templates[case.language] = _ack_templates(case.language)
        ordinary, sensitive = templates[case.language]
        link = f"{settings.RABTA_PUBLIC_URL}/track/{case.ref}/{case.tracking_code}/"
        body = (sensitive if case.sensitive else ordinary) % {"ref": case.ref, "link": link}
        rows.append({
            "dedupe_key": f"ack:{case.pk}", "medium": OutboxMessage.Medium.SMS, "channel_id": channel.pk, "to_address": phone[:254],
            "body": body, "case_id": case.pk, "next_attempt_at": now,
        })
    return rows


def routing_notifications(notices: list[tuple[Any, str]], *, reason: str, also: list[dict[str, Any]] | None = None) -> list[int]:
    """Outbox rows for many (case, post code) pairs of cases opened in the caller's transaction.

    `also` are more rows to write in the same statement (the citizens' acknowledgements). Returns
    the ids of the cases that got a row to deliver (e-mail or SMS). The cases are new, so no row
    of theirs can exist yet: the rows are deduplicated here and sent by COPY (a conflict would be
    a bug, and rolls the whole batch back; a retried batch starts from nothing). For a case that
    already exists, `notify_post` adds rows one by one, each once per dedupe key.
    """
    from rabta.org.models import PostHolding

    also = also or []
    if not notices and not also:
        return []
    holders: dict[str, list[Any]] = {}
    if notices:
        posts = {code for _case, code in notices}
        for holding in PostHolding.objects.filter(post__code__in=posts, ended_at__isnull=True).select_related("user", "post"):
            holders.setdefault(holding.post.code, []).append(holding.user)
    now = timezone.now()
    rows = [row for case, code in notices for row in _rows_for(case, code, holders.get(code, []), reason, now)] + also
    insert_rows(OutboxMessage, list({row["dedupe_key"]: row for row in rows}.values()))
    return sorted({row["case_id"] for row in rows if row.get("state", OutboxMessage.State.PENDING) == OutboxMessage.State.PENDING})


def queue_case_notifications(case_ids: list[int]) -> None:
    """After commit: one task delivers what the batch queued for these cases."""
    from rabta.intake.actions import enqueue
    from rabta.notify.tasks import deliver_for_cases_task

    enqueue(deliver_for_cases_task, case_ids)


def pending_ids_for_cases(case_ids: list[int]) -> list[int]:
    return list(
        OutboxMessage.objects.filter(case_id__in=case_ids, state=OutboxMessage.State.PENDING, next_attempt_at__lte=timezone.now())
        .order_by("pk").values_list("pk", flat=True)
    )


def notify_users(*, case_id: int, user_ids: list[int], reason: str, subject: str = "", body: str = "") -> list[int]:
    """An in-console notification for named users (by default an @mention in a note)."""
    from rabta.cases.models import Case

    case = Case.objects.get(pk=case_id)
    created: list[int] = []
    with transaction.atomic():
        for user_id in user_ids:
            pk = _create_once(
                dedupe_key=f"{reason}:{case.pk}:{user_id}", medium=OutboxMessage.Medium.IN_APP, user_id=user_id,
                subject=subject or f"[Rabta] {case.ref}: you were mentioned", body=body or f"You were mentioned on {case.ref}.",
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


def deliver(*, outbox_id: int, mail_connection: Any = None) -> OutboxMessage | None:
    """Deliver one outbox row once. A failure schedules the next attempt with backoff.

    `mail_connection` (from `deliver_many`) is an open SMTP connection to reuse; after a failure
    it is closed, so the next row opens a fresh one.
    """
    with transaction.atomic():
        row = OutboxMessage.objects.select_for_update(of=("self",)).select_related("channel").filter(pk=outbox_id).first()
        if row is None or row.state != OutboxMessage.State.PENDING:
            return row
        row.attempts += 1
        try:
            if row.medium == OutboxMessage.Medium.EMAIL:
                if mail_connection is not None:
                    mail_connection.open()  # kept open for the next row (no-op when it already is)
                send_mail(row.subject, row.body, settings.DEFAULT_FROM_EMAIL, [row.to_address], connection=mail_connection)
            elif row.medium == OutboxMessage.Medium.SMS and row.channel is not None:
                senders.send(row.channel, row.to_address, row.body)  # to a citizen, through their channel
            elif row.medium == OutboxMessage.Medium.SMS:
                _send_sms(row.to_address, row.body)
        except (OSError, RuntimeError, urllib.error.URLError, smtplib.SMTPException) as exc:
            row.last_error = str(exc)[:2000]
            if row.attempts >= MAX_ATTEMPTS:
                row.state = OutboxMessage.State.FAILED
            else:
                row.next_attempt_at = timezone.now() + _backoff(row.attempts)
            if mail_connection is not None and row.medium == OutboxMessage.Medium.EMAIL:
                mail_connection.close()
        else:
            row.state = OutboxMessage.State.SENT
            row.sent_at = timezone.now()
            row.last_error = ""
        row.save(update_fields=["attempts", "state", "sent_at", "last_error", "next_attempt_at"])
    return row


def deliver_many(*, outbox_ids: list[int]) -> None:
    """Deliver several rows (a batch's notifications) over one SMTP connection, each row once."""
    from django.core.mail import get_connection

    mail_connection = get_connection()
    try:
        for pk in outbox_ids:
            deliver(outbox_id=pk, mail_connection=mail_connection)
    finally:
        mail_connection.close()


def due_ids() -> Iterator[int]:
    qs = OutboxMessage.objects.filter(state=OutboxMessage.State.PENDING, next_attempt_at__lte=timezone.now()).order_by("next_attempt_at")
    return qs.values_list("pk", flat=True).iterator(chunk_size=2000)


def unread_for(user: Any) -> int:
    return OutboxMessage.objects.filter(user=user, medium=OutboxMessage.Medium.IN_APP, read_at__isnull=True).count()


def queue_sms(*, dedupe_key: str, to: str, body: str, user: Any = None, case: Any = None, channel: Any = None) -> int | None:
    """One SMS in the outbox, in the caller's transaction, delivered after commit (an answer to an
    officer's SMS command, say). None when a row with this dedupe key is already queued.

    With `channel` (a citizen's `twilio_sms` or `sms` channel) it goes out through that channel
    (rabta/notify/senders.py); without, through the staff gateway (RABTA_SMS_GATEWAY_URL).
    """
    pk = _create_once(
        dedupe_key=dedupe_key[:200], medium=OutboxMessage.Medium.SMS, user=user, to_address=to[:254], body=body, case=case, channel=channel,
    )
    if pk is not None:
        transaction.on_commit(lambda: _queue([pk]))
    return pk
