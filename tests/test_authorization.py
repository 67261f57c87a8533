"""Every staff URL x every role x own/other jurisdiction, with the expected answer.

The expectations are written out here, not derived from the permission code, so a change to
who may do what has to change this table on purpose.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.test import Client

from rabta.accounts.models import Role, User
from rabta.org.models import District, PoliceStation, Post
from rabta.testing import verified_client

pytestmark = pytest.mark.django_db

# Where each role's matrix user sits. "own" objects are in Mardan; "other" objects in Peshawar.
SEATS: dict[str, str] = {
    Role.OPERATOR: "district",
    Role.SUPERVISOR: "region",
    Role.DIRECTOR: "province",
    Role.RPO: "region",
    Role.DPO: "district",
    Role.SHO: "station",
    Role.WOMENS_DESK: "district",
    Role.PIO: "district",
    Role.AUDITOR: "district",
    Role.ADMIN: "province",
}
MAY_ASSIGN = {Role.SUPERVISOR, Role.DIRECTOR, Role.RPO, Role.DPO, Role.ADMIN}
MAY_AUDIT = {Role.SUPERVISOR, Role.DIRECTOR, Role.AUDITOR, Role.ADMIN}


@dataclass(frozen=True)
class Case:
    role: str
    url: str
    where: str  # own | other | none
    method: str = "GET"


def _expected(case: Case) -> int:
    province = SEATS[case.role] == "province"
    if case.url == "audit":
        return 200 if case.role in MAY_AUDIT else 403
    if case.url == "admin":
        return 200 if case.role == Role.ADMIN else 302
    if case.url == "assign":
        if case.role not in MAY_ASSIGN:
            return 403
        return 302 if (case.where == "own" or province) else 404
    if case.url in ("dashboard", "districts"):
        return 200
    return 200 if (case.where == "own" or province) else 404


CASES = [
    Case(role, url, where, "POST" if url == "assign" else "GET")
    for role in SEATS
    for url, wheres in [
        ("dashboard", ["none"]),
        ("districts", ["none"]),
        ("district", ["own", "other"]),
        ("station", ["own", "other"]),
        ("post", ["own", "other"]),
        ("assign", ["own", "other"]),
        ("audit", ["none"]),
        ("admin", ["none"]),
    ]
    for where in wheres
]


def _seat_user(role: str) -> User:
    mardan = District.objects.get(slug="mardan")
    station = PoliceStation.objects.filter(district=mardan).order_by("pk").first()
    assert station is not None
    seat = SEATS[role]
    place: dict[str, object] = {}
    if seat in ("region", "district", "station"):
        place["region"] = mardan.region
    if seat in ("district", "station"):
        place["district"] = mardan
    if seat == "station":
        place["station"] = station
    user = User.objects.create_user(
        username=f"matrix_{role}", password="x" * 12, role=role, is_staff=role == Role.ADMIN, is_superuser=role == Role.ADMIN, **place
    )
    user.full_clean()
    return user


def _url(case: Case, user: User) -> str:
    mardan = District.objects.get(slug="mardan")
    peshawar = District.objects.get(slug="peshawar")
    district = mardan if case.where == "own" else peshawar
    if user.station_id and case.where == "own":
        station = user.station
        own_post = Post.objects.get(station=station, kind=Post.Kind.SHO)
    else:
        station = PoliceStation.objects.filter(district=district).order_by("pk").first()
        own_post = Post.objects.get(district=district, kind=Post.Kind.DPO)
    assert station is not None
    return {
        "dashboard": "/",
        "districts": "/org/",
        "district": f"/org/districts/{district.slug}/",
        "station": f"/org/stations/{station.pk}/",
        "post": f"/org/posts/{own_post.pk}/",
        "assign": f"/org/posts/{own_post.pk}/holder/",
        "audit": "/audit/",
        "admin": "/admin/",
    }[case.url]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.role}-{c.url}-{c.where}")
def test_authorization_matrix(case: Case) -> None:
    user = _seat_user(case.role)
    client: Client = verified_client(user)
    url = _url(case, user)
    if case.method == "POST":
        mardan = District.objects.get(slug="mardan")
        target = User.objects.create_user(username="matrix_target", password="x" * 12, role=Role.SHO, district=mardan, region=mardan.region)
        if user.station_id:
            target.station = user.station
            target.save()
        response = client.post(url, {"user": target.pk, "note": "matrix"})
    else:
        response = client.get(url)
    assert response.status_code == _expected(case), f"{case.method} {url} as {case.role}"


def test_the_matrix_covers_every_role_and_staff_url() -> None:
    assert {c.role for c in CASES} == set(Role)
    assert len(CASES) == len(Role) * 12


def test_anonymous_visitors_are_sent_to_log_in(client: Client) -> None:
    for url in ("/", "/org/", "/org/districts/mardan/", "/audit/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_fragment_and_full_page_share_the_scope(login_as: object) -> None:
    client = login_as("dpo_mardan")  # type: ignore[operator]
    full = client.get("/org/")
    fragment = client.get("/org/", headers={"HX-Request": "true"})
    assert full.status_code == fragment.status_code == 200
    assert b"<html" in full.content
    assert b"<html" not in fragment.content
    for body in (full.content.decode(), fragment.content.decode()):
        assert "Mardan" in body
        assert "Peshawar" not in body
