"""Intake: every inbound delivery is stored raw first (InboundEvent), then processed.

A delivery is stored in its own transaction before any processing, deduplicated on the platform's
own id per channel, and processed by an idempotent task that takes the event's id.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.Model):
    class Kind(models.TextChoices):
        WEB_FORM = "web_form", _("Public web form")
        WHATSAPP = "whatsapp", "WhatsApp"
        MESSENGER = "messenger", "Messenger"
        FACEBOOK = "facebook", _("Facebook page")
        INSTAGRAM = "instagram", "Instagram"
        X = "x", "X"
        TELEGRAM = "telegram", "Telegram"
        TWILIO_SMS = "twilio_sms", _("SMS (Twilio)")
        SMS = "sms", _("SMS (gateway)")
        EMAIL_INBOUND = "email_inbound", _("E-mail")

    kind = models.CharField(max_length=20, choices=Kind.choices)
    slug = models.SlugField(max_length=60)
    name = models.CharField(max_length=120, blank=True)
    # Credentials: never logged, never shown after entry (see docs/operations.md).
    secret = models.CharField(max_length=255, blank=True)
    verify_token = models.CharField(max_length=255, blank=True)
    token = models.TextField(blank=True)
    account = models.CharField(max_length=120, blank=True)
    api_base = models.URLField(blank=True)
    # Kind-specific settings; for `sms` the aggregator's field mapping (see rabta/intake/sms.py).
    config = models.JSONField(default=dict, blank=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "slug"], name="intake_channel_kind_slug_uniq")]

    def __str__(self) -> str:
        return self.name or f"{self.kind}/{self.slug}"

    def clean(self) -> None:
        super().clean()
        if self.kind == self.Kind.SMS:
            from rabta.intake import sms

            try:
                sms.sms_config(self.config)
            except sms.SmsConfigError as exc:
                raise ValidationError({"config": str(exc)}) from exc


class InboundEvent(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", _("Waiting")
        DONE = "done", _("Processed")
        IGNORED = "ignored", _("Ignored (not a message)")
        FAILED = "failed", _("Failed")

    # The unique constraints below lead with the channel: they serve its lookups, no second index to write.
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="events", db_index=False)
    platform_id = models.CharField(max_length=255)
    headers = models.JSONField(default=dict)
    body = models.BinaryField()
    received_at = models.DateTimeField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["channel", "platform_id"], name="intake_event_platform_id_uniq"),
        ]
        indexes = [
            models.Index(fields=["received_at"], name="intake_event_pending_idx", condition=models.Q(state="pending")),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.platform_id} ({self.state})"


class Citizen(models.Model):
    """One person, who may write on several channels (contacts are linked by an operator)."""

    display_name = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.display_name or f"citizen #{self.pk}"


class Contact(models.Model):
    """A citizen's identity on one channel (a phone number, a page-scoped id, an e-mail address).

    An operator may link a contact to another citizen (the same person writing on another
    channel); `previous_citizen` keeps whom it belonged to before, so the link can be undone.
    """

    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="contacts", db_index=False)  # the constraint leads with it
    external_id = models.CharField(max_length=255)
    display_name = models.CharField(max_length=200, blank=True)
    phone = models.CharField(max_length=32, blank=True)
    email = models.EmailField(blank=True)
    citizen = models.ForeignKey(Citizen, on_delete=models.PROTECT, related_name="contacts")
    previous_citizen = models.ForeignKey(Citizen, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False)
    linked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False)
    linked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["channel", "external_id"], name="intake_contact_external_uniq")]
        # Links are rare: indexed only where set, so a new contact writes no entry for them.
        indexes = [
            models.Index(fields=["phone"], name="intake_contact_phone_idx", condition=~models.Q(phone="")),
            models.Index(fields=["previous_citizen"], name="intake_contact_prev_idx", condition=models.Q(previous_citizen__isnull=False)),
            models.Index(fields=["linked_by"], name="intake_contact_linked_by_idx", condition=models.Q(linked_by__isnull=False)),
        ]

    def __str__(self) -> str:
        return self.display_name or self.external_id


class Conversation(models.Model):
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="conversations", db_index=False)  # the constraint leads
    contact = models.ForeignKey(Contact, on_delete=models.PROTECT, related_name="conversations")
    thread_key = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)
    last_message_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["channel", "thread_key"], name="intake_conversation_thread_uniq")]

    def __str__(self) -> str:
        return f"{self.channel} {self.thread_key}"


class Message(models.Model):
    class Direction(models.TextChoices):
        INBOUND = "in", _("From the citizen")
        OUTBOUND = "out", _("To the citizen")

    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="messages")
    conversation = models.ForeignKey(Conversation, on_delete=models.PROTECT, related_name="messages")
    event = models.OneToOneField(InboundEvent, null=True, blank=True, on_delete=models.PROTECT, related_name="message")
    direction = models.CharField(max_length=3, choices=Direction.choices)
    platform_id = models.CharField(max_length=255, blank=True)
    text = models.TextField(blank=True)
    redacted_text = models.TextField(blank=True)
    language = models.CharField(max_length=10, blank=True)
    at = models.DateTimeField()
    # intake_message_case_idx leads with the case.
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="messages", db_index=False)
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False)
    public = models.BooleanField(default=False, help_text=_("Shown publicly (a comment reply) rather than privately."))

    class Meta:
        ordering = ["at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "direction", "platform_id"],
                condition=~models.Q(platform_id=""),
                name="intake_message_platform_id_uniq",
            )
        ]
        indexes = [
            models.Index(fields=["case", "at"], name="intake_message_case_idx"),
            models.Index(fields=["sent_by"], name="intake_message_sent_by_idx", condition=models.Q(sent_by__isnull=False)),  # inbound: none
        ]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} {self.at:%Y-%m-%d %H:%M}"


class Attachment(models.Model):
    message = models.ForeignKey(Message, on_delete=models.PROTECT, related_name="attachments")
    file = models.FileField(upload_to="attachments/%Y/%m/")
    original_name = models.CharField(max_length=255, blank=True)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    exif_stripped = models.BooleanField(default=False)

    def __str__(self) -> str:
        return self.original_name or str(self.file.name)
