"""Cases: one matter raised by a citizen, owned by a post or desk, followed to its end.

A case belongs to a post ("DPO Mardan"), optionally assigned to one officer holding it. Every step
is a CaseEvent on the timeline (and an audit event). Triage and routing decisions are stored with
their explanation and rule-set version so they can be replayed.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Case(models.Model):
    class Status(models.TextChoices):
        NEW = "new", _("New")
        ROUTED = "routed", _("Forwarded")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        ACTION_TAKEN = "action_taken", _("Action taken")
        REPLIED = "replied", _("Answered")
        CLOSED = "closed", _("Closed")
        MERGED = "merged", _("Merged")

    class Outcome(models.TextChoices):
        RELIEF_GRANTED = "relief_granted", _("Relief granted")
        PARTIAL_RELIEF = "partial_relief", _("Partial relief")
        NOT_POLICE_MATTER = "not_police_matter", _("Not a police matter")
        REFERRED = "referred", _("Referred")

    ref = models.CharField(max_length=24)  # unique: case_ref_uniq below (no second, LIKE-pattern index to write)
    tracking_code = models.CharField(max_length=16)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.NEW)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    category = models.CharField(max_length=24)
    urgency = models.CharField(max_length=10)
    language = models.CharField(max_length=10, blank=True)
    sensitive = models.BooleanField(default=False)
    region = models.ForeignKey("org.Region", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # Leading columns of the composite indexes below serve these keys' lookups: no second index to write.
    district = models.ForeignKey("org.District", null=True, blank=True, on_delete=models.PROTECT, related_name="cases", db_index=False)
    station = models.ForeignKey("org.PoliceStation", null=True, blank=True, on_delete=models.PROTECT, related_name="cases", db_index=False)
    post = models.ForeignKey("org.Post", on_delete=models.PROTECT, related_name="cases", db_index=False)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="cases", db_index=False)
    contact = models.ForeignKey("intake.Contact", on_delete=models.PROTECT, related_name="cases")
    conversation = models.ForeignKey("intake.Conversation", on_delete=models.PROTECT, related_name="cases")
    summary = models.TextField(blank=True, help_text=_("The first message with personal data redacted."))
    triage = models.JSONField(default=dict)
    routing = models.JSONField(default=dict)
    opened_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    first_reply_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    ack_due = models.DateTimeField(null=True, blank=True)
    reply_due = models.DateTimeField(null=True, blank=True)
    resolve_due = models.DateTimeField(null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(default=0)
    clocks = models.JSONField(default=dict, blank=True, help_text=_("The SLA decision: policy, version, due and warning times."))
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_cases", db_index=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-opened_at"]
        constraints = [models.UniqueConstraint(fields=["ref"], name="case_ref_uniq")]
        # The inbox reads newest first (opened_at, id) inside a queue and a jurisdiction; these
        # indexes let it walk in that order and stop after one page (see bench/console.py).
        indexes = [
            models.Index(fields=["-opened_at", "-id"], name="case_recent_idx"),
            models.Index(fields=["-opened_at", "-id"], name="case_open_recent_idx", condition=~models.Q(status__in=["closed", "merged"])),
            models.Index(fields=["district", "-opened_at", "-id"], name="case_district_recent_idx"),
            models.Index(fields=["status", "-opened_at", "-id"], name="case_status_recent_idx"),
            # The newest cases are mostly open: walking case_recent_idx for closed ones skipped every
            # recent open case first (250 ms with 300,000 of them). Intake never writes this one.
            models.Index(fields=["-opened_at", "-id"], name="case_closed_recent_idx", condition=models.Q(status="closed")),
            models.Index(fields=["post", "status", "-opened_at"], name="case_post_status_idx"),
            # Keys most cases leave empty are indexed only where set: intake writes no entry for them,
            # and a lookup by value (`station = 7`) implies the condition, so the planner still uses them.
            models.Index(fields=["assignee", "status"], name="case_assignee_idx", condition=models.Q(assignee__isnull=False)),
            models.Index(fields=["station"], name="case_station_idx", condition=models.Q(station__isnull=False)),
            models.Index(fields=["merged_into"], name="case_merged_into_idx", condition=models.Q(merged_into__isnull=False)),
            models.Index(fields=["ack_due"], name="case_ack_due_idx", condition=models.Q(acknowledged_at__isnull=True)),
            models.Index(fields=["resolve_due"], name="case_resolve_due_idx", condition=~models.Q(status__in=["closed", "merged"])),
        ]

    def __str__(self) -> str:
        return self.ref

    @property
    def is_open(self) -> bool:
        return self.status not in (self.Status.CLOSED, self.Status.MERGED)

    def audit_codes(self) -> dict[str, str]:
        """The jurisdiction an audit event about this case is filed under."""
        return {
            "region_code": self.region.code if self.region is not None else "",
            "district_code": self.district.code if self.district is not None else "",
        }


class CaseEvent(models.Model):
    """One step on a case's timeline. `public` steps are shown on the citizen's status page."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="events", db_index=False)  # case_event_case_idx leads with it
    at = models.DateTimeField()
    kind = models.CharField(max_length=40)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False)
    text = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    public = models.BooleanField(default=False)

    class Meta:
        ordering = ["at", "pk"]
        indexes = [
            models.Index(fields=["case", "at"], name="case_event_case_idx"),
            models.Index(fields=["actor"], name="case_event_actor_idx", condition=models.Q(actor__isnull=False)),  # the system's steps have none
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind}"


class CaseRefCounter(models.Model):
    """Per-district, per-year case numbers: KP-MRD-26-000123.

    The counter itself on SQLite; on PostgreSQL a sequence per key takes over (see
    cases/opening.py `_allocate_refs`) and this value is where that sequence starts.
    """

    key = models.CharField(max_length=16, unique=True)
    value = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.key}={self.value}"


class TriageCorrection(models.Model):
    """An operator's correction of the triage engine: kept as training data."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="corrections")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    field = models.CharField(max_length=20)
    old_value = models.CharField(max_length=120, blank=True)
    new_value = models.CharField(max_length=120)

    def __str__(self) -> str:
        return f"{self.case_id} {self.field}: {self.old_value} -> {self.new_value}"


class ConsoleEvent(models.Model):
    """A change to a case, for live consoles (replayed after a reconnect by id)."""

    at = models.DateTimeField(auto_now_add=True)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=40)

    def __str__(self) -> str:
        return f"{self.pk} {self.kind}"


class ReplyTemplate(models.Model):
    """A standard answer in one language, editable by admins; operators start replies from it."""

    name = models.CharField(max_length=120)
    language = models.CharField(max_length=10, choices=[("en", "English"), ("ur", "اردو"), ("ps", "پښتو"), ("ur-Latn", "Roman Urdu")])
    category = models.CharField(max_length=24, blank=True, help_text=_("Offered first for cases of this category."))
    text = models.TextField()
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["language", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.language})"


class ReplyDraft(models.Model):
    """A public reply held for a supervisor's approval (RABTA_REPLY_APPROVAL).

    Nothing of it reaches the citizen (no message, no public step) until it is approved; approving
    sends it the way a direct reply is sent, and `message` is then the message that went out.
    """

    class State(models.TextChoices):
        PENDING = "pending", _("Awaiting approval")
        APPROVED = "approved", _("Approved and sent")
        RETURNED = "returned", _("Returned to the author")

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="reply_drafts")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    created_at = models.DateTimeField()
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    return_reason = models.TextField(blank=True)
    message = models.ForeignKey("intake.Message", null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["created_at", "pk"]
        # The approval queue reads only pending drafts; this keeps it small however many are decided.
        indexes = [models.Index(fields=["case"], name="reply_draft_pending_idx", condition=models.Q(state="pending"))]

    def __str__(self) -> str:
        return f"{self.case_id} draft {self.pk} ({self.state})"
