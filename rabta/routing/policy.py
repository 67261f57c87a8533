"""Routing as a plain-Python policy over data: which post or desk is responsible for a case, and why.

Input: the triage facts (`RoutingInput`) and a snapshot of the posts that exist (`OrgSnapshot`).
Rules live in data/rules.json: ordered, first match wins, each with an id and a reason template.
A rule names its targets by post *kind* and *where to look* (the case's station, district or
region, or the province) and never builds post codes; a rule whose targets do not exist in the
snapshot falls through to the next rule, so incomplete organisation data never loses a case.
Output: the post, the posts also to notify, the rule id, the rule-set version and a reason an
operator can read, so every decision can be shown and replayed.
"""

from __future__ import annotations

import json
import string
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, cast

DATA = Path(__file__).resolve().parent / "data"
RULES_FILE = DATA / "rules.json"

Level = Literal["station", "district", "region", "province"]
LEVELS: tuple[Level, ...] = ("station", "district", "region", "province")
CATEGORIES = (
    "emergency", "crime_report", "police_complaint", "gbv_harassment", "missing_person", "traffic",
    "cybercrime", "information_request", "feedback", "rumor", "other",
)
URGENCIES = ("critical", "high", "normal", "low")
# Conditions a rule's "when" may test; each takes the value given in the rules file.
CONDITIONS = frozenset({"category", "urgency", "sensitive", "district_known", "station_known", "is_rti", "channel", "any"})
PLACEHOLDERS = frozenset({"district", "station", "category", "urgency", "post", "channel"})


class RulesError(ValueError):
    """The rules file is not valid; the message names the rule and what to fix."""


class NoRoute(LookupError):
    """No rule found a post: the rules end without a catch-all, or the organisation lacks its post."""


@dataclass(frozen=True)
class PostRef:
    """A post as plain data. Jurisdiction fields are None where they do not apply (province posts have none)."""

    code: str
    kind: str
    district_code: str | None = None
    station_slug: str | None = None
    region_code: str | None = None
    title: str = ""
    district_name: str | None = None
    station_name: str | None = None

    @property
    def level(self) -> Level:
        if self.station_slug is not None:
            return "station"
        if self.district_code is not None:
            return "district"
        if self.region_code is not None:
            return "region"
        return "province"

    @property
    def label(self) -> str:
        return self.title or self.code


@dataclass(frozen=True)
class PostTarget:
    """Where a rule looks for a post: one of `kinds`, in the case's station/district/region, or the province's."""

    kinds: tuple[str, ...]
    at: Level

    @classmethod
    def parse(cls, raw: Any, where: str) -> PostTarget:
        if not isinstance(raw, dict):
            raise RulesError(f"{where}: a target is an object like {{\"kind\": \"dpo\", \"at\": \"district\"}}")
        kind, at = raw.get("kind"), raw.get("at")
        kinds = (kind,) if isinstance(kind, str) else tuple(kind) if isinstance(kind, list) else ()
        if not kinds or not all(isinstance(k, str) and k for k in kinds):
            raise RulesError(f"{where}: 'kind' is a post kind or a list of them, got {kind!r}")
        if at not in LEVELS:
            raise RulesError(f"{where}: 'at' must be one of {', '.join(LEVELS)}, got {at!r}")
        return cls(kinds, cast(Level, at))


@dataclass(frozen=True)
class Jurisdiction:
    """The place a target is looked up in: a case's, or (for escalation) a post's."""

    district_code: str | None = None
    station_slug: str | None = None
    region_code: str | None = None


@dataclass(frozen=True)
class OrgSnapshot:
    """The posts routing may choose from, as plain data (the Django side builds it from `Post` rows)."""

    posts: tuple[PostRef, ...]

    def __post_init__(self) -> None:
        # Sorted by code so that lookups never depend on the order rows came from the database.
        object.__setattr__(self, "posts", tuple(sorted(self.posts, key=lambda p: p.code)))

    def get(self, code: str) -> PostRef | None:
        return next((p for p in self.posts if p.code == code), None)

    def region_of(self, district_code: str | None) -> str | None:
        if district_code is None:
            return None
        return next((p.region_code for p in self.posts if p.district_code == district_code and p.region_code), None)

    def district_name(self, district_code: str | None) -> str | None:
        if district_code is None:
            return None
        return next((p.district_name for p in self.posts if p.district_code == district_code and p.district_name), None)

    def station_name(self, district_code: str | None, station_slug: str | None) -> str | None:
        if district_code is None or station_slug is None:
            return None
        return next(
            (p.station_name for p in self.posts if p.district_code == district_code and p.station_slug == station_slug and p.station_name), None
        )

    def find(self, target: PostTarget, where: Jurisdiction) -> PostRef | None:
        """The first post (in `target.kinds` order, then by code) of a kind at the target's level of `where`."""
        region = where.region_code or self.region_of(where.district_code)
        for kind in target.kinds:
            for post in self.posts:
                if post.kind != kind or post.level != target.at:
                    continue
                if target.at == "province":
                    return post
                if target.at == "region" and region is not None and post.region_code == region:
                    return post
                if target.at == "district" and where.district_code is not None and post.district_code == where.district_code:
                    return post
                if (
                    target.at == "station"
                    and where.station_slug is not None
                    and post.station_slug == where.station_slug
                    and post.district_code == where.district_code
                ):
                    return post
        return None


@dataclass(frozen=True)
class RoutingInput:
    """The triage facts routing needs. Names are optional and only make the reason readable."""

    category: str
    urgency: str
    sensitive: bool
    district_code: str | None
    station_slug: str | None
    is_rti: bool = False
    channel: str | None = None
    district_name: str | None = None
    station_name: str | None = None

    @property
    def jurisdiction(self) -> Jurisdiction:
        return Jurisdiction(self.district_code, self.station_slug if self.district_code else None)


@dataclass(frozen=True)
class RoutingDecision:
    post_code: str
    reason: str
    rule_id: str
    ruleset_version: str
    also_notify: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, to store with the case so the decision can be shown and replayed."""
        return {
            "post": self.post_code,
            "reason": self.reason,
            "rule": self.rule_id,
            "ruleset": self.ruleset_version,
            "also_notify": list(self.also_notify),
        }


@dataclass(frozen=True)
class Rule:
    id: str
    when: Mapping[str, Any]
    to: tuple[PostTarget, ...]
    also: tuple[PostTarget, ...]
    reason: str


@dataclass(frozen=True)
class RuleSet:
    version: str
    rules: tuple[Rule, ...]
    always_sensitive: frozenset[str] = frozenset()
    kind_labels: Mapping[str, str] = field(default_factory=dict)


def _check_when(when: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(when, dict):
        raise RulesError(f"{where}: 'when' is an object of conditions ({{}} matches everything)")
    for key, value in when.items():
        if key not in CONDITIONS:
            raise RulesError(f"{where}: unknown condition {key!r}; use one of {', '.join(sorted(CONDITIONS))}")
        if key in ("sensitive", "district_known", "station_known", "is_rti") and not isinstance(value, bool):
            raise RulesError(f"{where}: {key!r} is true or false")
        if key in ("category", "urgency", "channel") and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            raise RulesError(f"{where}: {key!r} is a list of values, e.g. [\"traffic\"]")
        if key == "category" and (unknown := set(value) - set(CATEGORIES)):
            raise RulesError(f"{where}: unknown categories {sorted(unknown)}")
        if key == "urgency" and (unknown := set(value) - set(URGENCIES)):
            raise RulesError(f"{where}: unknown urgencies {sorted(unknown)}")
        if key == "any":
            if not isinstance(value, list) or not value:
                raise RulesError(f"{where}: 'any' is a non-empty list of condition objects")
            for i, alternative in enumerate(value):
                _check_when(alternative, f"{where} any[{i}]")
    return cast(Mapping[str, Any], when)


def parse_rules(doc: Any, *, source: str = "rules.json") -> RuleSet:
    """Check a rules document and turn it into a `RuleSet`; raise `RulesError` naming the fix."""
    if not isinstance(doc, dict) or not isinstance(doc.get("version"), str) or not isinstance(doc.get("rules"), list):
        raise RulesError(f"{source}: expected an object with a 'version' string and a 'rules' list")
    rules: list[Rule] = []
    seen: set[str] = set()
    for i, raw in enumerate(doc["rules"]):
        where = f"{source} rule {i + 1}"
        if not isinstance(raw, dict) or not isinstance(raw.get("id"), str) or not raw["id"]:
            raise RulesError(f"{where}: every rule needs an 'id'")
        where = f"{source} rule {raw['id']!r}"
        if raw["id"] in seen:
            raise RulesError(f"{where}: the id is used twice; ids must be unique (decisions store them)")
        seen.add(raw["id"])
        reason = raw.get("reason")
        if not isinstance(reason, str) or not reason:
            raise RulesError(f"{where}: every rule needs a 'reason' template")
        names = {name for _, name, _, _ in string.Formatter().parse(reason) if name is not None}
        if unknown := names - PLACEHOLDERS:
            raise RulesError(f"{where}: unknown placeholders {sorted(unknown)} in the reason; use {sorted(PLACEHOLDERS)}")
        to_raw, also_raw = raw.get("to"), raw.get("also", [])
        if not isinstance(to_raw, list) or not to_raw or not isinstance(also_raw, list):
            raise RulesError(f"{where}: 'to' is a non-empty list of targets (first found wins); 'also' a list")
        rules.append(
            Rule(
                id=raw["id"],
                when=_check_when(raw.get("when", {}), where),
                to=tuple(PostTarget.parse(t, f"{where} to[{j}]") for j, t in enumerate(to_raw)),
                also=tuple(PostTarget.parse(t, f"{where} also[{j}]") for j, t in enumerate(also_raw)),
                reason=reason,
            )
        )
    if not rules or rules[-1].when:
        raise RulesError(f"{source}: the last rule must match everything (\"when\": {{}}) so that no case is left unrouted")
    always = doc.get("always_sensitive_categories", [])
    labels = doc.get("kind_labels", {})
    if not isinstance(always, list) or not isinstance(labels, dict):
        raise RulesError(f"{source}: 'always_sensitive_categories' is a list, 'kind_labels' an object")
    return RuleSet(doc["version"], tuple(rules), frozenset(always), dict(labels))


@lru_cache(maxsize=4)
def load_rules(path: Path = RULES_FILE) -> RuleSet:
    """Read and check data/rules.json (cached: edit the file, bump its version, restart)."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise RulesError(f"cannot read the rules file {path}: {exc}") from exc
    return parse_rules(doc, source=path.name)


def _holds(key: str, value: Any, inp: RoutingInput, sensitive: bool) -> bool:
    if key == "category":
        return inp.category in value
    if key == "urgency":
        return inp.urgency in value
    if key == "channel":
        return inp.channel in value
    if key == "sensitive":
        return sensitive is value
    if key == "district_known":
        return (inp.district_code is not None) is value
    if key == "station_known":
        return (inp.jurisdiction.station_slug is not None) is value
    if key == "is_rti":
        return inp.is_rti is value
    return any(_matches(alternative, inp, sensitive) for alternative in value)  # "any"


def _matches(when: Mapping[str, Any], inp: RoutingInput, sensitive: bool) -> bool:
    return all(_holds(key, value, inp, sensitive) for key, value in when.items())


def _place_known(level: Level, where: Jurisdiction, snapshot: OrgSnapshot) -> bool:
    if level == "station":
        return where.station_slug is not None
    if level == "district":
        return where.district_code is not None
    if level == "region":
        return (where.region_code or snapshot.region_of(where.district_code)) is not None
    return True


def route(inp: RoutingInput, snapshot: OrgSnapshot, rules: RuleSet | None = None) -> RoutingDecision:
    """The responsible post for a case: the first rule that matches and whose target exists."""
    rules = rules or load_rules()
    sensitive = inp.sensitive or inp.category in rules.always_sensitive
    where = inp.jurisdiction
    for rule in rules.rules:
        if not _matches(rule.when, inp, sensitive):
            continue
        found = (snapshot.find(t, where) for t in rule.to)
        chosen = next(((i, post) for i, post in enumerate(found) if post is not None), None)
        if chosen is None:
            continue  # this rule's posts do not exist here: the next rule decides
        index, target = chosen
        also: list[str] = []
        for spec in rule.also:
            extra = snapshot.find(spec, where)
            if extra is not None and extra.code != target.code and extra.code not in also:
                also.append(extra.code)
        district = inp.district_name or snapshot.district_name(inp.district_code) or inp.district_code or "an unknown district"
        text = rule.reason.format_map({
            "district": district,
            "station": inp.station_name or snapshot.station_name(inp.district_code, inp.station_slug) or inp.station_slug or "an unknown station",
            "category": inp.category.replace("_", " "),
            "urgency": inp.urgency,
            "post": target.label,
            "channel": inp.channel or "an unknown channel",
        })
        first = rule.to[0]
        if index > 0 and _place_known(first.at, where, snapshot):
            missing = first.kinds[0]
            text += f" (no {rules.kind_labels.get(missing, missing.replace('_', ' '))} there)"
        return RoutingDecision(target.code, f"{text} (rule {rule.id})", rule.id, rules.version, tuple(also))
    raise NoRoute(f"no routing rule found a post for {inp}; the rules need a catch-all whose post exists")


@dataclass(frozen=True)
class MemberLoad:
    """A desk member (any stable identifier, e.g. the username) and their open cases on this desk."""

    user: str
    open_cases: int
    cap: int | None = None  # a personal cap (e.g. part-time); None: the desk's cap


def assign_round_robin(members: Sequence[MemberLoad], last_assigned: str | None, cap: int) -> str | None:
    """The next member after `last_assigned` in a stable (sorted) order, skipping anyone at their cap.

    If `last_assigned` has left the desk, the turn passes to whoever follows them in the order, so
    the rotation is not reset to the start. None when everyone is at their cap (the case waits in
    the desk's queue).
    """
    ordered = sorted(members, key=lambda m: m.user)
    if not ordered:
        return None
    names = [m.user for m in ordered]
    start = bisect_right(names, last_assigned) if last_assigned is not None else 0
    for offset in range(len(ordered)):
        member = ordered[(start + offset) % len(ordered)]
        if member.open_cases < (member.cap if member.cap is not None else cap):
            return member.user
    return None
