"""Load the versioned reference data files (regions, districts, stations, post templates).

Idempotent: rows are matched on their code or slug and updated in place, so an admin's additions
in the admin site survive, and editing a data file and re-loading applies the change.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import transaction

from rabta.core import audit
from rabta.org.models import District, PoliceStation, Post, Region

DATA_DIR = Path(__file__).resolve().parent / "data"


@dataclass(frozen=True)
class LoadReport:
    versions: dict[str, str]
    regions: int
    districts: int
    stations: int
    posts: int


def _read(name: str, data_dir: Path) -> dict[str, Any]:
    path = data_dir / name
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"reference data file {path} cannot be read: {exc}") from exc


def _fill(template: dict[str, Any], values: dict[str, str], capital_city: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in ("code", "kind", "title_en", "title_ur", "title_ps", "parent"):
        raw = template.get(key)
        if capital_city and f"{key}_capital_city" in template:
            raw = template[f"{key}_capital_city"]
        out[key] = raw.format(**values) if isinstance(raw, str) else raw
    out["is_desk"] = bool(template.get("is_desk", False))
    return out


@transaction.atomic
def load_reference_data(*, actor: Any = None, data_dir: Path = DATA_DIR) -> LoadReport:
    regions_doc = _read("regions.json", data_dir)
    districts_doc = _read("districts.json", data_dir)
    stations_doc = _read("stations.json", data_dir)
    posts_doc = _read("posts.json", data_dir)

    regions: dict[str, Region] = {}
    for row in regions_doc["regions"]:
        region, _ = Region.objects.update_or_create(
            code=row["code"],
            defaults={k: row[k] for k in ("slug", "name_en", "name_ur", "name_ps", "kind")},
        )
        regions[region.code] = region

    districts: dict[str, District] = {}
    for row in districts_doc["districts"]:
        if row["region"] not in regions:
            raise ValueError(f"district {row['code']} names region {row['region']}, which regions.json lacks")
        district, _ = District.objects.update_or_create(
            code=row["code"],
            defaults={
                "slug": row["slug"],
                "name_en": row["name_en"],
                "name_ur": row["name_ur"],
                "name_ps": row["name_ps"],
                "region": regions[row["region"]],
                "hq": row.get("hq", ""),
            },
        )
        districts[district.code] = district

    stations: list[PoliceStation] = []
    for row in stations_doc["stations"]:
        if row["district"] not in districts:
            raise ValueError(f"station {row['slug']} names district {row['district']}, which districts.json lacks")
        station, _ = PoliceStation.objects.update_or_create(
            district=districts[row["district"]],
            slug=row["slug"],
            defaults={
                "name_en": row["name_en"],
                "name_ur": row.get("name_ur") or row["name_en"],
                "name_ps": row.get("name_ps") or row.get("name_ur") or row["name_en"],
                "aliases": row.get("aliases", []),
            },
        )
        stations.append(station)

    # Posts: create all, then wire parents (a parent may be defined later in the file).
    specs: list[tuple[dict[str, Any], dict[str, Any]]] = []
    for template in posts_doc["province"]:
        specs.append((_fill(template, {}), {"level": Post.Level.PROVINCE}))
    for region in regions.values():
        values = {"slug": region.slug, "name_en": region.name_en, "name_ur": region.name_ur, "name_ps": region.name_ps}
        capital = region.kind == Region.Kind.CAPITAL_CITY
        for template in posts_doc["per_region"]:
            specs.append((_fill(template, values, capital), {"level": Post.Level.REGION, "region": region}))
    for district in districts.values():
        values = {
            "slug": district.slug,
            "name_en": district.name_en,
            "name_ur": district.name_ur,
            "name_ps": district.name_ps,
            "region_slug": district.region.slug,
        }
        for template in posts_doc["per_district"]:
            specs.append(
                (_fill(template, values), {"level": Post.Level.DISTRICT, "region": district.region, "district": district})
            )
    for station in stations:
        district = station.district
        values = {
            "slug": station.slug,
            "name_en": station.name_en,
            "name_ur": station.name_ur,
            "name_ps": station.name_ps,
            "district_slug": district.slug,
        }
        for template in posts_doc["per_station"]:
            specs.append(
                (
                    _fill(template, values),
                    {"level": Post.Level.STATION, "region": district.region, "district": district, "station": station},
                )
            )

    posts: dict[str, Post] = {}
    for spec, place in specs:
        post, _ = Post.objects.update_or_create(
            code=spec["code"],
            defaults={
                "kind": spec["kind"],
                "title_en": spec["title_en"],
                "title_ur": spec["title_ur"],
                "title_ps": spec["title_ps"],
                "is_desk": spec["is_desk"],
                "level": place["level"],
                "region": place.get("region"),
                "district": place.get("district"),
                "station": place.get("station"),
            },
        )
        posts[post.code] = post
    for spec, _place in specs:
        parent_code = spec["parent"]
        if parent_code:
            if parent_code not in posts:
                raise ValueError(f"post {spec['code']} names parent {parent_code}, which no template creates")
            post = posts[spec["code"]]
            if post.parent_id != posts[parent_code].pk:
                post.parent = posts[parent_code]
                post.save(update_fields=["parent"])

    versions = {
        name: doc.get("version", "")
        for name, doc in (
            ("regions", regions_doc),
            ("districts", districts_doc),
            ("stations", stations_doc),
            ("posts", posts_doc),
        )
    }
    report = LoadReport(versions, len(regions), len(districts), len(stations), len(posts))
    audit.record(
        actor=actor,
        action="reference_data.loaded",
        object_type="reference_data",
        object_repr="KP Police reference data",
        after={"versions": versions, "counts": [report.regions, report.districts, report.stations, report.posts]},
    )
    return report
