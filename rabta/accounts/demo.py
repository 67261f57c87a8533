"""The demo data set: named staff users holding real posts, each with a TOTP device."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from rabta.accounts import twofactor
from rabta.accounts.models import Role, User
from rabta.core import audit
from rabta.org.models import District, PoliceStation, Post, PostHolding

DEMO_PASSWORD = "rabta-demo-2026"


@dataclass(frozen=True)
class DemoUser:
    username: str
    full_name: str
    role: str
    region: str = ""  # slug of a district whose region this is
    district: str = ""  # district slug
    station: str = ""  # station slug (within district)
    post: str = ""  # post code held


DEMO_USERS = [
    DemoUser("operator_peshawar", "Ayesha Khan", Role.OPERATOR, post="dpr-media-cell"),
    DemoUser("supervisor_cpo", "Imran Afridi", Role.SUPERVISOR, post="dpr-media-cell"),
    DemoUser("director_dpr", "Shaukat Yousafzai", Role.DIRECTOR, post="complaint-cell-cpo"),
    DemoUser("rpo_mardan", "Zahid Khattak", Role.RPO, region="mardan", post="rpo-{region_slug}"),
    DemoUser("dpo_mardan", "Najeeb Mohmand", Role.DPO, district="mardan", post="dpo-mardan"),
    DemoUser("sho_hayatabad", "Fazal Rehman", Role.SHO, district="peshawar", station="hayatabad", post="sho-peshawar-hayatabad"),
    DemoUser("womens_desk_mardan", "Saima Bibi", Role.WOMENS_DESK, district="mardan", post="womens-desk-mardan"),
    DemoUser("pio_cpo", "Rashid Orakzai", Role.PIO, post="pio-cpo"),
    DemoUser("auditor", "Farah Naz", Role.AUDITOR),
    DemoUser("admin", "System Administrator", Role.ADMIN),
]


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    jurisdiction: str
    totp_secret: str


def _jurisdiction(spec: DemoUser) -> dict[str, Any]:
    if spec.station:
        station = PoliceStation.objects.select_related("district__region").get(district__slug=spec.district, slug=spec.station)
        return {"station": station, "district": station.district, "region": station.district.region}
    if spec.district:
        district = District.objects.select_related("region").get(slug=spec.district)
        return {"station": None, "district": district, "region": district.region}
    if spec.region:
        region = District.objects.select_related("region").get(slug=spec.region).region
        return {"station": None, "district": None, "region": region}
    return {"station": None, "district": None, "region": None}


@transaction.atomic
def load_demo() -> list[DemoLogin]:
    """Create or refresh the demo users. Keeps existing TOTP secrets so enrolled apps keep working."""
    logins: list[DemoLogin] = []
    now = timezone.now()
    for spec in DEMO_USERS:
        place = _jurisdiction(spec)
        first, _, last = spec.full_name.partition(" ")
        user, created = User.objects.get_or_create(
            username=spec.username,
            defaults={"first_name": first, "last_name": last, "role": spec.role, **place},
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.is_staff = spec.role == Role.ADMIN
            user.is_superuser = spec.role == Role.ADMIN
            user.full_clean()
            user.save()
            audit.record(actor=None, actor_label="system:demo", action="user.created", obj=user, after={"role": spec.role})
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name=twofactor.DEVICE_NAME, confirmed=True)
        if spec.post and not PostHolding.objects.filter(user=user, ended_at__isnull=True).exists():
            region_slug = place["region"].slug if place["region"] else ""
            post = Post.objects.get(code=spec.post.format(region_slug=region_slug))
            PostHolding.objects.create(post=post, user=user, started_at=now, note="demo data")
        logins.append(DemoLogin(user.username, user.get_role_display(), user.jurisdiction_label(), twofactor.secret_base32(device)))
    return logins
