"""Every routing rule, its reason and fall-through, and the fair round robin inside a desk. No database."""

from __future__ import annotations

import json
from typing import Any

import pytest

from rabta.routing.policy import (
    MemberLoad,
    NoRoute,
    OrgSnapshot,
    PostRef,
    RoutingInput,
    RulesError,
    assign_round_robin,
    load_rules,
    parse_rules,
    route,
)

POSTS = (
    PostRef("dpr-media-cell", "dpr_media_cell", title="DPR Media Cell"),
    PostRef("womens-desk-cpo", "womens_desk", title="Women's Desk CPO"),
    PostRef("pio-cpo", "pio", title="PIO CPO"),
    PostRef("complaint-cell-cpo", "complaint_cell_cpo", title="DPR Complaint Cell CPO"),
    PostRef("rpo-mardan-region", "rpo", region_code="MDN", title="RPO Mardan Region"),
    PostRef("dpo-mardan", "dpo", "MRD", region_code="MDN", title="DPO Mardan", district_name="Mardan"),
    PostRef("womens-desk-mardan", "womens_desk", "MRD", region_code="MDN", title="Women's Desk Mardan", district_name="Mardan"),
    PostRef("complaint-cell-mardan", "complaint_cell", "MRD", region_code="MDN", title="Complaint Cell Mardan", district_name="Mardan"),
    PostRef("pio-mardan", "pio", "MRD", region_code="MDN", title="PIO Mardan", district_name="Mardan"),
    PostRef("sho-mardan-city", "sho", "MRD", "city", "MDN", title="SHO City Mardan", district_name="Mardan", station_name="City Mardan"),
    # Swabi has only a DPO and a station in this snapshot: the fall-throughs.
    PostRef("dpo-swabi", "dpo", "SWB", region_code="MDN", title="DPO Swabi", district_name="Swabi"),
    PostRef("sho-swabi-city", "sho", "SWB", "city", "MDN", title="SHO City Swabi", district_name="Swabi"),
    PostRef("sho-peshawar-hayatabad", "sho", "PEW", "hayatabad", "PSH", title="SHO Hayatabad"),
)
SNAPSHOT = OrgSnapshot(posts=POSTS)
MEDIA = "dpr-media-cell"


def case(
    category: str,
    urgency: str = "normal",
    *,
    sensitive: bool = False,
    district: str | None = "MRD",
    station: str | None = None,
    rti: bool = False,
    channel: str | None = None,
) -> RoutingInput:
    return RoutingInput(category, urgency, sensitive, district, station, rti, channel)


@pytest.mark.parametrize(
    ("inp", "post", "rule", "also"),
    [
        # Sensitive cases go to the women's desk of the district, before anything else.
        (case("gbv_harassment", "high", sensitive=True), "womens-desk-mardan", "sensitive-to-womens-desk", ()),
        (case("crime_report", sensitive=True, station="city"), "womens-desk-mardan", "sensitive-to-womens-desk", ()),
        (case("gbv_harassment", "high"), "womens-desk-mardan", "sensitive-to-womens-desk", ()),  # GBV is always sensitive
        (case("police_complaint", sensitive=True), "womens-desk-mardan", "sensitive-to-womens-desk", ()),
        (case("gbv_harassment", "high", sensitive=True, district=None), "womens-desk-cpo", "sensitive-no-district", ()),
        (case("gbv_harassment", "high", sensitive=True, district="SWB"), "womens-desk-cpo", "sensitive-no-district", ()),
        (case("gbv_harassment", "critical", sensitive=True), "womens-desk-mardan", "sensitive-critical", (MEDIA,)),
        (case("gbv_harassment", "critical", sensitive=True, district=None), "womens-desk-cpo", "sensitive-critical", (MEDIA,)),
        # Right to information: the district's PIO, else the CPO's.
        (case("information_request", "low", rti=True), "pio-mardan", "rti-to-pio", ()),
        (case("information_request", "low", rti=True, district=None), "pio-cpo", "rti-to-pio", ()),
        (case("information_request", "low", rti=True, district="SWB"), "pio-cpo", "rti-to-pio", ()),
        (case("police_complaint", rti=True), "pio-mardan", "rti-to-pio", ()),  # an RTI request about police conduct
        # Emergencies and anything critical: the station's SHO, else the DPO; the media cell and DPO told.
        (case("emergency", "critical", station="city"), "sho-mardan-city", "emergency-to-station", (MEDIA, "dpo-mardan")),
        (case("emergency", "high"), "dpo-mardan", "emergency-to-station", (MEDIA,)),
        (case("emergency", "critical", station="nowhere"), "dpo-mardan", "emergency-to-station", (MEDIA,)),
        (case("missing_person", "critical", station="city"), "sho-mardan-city", "emergency-to-station", (MEDIA, "dpo-mardan")),
        (case("rumor", "critical"), "dpo-mardan", "emergency-to-station", (MEDIA,)),
        (case("emergency", "critical", district=None), MEDIA, "unknown-district", ()),
        # Police conduct: the district complaint cell, the DPO informed; no cell → the DPO.
        (case("police_complaint"), "complaint-cell-mardan", "complaint-to-complaint-cell", ("dpo-mardan",)),
        (case("police_complaint", "high", station="city"), "complaint-cell-mardan", "complaint-to-complaint-cell", ("dpo-mardan",)),
        (case("police_complaint", district="SWB"), "dpo-swabi", "complaint-to-complaint-cell", ()),
        # Station matters: the SHO when the station is known, else the DPO.
        (case("crime_report", station="city"), "sho-mardan-city", "station-matters-to-sho", ()),
        (case("missing_person", "high", station="city"), "sho-mardan-city", "station-matters-to-sho", ()),
        (case("traffic", station="city"), "sho-mardan-city", "station-matters-to-sho", ()),
        (case("cybercrime", station="city"), "sho-mardan-city", "station-matters-to-sho", ()),
        (case("crime_report", district="SWB", station="city"), "sho-swabi-city", "station-matters-to-sho", ()),  # same slug, other district
        (case("crime_report"), "dpo-mardan", "district-matters-to-dpo", ()),
        (case("missing_person", "high"), "dpo-mardan", "district-matters-to-dpo", ()),
        (case("traffic"), "dpo-mardan", "district-matters-to-dpo", ()),
        (case("cybercrime"), "dpo-mardan", "district-matters-to-dpo", ()),
        (case("crime_report", station="hayatabad"), "dpo-mardan", "district-matters-to-dpo", ()),  # a Peshawar station named for Mardan
        (case("information_request", "low"), "dpo-mardan", "services-to-dpo", ()),
        # The media cell: feedback, rumours, other; and anything without a district.
        (case("feedback", "low"), MEDIA, "media-cell", ()),
        (case("rumor"), MEDIA, "media-cell", ()),
        (case("other", "low"), MEDIA, "media-cell", ()),
        (case("feedback", "low", district=None), MEDIA, "media-cell", ()),
        (case("crime_report", district=None), MEDIA, "unknown-district", ()),
        (case("information_request", "low", district=None), MEDIA, "unknown-district", ()),
        (case("crime_report", district="XYZ"), MEDIA, "catch-all", ()),  # a district with no posts at all
    ],
)
def test_every_rule(inp: RoutingInput, post: str, rule: str, also: tuple[str, ...]) -> None:
    decision = route(inp, SNAPSHOT)
    assert (decision.post_code, decision.rule_id, decision.also_notify) == (post, rule, also)
    assert decision.reason.endswith(f"(rule {rule})")
    assert decision.ruleset_version == load_rules().version


@pytest.mark.parametrize(
    ("inp", "reason"),
    [
        (case("gbv_harassment", "high", sensitive=True), "sensitive case in Mardan → Women's Desk Mardan (rule sensitive-to-womens-desk)"),
        (case("police_complaint"),
         "complaint about police conduct in Mardan → Complaint Cell Mardan, the DPO informed (rule complaint-to-complaint-cell)"),
        (case("police_complaint", district="SWB"),
         "complaint about police conduct in Swabi → DPO Swabi, the DPO informed (no complaint cell there) (rule complaint-to-complaint-cell)"),
        (case("crime_report", station="city"), "crime report at City Mardan, Mardan → SHO City Mardan (rule station-matters-to-sho)"),
        (case("emergency", "critical", station="nowhere"),
         "critical emergency in Mardan: the nearest responsible officer acts now → DPO Mardan (no SHO there) (rule emergency-to-station)"),
        (case("emergency", "critical", district=None),
         "no district identified: emergency goes to the triage queue of DPR Media Cell (rule unknown-district)"),
        (case("gbv_harassment", "high", sensitive=True, district=None),
         "sensitive case, district unknown or without a women's desk → Women's Desk CPO (rule sensitive-no-district)"),
    ],
)
def test_reasons_name_the_place_the_post_and_the_rule(inp: RoutingInput, reason: str) -> None:
    assert route(inp, SNAPSHOT).reason == reason


def test_names_given_with_the_input_are_used_in_the_reason() -> None:
    inp = RoutingInput("crime_report", "normal", False, "MRD", "city", district_name="مردان", station_name="Sheikh Maltoon")
    assert route(inp, SNAPSHOT).reason.startswith("crime report at Sheikh Maltoon, مردان → ")


def test_posts_are_matched_by_kind_and_jurisdiction_not_by_code() -> None:
    renamed = OrgSnapshot(posts=(PostRef("office-17", "dpo", "MRD", region_code="MDN"), PostRef("hq-press", "dpr_media_cell")))
    assert route(case("crime_report"), renamed).post_code == "office-17"
    assert route(case("feedback"), renamed).post_code == "hq-press"


def test_decisions_do_not_depend_on_the_order_of_the_posts() -> None:
    twin = PostRef("dpo-mardan-acting", "dpo", "MRD", region_code="MDN")
    forward, backward = OrgSnapshot((*POSTS, twin)), OrgSnapshot(tuple(reversed((*POSTS, twin))))
    for inp in (case("crime_report"), case("police_complaint", district="SWB"), case("emergency", "critical")):
        assert route(inp, forward) == route(inp, backward)
    assert route(case("crime_report"), forward).post_code == "dpo-mardan"  # the smaller code of two of a kind


def test_no_route_when_even_the_catch_all_has_no_post() -> None:
    without_media_cell = OrgSnapshot(tuple(p for p in POSTS if p.kind != "dpr_media_cell"))
    with pytest.raises(NoRoute, match="catch-all"):
        route(case("feedback"), without_media_cell)


def test_decision_as_dict_for_storage() -> None:
    stored = route(case("police_complaint"), SNAPSHOT).as_dict()
    assert stored == {
        "post": "complaint-cell-mardan",
        "reason": "complaint about police conduct in Mardan → Complaint Cell Mardan, the DPO informed (rule complaint-to-complaint-cell)",
        "rule": "complaint-to-complaint-cell",
        "ruleset": load_rules().version,
        "also_notify": ["dpo-mardan"],
    }


def _rules(*rules: dict[str, Any]) -> dict[str, Any]:
    return {"version": "t1", "rules": [*rules, {"id": "rest", "when": {}, "to": [{"kind": "dpr_media_cell", "at": "province"}], "reason": "{post}"}]}


def test_an_admin_rule_by_channel_and_region() -> None:
    rules = parse_rules(_rules({
        "id": "portal-to-rpo", "when": {"channel": ["citizen_portal"]},
        "to": [{"kind": ["rpo", "ccpo"], "at": "region"}], "reason": "Citizen Portal complaint from {district} via {channel} → {post}",
    }))
    decision = route(case("crime_report", channel="citizen_portal"), SNAPSHOT, rules)
    assert (decision.post_code, decision.rule_id, decision.ruleset_version) == ("rpo-mardan-region", "portal-to-rpo", "t1")
    assert decision.reason == "Citizen Portal complaint from Mardan via citizen_portal → RPO Mardan Region (rule portal-to-rpo)"
    assert route(case("crime_report", channel="web_form"), SNAPSHOT, rules).rule_id == "rest"


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"rules": []}, "'version' string"),
        (_rules({"id": "a", "when": {"colour": ["red"]}, "to": [{"kind": "dpo", "at": "district"}], "reason": "x"}), "unknown condition 'colour'"),
        (_rules({"id": "a", "when": {"category": ["theft"]}, "to": [{"kind": "dpo", "at": "district"}], "reason": "x"}), "unknown categories"),
        (_rules({"id": "a", "when": {"sensitive": "yes"}, "to": [{"kind": "dpo", "at": "district"}], "reason": "x"}), "true or false"),
        (_rules({"id": "a", "when": {}, "to": [{"kind": "dpo", "at": "tehsil"}], "reason": "x"}), "'at' must be one of"),
        (_rules({"id": "a", "when": {}, "to": [], "reason": "x"}), "non-empty list of targets"),
        (_rules({"id": "a", "when": {}, "to": [{"kind": "dpo", "at": "district"}], "reason": "to {officer}"}), "unknown placeholders"),
        (_rules({"id": "rest", "when": {}, "to": [{"kind": "dpo", "at": "district"}], "reason": "x"}), "used twice"),
        (_rules({"id": "a", "when": {"any": []}, "to": [{"kind": "dpo", "at": "district"}], "reason": "x"}), "'any' is a non-empty list"),
        ({"version": "t", "rules": [{"id": "a", "when": {"is_rti": True}, "to": [{"kind": "pio", "at": "province"}], "reason": "x"}]},
         "last rule must match everything"),
    ],
)
def test_a_broken_rules_file_says_what_to_fix(doc: dict[str, Any], message: str) -> None:
    with pytest.raises(RulesError, match=message):
        parse_rules(doc)


def test_the_shipped_rules_file_is_valid_and_versioned() -> None:
    rules = load_rules()
    assert rules.version
    assert rules.rules[-1].when == {}
    assert json.loads(json.dumps([r.id for r in rules.rules]))  # ids are plain strings, stored with each case


# --- Round robin inside a desk


@pytest.mark.parametrize(
    ("loads", "last", "cap", "expected"),
    [
        ([("amna", 0), ("bilal", 0), ("saima", 0)], None, 5, "amna"),
        ([("amna", 0), ("bilal", 0), ("saima", 0)], "amna", 5, "bilal"),
        ([("amna", 0), ("bilal", 0), ("saima", 0)], "saima", 5, "amna"),  # wraps around
        ([("saima", 0), ("amna", 0), ("bilal", 0)], "amna", 5, "bilal"),  # the order is stable, not the input's
        ([("amna", 1), ("bilal", 5), ("saima", 2)], "amna", 5, "saima"),  # bilal is at the cap
        ([("amna", 1), ("bilal", 6), ("saima", 5)], "amna", 5, "amna"),  # only amna has room: her turn again
        ([("amna", 5), ("bilal", 5)], None, 5, None),  # everyone full: the case waits in the desk queue
        ([], None, 5, None),
        ([("amna", 0), ("bilal", 0), ("saima", 0)], "asad", 5, "bilal"),  # asad left the desk: the turn passes on
        ([("amna", 0), ("bilal", 0)], "zubair", 5, "amna"),
        ([("amna", 0)], "amna", 5, "amna"),
    ],
)
def test_round_robin_with_a_cap(loads: list[tuple[str, int]], last: str | None, cap: int, expected: str | None) -> None:
    assert assign_round_robin([MemberLoad(u, n) for u, n in loads], last, cap) == expected


def test_a_personal_cap_overrides_the_desk_cap() -> None:
    members = [MemberLoad("amna", 2, cap=2), MemberLoad("bilal", 3), MemberLoad("saima", 0, cap=0)]
    assert assign_round_robin(members, None, 10) == "bilal"
    assert assign_round_robin(members, "bilal", 10) == "bilal"


def test_round_robin_shares_evenly_over_many_cases() -> None:
    loads = {"amna": 0, "bilal": 0, "saima": 0}
    last = None
    for _ in range(30):
        last = assign_round_robin([MemberLoad(u, n) for u, n in loads.items()], last, cap=100)
        assert last is not None
        loads[last] += 1
    assert loads == {"amna": 10, "bilal": 10, "saima": 10}
