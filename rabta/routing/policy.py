"""Routing as a plain-Python policy over data: who is responsible for a case, and why.

Input: the triage facts (category, urgency, sensitivity, district, station, RTI) and a snapshot
of the posts that exist. Output: the responsible post, the posts to inform, and a reason naming
the rule, so every decision can be shown to an operator and replayed later.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data"


@dataclass(frozen=True)
class PostRef:
    code: str
    kind: str
    title: str = ""
    district_code: str | None = None
    district_name: str | None = None
    station_slug: str | None = None
    station_name: str | None = None
    region_code: str | None = None


@dataclass(frozen=True)
class OrgSnapshot:
    posts: tuple[PostRef, ...]

    def find(self, kind: str, *, at: str, district_code: str | None, station_slug: str | None) -> PostRef | None:
        for post in self.posts:
            if post.kind != kind:
                continue
            if at == "province" and post.district_code is None and post.region_code is None:
                return post
            if at == "district" and district_code and post.district_code == district_code and post.station_slug is None:
                return post
            if at == "station" and station_slug and post.district_code == district_code and post.station_slug == station_slug:
                return post
        return None


@dataclass(frozen=True)
class RoutingInput:
    category: str
    urgency: str
    sensitive: bool
    district_code: str | None
    station_slug: str | None
    is_rti: bool = False
    channel: str | None = None
    district_name: str | None = None
    station_name: str | None = None


@dataclass(frozen=True)
class RoutingDecision:
    post_code: str
    reason: str
    rule_id: str
    ruleset_version: str
    also_notify: tuple[str, ...]


class NoRoute(LookupError):
    """No rule found a post: the rules or the organisation data are incomplete."""


@lru_cache(maxsize=4)
def load_rules(path: Path = DATA / "rules.json") -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return doc


def _matches(when: dict[str, Any], inp: RoutingInput) -> bool:
    checks = {
        "sensitive": lambda v: inp.sensitive is v,
        "district_known": lambda v: (inp.district_code is not None) is v,
        "station_known": lambda v: (inp.station_slug is not None) is v,
        "is_rti": lambda v: inp.is_rti is v,
        "category": lambda v: inp.category in v,
        "urgency": lambda v: inp.urgency in v,
    }
    return all(checks[key](value) for key, value in when.items())


def route(inp: RoutingInput, snapshot: OrgSnapshot, rules: dict[str, Any] | None = None) -> RoutingDecision:
    rules = rules or load_rules()
    for rule in rules["rules"]:
        if not _matches(rule["when"], inp):
            continue
        target = None
        for spec in rule["to"]:
            target = snapshot.find(spec["kind"], at=spec["at"], district_code=inp.district_code, station_slug=inp.station_slug)
            if target is not None:
                break
        if target is None:
            continue  # this rule's posts do not exist here: the next rule decides
        also = []
        for spec in rule.get("also", []):
            extra = snapshot.find(spec["kind"], at=spec["at"], district_code=inp.district_code, station_slug=inp.station_slug)
            if extra is not None and extra.code != target.code and extra.code not in also:
                also.append(extra.code)
        reason = rule["reason"].format(
            district=inp.district_name or inp.district_code or "unknown district",
            station=inp.station_name or inp.station_slug or "unknown station",
            category=inp.category.replace("_", " "),
            post=target.title or target.code,
        )
        return RoutingDecision(target.code, f"{reason} (rule {rule['id']})", rule["id"], str(rules["version"]), tuple(also))
    raise NoRoute(f"no routing rule found a post for {inp}")


@dataclass(frozen=True)
class MemberLoad:
    user: str
    open_cases: int


def assign_round_robin(members: list[MemberLoad], last_assigned: str | None, cap: int) -> str | None:
    """The next desk member after `last_assigned` in a stable order, skipping those at their cap."""
    ordered = sorted(members, key=lambda m: m.user)
    if not ordered:
        return None
    names = [m.user for m in ordered]
    start = names.index(last_assigned) + 1 if last_assigned in names else 0
    for offset in range(len(ordered)):
        member = ordered[(start + offset) % len(ordered)]
        if member.open_cases < cap:
            return member.user
    return None
