"""KP Police structure: regions, districts, police stations, posts and desks, and who holds them.

Cases belong to posts ("DPO Mardan", "Women's Desk Mardan"), never to the person holding the post
today; `PostHolding` keeps the history of holders across transfers.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _


class Named(models.Model):
    slug = models.SlugField(max_length=80)
    name_en = models.CharField(max_length=120)
    name_ur = models.CharField(max_length=120)
    name_ps = models.CharField(max_length=120)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name_en

    @property
    def name(self) -> str:
        lang = (translation.get_language() or "en")[:2]
        return getattr(self, f"name_{lang}", "") or self.name_en


class Region(Named):
    class Kind(models.TextChoices):
        CAPITAL_CITY = "capital_city", _("Capital City Police")
        REGION = "region", _("Region")

    code = models.CharField(max_length=8, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.REGION)

    class Meta:
        ordering = ["name_en"]
        constraints = [models.UniqueConstraint(fields=["slug"], name="org_region_slug_uniq")]


class District(Named):
    code = models.CharField(max_length=8, unique=True)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="districts")
    hq = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["name_en"]
        constraints = [models.UniqueConstraint(fields=["slug"], name="org_district_slug_uniq")]


class PoliceStation(Named):
    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="stations")
    aliases = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["district__name_en", "name_en"]
        constraints = [models.UniqueConstraint(fields=["district", "slug"], name="org_station_slug_uniq")]

    def __str__(self) -> str:
        return f"PS {self.name_en}"


class Post(models.Model):
    """An office or desk with a jurisdiction. `parent` is the next post up for escalation."""

    class Kind(models.TextChoices):
        IGP = "igp", _("Inspector General of Police")
        DPR_MEDIA_CELL = "dpr_media_cell", _("DPR media cell")
        COMPLAINT_CELL_CPO = "complaint_cell_cpo", _("CPO complaint cell")
        PIO = "pio", _("Public information officer")
        CCPO = "ccpo", _("Capital City Police Officer")
        RPO = "rpo", _("Regional police officer")
        DPO = "dpo", _("District police officer")
        COMPLAINT_CELL = "complaint_cell", _("District complaint cell")
        WOMENS_DESK = "womens_desk", _("Women's / gender desk")
        SHO = "sho", _("Station house officer")

    class Level(models.TextChoices):
        PROVINCE = "province", _("Province")
        REGION = "region", _("Region")
        DISTRICT = "district", _("District")
        STATION = "station", _("Police station")

    code = models.SlugField(max_length=100, unique=True)
    kind = models.CharField(max_length=30, choices=Kind.choices)
    level = models.CharField(max_length=10, choices=Level.choices)
    title_en = models.CharField(max_length=160)
    title_ur = models.CharField(max_length=160)
    title_ps = models.CharField(max_length=160)
    is_desk = models.BooleanField(default=False, help_text=_("A desk is staffed by several officers at once."))
    region = models.ForeignKey(Region, null=True, blank=True, on_delete=models.PROTECT, related_name="posts")
    district = models.ForeignKey(District, null=True, blank=True, on_delete=models.PROTECT, related_name="posts")
    station = models.ForeignKey(PoliceStation, null=True, blank=True, on_delete=models.PROTECT, related_name="posts")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=20, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["level", "title_en"]
        indexes = [models.Index(fields=["district", "kind"], name="org_post_district_kind_idx")]

    def __str__(self) -> str:
        return self.title_en

    @property
    def title(self) -> str:
        lang = (translation.get_language() or "en")[:2]
        return getattr(self, f"title_{lang}", "") or self.title_en


class PostHolding(models.Model):
    """Who held a post, from when to when. An open holding (ended_at null) is a current holder."""

    post = models.ForeignKey(Post, on_delete=models.PROTECT, related_name="holdings")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="holdings")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["post", "user"], condition=models.Q(ended_at__isnull=True), name="org_holding_open_uniq"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} as {self.post}"


class OrgVersion(models.Model):
    """One row whose token changes, in the same transaction, with any change to the structure.

    On PostgreSQL a statement trigger on regions, districts, stations and posts sets a new token
    from a sequence (never reused, even after a rollback) whenever a statement changes them, the
    ORM's or anyone's. Intake keeps what it read of the structure (routing snapshots, posts,
    places) for as long as the token it read before them is the current one: one small query per
    batch instead of a dozen. See cases/policy.py `route_cache`.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    token = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"org version {self.token}"
