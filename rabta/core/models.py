"""The audit trail: append-only and hash-chained.

Each event carries the hash of the one before it; the chain head records the last sequence number
and hash so that removing the newest events is caught too. Events are written inside the same
transaction as the change they record (see rabta.core.audit.record).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

GENESIS_HASH = "0" * 64


class AuditEvent(models.Model):
    seq = models.BigIntegerField(unique=True)
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    actor_label = models.CharField(max_length=150)
    action = models.CharField(max_length=80)
    object_type = models.CharField(max_length=80, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField(max_length=200, blank=True)
    region_code = models.CharField(max_length=8, blank=True)
    district_code = models.CharField(max_length=8, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["-seq"]
        # Few indexes on purpose: every one is paid on each audited write.
        indexes = [
            models.Index(fields=["object_type", "object_id", "seq"], name="audit_object_idx"),
            models.Index(fields=["district_code", "seq"], name="audit_district_idx"),
            models.Index(fields=["region_code", "seq"], name="audit_region_idx"),
            models.Index(fields=["actor"], name="audit_actor_idx", condition=models.Q(actor__isnull=False)),  # the system's entries have none
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id} by {self.actor_label}"


class AuditChainHead(models.Model):
    """A single row: the newest sequence number and hash. Locked while an event is appended."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS_HASH)

    def __str__(self) -> str:
        return f"audit head #{self.seq}"
