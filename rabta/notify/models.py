"""The outbox: every notification is a row first, delivered by a task, retried with backoff."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class OutboxMessage(models.Model):
    class Medium(models.TextChoices):
        IN_APP = "in_app", _("In the console")
        EMAIL = "email", _("E-mail")
        SMS = "sms", _("SMS")

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    dedupe_key = models.CharField(max_length=200)  # unique: outbox_dedupe_key_uniq (no LIKE-pattern index to write)
    medium = models.CharField(max_length=10, choices=Medium.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="notifications", db_index=False)
    to_address = models.CharField(max_length=254, blank=True)
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField()
    link = models.CharField(max_length=300, blank=True)
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="notifications")
    # Send through this citizen channel (a reply or the acknowledgement by SMS); empty for staff
    # notifications, which go through the configured gateway (RABTA_SMS_GATEWAY_URL).
    channel = models.ForeignKey("intake.Channel", null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["dedupe_key"], name="outbox_dedupe_key_uniq")]
        # Staff rows have a user and no channel, citizens' rows the other way round: each key is
        # indexed only where set (a lookup by value implies the condition).
        indexes = [
            models.Index(fields=["next_attempt_at"], name="outbox_pending_idx", condition=models.Q(state="pending")),
            models.Index(fields=["user", "medium", "-created_at"], name="outbox_user_idx", condition=models.Q(user__isnull=False)),
            models.Index(fields=["channel"], name="outbox_channel_idx", condition=models.Q(channel__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.medium} to {self.to_address or self.user_id}: {self.subject}"
