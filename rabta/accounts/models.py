"""Staff accounts: each user has one role and acts within one jurisdiction."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    OPERATOR = "operator", _("Media cell operator")
    SUPERVISOR = "supervisor", _("Media cell supervisor")
    DIRECTOR = "director", _("DPR director")
    RPO = "rpo", _("Regional police officer")
    DPO = "dpo", _("District police officer")
    SHO = "sho", _("Station house officer")
    WOMENS_DESK = "womens_desk", _("Women's / gender desk officer")
    PIO = "pio", _("Public information officer")
    AUDITOR = "auditor", _("Auditor")
    ADMIN = "admin", _("Administrator")


class Level(models.TextChoices):
    PROVINCE = "province", _("Province")
    REGION = "region", _("Region")
    DISTRICT = "district", _("District")
    STATION = "station", _("Police station")


# The jurisdiction level each role works at; a role may also sit higher (e.g. a PIO at the CPO).
ROLE_LEVELS: dict[str, set[str]] = {
    Role.OPERATOR: {Level.PROVINCE, Level.REGION, Level.DISTRICT},
    Role.SUPERVISOR: {Level.PROVINCE, Level.REGION},
    Role.DIRECTOR: {Level.PROVINCE},
    Role.RPO: {Level.REGION},
    Role.DPO: {Level.DISTRICT},
    Role.SHO: {Level.STATION},
    Role.WOMENS_DESK: {Level.DISTRICT, Level.REGION, Level.PROVINCE},
    Role.PIO: {Level.PROVINCE, Level.REGION, Level.DISTRICT},
    Role.AUDITOR: {Level.PROVINCE, Level.REGION, Level.DISTRICT},
    Role.ADMIN: {Level.PROVINCE},
}


class User(AbstractUser):
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.OPERATOR)
    region = models.ForeignKey("org.Region", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    district = models.ForeignKey("org.District", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    station = models.ForeignKey(
        "org.PoliceStation", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    phone = models.CharField(max_length=20, blank=True)
    preferred_language = models.CharField(max_length=8, default="en", choices=[("en", "English"), ("ur", "اردو"), ("ps", "پښتو")])

    @property
    def level(self) -> str:
        if self.station_id:
            return Level.STATION
        if self.district_id:
            return Level.DISTRICT
        if self.region_id:
            return Level.REGION
        return Level.PROVINCE

    def clean(self) -> None:
        super().clean()
        # Keep the jurisdiction consistent from the bottom up.
        if self.station is not None and self.station.district_id != self.district_id:
            self.district = self.station.district
        if self.district is not None and self.district.region_id != self.region_id:
            self.region = self.district.region
        allowed = ROLE_LEVELS.get(self.role, set())
        if self.level not in allowed:
            names = ", ".join(sorted(str(Level(level).label) for level in allowed))
            raise ValidationError(
                {"role": _("A %(role)s works at: %(levels)s. Set the matching region, district or station.")
                 % {"role": self.get_role_display(), "levels": names}}
            )

    def jurisdiction_label(self) -> str:
        if self.station_id:
            return f"{self.station} ({self.district})"
        if self.district_id:
            return str(self.district)
        if self.region_id:
            return str(self.region)
        return str(_("Khyber Pakhtunkhwa (province)"))
