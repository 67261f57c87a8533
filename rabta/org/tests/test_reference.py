"""The KP Police reference data: complete, consistent, and loaded idempotently."""

from __future__ import annotations

import re

import pytest

from rabta.core.models import AuditEvent
from rabta.org.models import District, PoliceStation, Post, Region
from rabta.org.reference import load_reference_data

pytestmark = pytest.mark.django_db

URDU_SCRIPT = re.compile(r"[\u0600-\u06FF\u0750-\u077F\uFB50-\uFDFF\uFE70-\uFEFF]")
LATIN = re.compile(r"^[A-Za-z][A-Za-z .'-]+$")


def test_all_current_districts_are_there() -> None:
    names = set(District.objects.values_list("name_en", flat=True))
    # The post-2018 districts and later splits named in the product brief.
    for expected in [
        "Peshawar", "Mardan", "Swat", "Upper Swat", "Abbottabad", "Dera Ismail Khan", "Khyber", "Bajaur",
        "Upper Chitral", "Lower Chitral", "Upper Dir", "Central Dir", "Lower Dir", "Upper Kohistan",
        "Lower Kohistan", "Kolai-Palas", "Upper South Waziristan", "Lower South Waziristan",
        "North Waziristan", "Allai", "Paharpur", "Kurram", "Orakzai", "Mohmand", "Lakki Marwat",
    ]:
        assert expected in names, f"{expected} is missing from districts.json"
    assert 38 <= len(names) <= 45
    assert Region.objects.count() == 7


def test_every_district_has_region_names_and_posts() -> None:
    problems = []
    for district in District.objects.select_related("region"):
        if district.region_id is None:
            problems.append(f"{district}: no region")
        if not LATIN.match(district.name_en):
            problems.append(f"{district}: English name {district.name_en!r}")
        for field in ("name_ur", "name_ps"):
            if not URDU_SCRIPT.search(getattr(district, field)):
                problems.append(f"{district}: {field} {getattr(district, field)!r} is not in Perso-Arabic script")
        kinds = set(Post.objects.filter(district=district, station__isnull=True).values_list("kind", flat=True))
        for kind in (Post.Kind.DPO, Post.Kind.WOMENS_DESK, Post.Kind.COMPLAINT_CELL):
            if kind not in kinds:
                problems.append(f"{district}: no {kind} post")
        dpo = Post.objects.get(district=district, kind=Post.Kind.DPO)
        if dpo.parent is None or dpo.parent.kind not in (Post.Kind.RPO, Post.Kind.CCPO) or dpo.parent.region_id != district.region_id:
            problems.append(f"{district}: DPO does not report to its region's RPO")
    assert problems == []


def test_district_codes_are_three_letters_and_unique() -> None:
    codes = list(District.objects.values_list("code", flat=True))
    assert all(re.fullmatch(r"[A-Z]{3}", c) for c in codes), codes
    assert len(codes) == len(set(codes))


@pytest.mark.parametrize(("district", "minimum"), [("Peshawar", 20), ("Mardan", 8), ("Swat", 8), ("Abbottabad", 6), ("Dera Ismail Khan", 6)])
def test_police_stations_with_urdu_names(district: str, minimum: int) -> None:
    stations = PoliceStation.objects.filter(district__name_en=district)
    assert stations.count() >= minimum
    for station in stations:
        assert URDU_SCRIPT.search(station.name_ur), f"{station} has no Urdu name"
        assert Post.objects.filter(station=station, kind=Post.Kind.SHO, parent__kind=Post.Kind.DPO).exists()


def test_escalation_chain_reaches_the_cpo() -> None:
    post = Post.objects.get(code="sho-peshawar-hayatabad")
    chain = []
    while post is not None:
        chain.append(post.kind)
        post = post.parent
    assert chain[:3] == [Post.Kind.SHO, Post.Kind.DPO, Post.Kind.CCPO]
    assert chain[3] == Post.Kind.COMPLAINT_CELL_CPO


def test_reloading_is_idempotent_and_audited() -> None:
    counts = (Region.objects.count(), District.objects.count(), PoliceStation.objects.count(), Post.objects.count())
    report = load_reference_data()
    assert (Region.objects.count(), District.objects.count(), PoliceStation.objects.count(), Post.objects.count()) == counts
    assert report.districts == counts[1]
    event = AuditEvent.objects.filter(action="reference_data.loaded").order_by("-seq").first()
    assert event is not None
    assert event.after["versions"]["districts"] == report.versions["districts"]


def test_admin_edits_survive_a_reload() -> None:
    district = District.objects.get(slug="mardan")
    station = PoliceStation.objects.create(district=district, slug="new-test-station", name_en="New Test", name_ur="نیا", name_ps="نوی")
    load_reference_data()
    assert PoliceStation.objects.filter(pk=station.pk).exists()


def test_a_broken_data_file_is_reported_and_changes_nothing(tmp_path: object) -> None:
    from pathlib import Path

    from rabta.org.reference import DATA_DIR

    target = Path(str(tmp_path))
    for name in ("regions.json", "districts.json", "stations.json", "posts.json"):
        (target / name).write_text((DATA_DIR / name).read_text(encoding="utf-8"), encoding="utf-8")
    text = (target / "stations.json").read_text(encoding="utf-8").replace('"district": "', '"district": "ZZ', 1)
    (target / "stations.json").write_text(text, encoding="utf-8")
    before = PoliceStation.objects.count()
    with pytest.raises(ValueError, match=r"which districts\.json lacks"):
        load_reference_data(data_dir=target)
    assert PoliceStation.objects.count() == before
